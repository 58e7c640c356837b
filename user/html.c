// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* html: escaping, the page skeleton, tables and the SVG charts. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

/* ---- escaping ------------------------------------------------------------ */

/* Bytes of the UTF-8 sequence that LEAD starts (1 for a stray byte). */
static size_t utf8_len(unsigned char lead)
{
	if (lead >= 0xf0 && lead < 0xf8)
		return 4;
	if (lead >= 0xe0)
		return lead < 0xf0 ? 3 : 1;
	if (lead >= 0xc0)
		return 2;
	return 1;
}

static void esc_n(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* A control character has no business in a name: show there was one. */
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
	}
}

void html_esc(FILE *f, const char *s)
{
	if (s)
		esc_n(f, s, strlen(s));
}

/* Bytes of the first MAX characters of S (of LEN bytes); *ret_more set when S has more. */
static size_t utf8_prefix(const char *s, size_t len, size_t max, int *ret_more)
{
	size_t i = 0, chars = 0, n;

	while (i < len && chars < max) {
		n = utf8_len((unsigned char)s[i]);
		if (i + n > len)
			n = len - i;
		i += n;
		chars++;
	}
	*ret_more = i < len;
	return i;
}

void html_esc_clip(FILE *f, const char *s, size_t max)
{
	size_t len, keep;
	int more;

	if (!s)
		return;
	len = strlen(s);
	utf8_prefix(s, len, max, &more);
	if (!more || max < 2) {
		html_esc(f, s);
		return;
	}
	keep = utf8_prefix(s, len, max - 1, &more);
	esc_n(f, s, keep);
	fputs("\u2026", f);
}

/* ---- page, headings, tables ------------------------------------------------ */

/*
 * The style sheet. Fonts are the system's (no download); the Content
 * Security Policy forbids every fetch and script, so even a page that an
 * escaping bug let markup into could not load or run anything.
 */
static const char page_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

static const char page_style[] =
	"<style>\n"
	"body { font: 14px/1.45 \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif;\n"
	"  color: #1d2430; background: #fff; max-width: 1040px; margin: 24px auto;\n"
	"  padding: 0 20px; }\n"
	"h1 { font-size: 22px; margin: 0 0 10px; }\n"
	"h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px;\n"
	"  border-bottom: 2px solid #dde3ea; }\n"
	"h3 { font-size: 15px; margin: 22px 0 6px; }\n"
	"p.note { color: #566070; font-size: 13px; margin: 6px 0 10px; max-width: 900px; }\n"
	"p.warn { color: #a3332b; }\n"
	"dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px;\n"
	"  margin: 8px 0 12px; }\n"
	"dl.kv dt { color: #566070; }\n"
	"dl.kv dd { margin: 0; }\n"
	"table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px;\n"
	"  font-variant-numeric: tabular-nums; }\n"
	"th, td { padding: 3px 10px; border-bottom: 1px solid #e8ecf0; text-align: left;\n"
	"  vertical-align: top; }\n"
	"th { background: #f2f4f7; font-weight: 600; }\n"
	"th.n, td.n { text-align: right; white-space: nowrap; }\n"
	"tr.sum td { font-weight: 600; border-top: 1px solid #b9c2cc; }\n"
	"tr.sub th { background: #fff; color: #566070; font-weight: 600; padding-top: 10px; }\n"
	"tr.note td { color: #566070; font-size: 12px; padding-left: 40px; }\n"
	"div.chart { margin: 8px 0 4px; overflow-x: auto; }\n"
	"svg text { font: 12px \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif;\n"
	"  fill: #1d2430; }\n"
	"svg text.tick { fill: #566070; font-size: 11px; }\n"
	"ul.legend { list-style: none; padding: 0; margin: 4px 0 10px; font-size: 13px;\n"
	"  display: flex; flex-wrap: wrap; gap: 3px 28px; max-width: 980px; }\n"
	"ul.legend li { max-width: 470px; }\n"
	"span.sw { display: inline-block; width: 12px; height: 12px; margin-right: 7px;\n"
	"  vertical-align: -1px; border: 1px solid rgba(0, 0, 0, .25); }\n"
	"span.hatch { background: repeating-linear-gradient(45deg, #b9b9b9 0 2px,\n"
	"  #efefef 2px 5px); }\n"
	"span.desc { color: #566070; }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n";

