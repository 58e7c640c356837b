// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* top_print: one `hvtrace top` snapshot as text or JSON, from one walk over its rows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "top.h"
#include "util.h"

/* Which columns a section has. */
enum {
	COL_TIMED = 1,		/* total and mean of sum_ns */
	COL_VMM = 2,		/* time in KVM_RUN and in the VMM */
};

static const struct section {
	const char *title;
	const char *json;
	unsigned int cols;
} sections[HVT_KVM_KINDS] = {
	[HVT_KVM_EXIT] = { "VM exits", "exits", COL_TIMED },
	[HVT_KVM_EXIT_UNPAIRED] = { "VM exits, unpaired", "exits_unpaired", 0 },
	[HVT_KVM_UEXIT] = { "Userspace exits", "userspace_exits", COL_VMM },
	[HVT_KVM_UEXIT_UNPAIRED] = { "Userspace exits, unpaired", "userspace_exits_unpaired", 0 },
	[HVT_KVM_VMM] = { "Time in the VMM", "vmm", COL_TIMED },
	[HVT_KVM_PIO] = { "Port I/O", "pio", 0 },
	[HVT_KVM_MMIO] = { "MMIO", "mmio", 0 },
	[HVT_KVM_MSR] = { "MSR accesses", "msr", 0 },
	[HVT_KVM_PF] = { "KVM page faults", "page_faults", 0 },
	[HVT_KVM_HALT] = { "Halts (time halted)", "halts", COL_TIMED },
};

const char *top_kind_title(enum hvt_kvm_kind kind)
{
	return (unsigned int)kind < HVT_KVM_KINDS ? sections[kind].title : "unknown";
}

static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? n / secs : NAN;
}

static double mean(uint64_t sum, uint64_t count)
{
	return count ? (double)sum / count : NAN;
}

/*
 * What the view must say about KVM before any table: why there is none, or
 * what is missing. NULL when the tables speak for themselves.
 */
static const char *kvm_message(const struct top_info *info, const struct top_snap *s, char *buf,
			       size_t len)
{
	switch (s->kvm) {
	case TOP_KVM_UNAVAILABLE:
		snprintf(buf, len, "no KVM view: %s", info->kvm_why && *info->kvm_why ?
			 info->kvm_why : "this kernel has no KVM tracepoints");
		return buf;
	case TOP_KVM_IDLE:
		if (info->system_wide)
			snprintf(buf, len, "no KVM activity on this host since top started (no "
				 "vCPU ran)");
		else
			snprintf(buf, len, "no KVM activity from %s since top started (not a "
				 "VMM, or no vCPU ran)", info->target);
		return buf;
	case TOP_KVM_ACTIVE:
		break;
	}
	if (s->exits_seen)
		return NULL;
	if (info->probes_missing && strstr(info->probes_missing, "kvm_exit(tracefs"))
		snprintf(buf, len, "no VM exits: kvm_exit needs tracefs (mount -t tracefs tracefs "
			 "/sys/kernel/tracing); userspace exits only");
	else if (info->probes_missing && strstr(info->probes_missing, "kvm_exit"))
		snprintf(buf, len, "no VM exits: this kernel lacks the kvm_exit tracepoint; "
			 "userspace exits only");
	else
		snprintf(buf, len, "no VM exits: kvm_exit did not fire although KVM ran (this "
			 "KVM does not trace its exits, e.g. PVM); userspace exits only");
	return buf;
}

/* ---- text ------------------------------------------------------------------- */

static const char *fmt_rate(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else if (r >= 100)
		fmt_count(buf, len, (uint64_t)(r + 0.5));
	else
		snprintf(buf, len, "%.1f", r);
	return buf;
}

static const char *fmt_time(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		return strcpy(buf, "-");
	return fmt_ns(buf, len, ns);
}

static void text_head(FILE *f, const struct section *sec, int width)
{
	fprintf(f, "%-*s %9s %9s", width + 2, sec->title, "per s", "count");
	if (sec->cols & COL_TIMED)
		fprintf(f, " %10s %10s", "total", "mean");
	if (sec->cols & COL_VMM)
		fprintf(f, " %10s %10s %10s", "in KVM_RUN", "in VMM", "VMM mean");
	fputc('\n', f);
}

static void text_row(FILE *f, const struct section *sec, const struct top_row *r, double secs,
		     int width)
{
	char a[32], b[32], c[32], d[32];

	fprintf(f, "  %-*s %9s %9s", width, r->name, fmt_rate(a, sizeof(a), per_s(r->count, secs)),
		fmt_count(b, sizeof(b), r->count));
	if (sec->cols & COL_TIMED)
		fprintf(f, " %10s %10s", fmt_ns(c, sizeof(c), r->sum_ns),
			fmt_time(d, sizeof(d), mean(r->sum_ns, r->count)));
	if (sec->cols & COL_VMM) {
		fprintf(f, " %10s", fmt_ns(c, sizeof(c), r->sum_ns));
		fprintf(f, " %10s", fmt_ns(c, sizeof(c), r->vmm_ns));
		fprintf(f, " %10s", fmt_time(d, sizeof(d), mean(r->vmm_ns, r->vmm_count)));
	}
	fputc('\n', f);
}

