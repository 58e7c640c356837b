/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* jsonw: a streaming JSON writer (pretty-printed, strings escaped). */
#ifndef HVT_JSONW_H
#define HVT_JSONW_H

#include <stdint.h>
#include <stdio.h>

struct jsonw;

struct jsonw *jsonw_new(FILE *f);
void jsonw_destroy(struct jsonw *w);	/* ends the output with a newline */

void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_name(struct jsonw *w, const char *name);

void jsonw_string(struct jsonw *w, const char *s);	/* NULL writes null */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_float(struct jsonw *w, double v);		/* NaN and inf write null */
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);

/* name + value in one call */
void jsonw_string_field(struct jsonw *w, const char *name, const char *s);
void jsonw_int_field(struct jsonw *w, const char *name, int64_t v);
void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v);
void jsonw_float_field(struct jsonw *w, const char *name, double v);
void jsonw_bool_field(struct jsonw *w, const char *name, int v);

#endif /* HVT_JSONW_H */
