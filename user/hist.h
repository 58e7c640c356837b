/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hist: the log2 latency histograms of a recording (HVT_HIST_SLOTS buckets;
 * bucket 0 holds [0, 2) ns, bucket i >= 1 holds [2^i, 2^(i+1)) ns, the last
 * bucket also holds everything above). Estimates of percentiles and means from
 * the buckets, and merging. Shared by report, diff and table.
 *
 * Percentile method: each bucket's count is taken as spread evenly over the
 * bucket's range, which makes the histogram a piecewise-linear cumulative
 * distribution; the p-th percentile is the value where that distribution
 * reaches p % of the total. Concretely, with rank r = p / 100 * total and
 * "below" the count of all lower buckets, the answer lies in the first
 * non-empty bucket whose cumulative count reaches r, at
 *
 *	lo + (hi - lo) * (r - below) / count
 *
 * where [lo, hi) is that bucket's range. An estimate is never off by more than
 * the width of its bucket (a factor of two); callers that know the exact
 * maximum clamp to it with hist_percentile_clamped().
 */
#ifndef HVT_HIST_H
#define HVT_HIST_H

#include <stdint.h>
#include <linux/types.h>
#include "../bpf/hvtrace.h"

/* Range of bucket i: [hist_bucket_lo(i), hist_bucket_hi(i)) ns. */
double hist_bucket_lo(int i);
double hist_bucket_hi(int i);

uint64_t hist_total(const uint64_t *h);

/* p in [0, 100]. NAN when the histogram is empty or p is out of range. */
double hist_percentile(const uint64_t *h, double p);
/* The same, limited to [min_ns, max_ns] (a bound of 0 is taken as unknown). */
double hist_percentile_clamped(const uint64_t *h, double p, uint64_t min_ns, uint64_t max_ns);

/*
 * Mean estimated from the buckets' midpoints, for when no exact sum exists
 * (a recorded sum_ns / count is exact and always preferred). NAN when empty.
 */
double hist_mean(const uint64_t *h);

/* dst[i] += src[i] for every bucket. */
void hist_merge(uint64_t *dst, const uint64_t *src);

#endif /* HVT_HIST_H */
