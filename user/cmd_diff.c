// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace diff: options, the choice of the two sides (two files, two sets
 * split by "--", or --baseline LABEL), and the printers of the diff model
 * (diff.h). One walk (header, each selected phase, total) feeds a printer:
 * text has its own layout; JSON and CSV share one description of the fields
 * (emit_*), so the two always carry the same data.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "diff.h"
#include "jsonw.h"
#include "recfile.h"
#include "util.h"

#define DIFF_JSON_VERSION 1
#define TEXT_WIDTH 100
#define KV_WIDTH 20
#define DEFAULT_TOP 10

struct out {
	FILE *f;
	const struct diff *d;
	const char *const *phase_names;	/* --phase; NULL: every phase */
	size_t n_phase_names;
	size_t top;			/* rows per block of the text; 0: all */
	int sets;			/* more than one run on a side */
	struct jsonw *jw;
	/* CSV: names of the open objects and arrays, and the current item. */
	const char *csv_path[8];
	int csv_depth;
	const char *csv_item;
	const char *csv_phase;
};

struct printer {
	void (*begin)(struct out *o);
	void (*phase)(struct out *o, const struct diff_phase *p);
	void (*end)(struct out *o);	/* may be NULL */
};

static int phase_selected(const struct out *o, const struct diff_phase *p)
{
	size_t i;

	if (!o->phase_names || p == &o->d->total)
		return 1;
	for (i = 0; i < o->n_phase_names; i++)
		if (!strcmp(o->phase_names[i], p->name))
			return 1;
	return 0;
}

/* The one walk every format goes through. */
static void walk(struct out *o, const struct printer *pr)
{
	size_t i;

	pr->begin(o);
	for (i = 0; i < o->d->n_phases; i++)
		if (phase_selected(o, &o->d->phases[i]))
			pr->phase(o, &o->d->phases[i]);
	pr->phase(o, &o->d->total);
	if (pr->end)
		pr->end(o);
}

/* ---- text ---------------------------------------------------------------- */

/* A duration; "-" when unknown. Past 1000 s, whole seconds keep the column narrow. */
static const char *fmt_dur(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		return "-";
	ns = round(ns);	/* 999999999.99 is "1.000 s", not "1000.0 ms" */
	if (ns >= 1e12)
		snprintf(buf, len, "%.0f s", ns / 1e9);
	else
		fmt_ns(buf, len, ns);
	return buf;
}

/* A signed difference: "+1.234 s", "-12.0 ms", "0". */
static const char *fmt_sdur(char *buf, size_t len, double ns)
{
	char t[32];

	if (isnan(ns))
		return "-";
	if (ns == 0)
		return "0";
	snprintf(buf, len, "%c%s", ns < 0 ? '-' : '+', fmt_dur(t, sizeof(t), fabs(ns)));
	return buf;
}

static const char *fmt_share(char *buf, size_t len, double ratio)
{
	if (isnan(ratio) || isinf(ratio))
		return "-";
	if (fabs(ratio) >= 10)
		snprintf(buf, len, "%+.0f%%", ratio * 100.0);
	else
		snprintf(buf, len, "%+.1f%%", ratio * 100.0);
	return buf;
}

/* A count (a mean over runs is rounded) in at most WIDTH columns. */
static const char *fmt_cnt(char *buf, size_t len, double n, size_t width)
{
	if (isnan(n))
		return "-";
	fmt_count(buf, len, (uint64_t)llround(n < 0 ? 0 : n));
	if (strlen(buf) <= width)
		return buf;
	if (n >= 1e9)
		snprintf(buf, len, "%.2fG", n / 1e9);
	else
		snprintf(buf, len, "%.2fM", n / 1e6);
	return buf;
}

/* S cut to WIDTH columns, marked with "..." when cut. */
static const char *clip(char *buf, size_t len, const char *s, size_t width)
{
	if (strlen(s) <= width || width < 4 || width >= len)
		return s;
	snprintf(buf, len, "%.*s...", (int)(width - 3), s);
	return buf;
}

/* A "  label   item, item, ..." line, wrapped under the first item at 100 columns. */
struct wrap {
	FILE *f;
	int col;
	int items;
};

static void wrap_start(struct wrap *w, FILE *f, const char *label)
{
	w->f = f;
	w->items = 0;
	w->col = fprintf(f, "  %-*s", KV_WIDTH - 2, label);
}

static void wrap_item(struct wrap *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wrap_item(struct wrap *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof(buf))
		len = sizeof(buf) - 1;
	if (w->items && w->col + 2 + len >= TEXT_WIDTH) {
		w->col = fprintf(w->f, ",\n%*s", KV_WIDTH, "") - 2;
	} else if (w->items) {
		fputs(", ", w->f);
		w->col += 2;
	}
	fputs(buf, w->f);
	w->col += len;
	w->items++;
}

static void wrap_end(struct wrap *w)
{
	fputc('\n', w->f);
}

