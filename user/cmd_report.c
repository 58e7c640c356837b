// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace report: options, and the printers of the per-phase model
 * (report.h). One walk (run, each selected phase, total) feeds a printer:
 * text has its own layout; JSON and CSV share one description of the fields
 * (emit_*), so the two always carry the same data.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "cmds.h"
#include "jsonw.h"
#include "recfile.h"
#include "report.h"
#include "util.h"

#define REPORT_JSON_VERSION 1
#define TEXT_WIDTH 100
#define KV_WIDTH 20		/* where values start on "  label   value" lines */
#define DEFAULT_TOP 10

struct out {
	FILE *f;
	const struct report *rep;
	const char *const *phase_names;	/* --phase; NULL: every phase */
	size_t n_phase_names;
	size_t top;			/* syscalls listed per phase; 0: all */
	struct jsonw *jw;
	/* CSV: names of the open objects and arrays, and the current item. */
	const char *csv_path[8];
	int csv_depth;
	const char *csv_item;
	const struct report_phase *csv_phase;
};

struct printer {
	void (*begin)(struct out *o);
	void (*phase)(struct out *o, const struct report_phase *p);
	void (*end)(struct out *o);	/* may be NULL */
};

static int phase_selected(const struct out *o, const struct report_phase *p)
{
	size_t i;

	if (!o->phase_names)
		return 1;
	for (i = 0; i < o->n_phase_names; i++)
		if (!strcmp(o->phase_names[i], p->name))
			return 1;
	return 0;
}

static size_t top_count(const struct out *o, const struct report_phase *p)
{
	return o->top && o->top < p->n_syscalls ? o->top : p->n_syscalls;
}

/* The one walk every format goes through. */
static void walk(struct out *o, const struct printer *pr)
{
	size_t i;

	pr->begin(o);
	for (i = 0; i < o->rep->n_phases; i++)
		if (phase_selected(o, &o->rep->phases[i]))
			pr->phase(o, &o->rep->phases[i]);
	pr->phase(o, &o->rep->total);
	if (pr->end)
		pr->end(o);
}

/* ---- text ---------------------------------------------------------------- */

static const char *fmt_dur(char *buf, size_t len, double ns)
{
	return isnan(ns) ? "-" : fmt_ns(buf, len, ns);
}

static const char *fmt_pct(char *buf, size_t len, double ratio)
{
	if (isnan(ratio))
		return "-";
	snprintf(buf, len, "%.1f%%", ratio * 100.0);
	return buf;
}

/* "1.234 s"; ">=1.234 s" when only a lower bound is known; "?" when nothing is. */
static const char *fmt_wall(char *buf, size_t len, const struct report_phase *p)
{
	char t[32];

	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		return "?";
	snprintf(buf, len, "%s%s", p->wall_kind == REPORT_WALL_AT_LEAST ? ">=" : "",
		 fmt_ns(t, sizeof(t), p->wall_ns));
	return buf;
}

/* S cut to WIDTH columns, marked with "..." when cut. */
static const char *clip(char *buf, size_t len, const char *s, size_t width)
{
	if (strlen(s) <= width || width < 4 || width >= len)
		return s;
	snprintf(buf, len, "%.*s...", (int)(width - 3), s);
	return buf;
}

/* "exit 0", "signal 9 (KILL)" from a wait status. */
static const char *fmt_wait(char *buf, size_t len, int status)
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

/* A "  label   item, item, ..." line, wrapped under the first item at 100 columns. */
struct wrap {
	FILE *f;
	int col;
	int items;
};

static void wrap_start(struct wrap *w, FILE *f, const char *label)
{
	w->f = f;
	w->items = 0;
	w->col = fprintf(f, "  %-*s", KV_WIDTH - 2, label);
}

static void wrap_item(struct wrap *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wrap_item(struct wrap *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof(buf))
		len = sizeof(buf) - 1;
	if (w->items && w->col + 2 + len >= TEXT_WIDTH) {
		w->col = fprintf(w->f, ",\n%*s", KV_WIDTH, "") - 2;
	} else if (w->items) {
		fputs(", ", w->f);
		w->col += 2;
	}
	fputs(buf, w->f);
	w->col += len;
	w->items++;
}

