// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The HTML report of one recording: what the text report says (run facts, the
 * phase table, each phase's details) and a stacked bar per phase showing where
 * its wall time went. The bars' segments are the "explained" categories of
 * the recording's diff against itself: the times docs/attribution.md adds up
 * without counting any twice (a wait4 holds its children's time, CPU sys time
 * holds the syscalls), with the calibrated costs of faults and process
 * creation that the report model alone does not have.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "fmt.h"
#include "html.h"
#include "report.h"
#include "util.h"

#define TOP_SYSCALLS 5		/* syscalls with a color of their own */

enum {
	S_CPU,
	S_SYS,			/* TOP_SYSCALLS of them */
	S_SYS_OTHER = S_SYS + TOP_SYSCALLS,
	S_FAULT,
	S_PROC,
	S_RUNQ,
	S_OTHER,
	S_REST,
	N_SERIES,
};

static const char *const sys_colors[TOP_SYSCALLS] = {
	"#4e79a7", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
};

struct chart {
	struct html_series series[N_SERIES];
	char sys_label[TOP_SYSCALLS][64];
	const char *sys_desc[TOP_SYSCALLS];
	size_t n_sys;
	const struct diff_phase **phases;	/* the bars */
	size_t n;
	double (*parts)[N_SERIES];
	int over;			/* a bar's categories pass its wall */
	char no_cost[160];		/* categories without a unit cost */
};

static int selected(const struct html_filter *flt, const char *name)
{
	size_t i;

	if (!flt->phases)
		return 1;
	for (i = 0; i < flt->n_phases; i++)
		if (!strcmp(flt->phases[i], name))
			return 1;
	return 0;
}

