// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runset: grouping, loading from logs and recordings, and the talk's rounding. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recfile.h"
#include "runset.h"
#include "unit.h"
#include "util.h"

#define S(sec) ((int64_t)((sec) * 1000000000.0 + 0.5))
#define XEN_PV "CENTOS-XEN-PARA-x86_64"
#define NATIVE "CENTOS-NATIVE-x86_64"

/* The five whole-run times of the talk's CENTOS-XEN-PARA-x86_64 logs. */
static const double xen_pv_totals[] = { 475.886, 473.842, 474.394, 472.780, 472.857 };

static struct runset *talk_runset(void)
{
	struct runset *rs = runset_new();
	size_t i;

	if (!rs)
		return NULL;
	/* The talk prints only 6:09 for every native CentOS run; one run of exactly that. */
	runset_add_run(rs, NATIVE, "native", S(369), NULL, 0);
	for (i = 0; i < ARRAY_SIZE(xen_pv_totals); i++)
		runset_add_run(rs, XEN_PV, "xen", S(xen_pv_totals[i]), NULL, 0);
	return rs;
}

static struct runset_stats stats(int64_t a, int64_t b, int64_t c)
{
	struct runset_stats s = { 0 };
	int64_t v[3] = { a, b, c };
	int i;

	for (i = 0; i < 3 && v[i] >= 0; i++) {
		if (!s.n || v[i] < s.min_ns)
			s.min_ns = v[i];
		if (!s.n || v[i] > s.max_ns)
			s.max_ns = v[i];
		s.sum_ns += v[i];
		s.n++;
	}
	return s;
}

TEST(talk_xen_pv_row_reads_7_54_7_53_7_56_78_128)
{
	struct runset *rs = talk_runset();
	const struct runset_group *xen, *native;
	struct runset_stats x, n;
	int64_t speed = 0, time = 0;

	xen = runset_group(rs, XEN_PV);
	native = runset_group(rs, NATIVE);
	EXPECT_TRUE(xen && native);
	if (!xen || !native)
		return;
	runset_group_total(xen, &x);
	runset_group_total(native, &n);
	EXPECT_INT(x.n, 5);
	EXPECT_INT(runset_stats_mean_s(&x), 7 * 60 + 54);
	EXPECT_INT(runset_round_s(x.min_ns), 7 * 60 + 53);
	EXPECT_INT(runset_round_s(x.max_ns), 7 * 60 + 56);
	EXPECT_INT(runset_stats_pct(&n, &x, &speed), 0);
	EXPECT_INT(runset_stats_pct(&x, &n, &time), 0);
	EXPECT_INT(speed, 78);
	EXPECT_INT(time, 128);
	EXPECT_NEAR(runset_stats_mean_ns(&x) / 1e9, 473.9518, 1e-9);
	runset_free(rs);
}

/* Truncation would print the talk's min 7:52.780 as 7:52 and max 7:55.886 as 7:55. */
TEST(times_round_to_nearest_second_not_truncate)
{
	EXPECT_INT(runset_round_s(S(472.780)), 473);
	EXPECT_INT(runset_round_s(S(475.886)), 476);
	EXPECT_INT(runset_round_s(S(472.499)), 472);
}

TEST(halves_round_up)
{
	struct runset_stats a = stats(S(1), S(2), -1), b = stats(S(2), -1, -1);
	int64_t pct;

	EXPECT_INT(runset_round_s(S(0.5)), 1);
	EXPECT_INT(runset_round_s(S(0.5) - 1), 0);
	EXPECT_INT(runset_stats_mean_s(&a), 2);		/* 1.5 s */
	EXPECT_INT(runset_stats_pct(&a, &b, &pct), 0);	/* 75 % exactly */
	EXPECT_INT(pct, 75);
	b = stats(S(8), -1, -1);
	a = stats(S(1.02), S(1.02), S(1.02));		/* 12.75 % */
	EXPECT_INT(runset_stats_pct(&a, &b, &pct), 0);
	EXPECT_INT(pct, 13);
}

/*
 * The talk's OpenSUSE ESXi row (7:24 native, 10:06, printed 73 and 137)
 * needs unrounded means: 606 / 444 is 136.49 %. Means of 443.6 s and
 * 606.4 s, which the talk would print as 7:24 and 10:06, give 137.
 */
TEST(percentages_come_from_unrounded_means)
{
	struct runset_stats base = stats(S(443.6), -1, -1), esxi = stats(S(606.4), -1, -1);
	int64_t speed, time;

	EXPECT_INT(runset_stats_mean_s(&base), 444);
	EXPECT_INT(runset_stats_mean_s(&esxi), 606);
	runset_stats_pct(&base, &esxi, &speed);
	runset_stats_pct(&esxi, &base, &time);
	EXPECT_INT(speed, 73);
	EXPECT_INT(time, 137);
}