static void wrap_end(struct wrap *w)
{
	fputc('\n', w->f);
}

static void kv(FILE *f, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "  %-*s", KV_WIDTH - 2, label);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static void text_overview(struct out *o)
{
	const struct report *rep = o->rep;
	char a[32], b[32], c[32], d[32], e[32], g[32], h[32], n[32];
	int unfinished = 0;
	size_t i;

	fprintf(o->f, "\n%3s  %-14s %10s %6s %10s %10s %7s %12s %11s\n", "#", "phase", "wall",
		"run", "user", "sys", "procs", "syscalls", "faults");
	for (i = 0; i <= rep->n_phases; i++) {
		const struct report_phase *p = i < rep->n_phases ? &rep->phases[i] : &rep->total;
		char id[16] = "";

		if (i < rep->n_phases && !phase_selected(o, p))
			continue;
		if (p->id >= 0)
			snprintf(id, sizeof(id), "%d", p->id);
		fprintf(o->f, "%3s  %-14s %10s %6s %10s %10s %7s %12s %11s\n", id,
			clip(n, sizeof(n), p->name, 14), fmt_wall(a, sizeof(a), p),
			fmt_pct(b, sizeof(b), p->share_of_run),
			fmt_ns(c, sizeof(c), p->cpu_user_ns), fmt_ns(d, sizeof(d), p->cpu_sys_ns),
			fmt_count(e, sizeof(e), p->procs_started),
			fmt_count(g, sizeof(g), p->syscall_count),
			fmt_count(h, sizeof(h), p->faults));
		unfinished |= !p->finished && p->id >= 0;
	}
	if (unfinished)
		fprintf(o->f, "     (>= and ?: unfinished phase, the recording ended first)\n");
}

