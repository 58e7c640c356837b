// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Clock sync (user/clocksync.c) on synthetic exchanges: a guest clock with a
 * known offset and drift, pings with known (and lopsided) delays. The estimate
 * is checked exactly where the arithmetic is exact, and the stated
 * uncertainty is checked to be a true bound on every sample and every instant.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "unit.h"
#include "util.h"

#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL

/* The guest's clock: G(h) = h + theta0 + rho * (h - h0), truncated as a clock reads. */
struct gclock {
	int64_t theta0, h0;
	double rho;
};

static int64_t gread(const struct gclock *g, int64_t h)
{
	return h + g->theta0 + (int64_t)floorl((long double)g->rho * (h - g->h0));
}

static long double theta(const struct gclock *g, long double h)
{
	return g->theta0 + (long double)g->rho * (h - g->h0);
}

/* One exchange: ping leaves at host time H, takes D1, the guest holds it P, the pong takes D2. */
static struct clock_sample exchange(const struct gclock *g, int64_t h, int64_t d1, int64_t p,
				    int64_t d2)
{
	struct clock_sample s = {
		.t1 = h,
		.t2 = gread(g, h + d1),
		.t3 = gread(g, h + d1 + p),
		.t4 = h + d1 + p + d2,
	};

	return s;
}

static int add(struct clocksync *cs, struct clock_sample s)
{
	return clocksync_add(cs, &s);
}

/* A small deterministic generator, so that failures reproduce. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static int64_t rnd(int64_t lo, int64_t hi)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return lo + (int64_t)(rnd_state % (uint64_t)(hi - lo + 1));
}

TEST(symmetric_delays_give_the_offset_exactly)
{
	struct gclock g = { .theta0 = 123456789, .h0 = 0 };
	struct clock_sample s = exchange(&g, 10 * SEC, 40 * US, 5 * US, 40 * US);
	struct clock_burst b;

	EXPECT_INT(clock_sample_eval(&s, &b), 0);
	EXPECT_INT(b.offset_ns, 123456789);
	EXPECT_INT(b.rtt_ns, 80 * US);
	EXPECT_INT(b.uncertainty_ns, 40 * US);
	EXPECT_INT(b.host_ns, 10 * SEC + 42500);
	EXPECT_INT(b.hold_ns, 5 * US);
}

TEST(lopsided_delays_err_by_half_their_difference_within_the_bound)
{
	struct gclock g = { .theta0 = -5000000000LL, .h0 = 0 };
	struct clock_sample s = exchange(&g, 3 * SEC, 90 * US, 1 * US, 10 * US);
	struct clock_burst b;

	EXPECT_INT(clock_sample_eval(&s, &b), 0);
	EXPECT_INT(b.offset_ns - g.theta0, 40 * US);	/* (90 - 10) / 2 */
	EXPECT_INT(b.uncertainty_ns, 50 * US);
	/* All of the delay one way: the error is the whole bound, and no more. */
	s = exchange(&g, 3 * SEC, 77777, 0, 0);
	EXPECT_INT(clock_sample_eval(&s, &b), 0);
	EXPECT_INT(b.offset_ns - g.theta0, 38888);
	EXPECT_INT(b.uncertainty_ns, 38889);
	s = exchange(&g, 3 * SEC, 0, 0, 77777);
	EXPECT_INT(clock_sample_eval(&s, &b), 0);
	EXPECT_INT(b.offset_ns - g.theta0, -38889);
	EXPECT_INT(b.uncertainty_ns, 38889);
}

TEST(the_bound_holds_for_every_random_exchange)
{
	struct clock_burst b;
	int i;

	for (i = 0; i < 200000; i++) {
		struct gclock g = { .theta0 = rnd(-4000000 * SEC, 4000000 * SEC) };
		int64_t h = rnd(0, 1000000 * SEC);
		struct clock_sample s = exchange(&g, h, rnd(0, 5 * MS), rnd(0, MS), rnd(0, 5 * MS));
		int64_t err;

		if (clock_sample_eval(&s, &b)) {
			FAIL("sample %d refused", i);
			return;
		}
		err = b.offset_ns - g.theta0;
		if (llabs(err) > b.uncertainty_ns) {
			FAIL("sample %d: error %lld beyond the stated %lld", i, (long long)err,
			     (long long)b.uncertainty_ns);
			return;
		}
	}
}

TEST(impossible_exchanges_are_refused)
{
	struct clock_burst b;
	struct clock_sample back = { 100, 50, 60, 90 };		/* t4 < t1 */
	struct clock_sample held = { 100, 60, 50, 200 };	/* t3 < t2 */
	struct clock_sample longer = { 100, 10, 500, 200 };	/* held longer than the trip */
	struct clock_sample huge = { 0, INT64_MAX - 1, INT64_MAX, 1 };

	EXPECT_INT(clock_sample_eval(&back, &b), -EINVAL);
	EXPECT_INT(clock_sample_eval(&held, &b), -EINVAL);
	EXPECT_INT(clock_sample_eval(&longer, &b), -EINVAL);
	/* Extreme guest values: no overflow, a (useless) valid sample. */
	EXPECT_INT(clock_sample_eval(&huge, &b), 0);
	EXPECT_INT(b.offset_ns, INT64_MAX - 1);
}