void html_page_begin(struct html *h, FILE *f, const char *title)
{
	memset(h, 0, sizeof(*h));
	h->f = f;
	fputs(page_head, f);
	fputs("<title>", f);
	html_esc(f, title);
	fputs("</title>\n", f);
	fputs(page_style, f);
}

void html_page_end(struct html *h)
{
	fputs("</body>\n</html>\n", h->f);
}

void html_elem(struct html *h, const char *tag, const char *cls, const char *text)
{
	fprintf(h->f, "<%s", tag);
	if (cls)
		fprintf(h->f, " class=\"%s\"", cls);
	fputc('>', h->f);
	html_esc(h->f, text);
	fprintf(h->f, "</%s>\n", tag);
}

static void esc_vf(FILE *f, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	html_esc(f, s);
	free(s);
}

void html_note(struct html *h, const char *fmt, ...)
{
	va_list ap;

	fputs("<p class=\"note\">", h->f);
	va_start(ap, fmt);
	esc_vf(h->f, fmt, ap);
	va_end(ap);
	fputs("</p>\n", h->f);
}

void html_kv_begin(struct html *h)
{
	fputs("<dl class=\"kv\">\n", h->f);
}

void html_kv(struct html *h, const char *label, const char *fmt, ...)
{
	va_list ap;

	fputs("<dt>", h->f);
	html_esc(h->f, label);
	fputs("</dt><dd>", h->f);
	va_start(ap, fmt);
	esc_vf(h->f, fmt, ap);
	va_end(ap);
	fputs("</dd>\n", h->f);
}

void html_kv_end(struct html *h)
{
	fputs("</dl>\n", h->f);
}

void html_table_begin(struct html *h, const char *const *heads, size_t n)
{
	size_t i;

	h->n_cols = n < HTML_MAX_COLS ? n : HTML_MAX_COLS;
	fputs("<table>\n<tr>", h->f);
	for (i = 0; i < h->n_cols; i++) {
		const char *s = heads[i];

		h->right[i] = *s == '>';
		fputs(h->right[i] ? "<th class=\"n\">" : "<th>", h->f);
		html_esc(h->f, s + h->right[i]);
		fputs("</th>", h->f);
	}
	fputs("</tr>\n", h->f);
}

void html_row(struct html *h, const char *cls, const char *const *cells)
{
	size_t i;

	if (cls && (!strcmp(cls, "sub") || !strcmp(cls, "note"))) {
		fprintf(h->f, "<tr class=\"%s\"><%s colspan=\"%zu\">", cls,
			*cls == 's' ? "th" : "td", h->n_cols);
		html_esc(h->f, cells[0]);
		fprintf(h->f, "</%s></tr>\n", *cls == 's' ? "th" : "td");
		return;
	}
	fputs(cls ? "<tr class=\"" : "<tr", h->f);
	if (cls)
		fprintf(h->f, "%s\"", cls);
	fputc('>', h->f);
	for (i = 0; i < h->n_cols; i++) {
		fputs(h->right[i] ? "<td class=\"n\">" : "<td>", h->f);
		html_esc(h->f, cells[i]);
		fputs("</td>", h->f);
	}
	fputs("</tr>\n", h->f);
}

void html_table_end(struct html *h)
{
	fputs("</table>\n", h->f);
	h->n_cols = 0;
}

/* ---- charts ------------------------------------------------------------------ */

#define SVG_WIDTH 980
#define ROW_H 28			/* a bar's row */
#define BAR_H 18
#define AXIS_H 30			/* the time axis under the bars */
#define HATCH_FILL "#efefef"
#define HATCH_LINE "#b9b9b9"

void html_legend(struct html *h, const struct html_series *s, size_t n)
{
	size_t i;

	fputs("<ul class=\"legend\">\n", h->f);
	for (i = 0; i < n; i++) {
		if (s[i].hatched)
			fputs("<li><span class=\"sw hatch\"></span>", h->f);
		else
			fprintf(h->f, "<li><span class=\"sw\" style=\"background: %s\"></span>",
				s[i].color);
		fputs("<b>", h->f);
		html_esc(h->f, s[i].name);
		fputs("</b>", h->f);
		if (s[i].desc) {
			fputs(" <span class=\"desc\">", h->f);
			html_esc(h->f, s[i].desc);
			fputs("</span>", h->f);
		}
		fputs("</li>\n", h->f);
	}
	fputs("</ul>\n", h->f);
}

