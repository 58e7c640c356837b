/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * perfctr: perf event counters for a workload's process tree, through libperf.
 * The only module that talks to libperf.
 *
 * The event list is fixed and always the same length, in this order:
 *   task-clock (ns), page-faults, context-switches, cpu-migrations   software, always counted
 *   cycles, instructions, dTLB-load-misses                           hardware, need a PMU
 * A hardware event the kernel refuses (no PMU, e.g. most guests without a virtual PMU) stays in
 * the list marked unsupported, with the kernel's errno; it is never dropped. A software event that
 * cannot be opened fails perfctr_open() as a whole.
 *
 * Scope: each event is opened on one task with inherit=1, so it counts that task and every
 * thread and process it creates after the open, at any depth. Children created before the open
 * (or, with --pid, other threads that already exist) are not counted. Hence the recorder forks the
 * workload, which waits, opens the counters on it with PERFCTR_ON_EXEC, then lets it exec.
 *
 * Descendants: each one counts into its own inherited copy of the event. Reading the root's event
 * sums the root's count with every live copy, and a copy's count is folded into the root's when
 * that descendant exits, so a read sees live and exited descendants alike: nothing is lost or
 * counted twice at an exit (tests/unit/test_perfctr.c measures both cases), and per-phase deltas
 * may be taken while a phase's processes still run.
 *
 * Times: the kernel advances a task event's time_enabled only while a counted task is on a CPU,
 * and sums it over the tree like the counts, so enabled_ns is the tree's CPU time (measured equal
 * to task-clock, or a few % below), not wall time. running_ns < enabled_ns only when the event
 * was multiplexed.
 *
 * Values are cumulative since the open. Per-phase numbers are the difference of two reads.
 *
 * Needs root, CAP_PERFMON or kernel.perf_event_paranoid <= 1 (kernel work is counted too).
 * libperf (6.1) opens the event fds without close-on-exec: open after forking the workload, or
 * the workload inherits them.
 */
#ifndef HVT_PERFCTR_H
#define HVT_PERFCTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct perfctr;

enum perfctr_flags {
	/*
	 * Start counting when PID next calls execve() (enable_on_exec), so nothing the waiting,
	 * freshly forked workload does before its exec is counted. Without it counting starts at
	 * once (attaching to a running process tree).
	 */
	PERFCTR_ON_EXEC = 1 << 0,
};

struct perfctr_value {
	/*
	 * The count. Equal to raw unless the kernel multiplexed the event (running_ns <
	 * enabled_ns, only possible for hardware events when the PMU has too few counters): then
	 * raw * enabled_ns / running_ns, an estimate, and scaled is 1. scaled is -1 when the event
	 * was enabled but never got a counter (value 0 means nothing), 0 otherwise.
	 */
	uint64_t value;
	uint64_t raw;
	uint64_t enabled_ns;
	uint64_t running_ns;
	bool supported;		/* false: all fields 0 */
	int8_t scaled;
};

/* Opens every event on PID (0: the calling process). NULL and errno set on failure. */
struct perfctr *perfctr_open(pid_t pid, unsigned int flags);
/* Closing stops counting. Accepts NULL. */
void perfctr_close(struct perfctr *pc);

size_t perfctr_count(const struct perfctr *pc);
/* "task-clock", "page-faults", ..., "cycles"; NULL when I is out of range. */
const char *perfctr_name(const struct perfctr *pc, size_t i);
bool perfctr_supported(const struct perfctr *pc, size_t i);
/* 0 when event I counts, else the -errno perf_event_open gave it (-ENOENT: no such PMU). */
int perfctr_error(const struct perfctr *pc, size_t i);

/*
 * Fills vals[0 .. min(n, perfctr_count()) - 1] with the current totals. Works after the workload
 * has exited (the counts stay readable until perfctr_close()). Returns the number of values
 * filled, or -errno.
 */
int perfctr_read(struct perfctr *pc, struct perfctr_value *vals, size_t n);

#endif /* HVT_PERFCTR_H */
