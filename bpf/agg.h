/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Aggregate math on struct hvt_agg: one event into count, sum, max and the log2
 * histogram, and the merge of two aggregates. Plain C with no BPF helper, so
 * that BPF programs and user space (per-CPU sums, replay tests) share it.
 */
#ifndef HVT_AGG_H
#define HVT_AGG_H

#ifndef __always_inline	/* user space without glibc's <sys/cdefs.h> yet */
#define __always_inline inline __attribute__((always_inline))
#endif

#include "hvtrace.h"
#include "bits.bpf.h"

/* The histogram bucket of a value: [2^i, 2^(i+1)) ns; 0 and 1 share bucket 0. */
static __always_inline __u32 hvt_hist_slot(__u64 ns)
{
	__u32 slot = hvt_log2_64(ns);

	if (slot >= HVT_HIST_SLOTS)
		slot = HVT_HIST_SLOTS - 1;
	/*
	 * clang may index with a copy of slot made before the clamp, which older
	 * verifiers (6.1) then reject as unbounded; a mask it cannot drop bounds
	 * the register it indexes with. HVT_HIST_SLOTS is a power of two.
	 */
	asm volatile("" : "+r"(slot));
	return slot & (HVT_HIST_SLOTS - 1);
}

static __always_inline void hvt_agg_add(struct hvt_agg *a, __u64 ns)
{
	a->count++;
	a->sum_ns += ns;
	if (ns > a->max_ns)
		a->max_ns = ns;
	a->hist[hvt_hist_slot(ns)]++;
}

static __always_inline void hvt_agg_merge(struct hvt_agg *dst, const struct hvt_agg *src)
{
	int i;

	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (i = 0; i < HVT_HIST_SLOTS; i++)
		dst->hist[i] += src->hist[i];
}

/* Min is not kept per event: the lower edge of the lowest non-empty bucket. */
static __always_inline __u64 hvt_agg_min(const struct hvt_agg *a)
{
	int i;

	for (i = 0; i < HVT_HIST_SLOTS; i++)
		if (a->hist[i])
			return i ? 1ULL << i : 0;
	return 0;
}

#endif /* HVT_AGG_H */