/* A step of 1, 2 or 5 times a power of ten giving about 6 ticks over SPAN. */
static double nice_step(double span)
{
	double raw = span / 6, p, m;

	if (!(raw > 0))
		return 1;
	p = pow(10, floor(log10(raw)));
	m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* "250 ms", "1.5 s", "120 s": NS in the unit of an axis that goes up to TOP. */
static void tick_label(char *buf, size_t len, double ns, double top)
{
	static const struct {
		double ns;
		const char *unit;
	} units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "\u00b5s" }, { 1, "ns" } };
	size_t i;

	for (i = 0; i < 3 && fabs(top) < units[i].ns; i++)
		;
	snprintf(buf, len, "%.4g %s", ns / units[i].ns, units[i].unit);
}

static void svg_begin(struct html *h, int height, const char *label)
{
	h->n_svg++;
	fprintf(h->f, "<div class=\"chart\"><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"", SVG_WIDTH, height, SVG_WIDTH, height);
	html_esc(h->f, label);
	fprintf(h->f, "\">\n<defs><pattern id=\"hatch%d\" width=\"6\" height=\"6\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		"<rect width=\"6\" height=\"6\" fill=\"%s\"/>"
		"<line x1=\"1\" y1=\"0\" x2=\"1\" y2=\"6\" stroke=\"%s\" stroke-width=\"2\"/>"
		"</pattern></defs>\n", h->n_svg, HATCH_FILL, HATCH_LINE);
}

static void svg_end(struct html *h)
{
	fputs("</svg></div>\n", h->f);
}

static void svg_fill(struct html *h, const char *color, int hatched)
{
	if (hatched)
		fprintf(h->f, "url(#hatch%d)", h->n_svg);
	else
		fputs(color, h->f);
}

/* Text at (X, Y); ANCHOR start, middle or end; at most MAX characters. */
static void svg_text(struct html *h, int x, int y, const char *anchor, const char *cls,
		     const char *s, size_t max)
{
	fprintf(h->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"", x, y, anchor);
	if (cls)
		fprintf(h->f, " class=\"%s\"", cls);
	fputc('>', h->f);
	html_esc_clip(h->f, s, max);
	fputs("</text>\n", h->f);
}

/* Grid lines and tick labels of an axis from LO to HI ns drawn over X .. X + W. */
static void svg_axis(struct html *h, double lo, double hi, int x, int w, int top, int bottom)
{
	double step = nice_step(hi - lo), first = ceil(lo / step - 1e-9) * step, t;
	char buf[32];
	int i, px;

	for (i = 0; (t = first + i * step) <= hi + step * 1e-9; i++) {
		if (fabs(t) < step * 1e-9)
			t = 0;	/* not "-0 s" */
		px = x + (int)lround((t - lo) / (hi - lo) * w);
		fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#e3e7ec\"/>\n", px, top, px, bottom + 4);
		tick_label(buf, sizeof(buf), t, hi);
		svg_text(h, px, bottom + 17, "middle", "tick", buf, 16);
	}
}

#define SB_X 170			/* stacked bars: where the plot starts */
#define SB_W 620			/* and its width */

void html_stacked_bars(struct html *h, const struct html_series *s, size_t n_series,
		       const struct html_bar *bars, size_t n_bars)
{
	int height = 10 + (int)n_bars * ROW_H + AXIS_H, top = 10;
	double max = 0, hi;
	size_t b, k;

	for (b = 0; b < n_bars; b++) {
		double sum = 0;

		for (k = 0; k < n_series; k++)
			if (bars[b].parts[k] > 0)
				sum += bars[b].parts[k];
		if (sum > max)
			max = sum;
		if (bars[b].mark_ns > max)
			max = bars[b].mark_ns;
	}
	hi = max > 0 ? ceil(max / nice_step(max) - 1e-9) * nice_step(max) : 1;
	svg_begin(h, height, "time split by category");
	svg_axis(h, 0, hi, SB_X, SB_W, top - 4, top + (int)n_bars * ROW_H);
	for (b = 0; b < n_bars; b++) {
		const struct html_bar *bar = &bars[b];
		int y = top + (int)b * ROW_H + (ROW_H - BAR_H) / 2;
		double cum = 0;

		svg_text(h, SB_X - 8, y + BAR_H - 4, "end", NULL, bar->label, 22);
		for (k = 0; k < n_series; k++) {
			double v = bar->parts[k];
			int x0, x1;

			if (!(v > 0))
				continue;
			/* Ends from the running sum: adjacent segments share their edge. */
			x0 = SB_X + (int)lround(cum / hi * SB_W);
			cum += v;
			x1 = SB_X + (int)lround(cum / hi * SB_W);
			if (x1 == x0)
				continue;
			fprintf(h->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"",
				x0, y, x1 - x0, BAR_H);
			svg_fill(h, s[k].color, s[k].hatched);
			fputs("\"><title>", h->f);
			html_esc(h->f, bar->label);
			fputs(": ", h->f);
			html_esc(h->f, s[k].name);
			fprintf(h->f, " %.4g s", v / 1e9);
			if (bar->mark_ns > 0)
				fprintf(h->f, " (%.1f%% of %.4g s)", 100 * v / bar->mark_ns,
					bar->mark_ns / 1e9);
			fputs("</title></rect>\n", h->f);
		}
		if (bar->mark_ns >= 0) {
			int x = SB_X + (int)lround(bar->mark_ns / hi * SB_W);

			fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
				"stroke=\"#1d2430\" stroke-width=\"2\"/>\n", x, y - 3, x,
				y + BAR_H + 3);
		}
		if (bar->value)
			svg_text(h, SB_X + SB_W + 12, y + BAR_H - 4, "start", NULL, bar->value, 40);
	}
	svg_end(h);
}

