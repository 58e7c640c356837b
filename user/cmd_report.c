// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace report: options, and the printers of the per-phase model
 * (report.h). One walk (run, each selected phase, total) feeds a printer:
 * text has its own layout; JSON and CSV share one description of the fields
 * (emit_*, printed by emit.c), so the two always carry the same data. The
 * HTML page is html_report()'s (html.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "emit.h"
#include "fmt.h"
#include "html.h"
#include "outfile.h"
#include "recfile.h"
#include "report.h"
#include "textw.h"
#include "util.h"

#define REPORT_JSON_VERSION 1
#define DEFAULT_TOP 10

struct out {
	FILE *f;
	const struct report *rep;
	const char *const *phase_names;	/* --phase; NULL: every phase */
	size_t n_phase_names;
	size_t top;			/* syscalls listed per phase; 0: all */
	struct emit *em;		/* JSON and CSV */
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
			textw_clip(n, sizeof(n), p->name, 14), fmt_wall(a, sizeof(a), p),
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

/* The views beside the guest's, and the VMs recorded with --vm; nothing without them. */
static void text_views(struct out *o)
{
	const struct report *rep = o->rep;
	struct textw_line w;
	char c[64];
	size_t i;

	if (rep->has_kvm || rep->has_domains || rep->has_vmm) {
		textw_start(&w, o->f, "views");
		textw_item(&w, "guest");
		if (rep->has_kvm)
			textw_item(&w, "host (KVM exits of the VMM's threads)");
		if (rep->has_domains)
			textw_item(&w, "host (libvirt domain stats)");
		if (rep->has_vmm)
			textw_item(&w, "vmm (the VMM process, merged)");
		textw_end(&w);
	}
	for (i = 0; i < rep->n_vms; i++) {
		const struct report_vm *vm = &rep->vms[i];

		textw_start(&w, o->f, "domain");
		if (vm->name)
			textw_item(&w, "%s", textw_clip(c, sizeof(c), vm->name, 60));
		else
			textw_item(&w, "VM %u", vm->vm);
		if (vm->hypervisor)
			textw_item(&w, "%s", textw_clip(c, sizeof(c), vm->hypervisor, 30));
		if (vm->domain_type)
			textw_item(&w, "type %s", textw_clip(c, sizeof(c), vm->domain_type, 30));
		if (vm->vcpus >= 0)
			textw_item(&w, "%lld vCPUs", (long long)vm->vcpus);
		if (vm->mem_bytes >= 0)
			textw_item(&w, "%.1f GiB", vm->mem_bytes / 1073741824.0);
		if (vm->state)
			textw_item(&w, "%s", textw_clip(c, sizeof(c), vm->state, 30));
		textw_end(&w);
	}
}

static void text_begin(struct out *o)
{
	const struct report *rep = o->rep;
	char a[64], b[64], c[128];
	struct textw_line w;

	fprintf(o->f, "hvtrace report of %s\n", textw_clip(c, sizeof(c), rep->path, 80));
	textw_kv(o->f, "label", "%s",
		 rep->label && *rep->label ? textw_clip(c, sizeof(c), rep->label, 78) : "-");
	textw_kv(o->f, "command", "%s",
		 rep->command ? textw_clip(c, sizeof(c), rep->command, 78) : "-");
	textw_start(&w, o->f, "machine");
	textw_item(&w, "%s", rep->hostname ? rep->hostname : "unknown host");
	if (rep->kernel)
		textw_item(&w, "%s", rep->kernel);
	if (rep->cpu_count >= 0)
		textw_item(&w, "%lld CPUs", (long long)rep->cpu_count);
	if (rep->cpu_model)
		textw_item(&w, "%s", textw_clip(c, sizeof(c), rep->cpu_model, 70));
	if (rep->mem_bytes >= 0)
		textw_item(&w, "%.1f GiB", rep->mem_bytes / 1073741824.0);
	textw_end(&w);
	textw_kv(o->f, "hypervisor", "%s",
		 rep->hypervisor && *rep->hypervisor ? rep->hypervisor : "unknown");
	text_views(o);
	textw_start(&w, o->f, "recorded");
	if (rep->start_real_ns > 0) {
		time_t t = rep->start_real_ns / 1000000000;
		struct tm tm;

		if (gmtime_r(&t, &tm) && strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S UTC", &tm))
			textw_item(&w, "%s", a);
	}
	if (rep->scope)
		textw_item(&w, "scope %s", rep->scope);
	if (rep->hvtrace_version)
		textw_item(&w, "hvtrace %s", rep->hvtrace_version);
	textw_item(&w, "%s",
		   rep->complete ? "complete" : "INCOMPLETE (the recorder did not end normally)");
	textw_end(&w);
	textw_start(&w, o->f, "wall");
	textw_item(&w, "%s%s", rep->total.wall_kind == REPORT_WALL_AT_LEAST ? "at least " : "",
		   rep->total.wall_kind == REPORT_WALL_UNKNOWN ?
			   "unknown" : fmt_ns(a, sizeof(a), rep->total.wall_ns));
	if (rep->exit_status >= 0)
		textw_item(&w, "exit status %lld", (long long)rep->exit_status);
	textw_end(&w);
	if (rep->rusage_user_ns >= 0 && rep->rusage_sys_ns >= 0)
		textw_kv(o->f, "CPU", "user %s, sys %s (whole workload tree, from wait4)",
			 fmt_ns(a, sizeof(a), rep->rusage_user_ns),
			 fmt_ns(b, sizeof(b), rep->rusage_sys_ns));
	textw_kv(o->f, "lost events", "%s%s", fmt_count(a, sizeof(a), rep->lost_events),
		 rep->lost_events ?
			 " (process events missing: counts of fork/exec/exit are low)" : "");
	if (rep->phases_merged > 0)
		textw_kv(o->f, "phases merged", "%lld (phases past %d share the last slot)",
			 (long long)rep->phases_merged, HVT_MAX_PHASES - 1);
	text_overview(o);
}

static void text_counter(struct textw_line *w, const struct report_counter *c)
{
	char a[32];
	int is_time = !strcmp(c->event, "task-clock") || !strcmp(c->event, "cpu-clock");

	if (!c->supported) {
		textw_item(w, "%s not supported", c->event);
	} else if (isnan(c->scaled)) {
		textw_item(w, "%s not counted", c->event);
	} else {
		if (is_time)
			fmt_ns(a, sizeof(a), c->scaled);
		else
			fmt_count(a, sizeof(a), (uint64_t)llround(c->scaled));
		if (c->running_ns == c->enabled_ns)
			textw_item(w, "%s %s", c->event, a);
		else
			textw_item(w, "%s %s (scaled, counted %.0f%% of the time)", c->event, a,
				   100.0 * report_ratio(c->running_ns, c->enabled_ns));
	}
}

#define LAT_COLS "    %-18s %12s %10s %7s %10s %10s %10s %10s\n"

static void text_lat_row(struct out *o, const char *name, const struct report_lat *l)
{
	char n[32], a[32], b[32], c[32], d[32], e[32], g[32], h[32];

	fprintf(o->f, LAT_COLS, textw_clip(n, sizeof(n), name, 18),
		fmt_count(a, sizeof(a), l->count), fmt_ns(b, sizeof(b), l->sum_ns),
		fmt_pct(c, sizeof(c), l->share), fmt_dur(d, sizeof(d), l->mean_ns),
		fmt_dur(e, sizeof(e), l->p50_ns), fmt_dur(g, sizeof(g), l->p99_ns),
		l->count ? fmt_ns(h, sizeof(h), l->max_ns) : "-");
}

static void text_syscalls(struct out *o, const struct report_phase *p, const char *what)
{
	char title[32];
	size_t i, top = top_count(o, p);

	if (!top)
		return;
	snprintf(title, sizeof(title), "%s%s", top < p->n_syscalls ? "top " : "", what);
	fprintf(o->f, LAT_COLS, title, "calls", "total", "share", "mean", "p50", "p99", "max");
	for (i = 0; i < top; i++)
		text_lat_row(o, p->syscalls[i].name, &p->syscalls[i]);
	if (top < p->n_syscalls)
		fprintf(o->f, "    (%zu more; --top 0 lists all)\n", p->n_syscalls - top);
}

static size_t list_top(const struct out *o, const struct report_list *l)
{
	return o->top && o->top < l->n ? o->top : l->n;
}

/* A kind the recording has in some phase: every phase shows it, with 0 where it has none. */
static int kvm_shown(const struct out *o, enum hvt_kvm_kind k)
{
	return o->rep->total.host->kvm[k].n > 0;
}

static void text_vmm(struct out *o, const struct report_phase *v)
{
	char a[64], b[64];
	struct textw_line w;

	textw_start(&w, o->f, "VMM process");
	textw_item(&w, "user %s", fmt_ns(a, sizeof(a), v->cpu_user_ns));
	textw_item(&w, "sys %s (threads that ended: %s)", fmt_ns(a, sizeof(a), v->cpu_sys_ns),
		   fmt_count(b, sizeof(b), v->cpu_threads));
	textw_item(&w, "on CPU %s", fmt_ns(a, sizeof(a), v->oncpu_ns));
	textw_item(&w, "%s processes started", fmt_count(a, sizeof(a), v->procs_started));
	textw_item(&w, "%s page faults", fmt_count(a, sizeof(a), v->faults));
	textw_item(&w, "%s voluntary and %s involuntary switches",
		   fmt_count(a, sizeof(a), v->ctx_voluntary),
		   fmt_count(b, sizeof(b), v->ctx_involuntary));
	textw_end(&w);
	textw_start(&w, o->f, "VMM run-queue");
	textw_item(&w, "%s waits", fmt_count(a, sizeof(a), v->runq.count));
	textw_item(&w, "%s total", fmt_ns(a, sizeof(a), v->runq.sum_ns));
	textw_item(&w, "mean %s", fmt_dur(a, sizeof(a), v->runq.mean_ns));
	textw_item(&w, "p99 %s", fmt_dur(a, sizeof(a), v->runq.p99_ns));
	textw_item(&w, "max %s", v->runq.count ? fmt_ns(a, sizeof(a), v->runq.max_ns) : "-");
	textw_end(&w);
	textw_kv(o->f, "VMM syscalls", "%s calls, %s total, %zu distinct",
		 fmt_count(a, sizeof(a), v->syscall_count), fmt_ns(b, sizeof(b), v->syscall_ns),
		 v->n_syscalls);
	text_syscalls(o, v, "VMM syscalls");
}

/* A timed kind: its line, then its top items and the rest as "other". */
static void text_kvm_timed(struct out *o, enum hvt_kvm_kind k, const struct report_list *l)
{
	const struct report_kvm_kind *kk = &report_kvm_kinds[k];
	char a[32], b[32], name[32];
	struct report_lat rest;
	size_t i, top = list_top(o, l);

	textw_kv(o->f, kk->label, "%s %s, %s total, %zu distinct",
		 fmt_count(a, sizeof(a), l->count), kk->noun, fmt_ns(b, sizeof(b), l->sum_ns),
		 l->n);
	if (!l->n)
		return;
	fprintf(o->f, LAT_COLS, kk->item, "count", "total", "share", "mean", "p50", "p99", "max");
	for (i = 0; i < top; i++)
		text_lat_row(o, l->items[i].name, &l->items[i]);
	if (top < l->n) {
		report_list_rest(l, top, &rest);
		snprintf(name, sizeof(name), "other (%lld)", (long long)rest.key);
		text_lat_row(o, name, &rest);
	}
}

/* A kind of counts: one line, its top items and the rest as "other". */
static void text_kvm_counts(struct out *o, enum hvt_kvm_kind k, const struct report_list *l)
{
	struct report_lat rest;
	struct textw_line w;
	size_t i, top = list_top(o, l);
	char a[32];

	textw_start(&w, o->f, report_kvm_kinds[k].label);
	textw_item(&w, "%s %s", fmt_count(a, sizeof(a), l->count), report_kvm_kinds[k].noun);
	for (i = 0; i < top; i++)
		textw_item(&w, "%s %s", l->items[i].name,
			   fmt_count(a, sizeof(a), l->items[i].count));
	if (top < l->n) {
		report_list_rest(l, top, &rest);
		textw_item(&w, "other (%lld) %s", (long long)rest.key,
			   fmt_count(a, sizeof(a), rest.count));
	}
	textw_end(&w);
}

static void text_vcpus(struct out *o, const struct report_host *h)
{
	char id[16], a[32], b[32], c[32], d[32], e[32], g[32];
	size_t i;

	fprintf(o->f, "    %-18s %12s %10s %12s %10s %12s %10s\n", "vCPU", "exits", "exit time",
		"returns", "in KVM_RUN", "VMM trips", "in VMM");
	for (i = 0; i < h->n_vcpus; i++) {
		const struct report_vcpu *v = &h->vcpus[i];

		if (v->vcpu == HVT_VCPU_UNKNOWN)
			snprintf(id, sizeof(id), "unknown");
		else
			snprintf(id, sizeof(id), "%u", v->vcpu);
		fprintf(o->f, "    %-18s %12s %10s %12s %10s %12s %10s\n", id,
			fmt_count(a, sizeof(a), v->lat[REPORT_VCPU_EXIT].count),
			fmt_ns(b, sizeof(b), v->lat[REPORT_VCPU_EXIT].sum_ns),
			fmt_count(c, sizeof(c), v->lat[REPORT_VCPU_UEXIT].count),
			fmt_ns(d, sizeof(d), v->lat[REPORT_VCPU_UEXIT].sum_ns),
			fmt_count(e, sizeof(e), v->lat[REPORT_VCPU_VMM].count),
			fmt_ns(g, sizeof(g), v->lat[REPORT_VCPU_VMM].sum_ns));
	}
}

static void text_kvm(struct out *o, const struct report_host *h)
{
	char a[32];
	int i;

	for (i = 0; i < HVT_KVM_KINDS; i++) {
		enum hvt_kvm_kind k = report_kvm_order[i];

		if (!kvm_shown(o, k))
			continue;
		if (report_kvm_kinds[k].timed)
			text_kvm_timed(o, k, &h->kvm[k]);
		else
			text_kvm_counts(o, k, &h->kvm[k]);
	}
	if (o->rep->total.host->n_vcpus) {
		textw_kv(o->f, "per vCPU", "%zu %s", h->n_vcpus,
			 h->n_vcpus == 1 ? "vCPU" : "vCPUs");
		if (h->n_vcpus)
			text_vcpus(o, h);
	}
	if (o->rep->total.host->lost)
		textw_kv(o->f, "KVM lost", "%s updates%s", fmt_count(a, sizeof(a), h->lost),
			 h->lost ? " (the kernel's table of host aggregates was full: counts are "
				   "low)" : "");
}

/* A domain stat as the text names it: "cpu.time", "vcpu0 time", "vda rd.reqs". */
static const char *vmstat_label(char *buf, size_t len, const struct report_vmstat *v)
{
	const char *dot = strchr(v->stat, '.');

	if (!strcmp(v->device, "total") || !dot)
		return v->stat;
	snprintf(buf, len, "%s %s", v->device, dot + 1);
	return buf;
}

static const char *vmstat_value(char *buf, size_t len, const struct report_vmstat *v)
{
	return v->unit == REPORT_UNIT_NS ? fmt_ns(buf, len, v->value) :
					   fmt_count(buf, len, v->value);
}

/* "domain NAME" (clipped to leave a space in the label column), or "domain VM N". */
static const char *vm_label(char *buf, size_t len, const struct report_vm *vm)
{
	static const char prefix[] = "domain ";
	char n[64];

	if (vm->name)
		snprintf(buf, len, "%s%s", prefix,
			 textw_clip(n, sizeof(n), vm->name, TEXTW_KV_WIDTH - 3 - strlen(prefix)));
	else
		snprintf(buf, len, "%sVM %u", prefix, vm->vm);
	return buf;
}

static void text_domains(struct out *o, const struct report_host *h)
{
	char label[64], a[32], c[64];
	struct textw_line w;
	size_t i, k;

	for (i = 0; i < o->rep->n_vms; i++) {
		const struct report_vm *vm = &o->rep->vms[i];
		int any = 0;

		textw_start(&w, o->f, vm_label(c, sizeof(c), vm));
		for (k = 0; k < h->n_vmstats; k++) {
			const struct report_vmstat *v = &h->vmstats[k];

			if (v->vm != vm->vm)
				continue;
			textw_item(&w, "%s %s", vmstat_label(label, sizeof(label), v),
				   vmstat_value(a, sizeof(a), v));
			any = 1;
		}
		if (!any)
			textw_item(&w, "none");
		textw_end(&w);
	}
}

static void text_phase(struct out *o, const struct report_phase *p)
{
	char a[64], b[64], c[64];
	struct textw_line w;
	size_t i;
	int k;

	if (p->id >= 0)
		fprintf(o->f, "\nPhase %d: %s (%s, pid %d, %s%s)\n", p->id,
			textw_clip(c, sizeof(c), p->name, 50), p->source, p->pid,
			fmt_wait(a, sizeof(a), p->exit_status), p->finished ? "" : ", unfinished");
	else
		fprintf(o->f, "\nRun total (%zu phases)\n", o->rep->n_phases);

	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		textw_kv(o->f, "wall", "unknown (unfinished: the recording ended first)");
	else if (p->wall_kind == REPORT_WALL_AT_LEAST)
		textw_kv(o->f, "wall", "at least %s (unfinished: the recording ended first)",
			 fmt_ns(a, sizeof(a), p->wall_ns));
	else if (p->id < 0)
		textw_kv(o->f, "wall", "%s", fmt_ns(a, sizeof(a), p->wall_ns));
	else
		textw_kv(o->f, "wall", "%s, %s of the run", fmt_ns(a, sizeof(a), p->wall_ns),
			 fmt_pct(b, sizeof(b), p->share_of_run));

	textw_start(&w, o->f, "CPU");
	textw_item(&w, "user %s", fmt_ns(a, sizeof(a), p->cpu_user_ns));
	textw_item(&w, "sys %s (threads that ended: %s)", fmt_ns(a, sizeof(a), p->cpu_sys_ns),
		   fmt_count(b, sizeof(b), p->cpu_threads));
	textw_item(&w, "on CPU %s", fmt_ns(a, sizeof(a), p->oncpu_ns));
	textw_end(&w);

	textw_start(&w, o->f, "processes");
	textw_item(&w, "%s started (fork %s", fmt_count(a, sizeof(a), p->procs_started),
		   fmt_count(b, sizeof(b), p->proc[HVT_PROC_FORK]));
	textw_item(&w, "vfork %s", fmt_count(a, sizeof(a), p->proc[HVT_PROC_VFORK]));
	textw_item(&w, "clone %s)", fmt_count(a, sizeof(a), p->proc[HVT_PROC_CLONE]));
	textw_item(&w, "%s exec", fmt_count(a, sizeof(a), p->proc[HVT_PROC_EXEC]));
	textw_item(&w, "%s exit", fmt_count(a, sizeof(a), p->proc[HVT_PROC_EXIT]));
	textw_item(&w, "%s threads", fmt_count(a, sizeof(a), p->proc[HVT_PROC_THREAD]));
	textw_end(&w);

	textw_start(&w, o->f, "page faults");
	textw_item(&w, "%s total", fmt_count(a, sizeof(a), p->faults));
	for (k = 0; k < HVT_FAULT_KINDS; k++)
		textw_item(&w, "%s %s", report_fault_names[k],
			   fmt_count(a, sizeof(a), p->fault[k]));
	textw_end(&w);

	textw_kv(o->f, "context switches", "%s voluntary, %s involuntary",
		 fmt_count(a, sizeof(a), p->ctx_voluntary),
		 fmt_count(b, sizeof(b), p->ctx_involuntary));

	textw_start(&w, o->f, "run-queue delay");
	textw_item(&w, "%s waits", fmt_count(a, sizeof(a), p->runq.count));
	textw_item(&w, "%s total", fmt_ns(a, sizeof(a), p->runq.sum_ns));
	textw_item(&w, "mean %s", fmt_dur(a, sizeof(a), p->runq.mean_ns));
	textw_item(&w, "p50 %s", fmt_dur(a, sizeof(a), p->runq.p50_ns));
	textw_item(&w, "p99 %s", fmt_dur(a, sizeof(a), p->runq.p99_ns));
	textw_item(&w, "max %s", p->runq.count ? fmt_ns(a, sizeof(a), p->runq.max_ns) : "-");
	textw_end(&w);

	textw_kv(o->f, "steal", "%s, %s of wall", fmt_ns(a, sizeof(a), p->steal_ns),
		 fmt_pct(b, sizeof(b), p->steal_share));
	textw_kv(o->f, "lost events", "%s", fmt_count(a, sizeof(a), p->lost));

	if (p->n_counters) {
		textw_start(&w, o->f, "perf counters");
		for (i = 0; i < p->n_counters; i++)
			text_counter(&w, &p->counters[i]);
		textw_end(&w);
	}

	textw_kv(o->f, "syscalls", "%s calls, %s total, %zu distinct",
		 fmt_count(a, sizeof(a), p->syscall_count), fmt_ns(b, sizeof(b), p->syscall_ns),
		 p->n_syscalls);
	text_syscalls(o, p, "syscalls");
	if (p->host && o->rep->has_kvm)
		text_kvm(o, p->host);
	if (p->vmm)
		text_vmm(o, p->vmm);
	if (p->host && o->rep->has_domains)
		text_domains(o, p->host);
}

static const struct printer text_printer = { text_begin, text_phase, NULL };

/*
 * ---- JSON and CSV ------------------------------------------------------------
 * The fields are described once (emit_run, emit_phase_body); emit.c prints
 * them in either format, and docs/report-json.md documents the result.
 */

/* The VMs recorded with --vm (only in recordings that have them). */
static void emit_vms(struct emit *e, const struct report *rep)
{
	char id[16];
	size_t i;

	emit_arr_begin(e, "domains");
	for (i = 0; i < rep->n_vms; i++) {
		const struct report_vm *vm = &rep->vms[i];

		snprintf(id, sizeof(id), "%u", vm->vm);
		emit_item_begin(e, NULL, id);
		emit_u64(e, "vm", vm->vm);
		emit_str(e, "name", vm->name);
		emit_str(e, "hypervisor", vm->hypervisor);
		emit_str(e, "domain_type", vm->domain_type);
		emit_i64_or_null(e, "vcpus", vm->vcpus, -1);
		emit_i64_or_null(e, "mem_bytes", vm->mem_bytes, -1);
		emit_str(e, "state", vm->state);
		emit_item_end(e);
	}
	emit_arr_end(e);
}

static void emit_run(struct emit *e, const struct report *rep)
{
	emit_obj_begin(e, "run");
	emit_str(e, "file", rep->path);
	emit_str(e, "label", rep->label);
	emit_str(e, "command", rep->command);
	emit_str(e, "hostname", rep->hostname);
	emit_str(e, "kernel", rep->kernel);
	emit_str(e, "cpu_model", rep->cpu_model);
	emit_i64_or_null(e, "cpu_count", rep->cpu_count, -1);
	emit_i64_or_null(e, "mem_bytes", rep->mem_bytes, -1);
	emit_str(e, "hypervisor", rep->hypervisor);
	emit_str(e, "scope", rep->scope);
	emit_str(e, "hvtrace_version", rep->hvtrace_version);
	emit_bool(e, "complete", rep->complete);
	emit_i64_or_null(e, "start_real_ns", rep->start_real_ns, 0);
	emit_i64_or_null(e, "exit_status", rep->exit_status, -1);
	emit_i64_or_null(e, "rusage_user_ns", rep->rusage_user_ns, -1);
	emit_i64_or_null(e, "rusage_sys_ns", rep->rusage_sys_ns, -1);
	emit_u64(e, "lost_events", rep->lost_events);
	emit_i64(e, "phases_merged", rep->phases_merged);
	if (rep->n_vms)
		emit_vms(e, rep);
	emit_obj_end(e);
}

static void emit_lat_fields(struct emit *e, const struct report_lat *l)
{
	emit_u64(e, "count", l->count);
	emit_u64(e, "total_ns", l->sum_ns);
	emit_dbl(e, "mean_ns", l->mean_ns);
	emit_dbl(e, "p50_ns", l->p50_ns);
	emit_dbl(e, "p99_ns", l->p99_ns);
	if (l->count)
		emit_u64(e, "max_ns", l->max_ns);
	else
		emit_null(e, "max_ns");
}

/* The figures of the guest view's kinds: a phase's, or the VMM process's (vmm view). */
static void emit_figures(struct emit *e, const struct report_phase *p)
{
	char key[32];
	int k;

	emit_obj_begin(e, "cpu");
	emit_u64(e, "user_ns", p->cpu_user_ns);
	emit_u64(e, "sys_ns", p->cpu_sys_ns);
	emit_u64(e, "threads_ended", p->cpu_threads);
	emit_u64(e, "oncpu_ns", p->oncpu_ns);
	emit_obj_end(e);

	emit_obj_begin(e, "processes");
	emit_u64(e, "started", p->procs_started);
	for (k = 0; k < HVT_PROC_KINDS; k++)
		emit_u64(e, report_proc_names[k], p->proc[k]);
	emit_obj_end(e);

	emit_obj_begin(e, "page_faults");
	emit_u64(e, "total", p->faults);
	for (k = 0; k < HVT_FAULT_KINDS; k++) {
		char *c;

		snprintf(key, sizeof(key), "%s", report_fault_names[k]);
		for (c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		emit_u64(e, key, p->fault[k]);
	}
	emit_obj_end(e);

	emit_obj_begin(e, "context_switches");
	emit_u64(e, "voluntary", p->ctx_voluntary);
	emit_u64(e, "involuntary", p->ctx_involuntary);
	emit_obj_end(e);

	emit_obj_begin(e, "run_queue");
	emit_lat_fields(e, &p->runq);
	emit_obj_end(e);

	emit_obj_begin(e, "steal");
	emit_u64(e, "ns", p->steal_ns);
	emit_dbl(e, "share_of_wall", p->steal_share);
	emit_obj_end(e);

	emit_u64(e, "lost_events", p->lost);

}

static void emit_syscalls(struct emit *e, const struct out *o, const struct report_phase *p)
{
	size_t i, top = top_count(o, p);

	emit_obj_begin(e, "syscalls");
	emit_u64(e, "count", p->syscall_count);
	emit_u64(e, "total_ns", p->syscall_ns);
	emit_u64(e, "distinct", p->n_syscalls);
	emit_arr_begin(e, "top");
	for (i = 0; i < top; i++) {
		const struct report_lat *l = &p->syscalls[i];

		emit_item_begin(e, "name", l->name);
		emit_i64(e, "nr", l->key);
		emit_lat_fields(e, l);
		emit_dbl(e, "share", l->share);
		emit_item_end(e);
	}
	emit_arr_end(e);
	emit_obj_end(e);
}

/* A latency's fields, and in a list its share (of the list's time, or count if untimed). */
static void emit_list_item(struct emit *e, const struct report_lat *l, int timed)
{
	if (timed)
		emit_lat_fields(e, l);
	else
		emit_u64(e, "count", l->count);
	emit_dbl(e, "share", l->share);
}

/* One host-view kind: its sums, the --top items and the rest as "other". */
static void emit_kvm_list(struct emit *e, const struct out *o, const char *name,
			  const struct report_list *l)
{
	struct report_lat rest;
	size_t i, top = list_top(o, l);

	emit_obj_begin(e, name);
	emit_u64(e, "count", l->count);
	if (l->timed)
		emit_u64(e, "total_ns", l->sum_ns);
	emit_u64(e, "distinct", l->n);
	emit_arr_begin(e, "top");
	for (i = 0; i < top; i++) {
		emit_item_begin(e, "name", l->items[i].name);
		emit_i64(e, "key", l->items[i].key);
		emit_list_item(e, &l->items[i], l->timed);
		emit_item_end(e);
	}
	emit_arr_end(e);
	report_list_rest(l, top, &rest);
	emit_obj_begin(e, "other");
	emit_u64(e, "distinct", (uint64_t)rest.key);
	emit_list_item(e, &rest, l->timed);
	emit_obj_end(e);
	emit_obj_end(e);
}

static void emit_kvm(struct emit *e, const struct out *o, const struct report_host *h)
{
	char id[16];
	size_t i;
	int k;

	emit_obj_begin(e, "kvm");
	for (k = 0; k < HVT_KVM_KINDS; k++) {
		enum hvt_kvm_kind kind = report_kvm_order[k];

		emit_kvm_list(e, o, report_kvm_kinds[kind].json, &h->kvm[kind]);
	}
	emit_arr_begin(e, "vcpus");
	for (i = 0; i < h->n_vcpus; i++) {
		const struct report_vcpu *v = &h->vcpus[i];

		if (v->vcpu == HVT_VCPU_UNKNOWN)
			snprintf(id, sizeof(id), "unknown");
		else
			snprintf(id, sizeof(id), "%u", v->vcpu);
		emit_item_begin(e, NULL, id);
		emit_i64_or_null(e, "vcpu", v->vcpu, HVT_VCPU_UNKNOWN);
		for (k = 0; k < REPORT_VCPU_KINDS; k++) {
			emit_obj_begin(e, report_kvm_kinds[report_vcpu_kinds[k]].json);
			emit_lat_fields(e, &v->lat[k]);
			emit_obj_end(e);
		}
		emit_item_end(e);
	}
	emit_arr_end(e);
	emit_u64(e, "lost", h->lost);
	emit_obj_end(e);
}

static const char *const unit_names[] = {
	[REPORT_UNIT_COUNT] = "count", [REPORT_UNIT_BYTES] = "bytes", [REPORT_UNIT_NS] = "ns",
};

static void emit_domain_stats(struct emit *e, const struct report *rep,
			      const struct report_host *h)
{
	char item[160];
	size_t i;

	emit_arr_begin(e, "domain_stats");
	for (i = 0; i < h->n_vmstats; i++) {
		const struct report_vmstat *v = &h->vmstats[i];
		const struct report_vm *vm = report_vm_find(rep, v->vm);

		snprintf(item, sizeof(item), "%u/%s/%s", v->vm, v->device, v->stat);
		emit_item_begin(e, NULL, item);
		emit_u64(e, "vm", v->vm);
		emit_str(e, "domain", vm ? vm->name : NULL);
		emit_str(e, "stat", v->stat);
		emit_str(e, "device", v->device);
		emit_u64(e, "index", v->index);
		emit_str(e, "unit", unit_names[v->unit]);
		emit_u64(e, "value", v->value);
		emit_item_end(e);
	}
	emit_arr_end(e);
}

static void emit_phase_body(struct emit *e, const struct out *o, const struct report_phase *p)
{
	size_t i;

	emit_i64_or_null(e, "id", p->id, -1);
	emit_str(e, "name", p->name);
	emit_str(e, "source", p->id >= 0 ? p->source : NULL);
	emit_i64_or_null(e, "pid", p->pid, 0);
	emit_i64_or_null(e, "exit_status", p->exit_status, -1);
	emit_bool(e, "finished", p->finished);
	emit_i64_or_null(e, "start_mono_ns", p->start_mono, 0);
	emit_i64_or_null(e, "end_mono_ns", p->end_mono, 0);
	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		emit_null(e, "wall_ns");
	else
		emit_u64(e, "wall_ns", p->wall_ns);
	emit_str(e, "wall", fmt_wall_kind(p->wall_kind));
	emit_dbl(e, "share_of_run", p->share_of_run);

	emit_figures(e, p);
	emit_arr_begin(e, "perf_counters");
	for (i = 0; i < p->n_counters; i++) {
		const struct report_counter *c = &p->counters[i];

		emit_item_begin(e, "event", c->event);
		emit_bool(e, "supported", c->supported);
		emit_u64(e, "value", c->value);
		emit_u64(e, "enabled_ns", c->enabled_ns);
		emit_u64(e, "running_ns", c->running_ns);
		emit_dbl(e, "scaled", c->scaled);
		emit_item_end(e);
	}
	emit_arr_end(e);

	emit_syscalls(e, o, p);
	if (p->host && o->rep->has_kvm)
		emit_kvm(e, o, p->host);
	if (p->vmm) {
		emit_obj_begin(e, "vmm");
		emit_figures(e, p->vmm);
		emit_syscalls(e, o, p->vmm);
		emit_obj_end(e);
	}
	if (p->host && o->rep->has_domains)
		emit_domain_stats(e, o->rep, p->host);
}

static void emit_begin(struct out *o)
{
	emit_doc_begin(o->em, "hvtrace-report", REPORT_JSON_VERSION);
	emit_run(o->em, o->rep);
	emit_records_begin(o->em, "phases");
}

/* CSV rows start with phase_id ("total" for the totals) and phase. */
static void emit_phase(struct out *o, const struct report_phase *p)
{
	char id[16] = "total";
	const char *lead[] = {id, p->name};

	if (p->id >= 0)
		snprintf(id, sizeof(id), "%d", p->id);
	else
		emit_records_end(o->em);
	emit_record_begin(o->em, p->id >= 0 ? NULL : "total", lead);
	emit_phase_body(o->em, o, p);
	emit_record_end(o->em);
}

static void emit_end(struct out *o)
{
	emit_doc_end(o->em);
}

static const struct printer emit_printer = {emit_begin, emit_phase, emit_end};

static const char *const csv_lead[] = {"phase_id", "phase"};

/* The stable formats of docs/report-json.md and of the CSV's values. */
static const struct emit_conf json_conf = {.format = EMIT_JSON};
static const struct emit_conf csv_conf = {
    .format = EMIT_CSV,
    .lead = csv_lead,
    .n_lead = ARRAY_SIZE(csv_lead),
    .own_section = "phase",
    .csv_digits = 10,
};

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace report FILE [--json|--csv|--html] [-o OUT] [--phase NAME]...\n"
		"                      [--top N]\n"
		"\n"
		"Explains a recording phase by phase: wall time, CPU user/sys, processes\n"
		"started, syscalls (the top ones by total time with count, mean, p50, p99),\n"
		"page faults by kind, context switches, run-queue delay, on-CPU time, steal,\n"
		"perf counters and lost events; then the run's totals. Where the recording\n"
		"has them, also its host view (VM exits, KVM_RUN returns and the VMM's round\n"
		"trips by reason, halts, port I/O, MMIO, MSRs, KVM page faults, per vCPU;\n"
		"libvirt's domain stats) and vmm view (the VMM process's own figures).\n"
		"\n"
		"Options:\n"
		"  --json          JSON (stable, documented in docs/report-json.md)\n"
		"  --csv           CSV, one value per row:\n"
		"                  phase_id,phase,section,item,metric,value\n"
		"  --html          one self-contained HTML page: the tables of the text and a\n"
		"                  bar per phase showing where its time went, by category\n"
		"  -o, --output OUT  write to OUT (replaced only once complete), not stdout\n"
		"  --phase NAME    only the phases named NAME (repeatable); totals stay the run's\n"
		"  --top N         syscalls, and items of each host-view list, per phase\n"
		"                  (default %d; 0 lists all; the rest of a list as \"other\")\n"
		"  -h, --help      this text\n"
		"\n"
		"p50 and p99 are estimated from log2 histograms by interpolating inside the\n"
		"bucket, so they are within a factor of two of the truth (and never above max).\n"
		"\n"
		"Examples:\n"
		"  hvtrace report native.hvt\n"
		"  hvtrace report kvm.hvt --phase make --top 20\n"
		"  hvtrace report kvm.hvt --json | jq '.phases[] | {name, wall_ns}'\n"
		"  hvtrace report both.hvt --json | jq '.total.kvm.exits.top[] | {name, count}'\n"
		"  hvtrace report kvm.hvt --csv > kvm.csv\n"
		"  hvtrace report kvm.hvt --html -o kvm.html\n",
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

/* --json, --csv, --html: one at most. 0, or a usage error naming the two given. */
static int set_format(const char **format, const char *name)
{
	if (*format && strcmp(*format, name))
		return hvt_usage_err("report", "--%s and --%s exclude each other", *format, name);
	*format = name;
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "html", no_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "phase", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const struct printer *pr = &text_printer;
	struct out o = { .top = DEFAULT_TOP };
	struct outfile out = { 0 };
	struct recording *rec = NULL;
	struct report *rep = NULL;
	const char **names = NULL, *format = NULL, *output = NULL;
	int opt, werr, ret = HVT_EXIT_FAIL;
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
	while ((opt = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
		case 'c':
		case 'H':
			ret = set_format(&format, opt == 'j' ? "json" :
						  opt == 'c' ? "csv" : "html");
			if (ret)
				goto out_free;
			ret = HVT_EXIT_FAIL;
			break;
		case 'o':
			output = optarg;
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
	werr = outfile_open(&out, output);
	if (werr) {
		hvt_err("cannot create '%s': %s", output, strerror(-werr));
		goto out_free;
	}
	o.f = out.f;
	if (format && !strcmp(format, "html")) {
		struct html_filter flt = { o.phase_names, o.n_phase_names, o.top };

		werr = html_report(o.f, rec, rep, &flt);
	} else {
		if (format) {
			o.em = emit_new(o.f, !strcmp(format, "json") ? &json_conf : &csv_conf);
			if (!o.em) {
				outfile_close(&out, -ENOMEM);
				hvt_err("out of memory");
				goto out_free;
			}
			pr = &emit_printer;
		}
		walk(&o, pr);
		emit_free(o.em);
	}
	werr = outfile_close(&out, werr);
	if (werr) {
		hvt_err("cannot write the report%s%s: %s", output ? " to " : "",
			output ? output : "", strerror(-werr));
		goto out_free;
	}
	ret = HVT_EXIT_OK;

out_free:
	report_free(rep);
	recording_free(rec);
	free(names);
	return ret;
}