static int by_time_a(const void *x, const void *y)
{
	const struct diff_cat *a = *(const struct diff_cat *const *)x;
	const struct diff_cat *b = *(const struct diff_cat *const *)y;

	if (a->time_a.mean != b->time_a.mean)
		return a->time_a.mean > b->time_a.mean ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The syscalls that take the most time over the run get a color each. */
static int pick_syscalls(struct chart *c, const struct diff_decomp *total)
{
	const struct diff_cat **cats;
	size_t i, n = 0;

	cats = calloc(total->n_cats + 1, sizeof(*cats));
	if (!cats)
		return -ENOMEM;
	for (i = 0; i < total->n_cats; i++)
		if (total->cats[i].cls == DIFF_EXPLAINED &&
		    !strcmp(total->cats[i].group, "syscall") && total->cats[i].time_a.mean > 0)
			cats[n++] = &total->cats[i];
	qsort(cats, n, sizeof(*cats), by_time_a);
	for (i = 0; i < n && c->n_sys < TOP_SYSCALLS; i++) {
		const struct diff_cat *k = cats[i];

		fmt_diff_cat(c->sys_label[c->n_sys], sizeof(c->sys_label[0]), k);
		if (k->method == DIFF_TRACED_SPLIT)
			c->sys_desc[c->n_sys] = "the calls under 1 ms (longer ones wait on others)";
		c->n_sys++;
	}
	free(cats);
	return 0;
}

static int series_of(const struct chart *c, const struct diff_cat *k)
{
	char label[64];
	size_t i;

	if (!strcmp(k->group, "cpu"))
		return S_CPU;
	if (!strcmp(k->group, "syscall")) {
		fmt_diff_cat(label, sizeof(label), k);
		for (i = 0; i < c->n_sys; i++)
			if (!strcmp(c->sys_label[i], label))
				return S_SYS + (int)i;
		return S_SYS_OTHER;
	}
	if (!strcmp(k->group, "fault"))
		return S_FAULT;
	if (!strcmp(k->group, "process"))
		return S_PROC;
	if (!strcmp(k->group, "sched"))
		return S_RUNQ;
	return S_OTHER;
}

static void add_no_cost(struct chart *c, const char *what)
{
	size_t o = strlen(c->no_cost);

	if (strstr(c->no_cost, what))
		return;
	snprintf(c->no_cost + o, sizeof(c->no_cost) - o, "%s%s", o ? ", " : "", what);
}

static void fill_bar(struct chart *c, size_t b, const struct diff_phase *p)
{
	const struct diff_decomp *dc = &p->guest;
	double sum = 0;
	size_t i;

	for (i = 0; i < dc->n_cats; i++) {
		const struct diff_cat *k = &dc->cats[i];

		if (k->cls == DIFF_NO_COST)
			add_no_cost(c, !strcmp(k->group, "fault") ? "page faults" :
				    !strcmp(k->group, "process") ? "process creation" :
				    "the syscalls' user/kernel round trip");
		if (k->cls != DIFF_EXPLAINED || !(k->time_a.mean > 0))
			continue;
		c->parts[b][series_of(c, k)] += k->time_a.mean;
		sum += k->time_a.mean;
	}
	if (isfinite(p->wall_a.mean) && p->wall_a.mean > sum)
		c->parts[b][S_REST] = p->wall_a.mean - sum;
	else if (isfinite(p->wall_a.mean))
		c->over = 1;
}

static void name_series(struct chart *c)
{
	static const struct html_series fixed[N_SERIES] = {
		[S_CPU] = { "CPU user", "#59a14f",
			    "user-mode CPU time of the threads that ended in the phase" },
		[S_SYS_OTHER] = { "other syscalls", "#a0cbe8",
				  "the other syscalls that work rather than wait" },
		[S_FAULT] = { "page faults", "#f28e2b",
			      "user-mode page faults x the calibrated cost of one" },
		[S_PROC] = { "process creation", "#b07aa1",
			     "processes started x the calibrated cost of fork+exit" },
		[S_RUNQ] = { "run-queue delay", "#e15759", "runnable, waiting for a CPU (traced)" },
		[S_OTHER] = { "other", "#d4a6c8", "the other categories that add up" },
		[S_REST] = { "unexplained", "", "wall time no category holds: waiting for "
			     "children, the disk or the network, the tracer's own cost", 1 },
	};
	size_t i;

	memcpy(c->series, fixed, sizeof(fixed));
	for (i = 0; i < TOP_SYSCALLS; i++) {
		c->series[S_SYS + i].name = c->sys_label[i];
		c->series[S_SYS + i].color = sys_colors[i];
		c->series[S_SYS + i].desc = c->sys_desc[i];
	}
}

/* The chart's series that some bar has, in order, and their parts to match. */
static void print_chart(struct html *h, struct chart *c)
{
	struct html_series used[N_SERIES];
	struct html_bar *bars;
	double (*parts)[N_SERIES];
	char (*values)[48];
	size_t b, k, n = 0;
	int map[N_SERIES];

	bars = calloc(c->n, sizeof(*bars));
	parts = calloc(c->n, sizeof(*parts));
	values = calloc(c->n, sizeof(*values));
	if (!bars || !parts || !values)
		goto out_free;
	for (k = 0; k < N_SERIES; k++) {
		map[k] = -1;
		for (b = 0; b < c->n; b++)
			if (c->parts[b][k] > 0)
				break;
		if (b < c->n) {
			map[k] = (int)n;
			used[n++] = c->series[k];
		}
	}
	for (b = 0; b < c->n; b++) {
		const struct diff_phase *p = c->phases[b];
		char t[32];

		for (k = 0; k < N_SERIES; k++)
			if (map[k] >= 0)
				parts[b][map[k]] = c->parts[b][k];
		snprintf(values[b], sizeof(values[b]), "%s%s",
			 p->wall_kind == REPORT_WALL_AT_LEAST ? ">= " : "",
			 fmt_dur_narrow(t, sizeof(t), p->wall_a.mean));
		bars[b].label = b + 1 == c->n ? "whole run" : p->name;
		bars[b].mark_ns = p->wall_a.mean;
		bars[b].value = values[b];
		bars[b].parts = parts[b];
	}
	html_stacked_bars(h, used, n, bars, c->n);
	html_legend(h, used, n);
	html_note(h, "Each bar is a phase's wall time (the black tick), split into the categories "
		  "that add up without counting any time twice (the \"explained\" categories of "
		  "hvtrace diff, docs/attribution.md). A syscall's time is its traced latency, plus "
		  "each call's calibrated user/kernel round trip where the recording has that "
		  "cost.%s%s%s",
		  c->over ? " Where the categories pass the tick they hold time from elsewhere: "
			    "work that ran in parallel on several CPUs, or CPU time of processes "
			    "that ended in the phase but ran before it." : "",
		  *c->no_cost ? " Not estimated, for want of a calibrated unit cost in this "
				"recording: " : "", c->no_cost);
out_free:
	free(bars);
	free(parts);
	free(values);
}

static int where_the_time_went(struct html *h, const struct recording *rec,
			       const struct html_filter *flt)
{
	struct chart c = { 0 };
	struct diff *d;
	size_t i;
	int err = -ENOMEM;

	d = diff_build(&rec, 1, &rec, 1);
	if (!d)
		return -errno;
	c.phases = calloc(d->n_phases + 1, sizeof(*c.phases));
	c.parts = calloc(d->n_phases + 1, sizeof(*c.parts));
	if (!c.phases || !c.parts)
		goto out_free;
	err = pick_syscalls(&c, &d->total.guest);
	if (err)
		goto out_free;
	name_series(&c);
	for (i = 0; i < d->n_phases; i++)
		if (d->phases[i].where == DIFF_IN_BOTH && selected(flt, d->phases[i].name))
			c.phases[c.n++] = &d->phases[i];
	c.phases[c.n++] = &d->total;
	for (i = 0; i < c.n; i++)
		fill_bar(&c, i, c.phases[i]);
	html_elem(h, "h2", NULL, "Where the time went");
	print_chart(h, &c);
out_free:
	free(c.phases);
	free(c.parts);
	diff_free(d);
	return err;
}

/* The views beside the guest's, and the VMs recorded with --vm; nothing without them. */
static void views(struct html *h, const struct report *rep)
{
	char vm[16], n[32], m[32];
	size_t i;

	if (rep->has_kvm || rep->has_domains || rep->has_vmm)
		html_kv(h, "views", "guest%s%s%s",
			rep->has_kvm ? ", host (KVM exits of the VMM's threads)" : "",
			rep->has_domains ? ", host (libvirt domain stats)" : "",
			rep->has_vmm ? ", vmm (the VMM process, merged)" : "");
	for (i = 0; i < rep->n_vms; i++) {
		const struct report_vm *d = &rep->vms[i];

		snprintf(vm, sizeof(vm), "VM %u", d->vm);
		snprintf(n, sizeof(n), ", %lld vCPUs", (long long)d->vcpus);
		snprintf(m, sizeof(m), ", %.1f GiB", d->mem_bytes / 1073741824.0);
		html_kv(h, "domain", "%s%s%s%s%s%s%s%s%s", d->name ? d->name : vm,
			d->hypervisor ? ", " : "", d->hypervisor ? d->hypervisor : "",
			d->domain_type ? ", type " : "", d->domain_type ? d->domain_type : "",
			d->vcpus >= 0 ? n : "", d->mem_bytes >= 0 ? m : "", d->state ? ", " : "",
			d->state ? d->state : "");
	}
}

static void run_facts(struct html *h, const struct report *rep)
{
	char a[64], b[64], when[64] = "";

	html_kv_begin(h);
	html_kv(h, "label", "%s", rep->label && *rep->label ? rep->label : "-");
	html_kv(h, "command", "%s", rep->command ? rep->command : "-");
	snprintf(a, sizeof(a), "%lld CPUs", (long long)rep->cpu_count);
	snprintf(b, sizeof(b), "%.1f GiB", rep->mem_bytes / 1073741824.0);
	html_kv(h, "machine", "%s%s%s%s%s%s%s%s%s", rep->hostname ? rep->hostname : "unknown host",
		rep->kernel ? ", " : "", rep->kernel ? rep->kernel : "",
		rep->cpu_count >= 0 ? ", " : "", rep->cpu_count >= 0 ? a : "",
		rep->cpu_model ? ", " : "", rep->cpu_model ? rep->cpu_model : "",
		rep->mem_bytes >= 0 ? ", " : "", rep->mem_bytes >= 0 ? b : "");
	html_kv(h, "hypervisor", "%s", rep->hypervisor && *rep->hypervisor ? rep->hypervisor :
									  "unknown");
	views(h, rep);
	if (rep->start_real_ns > 0) {
		time_t t = rep->start_real_ns / 1000000000;
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC, ", &tm);
	}
	html_kv(h, "recorded", "%s%s%s%s%s%s", when, rep->scope ? "scope " : "",
		rep->scope ? rep->scope : "", rep->hvtrace_version ? ", hvtrace " : "",
		rep->hvtrace_version ? rep->hvtrace_version : "",
		rep->complete ? ", complete" : ", INCOMPLETE (the recorder did not end normally)");
	snprintf(b, sizeof(b), ", exit status %lld", (long long)rep->exit_status);
	html_kv(h, "wall", "%s%s%s",
		rep->total.wall_kind == REPORT_WALL_AT_LEAST ? "at least " : "",
		rep->total.wall_kind == REPORT_WALL_UNKNOWN ? "unknown" :
			fmt_ns(a, sizeof(a), rep->total.wall_ns), rep->exit_status >= 0 ? b : "");
	if (rep->rusage_user_ns >= 0 && rep->rusage_sys_ns >= 0)
		html_kv(h, "CPU", "user %s, sys %s (whole workload tree, from wait4)",
			fmt_ns(a, sizeof(a), rep->rusage_user_ns),
			fmt_ns(b, sizeof(b), rep->rusage_sys_ns));
	html_kv(h, "lost events", "%s%s", fmt_count(a, sizeof(a), rep->lost_events),
		rep->lost_events ? " (process events missing: counts of fork/exec/exit are low)" :
				   "");
	if (rep->phases_merged > 0)
		html_kv(h, "phases merged", "%lld (phases past %d share the last slot)",
			(long long)rep->phases_merged, HVT_MAX_PHASES - 1);
	html_kv_end(h);
}

static void phase_table(struct html *h, const struct report *rep, const struct html_filter *flt)
{
	static const char *const heads[] = {
		">#", "phase", ">wall", ">run", ">user", ">sys", ">procs", ">syscalls", ">faults",
	};
	char id[16], a[32], b[32], c[32], d[32], e[32], g[32], k[32];
	int unfinished = 0;
	size_t i;

	html_table_begin(h, heads, ARRAY_SIZE(heads));
	for (i = 0; i <= rep->n_phases; i++) {
		const struct report_phase *p = i < rep->n_phases ? &rep->phases[i] : &rep->total;
		const char *cells[ARRAY_SIZE(heads)];

		if (i < rep->n_phases && !selected(flt, p->name))
			continue;
		snprintf(id, sizeof(id), "%d", p->id);
		cells[0] = p->id >= 0 ? id : "";
		cells[1] = p->name;
		cells[2] = fmt_wall(a, sizeof(a), p);
		cells[3] = fmt_pct(b, sizeof(b), p->share_of_run);
		cells[4] = fmt_ns(c, sizeof(c), p->cpu_user_ns);
		cells[5] = fmt_ns(d, sizeof(d), p->cpu_sys_ns);
		cells[6] = fmt_count(e, sizeof(e), p->procs_started);
		cells[7] = fmt_count(g, sizeof(g), p->syscall_count);
		cells[8] = fmt_count(k, sizeof(k), p->faults);
		html_row(h, p->id < 0 ? "sum" : NULL, cells);
		unfinished |= !p->finished && p->id >= 0;
	}
	html_table_end(h);
	if (unfinished)
		html_note(h, ">= and ?: an unfinished phase; the recording ended first.");
}

static void counters(struct html *h, const struct report_phase *p)
{
	char *s = NULL, a[32];
	size_t len = 0, i;
	FILE *f;

	if (!p->n_counters)
		return;
	f = open_memstream(&s, &len);
	if (!f)
		return;
	for (i = 0; i < p->n_counters; i++) {
		const struct report_counter *c = &p->counters[i];

		fputs(i ? ", " : "", f);
		if (!c->supported) {
			fprintf(f, "%s not supported", c->event);
			continue;
		}
		if (isnan(c->scaled)) {
			fprintf(f, "%s not counted", c->event);
			continue;
		}
		if (!strcmp(c->event, "task-clock") || !strcmp(c->event, "cpu-clock"))
			fmt_ns(a, sizeof(a), c->scaled);
		else
			fmt_count(a, sizeof(a), (uint64_t)llround(c->scaled));
		fprintf(f, "%s %s", c->event, a);
		if (c->running_ns != c->enabled_ns)
			fprintf(f, " (scaled, counted %.0f%% of the time)",
				100.0 * report_ratio(c->running_ns, c->enabled_ns));
	}
	fclose(f);
	html_kv(h, "perf counters", "%s", s);
	free(s);
}

/* A latency table's heads: WHAT (syscall, exit reason, ...) and COUNT over the first two. */
static void lat_table_begin(struct html *h, const char *what, const char *count)
{
	char c[32];
	const char *heads[] = { what, c, ">total", ">share", ">mean", ">p50", ">p99", ">max" };

	snprintf(c, sizeof(c), ">%s", count);
	html_table_begin(h, heads, ARRAY_SIZE(heads));
}

static void lat_row(struct html *h, const char *name, const struct report_lat *l)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], k[32];
	const char *cells[] = {
		name, fmt_count(a, sizeof(a), l->count), fmt_ns(b, sizeof(b), l->sum_ns),
		fmt_pct(c, sizeof(c), l->share), fmt_dur(d, sizeof(d), l->mean_ns),
		fmt_dur(e, sizeof(e), l->p50_ns), fmt_dur(g, sizeof(g), l->p99_ns),
		l->count ? fmt_ns(k, sizeof(k), l->max_ns) : "-",
	};

	html_row(h, NULL, cells);
}

