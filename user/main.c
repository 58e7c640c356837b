// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace: the command table. Each command parses its own options. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "util.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "record", cmd_record, "run a command (or follow a process) and record where its time goes" },
	{ "report", cmd_report, "per-phase breakdown of a recording (text, --json, --csv, --html)" },
	{ "diff", cmd_diff, "where the time went between two runs (or sets of runs), ranked" },
	{ "mark", cmd_mark, "from inside a recorded workload: start a phase named NAME" },
	{ "bench", cmd_bench, "the talk's procedure: N recorded runs of a command, summed up" },
	{ "detect", cmd_detect, "which hypervisor or container this is, how it runs, and why" },
	{ "table", cmd_table, "the talk's result table: mean, min, max and % per label" },
	{ "calibrate", cmd_calibrate, "unit costs here: syscall, fault, fork, exec, cpuid, ..." },
	{ "merge", cmd_merge, "a guest's and its host's recordings as one, on one time line" },
	{ "top", cmd_top, "live view of a VM's exits, I/O and time in the VMM, like kvm_stat" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: hvtrace COMMAND [OPTIONS]\n\n"
		   "A kernel-assisted profiler that says why the same work runs slower\n"
		   "under one hypervisor than another.\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'hvtrace COMMAND --help' describes a command; 'man hvtrace-COMMAND' more.\n"
		   "\nExamples:\n"
		   "  sudo hvtrace record -o native.hvt --label native -- ./bench.sh\n"
		   "  hvtrace report native.hvt\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return HVT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HVT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hvtrace %s\n", HVT_VERSION);
		return HVT_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	hvt_err("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'hvtrace --help'.\n");
	return HVT_EXIT_USAGE;
}
