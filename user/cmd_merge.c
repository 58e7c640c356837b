// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace merge: a guest recording and a host recording of one run, into one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "cmds.h"
#include "merge.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace merge [OPTIONS] GUEST.hvt HOST.hvt -o BOTH.hvt\n"
		"\n"
		"Joins the recording made inside a guest and the one made on its host at the\n"
		"same time into one recording with both views: the guest's phases placed on\n"
		"the host's time line, the guest's statistics under view 'guest', the host's\n"
		"under view 'host', counted per guest phase.\n"
		"\n"
		"The clock offset between guest and host comes from the host recording (the\n"
		"host measured it over the agent channel while both recorded). Without it,\n"
		"merge refuses unless told the offset or told that both clocks are one.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE       merged recording to write (required)\n"
		"      --offset-ns N       guest clock minus host clock, in ns (overrides the\n"
		"                          host recording's clock sync)\n"
		"      --assume-same-clock no sync data: take both CLOCK_MONOTONICs as one\n"
		"                          (both recordings made on the same machine)\n"
		"  -q, --quiet             no summary or notes (warnings still)\n"
		"  -h, --help              this text\n"
		"\n"
		"Examples:\n"
		"  hvtrace merge kvm.hvt kvm-host.hvt -o kvm-both.hvt\n"
		"  hvtrace merge --offset-ns -1520334 guest.hvt host.hvt -o both.hvt\n"
		"  hvtrace report kvm-both.hvt\n");
}

static int parse_i64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "offset-ns", required_argument, NULL, 'O' },
		{ "assume-same-clock", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct merge_opts o = { 0 };
	struct merge_result res;
	char err[768], a[32], clk[256];
	int c, i, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_path = optarg;
			break;
		case 'O':
			if (parse_i64(optarg, &o.offset_ns))
				return hvt_usage_err("merge", "--offset-ns: '%s' is not a whole "
						     "number of nanoseconds", optarg);
			o.have_offset = 1;
			break;
		case 'S':
			o.assume_same_clock = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			return hvt_usage_err("merge", "bad option");
		}
	}
	if (argc - optind != 2)
		return hvt_usage_err("merge", "give two recordings, GUEST.hvt and HOST.hvt "
				     "(got %d)", argc - optind);
	if (!o.out_path || !*o.out_path)
		return hvt_usage_err("merge", "no output: give -o BOTH.hvt");
	if (o.have_offset && o.assume_same_clock)
		return hvt_usage_err("merge", "give either --offset-ns or --assume-same-clock, "
				     "not both");
	o.guest_path = argv[optind];
	o.host_path = argv[optind + 1];

	if (merge_recordings(&o, &res, err, sizeof(err))) {
		hvt_err("%s", err);
		return HVT_EXIT_FAIL;
	}
	for (i = 0; i < res.n_warn; i++)
		hvt_warn("%s", res.warn[i]);
	if (!strcmp(res.clock_source, "same-clock"))
		hvt_warn("assumed that guest and host share one clock (--assume-same-clock): how "
			 "exact the alignment is, is unknown");
	if (quiet)
		return HVT_EXIT_OK;
	for (i = 0; i < res.n_note; i++)
		fprintf(stderr, "hvtrace: note: %s\n", res.note[i]);
	fprintf(stderr, "hvtrace: %zu guest phases on the host's time line (clock from %s, drift "
		"%.3f ppm); host view %s; wrote %s\n", res.phases, res.clock_source,
		res.clock.drift_ppm, res.host_by_series ? "split by time from its series" :
		"per phase as recorded", o.out_path);
	/* The raw offset is hours between two machines' clocks: say what it means. */
	clock_offset_describe(res.clock.offset_ns, clk, sizeof(clk));
	if (res.clock.uncertainty_ns >= 0)
		fprintf(stderr, "hvtrace: clock: %s; guest times are placed on the host's to "
			"+-%s\n", clk, fmt_ns(a, sizeof(a), res.clock.uncertainty_ns));
	else
		fprintf(stderr, "hvtrace: clock: %s; how exactly guest times are placed on the "
			"host's is unknown\n", clk);
	return HVT_EXIT_OK;
}