static void text_guest(FILE *f, const struct top_info *info, const struct top_snap *s)
{
	char a[32], b[32], c[32], d[32];
	size_t i;

	fprintf(f, "Guest view of %s\n", info->system_wide ? "every process" : "the same threads");
	fprintf(f, "  syscalls %s/s", fmt_rate(a, sizeof(a), per_s(s->syscalls, s->secs)));
	for (i = 0; i < s->n_sys && i < 4; i++)
		fprintf(f, "%s%s %s", i ? ", " : " (", s->sys[i].name,
			fmt_rate(b, sizeof(b), per_s(s->sys[i].count, s->secs)));
	fprintf(f, "%s%s\n", s->n_sys > 4 ? ", ..." : "", s->n_sys ? ")" : "");
	fprintf(f, "  page faults %s/s, context switches %s/s (%s/s involuntary), forks %s\n",
		fmt_rate(a, sizeof(a), per_s(s->faults, s->secs)),
		fmt_rate(b, sizeof(b), per_s(s->ctx_voluntary + s->ctx_involuntary, s->secs)),
		fmt_rate(c, sizeof(c), per_s(s->ctx_involuntary, s->secs)),
		fmt_count(d, sizeof(d), s->forks));
	fprintf(f, "  run-queue delay %s mean", fmt_time(a, sizeof(a), mean(s->runq_ns,
								      s->runq_count)));
	fprintf(f, " (%s in all), on CPU %s\n", fmt_ns(b, sizeof(b), s->runq_ns),
		fmt_ns(c, sizeof(c), s->oncpu_ns));
}

/* The name column of the table that starts at row i: 24, or as wide as its longest name. */
static int name_width(const struct top_snap *s, size_t i)
{
	enum hvt_kvm_kind kind = s->rows[i].kind;
	int width = 24, len;

	for (; i < s->n_rows && s->rows[i].kind == kind; i++) {
		len = strlen(s->rows[i].name);
		if (len > width)
			width = len;
	}
	return width;
}

