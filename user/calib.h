/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * calib: calibration probes. Short microbenchmarks that measure, in the
 * environment they run in (native or any guest), the unit cost of what
 * virtualization makes expensive: process creation, page faults, address
 * space changes, context switches, syscalls, clock reads and cpuid. The
 * recorder stores the results so that counts x unit costs can estimate time
 * where no direct latency was traced.
 *
 * Each probe: setup, warm-up (also sizes the batches), then batches until its
 * share of the time budget is used (at least CALIB_MIN_BATCHES). A batch
 * yields one unit cost (timed ns / iterations); a probe reports the median
 * of its batches and, as spread, half their inter-quartile range. Probes
 * that never block are timed in the thread's CPU time, so that preemption
 * does not count as their cost; those that wait for a child in wall time.
 */
#ifndef HVT_CALIB_H
#define HVT_CALIB_H

#include <stddef.h>
#include <stdint.h>

struct recfile;

#define CALIB_N_PROBES 8
#define CALIB_MAX_BATCHES 64		/* batches a probe aims for in its share of the budget */
#define CALIB_MIN_BATCHES 5		/* run even when the budget is used up */
#define CALIB_DEFAULT_BUDGET_NS 1500000000LL
#define CALIB_MAX_BUDGET_NS 600000000000LL

struct calib_probe_info {
	const char *name;		/* "fork_exit", ... : the key in the recording */
	const char *what;		/* what one iteration is, one line */
};

/* The probes in the order they run; NULL past the last. */
const struct calib_probe_info *calib_probe_info(size_t i);
/* Index of the probe named NAME, or -ENOENT. */
int calib_probe_find(const char *name);

struct calib_opts {
	const char *const *probes;	/* names of the probes to run; n_probes == 0: all */
	size_t n_probes;
	int64_t budget_ns;		/* wall time for all of them; 0: CALIB_DEFAULT_BUDGET_NS */
	int self_exec;			/* fork_exec_exit re-executes this binary, not the helper */
};

struct calib_probe_result {
	const char *probe;		/* static, from the probe table */
	const char *what;
	const char *method;		/* how it ran where that varies ("memfd helper", ...) */
	const char *clock;		/* "cpu": this thread's CPU time; "wall": elapsed time */
	int err;			/* 0, or -errno: the probe could not run; no numbers */
	double unit_ns;			/* median of the batches' unit costs */
	double spread_ns;		/* half the inter-quartile range of the batches */
	double min_ns, max_ns;		/* the fastest and slowest batch */
	int64_t iterations;		/* timed iterations, all batches (warm-up excluded) */
	int batches;
	int64_t elapsed_ns;		/* wall time, setup and warm-up included */
};

struct calib_result {
	struct calib_probe_result probes[CALIB_N_PROBES];	/* in run order */
	size_t n;
	int64_t budget_ns;
	int64_t elapsed_ns;		/* wall time of the whole run */
};

/*
 * Runs the probes O selects (all when O is NULL) and fills RET. Prints
 * nothing. Returns 0 when the probes ran, each with its own err (a probe that
 * cannot run does not stop the others); -EINVAL for an unknown probe name or
 * a budget out of range. Forks children and reaps them by pid, so the caller
 * must not reap all children (waitpid(-1), SIGCHLD ignored) meanwhile.
 */
int calib_run(const struct calib_opts *o, struct calib_result *ret);

/* Writes the probes that ran (err == 0) into the recording's calib table. */
int calib_store(const struct calib_result *r, struct recfile *rf);

#endif /* HVT_CALIB_H */
