// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* clocksync: offset, drift and a bound on their error from ping exchanges. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clocksync.h"

/* Guest timestamps are untrusted: arithmetic on them is done wide, then checked. */
static int fits64(__int128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

/* floor(v / 2), not C's truncation, so that the bound below holds for negative offsets too. */
static __int128 floor_half(__int128 v)
{
	return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

int clock_sample_eval(const struct clock_sample *s, struct clock_burst *ret)
{
	__int128 rtt, sum, mid;

	if (s->t4 < s->t1 || s->t3 < s->t2)
		return -EINVAL;
	rtt = ((__int128)s->t4 - s->t1) - ((__int128)s->t3 - s->t2);
	if (rtt < 0)
		return -EINVAL;
	sum = ((__int128)s->t2 - s->t1) + ((__int128)s->t3 - s->t4);
	mid = floor_half((__int128)s->t1 + s->t4);
	if (!fits64(floor_half(sum)) || !fits64(mid))
		return -EINVAL;
	/*
	 * sum = 2 theta + d1 - d2 and rtt = d1 + d2, so they have the same
	 * parity: floor(sum / 2) is off theta by at most (rtt + 1) / 2 rounded
	 * down, which ceil(rtt / 2) covers.
	 */
	ret->offset_ns = floor_half(sum);
	ret->rtt_ns = rtt;
	ret->hold_ns = s->t3 - s->t2;
	ret->uncertainty_ns = (rtt + 1) / 2;
	ret->host_ns = mid;
	ret->samples = 1;
	return 0;
}

int clocksync_best(const struct clock_sample *s, size_t n, struct clock_burst *ret)
{
	struct clock_burst b;
	size_t i;
	int valid = 0;

	for (i = 0; i < n; i++) {
		if (clock_sample_eval(&s[i], &b))
			continue;
		if (!valid || b.rtt_ns < ret->rtt_ns)
			*ret = b;
		valid++;
	}
	if (!valid)
		return -ENOENT;
	ret->samples = valid;
	return 0;
}

static int64_t clamp64(double v)
{
	if (v >= 9.2e18)
		return INT64_MAX;
	if (v <= -9.2e18)
		return INT64_MIN;
	return llround(v);
}

static double weight(const struct clock_burst *b)
{
	double u = (double)b->uncertainty_ns + 1;

	return 1.0 / (u * u);
}

int clocksync_fit(const struct clock_burst *b, size_t n, struct clock_fit *ret)
{
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, xm, ym, slope = 0, a, res, bound;
	size_t i, ends[2] = { 0, n - 1 };
	int k;

	if (!n)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->ref_host_ns = b[0].host_ns;
	ret->best_rtt_ns = b[0].rtt_ns;
	ret->span_start_ns = b[0].host_ns;
	ret->span_end_ns = b[n - 1].host_ns;
	ret->bursts = n;
	/* Relative to the first burst, so that doubles keep nanoseconds. */
	for (i = 0; i < n; i++) {
		double w = weight(&b[i]);
		double x = (double)((__int128)b[i].host_ns - b[0].host_ns);
		double y = (double)((__int128)b[i].offset_ns - b[0].offset_ns);

		sw += w;
		sx += w * x;
		sy += w * y;
		if (b[i].rtt_ns < ret->best_rtt_ns)
			ret->best_rtt_ns = b[i].rtt_ns;
	}
	xm = sx / sw;
	ym = sy / sw;
	for (i = 0; i < n; i++) {
		double w = weight(&b[i]);
		double x = (double)((__int128)b[i].host_ns - b[0].host_ns) - xm;
		double y = (double)((__int128)b[i].offset_ns - b[0].offset_ns) - ym;

		sxx += w * x * x;
		sxy += w * x * y;
	}
	if (sxx > 0)
		slope = sxy / sxx;
	if (fabs(slope) * 1e6 > CLOCKSYNC_MAX_DRIFT_PPM)
		return -ERANGE;
	a = ym - slope * xm;	/* the line at the first burst, relative to its offset */
	ret->offset_ns = clamp64((double)b[0].offset_ns + a);
	ret->drift_ppm = slope * 1e6;
	for (i = 0; i < n; i++) {
		res = fabs((double)((__int128)b[i].offset_ns - b[0].offset_ns) - a -
			   slope * (double)((__int128)b[i].host_ns - b[0].host_ns));
		if (res > ret->max_residual_ns)
			ret->max_residual_ns = clamp64(ceil(res));
	}
	for (k = 0; k < 2; k++) {
		i = ends[k];
		res = fabs((double)((__int128)b[i].offset_ns - b[0].offset_ns) - a -
			   slope * (double)((__int128)b[i].host_ns - b[0].host_ns));
		/*
		 * A drifting guest clock runs on while the ping is out, which the
		 * half round trip does not cover; +2: the clocks' whole nanoseconds
		 * and the line's rounding.
		 */
		bound = (double)b[i].uncertainty_ns + ceil(res) +
			ceil(fabs(slope) * ((double)b[i].rtt_ns + (double)b[i].hold_ns) / 2) +
			(n > 1 ? 2 : 0);
		if (clamp64(bound) > ret->uncertainty_ns)
			ret->uncertainty_ns = clamp64(bound);
	}
	return 0;
}

int64_t clock_fit_offset_at(const struct clock_fit *f, int64_t host_ns)
{
	double dt = (double)((__int128)host_ns - f->ref_host_ns);

	return clamp64((double)f->offset_ns + f->drift_ppm * 1e-6 * dt);
}

int64_t clock_fit_to_host(const struct clock_fit *f, int64_t guest_ns)
{
	/* guest = host + offset + rho (host - ref): solve for host, relative to ref. */
	__int128 d = (__int128)guest_ns - f->offset_ns - f->ref_host_ns;
	double rho = f->drift_ppm * 1e-6;
	__int128 h = (__int128)f->ref_host_ns + clamp64((double)d / (1.0 + rho));

	return fits64(h) ? (int64_t)h : (h < 0 ? INT64_MIN : INT64_MAX);
}

void clock_offset_describe(int64_t offset_ns, char *buf, size_t len)
{
	/* |INT64_MIN| fits unsigned. */
	uint64_t a = offset_ns < 0 ? -(uint64_t)offset_ns : (uint64_t)offset_ns;
	uint64_t ms = a / 1000000 + (a % 1000000 >= 500000);
	const char *dir = offset_ns < 0 ? "behind" : "ahead of";
	char span[64];

	if (!offset_ns) {
		snprintf(buf, len, "the guest's clock reads the same as the host's");
		return;
	}
	if (a < 1000000000) {
		/* Under a second: the clocks may well be one; no boot story. */
		snprintf(buf, len, "the guest's clock is %.3f ms %s the host's", a / 1e6, dir);
		return;
	}
	if (ms >= 3600000)
		snprintf(span, sizeof(span), "%llu h %llu min %llu.%03llu s",
			 (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60),
			 (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
	else if (ms >= 60000)
		snprintf(span, sizeof(span), "%llu min %llu.%03llu s",
			 (unsigned long long)(ms / 60000), (unsigned long long)(ms / 1000 % 60),
			 (unsigned long long)(ms % 1000));
	else
		snprintf(span, sizeof(span), "%llu.%03llu s", (unsigned long long)(ms / 1000),
			 (unsigned long long)(ms % 1000));
	snprintf(buf, len, "the guest's clock is %s %s the host's: each CLOCK_MONOTONIC counts "
		 "from its own machine's boot, and the guest booted about that much %s", span, dir,
		 offset_ns < 0 ? "later" : "earlier");
}

void clocksync_init(struct clocksync *cs)
{
	memset(cs, 0, sizeof(*cs));
}

int clocksync_add(struct clocksync *cs, const struct clock_sample *s)
{
	struct clock_burst b;

	if (clock_sample_eval(s, &b)) {
		cs->rejected++;
		return -EINVAL;
	}
	if (cs->ncur >= CLOCKSYNC_BURST)
		return -ENOSPC;
	cs->cur[cs->ncur++] = *s;
	cs->samples++;
	return 0;
}

int clocksync_end_burst(struct clocksync *cs)
{
	struct clock_burst b;
	size_t i;
	int err;

	err = clocksync_best(cs->cur, cs->ncur, &b);
	cs->ncur = 0;
	if (err)
		return err;
	if (cs->n == CLOCKSYNC_MAX_BURSTS) {
		/* Full: keep the first, the last, and the better of each pair between. */
		for (i = 1; 2 * i < CLOCKSYNC_MAX_BURSTS - 1; i++) {
			const struct clock_burst *x = &cs->bursts[2 * i - 1];
			const struct clock_burst *y = &cs->bursts[2 * i];

			cs->bursts[i] = y->rtt_ns < x->rtt_ns ? *y : *x;
		}
		cs->bursts[i++] = cs->bursts[CLOCKSYNC_MAX_BURSTS - 1];
		cs->n = i;
	}
	cs->bursts[cs->n++] = b;
	return 0;
}

int clocksync_result(const struct clocksync *cs, struct clock_fit *ret)
{
	size_t i, best = 0;
	int err;

	err = clocksync_fit(cs->bursts, cs->n, ret);
	if (err != -ERANGE)
		return err;
	for (i = 1; i < cs->n; i++)
		if (cs->bursts[i].rtt_ns < cs->bursts[best].rtt_ns)
			best = i;
	clocksync_fit(&cs->bursts[best], 1, ret);
	ret->bursts = cs->n;
	return -ERANGE;
}
