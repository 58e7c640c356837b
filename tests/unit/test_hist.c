// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Log2 histogram estimates (user/hist.c), against values computed by hand. */
#include <math.h>

#include "hist.h"
#include "unit.h"

TEST(bucket_edges_are_powers_of_two)
{
	EXPECT_NEAR(hist_bucket_lo(0), 0, 0);
	EXPECT_NEAR(hist_bucket_hi(0), 2, 0);
	EXPECT_NEAR(hist_bucket_lo(1), 2, 0);
	EXPECT_NEAR(hist_bucket_hi(1), 4, 0);
	EXPECT_NEAR(hist_bucket_lo(10), 1024, 0);
	EXPECT_NEAR(hist_bucket_hi(10), 2048, 0);
	EXPECT_NEAR(hist_bucket_hi(HVT_HIST_SLOTS - 1), 4294967296.0, 0);
}

TEST(total_adds_every_bucket)
{
	uint64_t h[HVT_HIST_SLOTS] = { [0] = 1, [5] = 2, [HVT_HIST_SLOTS - 1] = 3 };

	EXPECT_INT(hist_total(h), 6);
}

/* 100 values in [1024, 2048): p is p % of the way through the bucket. */
TEST(percentile_interpolates_inside_one_bucket)
{
	uint64_t h[HVT_HIST_SLOTS] = { [10] = 100 };

	EXPECT_NEAR(hist_percentile(h, 0), 1024, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 50), 1536, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 99), 2037.76, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 100), 2048, 1e-9);
}

/* 10 in [8, 16), 30 in [32, 64): p50 is rank 20, 10 into the second bucket's 30. */
TEST(percentile_crosses_buckets)
{
	uint64_t h[HVT_HIST_SLOTS] = { [3] = 10, [5] = 30 };

	EXPECT_NEAR(hist_percentile(h, 50), 32 + 32 * 10.0 / 30, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 10), 8 + 8 * 4.0 / 10, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 99), 32 + 32 * 29.6 / 30, 1e-9);
}

/* A rank that ends exactly at a bucket's top answers with that edge. */
TEST(percentile_at_bucket_end_is_its_top_edge)
{
	uint64_t h[HVT_HIST_SLOTS] = { [2] = 1, [20] = 1 };

	EXPECT_NEAR(hist_percentile(h, 50), 8, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 75), 1048576 + 1048576 * 0.5, 1e-6);
}

TEST(percentile_bucket0_starts_at_zero)
{
	uint64_t h[HVT_HIST_SLOTS] = { [0] = 4 };

	EXPECT_NEAR(hist_percentile(h, 50), 1, 1e-9);
	EXPECT_NEAR(hist_percentile(h, 0), 0, 1e-9);
}

TEST(percentile_in_last_bucket)
{
	uint64_t h[HVT_HIST_SLOTS] = { [HVT_HIST_SLOTS - 1] = 2 };

	EXPECT_NEAR(hist_percentile(h, 50), 2147483648.0 * 1.5, 1e-3);
}

TEST(percentile_of_empty_or_bad_p_is_nan)
{
	uint64_t empty[HVT_HIST_SLOTS] = { 0 };
	uint64_t h[HVT_HIST_SLOTS] = { [4] = 1 };

	EXPECT_TRUE(isnan(hist_percentile(empty, 50)));
	EXPECT_TRUE(isnan(hist_percentile(h, -1)));
	EXPECT_TRUE(isnan(hist_percentile(h, 100.5)));
	EXPECT_TRUE(isnan(hist_percentile(h, NAN)));
	EXPECT_TRUE(isnan(hist_percentile_clamped(empty, 50, 1, 10)));
}

/* 200 in [4096, 8192): p99 would be 8151.04, but nothing was above 7900. */
TEST(percentile_clamped_to_known_max_and_min)
{
	uint64_t h[HVT_HIST_SLOTS] = { [12] = 200 };

	EXPECT_NEAR(hist_percentile_clamped(h, 99, 0, 7900), 7900, 1e-9);
	EXPECT_NEAR(hist_percentile_clamped(h, 50, 0, 7900), 6144, 1e-9);
	EXPECT_NEAR(hist_percentile_clamped(h, 1, 5000, 0), 5000, 1e-9);
	EXPECT_NEAR(hist_percentile_clamped(h, 99, 0, 0), 8151.04, 1e-9);
}

TEST(mean_uses_bucket_midpoints)
{
	uint64_t h[HVT_HIST_SLOTS] = { [10] = 1, [12] = 1 };
	uint64_t empty[HVT_HIST_SLOTS] = { 0 };

	EXPECT_NEAR(hist_mean(h), (1536 + 6144) / 2.0, 1e-9);
	EXPECT_TRUE(isnan(hist_mean(empty)));
}

TEST(merge_adds_buckets)
{
	uint64_t a[HVT_HIST_SLOTS] = { [1] = 1, [7] = 2 };
	uint64_t b[HVT_HIST_SLOTS] = { [7] = 3, [30] = 4 };

	hist_merge(a, b);
	EXPECT_INT(a[1], 1);
	EXPECT_INT(a[7], 5);
	EXPECT_INT(a[30], 4);
	EXPECT_INT(hist_total(a), 10);
	EXPECT_INT(b[7], 3);
}