static void text_side(struct out *o, const char *which, const struct diff_side *s)
{
	const struct diff_run *r0 = &s->runs[0];
	char c[128];
	struct wrap w;
	size_t i;

	wrap_start(&w, o->f, which);
	for (i = 0; i < s->n_runs; i++)
		wrap_item(&w, "%s", clip(c, sizeof(c), s->runs[i].path, 76));
	wrap_end(&w);
	wrap_start(&w, o->f, "");
	if (s->n_runs > 1)
		wrap_item(&w, "%zu runs", s->n_runs);
	if (s->n_runs == 1 || s->label)
		wrap_item(&w, "label %s", s->label && *s->label ? clip(c, sizeof(c), s->label, 40) :
								  "-");
	else
		wrap_item(&w, "labels differ");
	wrap_item(&w, "%s", r0->hostname ? clip(c, sizeof(c), r0->hostname, 40) : "unknown host");
	if (r0->kernel)
		wrap_item(&w, "%s", clip(c, sizeof(c), r0->kernel, 60));
	wrap_item(&w, "hypervisor %s", r0->hypervisor && *r0->hypervisor ?
					       clip(c, sizeof(c), r0->hypervisor, 40) : "unknown");
	for (i = 0; i < s->n_runs; i++)
		if (!s->runs[i].complete)
			break;
	if (i < s->n_runs)
		wrap_item(&w, "INCOMPLETE: %s did not end normally",
			  clip(c, sizeof(c), s->runs[i].path, 40));
	wrap_end(&w);
}

static const char *calib_state(const struct diff_side *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_runs; i++)
		n += s->runs[i].calibrated;
	if (n == s->n_runs)
		return s->n_runs > 1 ? "every run" : "yes";
	return n ? "not every run" : "none";
}

/* A "  title   name, name" line of the phases of one kind; none: no line. */
static void phase_names_where(struct out *o, enum diff_where where, const char *title)
{
	const struct diff *d = o->d;
	struct wrap w;
	size_t i;
	int first = 1;

	for (i = 0; i < d->n_phases; i++) {
		if (d->phases[i].where != where)
			continue;
		if (first)
			wrap_start(&w, o->f, title);
		wrap_item(&w, "%s", d->phases[i].name);
		first = 0;
	}
	if (!first)
		wrap_end(&w);
}

static const char *overview_fmt = "  %-16s %10s %10s %10s %8s %12s %12s\n";

static void text_overview_row(struct out *o, const struct diff_phase *p)
{
	char n[32], a[32], b[32], c[32], e[32], g[32], h[32];
	const char *at_least = p->wall_kind == REPORT_WALL_AT_LEAST ? ">=" : "";

	snprintf(a, sizeof(a), "%s", fmt_dur(g, sizeof(g), p->wall_a.mean));
	snprintf(b, sizeof(b), "%s", fmt_dur(h, sizeof(h), p->wall_b.mean));
	if (p->where == DIFF_IN_BOTH) {
		fprintf(o->f, overview_fmt, clip(n, sizeof(n), p->name, 16), a, b,
			fmt_sdur(c, sizeof(c), p->delta_ns), fmt_share(e, sizeof(e), p->delta_rel),
			fmt_sdur(g, sizeof(g), p->guest.explained_ns),
			fmt_sdur(h, sizeof(h), p->guest.unexplained_ns));
		if (*at_least)
			fprintf(o->f, "  %16s (a wall is a lower bound: a recording ended first)\n",
				"");
		return;
	}
	fprintf(o->f, "  %-16s %10s %10s  (%s)\n", clip(n, sizeof(n), p->name, 16),
		p->runs_a ? a : "-", p->runs_b ? b : "-",
		p->where == DIFF_ONLY_A ? "only in A" :
		p->where == DIFF_ONLY_B ? "only in B" : "not in every run: not compared");
}

static void text_begin(struct out *o)
{
	const struct diff *d = o->d;
	struct wrap w;
	size_t i;

	fprintf(o->f, "hvtrace diff: where the time went, from A to B\n");
	text_side(o, "A", &d->a);
	text_side(o, "B", &d->b);
	wrap_start(&w, o->f, "calibration");
	wrap_item(&w, "A %s", calib_state(&d->a));
	wrap_item(&w, "B %s", calib_state(&d->b));
	wrap_end(&w);
	phase_names_where(o, DIFF_IN_BOTH, "phases in both");
	phase_names_where(o, DIFF_ONLY_A, "only in A");
	phase_names_where(o, DIFF_ONLY_B, "only in B");
	phase_names_where(o, DIFF_SOME_RUNS, "not in every run");
	if (o->sets)
		fprintf(o->f, "  %-*sthe means of each side's runs; spread = min-max over runs\n",
			KV_WIDTH - 2, "numbers");

	fputc('\n', o->f);
	fprintf(o->f, overview_fmt, "phase", "wall A", "wall B", "change", "of A", "explained",
		"unexplained");
	for (i = 0; i < d->n_phases; i++)
		if (phase_selected(o, &d->phases[i]))
			text_overview_row(o, &d->phases[i]);
	text_overview_row(o, &d->total);
	fputs("\nmore = the extra events at A's mean cost; slower = B's events times the change "
	      "of their mean\ncost. method: traced = measured latency; trace+cal = that plus "
	      "each call's user/kernel\nround trip (calibrated); calib = count x calibrated unit "
	      "cost; cpu acct = the kernel's\nCPU time. Only \"explained\" categories add up; "
	      "docs/attribution.md says why.\n", o->f);
}

/* The label of a category in the text: "read <1ms", "page fault user-write", ... */
static const char *cat_label(char *buf, size_t len, const struct diff_cat *c)
{
	const char *g = c->group;

	if (!strcmp(g, "syscall") && c->method == DIFF_CALIBRATED)
		snprintf(buf, len, "syscall %s", c->name);
	else if (!strcmp(g, "syscall") && c->method == DIFF_TRACED_SPLIT)
		snprintf(buf, len, "%s %s", c->name, c->cls == DIFF_WAITING ? ">=1ms" : "<1ms");
	else if (!strcmp(g, "syscall") || !strcmp(g, "process") || !strcmp(g, "sched") ||
		 !strcmp(g, "steal"))
		snprintf(buf, len, "%s", c->name);
	else if (!strcmp(g, "fault"))
		snprintf(buf, len, "fault %s", c->name);
	else if (!strcmp(g, "cpu"))
		snprintf(buf, len, "CPU %s", c->name);
	else
		snprintf(buf, len, "%s %s", g, c->name);
	return buf;
}

