/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * html: self-contained HTML pages with inline SVG charts (no script, no
 * network, no font or style sheet from elsewhere).
 *
 * The primitives: escaping, the page skeleton with its style sheet, tables,
 * label/value lists, a legend, stacked horizontal bars and a waterfall. Every
 * string given to them is escaped, so names from recordings (labels, phases,
 * commands: untrusted) cannot add markup.
 *
 * The pages: html_report(), html_diff() and html_table_chart() print the
 * models of report.h, diff.h and runset.h; the commands only choose them.
 */
#ifndef HVT_HTML_H
#define HVT_HTML_H

#include <stddef.h>
#include <stdio.h>

struct diff;
struct recording;
struct report;
struct runset;

/* ---- escaping ------------------------------------------------------------ */

/* S with & < > " ' as entities: safe in text and in quoted attribute values. NULL: nothing. */
void html_esc(FILE *f, const char *s);
/* The same, at most MAX characters (UTF-8 sequences kept whole), "..." when cut. */
void html_esc_clip(FILE *f, const char *s, size_t max);

/* ---- page, headings, tables ------------------------------------------------ */

#define HTML_MAX_COLS 16

struct html {
	FILE *f;
	int n_svg;		/* charts so far: ids inside each SVG are unique per page */
	size_t n_cols;		/* of the open table */
	char right[HTML_MAX_COLS];	/* its number columns */
};

void html_page_begin(struct html *h, FILE *f, const char *title);
void html_page_end(struct html *h);

/* <TAG>text</TAG> for h1, h2, h3, p and the like; CLS may be NULL. */
void html_elem(struct html *h, const char *tag, const char *cls, const char *text);
/* A paragraph of small print, formatted and escaped. */
void html_note(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A list of label/value lines. */
void html_kv_begin(struct html *h);
void html_kv(struct html *h, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void html_kv_end(struct html *h);

/*
 * A table: html_table_begin() with the column heads (a head starting with '>'
 * is a right-aligned number column, the '>' not shown), then rows of as many
 * cells. CLS on a row may be NULL, "sum" (a total), or "sub" (a sub-heading)
 * or "note" (small print) over the whole row, given as one cell.
 */
void html_table_begin(struct html *h, const char *const *heads, size_t n);
void html_row(struct html *h, const char *cls, const char *const *cells);
void html_table_end(struct html *h);

/* ---- charts ------------------------------------------------------------------ */

/* One kind of segment in a chart, and its line in the legend. */
struct html_series {
	const char *name;
	const char *color;		/* a CSS color */
	const char *desc;		/* what it is, for the legend; NULL: the name says it */
	int hatched;			/* the "unexplained" look */
};

void html_legend(struct html *h, const struct html_series *s, size_t n);

/* A bar of stacked segments, one per series (0 or NAN: none). */
struct html_bar {
	const char *label;
	double mark_ns;			/* a tick on the bar (a wall time); NAN: none */
	const char *value;		/* the text right of the bar */
	const double *parts;		/* ns, in series order */
};

/* Horizontal stacked bars on one time axis. */
void html_stacked_bars(struct html *h, const struct html_series *s, size_t n_series,
		       const struct html_bar *bars, size_t n_bars);

/*
 * A waterfall from T_A to T_B: a bar for T_A, one step per change (its
 * signed delta), the last step closing on T_B, then a bar for T_B. The deltas
 * are meant to sum to T_B - T_A (a decomposition and its rest); the layout
 * ends the last step exactly at T_B, so the steps fill the distance whatever
 * the rounding.
 */
struct html_step {
	const char *label;
	double delta_ns;
	const char *value;		/* the text right of the bar */
	int hatched;			/* the unexplained rest */
};

struct html_waterfall {
	const char *a_label, *b_label;
	double a_ns, b_ns;
	const char *a_value, *b_value;
	const struct html_step *steps;
	size_t n_steps;
};

/* Where the chart's bars go, in pixels. */
struct html_wf_layout {
	double lo_ns, hi_ns;		/* the axis */
	int zero_based;			/* the axis starts at 0; else T_A and T_B are cut */
	int x_axis, width;		/* the plot: x_axis .. x_axis + width */
	int *x;				/* n_steps + 1 ends: x[0] T_A, x[k] after step k */
};

#define HTML_WF_X 200			/* where the plot starts */
#define HTML_WF_WIDTH 560		/* and its width */

/*
 * Fills L (L->x: n_steps + 1 ints the caller provides). -EINVAL when T_A or
 * T_B is unknown, or there is no step.
 */
int html_waterfall_layout(const struct html_waterfall *w, int x_axis, int width,
			  struct html_wf_layout *l);
/* The chart; -EINVAL (nothing written) as for the layout, -ENOMEM. */
int html_waterfall(struct html *h, const struct html_waterfall *w);

/* ---- the pages --------------------------------------------------------------- */

struct html_filter {
	const char *const *phases;	/* --phase; NULL: every phase */
	size_t n_phases;
	size_t top;			/* rows per list; 0: all */
};

/*
 * The report of REC (whose model is REP): run facts, each phase's time split
 * by category as bars, the phase table and each phase's details. The split
 * is the explained categories of REC's diff against itself (diff.h): the
 * times docs/attribution.md adds up without counting any twice. 0, or -errno.
 */
int html_report(FILE *f, const struct recording *rec, const struct report *rep,
		const struct html_filter *flt);

/* The diff D: the sides, the phase table, each phase's waterfall and categories. */
int html_diff(FILE *f, const struct diff *d, const struct html_filter *flt);

/* Bars of each label's mean wall time split by phase, baseline first. */
void html_table_chart(struct html *h, const struct runset *rs, const char *baseline);

#endif /* HVT_HTML_H */