TEST(a_burst_keeps_its_lowest_round_trip)
{
	struct gclock g = { .theta0 = 777 };
	struct clock_sample s[4] = {
		exchange(&g, 1 * SEC, 300 * US, 1 * US, 100 * US),
		exchange(&g, 2 * SEC, 20 * US, 1 * US, 30 * US),
		{ 5, 4, 3, 2 },		/* invalid: ignored */
		exchange(&g, 3 * SEC, 200 * US, 1 * US, 200 * US),
	};
	struct clock_burst b;

	EXPECT_INT(clocksync_best(s, 4, &b), 0);
	EXPECT_INT(b.rtt_ns, 50 * US);
	EXPECT_INT(b.offset_ns, 777 - 5 * US);
	EXPECT_INT(b.samples, 3);
	EXPECT_INT(clocksync_best(&s[2], 1, &b), -ENOENT);
}

/* Bursts every PERIOD over SPAN with random lopsided delays; returns the fit. */
static int run_bursts(const struct gclock *g, int64_t start, int64_t span, int64_t period,
		      struct clocksync *cs, struct clock_fit *f)
{
	int64_t h;
	int i;

	clocksync_init(cs);
	for (h = start; h <= start + span; h += period) {
		for (i = 0; i < CLOCKSYNC_BURST; i++)
			add(cs, exchange(g, h + i * MS,
				rnd(20 * US, 2 * MS), rnd(1 * US, 50 * US), rnd(20 * US, 2 * MS)));
		clocksync_end_burst(cs);
	}
	return clocksync_result(cs, f);
}

TEST(drift_is_followed_and_the_stated_bound_holds_across_the_span)
{
	static const double rhos[] = { 0, 50e-6, -120e-6, 3e-6 };
	static struct clocksync cs;
	struct clock_fit f;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(rhos); k++) {
		struct gclock g = { .theta0 = 987654321012LL, .h0 = 5000 * SEC, .rho = rhos[k] };
		int64_t t, start = 5000 * SEC, span = 600 * SEC;

		EXPECT_INT(run_bursts(&g, start, span, 10 * SEC, &cs, &f), 0);
		EXPECT_INT(f.bursts, 61);
		/* Lopsided delays of up to 2 ms over 10 min: the slope is good to ~0.3 ppm. */
		EXPECT_NEAR(f.drift_ppm, rhos[k] * 1e6, 0.5);
		if (f.uncertainty_ns < f.best_rtt_ns / 2 || f.uncertainty_ns > 2 * MS)
			FAIL("rho %g: uncertainty %lld ns for a best round trip of %lld", rhos[k],
			     (long long)f.uncertainty_ns, (long long)f.best_rtt_ns);
		for (t = f.span_start_ns; t <= f.span_end_ns; t += 997 * MS) {
			long double err = clock_fit_offset_at(&f, t) - theta(&g, t);

			if (fabsl(err) > f.uncertainty_ns) {
				FAIL("rho %g at +%.3f s: error %.1Lf ns beyond the stated %lld",
				     rhos[k], (t - start) / 1e9, err, (long long)f.uncertainty_ns);
				break;
			}
		}
	}
}

TEST(guest_times_map_back_onto_the_host_clock)
{
	static struct clocksync cs;
	struct gclock g = { .theta0 = -3 * SEC, .h0 = 100 * SEC, .rho = 80e-6 };
	struct clock_fit f;
	int64_t h;

	run_bursts(&g, 100 * SEC, 300 * SEC, 30 * SEC, &cs, &f);
	for (h = 100 * SEC; h <= 400 * SEC; h += 7 * SEC) {
		int64_t back = clock_fit_to_host(&f, gread(&g, h));

		if (llabs(back - h) > f.uncertainty_ns + 1) {
			FAIL("host %lld mapped back to %lld (bound %lld)", (long long)h,
			     (long long)back, (long long)f.uncertainty_ns);
			return;
		}
	}
}

TEST(one_burst_gives_its_own_bound_and_no_drift)
{
	struct clock_burst b = { .host_ns = 50, .offset_ns = 1000, .uncertainty_ns = 30,
				 .rtt_ns = 60 };
	struct clock_fit f;

	EXPECT_INT(clocksync_fit(&b, 1, &f), 0);
	EXPECT_INT(f.offset_ns, 1000);
	EXPECT_INT(f.uncertainty_ns, 30);
	EXPECT_NEAR(f.drift_ppm, 0, 0);
	EXPECT_INT(clock_fit_offset_at(&f, 1000 * SEC), 1000);
	EXPECT_INT(clocksync_fit(&b, 0, &f), -ENOENT);
}

