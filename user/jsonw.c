// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jsonw: a streaming JSON writer. */
#include <math.h>
#include <stdlib.h>

#include "jsonw.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	FILE *f;
	int depth;
	int first[JSONW_MAX_DEPTH];	/* no element written yet at this depth */
	int after_name;
};

struct jsonw *jsonw_new(FILE *f)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->first[0] = 1;
	return w;
}

void jsonw_destroy(struct jsonw *w)
{
	if (!w)
		return;
	fputc('\n', w->f);
	free(w);
}

static void indent(struct jsonw *w)
{
	int i;

	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator and indentation before a value or a name. */
static void element(struct jsonw *w)
{
	if (w->after_name) {
		w->after_name = 0;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = 0;
	if (w->depth)
		indent(w);
}

static void open(struct jsonw *w, char c)
{
	element(w);
	fputc(c, w->f);
	if (w->depth + 1 < JSONW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = 1;
}

static void close_(struct jsonw *w, char c)
{
	int empty = w->first[w->depth];

	if (w->depth)
		w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->f);
}

void jsonw_start_object(struct jsonw *w)
{
	open(w, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	close_(w, '}');
}

void jsonw_start_array(struct jsonw *w)
{
	open(w, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	close_(w, ']');
}

static void put_escaped(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void jsonw_name(struct jsonw *w, const char *name)
{
	element(w);
	put_escaped(w->f, name);
	fputs(": ", w->f);
	w->after_name = 1;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	element(w);
	if (s)
		put_escaped(w->f, s);
	else
		fputs("null", w->f);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	element(w);
	fprintf(w->f, "%lld", (long long)v);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	element(w);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jsonw_float(struct jsonw *w, double v)
{
	element(w);
	if (isfinite(v))
		fprintf(w->f, "%.15g", v);
	else
		fputs("null", w->f);
}

void jsonw_bool(struct jsonw *w, int v)
{
	element(w);
	fputs(v ? "true" : "false", w->f);
}

void jsonw_null(struct jsonw *w)
{
	element(w);
	fputs("null", w->f);
}

void jsonw_string_field(struct jsonw *w, const char *name, const char *s)
{
	jsonw_name(w, name);
	jsonw_string(w, s);
}

void jsonw_int_field(struct jsonw *w, const char *name, int64_t v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_float_field(struct jsonw *w, const char *name, double v)
{
	jsonw_name(w, name);
	jsonw_float(w, v);
}

void jsonw_bool_field(struct jsonw *w, const char *name, int v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}