static const char *method_short(const struct diff_cat *c)
{
	switch (c->method) {
	case DIFF_TRACED:
	case DIFF_TRACED_SPLIT:
		return c->entry_exit ? "trace+cal" : "traced";
	case DIFF_CALIBRATED:
		return "calib";
	case DIFF_CPU_TIME:
		return "cpu acct";
	case DIFF_COUNT_ONLY:
		return "count";
	}
	return "?";
}

#define CAT_HEAD "  %3s %-21s %10s %7s %10s %10s %9s %9s  %s\n"

/* "4.600 s (4.500 s-4.700 s)", or just the mean when every run had it. */
static const char *fmt_spread(char *buf, size_t len, const struct diff_stats *st, int count)
{
	char m[32], lo[32], hi[32];

	if (count) {
		fmt_cnt(m, sizeof(m), st->mean, 20);
		fmt_cnt(lo, sizeof(lo), st->min, 20);
		fmt_cnt(hi, sizeof(hi), st->max, 20);
	} else {
		fmt_dur(m, sizeof(m), st->mean);
		fmt_dur(lo, sizeof(lo), st->min);
		fmt_dur(hi, sizeof(hi), st->max);
	}
	if (st->min == st->max)
		snprintf(buf, len, "%s", m);
	else
		snprintf(buf, len, "%s (%s-%s)", m, lo, hi);
	return buf;
}

/*
 * Under a category's row, when a side has several runs and they differ: its
 * time and count per side, with their min-max.
 */
static void text_cat_spread(struct out *o, const struct diff_cat *c)
{
	int times = !isnan(c->time_a.mean) && !isnan(c->time_b.mean) &&
		    (c->time_a.min != c->time_a.max || c->time_b.min != c->time_b.max);
	int counts = c->has_count && (c->count_a.min != c->count_a.max ||
				      c->count_b.min != c->count_b.max);
	char a[80], b[80];

	if (times)
		fprintf(o->f, "  %3s   time A %s, B %s%s\n", "",
			fmt_spread(a, sizeof(a), &c->time_a, 0),
			fmt_spread(b, sizeof(b), &c->time_b, 0),
			c->delta_ns != 0 && fabs(c->delta_ns) <= c->spread_ns ?
				": the change is within the spread" : "");
	if (counts)
		fprintf(o->f, "  %3s   count A %s, B %s\n", "",
			fmt_spread(a, sizeof(a), &c->count_a, 1),
			fmt_spread(b, sizeof(b), &c->count_b, 1));
}

static void text_cat(struct out *o, const struct diff_cat *c)
{
	char rank[16] = "", l[64], n[32], a[32], b[32], e[32], g[64], h[32], k[32];
	const char *name;

	if (c->rank)
		snprintf(rank, sizeof(rank), "%d", c->rank);
	name = clip(n, sizeof(n), cat_label(l, sizeof(l), c), 21);
	if (c->cls == DIFF_NO_COST) {
		snprintf(g, sizeof(g), "%s (%s)", c->note, c->probe);
		fprintf(o->f, "  %3s %-21s %-40s %9s %9s  %s\n", rank, name, g,
			c->has_count ? fmt_cnt(a, sizeof(a), c->count_a.mean, 9) : "-",
			c->has_count ? fmt_cnt(b, sizeof(b), c->count_b.mean, 9) : "-",
			method_short(c));
		return;
	}
	fprintf(o->f, CAT_HEAD, rank, name, fmt_sdur(e, sizeof(e), c->delta_ns),
		fmt_share(g, sizeof(g), c->share), fmt_sdur(h, sizeof(h), c->more_ns),
		fmt_sdur(k, sizeof(k), c->slower_ns),
		c->has_count ? fmt_cnt(a, sizeof(a), c->count_a.mean, 9) : "-",
		c->has_count ? fmt_cnt(b, sizeof(b), c->count_b.mean, 9) : "-",
		method_short(c));
	if (o->sets)
		text_cat_spread(o, c);
}

/* The rows of one class; the ones past --top folded into one line. */
static void text_block(struct out *o, const struct diff_decomp *dc, enum diff_class cls,
		       const char *title)
{
	size_t i, shown = 0, hidden = 0;
	double rest = 0;
	char a[32];

	if (!dc->n_class[cls])
		return;
	if (title)
		fprintf(o->f, "  %s\n", title);
	for (i = 0; i < dc->n_cats; i++) {
		const struct diff_cat *c = &dc->cats[i];

		if (c->cls != cls)
			continue;
		if (o->top && shown == o->top) {
			hidden++;
			if (!isnan(c->delta_ns))
				rest += c->delta_ns;
			continue;
		}
		text_cat(o, c);
		shown++;
	}
	if (hidden && cls == DIFF_EXPLAINED)
		fprintf(o->f, "  %3s (%zu more, together %s; --top 0 lists all)\n", "", hidden,
			fmt_sdur(a, sizeof(a), rest));
	else if (hidden)
		fprintf(o->f, "  %3s (%zu more; --top 0 lists all)\n", "", hidden);
}