TEST(an_impossible_slope_falls_back_to_the_best_burst)
{
	static struct clocksync cs;
	struct clock_burst b[2] = {
		{ .host_ns = 0, .offset_ns = 0, .uncertainty_ns = 10, .rtt_ns = 20 },
		{ .host_ns = SEC, .offset_ns = 50 * MS, .uncertainty_ns = 5, .rtt_ns = 9 },
	};
	struct clock_fit f;

	EXPECT_INT(clocksync_fit(b, 2, &f), -ERANGE);	/* 50000 ppm */
	clocksync_init(&cs);
	memcpy(cs.bursts, b, sizeof(b));
	cs.n = 2;
	EXPECT_INT(clocksync_result(&cs, &f), -ERANGE);
	EXPECT_INT(f.offset_ns, 50 * MS);
	EXPECT_INT(f.uncertainty_ns, 5);
	EXPECT_INT(f.bursts, 2);
}

TEST(a_long_run_thins_bursts_keeping_first_and_last)
{
	static struct clocksync cs;
	struct gclock g = { .theta0 = 42 };
	int i;

	clocksync_init(&cs);
	for (i = 0; i < CLOCKSYNC_MAX_BURSTS + 10; i++) {
		add(&cs, exchange(&g, i * SEC, 10 * US, US,
								  10 * US));
		EXPECT_INT(clocksync_end_burst(&cs), 0);
	}
	EXPECT_TRUE(cs.n <= CLOCKSYNC_MAX_BURSTS);
	EXPECT_INT(cs.bursts[0].host_ns, 10500);
	EXPECT_INT(cs.bursts[cs.n - 1].host_ns, (int64_t)(i - 1) * SEC + 10500);
	EXPECT_INT(clocksync_end_burst(&cs), -ENOENT);	/* an empty burst */
}

TEST(samples_are_checked_and_counted)
{
	static struct clocksync cs;
	struct clock_sample bad = { 100, 60, 50, 200 };
	struct gclock g = { 0 };
	int i;

	clocksync_init(&cs);
	EXPECT_INT(clocksync_add(&cs, &bad), -EINVAL);
	for (i = 0; i < CLOCKSYNC_BURST; i++)
		EXPECT_INT(add(&cs, exchange(&g, SEC, 1, 1, 1)), 0);
	EXPECT_INT(add(&cs, exchange(&g, SEC, 1, 1, 1)),
		   -ENOSPC);
	EXPECT_INT(cs.rejected, 1);
	EXPECT_INT(cs.samples, CLOCKSYNC_BURST);
}

/*
 * The demo's numbers: the host up 2 h 19 min when the guest booted. The
 * offset between two machines' CLOCK_MONOTONIC is that difference, hours
 * are right, and the guest's times land where the host saw them.
 */
TEST(a_guest_booted_hours_after_its_host_is_hours_behind_and_said_so)
{
	struct gclock g = { .theta0 = -8373238683858LL, .h0 = 0 };
	struct clock_sample s = exchange(&g, 8383111956583LL - 40 * US, 40 * US, 0, 40 * US);
	struct clock_burst b;
	struct clock_fit f;
	char buf[256];

	EXPECT_INT(clock_sample_eval(&s, &b), 0);
	EXPECT_INT(b.offset_ns, -8373238683858LL);
	EXPECT_INT(clocksync_fit(&b, 1, &f), 0);
	/* The guest's start of run, 9.8 s after its boot: 8383.04 s on the host's clock. */
	EXPECT_INT(clock_fit_to_host(&f, 9802294520LL), 8383040978378LL);
	clock_offset_describe(f.offset_ns, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock is 2 h 19 min 33.239 s behind the host's: each "
		   "CLOCK_MONOTONIC counts from its own machine's boot, and the guest booted "
		   "about that much later");
	clock_offset_describe(75 * SEC + 499999, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock is 1 min 15.000 s ahead of the host's: each "
		   "CLOCK_MONOTONIC counts from its own machine's boot, and the guest booted "
		   "about that much earlier");
	clock_offset_describe(-2500 * MS, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock is 2.500 s behind the host's: each CLOCK_MONOTONIC "
		   "counts from its own machine's boot, and the guest booted about that much "
		   "later");
	clock_offset_describe(-1234567, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock is 1.235 ms behind the host's");
	clock_offset_describe(0, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock reads the same as the host's");
	clock_offset_describe(INT64_MIN, buf, sizeof(buf));
	EXPECT_STR(buf, "the guest's clock is 2562047 h 47 min 16.855 s behind the host's: each "
		   "CLOCK_MONOTONIC counts from its own machine's boot, and the guest booted "
		   "about that much later");
}
