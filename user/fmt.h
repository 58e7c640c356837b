/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fmt: the numbers and names of the report and diff models as people read
 * them, shared by the text and HTML printers. Each writes into BUF and returns
 * it, or returns a constant ("-" for an unknown value).
 */
#ifndef HVT_FMT_H
#define HVT_FMT_H

#include <stddef.h>
#include "diff.h"
#include "report.h"

/* A duration as fmt_ns() writes it; "-" when NAN. */
const char *fmt_dur(char *buf, size_t len, double ns);
/* The same, rounded to the ns; past 1000 s whole seconds, to keep a column narrow. */
const char *fmt_dur_narrow(char *buf, size_t len, double ns);
/* A signed difference (narrow): "+1.234 s", "-12.0 ms", "0". */
const char *fmt_sdur(char *buf, size_t len, double ns);
/* A ratio as a percentage: "12.3%". */
const char *fmt_pct(char *buf, size_t len, double ratio);
/* A signed ratio as a percentage: "+12.3%", "+250%" from 10 up. */
const char *fmt_share(char *buf, size_t len, double ratio);
/* A count (a mean over runs is rounded) in at most WIDTH columns: "1,234", "12.35M". */
const char *fmt_cnt(char *buf, size_t len, double n, size_t width);

/* A mean over runs with its range: "4.600 s (4.500 s-4.700 s)"; COUNT: counts, not times. */
const char *fmt_spread(char *buf, size_t len, const struct diff_stats *st, int count);

/* "1.234 s"; ">=1.234 s" when only a lower bound is known; "?" when nothing is. */
const char *fmt_wall(char *buf, size_t len, const struct report_phase *p);
/* "exit 0", "signal 9 (KILL)" from a wait status. */
const char *fmt_wait(char *buf, size_t len, int status);
/* The stable name of a wall kind in JSON and CSV: exact, at_least, unknown. */
const char *fmt_wall_kind(enum report_wall k);

/* A diff category as the text names it: "read <1ms", "fault user-write", "CPU user". */
const char *fmt_diff_cat(char *buf, size_t len, const struct diff_cat *c);
/* Whether a side's runs have calibrated unit costs: yes, every run, not every run, none. */
const char *fmt_diff_calib(const struct diff_side *s);
/* How its time was measured, in a word: traced, trace+cal, calib, cpu acct, count. */
const char *fmt_diff_method(const struct diff_cat *c);

#endif /* HVT_FMT_H */