static void text_decomp(struct out *o, const struct diff_phase *p, const struct diff_decomp *dc)
{
	char a[32], b[32];

	if (!strcmp(dc->view, "host"))
		fprintf(o->f, "  host view (basis: %s): beside the guest view, never added to it\n",
			!strcmp(dc->basis, "exit") ? "VM exits, kvm_exit to kvm_entry" :
						    "VMM time, userspace exit to the next KVM_RUN");
	else
		fprintf(o->f, "  guest view\n");
	fprintf(o->f, CAT_HEAD, "#", "category", "change", "share", "more", "slower", "count A",
		"count B", "method");
	text_block(o, dc, DIFF_EXPLAINED, NULL);
	fprintf(o->f, "  %3s %-21s %10s %7s\n", "", "explained", fmt_sdur(a, sizeof(a),
		dc->explained_ns), fmt_share(b, sizeof(b),
		report_ratio(dc->explained_ns, p->delta_ns)));
	fprintf(o->f, "  %3s %-21s %10s %7s\n", "", "unexplained", fmt_sdur(a, sizeof(a),
		dc->unexplained_ns), fmt_share(b, sizeof(b),
		report_ratio(dc->unexplained_ns, p->delta_ns)));
	text_block(o, dc, DIFF_WAITING,
		   "waiting: blocked while other processes or the clock ran (not summed)");
	text_block(o, dc, DIFF_INSIDE, "inside the time of other categories (not summed)");
	text_block(o, dc, DIFF_NO_COST, "not estimated: no calibrated unit cost (not summed)");
}

static void text_phase(struct out *o, const struct diff_phase *p)
{
	char a[32], b[32], c[32], e[32], g[32], h[32];
	int total = p == &o->d->total;

	if (p->where != DIFF_IN_BOTH)
		return;
	fprintf(o->f, "\n%s%s: %s -> %s, %s (%s)\n", total ? "Whole run" : "Phase ",
		total ? "" : p->name, fmt_dur(a, sizeof(a), p->wall_a.mean),
		fmt_dur(b, sizeof(b), p->wall_b.mean), fmt_sdur(c, sizeof(c), p->delta_ns),
		fmt_share(e, sizeof(e), p->delta_rel));
	if (p->wall_kind != REPORT_WALL_EXACT)
		fprintf(o->f, "  wall: %s\n", p->wall_kind == REPORT_WALL_AT_LEAST ?
			"a lower bound (a recording ended before the phase did)" :
			"unknown in a run (it ended before anything was recorded)");
	if (o->sets)
		fprintf(o->f, "  spread: A %s-%s over %zu runs, B %s-%s over %zu runs\n",
			fmt_dur(a, sizeof(a), p->wall_a.min), fmt_dur(b, sizeof(b), p->wall_a.max),
			p->wall_a.n, fmt_dur(c, sizeof(c), p->wall_b.min),
			fmt_dur(e, sizeof(e), p->wall_b.max), p->wall_b.n);
	if (p->lost_a || p->lost_b)
		fprintf(o->f, "  warning: events lost (A %s, B %s): process counts are low\n",
			fmt_count(g, sizeof(g), p->lost_a), fmt_count(h, sizeof(h), p->lost_b));
	text_decomp(o, p, &p->guest);
	if (p->host.view)
		text_decomp(o, p, &p->host);
	else if (p->host_note)
		fprintf(o->f, "  %s: no host decomposition\n", p->host_note);
}

static const struct printer text_printer = { text_begin, text_phase, NULL };

/*
 * ---- JSON and CSV ------------------------------------------------------------
 * The fields are described once (emit_*) against this small interface;
 * docs/diff-json.md documents the result.
 */
struct emitter {
	void (*obj_begin)(struct out *o, const char *name);
	void (*obj_end)(struct out *o);
	void (*arr_begin)(struct out *o, const char *name);
	void (*arr_end)(struct out *o);
	/* An array element; KEY names it in CSV rows. */
	void (*item_begin)(struct out *o, const char *key);
	void (*item_end)(struct out *o);
	void (*u64)(struct out *o, const char *name, uint64_t v);
	void (*i64)(struct out *o, const char *name, int64_t v);
	void (*dbl)(struct out *o, const char *name, double v);	/* NAN: null */
	void (*str)(struct out *o, const char *name, const char *s);	/* NULL: null */
	void (*boolean)(struct out *o, const char *name, int v);
};

static const char *wall_kind_name(enum report_wall k)
{
	switch (k) {
	case REPORT_WALL_AT_LEAST:
		return "at_least";
	case REPORT_WALL_UNKNOWN:
		return "unknown";
	default:
		return "exact";
	}
}

static void emit_stats(const struct emitter *e, struct out *o, const char *name,
		       const struct diff_stats *s)
{
	e->obj_begin(o, name);
	e->dbl(o, "mean", s->mean);
	e->dbl(o, "min", s->min);
	e->dbl(o, "max", s->max);
	e->dbl(o, "stddev", s->stddev);
	e->u64(o, "runs", s->n);
	e->obj_end(o);
}

static void emit_side(const struct emitter *e, struct out *o, const char *name,
		      const struct diff_side *s)
{
	size_t i;

	e->obj_begin(o, name);
	e->str(o, "label", s->label);
	e->boolean(o, "host_view", s->has_host);
	e->arr_begin(o, "runs");
	for (i = 0; i < s->n_runs; i++) {
		const struct diff_run *r = &s->runs[i];

		e->item_begin(o, r->path);
		e->str(o, "file", r->path);
		e->str(o, "label", r->label);
		e->str(o, "hostname", r->hostname);
		e->str(o, "kernel", r->kernel);
		e->str(o, "hypervisor", r->hypervisor);
		e->boolean(o, "complete", r->complete);
		e->boolean(o, "calibrated", r->calibrated);
		e->boolean(o, "host_view", r->has_host);
		e->item_end(o);
	}
	e->arr_end(o);
	e->obj_end(o);
}

