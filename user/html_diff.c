// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The HTML diff: what the text diff says (the sides, the phase table, each
 * phase's ranked categories) and, per phase, a waterfall from T_A to T_B: the
 * explained categories in rank order, then the unexplained rest, which by the
 * model's construction (diff.h) close the distance exactly.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "fmt.h"
#include "html.h"
#include "util.h"

static int selected(const struct html_filter *flt, const struct diff *d,
		    const struct diff_phase *p)
{
	size_t i;

	if (!flt->phases || p == &d->total)
		return 1;
	for (i = 0; i < flt->n_phases; i++)
		if (!strcmp(flt->phases[i], p->name))
			return 1;
	return 0;
}

/* "a.hvt, b.hvt: 2 runs, label kvm, host, kernel, hypervisor KVM" */
static void side_facts(struct html *h, const char *which, const struct diff_side *s)
{
	const struct diff_run *r0 = &s->runs[0];
	char *files = NULL, *inc = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&files, &len);

	if (!f)
		return;
	for (i = 0; i < s->n_runs; i++) {
		fprintf(f, "%s%s", i ? ", " : "", s->runs[i].path);
		if (!s->runs[i].complete && !inc)
			inc = s->runs[i].path;
	}
	fclose(f);
	html_kv(h, which, "%s", files);
	html_kv(h, "", "%s%s%s%s, %s%s%s, hypervisor %s%s%s%s",
		s->n_runs > 1 ? "" : "label ",
		s->n_runs > 1 ? "" : (s->label && *s->label ? s->label : "-"),
		s->n_runs > 1 ? (s->label ? "runs labelled " : "labels differ") : "",
		s->n_runs > 1 && s->label ? s->label : "",
		r0->hostname ? r0->hostname : "unknown host", r0->kernel ? ", " : "",
		r0->kernel ? r0->kernel : "",
		r0->hypervisor && *r0->hypervisor ? r0->hypervisor : "unknown",
		inc ? ", INCOMPLETE: " : "", inc ? inc : "", inc ? " did not end normally" : "");
	free(files);
}

static void names_where(struct html *h, const struct diff *d, enum diff_where where,
			const char *title)
{
	char *names = NULL;
	size_t len = 0, i, n = 0;
	FILE *f = open_memstream(&names, &len);

	if (!f)
		return;
	for (i = 0; i < d->n_phases; i++)
		if (d->phases[i].where == where)
			fprintf(f, "%s%s", n++ ? ", " : "", d->phases[i].name);
	fclose(f);
	if (n)
		html_kv(h, title, "%s", names);
	free(names);
}

static void facts(struct html *h, const struct diff *d)
{
	html_kv_begin(h);
	side_facts(h, "A", &d->a);
	side_facts(h, "B", &d->b);
	html_kv(h, "calibration", "A %s, B %s", fmt_diff_calib(&d->a), fmt_diff_calib(&d->b));
	names_where(h, d, DIFF_IN_BOTH, "phases in both");
	names_where(h, d, DIFF_ONLY_A, "only in A");
	names_where(h, d, DIFF_ONLY_B, "only in B");
	names_where(h, d, DIFF_SOME_RUNS, "not in every run");
	if (d->a.n_runs > 1 || d->b.n_runs > 1)
		html_kv(h, "numbers", "the means of each side's runs; spread = min-max over runs");
	html_kv_end(h);
}

static void overview(struct html *h, const struct diff *d, const struct html_filter *flt)
{
	static const char *const heads[] = {
		"phase", ">wall A", ">wall B", ">change", ">of A", ">explained", ">unexplained",
	};
	char a[32], b[32], c[32], e[32], g[32], k[32];
	size_t i;

	html_table_begin(h, heads, ARRAY_SIZE(heads));
	for (i = 0; i <= d->n_phases; i++) {
		const struct diff_phase *p = i < d->n_phases ? &d->phases[i] : &d->total;
		const char *cells[ARRAY_SIZE(heads)] = { p->name };
		int both = p->where == DIFF_IN_BOTH;
		const char *ge = p->wall_kind == REPORT_WALL_AT_LEAST ? ">= " : "";

		if (!selected(flt, d, p))
			continue;
		snprintf(a, sizeof(a), "%s", p->runs_a ? fmt_dur_narrow(g, sizeof(g),
									    p->wall_a.mean) : "-");
		snprintf(b, sizeof(b), "%s%s", both ? ge : "",
			 p->runs_b ? fmt_dur_narrow(k, sizeof(k), p->wall_b.mean) : "-");
		cells[1] = a;
		cells[2] = b;
		if (both) {
			cells[3] = fmt_sdur(c, sizeof(c), p->delta_ns);
			cells[4] = fmt_share(e, sizeof(e), p->delta_rel);
			cells[5] = fmt_sdur(g, sizeof(g), p->guest.explained_ns);
			cells[6] = fmt_sdur(k, sizeof(k), p->guest.unexplained_ns);
		} else {
			cells[3] = p->where == DIFF_ONLY_A ? "only in A" :
				   p->where == DIFF_ONLY_B ? "only in B" : "not in every run";
			cells[4] = cells[5] = cells[6] = "";
		}
		html_row(h, p == &d->total ? "sum" : NULL, cells);
	}
	html_table_end(h);
	html_note(h, ">= : a wall is a lower bound, a recording ended before the phase did.");
}