/* ---- the waterfall -------------------------------------------------------- */

#define WF_TOP 10

static int wf_px(const struct html_wf_layout *l, double ns)
{
	return l->x_axis + (int)lround((ns - l->lo_ns) / (l->hi_ns - l->lo_ns) * l->width);
}

int html_waterfall_layout(const struct html_waterfall *w, int x_axis, int width,
			  struct html_wf_layout *l)
{
	double cum, mn, mx, span, step;
	size_t k;

	if (!isfinite(w->a_ns) || !isfinite(w->b_ns) || !w->n_steps)
		return -EINVAL;
	mn = mx = w->a_ns;
	cum = w->a_ns;
	for (k = 0; k <= w->n_steps; k++) {
		if (k == w->n_steps)
			cum = w->b_ns;
		else if (isfinite(w->steps[k].delta_ns))
			cum += w->steps[k].delta_ns;
		mn = cum < mn ? cum : mn;
		mx = cum > mx ? cum : mx;
	}
	span = mx - mn;
	/*
	 * From zero when the changes are large enough to see on that scale
	 * (or there are none); else zoomed in on them, T_A and T_B then drawn
	 * cut, with a break mark.
	 */
	l->zero_based = span <= 0 || mn <= 3 * span;
	if (l->zero_based) {
		l->lo_ns = mn < 0 ? mn : 0;
		step = nice_step(mx - l->lo_ns);
		l->hi_ns = ceil(mx / step - 1e-9) * step;
		if (l->hi_ns <= l->lo_ns)
			l->hi_ns = l->lo_ns + 1;
	} else {
		l->lo_ns = mn - span / 4;
		l->hi_ns = mx + span / 20;
	}
	l->x_axis = x_axis;
	l->width = width;
	cum = w->a_ns;
	l->x[0] = wf_px(l, cum);
	for (k = 0; k < w->n_steps; k++) {
		if (isfinite(w->steps[k].delta_ns))
			cum += w->steps[k].delta_ns;
		/* The last step closes on T_B: the steps fill the distance exactly. */
		l->x[k + 1] = wf_px(l, k + 1 == w->n_steps ? w->b_ns : cum);
	}
	return 0;
}

