/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * textw: the layout of the text printers (report, diff): "  label   value"
 * lines whose items wrap under the first one at 100 columns, and strings
 * clipped to a column's width.
 */
#ifndef HVT_TEXTW_H
#define HVT_TEXTW_H

#include <stddef.h>
#include <stdio.h>

#define TEXTW_WIDTH 100
#define TEXTW_KV_WIDTH 20	/* where values start on "  label   value" lines */

/* A "  label   item, item, ..." line being written. */
struct textw_line {
	FILE *f;
	int col;
	int items;
};

void textw_start(struct textw_line *w, FILE *f, const char *label);
void textw_item(struct textw_line *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void textw_end(struct textw_line *w);

/* A whole "  label   value" line. */
void textw_kv(FILE *f, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* S cut to WIDTH columns, marked with "..." when cut; S itself when it fits. */
const char *textw_clip(char *buf, size_t len, const char *s, size_t width);

#endif /* HVT_TEXTW_H */