TEST(pct_without_runs_or_with_zero_mean_is_edom)
{
	struct runset_stats none = { 0 }, zero = stats(0, -1, -1), one = stats(S(1), -1, -1);
	int64_t pct = 42;

	EXPECT_INT(runset_stats_pct(&one, &none, &pct), -EDOM);
	EXPECT_INT(runset_stats_pct(&none, &one, &pct), -EDOM);
	EXPECT_INT(runset_stats_pct(&one, &zero, &pct), -EDOM);
	EXPECT_INT(runset_stats_pct(&zero, &one, &pct), 0);
	EXPECT_INT(pct, 0);
}

TEST(exact_at_the_bounds)
{
	struct runset *rs = runset_new();
	struct runset_stats st;
	int64_t pct;
	int i;

	for (i = 0; i < RUNSET_MAX_RUNS; i++)
		EXPECT_INT(runset_add_run(rs, "big", NULL, RUNSET_MAX_RUN_NS, NULL, 0), 0);
	EXPECT_INT(runset_add_run(rs, "big", NULL, 1, NULL, 0), -ERANGE);
	EXPECT_INT(runset_add_run(rs, "other", NULL, RUNSET_MAX_RUN_NS + 1, NULL, 0), -ERANGE);
	runset_group_total(runset_group(rs, "big"), &st);
	EXPECT_INT(st.n, RUNSET_MAX_RUNS);
	EXPECT_INT(runset_stats_mean_s(&st), 100 * 86400);
	EXPECT_INT(runset_stats_pct(&st, &st, &pct), 0);
	EXPECT_INT(pct, 100);
	runset_free(rs);
}

TEST(add_run_rejects_bad_values)
{
	struct runset *rs = runset_new();
	struct runset_phase neg = { "make", -1 };

	EXPECT_INT(runset_add_run(rs, "", NULL, 1, NULL, 0), -EINVAL);
	EXPECT_INT(runset_add_run(rs, NULL, NULL, 1, NULL, 0), -EINVAL);
	EXPECT_INT(runset_add_run(rs, "a", NULL, -1, NULL, 0), -EINVAL);
	EXPECT_INT(runset_add_run(rs, "a", NULL, 1, &neg, 1), -EINVAL);
	EXPECT_INT(rs->n_groups, 0);
	runset_free(rs);
}

TEST(groups_keep_order_of_first_appearance)
{
	struct runset *rs = runset_new();

	runset_add_run(rs, "b", "1", 1, NULL, 0);
	runset_add_run(rs, "a", "2", 2, NULL, 0);
	runset_add_run(rs, "b", "3", 3, NULL, 0);
	EXPECT_INT(rs->n_groups, 2);
	EXPECT_STR(rs->groups[0].label, "b");
	EXPECT_INT(rs->groups[0].n_runs, 2);
	EXPECT_STR(rs->groups[0].runs[1].path, "3");
	EXPECT_STR(rs->groups[1].label, "a");
	EXPECT_TRUE(runset_group(rs, "c") == NULL);
	runset_free(rs);
}

TEST(phases_same_name_summed_and_stats_over_runs_that_have_them)
{
	struct runset_phase r1[] = { { "make", S(1) }, { "cc", S(2) }, { "make", S(3) } };
	struct runset_phase r2[] = { { "tar", S(5) }, { "make", S(6) } };
	const struct runset_group *g;
	struct runset *rs = runset_new();
	struct runset_stats st;
	const char **names;

	runset_add_run(rs, "x", NULL, S(10), r1, ARRAY_SIZE(r1));
	runset_add_run(rs, "x", NULL, S(20), r2, ARRAY_SIZE(r2));
	g = runset_group(rs, "x");
	EXPECT_INT(g->runs[0].n_phases, 2);
	EXPECT_INT(g->runs[0].phases[0].ns, S(4));
	runset_group_phase(g, "make", &st);
	EXPECT_INT(st.n, 2);
	EXPECT_INT(st.sum_ns, S(10));
	EXPECT_INT(st.min_ns, S(4));
	EXPECT_INT(st.max_ns, S(6));
	runset_group_phase(g, "tar", &st);
	EXPECT_INT(st.n, 1);
	runset_group_phase(g, "none", &st);
	EXPECT_INT(st.n, 0);
	names = runset_phase_names(&g, 1);
	EXPECT_TRUE(names != NULL);
	if (names) {
		EXPECT_STR(names[0], "make");
		EXPECT_STR(names[1], "cc");
		EXPECT_STR(names[2], "tar");
		EXPECT_TRUE(names[3] == NULL);
	}
	free(names);
	runset_free(rs);
}

/* ---- loading files ------------------------------------------------------ */

static char tmpdir[] = "/tmp/hvt-test-table.XXXXXX";