/* A message in lines of at most 79 columns, broken at spaces. */
static void text_wrap(FILE *f, const char *msg)
{
	const char *p = msg, *brk;
	int len;

	while (strlen(p) > 79) {
		for (brk = p + 79; brk > p && *brk != ' '; brk--)
			;
		len = brk > p ? brk - p : 79;
		fprintf(f, "%.*s\n", len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	if (*p)
		fprintf(f, "%s\n", p);
}

void top_print_text(FILE *f, const struct top_info *info, const struct top_snap *s,
		    const struct top_print_opts *po)
{
	char msg[512], a[32], b[32];
	const char *m = kvm_message(info, s, msg, sizeof(msg));
	size_t i = 0, shown;
	int kind, width;

	fprintf(f, "hvtrace top: %s, last %.2f s%s", info->target, s->secs,
		s->ended ? " (it ended)" : "");
	if (po && po->title_extra)
		fprintf(f, ", %s", po->title_extra);
	fputc('\n', f);
	if (m)
		text_wrap(f, m);
	if (s->kvm == TOP_KVM_ACTIVE && !s->n_rows)
		fprintf(f, "no KVM events in this interval\n");
	while (i < s->n_rows) {
		kind = s->rows[i].kind;
		fputc('\n', f);
		width = name_width(s, i);
		text_head(f, &sections[kind], width);
		for (shown = 0; i < s->n_rows && s->rows[i].kind == (enum hvt_kvm_kind)kind;
		     i++, shown++) {
			if (po && po->max_rows && shown == (size_t)po->max_rows)
				break;
			text_row(f, &sections[kind], &s->rows[i], s->secs, width);
		}
		for (shown = 0; i < s->n_rows && s->rows[i].kind == (enum hvt_kvm_kind)kind; i++)
			shown++;
		if (shown)
			fprintf(f, "  ... %zu more\n", shown);
		if (kind == HVT_KVM_UEXIT)
			fprintf(f, "  time in the VMM: %s, %.1f %% of the interval\n",
				fmt_ns(a, sizeof(a), s->vmm_ns),
				s->secs > 0 ? s->vmm_ns / (s->secs * 1e7) : 0.0);
	}
	if (s->kvm_lost)
		fprintf(f, "note: %s host-view updates lost since the start (table full)\n",
			fmt_count(b, sizeof(b), s->kvm_lost));
	fputc('\n', f);
	text_guest(f, info, s);
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_key_fields(struct jsonw *w, const struct top_row *r)
{
	switch (r->kind) {
	case HVT_KVM_PIO:
		jsonw_uint_field(w, "port", r->key & 0xffff);
		jsonw_string_field(w, "dir", r->key >> 16 & 1 ? "out" : "in");
		break;
	case HVT_KVM_MMIO:
		jsonw_uint_field(w, "gpa_page", r->key & ~0xfffULL);
		break;
	case HVT_KVM_MSR:
		jsonw_uint_field(w, "msr", (uint32_t)r->key);
		break;
	default:
		break;
	}
}

static void json_row(struct jsonw *w, const struct section *sec, const struct top_row *r,
		     double secs)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "name", r->name);
	jsonw_uint_field(w, "key", r->key);
	json_key_fields(w, r);
	jsonw_uint_field(w, "count", r->count);
	jsonw_float_field(w, "per_s", per_s(r->count, secs));
	if (sec->cols & COL_TIMED) {
		jsonw_uint_field(w, "total_ns", r->sum_ns);
		jsonw_float_field(w, "mean_ns", mean(r->sum_ns, r->count));
	}
	if (sec->cols & COL_VMM) {
		jsonw_uint_field(w, "run_ns", r->sum_ns);
		jsonw_uint_field(w, "vmm_count", r->vmm_count);
		jsonw_uint_field(w, "vmm_ns", r->vmm_ns);
		jsonw_float_field(w, "vmm_mean_ns", mean(r->vmm_ns, r->vmm_count));
	}
	jsonw_end_object(w);
}

static void json_kvm(struct jsonw *w, const struct top_info *info, const struct top_snap *s)
{
	static const char *const states[] = {
		[TOP_KVM_ACTIVE] = "active",
		[TOP_KVM_IDLE] = "idle",
		[TOP_KVM_UNAVAILABLE] = "unavailable",
	};
	char msg[512];
	size_t i;
	int kind;

	jsonw_name(w, "kvm");
	jsonw_start_object(w);
	jsonw_string_field(w, "state", states[s->kvm]);
	jsonw_string_field(w, "message", kvm_message(info, s, msg, sizeof(msg)));
	jsonw_string_field(w, "probes_missing", info->probes_missing ? info->probes_missing : "");
	jsonw_bool_field(w, "exits_seen", s->exits_seen);
	jsonw_uint_field(w, "lost", s->kvm_lost);
	jsonw_uint_field(w, "vmm_ns", s->vmm_ns);
	/* Every section, empty ones too: consumers need not test for a missing key. */
	for (kind = 0; kind < HVT_KVM_KINDS; kind++) {
		if (kind == HVT_KVM_VMM)
			continue;
		jsonw_name(w, sections[kind].json);
		jsonw_start_array(w);
		for (i = 0; i < s->n_rows; i++)
			if (s->rows[i].kind == (enum hvt_kvm_kind)kind)
				json_row(w, &sections[kind], &s->rows[i], s->secs);
		jsonw_end_array(w);
	}
	jsonw_end_object(w);
}

static void json_guest(struct jsonw *w, const struct top_snap *s)
{
	size_t i;

	jsonw_name(w, "guest");
	jsonw_start_object(w);
	jsonw_uint_field(w, "syscalls", s->syscalls);
	jsonw_float_field(w, "syscalls_per_s", per_s(s->syscalls, s->secs));
	jsonw_uint_field(w, "syscall_ns", s->syscall_ns);
	jsonw_name(w, "by_syscall");
	jsonw_start_array(w);
	for (i = 0; i < s->n_sys; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "name", s->sys[i].name);
		jsonw_int_field(w, "nr", s->sys[i].nr);
		jsonw_uint_field(w, "count", s->sys[i].count);
		jsonw_float_field(w, "per_s", per_s(s->sys[i].count, s->secs));
		jsonw_uint_field(w, "total_ns", s->sys[i].sum_ns);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "faults", s->faults);
	jsonw_uint_field(w, "faults_user", s->faults_user);
	jsonw_float_field(w, "faults_per_s", per_s(s->faults, s->secs));
	jsonw_uint_field(w, "context_switches", s->ctx_voluntary + s->ctx_involuntary);
	jsonw_uint_field(w, "involuntary", s->ctx_involuntary);
	jsonw_float_field(w, "context_switches_per_s",
			  per_s(s->ctx_voluntary + s->ctx_involuntary, s->secs));
	jsonw_uint_field(w, "runq_count", s->runq_count);
	jsonw_uint_field(w, "runq_ns", s->runq_ns);
	jsonw_float_field(w, "runq_mean_ns", mean(s->runq_ns, s->runq_count));
	jsonw_uint_field(w, "oncpu_ns", s->oncpu_ns);
	jsonw_uint_field(w, "processes_started", s->forks);
	jsonw_uint_field(w, "execs", s->execs);
	jsonw_uint_field(w, "processes_ended", s->exits);
	jsonw_end_object(w);
}

void top_print_json(FILE *f, const struct top_info *info, const struct top_snap *s)
{
	struct jsonw *w = jsonw_new(f);

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "target", info->target);
	jsonw_bool_field(w, "system_wide", info->system_wide);
	jsonw_float_field(w, "interval_s", s->secs);
	jsonw_bool_field(w, "ended", s->ended);
	json_kvm(w, info, s);
	json_guest(w, s);
	jsonw_end_object(w);
	jsonw_destroy(w);
}