static void emit_cat(const struct emitter *e, struct out *o, const struct diff_cat *c)
{
	char key[96];

	snprintf(key, sizeof(key), "%s:%s", c->group, c->name);
	e->item_begin(o, key);
	if (c->rank)
		e->i64(o, "rank", c->rank);
	else
		e->str(o, "rank", NULL);
	e->str(o, "group", c->group);
	e->str(o, "name", c->name);
	e->str(o, "method", diff_method_name(c->method));
	e->str(o, "probe", c->probe);
	e->str(o, "note", c->note);
	e->boolean(o, "entry_exit", c->entry_exit);
	e->dbl(o, "entry_exit_a_ns", c->entry_exit ? c->entry_a_ns : NAN);
	e->dbl(o, "entry_exit_b_ns", c->entry_exit ? c->entry_b_ns : NAN);
	if (c->has_count) {
		emit_stats(e, o, "count_a", &c->count_a);
		emit_stats(e, o, "count_b", &c->count_b);
	} else {
		e->str(o, "count_a", NULL);
		e->str(o, "count_b", NULL);
	}
	emit_stats(e, o, "time_a_ns", &c->time_a);
	emit_stats(e, o, "time_b_ns", &c->time_b);
	e->dbl(o, "mean_a_ns", c->mean_a_ns);
	e->dbl(o, "mean_b_ns", c->mean_b_ns);
	e->dbl(o, "delta_count", c->delta_count);
	e->dbl(o, "delta_ns", c->delta_ns);
	e->dbl(o, "more_ns", c->more_ns);
	e->dbl(o, "slower_ns", c->slower_ns);
	e->dbl(o, "share", c->share);
	e->dbl(o, "spread_ns", c->spread_ns);
	e->item_end(o);
}

static void emit_decomp(const struct emitter *e, struct out *o, const char *name,
			const struct diff_phase *p, const struct diff_decomp *dc)
{
	enum diff_class cls;
	size_t i;

	if (!dc->view) {
		e->str(o, name, NULL);
		return;
	}
	e->obj_begin(o, name);
	e->str(o, "basis", dc->basis);
	e->dbl(o, "explained_ns", dc->explained_ns);
	e->dbl(o, "unexplained_ns", dc->unexplained_ns);
	e->dbl(o, "explained_share", report_ratio(dc->explained_ns, p->delta_ns));
	e->dbl(o, "unexplained_share", report_ratio(dc->unexplained_ns, p->delta_ns));
	for (cls = 0; cls < DIFF_CLASSES; cls++) {
		e->arr_begin(o, diff_class_name(cls));
		for (i = 0; i < dc->n_cats; i++)
			if (dc->cats[i].cls == cls)
				emit_cat(e, o, &dc->cats[i]);
		e->arr_end(o);
	}
	e->obj_end(o);
}

static void emit_phase_body(const struct emitter *e, struct out *o, const struct diff_phase *p)
{
	int both = p->where == DIFF_IN_BOTH;

	e->str(o, "name", p->name);
	e->str(o, "where", diff_where_name(p->where));
	e->u64(o, "runs_a", p->runs_a);
	e->u64(o, "runs_b", p->runs_b);
	e->str(o, "wall", wall_kind_name(p->wall_kind));
	emit_stats(e, o, "wall_a_ns", &p->wall_a);
	emit_stats(e, o, "wall_b_ns", &p->wall_b);
	e->dbl(o, "delta_ns", p->delta_ns);
	e->dbl(o, "delta_rel", p->delta_rel);
	e->u64(o, "lost_events_a", p->lost_a);
	e->u64(o, "lost_events_b", p->lost_b);
	if (both) {
		emit_decomp(e, o, "guest", p, &p->guest);
		emit_decomp(e, o, "host", p, &p->host);
	} else {
		e->str(o, "guest", NULL);
		e->str(o, "host", NULL);
	}
	e->str(o, "host_note", p->host_note);
}

/* -- JSON back end -- */

static void j_obj_begin(struct out *o, const char *name)
{
	if (name)
		jsonw_name(o->jw, name);
	jsonw_start_object(o->jw);
}

static void j_obj_end(struct out *o)
{
	jsonw_end_object(o->jw);
}

static void j_arr_begin(struct out *o, const char *name)
{
	jsonw_name(o->jw, name);
	jsonw_start_array(o->jw);
}

static void j_arr_end(struct out *o)
{
	jsonw_end_array(o->jw);
}

static void j_item_begin(struct out *o, const char *key)
{
	jsonw_start_object(o->jw);
}

static void j_u64(struct out *o, const char *name, uint64_t v)
{
	jsonw_uint_field(o->jw, name, v);
}

static void j_i64(struct out *o, const char *name, int64_t v)
{
	jsonw_int_field(o->jw, name, v);
}

/*
 * 13 significant digits: more than any figure here means (ns over hours), and
 * no float noise from the arithmetic (1e9 rather than 999999999.9999999).
 */
static double stable(double v)
{
	char buf[32];

	if (!isfinite(v))
		return v;
	snprintf(buf, sizeof(buf), "%.13g", v);
	v = strtod(buf, NULL);
	return v == 0 ? 0 : v;
}

static void j_dbl(struct out *o, const char *name, double v)
{
	jsonw_float_field(o->jw, name, stable(v));
}

static void j_str(struct out *o, const char *name, const char *s)
{
	jsonw_string_field(o->jw, name, s);
}

static void j_bool(struct out *o, const char *name, int v)
{
	jsonw_bool_field(o->jw, name, v);
}

static const struct emitter json_emitter = {
	j_obj_begin, j_obj_end, j_arr_begin, j_arr_end, j_item_begin, j_obj_end,
	j_u64, j_i64, j_dbl, j_str, j_bool,
};

