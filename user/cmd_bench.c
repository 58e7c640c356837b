// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace bench: the talk's procedure, recorded: N runs of a command, summed up. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "calib.h"
#include "cmds.h"
#include "recorder.h"
#include "runset.h"
#include "util.h"

struct bench_progress {
	int run, runs;
	int tty;
	int last_phase;
	int64_t done_ns;	/* wall time of the runs finished so far */
};

/* m:ss.t, tenths rounded: precise enough for short runs, the talk's shape for long ones. */
static void fmt_mss(char *buf, size_t len, int64_t ns)
{
	int64_t t = (ns + 50000000) / 100000000;

	snprintf(buf, len, "%lld:%02lld.%lld", (long long)(t / 600), (long long)(t / 10 % 60),
		 (long long)(t % 10));
}

static void on_progress(void *ctx, int phase, const char *name, int64_t elapsed_ns)
{
	struct bench_progress *bp = ctx;
	char el[16], left[24] = "";

	fmt_mss(el, sizeof(el), elapsed_ns);
	if (bp->run > 1) {	/* the mean of finished runs predicts the rest */
		int64_t mean = bp->done_ns / (bp->run - 1);
		int64_t rest = mean * (bp->runs - bp->run + 1) - elapsed_ns;
		char t[16];

		fmt_mss(t, sizeof(t), rest > 0 ? rest : 0);
		snprintf(left, sizeof(left), ", about %s left", t);
	}
	if (bp->tty) {
		fprintf(stderr, "\r\033[Krun %d/%d  phase %-16.16s %s%s", bp->run, bp->runs, name, el,
			left);
	} else if (phase != bp->last_phase) {
		fprintf(stderr, "hvtrace: run %d/%d: phase %s at %s%s\n", bp->run, bp->runs, name, el,
			left);
	}
	bp->last_phase = phase;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace bench [OPTIONS] -- COMMAND [ARGS...]\n"
		"\n"
		"The talk's procedure, recorded: runs COMMAND N times, each under 'hvtrace record'\n"
		"into DIR/LABEL-<i>.hvt, shows progress, and ends with mean, min and max per\n"
		"phase. Runs follow each other; COMMAND cleans up after itself (as the talk's\n"
		"bench.sh removes the unpacked tree).\n"
		"\n"
		"Options:\n"
		"  -n, --runs N          number of runs (default 5)\n"
		"  -l, --label LABEL     label of the runs (default bench)\n"
		"  -o, --output DIR      where the recordings go (default .; created)\n"
		"  -i, --interval MS     recorder tick (default 1000)\n"
		"  -q, --quiet           no progress, only the summary\n"
		"      --no-calibrate    skip the unit-cost probes before each run (1.5 s)\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit status: 0 when every run succeeded; 1 when a run failed or could not be\n"
		"recorded (the other runs still happen); 2 for a usage error.\n"
		"\n"
		"Examples:\n"
		"  sudo hvtrace bench --runs 5 --label CENTOS-KVM -o runs -- tools/bench.sh\n"
		"  hvtrace table --baseline native runs/*.hvt native/*.hvt\n");
}

static void print_summary(const struct runset *rs, const char *label)
{
	const struct runset_group *g = runset_group(rs, label);
	const char **names;
	struct runset_stats st;
	char a[16], b[16], c[16];
	size_t i;

	if (!g)
		return;
	printf("%-20s %5s %9s %9s %9s\n", "phase", "runs", "mean", "min", "max");
	names = runset_phase_names(&g, 1);
	for (i = 0; names && names[i]; i++) {
		runset_group_phase(g, names[i], &st);
		if (!st.n)
			continue;
		fmt_mss(a, sizeof(a), runset_stats_mean_ns(&st));
		fmt_mss(b, sizeof(b), st.min_ns);
		fmt_mss(c, sizeof(c), st.max_ns);
		printf("%-20.20s %5zu %9s %9s %9s\n", names[i], st.n, a, b, c);
	}
	free(names);
	runset_group_total(g, &st);
	fmt_mss(a, sizeof(a), runset_stats_mean_ns(&st));
	fmt_mss(b, sizeof(b), st.min_ns);
	fmt_mss(c, sizeof(c), st.max_ns);
	printf("%-20s %5zu %9s %9s %9s\n", "total", st.n, a, b, c);
}

int cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct record_opts o = { .interval_ms = 1000, .auto_phases = 1,
				  .calib_budget_ns = CALIB_DEFAULT_BUDGET_NS, .quiet = 1 };
	struct bench_progress bp = { .tty = isatty(STDERR_FILENO), .last_phase = -1 };
	const char *label = "bench", *dir = ".";
	char path[4096], err[512];
	struct runset *rs;
	int c, i, runs = 5, quiet = 0, failed = 0, exit_code;
	uint64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:l:o:i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 1000, &v) || !v)
				return hvt_usage_err("bench", "--runs: '%s' is not a number from 1 "
						     "to 1000", optarg);
			runs = v;
			break;
		case 'l':
			label = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, 3600000, &v) || v < 10)
				return hvt_usage_err("bench", "--interval: '%s' is not a number "
						     "of milliseconds from 10 to 3600000", optarg);
			o.interval_ms = v;
			break;
		case 'C':
			o.calib_budget_ns = 0;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			return hvt_usage_err("bench", "bad option");
		}
	}
	if (optind >= argc)
		return hvt_usage_err("bench", "no COMMAND to run: give -- COMMAND [ARGS...]");
	if (!*label || strchr(label, '/'))
		return hvt_usage_err("bench", "--label: '%s' cannot be part of a file name", label);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		hvt_err("bench: cannot create '%s': %s", dir, strerror(errno));
		return HVT_EXIT_FAIL;
	}
	rs = runset_new();
	if (!rs) {
		hvt_err("bench: out of memory");
		return HVT_EXIT_FAIL;
	}
	o.argv = argv + optind;
	o.label = label;
	o.output = path;
	if (!quiet) {
		o.on_progress = on_progress;
		o.progress_ctx = &bp;
	}
	bp.runs = runs;
	for (i = 1; i <= runs; i++) {
		bp.run = i;
		bp.last_phase = -1;
		snprintf(path, sizeof(path), "%s/%s-%d.hvt", dir, label, i);
		if (recorder_run(&o, &exit_code, err, sizeof(err))) {
			if (bp.tty && !quiet)
				fputc('\n', stderr);
			hvt_err("bench: run %d/%d: %s", i, runs, err);
			failed = 1;
			if (i == 1)	/* nothing will work better the second time */
				break;
			continue;
		}
		if (runset_add_file(rs, path, err, sizeof(err))) {
			hvt_err("bench: run %d/%d: %s", i, runs, err);
			failed = 1;
			continue;
		}
		bp.done_ns += rs->groups[0].runs[rs->groups[0].n_runs - 1].total_ns;
		if (bp.tty && !quiet)
			fputc('\n', stderr);
		if (!quiet || exit_code)
			fprintf(stderr, "hvtrace: run %d/%d: exit status %d, %s\n", i, runs,
				exit_code, path);
		if (exit_code)
			failed = 1;
		if (exit_code == 128 + 2 || exit_code == 128 + 15) {	/* SIGINT, SIGTERM */
			hvt_err("bench: interrupted after run %d/%d", i, runs);
			break;
		}
	}
	if (rs->n_groups)
		print_summary(rs, label);
	runset_free(rs);
	return failed ? HVT_EXIT_FAIL : HVT_EXIT_OK;
}
