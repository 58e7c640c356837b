// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * calib: the probes run here for real. These tests check sanity, not speed:
 * costs inside wide bounds, orderings that hold in every environment, the
 * statistics consistent, the budget kept. Stability is benchmarked, not
 * tested (bench/calib-stability.sh).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "calib.h"
#include "recfile.h"
#include "unit.h"
#include "util.h"

/*
 * Plausible unit costs, in ns. The upper bounds are 20x to 60x the slowest
 * this has measured (a nested, busy guest: fork 6.5 ms, page fault 42 us,
 * pipe round trip 59 us, getppid 1.7 us, cpuid 20 us); beyond them a probe
 * times something else (a hang, a wrong divisor, us taken for ns). The lower
 * bounds are below any hardware: a syscall is a ring change both ways, a
 * fault zeroes 4 KiB, fork copies a process. Below them the loop was
 * optimised away or the division is wrong.
 */
static const struct {
	const char *probe;
	double lo, hi;
} bounds[] = {
	{ "fork_exit", 1e3, 200e6 },
	{ "fork_exec_exit", 1e3, 200e6 },
	{ "page_fault", 50, 1e6 },
	{ "mmap_munmap", 50, 1e6 },
	{ "pipe_roundtrip", 100, 2e6 },
	{ "null_syscall", 20, 100e3 },
	{ "clock_gettime", 1, 100e3 },
	{ "cpuid", 1, 1e6 },
};

/* One full run shared by the tests that only read it: a run costs the budget. */
static const struct calib_result *full_run(void)
{
	static struct calib_result r;
	static int done, err;

	if (!done) {
		err = calib_run(NULL, &r);
		done = 1;
	}
	return err ? NULL : &r;
}

static const struct calib_probe_result *probe_of(const struct calib_result *r, const char *name)
{
	size_t i;

	for (i = 0; r && i < r->n; i++)
		if (!strcmp(r->probes[i].probe, name))
			return &r->probes[i];
	return NULL;
}

TEST(every_probe_runs_within_plausible_bounds)
{
	const struct calib_result *r = full_run();
	const struct calib_probe_result *p;
	size_t i, k;

	if (!r) {
		FAIL("calib_run(NULL) failed");
		return;
	}
	EXPECT_INT(r->n, CALIB_N_PROBES);
	for (i = 0; i < r->n; i++) {
		p = &r->probes[i];
		EXPECT_STR(p->probe, calib_probe_info(i)->name);
		if (p->err) {
			FAIL("%s: could not run: %s", p->probe, strerror(-p->err));
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(bounds) && strcmp(bounds[k].probe, p->probe); k++)
			;
		if (k == ARRAY_SIZE(bounds)) {
			FAIL("%s: no bounds in this test; add them", p->probe);
			continue;
		}
		if (!(p->unit_ns > bounds[k].lo && p->unit_ns < bounds[k].hi))
			FAIL("%s: unit %.1f ns outside (%g, %g)", p->probe, p->unit_ns,
			     bounds[k].lo, bounds[k].hi);
	}
}