static void json_begin(struct out *o)
{
	jsonw_start_object(o->jw);
	jsonw_string_field(o->jw, "format", "hvtrace-diff");
	jsonw_int_field(o->jw, "format_version", DIFF_JSON_VERSION);
	jsonw_name(o->jw, "method");
	jsonw_start_object(o->jw);
	jsonw_uint_field(o->jw, "wait_split_ns", DIFF_WAIT_SPLIT_NS);
	jsonw_string_field(o->jw, "host_basis", o->d->host_basis);
	jsonw_bool_field(o->jw, "syscall_entry_exit", o->d->entry_exit);
	jsonw_end_object(o->jw);
	emit_side(&json_emitter, o, "a", &o->d->a);
	emit_side(&json_emitter, o, "b", &o->d->b);
	jsonw_name(o->jw, "phases");
	jsonw_start_array(o->jw);
}

static void json_phase(struct out *o, const struct diff_phase *p)
{
	if (p == &o->d->total) {
		jsonw_end_array(o->jw);
		jsonw_name(o->jw, "total");
	}
	jsonw_start_object(o->jw);
	emit_phase_body(&json_emitter, o, p);
	jsonw_end_object(o->jw);
}

static void json_end(struct out *o)
{
	jsonw_end_object(o->jw);
}

static const struct printer json_printer = { json_begin, json_phase, json_end };

/*
 * -- CSV back end --
 * Long format, one value per row: phase,section,item,metric,value. section is
 * the dotted path of objects inside a phase ("guest.explained.count_a";
 * "phase" for a phase's own fields; "a", "a.runs", "method" before them).
 */

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_row(struct out *o, const char *metric, const char *value)
{
	char section[160] = "";
	int i;

	csv_field(o->f, o->csv_phase ? o->csv_phase : "");
	fputc(',', o->f);
	for (i = 0; i < o->csv_depth; i++) {
		if (i)
			strncat(section, ".", sizeof(section) - strlen(section) - 1);
		strncat(section, o->csv_path[i], sizeof(section) - strlen(section) - 1);
	}
	csv_field(o->f, *section ? section : "phase");
	fputc(',', o->f);
	csv_field(o->f, o->csv_item ? o->csv_item : "");
	fputc(',', o->f);
	csv_field(o->f, metric);
	fputc(',', o->f);
	csv_field(o->f, value);
	fputc('\n', o->f);
}

static void c_push(struct out *o, const char *name)
{
	if (o->csv_depth < (int)ARRAY_SIZE(o->csv_path))
		o->csv_path[o->csv_depth++] = name;
}

static void c_pop(struct out *o)
{
	if (o->csv_depth)
		o->csv_depth--;
}

static void c_item_begin(struct out *o, const char *key)
{
	o->csv_item = key;
}

static void c_item_end(struct out *o)
{
	o->csv_item = NULL;
}

static void c_u64(struct out *o, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	csv_row(o, name, buf);
}

static void c_i64(struct out *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	csv_row(o, name, buf);
}

static void c_dbl(struct out *o, const char *name, double v)
{
	char buf[32] = "";

	if (isfinite(v))
		snprintf(buf, sizeof(buf), "%.15g", stable(v));
	csv_row(o, name, buf);
}

static void c_str(struct out *o, const char *name, const char *s)
{
	csv_row(o, name, s ? s : "");
}

static void c_bool(struct out *o, const char *name, int v)
{
	csv_row(o, name, v ? "1" : "0");
}

static const struct emitter csv_emitter = {
	c_push, c_pop, c_push, c_pop, c_item_begin, c_item_end,
	c_u64, c_i64, c_dbl, c_str, c_bool,
};

static void csv_begin(struct out *o)
{
	fputs("phase,section,item,metric,value\n", o->f);
	c_push(o, "method");
	c_u64(o, "wait_split_ns", DIFF_WAIT_SPLIT_NS);
	c_str(o, "host_basis", o->d->host_basis);
	c_bool(o, "syscall_entry_exit", o->d->entry_exit);
	c_pop(o);
	emit_side(&csv_emitter, o, "a", &o->d->a);
	emit_side(&csv_emitter, o, "b", &o->d->b);
}

static void csv_phase(struct out *o, const struct diff_phase *p)
{
	o->csv_phase = p->name;
	emit_phase_body(&csv_emitter, o, p);
	o->csv_phase = NULL;
}

static const struct printer csv_printer = { csv_begin, csv_phase, NULL };

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace diff A.hvt B.hvt [--json|--csv] [--phase NAME]... [--top N]\n"
		"       hvtrace diff [OPTIONS] A1.hvt A2.hvt... -- B1.hvt B2.hvt...\n"
		"       hvtrace diff [OPTIONS] --baseline LABEL FILE...\n"
		"\n"
		"Explains where the time went from run A to run B: for each phase in both,\n"
		"the change of wall time (B - A) and the categories that make it (syscalls,\n"
		"page faults, process creation, run-queue delay, CPU time; VM exits of a host\n"
		"view separately), ranked, each split into more events and slower events;\n"
		"then what no category explains. With several runs per side it compares\n"
		"their means and shows the spread (min-max over runs).\n"
		"\n"
		"Sides: two files; or sets split by '--' (everything after it is a file);\n"
		"or --baseline LABEL: A is the files labelled LABEL (record --label), B the\n"
		"others, which must share one label.\n"
		"\n"
		"Options:\n"
		"  -b, --baseline LABEL  side A = the files labelled LABEL, side B = the rest\n"
		"  --json          JSON (stable, documented in docs/diff-json.md)\n"
		"  --csv           CSV, one value per row: phase,section,item,metric,value\n"
		"  --phase NAME    only the phase NAME (repeatable); the whole run stays\n"
		"  --top N         categories per block of the text (default %d; 0 lists all);\n"
		"                  JSON and CSV always carry every category\n"
		"  -h, --help      this text\n"
		"\n"
		"Examples:\n"
		"  hvtrace diff native.hvt kvm.hvt\n"
		"  hvtrace diff runs/native-*.hvt -- runs/kvm-*.hvt --top 0\n"
		"  hvtrace diff --baseline native runs/native-*.hvt runs/kvm-*.hvt\n"
		"  hvtrace diff native.hvt kvm.hvt --json | jq '.phases[].guest.explained[0]'\n",
		DEFAULT_TOP);
}

