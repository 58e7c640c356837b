/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * runset: runs of a benchmark grouped by label, each with its wall time and
 * per-phase times, loaded from hvtrace recordings or the talk's bench.sh
 * logs; and the statistics the talk prints (mean, min, max, percentages).
 * Times are kept as integer nanoseconds so that rounding is exact.
 */
#ifndef HVT_RUNSET_H
#define HVT_RUNSET_H

#include <stdint.h>
#include <stddef.h>

/*
 * Bounds that keep every sum and product below exact in 64 and 128 bits:
 * 100 days per run and 1000 runs per label.
 */
#define RUNSET_MAX_RUN_NS (100LL * 86400 * 1000000000)
#define RUNSET_MAX_RUNS 1000

struct runset_phase {
	char *name;
	int64_t ns;
};

struct runset_run {
	char *path;			/* where it came from */
	int64_t total_ns;
	struct runset_phase *phases;	/* in the run's order; one per name */
	size_t n_phases;
};

struct runset_group {
	char *label;
	struct runset_run *runs;	/* in the order added */
	size_t n_runs;
};

struct runset {
	struct runset_group *groups;	/* in order of first appearance */
	size_t n_groups;
};

struct runset_stats {
	size_t n;			/* runs that have the value; 0: none */
	int64_t sum_ns, min_ns, max_ns;
};

struct runset *runset_new(void);		/* NULL and errno set on failure */
void runset_free(struct runset *rs);

/*
 * Adds one run. A phase name given twice is summed into one phase.
 * -EINVAL for an empty label or a negative time, -ERANGE beyond the bounds above.
 */
int runset_add_run(struct runset *rs, const char *label, const char *path, int64_t total_ns,
		   const struct runset_phase *phases, size_t n_phases);

/*
 * Adds the run in PATH, told apart by content: an SQLite file is loaded as
 * a recording (label from meta 'label', wall time from meta 'wall_ns',
 * phases from the phase table), anything else parsed as a bench.sh log.
 * On failure returns -errno and a sentence naming PATH in ret_err.
 */
int runset_add_file(struct runset *rs, const char *path, char *ret_err, size_t errlen);

const struct runset_group *runset_group(const struct runset *rs, const char *label);

/*
 * Every phase name of the given groups, in order of first appearance, as a
 * NULL-terminated array that the caller free()s (the names stay the runset's).
 * NULL and errno set on failure.
 */
const char **runset_phase_names(const struct runset_group *const *groups, size_t n_groups);

void runset_group_total(const struct runset_group *g, struct runset_stats *ret);
/* Over the runs that have PHASE; ret->n is 0 when none has. */
void runset_group_phase(const struct runset_group *g, const char *phase,
			struct runset_stats *ret);

double runset_stats_mean_ns(const struct runset_stats *s);
/*
 * The talk's rounding (checked against its published table, see
 * docs/man/hvtrace-table.1): to the nearest second, halves up, applied to
 * the exact mean, min and max; never truncated.
 */
int64_t runset_round_s(int64_t ns);
int64_t runset_stats_mean_s(const struct runset_stats *s);
/*
 * 100 * mean(NUM) / mean(DEN) from the unrounded means, rounded to the
 * nearest integer, halves up. -EDOM when either has no runs or DEN's mean is 0.
 */
int runset_stats_pct(const struct runset_stats *num, const struct runset_stats *den,
		     int64_t *ret);

#endif /* HVT_RUNSET_H */