static void syscall_table(struct html *h, const struct report_phase *p, size_t top,
			  const char *what)
{
	size_t i, n = top && top < p->n_syscalls ? top : p->n_syscalls;

	if (!n)
		return;
	lat_table_begin(h, what, "calls");
	for (i = 0; i < n; i++)
		lat_row(h, p->syscalls[i].name, &p->syscalls[i]);
	html_table_end(h);
	if (n < p->n_syscalls)
		html_note(h, "%zu more syscalls; --top 0 lists all.", p->n_syscalls - n);
}

static void vmm_details(struct html *h, const struct report_phase *v, size_t top)
{
	char a[32], b[32], c[32], d[32], e[32], g[32];

	html_kv_begin(h);
	html_kv(h, "VMM process", "user %s, sys %s (threads that ended: %s), on CPU %s, "
		"%s processes started, %s page faults, %s voluntary and %s involuntary switches",
		fmt_ns(a, sizeof(a), v->cpu_user_ns), fmt_ns(b, sizeof(b), v->cpu_sys_ns),
		fmt_count(c, sizeof(c), v->cpu_threads), fmt_ns(d, sizeof(d), v->oncpu_ns),
		fmt_count(e, sizeof(e), v->procs_started), fmt_count(g, sizeof(g), v->faults),
		fmt_count(a, sizeof(a), v->ctx_voluntary),
		fmt_count(b, sizeof(b), v->ctx_involuntary));
	html_kv(h, "VMM run-queue", "%s waits, %s total, mean %s, p99 %s, max %s",
		fmt_count(a, sizeof(a), v->runq.count), fmt_ns(b, sizeof(b), v->runq.sum_ns),
		fmt_dur(c, sizeof(c), v->runq.mean_ns), fmt_dur(d, sizeof(d), v->runq.p99_ns),
		v->runq.count ? fmt_ns(e, sizeof(e), v->runq.max_ns) : "-");
	html_kv(h, "VMM syscalls", "%s calls, %s total, %zu distinct",
		fmt_count(a, sizeof(a), v->syscall_count), fmt_ns(b, sizeof(b), v->syscall_ns),
		v->n_syscalls);
	html_kv_end(h);
	syscall_table(h, v, top, "VMM syscall");
}