struct loaded {
	struct recording **recs;
	size_t n;
};

static void loaded_free(struct loaded *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		recording_free(l->recs[i]);
	free(l->recs);
}

static int load_all(struct loaded *l, char *const *paths, size_t n)
{
	char err[512];
	size_t i;

	l->recs = calloc(n, sizeof(*l->recs));
	if (!l->recs) {
		hvt_err("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		l->recs[i] = recording_load(paths[i], err, sizeof(err));
		if (!l->recs[i]) {
			hvt_err("%s", err);
			return -errno;
		}
		l->n++;
	}
	return 0;
}

static const char *label_of(const struct recording *rec)
{
	const char *l = recording_meta(rec, "label");

	return l && *l ? l : "(none)";
}

/* "native, kvm" for the distinct labels of RECS. */
static void label_list(struct recording *const *recs, size_t n, char *buf, size_t len)
{
	size_t i, k, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o + 1 < len; i++) {
		for (k = 0; k < i; k++)
			if (!strcmp(label_of(recs[k]), label_of(recs[i])))
				break;
		if (k == i)
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", label_of(recs[i]));
	}
}

/*
 * --baseline: A = the recordings labelled LABEL, B = the others, which must
 * share one label. The arrays point into L.
 */
static int split_by_label(const struct loaded *l, const char *label,
			  const struct recording **a, size_t *na,
			  const struct recording **b, size_t *nb)
{
	char list[512];
	size_t i;

	*na = *nb = 0;
	for (i = 0; i < l->n; i++) {
		if (!strcmp(label_of(l->recs[i]), label))
			a[(*na)++] = l->recs[i];
		else
			b[(*nb)++] = l->recs[i];
	}
	label_list(l->recs, l->n, list, sizeof(list));
	if (!*na) {
		hvt_err("no recording labelled '%s' (labels: %s)", label, list);
		return -ENOENT;
	}
	if (!*nb) {
		hvt_err("every recording is labelled '%s': nothing to compare it with", label);
		return -ENOENT;
	}
	for (i = 1; i < *nb; i++) {
		if (strcmp(label_of(b[i]), label_of(b[0]))) {
			hvt_err("more than one label besides the baseline '%s' (labels: %s); "
				"diff compares two sides: name the files, split by '--'",
				label, list);
			return -EINVAL;
		}
	}
	return 0;
}

static void phase_list(const struct diff *d, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n_phases && o + 1 < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", d->phases[i].name);
	if (!d->n_phases)
		snprintf(buf, len, "none");
}

/* "a: x, y; b: z" naming each side's phases, for the "no phase in common" error. */
static void side_phases(const struct diff *d, enum diff_where where, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n_phases && o + 1 < len; i++)
		if (d->phases[i].where == where || d->phases[i].where == DIFF_SOME_RUNS)
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", d->phases[i].name);
	if (!o)
		snprintf(buf, len, "none");
}

struct opts {
	int json, csv;
	const char *baseline;
	const char **names;		/* --phase */
	size_t n_names;
	size_t top;
	int help;
};

/*
 * Parses the options in ARGV (argv[0] is skipped) and moves its other words,
 * the files, to FILES. Returns 0, or HVT_EXIT_USAGE after saying why.
 */
