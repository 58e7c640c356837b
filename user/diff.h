/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * diff: where the time went between two runs, or two sets of runs, of the same
 * benchmark (A and B), phase by phase. For each phase found in both sides,
 * dT = T_B - T_A (wall time, the means of each side's runs) is set against
 * categories: each syscall, each page-fault kind, process creation, run-queue
 * delay, CPU time, steal, and in a separate decomposition the host view's exit
 * reasons. Each category's difference is split into "more events" and "slower
 * events":
 *
 *	delta = (count_B - count_A) * mean_A + count_B * (mean_B - mean_A)
 *	        '------- more --------'        '-------- slower --------'
 *
 * Only categories whose times do not overlap are summed ("explained", ranked
 * by their size); what they leave of dT is the unexplained rest, which may be
 * negative. Blocking syscalls ("waiting"), time held inside other categories
 * ("inside") and calibrated categories without a unit cost ("not estimated")
 * are shown beside the sum, never in it. docs/attribution.md gives the
 * reasoning and what the numbers mean; cmd_diff.c prints the model.
 *
 * As in report.h, a ratio that is undefined is NAN; so is a time that cannot
 * be known (a calibrated category whose recording lacks the unit cost).
 */
#ifndef HVT_DIFF_H
#define HVT_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include "report.h"

struct recording;

/*
 * Calls of a syscall that may or may not wait (read on a file or on a pipe)
 * taking this long or longer count as waiting. A log2 histogram bucket edge,
 * so that the split is exact in counts.
 */
#define DIFF_WAIT_SPLIT_BUCKET 20
#define DIFF_WAIT_SPLIT_NS (1ULL << DIFF_WAIT_SPLIT_BUCKET)	/* 1.05 ms */

/* The calibration probes (user/calib.c) whose unit costs diff uses. */
#define DIFF_PROBE_FAULT "page_fault"
#define DIFF_PROBE_FORK "fork_exit"
#define DIFF_PROBE_EXEC "fork_exec_exit"
#define DIFF_PROBE_SYSCALL "null_syscall"

enum diff_class {
	DIFF_EXPLAINED,		/* summed: time no other summed category holds */
	DIFF_WAITING,		/* blocked: covers other processes' work or the clock */
	DIFF_INSIDE,		/* held inside the time of other categories */
	DIFF_NO_COST,		/* calibrated, but a side lacks the unit cost */
	DIFF_CLASSES,
};

enum diff_method {
	DIFF_TRACED,		/* the sum of traced latencies (direct) */
	DIFF_TRACED_SPLIT,	/* traced, the calls on one side of DIFF_WAIT_SPLIT_NS */
	DIFF_CALIBRATED,	/* count x the recording's calibrated unit cost */
	DIFF_CPU_TIME,		/* the kernel's CPU time accounting */
	DIFF_COUNT_ONLY,	/* events counted, no time */
};

/* One number over the runs of a side. */
struct diff_stats {
	size_t n;			/* runs */
	double mean, min, max;		/* NAN when any run's value is unknown */
	double stddev;			/* sample standard deviation; 0 for one run */
};

struct diff_cat {
	const char *group;		/* syscall, fault, process, sched, cpu, steal, exit, vmm */
	char *name;			/* getppid, user-write, fork+exit, EPT_VIOLATION, ... */
	enum diff_class cls;
	enum diff_method method;
	const char *probe;		/* calibration probe used, or NULL */
	const char *note;		/* why it is in its class, or NULL */
	int has_count;			/* 0: a time without events (steal) */
	struct diff_stats count_a, count_b;
	struct diff_stats time_a, time_b;	/* ns */
	/*
	 * Syscalls: the part of time_*.mean that is count x the calibrated cost
	 * of the user/kernel round trip, which the traced latency lacks
	 * (entry_exit set, probe "null_syscall"); 0 otherwise.
	 */
	int entry_exit;
	double entry_a_ns, entry_b_ns;
	double mean_a_ns, mean_b_ns;	/* time / count of the means */
	double delta_count;		/* count_b.mean - count_a.mean */
	double delta_ns;		/* time_b.mean - time_a.mean */
	double more_ns, slower_ns;	/* the split; NAN without counts or times */
	double share;			/* delta_ns / the phase's dT */
	double spread_ns;		/* the larger side's max - min of time; 0 for single runs */
	int rank;			/* 1, 2, ... among DIFF_EXPLAINED; 0 otherwise */
};

/* One view's decomposition of a phase's dT. */
struct diff_decomp {
	const char *view;		/* "guest" or "host"; NULL when absent */
	const char *basis;		/* host: "exit" or "vmm" (see docs/attribution.md) */
	struct diff_cat *cats;		/* by class, each by |delta_ns|, largest first */
	size_t n_cats;
	size_t n_class[DIFF_CLASSES];
	double explained_ns;		/* sum of the DIFF_EXPLAINED deltas */
	double unexplained_ns;		/* dT - explained_ns; NAN when dT is unknown */
};

enum diff_where {
	DIFF_IN_BOTH,			/* in every run of both sides: decomposed */
	DIFF_ONLY_A,
	DIFF_ONLY_B,
	DIFF_SOME_RUNS,			/* missing from some runs of a side: not compared */
};

struct diff_phase {
	char *name;			/* "total" for the whole runs */
	enum diff_where where;
	size_t runs_a, runs_b;		/* runs of each side that have it */
	struct diff_stats wall_a, wall_b;	/* ns, over the runs that have it */
	enum report_wall wall_kind;	/* the least exact wall of those runs */
	double delta_ns;		/* dT; NAN when a wall is unknown or not in both */
	double delta_rel;		/* dT / T_A */
	uint64_t lost_a, lost_b;	/* ring-buffer events lost: process counts are low */
	struct diff_decomp guest;
	struct diff_decomp host;	/* view NULL when not both sides have a host view */
	const char *host_note;		/* why there is no host decomposition, or NULL */
};

struct diff_run {
	char *path;
	char *label, *hostname, *kernel, *hypervisor;	/* NULL when absent */
	int complete;
	int calibrated;			/* has a calib table with rows */
	int has_host;			/* has host-view rows */
};

struct diff_side {
	struct diff_run *runs;
	size_t n_runs;
	const char *label;		/* the runs' common label, or NULL */
	int has_host;			/* every run has a host view */
};

struct diff {
	struct diff_side a, b;
	struct diff_phase *phases;	/* A's first run's order, then names first seen later */
	size_t n_phases;
	size_t n_common;		/* phases DIFF_IN_BOTH */
	struct diff_phase total;	/* the whole runs: always compared */
	const char *host_basis;		/* "exit", "vmm", or NULL: no host view anywhere */
	int entry_exit;			/* every run has the null_syscall unit cost */
};

/*
 * Builds the diff of the runs A (na >= 1) against the runs B (nb >= 1). The
 * model copies what it keeps. NULL with errno set: ENOMEM, or EINVAL for an
 * empty side.
 */
struct diff *diff_build(const struct recording *const *a, size_t na,
			const struct recording *const *b, size_t nb);
void diff_free(struct diff *d);

/* The phase named NAME, or NULL. */
const struct diff_phase *diff_phase_find(const struct diff *d, const char *name);

/* Stable names, as in the JSON (docs/diff-json.md). */
const char *diff_class_name(enum diff_class c);
const char *diff_method_name(enum diff_method m);
const char *diff_where_name(enum diff_where w);

#endif /* HVT_DIFF_H */