static const struct html_series wf_series[] = {
	{ "T_A, T_B", "#5b6b82", "the wall time of the phase in A and in B" },
	{ "more time", "#e15759", "a category that took longer in B" },
	{ "less time", "#59a14f", "a category that took less time in B" },
	{ "unexplained", "", "the part of the change that no category explains; it may be "
	  "negative when work ran in parallel", 1 },
};

/* The waterfall of one decomposition: the first TOP explained categories, the others, the rest. */
static int waterfall(struct html *h, const struct diff_phase *p, const struct diff_decomp *dc,
		     size_t top)
{
	struct html_waterfall w = { "T_A", "T_B", p->wall_a.mean, p->wall_b.mean };
	size_t i, n = 0, hidden = 0;
	struct html_step *steps;
	char (*labels)[64], (*values)[64], a[32], b[64], c[32], e[32], rest_label[48];
	double rest = 0;
	int err = -ENOMEM;

	steps = calloc(dc->n_cats + 2, sizeof(*steps));
	labels = calloc(dc->n_cats + 2, sizeof(*labels));
	values = calloc(dc->n_cats + 2, sizeof(*values));
	if (!steps || !labels || !values)
		goto out_free;
	for (i = 0; i < dc->n_cats; i++) {
		const struct diff_cat *k = &dc->cats[i];

		if (k->cls != DIFF_EXPLAINED)
			continue;
		if (top && n == top) {
			hidden++;
			rest += k->delta_ns;
			continue;
		}
		steps[n].label = fmt_diff_cat(labels[n], sizeof(labels[n]), k);
		snprintf(values[n], sizeof(values[n]), "%s (%s)",
			 fmt_sdur(a, sizeof(a), k->delta_ns), fmt_share(b, sizeof(b), k->share));
		steps[n].value = values[n];
		steps[n].delta_ns = k->delta_ns;
		n++;
	}
	if (hidden) {
		snprintf(rest_label, sizeof(rest_label), "%zu more categories", hidden);
		steps[n].label = rest_label;
		snprintf(values[n], sizeof(values[n]), "%s (%s)", fmt_sdur(a, sizeof(a), rest),
			 fmt_share(b, sizeof(b), report_ratio(rest, p->delta_ns)));
		steps[n].value = values[n];
		steps[n].delta_ns = rest;
		n++;
	}
	steps[n].label = "unexplained";
	snprintf(values[n], sizeof(values[n]), "%s (%s)",
		 fmt_sdur(a, sizeof(a), dc->unexplained_ns),
		 fmt_share(b, sizeof(b), report_ratio(dc->unexplained_ns, p->delta_ns)));
	steps[n].value = values[n];
	steps[n].delta_ns = dc->unexplained_ns;
	steps[n].hatched = 1;
	n++;
	w.steps = steps;
	w.n_steps = n;
	snprintf(a, sizeof(a), "%s", fmt_dur_narrow(c, sizeof(c), p->wall_a.mean));
	snprintf(b, sizeof(b), "%s (%s)", fmt_dur_narrow(c, sizeof(c), p->wall_b.mean),
		 fmt_share(e, sizeof(e), p->delta_rel));
	w.a_value = a;
	w.b_value = b;
	err = html_waterfall(h, &w);
	if (err == -EINVAL) {
		html_note(h, "No waterfall: a wall time is unknown.");
		err = 0;
	}
out_free:
	free(steps);
	free(labels);
	free(values);
	return err;
}