static size_t list_top(const struct report_list *l, size_t top)
{
	return top && top < l->n ? top : l->n;
}

/* A timed kind: its line, then a table of its top items and the rest as "other". */
static void kvm_timed(struct html *h, enum hvt_kvm_kind k, const struct report_list *l,
		      size_t top)
{
	const struct report_kvm_kind *kk = &report_kvm_kinds[k];
	char a[32], b[32], name[32];
	struct report_lat rest;
	size_t i, n = list_top(l, top);

	html_kv_begin(h);
	html_kv(h, kk->label, "%s %s, %s total, %zu distinct", fmt_count(a, sizeof(a), l->count),
		kk->noun, fmt_ns(b, sizeof(b), l->sum_ns), l->n);
	html_kv_end(h);
	if (!l->n)
		return;
	lat_table_begin(h, kk->item, "count");
	for (i = 0; i < n; i++)
		lat_row(h, l->items[i].name, &l->items[i]);
	if (n < l->n) {
		report_list_rest(l, n, &rest);
		snprintf(name, sizeof(name), "other (%lld)", (long long)rest.key);
		lat_row(h, name, &rest);
	}
	html_table_end(h);
}

/* A kind of counts, as one line: the total, the top items, the rest as "other". */
static void kvm_counts(struct html *h, enum hvt_kvm_kind k, const struct report_list *l,
		       size_t top)
{
	struct report_lat rest;
	size_t len = 0, i, n = list_top(l, top);
	char *s = NULL, a[32];
	FILE *f;

	f = open_memstream(&s, &len);
	if (!f)
		return;
	fprintf(f, "%s %s", fmt_count(a, sizeof(a), l->count), report_kvm_kinds[k].noun);
	for (i = 0; i < n; i++)
		fprintf(f, ", %s %s", l->items[i].name, fmt_count(a, sizeof(a), l->items[i].count));
	if (n < l->n) {
		report_list_rest(l, n, &rest);
		fprintf(f, ", other (%lld) %s", (long long)rest.key,
			fmt_count(a, sizeof(a), rest.count));
	}
	fclose(f);
	html_kv(h, report_kvm_kinds[k].label, "%s", s);
	free(s);
}