static void rm_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static const char *tmp_path(const char *name)
{
	static char path[256];
	static int made;

	/* Once: the name mkdtemp makes may itself contain an X. */
	if (!made) {
		if (!mkdtemp(tmpdir))
			return "/nonexistent/mkdtemp-failed";
		made = 1;
		atexit(rm_tmpdir);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A recording as the recorder writes it, through recfile's writer. */
static int make_recording(const char *path, const char *label, const char *complete,
			  int64_t wall_ns, int n_phases)
{
	static const char *const names[] = { "bench.sh", "tar", "configure", "make" };
	struct recfile *rf;
	char err[256];
	int i;

	rf = recfile_create(path, err, sizeof(err));
	if (!rf)
		return -1;
	recfile_begin(rf);
	if (label)
		recfile_set_meta(rf, "label", label);
	if (complete)
		recfile_set_meta(rf, "complete", complete);
	if (wall_ns >= 0)
		recfile_set_meta_int(rf, "wall_ns", wall_ns);
	for (i = 0; i < n_phases; i++) {
		int64_t start = 1000 + (int64_t)i * (wall_ns / n_phases);

		recfile_put_phase(rf, i, names[i % 4], i ? "mark" : "start", start, 0, 100);
		recfile_end_phase(rf, i, start + wall_ns / n_phases, 0, 0);
	}
	recfile_commit(rf);
	recfile_close(rf);
	return 0;
}

TEST(add_file_reads_a_bench_sh_log)
{
	const char *path = tmp_path("logfile-CENTOS-XEN-PARA-x86_64-4");
	struct runset *rs = runset_new();
	const struct runset_run *r;
	char err[256] = "";

	write_file(path, "checking...\n\nreal\t1m39.619s\nuser\t1m2.000s\nsys\t0m30.000s\n"
			 "make output\n\nreal\t6m10.562s\n\nreal\t7m52.780s\n");
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), 0);
	EXPECT_INT(rs->n_groups, 1);
	EXPECT_STR(rs->groups[0].label, XEN_PV);
	r = &rs->groups[0].runs[0];
	EXPECT_STR(r->path, path);
	EXPECT_INT(r->total_ns, S(472.780));
	EXPECT_INT(r->n_phases, 3);
	EXPECT_STR(r->phases[0].name, "tar");
	EXPECT_INT(r->phases[0].ns, S(472.780 - 99.619 - 370.562));
	EXPECT_STR(r->phases[2].name, "make");
	runset_free(rs);
}

TEST(add_file_reads_a_recording)
{
	const char *path = tmp_path("native-1.hvt");
	struct runset *rs = runset_new();
	const struct runset_run *r;
	char err[256] = "";

	EXPECT_INT(make_recording(path, "native", "1", S(369), 4), 0);
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), 0);
	EXPECT_STR(err, "");
	EXPECT_INT(rs->n_groups, 1);
	EXPECT_STR(rs->groups[0].label, "native");
	r = &rs->groups[0].runs[0];
	EXPECT_INT(r->total_ns, S(369));
	EXPECT_INT(r->n_phases, 4);
	EXPECT_STR(r->phases[0].name, "bench.sh");
	EXPECT_STR(r->phases[3].name, "make");
	EXPECT_INT(r->phases[3].ns, S(369) / 4);
	runset_free(rs);
}

TEST(add_file_tells_formats_apart_by_content_not_name)
{
	const char *rec = tmp_path("logfile-LOOKS-LIKE-A-LOG-1");
	struct runset *rs = runset_new();
	char err[256] = "";

	make_recording(rec, "really-a-recording", "1", S(1), 1);
	EXPECT_INT(runset_add_file(rs, rec, err, sizeof(err)), 0);
	EXPECT_STR(rs->groups[0].label, "really-a-recording");
	runset_free(rs);
}

TEST(add_file_rejects_missing_file_and_directory)
{
	struct runset *rs = runset_new();
	char err[256] = "";

	EXPECT_INT(runset_add_file(rs, "/nonexistent/logfile-A-B-C-1", err, sizeof(err)),
		   -ENOENT);
	EXPECT_STR(err, "cannot read '/nonexistent/logfile-A-B-C-1': No such file or directory");
	EXPECT_INT(runset_add_file(rs, "/tmp", err, sizeof(err)), -EISDIR);
	EXPECT_STR(err, "cannot read '/tmp': is a directory");
	runset_free(rs);
}

TEST(add_file_rejects_recording_without_label_wall_time_or_end)
{
	const char *path = tmp_path("bad.hvt");
	struct runset *rs = runset_new();
	char err[512] = "";

	make_recording(path, NULL, "1", S(1), 1);
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "has no label") != NULL);
	make_recording(path, "x", "0", S(1), 1);
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "is incomplete") != NULL);
	make_recording(path, "x", "1", -1, 0);
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "no valid wall time (meta 'wall_ns')") != NULL);
	EXPECT_INT(rs->n_groups, 0);
	runset_free(rs);
}

TEST(add_file_rejects_other_sqlite_files)
{
	const char *path = tmp_path("other.db");
	struct runset *rs = runset_new();
	char err[512] = "", cmd[512];

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'CREATE TABLE t(x);' 2>/dev/null", path);
	if (system(cmd)) {
		printf("skip - add_file_rejects_other_sqlite_files: no sqlite3 CLI\n");
		runset_free(rs);
		return;
	}
	EXPECT_INT(runset_add_file(rs, path, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "not an hvtrace recording") != NULL);
	runset_free(rs);
}