static void cat_row(struct html *h, const struct diff_cat *k, int sets)
{
	char rank[16] = "", l[64], a[32], b[32], e[32], g[32], m[32], n[32], sa[80], sb[80];
	char why[200];
	const char *cells[9];
	int times, counts;

	if (k->rank)
		snprintf(rank, sizeof(rank), "%d", k->rank);
	cells[0] = rank;
	cells[1] = fmt_diff_cat(l, sizeof(l), k);
	if (k->cls == DIFF_NO_COST) {
		snprintf(why, sizeof(why), "%s: %s (%s)", cells[1], k->note ? k->note : "",
			 k->probe ? k->probe : "");
		cells[1] = why;
		cells[2] = cells[3] = cells[4] = cells[5] = "";
	} else {
		cells[2] = fmt_sdur(e, sizeof(e), k->delta_ns);
		cells[3] = fmt_share(g, sizeof(g), k->share);
		cells[4] = fmt_sdur(m, sizeof(m), k->more_ns);
		cells[5] = fmt_sdur(n, sizeof(n), k->slower_ns);
	}
	cells[6] = k->has_count ? fmt_cnt(a, sizeof(a), k->count_a.mean, 20) : "-";
	cells[7] = k->has_count ? fmt_cnt(b, sizeof(b), k->count_b.mean, 20) : "-";
	cells[8] = fmt_diff_method(k);
	html_row(h, NULL, cells);
	if (!sets || k->cls == DIFF_NO_COST)
		return;
	times = !isnan(k->time_a.mean) && !isnan(k->time_b.mean) &&
		(k->time_a.min != k->time_a.max || k->time_b.min != k->time_b.max);
	counts = k->has_count && (k->count_a.min != k->count_a.max ||
				  k->count_b.min != k->count_b.max);
	if (times) {
		char line[256];
		const char *one[] = { line };

		snprintf(line, sizeof(line), "time A %s, B %s%s",
			 fmt_spread(sa, sizeof(sa), &k->time_a, 0),
			 fmt_spread(sb, sizeof(sb), &k->time_b, 0),
			 k->delta_ns != 0 && fabs(k->delta_ns) <= k->spread_ns ?
				 ": the change is within the spread" : "");
		html_row(h, "note", one);
	}
	if (counts) {
		char line[256];
		const char *one[] = { line };

		snprintf(line, sizeof(line), "count A %s, B %s",
			 fmt_spread(sa, sizeof(sa), &k->count_a, 1),
			 fmt_spread(sb, sizeof(sb), &k->count_b, 1));
		html_row(h, "note", one);
	}
}

static void cat_block(struct html *h, const struct diff_decomp *dc, enum diff_class cls,
		      const char *title, size_t top, int sets)
{
	size_t i, shown = 0, hidden = 0;
	double rest = 0;
	char line[128], a[32];
	const char *one[] = { line };

	if (!dc->n_class[cls])
		return;
	if (title) {
		snprintf(line, sizeof(line), "%s", title);
		html_row(h, "sub", one);
	}
	for (i = 0; i < dc->n_cats; i++) {
		const struct diff_cat *k = &dc->cats[i];

		if (k->cls != cls)
			continue;
		if (top && shown == top) {
			hidden++;
			if (!isnan(k->delta_ns))
				rest += k->delta_ns;
			continue;
		}
		cat_row(h, k, sets);
		shown++;
	}
	if (hidden && cls == DIFF_EXPLAINED)
		snprintf(line, sizeof(line), "%zu more, together %s; --top 0 lists all", hidden,
			 fmt_sdur(a, sizeof(a), rest));
	else if (hidden)
		snprintf(line, sizeof(line), "%zu more; --top 0 lists all", hidden);
	if (hidden)
		html_row(h, "note", one);
}