/* A total's bar from the axis to X, with a break mark when the axis does not start at 0. */
static void wf_total(struct html *h, const struct html_wf_layout *l, int y, int x,
		     const char *label, const char *value)
{
	svg_text(h, l->x_axis - 8, y + BAR_H - 4, "end", NULL, label, 28);
	fprintf(h->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#5b6b82\">"
		"<title>", l->x_axis, y, x - l->x_axis, BAR_H);
	html_esc(h->f, label);
	fputs(": ", h->f);
	html_esc(h->f, value);
	fputs("</title></rect>\n", h->f);
	if (!l->zero_based)
		fprintf(h->f, "<path d=\"M%d %d l6 %d M%d %d l6 %d\" stroke=\"#fff\" "
			"stroke-width=\"2\"/>\n", l->x_axis + 10, y - 1, BAR_H + 2, l->x_axis + 15,
			y - 1, BAR_H + 2);
	svg_text(h, l->x_axis + l->width + 12, y + BAR_H - 4, "start", NULL, value, 40);
}

int html_waterfall(struct html *h, const struct html_waterfall *w)
{
	int rows = (int)w->n_steps + 2, height = WF_TOP + rows * ROW_H + AXIS_H;
	int pad = (ROW_H - BAR_H) / 2, err;
	struct html_wf_layout l;
	char buf[64];
	size_t k;

	l.x = calloc(w->n_steps + 1, sizeof(*l.x));
	if (!l.x)
		return -ENOMEM;
	err = html_waterfall_layout(w, HTML_WF_X, HTML_WF_WIDTH, &l);
	if (err)
		goto out_free;
	svg_begin(h, height, "waterfall from T_A to T_B");
	svg_axis(h, l.lo_ns, l.hi_ns, l.x_axis, l.width, WF_TOP - 4, WF_TOP + rows * ROW_H);
	wf_total(h, &l, WF_TOP + pad, l.x[0], w->a_label, w->a_value);
	for (k = 0; k < w->n_steps; k++) {
		const struct html_step *st = &w->steps[k];
		int y = WF_TOP + (int)(k + 1) * ROW_H + pad;
		int x0 = l.x[k] < l.x[k + 1] ? l.x[k] : l.x[k + 1];
		int x1 = l.x[k] < l.x[k + 1] ? l.x[k + 1] : l.x[k];

		/* The connector from the previous bar's end. */
		fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#8a94a3\" "
			"stroke-dasharray=\"2 2\"/>\n", l.x[k], y - 2 * pad, l.x[k], y);
		svg_text(h, l.x_axis - 8, y + BAR_H - 4, "end", NULL, st->label, 28);
		if (x1 > x0) {
			fprintf(h->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"",
				x0, y, x1 - x0, BAR_H);
			svg_fill(h, st->delta_ns < 0 ? "#59a14f" : "#e15759", st->hatched);
			fputs("\">", h->f);
		} else {
			/* A change too small for a pixel: a hairline, which takes no width. */
			fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
				"stroke=\"%s\">", x0, y, x0, y + BAR_H, st->hatched ? HATCH_LINE :
				st->delta_ns < 0 ? "#59a14f" : "#e15759");
		}
		fputs("<title>", h->f);
		html_esc(h->f, st->label);
		fputs(": ", h->f);
		html_esc(h->f, st->value);
		fprintf(h->f, "</title></%s>\n", x1 > x0 ? "rect" : "line");
		svg_text(h, l.x_axis + l.width + 12, y + BAR_H - 4, "start", NULL, st->value, 40);
	}
	k = w->n_steps;
	fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#8a94a3\" "
		"stroke-dasharray=\"2 2\"/>\n", l.x[k], WF_TOP + (int)(k + 1) * ROW_H - pad,
		l.x[k], WF_TOP + (int)(k + 1) * ROW_H + pad);
	wf_total(h, &l, WF_TOP + (int)(k + 1) * ROW_H + pad, l.x[k], w->b_label, w->b_value);
	if (!l.zero_based) {
		tick_label(buf, sizeof(buf), l.lo_ns, l.hi_ns);
		fprintf(h->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"tick\">"
			"axis from %s</text>\n", l.x_axis - 8, WF_TOP + rows * ROW_H + 17, buf);
	}
	svg_end(h);
out_free:
	free(l.x);
	return err;
}
