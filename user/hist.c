// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hist: estimates from log2 histograms; the method is described in hist.h. */
#include <math.h>

#include "hist.h"

double hist_bucket_lo(int i)
{
	return i <= 0 ? 0.0 : ldexp(1.0, i);
}

double hist_bucket_hi(int i)
{
	return ldexp(1.0, i + 1);
}

uint64_t hist_total(const uint64_t *h)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < HVT_HIST_SLOTS; i++)
		n += h[i];
	return n;
}

double hist_percentile(const uint64_t *h, double p)
{
	uint64_t total = hist_total(h), below = 0;
	double rank, lo, hi;
	int i;

	if (!total || !(p >= 0.0 && p <= 100.0))
		return NAN;
	rank = p / 100.0 * (double)total;
	/* rank <= total, so if no lower bucket reaches it, the last one does. */
	for (i = 0; i < HVT_HIST_SLOTS - 1; i++) {
		if (!h[i])
			continue;
		if ((double)(below + h[i]) >= rank)
			break;
		below += h[i];
	}
	lo = hist_bucket_lo(i);
	hi = hist_bucket_hi(i);
	return lo + (hi - lo) * (rank - (double)below) / (double)h[i];
}

double hist_percentile_clamped(const uint64_t *h, double p, uint64_t min_ns, uint64_t max_ns)
{
	double v = hist_percentile(h, p);

	if (isnan(v))
		return v;
	if (max_ns && v > (double)max_ns)
		v = (double)max_ns;
	if (min_ns && v < (double)min_ns)
		v = (double)min_ns;
	return v;
}

double hist_mean(const uint64_t *h)
{
	uint64_t total = hist_total(h);
	double sum = 0.0;
	int i;

	if (!total)
		return NAN;
	for (i = 0; i < HVT_HIST_SLOTS; i++)
		if (h[i])
			sum += (double)h[i] * (hist_bucket_lo(i) + hist_bucket_hi(i)) / 2.0;
	return sum / (double)total;
}

void hist_merge(uint64_t *dst, const uint64_t *src)
{
	int i;

	for (i = 0; i < HVT_HIST_SLOTS; i++)
		dst[i] += src[i];
}
