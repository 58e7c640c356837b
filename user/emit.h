/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * emit: describe a model's fields once, print them as JSON or as CSV.
 *
 * A printer walks its model and calls emit_obj_begin(), emit_u64(), ...; the
 * JSON back end writes nested objects and arrays (jsonw), the CSV back end one
 * row per value in the long format
 *
 *	LEAD...,section,item,metric,value
 *
 * LEAD are the caller's columns, set per record (the phase a row belongs to);
 * section is the dotted path of the open objects and arrays ("cpu",
 * "syscalls.top"), or conf.own_section for a record's own fields; item is
 * the key of the current array element; metric is the field's name. Both
 * formats so carry the same data, whatever the description adds.
 *
 * JSON                                   CSV
 *   emit_doc_begin: {"format": F,          the header row
 *                    "format_version": V,
 *   emit_records_begin(NAME): NAME: [      -
 *   emit_record_begin(NAME, LEAD): {       LEAD for the rows that follow
 *   emit_item_begin(KEY_NAME, KEY): {      item = KEY
 *     KEY_NAME: KEY (when KEY_NAME given)
 *   emit_str(NAME, NULL): NAME: null       an empty value
 */
#ifndef HVT_EMIT_H
#define HVT_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum emit_format {
	EMIT_JSON,
	EMIT_CSV,
};

struct emit_conf {
	enum emit_format format;
	const char *const *lead;	/* CSV: names of the leading columns */
	size_t n_lead;			/* at most EMIT_MAX_LEAD */
	const char *own_section;	/* CSV: the section of a record's own fields */
	/*
	 * Non-integer numbers: rounded to round_digits significant digits
	 * first (0: not rounded; rounding keeps float noise such as
	 * 999999999.9999999 out), then printed with 15 significant digits in
	 * JSON and csv_digits in CSV. Part of each output's stable format.
	 */
	int round_digits;
	int csv_digits;
};

#define EMIT_MAX_LEAD 4

struct emit;

/* An emitter writing to F. NULL and errno set on failure. */
struct emit *emit_new(FILE *f, const struct emit_conf *conf);
/* Ends the output (JSON: a newline); accepts NULL. */
void emit_free(struct emit *e);

void emit_doc_begin(struct emit *e, const char *format, int version);
void emit_doc_end(struct emit *e);

/* A list of records: a JSON array named NAME; nothing in CSV. */
void emit_records_begin(struct emit *e, const char *name);
void emit_records_end(struct emit *e);
/*
 * A record: a JSON object, named NAME (NULL inside emit_records_*); in CSV,
 * the rows until emit_record_end() carry LEAD (conf.n_lead strings; NULL
 * entries or LEAD NULL: empty).
 */
void emit_record_begin(struct emit *e, const char *name, const char *const *lead);
void emit_record_end(struct emit *e);

void emit_obj_begin(struct emit *e, const char *name);
void emit_obj_end(struct emit *e);
void emit_arr_begin(struct emit *e, const char *name);
void emit_arr_end(struct emit *e);
/* An array element, KEY in CSV's item column; JSON writes KEY_NAME: KEY when KEY_NAME is set. */
void emit_item_begin(struct emit *e, const char *key_name, const char *key);
void emit_item_end(struct emit *e);

void emit_u64(struct emit *e, const char *name, uint64_t v);
void emit_i64(struct emit *e, const char *name, int64_t v);
void emit_dbl(struct emit *e, const char *name, double v);	/* NAN, inf: null */
void emit_str(struct emit *e, const char *name, const char *s);	/* NULL: null */
void emit_bool(struct emit *e, const char *name, int v);
void emit_null(struct emit *e, const char *name);
/* V, or null when V is NULL_VALUE (a model's "unknown"). */
void emit_i64_or_null(struct emit *e, const char *name, int64_t v, int64_t null_value);

/* S as one CSV field: quoted, quotes doubled, when it holds a comma, quote or line end. */
void emit_csv_field(FILE *f, const char *s);

#endif /* HVT_EMIT_H */
