/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * recorder: one recording from start to end: loads the probes, starts or
 * follows the workload, tracks phases, reads the aggregates each tick into
 * the recording, and finishes it when the workload ends or is interrupted.
 * `hvtrace record` is a thin shell over it; `hvtrace bench` runs it N times.
 */
#ifndef HVT_RECORDER_H
#define HVT_RECORDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct record_opts {
	const char *output;	/* recording path */
	const char *label;
	const char *user;	/* run the workload as this user */
	unsigned int interval_ms;
	double duration_s;	/* 0: until the workload ends */
	pid_t pid;		/* follow this process tree instead of starting argv */
	const char *vm;		/* follow this libvirt domain's VMM (its QEMU process) */
	const char *connect;	/* libvirt URI for vm; NULL: the default */
	const char *host;	/* in a guest: channel to the host's recorder; NULL: auto */
	const char *channel;	/* on a host: the guest's channel (with pid or vm) */
	char **argv;		/* the command */
	int system_wide;
	int auto_phases;
	int quiet;		/* no progress lines on stderr */
	int prog_stats;		/* store the BPF programs' own cost (meta bpf.*) */
	int64_t calib_budget_ns;	/* calibration probes before the workload; 0: none */
	/* Called at each tick and phase change, e.g. for `hvtrace bench`'s progress line. */
	void (*on_progress)(void *ctx, int phase, const char *phase_name, int64_t elapsed_ns);
	void *progress_ctx;
};

/*
 * Records. On success returns 0 and the workload's exit code (a shell's: code
 * or 128 + signal; 0 when following --pid) in *ret_exit. On failure returns
 * -errno and a sentence in err; a recording already begun is closed readable.
 */
int recorder_run(const struct record_opts *opts, int *ret_exit, char *err, size_t errlen);

#endif /* HVT_RECORDER_H */