static void text_begin(struct out *o)
{
	const struct report *rep = o->rep;
	char a[64], b[64], c[128];
	struct wrap w;

	fprintf(o->f, "hvtrace report of %s\n", clip(c, sizeof(c), rep->path, 80));
	kv(o->f, "label", "%s",
	   rep->label && *rep->label ? clip(c, sizeof(c), rep->label, 78) : "-");
	kv(o->f, "command", "%s", rep->command ? clip(c, sizeof(c), rep->command, 78) : "-");
	wrap_start(&w, o->f, "machine");
	wrap_item(&w, "%s", rep->hostname ? rep->hostname : "unknown host");
	if (rep->kernel)
		wrap_item(&w, "%s", rep->kernel);
	if (rep->cpu_count >= 0)
		wrap_item(&w, "%lld CPUs", (long long)rep->cpu_count);
	if (rep->cpu_model)
		wrap_item(&w, "%s", clip(c, sizeof(c), rep->cpu_model, 70));
	if (rep->mem_bytes >= 0)
		wrap_item(&w, "%.1f GiB", rep->mem_bytes / 1073741824.0);
	wrap_end(&w);
	kv(o->f, "hypervisor", "%s", rep->hypervisor && *rep->hypervisor ? rep->hypervisor :
									  "unknown");
	wrap_start(&w, o->f, "recorded");
	if (rep->start_real_ns > 0) {
		time_t t = rep->start_real_ns / 1000000000;
		struct tm tm;

		if (gmtime_r(&t, &tm) && strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S UTC", &tm))
			wrap_item(&w, "%s", a);
	}
	if (rep->scope)
		wrap_item(&w, "scope %s", rep->scope);
	if (rep->hvtrace_version)
		wrap_item(&w, "hvtrace %s", rep->hvtrace_version);
	wrap_item(&w, "%s", rep->complete ? "complete" :
			    "INCOMPLETE (the recorder did not end normally)");
	wrap_end(&w);
	wrap_start(&w, o->f, "wall");
	wrap_item(&w, "%s%s", rep->total.wall_kind == REPORT_WALL_AT_LEAST ? "at least " : "",
		  rep->total.wall_kind == REPORT_WALL_UNKNOWN ? "unknown" :
			fmt_ns(a, sizeof(a), rep->total.wall_ns));
	if (rep->exit_status >= 0)
		wrap_item(&w, "exit status %lld", (long long)rep->exit_status);
	wrap_end(&w);
	if (rep->rusage_user_ns >= 0 && rep->rusage_sys_ns >= 0)
		kv(o->f, "CPU", "user %s, sys %s (whole workload tree, from wait4)",
		   fmt_ns(a, sizeof(a), rep->rusage_user_ns),
		   fmt_ns(b, sizeof(b), rep->rusage_sys_ns));
	kv(o->f, "lost events", "%s%s", fmt_count(a, sizeof(a), rep->lost_events),
	   rep->lost_events ? " (process events missing: counts of fork/exec/exit are low)" : "");
	if (rep->phases_merged > 0)
		kv(o->f, "phases merged", "%lld (phases past %d share the last slot)",
		   (long long)rep->phases_merged, HVT_MAX_PHASES - 1);
	text_overview(o);
}

static void text_counter(struct wrap *w, const struct report_counter *c)
{
	char a[32];
	int is_time = !strcmp(c->event, "task-clock") || !strcmp(c->event, "cpu-clock");

	if (!c->supported) {
		wrap_item(w, "%s not supported", c->event);
	} else if (isnan(c->scaled)) {
		wrap_item(w, "%s not counted", c->event);
	} else {
		if (is_time)
			fmt_ns(a, sizeof(a), c->scaled);
		else
			fmt_count(a, sizeof(a), (uint64_t)llround(c->scaled));
		if (c->running_ns == c->enabled_ns)
			wrap_item(w, "%s %s", c->event, a);
		else
			wrap_item(w, "%s %s (scaled, counted %.0f%% of the time)", c->event, a,
				  100.0 * report_ratio(c->running_ns, c->enabled_ns));
	}
}

static void text_syscalls(struct out *o, const struct report_phase *p)
{
	char n[32], a[32], b[32], c[32], d[32], e[32], g[32], h[32];
	size_t i, top = top_count(o, p);

	if (!top)
		return;
	fprintf(o->f, "    %-18s %12s %10s %7s %10s %10s %10s %10s\n",
		top < p->n_syscalls ? "top syscalls" : "syscalls", "calls", "total", "share",
		"mean", "p50", "p99", "max");
	for (i = 0; i < top; i++) {
		const struct report_lat *l = &p->syscalls[i];

		fprintf(o->f, "    %-18s %12s %10s %7s %10s %10s %10s %10s\n",
			clip(n, sizeof(n), l->name, 18), fmt_count(a, sizeof(a), l->count),
			fmt_ns(b, sizeof(b), l->sum_ns), fmt_pct(c, sizeof(c), l->share),
			fmt_dur(d, sizeof(d), l->mean_ns), fmt_dur(e, sizeof(e), l->p50_ns),
			fmt_dur(g, sizeof(g), l->p99_ns),
			l->count ? fmt_ns(h, sizeof(h), l->max_ns) : "-");
	}
	if (top < p->n_syscalls)
		fprintf(o->f, "    (%zu more; --top 0 lists all)\n", p->n_syscalls - top);
}

static void text_phase(struct out *o, const struct report_phase *p)
{
	char a[64], b[64], c[64];
	struct wrap w;
	size_t i;
	int k;

	if (p->id >= 0)
		fprintf(o->f, "\nPhase %d: %s (%s, pid %d, %s%s)\n", p->id,
			clip(c, sizeof(c), p->name, 50), p->source, p->pid,
			fmt_wait(a, sizeof(a), p->exit_status), p->finished ? "" : ", unfinished");
	else
		fprintf(o->f, "\nRun total (%zu phases)\n", o->rep->n_phases);

	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		kv(o->f, "wall", "unknown (unfinished: the recording ended first)");
	else if (p->wall_kind == REPORT_WALL_AT_LEAST)
		kv(o->f, "wall", "at least %s (unfinished: the recording ended first)",
		   fmt_ns(a, sizeof(a), p->wall_ns));
	else if (p->id < 0)
		kv(o->f, "wall", "%s", fmt_ns(a, sizeof(a), p->wall_ns));
	else
		kv(o->f, "wall", "%s, %s of the run", fmt_ns(a, sizeof(a), p->wall_ns),
		   fmt_pct(b, sizeof(b), p->share_of_run));

	wrap_start(&w, o->f, "CPU");
	wrap_item(&w, "user %s", fmt_ns(a, sizeof(a), p->cpu_user_ns));
	wrap_item(&w, "sys %s (threads that ended: %s)", fmt_ns(a, sizeof(a), p->cpu_sys_ns),
		  fmt_count(b, sizeof(b), p->cpu_threads));
	wrap_item(&w, "on CPU %s", fmt_ns(a, sizeof(a), p->oncpu_ns));
	wrap_end(&w);

	wrap_start(&w, o->f, "processes");
	wrap_item(&w, "%s started (fork %s", fmt_count(a, sizeof(a), p->procs_started),
		  fmt_count(b, sizeof(b), p->proc[HVT_PROC_FORK]));
	wrap_item(&w, "vfork %s", fmt_count(a, sizeof(a), p->proc[HVT_PROC_VFORK]));
	wrap_item(&w, "clone %s)", fmt_count(a, sizeof(a), p->proc[HVT_PROC_CLONE]));
	wrap_item(&w, "%s exec", fmt_count(a, sizeof(a), p->proc[HVT_PROC_EXEC]));
	wrap_item(&w, "%s exit", fmt_count(a, sizeof(a), p->proc[HVT_PROC_EXIT]));
	wrap_item(&w, "%s threads", fmt_count(a, sizeof(a), p->proc[HVT_PROC_THREAD]));
	wrap_end(&w);

	wrap_start(&w, o->f, "page faults");
	wrap_item(&w, "%s total", fmt_count(a, sizeof(a), p->faults));
	for (k = 0; k < HVT_FAULT_KINDS; k++)
		wrap_item(&w, "%s %s", report_fault_names[k], fmt_count(a, sizeof(a), p->fault[k]));
	wrap_end(&w);

	kv(o->f, "context switches", "%s voluntary, %s involuntary",
	   fmt_count(a, sizeof(a), p->ctx_voluntary), fmt_count(b, sizeof(b), p->ctx_involuntary));

	wrap_start(&w, o->f, "run-queue delay");
	wrap_item(&w, "%s waits", fmt_count(a, sizeof(a), p->runq.count));
	wrap_item(&w, "%s total", fmt_ns(a, sizeof(a), p->runq.sum_ns));
	wrap_item(&w, "mean %s", fmt_dur(a, sizeof(a), p->runq.mean_ns));
	wrap_item(&w, "p50 %s", fmt_dur(a, sizeof(a), p->runq.p50_ns));
	wrap_item(&w, "p99 %s", fmt_dur(a, sizeof(a), p->runq.p99_ns));
	wrap_item(&w, "max %s", p->runq.count ? fmt_ns(a, sizeof(a), p->runq.max_ns) : "-");
	wrap_end(&w);

	kv(o->f, "steal", "%s, %s of wall", fmt_ns(a, sizeof(a), p->steal_ns),
	   fmt_pct(b, sizeof(b), p->steal_share));
	kv(o->f, "lost events", "%s", fmt_count(a, sizeof(a), p->lost));

	if (p->n_counters) {
		wrap_start(&w, o->f, "perf counters");
		for (i = 0; i < p->n_counters; i++)
			text_counter(&w, &p->counters[i]);
		wrap_end(&w);
	}

	kv(o->f, "syscalls", "%s calls, %s total, %zu distinct",
	   fmt_count(a, sizeof(a), p->syscall_count), fmt_ns(b, sizeof(b), p->syscall_ns),
	   p->n_syscalls);
	text_syscalls(o, p);
}

static const struct printer text_printer = { text_begin, text_phase, NULL };

/*
 * ---- JSON and CSV ------------------------------------------------------------
 * The fields are described once (emit_run, emit_phase_body) against this small
 * interface; docs/report-json.md documents the result.
 */
struct emitter {
	void (*obj_begin)(struct out *o, const char *name);	/* name NULL in arrays */
	void (*obj_end)(struct out *o);
	void (*arr_begin)(struct out *o, const char *name);
	void (*arr_end)(struct out *o);
	/* An array element identified by KEY_NAME = KEY (JSON writes it as a field). */
	void (*item_begin)(struct out *o, const char *key_name, const char *key);
	void (*item_end)(struct out *o);
	void (*u64)(struct out *o, const char *name, uint64_t v);
	void (*i64)(struct out *o, const char *name, int64_t v);
	void (*dbl)(struct out *o, const char *name, double v);	/* NAN: null */
	void (*str)(struct out *o, const char *name, const char *s);	/* NULL: null */
	void (*boolean)(struct out *o, const char *name, int v);
};

static void emit_i64_or_null(const struct emitter *e, struct out *o, const char *name,
			     int64_t v, int64_t null_value)
{
	if (v == null_value)
		e->str(o, name, NULL);
	else
		e->i64(o, name, v);
}

static const char *wall_kind_name(enum report_wall k)
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

static void emit_run(const struct emitter *e, struct out *o)
{
	const struct report *rep = o->rep;

	e->obj_begin(o, "run");
	e->str(o, "file", rep->path);
	e->str(o, "label", rep->label);
	e->str(o, "command", rep->command);
	e->str(o, "hostname", rep->hostname);
	e->str(o, "kernel", rep->kernel);
	e->str(o, "cpu_model", rep->cpu_model);
	emit_i64_or_null(e, o, "cpu_count", rep->cpu_count, -1);
	emit_i64_or_null(e, o, "mem_bytes", rep->mem_bytes, -1);
	e->str(o, "hypervisor", rep->hypervisor);
	e->str(o, "scope", rep->scope);
	e->str(o, "hvtrace_version", rep->hvtrace_version);
	e->boolean(o, "complete", rep->complete);
	emit_i64_or_null(e, o, "start_real_ns", rep->start_real_ns, 0);
	emit_i64_or_null(e, o, "exit_status", rep->exit_status, -1);
	emit_i64_or_null(e, o, "rusage_user_ns", rep->rusage_user_ns, -1);
	emit_i64_or_null(e, o, "rusage_sys_ns", rep->rusage_sys_ns, -1);
	e->u64(o, "lost_events", rep->lost_events);
	e->i64(o, "phases_merged", rep->phases_merged);
	e->obj_end(o);
}

static void emit_lat_fields(const struct emitter *e, struct out *o, const struct report_lat *l)
{
	e->u64(o, "count", l->count);
	e->u64(o, "total_ns", l->sum_ns);
	e->dbl(o, "mean_ns", l->mean_ns);
	e->dbl(o, "p50_ns", l->p50_ns);
	e->dbl(o, "p99_ns", l->p99_ns);
	if (l->count)
		e->u64(o, "max_ns", l->max_ns);
	else
		e->str(o, "max_ns", NULL);
}

static void emit_phase_body(const struct emitter *e, struct out *o, const struct report_phase *p)
{
	char key[32];
	size_t i, top = top_count(o, p);
	int k;

	emit_i64_or_null(e, o, "id", p->id, -1);
	e->str(o, "name", p->name);
	e->str(o, "source", p->id >= 0 ? p->source : NULL);
	emit_i64_or_null(e, o, "pid", p->pid, 0);
	emit_i64_or_null(e, o, "exit_status", p->exit_status, -1);
	e->boolean(o, "finished", p->finished);
	emit_i64_or_null(e, o, "start_mono_ns", p->start_mono, 0);
	emit_i64_or_null(e, o, "end_mono_ns", p->end_mono, 0);
	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		e->str(o, "wall_ns", NULL);
	else
		e->u64(o, "wall_ns", p->wall_ns);
	e->str(o, "wall", wall_kind_name(p->wall_kind));
	e->dbl(o, "share_of_run", p->share_of_run);

	e->obj_begin(o, "cpu");
	e->u64(o, "user_ns", p->cpu_user_ns);
	e->u64(o, "sys_ns", p->cpu_sys_ns);
	e->u64(o, "threads_ended", p->cpu_threads);
	e->u64(o, "oncpu_ns", p->oncpu_ns);
	e->obj_end(o);

	e->obj_begin(o, "processes");
	e->u64(o, "started", p->procs_started);
	for (k = 0; k < HVT_PROC_KINDS; k++)
		e->u64(o, report_proc_names[k], p->proc[k]);
	e->obj_end(o);

	e->obj_begin(o, "page_faults");
	e->u64(o, "total", p->faults);
	for (k = 0; k < HVT_FAULT_KINDS; k++) {
		char *c;

		snprintf(key, sizeof(key), "%s", report_fault_names[k]);
		for (c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		e->u64(o, key, p->fault[k]);
	}
	e->obj_end(o);

	e->obj_begin(o, "context_switches");
	e->u64(o, "voluntary", p->ctx_voluntary);
	e->u64(o, "involuntary", p->ctx_involuntary);
	e->obj_end(o);

	e->obj_begin(o, "run_queue");
	emit_lat_fields(e, o, &p->runq);
	e->obj_end(o);

	e->obj_begin(o, "steal");
	e->u64(o, "ns", p->steal_ns);
	e->dbl(o, "share_of_wall", p->steal_share);
	e->obj_end(o);

	e->u64(o, "lost_events", p->lost);

	e->arr_begin(o, "perf_counters");
	for (i = 0; i < p->n_counters; i++) {
		const struct report_counter *c = &p->counters[i];

		e->item_begin(o, "event", c->event);
		e->boolean(o, "supported", c->supported);
		e->u64(o, "value", c->value);
		e->u64(o, "enabled_ns", c->enabled_ns);
		e->u64(o, "running_ns", c->running_ns);
		e->dbl(o, "scaled", c->scaled);
		e->item_end(o);
	}
	e->arr_end(o);

	e->obj_begin(o, "syscalls");
	e->u64(o, "count", p->syscall_count);
	e->u64(o, "total_ns", p->syscall_ns);
	e->u64(o, "distinct", p->n_syscalls);
	e->arr_begin(o, "top");
	for (i = 0; i < top; i++) {
		const struct report_lat *l = &p->syscalls[i];

		e->item_begin(o, "name", l->name);
		e->i64(o, "nr", l->key);
		emit_lat_fields(e, o, l);
		e->dbl(o, "share", l->share);
		e->item_end(o);
	}
	e->arr_end(o);
	e->obj_end(o);
}

/* -- JSON back end -- */

static void j_obj_begin(struct out *o, const char *name)
{
	if (name)
		jsonw_name(o->jw, name);
	jsonw_start_object(o->jw);
}

static void j_obj_end(struct out *o)
{
	jsonw_end_object(o->jw);
}

static void j_arr_begin(struct out *o, const char *name)
{
	jsonw_name(o->jw, name);
	jsonw_start_array(o->jw);
}

static void j_arr_end(struct out *o)
{
	jsonw_end_array(o->jw);
}

static void j_item_begin(struct out *o, const char *key_name, const char *key)
{
	jsonw_start_object(o->jw);
	jsonw_string_field(o->jw, key_name, key);
}

static void j_u64(struct out *o, const char *name, uint64_t v)
{
	jsonw_uint_field(o->jw, name, v);
}

static void j_i64(struct out *o, const char *name, int64_t v)
{
	jsonw_int_field(o->jw, name, v);
}

static void j_dbl(struct out *o, const char *name, double v)
{
	jsonw_float_field(o->jw, name, v);
}

static void j_str(struct out *o, const char *name, const char *s)
{
	jsonw_string_field(o->jw, name, s);
}

static void j_bool(struct out *o, const char *name, int v)
{
	jsonw_bool_field(o->jw, name, v);
}

static const struct emitter json_emitter = {
	j_obj_begin, j_obj_end, j_arr_begin, j_arr_end, j_item_begin, j_obj_end,
	j_u64, j_i64, j_dbl, j_str, j_bool,
};

static void json_begin(struct out *o)
{
	jsonw_start_object(o->jw);
	jsonw_string_field(o->jw, "format", "hvtrace-report");
	jsonw_int_field(o->jw, "format_version", REPORT_JSON_VERSION);
	emit_run(&json_emitter, o);
	jsonw_name(o->jw, "phases");
	jsonw_start_array(o->jw);
}

static void json_phase(struct out *o, const struct report_phase *p)
{
	if (p == &o->rep->total) {
		jsonw_end_array(o->jw);
		jsonw_name(o->jw, "total");
	}
	jsonw_start_object(o->jw);
	emit_phase_body(&json_emitter, o, p);
	jsonw_end_object(o->jw);
}

static void json_end(struct out *o)
{
	jsonw_end_object(o->jw);
}

static const struct printer json_printer = { json_begin, json_phase, json_end };

/*
 * -- CSV back end --
 * Long format, one value per row: phase_id,phase,section,item,metric,value.
 * section is the dotted path of objects inside a phase ("cpu",
 * "syscalls.top"; "phase" for a phase's own fields, "run" for the run's).
 */

static void csv_field(FILE *f, const char *s)
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

static void csv_row(struct out *o, const char *metric, const char *value)
{
	const struct report_phase *p = o->csv_phase;
	char section[128] = "";
	int i;

	if (p && p->id >= 0)
		fprintf(o->f, "%d", p->id);
	else if (p)
		fputs("total", o->f);
	fputc(',', o->f);
	csv_field(o->f, p ? p->name : "");
	fputc(',', o->f);
	for (i = 0; i < o->csv_depth; i++) {
		if (i)
			strncat(section, ".", sizeof(section) - strlen(section) - 1);
		strncat(section, o->csv_path[i], sizeof(section) - strlen(section) - 1);
	}
	csv_field(o->f, *section ? section : "phase");
	fputc(',', o->f);
	csv_field(o->f, o->csv_item ? o->csv_item : "");
	fputc(',', o->f);
	csv_field(o->f, metric);
	fputc(',', o->f);
	csv_field(o->f, value);
	fputc('\n', o->f);
}

static void c_push(struct out *o, const char *name)
{
	if (o->csv_depth < (int)ARRAY_SIZE(o->csv_path))
		o->csv_path[o->csv_depth++] = name;
}

static void c_pop(struct out *o)
{
	if (o->csv_depth)
		o->csv_depth--;
}

static void c_item_begin(struct out *o, const char *key_name, const char *key)
{
	o->csv_item = key;
}

static void c_item_end(struct out *o)
{
	o->csv_item = NULL;
}

static void c_u64(struct out *o, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	csv_row(o, name, buf);
}

static void c_i64(struct out *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	csv_row(o, name, buf);
}

static void c_dbl(struct out *o, const char *name, double v)
{
	char buf[32] = "";

	if (isfinite(v))
		snprintf(buf, sizeof(buf), "%.10g", v);
	csv_row(o, name, buf);
}

static void c_str(struct out *o, const char *name, const char *s)
{
	csv_row(o, name, s ? s : "");
}

static void c_bool(struct out *o, const char *name, int v)
{
	csv_row(o, name, v ? "1" : "0");
}

static const struct emitter csv_emitter = {
	c_push, c_pop, c_push, c_pop, c_item_begin, c_item_end,
	c_u64, c_i64, c_dbl, c_str, c_bool,
};

static void csv_begin(struct out *o)
{
	fputs("phase_id,phase,section,item,metric,value\n", o->f);
	emit_run(&csv_emitter, o);
}

static void csv_phase(struct out *o, const struct report_phase *p)
{
	o->csv_phase = p;
	emit_phase_body(&csv_emitter, o, p);
	o->csv_phase = NULL;
}

static const struct printer csv_printer = { csv_begin, csv_phase, NULL };

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace report FILE [--json|--csv] [--phase NAME]... [--top N]\n"
		"\n"
		"Explains a recording phase by phase: wall time, CPU user/sys, processes\n"
		"started, syscalls (the top ones by total time with count, mean, p50, p99),\n"
		"page faults by kind, context switches, run-queue delay, on-CPU time, steal,\n"
		"perf counters and lost events; then the run's totals.\n"
		"\n"
		"Options:\n"
		"  --json          JSON (stable, documented in docs/report-json.md)\n"
		"  --csv           CSV, one value per row:\n"
		"                  phase_id,phase,section,item,metric,value\n"
		"  --phase NAME    only the phases named NAME (repeatable); totals stay the run's\n"
		"  --top N         syscalls listed per phase (default %d; 0 lists all)\n"
		"  -h, --help      this text\n"
		"\n"
		"p50 and p99 are estimated from log2 histograms by interpolating inside the\n"
		"bucket, so they are within a factor of two of the truth (and never above max).\n"
		"\n"
		"Examples:\n"
		"  hvtrace report native.hvt\n"
		"  hvtrace report kvm.hvt --phase make --top 20\n"
		"  hvtrace report kvm.hvt --json | jq '.phases[] | {name, wall_ns}'\n"
		"  hvtrace report kvm.hvt --csv > kvm.csv\n",
		DEFAULT_TOP);
}