static int parse_part(int argc, char **argv, struct opts *op, char **files, size_t *nfiles)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "phase", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint64_t n;
	int opt;

	opterr = 0;
	optind = 0;	/* glibc: start afresh, this may be the second parse */
	while ((opt = getopt_long(argc, argv, ":hb:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			op->json = 1;
			break;
		case 'c':
			op->csv = 1;
			break;
		case 'p':
			op->names[op->n_names++] = optarg;
			break;
		case 'b':
			op->baseline = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 1000000, &n))
				return hvt_usage_err("diff", "--top wants a count, not '%s'",
						     optarg);
			op->top = n;
			break;
		case 'h':
			op->help = 1;
			return 0;
		case ':':
			return hvt_usage_err("diff", "option '%s' needs a value", argv[optind - 1]);
		default:
			return hvt_usage_err("diff", "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++)
		files[(*nfiles)++] = argv[optind];
	return 0;
}

/*
 * The sides: --baseline LABEL groups the files by label; "--" splits them;
 * else exactly two files. The arrays point into L, which owns the recordings.
 */
static int choose_sides(const struct opts *op, char **fa, size_t nfa, char **fb, size_t nfb,
			int split, struct loaded *l, const struct recording **a, size_t *na,
			const struct recording **b, size_t *nb)
{
	size_t k;

	if (load_all(l, fa, nfa))
		return HVT_EXIT_FAIL;
	if (split) {
		struct loaded lb = { NULL, 0 };
		struct recording **all;

		if (load_all(&lb, fb, nfb)) {
			loaded_free(&lb);
			return HVT_EXIT_FAIL;
		}
		all = realloc(l->recs, (l->n + lb.n) * sizeof(*l->recs));
		if (!all) {
			loaded_free(&lb);
			hvt_err("out of memory");
			return HVT_EXIT_FAIL;
		}
		l->recs = all;
		memcpy(l->recs + l->n, lb.recs, lb.n * sizeof(*lb.recs));
		free(lb.recs);
		for (k = 0; k < l->n; k++)
			a[(*na)++] = l->recs[k];
		for (k = 0; k < lb.n; k++)
			b[(*nb)++] = l->recs[l->n + k];
		l->n += lb.n;
		return 0;
	}
	if (op->baseline)
		return split_by_label(l, op->baseline, a, na, b, nb) ? HVT_EXIT_FAIL : 0;
	a[(*na)++] = l->recs[0];
	b[(*nb)++] = l->recs[1];
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	const struct printer *pr = &text_printer;
	struct out o = { .f = stdout };
	struct opts op = { .top = DEFAULT_TOP };
	const struct recording **a = NULL, **b = NULL;
	struct loaded l = { NULL, 0 };
	char **fa = NULL, **fb = NULL, **right = NULL, err[1024], err2[512];
	int ret = HVT_EXIT_FAIL, sep = -1, i;
	size_t na = 0, nb = 0, nfa = 0, nfb = 0, k;
	struct diff *d = NULL;

	/* "--" splits the sides, so getopt, which would drop it, never sees it. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		if (sep >= 0)
			return hvt_usage_err("diff", "one '--' splits the two sides; got more");
		sep = i;
	}
	op.names = calloc(argc, sizeof(*op.names));
	fa = calloc(argc, sizeof(*fa));
	fb = calloc(argc, sizeof(*fb));
	right = calloc(argc + 1, sizeof(*right));
	a = calloc(argc, sizeof(*a));
	b = calloc(argc, sizeof(*b));
	if (!op.names || !fa || !fb || !right || !a || !b) {
		hvt_err("out of memory");
		goto out_free;
	}
	ret = parse_part(sep < 0 ? argc : sep, argv, &op, fa, &nfa);
	if (!ret && sep >= 0 && !op.help) {
		right[0] = argv[0];
		memcpy(right + 1, argv + sep + 1, (argc - sep - 1) * sizeof(*right));
		ret = parse_part(argc - sep, right, &op, fb, &nfb);
	}
	if (ret)
		goto out_free;
	if (op.help) {
		usage(stdout);
		ret = HVT_EXIT_OK;
		goto out_free;
	}
	o.top = op.top;
	ret = HVT_EXIT_USAGE;
	if (op.json && op.csv) {
		hvt_usage_err("diff", "--json and --csv exclude each other");
		goto out_free;
	}
	if (sep >= 0 && op.baseline) {
		hvt_usage_err("diff", "--baseline and '--' exclude each other: choose the sides "
			      "one way");
		goto out_free;
	}
	if (sep >= 0 && (!nfa || !nfb)) {
		hvt_usage_err("diff", "'--' needs recordings on both sides "
			      "(A1.hvt... -- B1.hvt...)");
		goto out_free;
	}
	if (sep < 0 && op.baseline && nfa < 2) {
		hvt_usage_err("diff", "--baseline needs recordings of two labels");
		goto out_free;
	}
	if (sep < 0 && !op.baseline && nfa < 2) {
		hvt_usage_err("diff", "which recordings? A.hvt and B.hvt are needed (got %zu)",
			      nfa);
		goto out_free;
	}
	if (sep < 0 && !op.baseline && nfa > 2) {
		hvt_usage_err("diff", "%zu recordings: give two, or split sets by '--' "
			      "(A1 A2 -- B1 B2), or group them with --baseline LABEL", nfa);
		goto out_free;
	}

	ret = choose_sides(&op, fa, nfa, fb, nfb, sep >= 0, &l, a, &na, b, &nb);
	if (ret)
		goto out_free;
	ret = HVT_EXIT_FAIL;
	d = diff_build(a, na, b, nb);
	if (!d) {
		hvt_err("cannot compare the recordings: %s", strerror(errno));
		goto out_free;
	}
	if (!d->n_common) {
		side_phases(d, DIFF_ONLY_A, err, sizeof(err));
		side_phases(d, DIFF_ONLY_B, err2, sizeof(err2));
		hvt_err("no phase in common, nothing to compare (A has: %s; B has: %s)", err, err2);
		goto out_free;
	}
	for (k = 0; k < op.n_names; k++) {
		if (!diff_phase_find(d, op.names[k])) {
			phase_list(d, err, sizeof(err));
			hvt_err("no phase named '%s' in the recordings (phases: %s)", op.names[k],
				err);
			goto out_free;
		}
	}
	if (op.n_names) {
		o.phase_names = op.names;
		o.n_phase_names = op.n_names;
	}
	o.d = d;
	o.sets = na > 1 || nb > 1;
	if (op.json) {
		o.jw = jsonw_new(stdout);
		if (!o.jw) {
			hvt_err("out of memory");
			goto out_free;
		}
		pr = &json_printer;
	} else if (op.csv) {
		pr = &csv_printer;
	}
	walk(&o, pr);
	jsonw_destroy(o.jw);
	if (fflush(stdout) || ferror(stdout)) {
		hvt_err("cannot write the diff: %s", strerror(errno));
		goto out_free;
	}
	ret = HVT_EXIT_OK;

out_free:
	diff_free(d);
	loaded_free(&l);
	free(op.names);
	free(fa);
	free(fb);
	free(right);
	free(a);
	free(b);
	return ret;
}
