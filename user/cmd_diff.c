// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace diff: options, the choice of the two sides (two files, two sets
 * split by "--", or --baseline LABEL), and the printers of the diff model
 * (diff.h). One walk (header, each selected phase, total) feeds a printer:
 * text has its own layout; JSON and CSV share one description of the fields
 * (emit_*, printed by emit.c), so the two always carry the same data. The
 * HTML page is html_diff()'s (html.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "diff.h"
#include "emit.h"
#include "fmt.h"
#include "html.h"
#include "outfile.h"
#include "recfile.h"
#include "textw.h"
#include "util.h"

#define DIFF_JSON_VERSION 1
#define DEFAULT_TOP 10

struct out {
	FILE *f;
	const struct diff *d;
	const char *const *phase_names;	/* --phase; NULL: every phase */
	size_t n_phase_names;
	size_t top;			/* rows per block of the text; 0: all */
	int sets;			/* more than one run on a side */
	struct emit *em;		/* JSON and CSV */
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

static void text_side(struct out *o, const char *which, const struct diff_side *s)
{
	const struct diff_run *r0 = &s->runs[0];
	char c[128];
	struct textw_line w;
	size_t i;

	textw_start(&w, o->f, which);
	for (i = 0; i < s->n_runs; i++)
		textw_item(&w, "%s", textw_clip(c, sizeof(c), s->runs[i].path, 76));
	textw_end(&w);
	textw_start(&w, o->f, "");
	if (s->n_runs > 1)
		textw_item(&w, "%zu runs", s->n_runs);
	if (s->n_runs == 1 || s->label)
		textw_item(&w, "label %s",
			   s->label && *s->label ? textw_clip(c, sizeof(c), s->label, 40) : "-");
	else
		textw_item(&w, "labels differ");
	textw_item(&w, "%s",
		   r0->hostname ? textw_clip(c, sizeof(c), r0->hostname, 40) : "unknown host");
	if (r0->kernel)
		textw_item(&w, "%s", textw_clip(c, sizeof(c), r0->kernel, 60));
	textw_item(&w, "hypervisor %s", r0->hypervisor && *r0->hypervisor ?
		   textw_clip(c, sizeof(c), r0->hypervisor, 40) : "unknown");
	for (i = 0; i < s->n_runs; i++)
		if (!s->runs[i].complete)
			break;
	if (i < s->n_runs)
		textw_item(&w, "INCOMPLETE: %s did not end normally",
			   textw_clip(c, sizeof(c), s->runs[i].path, 40));
	textw_end(&w);
}

/* A "  title   name, name" line of the phases of one kind; none: no line. */
static void phase_names_where(struct out *o, enum diff_where where, const char *title)
{
	const struct diff *d = o->d;
	struct textw_line w;
	size_t i;
	int first = 1;

	for (i = 0; i < d->n_phases; i++) {
		if (d->phases[i].where != where)
			continue;
		if (first)
			textw_start(&w, o->f, title);
		textw_item(&w, "%s", d->phases[i].name);
		first = 0;
	}
	if (!first)
		textw_end(&w);
}

static const char *overview_fmt = "  %-16s %10s %10s %10s %8s %12s %12s\n";

static void text_overview_row(struct out *o, const struct diff_phase *p)
{
	char n[32], a[32], b[32], c[32], e[32], g[32], h[32];
	const char *at_least = p->wall_kind == REPORT_WALL_AT_LEAST ? ">=" : "";

	snprintf(a, sizeof(a), "%s", fmt_dur_narrow(g, sizeof(g), p->wall_a.mean));
	snprintf(b, sizeof(b), "%s", fmt_dur_narrow(h, sizeof(h), p->wall_b.mean));
	if (p->where == DIFF_IN_BOTH) {
		fprintf(o->f, overview_fmt, textw_clip(n, sizeof(n), p->name, 16), a, b,
			fmt_sdur(c, sizeof(c), p->delta_ns), fmt_share(e, sizeof(e), p->delta_rel),
			fmt_sdur(g, sizeof(g), p->guest.explained_ns),
			fmt_sdur(h, sizeof(h), p->guest.unexplained_ns));
		if (*at_least)
			fprintf(o->f, "  %16s (a wall is a lower bound: a recording ended first)\n",
				"");
		return;
	}
	fprintf(o->f, "  %-16s %10s %10s  (%s)\n", textw_clip(n, sizeof(n), p->name, 16),
		p->runs_a ? a : "-", p->runs_b ? b : "-",
		p->where == DIFF_ONLY_A ? "only in A" :
		p->where == DIFF_ONLY_B ? "only in B" : "not in every run: not compared");
}

static void text_begin(struct out *o)
{
	const struct diff *d = o->d;
	struct textw_line w;
	size_t i;

	fprintf(o->f, "hvtrace diff: where the time went, from A to B\n");
	text_side(o, "A", &d->a);
	text_side(o, "B", &d->b);
	textw_start(&w, o->f, "calibration");
	textw_item(&w, "A %s", fmt_diff_calib(&d->a));
	textw_item(&w, "B %s", fmt_diff_calib(&d->b));
	textw_end(&w);
	phase_names_where(o, DIFF_IN_BOTH, "phases in both");
	phase_names_where(o, DIFF_ONLY_A, "only in A");
	phase_names_where(o, DIFF_ONLY_B, "only in B");
	phase_names_where(o, DIFF_SOME_RUNS, "not in every run");
	if (o->sets)
		fprintf(o->f, "  %-*sthe means of each side's runs; spread = min-max over runs\n",
			TEXTW_KV_WIDTH - 2, "numbers");

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

#define CAT_HEAD "  %3s %-21s %10s %7s %10s %10s %9s %9s  %s\n"

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
	name = textw_clip(n, sizeof(n), fmt_diff_cat(l, sizeof(l), c), 21);
	if (c->cls == DIFF_NO_COST) {
		snprintf(g, sizeof(g), "%s (%s)", c->note, c->probe);
		fprintf(o->f, "  %3s %-21s %-40s %9s %9s  %s\n", rank, name, g,
			c->has_count ? fmt_cnt(a, sizeof(a), c->count_a.mean, 9) : "-",
			c->has_count ? fmt_cnt(b, sizeof(b), c->count_b.mean, 9) : "-",
			fmt_diff_method(c));
		return;
	}
	fprintf(o->f, CAT_HEAD, rank, name, fmt_sdur(e, sizeof(e), c->delta_ns),
		fmt_share(g, sizeof(g), c->share), fmt_sdur(h, sizeof(h), c->more_ns),
		fmt_sdur(k, sizeof(k), c->slower_ns),
		c->has_count ? fmt_cnt(a, sizeof(a), c->count_a.mean, 9) : "-",
		c->has_count ? fmt_cnt(b, sizeof(b), c->count_b.mean, 9) : "-",
		fmt_diff_method(c));
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
		total ? "" : p->name, fmt_dur_narrow(a, sizeof(a), p->wall_a.mean),
		fmt_dur_narrow(b, sizeof(b), p->wall_b.mean), fmt_sdur(c, sizeof(c), p->delta_ns),
		fmt_share(e, sizeof(e), p->delta_rel));
	if (p->wall_kind != REPORT_WALL_EXACT)
		fprintf(o->f, "  wall: %s\n", p->wall_kind == REPORT_WALL_AT_LEAST ?
			"a lower bound (a recording ended before the phase did)" :
			"unknown in a run (it ended before anything was recorded)");
	if (o->sets)
		fprintf(o->f, "  spread: A %s-%s over %zu runs, B %s-%s over %zu runs\n",
			fmt_dur_narrow(a, sizeof(a), p->wall_a.min),
			fmt_dur_narrow(b, sizeof(b), p->wall_a.max), p->wall_a.n,
			fmt_dur_narrow(c, sizeof(c), p->wall_b.min),
			fmt_dur_narrow(e, sizeof(e), p->wall_b.max), p->wall_b.n);
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
 * The fields are described once (emit_*); emit.c prints them in either
 * format, and docs/diff-json.md documents the result.
 */

static void emit_stats(struct emit *e, const char *name, const struct diff_stats *s)
{
	emit_obj_begin(e, name);
	emit_dbl(e, "mean", s->mean);
	emit_dbl(e, "min", s->min);
	emit_dbl(e, "max", s->max);
	emit_dbl(e, "stddev", s->stddev);
	emit_u64(e, "runs", s->n);
	emit_obj_end(e);
}

static void emit_side(struct emit *e, const char *name, const struct diff_side *s)
{
	size_t i;

	emit_obj_begin(e, name);
	emit_str(e, "label", s->label);
	emit_bool(e, "host_view", s->has_host);
	emit_arr_begin(e, "runs");
	for (i = 0; i < s->n_runs; i++) {
		const struct diff_run *r = &s->runs[i];

		emit_item_begin(e, NULL, r->path);
		emit_str(e, "file", r->path);
		emit_str(e, "label", r->label);
		emit_str(e, "hostname", r->hostname);
		emit_str(e, "kernel", r->kernel);
		emit_str(e, "hypervisor", r->hypervisor);
		emit_bool(e, "complete", r->complete);
		emit_bool(e, "calibrated", r->calibrated);
		emit_bool(e, "host_view", r->has_host);
		emit_item_end(e);
	}
	emit_arr_end(e);
	emit_obj_end(e);
}

static void emit_cat(struct emit *e, const struct diff_cat *c)
{
	char key[96];

	snprintf(key, sizeof(key), "%s:%s", c->group, c->name);
	emit_item_begin(e, NULL, key);
	if (c->rank)
		emit_i64(e, "rank", c->rank);
	else
		emit_null(e, "rank");
	emit_str(e, "group", c->group);
	emit_str(e, "name", c->name);
	emit_str(e, "method", diff_method_name(c->method));
	emit_str(e, "probe", c->probe);
	emit_str(e, "note", c->note);
	emit_bool(e, "entry_exit", c->entry_exit);
	emit_dbl(e, "entry_exit_a_ns", c->entry_exit ? c->entry_a_ns : NAN);
	emit_dbl(e, "entry_exit_b_ns", c->entry_exit ? c->entry_b_ns : NAN);
	if (c->has_count) {
		emit_stats(e, "count_a", &c->count_a);
		emit_stats(e, "count_b", &c->count_b);
	} else {
		emit_null(e, "count_a");
		emit_null(e, "count_b");
	}
	emit_stats(e, "time_a_ns", &c->time_a);
	emit_stats(e, "time_b_ns", &c->time_b);
	emit_dbl(e, "mean_a_ns", c->mean_a_ns);
	emit_dbl(e, "mean_b_ns", c->mean_b_ns);
	emit_dbl(e, "delta_count", c->delta_count);
	emit_dbl(e, "delta_ns", c->delta_ns);
	emit_dbl(e, "more_ns", c->more_ns);
	emit_dbl(e, "slower_ns", c->slower_ns);
	emit_dbl(e, "share", c->share);
	emit_dbl(e, "spread_ns", c->spread_ns);
	emit_item_end(e);
}

static void emit_decomp(struct emit *e, const char *name, const struct diff_phase *p,
			const struct diff_decomp *dc)
{
	enum diff_class cls;
	size_t i;

	if (!dc->view) {
		emit_null(e, name);
		return;
	}
	emit_obj_begin(e, name);
	emit_str(e, "basis", dc->basis);
	emit_dbl(e, "explained_ns", dc->explained_ns);
	emit_dbl(e, "unexplained_ns", dc->unexplained_ns);
	emit_dbl(e, "explained_share", report_ratio(dc->explained_ns, p->delta_ns));
	emit_dbl(e, "unexplained_share", report_ratio(dc->unexplained_ns, p->delta_ns));
	for (cls = 0; cls < DIFF_CLASSES; cls++) {
		emit_arr_begin(e, diff_class_name(cls));
		for (i = 0; i < dc->n_cats; i++)
			if (dc->cats[i].cls == cls)
				emit_cat(e, &dc->cats[i]);
		emit_arr_end(e);
	}
	emit_obj_end(e);
}

static void emit_phase_body(struct emit *e, const struct diff_phase *p)
{
	int both = p->where == DIFF_IN_BOTH;

	emit_str(e, "name", p->name);
	emit_str(e, "where", diff_where_name(p->where));
	emit_u64(e, "runs_a", p->runs_a);
	emit_u64(e, "runs_b", p->runs_b);
	emit_str(e, "wall", fmt_wall_kind(p->wall_kind));
	emit_stats(e, "wall_a_ns", &p->wall_a);
	emit_stats(e, "wall_b_ns", &p->wall_b);
	emit_dbl(e, "delta_ns", p->delta_ns);
	emit_dbl(e, "delta_rel", p->delta_rel);
	emit_u64(e, "lost_events_a", p->lost_a);
	emit_u64(e, "lost_events_b", p->lost_b);
	if (both) {
		emit_decomp(e, "guest", p, &p->guest);
		emit_decomp(e, "host", p, &p->host);
	} else {
		emit_null(e, "guest");
		emit_null(e, "host");
	}
	emit_str(e, "host_note", p->host_note);
}

static void emit_begin(struct out *o)
{
	struct emit *e = o->em;

	emit_doc_begin(e, "hvtrace-diff", DIFF_JSON_VERSION);
	emit_obj_begin(e, "method");
	emit_u64(e, "wait_split_ns", DIFF_WAIT_SPLIT_NS);
	emit_str(e, "host_basis", o->d->host_basis);
	emit_bool(e, "syscall_entry_exit", o->d->entry_exit);
	emit_obj_end(e);
	emit_side(e, "a", &o->d->a);
	emit_side(e, "b", &o->d->b);
	emit_records_begin(e, "phases");
}

/* CSV rows start with the phase's name. */
static void emit_phase(struct out *o, const struct diff_phase *p)
{
	const char *lead[] = { p->name };
	int total = p == &o->d->total;

	if (total)
		emit_records_end(o->em);
	emit_record_begin(o->em, total ? "total" : NULL, lead);
	emit_phase_body(o->em, p);
	emit_record_end(o->em);
}

static void emit_end(struct out *o)
{
	emit_doc_end(o->em);
}

static const struct printer emit_printer = { emit_begin, emit_phase, emit_end };

static const char *const csv_lead[] = { "phase" };

/*
 * The stable formats of docs/diff-json.md and of the CSV: 13 significant
 * digits are more than any figure here means (ns over hours), and keep float
 * noise out (1e9 rather than 999999999.9999999).
 */
static const struct emit_conf json_conf = { .format = EMIT_JSON, .round_digits = 13 };
static const struct emit_conf csv_conf = {
	.format = EMIT_CSV, .lead = csv_lead, .n_lead = ARRAY_SIZE(csv_lead),
	.own_section = "phase", .round_digits = 13, .csv_digits = 15,
};

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace diff A.hvt B.hvt [--json|--csv|--html] [-o OUT] [--phase NAME]...\n"
		"                    [--top N]\n"
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
		"  --html          one self-contained HTML page: the tables of the text and\n"
		"                  per phase a waterfall from T_A to T_B of the categories\n"
		"  -o, --output OUT  write to OUT (replaced only once complete), not stdout\n"
		"  --phase NAME    only the phase NAME (repeatable); the whole run stays\n"
		"  --top N         categories per block of the text and HTML (default %d;\n"
		"                  0 lists all);\n"
		"                  JSON and CSV always carry every category\n"
		"  -h, --help      this text\n"
		"\n"
		"Examples:\n"
		"  hvtrace diff native.hvt kvm.hvt\n"
		"  hvtrace diff runs/native-*.hvt -- runs/kvm-*.hvt --top 0\n"
		"  hvtrace diff --baseline native runs/native-*.hvt runs/kvm-*.hvt\n"
		"  hvtrace diff native.hvt kvm.hvt --json | jq '.phases[].guest.explained[0]'\n"
		"  hvtrace diff native.hvt kvm.hvt --html -o why.html\n",
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
	const char *format;		/* json, csv, html; NULL: text */
	const char *output;		/* -o; NULL: stdout */
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
		{ "html", no_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "phase", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *name;
	uint64_t n;
	int opt;

	opterr = 0;
	optind = 0;	/* glibc: start afresh, this may be the second parse */
	while ((opt = getopt_long(argc, argv, ":hb:o:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
		case 'c':
		case 'H':
			name = opt == 'j' ? "json" : opt == 'c' ? "csv" : "html";
			if (op->format && strcmp(op->format, name))
				return hvt_usage_err("diff", "--%s and --%s exclude each other",
						     op->format, name);
			op->format = name;
			break;
		case 'o':
			op->output = optarg;
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
	struct out o = { 0 };
	struct outfile out = { 0 };
	struct opts op = { .top = DEFAULT_TOP };
	const struct recording **a = NULL, **b = NULL;
	struct loaded l = { NULL, 0 };
	char **fa = NULL, **fb = NULL, **right = NULL, err[1024], err2[512];
	int ret = HVT_EXIT_FAIL, sep = -1, i, werr;
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
	werr = outfile_open(&out, op.output);
	if (werr) {
		hvt_err("cannot create '%s': %s", op.output, strerror(-werr));
		goto out_free;
	}
	o.f = out.f;
	if (op.format && !strcmp(op.format, "html")) {
		struct html_filter flt = { o.phase_names, o.n_phase_names, o.top };

		werr = html_diff(o.f, d, &flt);
	} else {
		if (op.format) {
			o.em = emit_new(o.f, !strcmp(op.format, "json") ? &json_conf : &csv_conf);
			if (!o.em) {
				outfile_close(&out, -ENOMEM);
				hvt_err("out of memory");
				goto out_free;
			}
			pr = &emit_printer;
		}
		walk(&o, pr);
		emit_free(o.em);
	}
	werr = outfile_close(&out, werr);
	if (werr) {
		hvt_err("cannot write the diff%s%s: %s", op.output ? " to " : "",
			op.output ? op.output : "", strerror(-werr));
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