/* Comma-separated phase names of REP, for the "no such phase" message. */
static void phase_list(const struct report *rep, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < rep->n_phases && o + 1 < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", rep->phases[i].name);
	if (!rep->n_phases)
		snprintf(buf, len, "none");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "phase", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const struct printer *pr = &text_printer;
	struct out o = { .f = stdout, .top = DEFAULT_TOP };
	struct recording *rec = NULL;
	struct report *rep = NULL;
	const char **names = NULL;
	int json = 0, csv = 0, opt, ret = HVT_EXIT_FAIL;
	char err[512];
	uint64_t n;
	size_t i, k;

	names = calloc(argc, sizeof(*names));
	if (!names) {
		hvt_err("out of memory");
		return HVT_EXIT_FAIL;
	}
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'c':
			csv = 1;
			break;
		case 'p':
			names[o.n_phase_names++] = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 1000000, &n)) {
				ret = hvt_usage_err("report", "--top wants a count, not '%s'",
						    optarg);
				goto out_free;
			}
			o.top = n;
			break;
		case 'h':
			usage(stdout);
			ret = HVT_EXIT_OK;
			goto out_free;
		case ':':
			ret = hvt_usage_err("report", "option '%s' needs a value",
					    argv[optind - 1]);
			goto out_free;
		default:
			ret = hvt_usage_err("report", "unknown option '%s'", argv[optind - 1]);
			goto out_free;
		}
	}
	if (json && csv) {
		ret = hvt_usage_err("report", "--json and --csv exclude each other");
		goto out_free;
	}
	if (optind == argc) {
		ret = hvt_usage_err("report", "which recording? FILE is missing");
		goto out_free;
	}
	if (optind != argc - 1) {
		ret = hvt_usage_err("report", "one recording at a time, got %d", argc - optind);
		goto out_free;
	}

	rec = recording_load(argv[optind], err, sizeof(err));
	if (!rec) {
		hvt_err("%s", err);
		goto out_free;
	}
	rep = report_build(rec);
	if (!rep) {
		hvt_err("cannot summarise '%s': %s", argv[optind], strerror(errno));
		goto out_free;
	}
	for (i = 0; i < o.n_phase_names; i++) {
		for (k = 0; k < rep->n_phases; k++)
			if (!strcmp(rep->phases[k].name, names[i]))
				break;
		if (k == rep->n_phases) {
			phase_list(rep, err, sizeof(err));
			hvt_err("no phase named '%s' in '%s' (phases: %s)", names[i], argv[optind],
				err);
			goto out_free;
		}
	}
	if (o.n_phase_names)
		o.phase_names = names;
	o.rep = rep;
	if (json) {
		o.jw = jsonw_new(stdout);
		if (!o.jw) {
			hvt_err("out of memory");
			goto out_free;
		}
		pr = &json_printer;
	} else if (csv) {
		pr = &csv_printer;
	}
	walk(&o, pr);
	jsonw_destroy(o.jw);
	if (fflush(stdout) || ferror(stdout)) {
		hvt_err("cannot write the report: %s", strerror(errno));
		goto out_free;
	}
	ret = HVT_EXIT_OK;

out_free:
	report_free(rep);
	recording_free(rec);
	free(names);
	return ret;
}
