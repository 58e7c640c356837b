// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* textw: wrapped label/value lines and clipped strings for the text printers. */
#include <stdarg.h>
#include <string.h>

#include "textw.h"

void textw_start(struct textw_line *w, FILE *f, const char *label)
{
	w->f = f;
	w->items = 0;
	w->col = fprintf(f, "  %-*s", TEXTW_KV_WIDTH - 2, label);
}

void textw_item(struct textw_line *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof(buf))
		len = sizeof(buf) - 1;
	if (w->items && w->col + 2 + len >= TEXTW_WIDTH) {
		w->col = fprintf(w->f, ",\n%*s", TEXTW_KV_WIDTH, "") - 2;
	} else if (w->items) {
		fputs(", ", w->f);
		w->col += 2;
	}
	fputs(buf, w->f);
	w->col += len;
	w->items++;
}

void textw_end(struct textw_line *w)
{
	fputc('\n', w->f);
}

void textw_kv(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "  %-*s", TEXTW_KV_WIDTH - 2, label);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

const char *textw_clip(char *buf, size_t len, const char *s, size_t width)
{
	if (strlen(s) <= width || width < 4 || width >= len)
		return s;
	snprintf(buf, len, "%.*s...", (int)(width - 3), s);
	return buf;
}
