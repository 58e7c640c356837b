/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* util: error printing, exit codes, clocks and small string helpers. */
#ifndef HVT_UTIL_H
#define HVT_UTIL_H

#include <stdint.h>
#include <stddef.h>

enum { HVT_EXIT_OK = 0, HVT_EXIT_FAIL = 1, HVT_EXIT_USAGE = 2 };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "hvtrace: <message>\n" on stderr. Only the command layer calls these. */
void hvt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hvt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message plus "Try 'hvtrace CMD --help'."; returns HVT_EXIT_USAGE. */
int hvt_usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int64_t now_mono_ns(void);
int64_t now_real_ns(void);

/* Formats ns as "1.234 s", "12.3 ms", "456 us", "78 ns" into buf. */
const char *fmt_ns(char *buf, size_t len, double ns);
/* Formats a count with thousands separators: 1,234,567. */
const char *fmt_count(char *buf, size_t len, uint64_t n);

/* Parses a non-negative integer with optional bound; -EINVAL/-ERANGE on bad input. */
int parse_u64(const char *s, uint64_t max, uint64_t *ret);

#endif /* HVT_UTIL_H */
