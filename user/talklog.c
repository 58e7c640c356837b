// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* talklog: reads the talk's bench.sh logs (bash `time` output amid build output). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "talklog.h"

#define NS_PER_S 1000000000LL
#define FRAC_DIGITS_MAX 9

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Up to MAX digits at *p into *ret; returns how many were read. */
static int read_digits(const char **p, int max, int64_t *ret)
{
	int n = 0;

	*ret = 0;
	while (is_digit(**p) && n < max) {
		*ret = *ret * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

/* The fraction after a decimal point (bash prints ',' in locales that use it), in ns. */
static int read_frac(const char **p, int64_t *ret_ns)
{
	int64_t v;
	int n;

	*ret_ns = 0;
	if (**p != '.' && **p != ',')
		return 0;
	(*p)++;
	n = read_digits(p, FRAC_DIGITS_MAX, &v);
	if (!n || is_digit(**p))
		return -EINVAL;
	while (n++ < FRAC_DIGITS_MAX)
		v *= 10;
	*ret_ns = v;
	return 0;
}

int talklog_parse_time(const char *s, int64_t *ret_ns)
{
	const int max_digits = 9;	/* more than any bound below; fits int64_t */
	const char *p = s;
	int64_t min = 0, sec, frac;
	int n;

	if (!s)
		return -EINVAL;
	n = read_digits(&p, max_digits, &sec);
	if (!n)
		return -EINVAL;
	if (is_digit(*p))
		return -ERANGE;
	if (*p == 'm') {
		/* bash: MmS.FFFs, seconds below 60 */
		if (sec > TALKLOG_MAX_MIN)
			return -ERANGE;
		min = sec;
		p++;
		n = read_digits(&p, 2, &sec);
		if (!n || sec >= 60 || read_frac(&p, &frac) || *p++ != 's')
			return -EINVAL;
	} else {
		/* time -p: S.FF */
		if (sec > (int64_t)TALKLOG_MAX_MIN * 60)
			return -ERANGE;
		if (read_frac(&p, &frac))
			return -EINVAL;
	}
	while (is_blank(*p))
		p++;
	if (*p)
		return -EINVAL;
	*ret_ns = (min * 60 + sec) * NS_PER_S + frac;
	return 0;
}

int talklog_parse_name(const char *path, char *ret_label, size_t len, unsigned int *ret_run)
{
	static const char prefix[] = "logfile-";
	const char *base, *dash, *p;
	int64_t run;
	size_t n;

	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	base += sizeof(prefix) - 1;
	dash = strrchr(base, '-');
	if (!dash || dash == base)
		return -EINVAL;
	p = dash + 1;
	if (!read_digits(&p, 9, &run) || *p)
		return -EINVAL;
	n = dash - base;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(ret_label, base, n);
	ret_label[n] = '\0';
	*ret_run = run;
	return 0;
}

/*
 * One line into BUF without its end ("\n" or "\r\n"). Returns 1 for a line,
 * 0 at the end of the file, -EIO on a read error and -EINVAL on a NUL byte.
 * A line longer than the buffer is read to its end and flagged in *ret_long.
 */
static int read_line(FILE *f, char *buf, size_t size, size_t *ret_len, int *ret_long)
{
	size_t n = 0;
	int c, any = 0;

	*ret_long = 0;
	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			return -EINVAL;
		if (n + 1 < size)
			buf[n++] = c;
		else
			*ret_long = 1;
	}
	if (ferror(f))
		return -EIO;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*ret_len = n;
	return any;
}

/* A `real` line: "real", blanks, a time. Returns a pointer to the time or NULL. */
static const char *real_time(const char *line)
{
	if (strncmp(line, "real", 4) || !is_blank(line[4]))
		return NULL;
	line += 4;
	while (is_blank(*line))
		line++;
	return line;
}

int talklog_parse(FILE *f, const char *name, struct talklog *ret, char *ret_err, size_t errlen)
{
	static const char *const timed[TALKLOG_MAX_TIMED] = { "configure", "make" };
	int64_t reals[TALKLOG_MAX_TIMED + 1], tar;
	unsigned long lines[TALKLOG_MAX_TIMED + 1], lineno = 0;
	char buf[TALKLOG_LINE_MAX];
	size_t n_real = 0, len, i;
	int err, too_long;

	memset(ret, 0, sizeof(*ret));
	err = talklog_parse_name(name, ret->label, sizeof(ret->label), &ret->run);
	if (err) {
		set_err(ret_err, errlen,
			"'%s' is neither an hvtrace recording nor a bench.sh log: a log's name is "
			"logfile-OS-VIRTTYPE-CPU-RUN%s", name,
			err == -ENAMETOOLONG ? " (and its label is too long)" : "");
		return -EINVAL;
	}
	for (;;) {
		const char *t;

		err = read_line(f, buf, sizeof(buf), &len, &too_long);
		if (err == 0)
			break;
		lineno++;
		if (err == -EIO) {
			set_err(ret_err, errlen, "%s:%lu: read error: %s", name, lineno,
				strerror(errno));
			return -EIO;
		}
		if (err == -EINVAL) {
			set_err(ret_err, errlen, "%s:%lu: binary data (a NUL byte): %s", name,
				lineno, "not a bench.sh log");
			return -EINVAL;
		}
		t = real_time(buf);
		if (!t)
			continue;
		if (too_long) {
			set_err(ret_err, errlen, "%s:%lu: 'real' line longer than %d bytes", name,
				lineno, TALKLOG_LINE_MAX - 1);
			return -EINVAL;
		}
		if (n_real == TALKLOG_MAX_TIMED + 1) {
			set_err(ret_err, errlen,
				"%s:%lu: a 4th 'real' line; a bench.sh log has three (configure, "
				"make, then the whole run)", name, lineno);
			return -EINVAL;
		}
		err = talklog_parse_time(t, &reals[n_real]);
		if (err) {
			set_err(ret_err, errlen,
				"%s:%lu: malformed time '%s' in a 'real' line (expected bash's "
				"format, like 7m55.886s)%s", name, lineno, t,
				err == -ERANGE ? ": out of range" : "");
			return -EINVAL;
		}
		lines[n_real++] = lineno;
	}
	if (!n_real) {
		set_err(ret_err, errlen,
			"%s: no 'real' line (%lu lines read): not bash `time` output, or the run "
			"did not finish", name, lineno);
		return -EINVAL;
	}

	ret->total_ns = reals[n_real - 1];
	ret->total_line = lines[n_real - 1];
	if (n_real == TALKLOG_MAX_TIMED + 1) {
		tar = ret->total_ns - reals[0] - reals[1];
		if (tar < 0) {
			set_err(ret_err, errlen,
				"%s:%lu: the whole run (%.3f s) is shorter than configure and make "
				"together (%.3f s)", name, ret->total_line,
				(double)ret->total_ns / NS_PER_S,
				(double)(reals[0] + reals[1]) / NS_PER_S);
			return -EINVAL;
		}
		ret->phases[ret->n_phases++] = (struct talklog_phase){ "tar", tar, 0 };
	}
	for (i = 0; i + 1 < n_real; i++)
		ret->phases[ret->n_phases++] =
			(struct talklog_phase){ timed[i], reals[i], lines[i] };
	return 0;
}