TEST(median_lies_within_fastest_and_slowest_batch)
{
	const struct calib_result *r = full_run();
	const struct calib_probe_result *p;

	for (p = r ? r->probes : NULL; p && p < r->probes + r->n; p++) {
		if (p->err)
			continue;
		if (!(p->min_ns <= p->unit_ns && p->unit_ns <= p->max_ns))
			FAIL("%s: median %.1f not in [%.1f, %.1f]", p->probe, p->unit_ns,
			     p->min_ns, p->max_ns);
		if (!(p->spread_ns >= 0 && p->spread_ns <= (p->max_ns - p->min_ns) / 2))
			FAIL("%s: spread %.1f not in [0, (max-min)/2 = %.1f]", p->probe,
			     p->spread_ns, (p->max_ns - p->min_ns) / 2);
		if (p->batches < CALIB_MIN_BATCHES || p->batches > CALIB_MAX_BATCHES)
			FAIL("%s: %d batches, expected %d..%d", p->probe, p->batches,
			     CALIB_MIN_BATCHES, CALIB_MAX_BATCHES);
		if (p->iterations < p->batches)
			FAIL("%s: %lld iterations in %d batches", p->probe,
			     (long long)p->iterations, p->batches);
	}
	if (!r)
		FAIL("calib_run(NULL) failed");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Where fork costs milliseconds (a nested guest on a busy host) its cost drifts
 * by more than an exec adds within a second or two, so the two probes of one
 * run can come out in either order. Short runs of each, alternated, drift
 * alike: the median of the paired differences says which costs more.
 */
TEST(fork_exec_costs_more_than_fork_exit)
{
	enum { PAIRS = 7 };
	static const char *const fork_exit[] = { "fork_exit" };
	static const char *const fork_exec[] = { "fork_exec_exit" };
	struct calib_opts of = { .probes = fork_exit, .n_probes = 1, .budget_ns = 50000000 };
	struct calib_opts oe = { .probes = fork_exec, .n_probes = 1, .budget_ns = 50000000 };
	struct calib_result rf, re;
	double diff[PAIRS];
	int i;

	for (i = 0; i < PAIRS; i++) {
		if (calib_run(&of, &rf) || calib_run(&oe, &re) || rf.probes[0].err ||
		    re.probes[0].err) {
			FAIL("fork_exit or fork_exec_exit did not run");
			return;
		}
		diff[i] = re.probes[0].unit_ns - rf.probes[0].unit_ns;
	}
	EXPECT_STR(re.probes[0].method, "memfd helper");
	qsort(diff, PAIRS, sizeof(diff[0]), cmp_double);
	if (!(diff[PAIRS / 2] > 0))
		FAIL("fork_exec_exit - fork_exit: median %.0f ns of %d pairs (%.0f..%.0f)",
		     diff[PAIRS / 2], PAIRS, diff[0], diff[PAIRS - 1]);
}

/*
 * The vDSO reads the clock in user space only where the clocksource allows;
 * elsewhere (xen, hpet, acpi_pm, an unstable kvm-clock) clock_gettime is a
 * syscall itself and the comparison says nothing.
 */
static int vdso_clocksource(char *name, size_t len)
{
	static const char *const vdso[] = { "tsc", "kvm-clock", "hyperv_clocksource_tsc_page",
					    "arch_sys_counter" };
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	size_t i;

	snprintf(name, len, "unknown");
	if (!f)
		return 0;
	if (fgets(name, len, f))
		name[strcspn(name, "\n")] = '\0';
	fclose(f);
	for (i = 0; i < ARRAY_SIZE(vdso); i++)
		if (!strcmp(name, vdso[i]))
			return 1;
	return 0;
}

TEST(syscall_costs_more_than_vdso_clock_gettime)
{
	const struct calib_result *r = full_run();
	const struct calib_probe_result *s = probe_of(r, "null_syscall");
	const struct calib_probe_result *c = probe_of(r, "clock_gettime");
	char cs[64];

	if (!vdso_clocksource(cs, sizeof(cs))) {
		printf("skip - %s: clocksource %s has no vDSO read\n", __func__, cs);
		return;
	}
	if (!s || !c || s->err || c->err) {
		FAIL("null_syscall or clock_gettime did not run");
		return;
	}
	if (!(s->unit_ns > c->unit_ns))
		FAIL("getppid %.1f ns <= clock_gettime %.1f ns (clocksource %s)", s->unit_ns,
		     c->unit_ns, cs);
}

/*
 * A probe stops at its deadline and overruns by one batch at most (a
 * fifteenth of its share); deadlines count from the start of the run, so the
 * next probes absorb it. What is left is the last, cheapest probe's batch
 * plus scheduling on a busy machine: 10 % + 20 ms.
 */
TEST(whole_run_keeps_its_budget)
{
	const int64_t budget = 600000000;
	struct calib_opts o = { .budget_ns = budget };
	struct calib_result r;
	int64_t t0, wall;
	int err;

	t0 = now_mono_ns();
	err = calib_run(&o, &r);
	wall = now_mono_ns() - t0;
	EXPECT_INT(err, 0);
	EXPECT_INT(r.budget_ns, budget);
	if (wall > budget + budget / 10 + 20000000)
		FAIL("took %.1f ms for a budget of %.1f ms", wall / 1e6, budget / 1e6);
	if (wall < budget / 2)
		FAIL("took %.1f ms of a budget of %.1f ms: batches not sized by time",
		     wall / 1e6, budget / 1e6);
	if (r.elapsed_ns > wall)
		FAIL("reports %.1f ms, measured %.1f ms", r.elapsed_ns / 1e6, wall / 1e6);
}

TEST(only_named_probes_run_in_table_order)
{
	static const char *const names[] = { "cpuid", "null_syscall", "cpuid" };
	struct calib_opts o = { .probes = names, .n_probes = 3, .budget_ns = 50000000 };
	struct calib_result r;

	EXPECT_INT(calib_run(&o, &r), 0);
	EXPECT_INT(r.n, 2);
	EXPECT_STR(r.probes[0].probe, "null_syscall");
	EXPECT_STR(r.probes[1].probe, "cpuid");
	EXPECT_INT(r.probes[0].err, 0);
	EXPECT_INT(r.probes[1].err, 0);
}

TEST(unknown_probe_or_bad_budget_is_einval)
{
	static const char *const names[] = { "null_syscall", "fork" };
	struct calib_opts o = { .probes = names, .n_probes = 2 };
	struct calib_result r;

	EXPECT_INT(calib_run(&o, &r), -EINVAL);
	EXPECT_INT(r.n, 0);
	o.n_probes = 1;
	o.budget_ns = -1;
	EXPECT_INT(calib_run(&o, &r), -EINVAL);
	o.budget_ns = CALIB_MAX_BUDGET_NS + 1;
	EXPECT_INT(calib_run(&o, &r), -EINVAL);
}

TEST(probe_find_knows_every_listed_probe)
{
	const struct calib_probe_info *pi;
	size_t i;

	for (i = 0; (pi = calib_probe_info(i)); i++)
		EXPECT_INT(calib_probe_find(pi->name), i);
	EXPECT_INT(i, CALIB_N_PROBES);
	EXPECT_INT(calib_probe_find("fork"), -ENOENT);
	EXPECT_INT(calib_probe_find(""), -ENOENT);
}

/* The fallback for guests where the memfd helper cannot run: this binary, re-executed. */
TEST(self_exec_fallback_runs_fork_exec)
{
	static const char *const names[] = { "fork_exec_exit" };
	struct calib_opts o = { .probes = names, .n_probes = 1, .budget_ns = 100000000,
				.self_exec = 1 };
	struct calib_result r;

	EXPECT_INT(calib_run(&o, &r), 0);
	EXPECT_INT(r.n, 1);
	EXPECT_INT(r.probes[0].err, 0);
	EXPECT_STR(r.probes[0].method, "self re-exec");
	EXPECT_TRUE(r.probes[0].unit_ns > 0);
}

TEST(store_writes_the_probes_that_ran)
{
	struct calib_result r = { .n = 2 };
	char path[] = "/tmp/hvtrace-test-calib.XXXXXX", err[256];
	struct recording *rec;
	struct recfile *rf;
	int fd;

	r.probes[0] = (struct calib_probe_result){ .probe = "null_syscall", .unit_ns = 123.5,
						   .spread_ns = 4.25, .iterations = 1000 };
	r.probes[1] = (struct calib_probe_result){ .probe = "cpuid", .err = -EOPNOTSUPP };
	fd = mkstemp(path);
	if (fd < 0) {
		FAIL("mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	rf = recfile_create(path, err, sizeof(err));
	if (!rf) {
		FAIL("recfile_create: %s", err);
		goto out_unlink;
	}
	EXPECT_INT(calib_store(&r, rf), 0);
	recfile_close(rf);
	rec = recording_load(path, err, sizeof(err));
	if (!rec) {
		FAIL("recording_load: %s", err);
		goto out_unlink;
	}
	EXPECT_INT(rec->n_calib, 1);
	if (rec->n_calib == 1) {
		EXPECT_STR(rec->calib[0].probe, "null_syscall");
		EXPECT_NEAR(rec->calib[0].unit_ns, 123.5, 1e-9);
		EXPECT_NEAR(rec->calib[0].spread_ns, 4.25, 1e-9);
		EXPECT_INT(rec->calib[0].iterations, 1000);
	}
	recording_free(rec);
out_unlink:
	unlink(path);
}
