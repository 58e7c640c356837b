// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The chart of the HTML table: each label's mean wall time, split by phase. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "runset.h"
#include "util.h"

static const char *const phase_colors[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
	"#9c755f",
};

void html_table_chart(struct html *h, const struct runset *rs, const char *baseline)
{
	const struct runset_group **groups, *base;
	struct html_series *series = NULL;
	struct html_bar *bars = NULL;
	const char **names = NULL;
	char (*values)[48] = NULL;
	double *parts = NULL;
	size_t i, k, n = 0, n_names = 0, n_series;
	int rest = 0;

	groups = calloc(rs->n_groups, sizeof(*groups));
	if (!groups)
		return;
	base = baseline ? runset_group(rs, baseline) : NULL;
	if (base)
		groups[n++] = base;
	for (i = 0; i < rs->n_groups; i++)
		if (&rs->groups[i] != base)
			groups[n++] = &rs->groups[i];
	names = runset_phase_names(groups, n);
	if (!names)
		goto out_free;
	while (names[n_names])
		n_names++;
	n_series = n_names + 1;
	series = calloc(n_series, sizeof(*series));
	bars = calloc(n, sizeof(*bars));
	parts = calloc(n * n_series, sizeof(*parts));
	values = calloc(n, sizeof(*values));
	if (!series || !bars || !parts || !values)
		goto out_free;
	for (k = 0; k < n_names; k++) {
		series[k].name = names[k];
		series[k].color = phase_colors[k % ARRAY_SIZE(phase_colors)];
	}
	series[n_names].name = "outside the phases";
	series[n_names].desc = "the rest of the whole run's wall time";
	series[n_names].hatched = 1;
	for (i = 0; i < n; i++) {
		struct runset_stats st;
		double total, sum = 0, *p = parts + i * n_series;
		int64_t s;

		runset_group_total(groups[i], &st);
		total = runset_stats_mean_ns(&st);
		for (k = 0; k < n_names; k++) {
			struct runset_stats ph;

			runset_group_phase(groups[i], names[k], &ph);
			p[k] = ph.n ? runset_stats_mean_ns(&ph) : 0;
			sum += p[k];
		}
		/* Below a millisecond the rest is the rounding of the logs' times. */
		if (total - sum > 1e6) {
			p[n_names] = total - sum;
			rest = 1;
		}
		s = runset_stats_mean_s(&st);
		snprintf(values[i], sizeof(values[i]), "%lld:%02lld mean of %zu run%s",
			 (long long)(s / 60), (long long)(s % 60), st.n, st.n == 1 ? "" : "s");
		bars[i].label = groups[i]->label;
		bars[i].mark_ns = total;
		bars[i].value = values[i];
		bars[i].parts = p;
	}
	html_stacked_bars(h, series, rest ? n_series : n_names, bars, n);
	html_legend(h, series, rest ? n_series : n_names);
out_free:
	free(values);
	free(parts);
	free(bars);
	free(series);
	free(names);
	free(groups);
}
