/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * clocksync: the guest clock against the host's, from ping exchanges. The
 * host sends a ping at t1 (its CLOCK_MONOTONIC), the guest notes t2 when it
 * reads it and t3 when it answers, the host notes t4. With d1, d2 >= 0 the
 * one-way delays and theta the true offset (guest - host):
 *
 *   offset = ((t2 - t1) + (t3 - t4)) / 2 = theta + (d1 - d2) / 2
 *   rtt    = (t4 - t1) - (t3 - t2)       = d1 + d2
 *
 * so |offset - theta| <= rtt / 2 whatever the asymmetry: half the round trip
 * is a bound, not an estimate. Each burst keeps its lowest-round-trip sample;
 * a line fitted through the bursts follows drift, and its stated uncertainty
 * is again a bound (see clocksync_fit). Pure arithmetic: no clocks, no I/O.
 */
#ifndef HVT_CLOCKSYNC_H
#define HVT_CLOCKSYNC_H

#include <stddef.h>
#include <stdint.h>

#define CLOCKSYNC_BURST		16	/* pings per burst */
#define CLOCKSYNC_MAX_BURSTS	512	/* kept; beyond, neighbours are thinned */
#define CLOCKSYNC_MAX_DRIFT_PPM	10000.0	/* a fit steeper than this is not a clock's */

struct clock_sample {
	int64_t t1, t2, t3, t4;
};

/* What one sample, or a burst's best sample, says. */
struct clock_burst {
	int64_t host_ns;	/* (t1 + t4) / 2: when the offset held, on the host's clock */
	int64_t offset_ns;	/* guest - host */
	int64_t uncertainty_ns;	/* ceil(rtt / 2): |offset_ns - true offset| <= this */
	int64_t rtt_ns;
	int64_t hold_ns;	/* t3 - t2: how long the guest held the ping */
	int samples;		/* valid samples the burst had */
};

/* 0, or -EINVAL when no real exchange gives these times (t4 < t1, t3 < t2, rtt < 0). */
int clock_sample_eval(const struct clock_sample *s, struct clock_burst *ret);

/* The lowest-round-trip valid sample of S[0..N); -ENOENT when none is valid. */
int clocksync_best(const struct clock_sample *s, size_t n, struct clock_burst *ret);

/* offset(t) = offset_ns + drift_ppm * 1e-6 * (t - ref_host_ns), t on the host's clock. */
struct clock_fit {
	int64_t ref_host_ns;	/* the first burst's time */
	int64_t offset_ns;	/* guest - host at ref_host_ns */
	double drift_ppm;	/* how fast the offset grows: guest clock rate - 1, in ppm */
	/*
	 * Bound on |offset(t) - true offset(t)| for t in [span_start, span_end],
	 * if the true offset is linear there: the error of one line against
	 * another is largest at an end of the interval, and at a burst i it is at
	 * most u_i + |residual_i|, where u_i is the burst's half round trip plus
	 * what the drift adds during the exchange (|drift| * (rtt + hold) / 2)
	 * plus 2 ns of rounding. Outside the span add |drift error| * distance,
	 * which nothing bounds: sync through the run.
	 */
	int64_t uncertainty_ns;
	int64_t best_rtt_ns;
	int64_t max_residual_ns;	/* largest |burst offset - line|: how straight it was */
	int64_t span_start_ns, span_end_ns;
	int bursts;
};

/*
 * Weighted least squares (weights 1/(uncertainty+1)^2) through B[0..N).
 * One burst gives drift 0 and that burst's own bound. -ENOENT for N == 0,
 * -ERANGE when the line is steeper than CLOCKSYNC_MAX_DRIFT_PPM.
 */
int clocksync_fit(const struct clock_burst *b, size_t n, struct clock_fit *ret);

int64_t clock_fit_offset_at(const struct clock_fit *f, int64_t host_ns);
/* The host time at which the guest's clock read GUEST_NS (inverts offset(t)). */
int64_t clock_fit_to_host(const struct clock_fit *f, int64_t guest_ns);

/*
 * OFFSET (guest - host, ns) as a sentence for people, into BUF: "the guest's
 * clock is 4 h 17 min 25.444 s behind the host's: each CLOCK_MONOTONIC counts
 * from its own machine's boot, and the guest booted about that much later".
 * Between two machines the offset is mostly the difference of their boot
 * times, so hours are normal; the bare number looks like an error.
 */
void clock_offset_describe(int64_t offset_ns, char *buf, size_t len);

/* Collects bursts as the exchanges come in. */
struct clocksync {
	struct clock_sample cur[CLOCKSYNC_BURST];
	size_t ncur;
	struct clock_burst bursts[CLOCKSYNC_MAX_BURSTS];
	size_t n;
	uint64_t samples, rejected;	/* over the whole run */
};

void clocksync_init(struct clocksync *cs);
/* Adds a sample to the current burst: 0, or -EINVAL (counted, not kept), -ENOSPC (burst full). */
int clocksync_add(struct clocksync *cs, const struct clock_sample *s);
/* Closes the current burst: 0 when it had a valid sample, else -ENOENT. */
int clocksync_end_burst(struct clocksync *cs);
/*
 * The fit over all bursts; if the line is implausibly steep (-ERANGE from
 * clocksync_fit), the single best burst with drift 0 and returns -ERANGE.
 */
int clocksync_result(const struct clocksync *cs, struct clock_fit *ret);

#endif /* HVT_CLOCKSYNC_H */
