// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* html.c: escaping of untrusted names, and the waterfall's geometry. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "html.h"
#include "util.h"
#include "unit.h"

/* What FN writes for S, as a string the caller frees. */
static char *escaped(void (*fn)(FILE *, const char *, size_t), const char *s, size_t max)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fn(f, s, max);
	fclose(f);
	return out;
}

static void esc_all(FILE *f, const char *s, size_t max)
{
	html_esc(f, s);
}

TEST(esc_turns_markup_into_text)
{
	char *s = escaped(esc_all, "<script>alert('x' & \"y\")</script>", 0);

	EXPECT_STR(s, "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
	free(s);
}

TEST(esc_keeps_utf8_and_marks_control_characters)
{
	char *s = escaped(esc_all, "caf\xc3\xa9 \x1b[31m\tok", 0);

	EXPECT_STR(s, "caf\xc3\xa9 &#xfffd;[31m\tok");
	free(s);
}

TEST(esc_of_null_writes_nothing)
{
	char *s = escaped(esc_all, NULL, 0);

	EXPECT_STR(s, "");
	free(s);
}

TEST(esc_clip_cuts_whole_characters_and_escapes)
{
	/* 6 characters, the last four 2-byte: cut to 4 = 3 and the ellipsis. */
	char *s = escaped(html_esc_clip, "<a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4);

	EXPECT_STR(s, "&lt;a\xc3\xa9\xe2\x80\xa6");
	free(s);
	s = escaped(html_esc_clip, "<a\xc3\xa9\xc3\xa9", 4);
	EXPECT_STR(s, "&lt;a\xc3\xa9\xc3\xa9");
	free(s);
}

TEST(esc_clip_survives_a_truncated_sequence)
{
	char *s = escaped(html_esc_clip, "ab\xe2\x80", 2);

	EXPECT_STR(s, "a\xe2\x80\xa6");
	free(s);
}

/*
 * The signed widths of the steps add up to the distance from T_A to T_B in
 * pixels, which is dT on the axis' scale within rounding; each step is its
 * delta on that scale within a pixel; T_A and T_B end where the axis puts
 * them. 0, or 1 and what is wrong in MSG.
 */
static int layout_wrong(const struct html_waterfall *w, char *msg, size_t len)
{
	struct html_wf_layout l;
	double scale, want;
	long xa, xb;
	int x[400], sum_px = 0, width = HTML_WF_WIDTH;
	size_t k, n = w->n_steps;

	l.x = x;
	if (html_waterfall_layout(w, HTML_WF_X, width, &l)) {
		snprintf(msg, len, "layout failed");
		return 1;
	}
	scale = width / (l.hi_ns - l.lo_ns);
	for (k = 0; k < n; k++) {
		sum_px += x[k + 1] - x[k];
		want = w->steps[k].delta_ns * scale;
		if (k + 1 < n && fabs((x[k + 1] - x[k]) - want) > 1.0) {
			snprintf(msg, len, "step %zu is %d px, want %.2f", k, x[k + 1] - x[k],
				 want);
			return 1;
		}
	}
	want = (w->b_ns - w->a_ns) * scale;
	if (fabs(sum_px - want) > 1.0) {
		snprintf(msg, len, "steps sum to %d px, dT is %.2f px", sum_px, want);
		return 1;
	}
	xa = HTML_WF_X + lround((w->a_ns - l.lo_ns) * scale);
	xb = HTML_WF_X + lround((w->b_ns - l.lo_ns) * scale);
	if (x[0] != xa || x[n] != xb) {
		snprintf(msg, len, "T_A ends at %d, T_B at %d px; the axis puts them at %ld, %ld",
			 x[0], x[n], xa, xb);
		return 1;
	}
	if (xa < HTML_WF_X || xa > HTML_WF_X + width || xb < HTML_WF_X || xb > HTML_WF_X + width) {
		snprintf(msg, len, "T_A (%ld) or T_B (%ld) off the plot", xa, xb);
		return 1;
	}
	return 0;
}

#define EXPECT_LAYOUT(w)                                                           \
	do {                                                                       \
		char msg_[200];                                                    \
		if (layout_wrong(w, msg_, sizeof(msg_)))                           \
			FAIL("%s", msg_);                                          \
	} while (0)

TEST(waterfall_steps_sum_to_dT_in_pixels)
{
	/* The diff fixture's configure phase: 7.5 s -> 11.5 s, ten categories and the rest. */
	static const double d[] = { 2e9, 200e6, 80e6, 60e6, 51e6, 46e6, 33.6e6, 30e6, -4.9e6,
				    3.8e6 };
	struct html_step s[ARRAY_SIZE(d) + 1] = { 0 };
	struct html_waterfall w = { "T_A", "T_B", 7.5e9, 11.5e9, "", "", s, ARRAY_SIZE(d) + 1 };
	double explained = 0;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(d); k++) {
		s[k].delta_ns = d[k];
		explained += d[k];
	}
	s[k].delta_ns = 4e9 - explained;
	EXPECT_LAYOUT(&w);
}

TEST(waterfall_with_a_negative_rest_and_faster_categories)
{
	struct html_step s[] = { { "user", 3e9 }, { "faults", -0.5e9 }, { "rest", -1.5e9 } };
	struct html_waterfall w = { "T_A", "T_B", 10e9, 11e9, "", "", s, 3 };

	EXPECT_LAYOUT(&w);
}

TEST(waterfall_of_a_small_change_zooms_in)
{
	struct html_step s[] = { { "a", 0.7e9 }, { "b", 0.2e9 }, { "rest", 0.1e9 } };
	struct html_waterfall w = { "T_A", "T_B", 100e9, 101e9, "", "", s, 3 };
	struct html_wf_layout l;
	int x[4];

	l.x = x;
	EXPECT_INT(html_waterfall_layout(&w, HTML_WF_X, HTML_WF_WIDTH, &l), 0);
	EXPECT_TRUE(!l.zero_based && l.lo_ns > 0);
	/* A 1 % change fills a good part of the plot rather than 1 % of it. */
	EXPECT_TRUE(x[3] - x[0] > HTML_WF_WIDTH / 2);
	EXPECT_LAYOUT(&w);
}

TEST(waterfall_of_no_change_is_from_zero)
{
	struct html_step s[] = { { "rest", 0 } };
	struct html_waterfall w = { "T_A", "T_B", 5e8, 5e8, "", "", s, 1 };
	struct html_wf_layout l;
	int x[2];

	l.x = x;
	EXPECT_INT(html_waterfall_layout(&w, HTML_WF_X, HTML_WF_WIDTH, &l), 0);
	EXPECT_TRUE(l.zero_based && l.lo_ns == 0);
	EXPECT_INT(x[0], x[1]);
}

TEST(waterfall_step_rounding_does_not_accumulate)
{
	/* 300 steps of a third of a pixel each: drawn one by one they would lose 100 px. */
	struct html_step s[301];
	struct html_waterfall w = { "T_A", "T_B", 0, 0, "", "", s, 301 };
	struct html_wf_layout l;
	int x[302];
	size_t k;

	for (k = 0; k < 300; k++)
		s[k] = (struct html_step){ "c", 1e6 };
	s[300] = (struct html_step){ "rest", 0 };
	w.a_ns = 1e9;
	w.b_ns = 1.3e9;
	l.x = x;
	EXPECT_INT(html_waterfall_layout(&w, HTML_WF_X, HTML_WF_WIDTH, &l), 0);
	EXPECT_NEAR(x[300] - x[0], 0.3e9 * HTML_WF_WIDTH / (l.hi_ns - l.lo_ns), 1.0);
	EXPECT_INT(x[300], x[301]);
	EXPECT_LAYOUT(&w);
}

TEST(waterfall_needs_both_walls_and_a_step)
{
	struct html_step s[] = { { "rest", 1 } };
	struct html_waterfall w = { "T_A", "T_B", NAN, 1e9, "", "", s, 1 };
	struct html_wf_layout l;
	int x[2];

	l.x = x;
	EXPECT_INT(html_waterfall_layout(&w, HTML_WF_X, HTML_WF_WIDTH, &l), -EINVAL);
	w.a_ns = 1e9;
	w.n_steps = 0;
	EXPECT_INT(html_waterfall_layout(&w, HTML_WF_X, HTML_WF_WIDTH, &l), -EINVAL);
}