static void vcpu_table(struct html *h, const struct report_host *host)
{
	static const char *const heads[] = {
		"vCPU", ">exits", ">exit time", ">KVM_RUN returns", ">in KVM_RUN", ">VMM trips",
		">in VMM",
	};
	char id[16], a[32], b[32], c[32], d[32], e[32], g[32];
	size_t i;

	html_table_begin(h, heads, ARRAY_SIZE(heads));
	for (i = 0; i < host->n_vcpus; i++) {
		const struct report_vcpu *v = &host->vcpus[i];
		const char *cells[ARRAY_SIZE(heads)];

		if (v->vcpu == HVT_VCPU_UNKNOWN)
			snprintf(id, sizeof(id), "unknown");
		else
			snprintf(id, sizeof(id), "%u", v->vcpu);
		cells[0] = id;
		cells[1] = fmt_count(a, sizeof(a), v->lat[REPORT_VCPU_EXIT].count);
		cells[2] = fmt_ns(b, sizeof(b), v->lat[REPORT_VCPU_EXIT].sum_ns);
		cells[3] = fmt_count(c, sizeof(c), v->lat[REPORT_VCPU_UEXIT].count);
		cells[4] = fmt_ns(d, sizeof(d), v->lat[REPORT_VCPU_UEXIT].sum_ns);
		cells[5] = fmt_count(e, sizeof(e), v->lat[REPORT_VCPU_VMM].count);
		cells[6] = fmt_ns(g, sizeof(g), v->lat[REPORT_VCPU_VMM].sum_ns);
		html_row(h, NULL, cells);
	}
	html_table_end(h);
}

