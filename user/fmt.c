// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fmt: model values as people read them, for the text and HTML printers. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "fmt.h"
#include "util.h"

const char *fmt_dur(char *buf, size_t len, double ns)
{
	return isnan(ns) ? "-" : fmt_ns(buf, len, ns);
}

const char *fmt_pct(char *buf, size_t len, double ratio)
{
	if (isnan(ratio))
		return "-";
	snprintf(buf, len, "%.1f%%", ratio * 100.0);
	return buf;
}

const char *fmt_wall(char *buf, size_t len, const struct report_phase *p)
{
	char t[32];

	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		return "?";
	snprintf(buf, len, "%s%s", p->wall_kind == REPORT_WALL_AT_LEAST ? ">=" : "",
		 fmt_ns(t, sizeof(t), p->wall_ns));
	return buf;
}

const char *fmt_wait(char *buf, size_t len, int status)
{
	if (status < 0)
		snprintf(buf, len, "exit status unknown");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, len, "wait status %d", status);
	return buf;
}

const char *fmt_wall_kind(enum report_wall k)
{
	switch (k) {
	case REPORT_WALL_AT_LEAST:
		return "at_least";
	case REPORT_WALL_UNKNOWN:
		return "unknown";
	default:
		return "exact";
	}
}

const char *fmt_dur_narrow(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		return "-";
	ns = round(ns);	/* 999999999.99 is "1.000 s", not "1000.0 ms" */
	if (ns >= 1e12)
		snprintf(buf, len, "%.0f s", ns / 1e9);
	else
		fmt_ns(buf, len, ns);
	return buf;
}

const char *fmt_sdur(char *buf, size_t len, double ns)
{
	char t[32];

	if (isnan(ns))
		return "-";
	if (ns == 0)
		return "0";
	snprintf(buf, len, "%c%s", ns < 0 ? '-' : '+', fmt_dur_narrow(t, sizeof(t), fabs(ns)));
	return buf;
}

const char *fmt_share(char *buf, size_t len, double ratio)
{
	if (isnan(ratio) || isinf(ratio))
		return "-";
	if (fabs(ratio) >= 10)
		snprintf(buf, len, "%+.0f%%", ratio * 100.0);
	else
		snprintf(buf, len, "%+.1f%%", ratio * 100.0);
	return buf;
}

const char *fmt_cnt(char *buf, size_t len, double n, size_t width)
{
	if (isnan(n))
		return "-";
	fmt_count(buf, len, (uint64_t)llround(n < 0 ? 0 : n));
	if (strlen(buf) <= width)
		return buf;
	if (n >= 1e9)
		snprintf(buf, len, "%.2fG", n / 1e9);
	else
		snprintf(buf, len, "%.2fM", n / 1e6);
	return buf;
}

const char *fmt_diff_cat(char *buf, size_t len, const struct diff_cat *c)
{
	const char *g = c->group;

	if (!strcmp(g, "syscall") && c->method == DIFF_CALIBRATED)
		snprintf(buf, len, "syscall %s", c->name);
	else if (!strcmp(g, "syscall") && c->method == DIFF_TRACED_SPLIT)
		snprintf(buf, len, "%s %s", c->name, c->cls == DIFF_WAITING ? ">=1ms" : "<1ms");
	else if (!strcmp(g, "syscall") || !strcmp(g, "process") || !strcmp(g, "sched") ||
		 !strcmp(g, "steal"))
		snprintf(buf, len, "%s", c->name);
	else if (!strcmp(g, "fault"))
		snprintf(buf, len, "fault %s", c->name);
	else if (!strcmp(g, "cpu"))
		snprintf(buf, len, "CPU %s", c->name);
	else
		snprintf(buf, len, "%s %s", g, c->name);
	return buf;
}

const char *fmt_diff_method(const struct diff_cat *c)
{
	switch (c->method) {
	case DIFF_TRACED:
	case DIFF_TRACED_SPLIT:
		return c->entry_exit ? "trace+cal" : "traced";
	case DIFF_CALIBRATED:
		return "calib";
	case DIFF_CPU_TIME:
		return "cpu acct";
	case DIFF_COUNT_ONLY:
		return "count";
	}
	return "?";
}

const char *fmt_spread(char *buf, size_t len, const struct diff_stats *st, int count)
{
	char m[32], lo[32], hi[32];

	if (count) {
		fmt_cnt(m, sizeof(m), st->mean, 20);
		fmt_cnt(lo, sizeof(lo), st->min, 20);
		fmt_cnt(hi, sizeof(hi), st->max, 20);
	} else {
		fmt_dur_narrow(m, sizeof(m), st->mean);
		fmt_dur_narrow(lo, sizeof(lo), st->min);
		fmt_dur_narrow(hi, sizeof(hi), st->max);
	}
	if (st->min == st->max)
		snprintf(buf, len, "%s", m);
	else
		snprintf(buf, len, "%s (%s-%s)", m, lo, hi);
	return buf;
}

const char *fmt_diff_calib(const struct diff_side *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_runs; i++)
		n += s->runs[i].calibrated;
	if (n == s->n_runs)
		return s->n_runs > 1 ? "every run" : "yes";
	return n ? "not every run" : "none";
}
