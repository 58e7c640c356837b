/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * report: the per-phase model of a recording. report_build() turns a loaded
 * recording into one summary per phase plus the run's totals; printing is the
 * caller's job (cmd_report.c), and diff and table compare these models.
 *
 * Only the guest view is summarised here (see docs/recording-format.md);
 * stats of kinds or views this version does not know are skipped, so newer
 * recorders' extra rows do not break older reports.
 *
 * Ratios (means, shares, percentiles) are NAN when they are undefined: a mean
 * of zero events, a share of a zero total, a percentile without a histogram.
 * Printers show NAN as "-" (text), null (JSON) or an empty field (CSV).
 */
#ifndef HVT_REPORT_H
#define HVT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/hvtrace.h"

struct recording;

/* A latency aggregate: one syscall, or the run-queue delay. */
struct report_lat {
	int64_t key;			/* syscall number; 0 for the run-queue delay */
	char *name;
	uint64_t count, sum_ns, min_ns, max_ns;
	uint64_t hist[HVT_HIST_SLOTS];
	int has_hist;
	double mean_ns;			/* sum_ns / count (exact) */
	double p50_ns, p99_ns;		/* estimated from hist, clamped to max_ns (hist.h) */
	double share;			/* of the phase's syscall time */
};

/* A perf counter in a phase. */
struct report_counter {
	char *event;
	int supported;			/* 0: the machine has no such event (no PMU) */
	uint64_t value, enabled_ns, running_ns;
	double scaled;			/* value * enabled / running when multiplexed */
};

enum report_wall {
	REPORT_WALL_EXACT,
	REPORT_WALL_AT_LEAST,		/* unfinished: up to the last thing recorded */
	REPORT_WALL_UNKNOWN,		/* unfinished and nothing recorded after its start */
};

struct report_phase {
	int id;				/* -1 for the run's totals */
	char *name;			/* "total" for the totals */
	char *source;			/* start | auto | mark | ...; "" for the totals */
	int pid;			/* that opened the phase; 0 when unknown */
	int exit_status;		/* its wait status; -1 when unknown, and in the totals */
	int finished;			/* 0: its end was never recorded (recorder killed) */
	int64_t start_mono, end_mono;	/* end_mono 0 when unfinished */
	uint64_t wall_ns;
	enum report_wall wall_kind;
	double share_of_run;		/* wall_ns / the run's wall time */

	uint64_t cpu_user_ns, cpu_sys_ns;	/* of threads that ended in the phase */
	uint64_t cpu_threads;
	uint64_t oncpu_ns;
	uint64_t proc[HVT_PROC_KINDS];
	uint64_t procs_started;		/* fork + vfork + clone */
	uint64_t fault[HVT_FAULT_KINDS];
	uint64_t faults;
	uint64_t ctx_voluntary, ctx_involuntary;
	struct report_lat runq;
	uint64_t steal_ns;
	double steal_share;		/* of wall_ns */
	uint64_t lost;			/* ring buffer events dropped */

	uint64_t syscall_count, syscall_ns;
	struct report_lat *syscalls;	/* every syscall seen, most total time first */
	size_t n_syscalls;

	struct report_counter *counters;	/* by event name */
	size_t n_counters;
};

struct report {
	char *path;
	/* From the recording's meta table; NULL when absent. */
	char *label, *command, *hostname, *kernel, *cpu_model, *hypervisor, *scope;
	char *hvtrace_version;
	int64_t cpu_count, mem_bytes;		/* -1 when absent */
	int64_t start_real_ns;			/* 0 when absent */
	int64_t exit_status;			/* of the workload; -1 when unknown */
	int64_t rusage_user_ns, rusage_sys_ns;	/* whole tree, from wait4; -1 when absent */
	int64_t phases_merged;
	uint64_t lost_events;		/* meta lost_events, or the phases' sum without it */
	int complete;			/* the recorder ended normally */

	struct report_phase *phases;	/* by id */
	size_t n_phases;
	struct report_phase total;	/* sums over the phases; wall is the run's */
};

/*
 * Builds the model of REC. The model copies what it keeps, so REC may be
 * freed afterwards. NULL with errno set (ENOMEM) on failure.
 */
struct report *report_build(const struct recording *rec);
void report_free(struct report *rep);

/* num / den, or NAN when den is 0. */
double report_ratio(double num, double den);

/* Names of the enum slots, as stored in the recording ("user-read", "fork", ...). */
extern const char *const report_fault_names[HVT_FAULT_KINDS];
extern const char *const report_proc_names[HVT_PROC_KINDS];

#endif /* HVT_REPORT_H */
