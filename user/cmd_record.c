// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace record: options, then the recorder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "cmds.h"
#include "recorder.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace record [OPTIONS] -- COMMAND [ARGS...]\n"
		"       hvtrace record [OPTIONS] --pid PID\n"
		"       hvtrace record [OPTIONS] --vm NAME [--connect URI]\n"
		"\n"
		"Runs COMMAND (or follows process PID and its descendants) and records, per\n"
		"phase, its syscalls with latencies, page faults, process creation, context\n"
		"switches, run-queue delay, steal time and CPU time. Exits with COMMAND's status.\n"
		"\n"
		"Phases: each command exec'd by a direct child of COMMAND opens a phase named\n"
		"after it (a script running tar, configure, make gives those three); or the\n"
		"workload calls 'hvtrace mark NAME', which takes over from automatic phases.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE     recording to write (default hvtrace.hvt)\n"
		"  -l, --label LABEL     label of this run, e.g. native or CENTOS-KVM (default:\n"
		"                        what 'hvtrace detect' says, e.g. KVM or bare metal)\n"
		"  -i, --interval MS     tick: how often aggregates are stored (default 1000)\n"
		"  -a, --system-wide     count every process, not only COMMAND's tree\n"
		"  -u, --user USER       run COMMAND as USER (default: the sudo caller)\n"
		"  -p, --pid PID         follow a running process tree instead of COMMAND\n"
		"      --vm NAME         follow a libvirt domain: its QEMU process and vCPU\n"
		"                        threads, and libvirt's domain stats each tick; with\n"
		"                        the guest's channel from the domain's XML (a unix\n"
		"                        <channel> with target name org.hvtrace.0), if any\n"
		"      --connect URI     libvirt connection for --vm (default qemu:///system)\n"
		"\n"
		"Guest and host together (docs/protocol.md):\n"
		"      --host SPEC       in a guest: send phases, clock pings and the recording\n"
		"                        to the host's recorder: auto (default: virtio-serial port\n"
		"                        org.hvtrace.0, else vsock), none, virtio[:NAME],\n"
		"                        vsock[:CID]:PORT, tcp:ADDR:PORT, unix:PATH\n"
		"      --channel SPEC    on the host, with --pid or --vm: the guest's channel\n"
		"                        (QEMU's -chardev socket path, libvirt's unix channel,\n"
		"                        vsock:PORT or tcp:ADDR:PORT; none: no guest, not even\n"
		"                        the domain's own); the guest's phases become the\n"
		"                        recording's and its recording is merged in\n"
		"  -d, --duration SEC    stop after SEC seconds (COMMAND gets SIGTERM)\n"
		"      --no-auto-phases  phases only from 'hvtrace mark'\n"
		"      --no-calibrate    skip the unit-cost probes run before COMMAND (1.5 s)\n"
		"      --bpf-stats       store what each BPF program cost (kernel's run-time\n"
		"                        statistics; adds ~20 ns per event while on)\n"
		"  -q, --quiet           no progress lines\n"
		"  -h, --help            this text\n"
		"\n"
		"Needs root, or CAP_BPF and CAP_PERFMON.\n"
		"\n"
		"Examples:\n"
		"  sudo hvtrace record -o native.hvt --label native -- ./bench.sh\n"
		"  sudo hvtrace record -o make.hvt -- make -j2\n"
		"  sudo hvtrace record --pid 4242 --duration 60 -o server.hvt\n"
		"  sudo hvtrace record --vm centos64 -o kvm-host.hvt   # both views, given the channel\n"
		"  sudo hvtrace record --pid $(cat qemu.pid) --channel /run/vm1.sock -o both.hvt\n"
		"  hvtrace report native.hvt\n");
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "system-wide", no_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "vm", required_argument, NULL, 'V' },
		{ "connect", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "channel", required_argument, NULL, 'L' },
		{ "duration", required_argument, NULL, 'd' },
		{ "no-auto-phases", no_argument, NULL, 'A' },
		{ "bpf-stats", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-calibrate", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct record_opts o = { .output = "hvtrace.hvt", .interval_ms = 1000, .auto_phases = 1,
				  .calib_budget_ns = CALIB_DEFAULT_BUDGET_NS };
	char err[512], *end;
	uint64_t v;
	int c, ret, exit_code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:l:i:au:p:d:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, 3600000, &v) || v < 10)
				return hvt_usage_err("record", "--interval: '%s' is not a number "
						     "of milliseconds from 10 to 3600000", optarg);
			o.interval_ms = v;
			break;
		case 'a':
			o.system_wide = 1;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1 << 22, &v) || v == 0)
				return hvt_usage_err("record", "--pid: '%s' is not a process id",
						     optarg);
			o.pid = v;
			break;
		case 'V':
			o.vm = optarg;
			break;
		case 'c':
			o.connect = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'L':
			o.channel = optarg;
			break;
		case 'd':
			o.duration_s = strtod(optarg, &end);
			if (*end || !(o.duration_s > 0) || o.duration_s > 1e7)
				return hvt_usage_err("record", "--duration: '%s' is not a positive "
						     "number of seconds", optarg);
			break;
		case 'A':
			o.auto_phases = 0;
			break;
		case 'S':
			o.prog_stats = 1;
			break;
		case 'C':
			o.calib_budget_ns = 0;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			return hvt_usage_err("record", "bad option");
		}
	}
	if (optind < argc)
		o.argv = argv + optind;
	if (!!o.argv + !!o.pid + !!o.vm == 0)
		return hvt_usage_err("record", "nothing to record: give -- COMMAND, --pid PID or "
				     "--vm NAME");
	if (!!o.argv + !!o.pid + !!o.vm > 1)
		return hvt_usage_err("record", "give one of COMMAND, --pid and --vm");
	if (o.connect && !o.vm)
		return hvt_usage_err("record", "--connect goes with --vm");
	if (o.host && !o.argv)
		return hvt_usage_err("record", "--host goes with COMMAND (the guest side)");
	if (o.channel && !o.pid && !o.vm)
		return hvt_usage_err("record", "--channel goes with --pid or --vm (the host side)");
	if (!*o.output)
		return hvt_usage_err("record", "--output: empty file name");

	ret = recorder_run(&o, &exit_code, err, sizeof(err));
	if (ret) {
		hvt_err("%s", err);
		return HVT_EXIT_FAIL;
	}
	return exit_code;
}