/* The host view's KVM kinds the recording has (in any phase), then per vCPU and losses. */
static void kvm_details(struct html *h, const struct report *rep, const struct report_host *host,
			size_t top)
{
	const struct report_host *all = rep->total.host;
	int i, counts = 0;
	char a[32];

	for (i = 0; i < HVT_KVM_KINDS; i++) {
		enum hvt_kvm_kind k = report_kvm_order[i];

		if (all->kvm[k].n && report_kvm_kinds[k].timed)
			kvm_timed(h, k, &host->kvm[k], top);
		else if (all->kvm[k].n)
			counts = 1;
	}
	if (!counts && !all->n_vcpus && !all->lost)
		return;
	html_kv_begin(h);
	for (i = 0; i < HVT_KVM_KINDS; i++) {
		enum hvt_kvm_kind k = report_kvm_order[i];

		if (all->kvm[k].n && !report_kvm_kinds[k].timed)
			kvm_counts(h, k, &host->kvm[k], top);
	}
	if (all->lost)
		html_kv(h, "KVM lost", "%s updates%s", fmt_count(a, sizeof(a), host->lost),
			host->lost ? " (the kernel's table of host aggregates was full: counts are "
				     "low)" : "");
	if (all->n_vcpus)
		html_kv(h, "per vCPU", "%zu %s", host->n_vcpus,
			host->n_vcpus == 1 ? "vCPU" : "vCPUs");
	html_kv_end(h);
	if (host->n_vcpus)
		vcpu_table(h, host);
}

