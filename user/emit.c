// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* emit: one description of a model's fields, printed as JSON or CSV. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "jsonw.h"

#define EMIT_MAX_DEPTH 8

struct emit {
	FILE *f;
	struct emit_conf conf;
	struct jsonw *jw;		/* JSON only */
	/* CSV: the record's lead columns, the open objects and arrays, the item. */
	const char *lead[EMIT_MAX_LEAD];
	const char *path[EMIT_MAX_DEPTH];
	int depth;
	const char *item;
};

struct emit *emit_new(FILE *f, const struct emit_conf *conf)
{
	struct emit *e;

	if (conf->n_lead > EMIT_MAX_LEAD) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->f = f;
	e->conf = *conf;
	if (conf->format == EMIT_JSON) {
		e->jw = jsonw_new(f);
		if (!e->jw) {
			free(e);
			return NULL;
		}
	}
	return e;
}

void emit_free(struct emit *e)
{
	if (!e)
		return;
	jsonw_destroy(e->jw);
	free(e);
}

/* V to DIGITS significant digits; -0 becomes 0. */
static double rounded(const struct emit *e, double v)
{
	char buf[40];

	if (!e->conf.round_digits || !isfinite(v))
		return v;
	snprintf(buf, sizeof(buf), "%.*g", e->conf.round_digits, v);
	v = strtod(buf, NULL);
	return v == 0 ? 0 : v;
}

void emit_csv_field(FILE *f, const char *s)
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

static void csv_row(struct emit *e, const char *metric, const char *value)
{
	char section[256] = "";
	size_t i;
	int d;

	for (i = 0; i < e->conf.n_lead; i++) {
		emit_csv_field(e->f, e->lead[i] ? e->lead[i] : "");
		fputc(',', e->f);
	}
	for (d = 0; d < e->depth; d++) {
		if (d)
			strncat(section, ".", sizeof(section) - strlen(section) - 1);
		strncat(section, e->path[d], sizeof(section) - strlen(section) - 1);
	}
	emit_csv_field(e->f, *section ? section : e->conf.own_section);
	fputc(',', e->f);
	emit_csv_field(e->f, e->item ? e->item : "");
	fputc(',', e->f);
	emit_csv_field(e->f, metric);
	fputc(',', e->f);
	emit_csv_field(e->f, value);
	fputc('\n', e->f);
}

static void csv_push(struct emit *e, const char *name)
{
	if (e->depth < EMIT_MAX_DEPTH)
		e->path[e->depth++] = name;
}

static void csv_pop(struct emit *e)
{
	if (e->depth)
		e->depth--;
}

void emit_doc_begin(struct emit *e, const char *format, int version)
{
	size_t i;

	if (e->jw) {
		jsonw_start_object(e->jw);
		jsonw_string_field(e->jw, "format", format);
		jsonw_int_field(e->jw, "format_version", version);
		return;
	}
	for (i = 0; i < e->conf.n_lead; i++)
		fprintf(e->f, "%s,", e->conf.lead[i]);
	fputs("section,item,metric,value\n", e->f);
}

void emit_doc_end(struct emit *e)
{
	if (e->jw)
		jsonw_end_object(e->jw);
}

void emit_records_begin(struct emit *e, const char *name)
{
	if (e->jw) {
		jsonw_name(e->jw, name);
		jsonw_start_array(e->jw);
	}
}

void emit_records_end(struct emit *e)
{
	if (e->jw)
		jsonw_end_array(e->jw);
}

void emit_record_begin(struct emit *e, const char *name, const char *const *lead)
{
	size_t i;

	if (e->jw) {
		if (name)
			jsonw_name(e->jw, name);
		jsonw_start_object(e->jw);
		return;
	}
	for (i = 0; i < e->conf.n_lead; i++)
		e->lead[i] = lead ? lead[i] : NULL;
}

void emit_record_end(struct emit *e)
{
	size_t i;

	if (e->jw) {
		jsonw_end_object(e->jw);
		return;
	}
	for (i = 0; i < e->conf.n_lead; i++)
		e->lead[i] = NULL;
}

void emit_obj_begin(struct emit *e, const char *name)
{
	if (!e->jw) {
		csv_push(e, name);
		return;
	}
	if (name)
		jsonw_name(e->jw, name);
	jsonw_start_object(e->jw);
}

void emit_obj_end(struct emit *e)
{
	if (e->jw)
		jsonw_end_object(e->jw);
	else
		csv_pop(e);
}

void emit_arr_begin(struct emit *e, const char *name)
{
	if (!e->jw) {
		csv_push(e, name);
		return;
	}
	jsonw_name(e->jw, name);
	jsonw_start_array(e->jw);
}

void emit_arr_end(struct emit *e)
{
	if (e->jw)
		jsonw_end_array(e->jw);
	else
		csv_pop(e);
}

void emit_item_begin(struct emit *e, const char *key_name, const char *key)
{
	if (!e->jw) {
		e->item = key;
		return;
	}
	jsonw_start_object(e->jw);
	if (key_name)
		jsonw_string_field(e->jw, key_name, key);
}

void emit_item_end(struct emit *e)
{
	if (e->jw)
		jsonw_end_object(e->jw);
	else
		e->item = NULL;
}

void emit_u64(struct emit *e, const char *name, uint64_t v)
{
	char buf[32];

	if (e->jw) {
		jsonw_uint_field(e->jw, name, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	csv_row(e, name, buf);
}

void emit_i64(struct emit *e, const char *name, int64_t v)
{
	char buf[32];

	if (e->jw) {
		jsonw_int_field(e->jw, name, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	csv_row(e, name, buf);
}

void emit_dbl(struct emit *e, const char *name, double v)
{
	char buf[40] = "";

	v = rounded(e, v);
	if (e->jw) {
		jsonw_float_field(e->jw, name, v);
		return;
	}
	if (isfinite(v))
		snprintf(buf, sizeof(buf), "%.*g", e->conf.csv_digits, v);
	csv_row(e, name, buf);
}

void emit_str(struct emit *e, const char *name, const char *s)
{
	if (e->jw)
		jsonw_string_field(e->jw, name, s);
	else
		csv_row(e, name, s ? s : "");
}

void emit_bool(struct emit *e, const char *name, int v)
{
	if (e->jw)
		jsonw_bool_field(e->jw, name, v);
	else
		csv_row(e, name, v ? "1" : "0");
}

void emit_null(struct emit *e, const char *name)
{
	emit_str(e, name, NULL);
}

void emit_i64_or_null(struct emit *e, const char *name, int64_t v, int64_t null_value)
{
	if (v == null_value)
		emit_null(e, name);
	else
		emit_i64(e, name, v);
}