static int decomp(struct html *h, const struct diff_phase *p, const struct diff_decomp *dc,
		  const struct html_filter *flt, int sets)
{
	static const char *const heads[] = {
		">#", "category", ">change", ">share", ">more", ">slower", ">count A",
		">count B", "method",
	};
	char a[32], b[32];
	int err;

	if (!strcmp(dc->view, "host"))
		html_elem(h, "h3", NULL, !strcmp(dc->basis, "exit") ?
			  "Host view (VM exits, kvm_exit to kvm_entry): beside the guest view, "
			  "never added to it" :
			  "Host view (VMM time, userspace exit to the next KVM_RUN): beside the "
			  "guest view, never added to it");
	else
		html_elem(h, "h3", NULL, "Guest view");
	err = waterfall(h, p, dc, flt->top);
	if (err)
		return err;
	html_table_begin(h, heads, ARRAY_SIZE(heads));
	cat_block(h, dc, DIFF_EXPLAINED, NULL, flt->top, sets);
	{
		const char *ex[] = { "", "explained", fmt_sdur(a, sizeof(a), dc->explained_ns),
				     fmt_share(b, sizeof(b),
					       report_ratio(dc->explained_ns, p->delta_ns)),
				     "", "", "", "", "" };

		html_row(h, "sum", ex);
	}
	{
		const char *un[] = { "", "unexplained", fmt_sdur(a, sizeof(a), dc->unexplained_ns),
				     fmt_share(b, sizeof(b),
					       report_ratio(dc->unexplained_ns, p->delta_ns)),
				     "", "", "", "", "" };

		html_row(h, "sum", un);
	}
	cat_block(h, dc, DIFF_WAITING,
		  "waiting: blocked while other processes or the clock ran (not summed)", flt->top,
		  sets);
	cat_block(h, dc, DIFF_INSIDE, "inside the time of other categories (not summed)",
		  flt->top, sets);
	cat_block(h, dc, DIFF_NO_COST, "not estimated: no calibrated unit cost (not summed)",
		  flt->top, sets);
	html_table_end(h);
	return 0;
}

static int phase_section(struct html *h, const struct diff *d, const struct diff_phase *p,
			 const struct html_filter *flt)
{
	char a[32], b[32], c[32], e[32], title[256];
	int sets = d->a.n_runs > 1 || d->b.n_runs > 1, err;

	snprintf(title, sizeof(title), "%s%s: %s \u2192 %s, %s (%s)",
		 p == &d->total ? "Whole run" : "Phase ", p == &d->total ? "" : p->name,
		 fmt_dur_narrow(a, sizeof(a), p->wall_a.mean),
		 fmt_dur_narrow(b, sizeof(b), p->wall_b.mean), fmt_sdur(c, sizeof(c), p->delta_ns),
		 fmt_share(e, sizeof(e), p->delta_rel));
	html_elem(h, "h2", NULL, title);
	if (p->wall_kind != REPORT_WALL_EXACT)
		html_note(h, "wall: %s", p->wall_kind == REPORT_WALL_AT_LEAST ?
			  "a lower bound (a recording ended before the phase did)" :
			  "unknown in a run (it ended before anything was recorded)");
	if (sets)
		html_note(h, "spread: A %s-%s over %zu runs, B %s-%s over %zu runs",
			  fmt_dur_narrow(a, sizeof(a), p->wall_a.min),
			  fmt_dur_narrow(b, sizeof(b), p->wall_a.max), p->wall_a.n,
			  fmt_dur_narrow(c, sizeof(c), p->wall_b.min),
			  fmt_dur_narrow(e, sizeof(e), p->wall_b.max), p->wall_b.n);
	if (p->lost_a || p->lost_b)
		html_note(h, "warning: events lost (A %llu, B %llu): process counts are low",
			  (unsigned long long)p->lost_a, (unsigned long long)p->lost_b);
	err = decomp(h, p, &p->guest, flt, sets);
	if (!err && p->host.view)
		err = decomp(h, p, &p->host, flt, sets);
	else if (!err && p->host_note)
		html_note(h, "%s: no host decomposition", p->host_note);
	return err;
}

int html_diff(FILE *f, const struct diff *d, const struct html_filter *flt)
{
	const char *title = "hvtrace diff: where the time went, from A to B";
	struct html h;
	size_t i;
	int err;

	html_page_begin(&h, f, title);
	html_elem(&h, "h1", NULL, title);
	facts(&h, d);
	html_elem(&h, "h2", NULL, "Phases");
	overview(&h, d, flt);
	html_note(&h, "more = the extra events at A's mean cost; slower = B's events times the "
		  "change of their mean cost. method: traced = measured latency; trace+cal = "
		  "that plus each call's user/kernel round trip (calibrated); calib = count x "
		  "calibrated unit cost; cpu acct = the kernel's CPU time. Only \"explained\" "
		  "categories add up; docs/attribution.md says why.");
	html_legend(&h, wf_series, ARRAY_SIZE(wf_series));
	err = phase_section(&h, d, &d->total, flt);
	for (i = 0; i < d->n_phases && !err; i++)
		if (d->phases[i].where == DIFF_IN_BOTH && selected(flt, d, &d->phases[i]))
			err = phase_section(&h, d, &d->phases[i], flt);
	if (err)
		return err;
	html_page_end(&h);
	return 0;
}