static void domain_table(struct html *h, const struct report *rep, const struct report_host *host)
{
	static const char *const heads[] = { "domain", "device", "stat", ">value" };
	char vm[16], a[32];
	size_t i;

	html_table_begin(h, heads, ARRAY_SIZE(heads));
	for (i = 0; i < host->n_vmstats; i++) {
		const struct report_vmstat *v = &host->vmstats[i];
		const struct report_vm *d = report_vm_find(rep, v->vm);
		const char *cells[ARRAY_SIZE(heads)];

		snprintf(vm, sizeof(vm), "VM %u", v->vm);
		cells[0] = d && d->name ? d->name : vm;
		cells[1] = v->device;
		cells[2] = v->stat;
		cells[3] = v->unit == REPORT_UNIT_NS ? fmt_ns(a, sizeof(a), v->value) :
						       fmt_count(a, sizeof(a), v->value);
		html_row(h, NULL, cells);
	}
	if (!host->n_vmstats) {
		const char *none[] = { "no domain stats in this phase" };

		html_row(h, "note", none);
	}
	html_table_end(h);
}

static void phase_details(struct html *h, const struct report *rep,
			  const struct report_phase *p, size_t top)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], title[160], faults[160] = "";
	int k;

	if (p->id >= 0)
		snprintf(title, sizeof(title), "Phase %d: %s (%s, pid %d, %s%s)", p->id, p->name,
			 p->source, p->pid, fmt_wait(a, sizeof(a), p->exit_status),
			 p->finished ? "" : ", unfinished");
	else
		snprintf(title, sizeof(title), "Run total (%zu phases)", rep->n_phases);
	html_elem(h, "h3", NULL, title);
	html_kv_begin(h);
	if (p->wall_kind == REPORT_WALL_UNKNOWN)
		html_kv(h, "wall", "unknown (unfinished: the recording ended first)");
	else if (p->wall_kind == REPORT_WALL_AT_LEAST)
		html_kv(h, "wall", "at least %s (unfinished: the recording ended first)",
			fmt_ns(a, sizeof(a), p->wall_ns));
	else if (p->id < 0)
		html_kv(h, "wall", "%s", fmt_ns(a, sizeof(a), p->wall_ns));
	else
		html_kv(h, "wall", "%s, %s of the run", fmt_ns(a, sizeof(a), p->wall_ns),
			fmt_pct(b, sizeof(b), p->share_of_run));
	html_kv(h, "CPU", "user %s, sys %s (threads that ended: %s), on CPU %s",
		fmt_ns(a, sizeof(a), p->cpu_user_ns), fmt_ns(b, sizeof(b), p->cpu_sys_ns),
		fmt_count(c, sizeof(c), p->cpu_threads), fmt_ns(d, sizeof(d), p->oncpu_ns));
	html_kv(h, "processes", "%s started (fork %s, vfork %s, clone %s), %s exec, %s exit, "
		"%s threads", fmt_count(a, sizeof(a), p->procs_started),
		fmt_count(b, sizeof(b), p->proc[HVT_PROC_FORK]),
		fmt_count(c, sizeof(c), p->proc[HVT_PROC_VFORK]),
		fmt_count(d, sizeof(d), p->proc[HVT_PROC_CLONE]),
		fmt_count(e, sizeof(e), p->proc[HVT_PROC_EXEC]),
		fmt_count(g, sizeof(g), p->proc[HVT_PROC_EXIT]),
		fmt_count(title, sizeof(title), p->proc[HVT_PROC_THREAD]));
	for (k = 0; k < HVT_FAULT_KINDS; k++)
		snprintf(faults + strlen(faults), sizeof(faults) - strlen(faults), ", %s %s",
			 report_fault_names[k], fmt_count(a, sizeof(a), p->fault[k]));
	html_kv(h, "page faults", "%s total%s", fmt_count(b, sizeof(b), p->faults), faults);
	html_kv(h, "context switches", "%s voluntary, %s involuntary",
		fmt_count(a, sizeof(a), p->ctx_voluntary),
		fmt_count(b, sizeof(b), p->ctx_involuntary));
	html_kv(h, "run-queue delay", "%s waits, %s total, mean %s, p50 %s, p99 %s, max %s",
		fmt_count(a, sizeof(a), p->runq.count), fmt_ns(b, sizeof(b), p->runq.sum_ns),
		fmt_dur(c, sizeof(c), p->runq.mean_ns), fmt_dur(d, sizeof(d), p->runq.p50_ns),
		fmt_dur(e, sizeof(e), p->runq.p99_ns),
		p->runq.count ? fmt_ns(g, sizeof(g), p->runq.max_ns) : "-");
	html_kv(h, "steal", "%s, %s of wall", fmt_ns(a, sizeof(a), p->steal_ns),
		fmt_pct(b, sizeof(b), p->steal_share));
	html_kv(h, "lost events", "%s", fmt_count(a, sizeof(a), p->lost));
	counters(h, p);
	html_kv(h, "syscalls", "%s calls, %s total, %zu distinct",
		fmt_count(a, sizeof(a), p->syscall_count), fmt_ns(b, sizeof(b), p->syscall_ns),
		p->n_syscalls);
	html_kv_end(h);
	syscall_table(h, p, top, "syscall");
	if (p->host && rep->has_kvm)
		kvm_details(h, rep, p->host, top);
	if (p->vmm)
		vmm_details(h, p->vmm, top);
	if (p->host && rep->has_domains)
		domain_table(h, rep, p->host);
}

int html_report(FILE *f, const struct recording *rec, const struct report *rep,
		const struct html_filter *flt)
{
	struct html h;
	char title[256];
	size_t i;
	int err;

	snprintf(title, sizeof(title), "hvtrace report of %s", rep->path);
	html_page_begin(&h, f, title);
	html_elem(&h, "h1", NULL, title);
	run_facts(&h, rep);
	err = where_the_time_went(&h, rec, flt);
	if (err)
		return err;
	html_elem(&h, "h2", NULL, "Phases");
	phase_table(&h, rep, flt);
	html_note(&h, "p50 and p99 are estimated from log2 histograms by interpolating inside the "
		  "bucket, so they are within a factor of two of the truth (and never above max).");
	for (i = 0; i < rep->n_phases; i++)
		if (selected(flt, rep->phases[i].name))
			phase_details(&h, rep, &rep->phases[i], flt->top);
	phase_details(&h, rep, &rep->total, flt->top);
	html_page_end(&h);
	return 0;
}
