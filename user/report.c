// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* report: a recording turned into per-phase summaries and the run's totals. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "host_view.h"
#include "recfile.h"
#include "report.h"

/* Keys of the host view (docs/recording-format.md). */
#define VCPU_SHIFT 40	/* per-vCPU rows: vcpu << 40 | the key of the kind's row */
#define VM_SHIFT 32	/* libvirt rows: vm << 32 | item */

const char *const report_fault_names[HVT_FAULT_KINDS] = {
	[HVT_FAULT_USER_READ] = "user-read",	 [HVT_FAULT_USER_WRITE] = "user-write",
	[HVT_FAULT_USER_EXEC] = "user-exec",	 [HVT_FAULT_KERNEL_READ] = "kernel-read",
	[HVT_FAULT_KERNEL_WRITE] = "kernel-write", [HVT_FAULT_KERNEL_EXEC] = "kernel-exec",
};

const char *const report_proc_names[HVT_PROC_KINDS] = {
	[HVT_PROC_FORK] = "fork",     [HVT_PROC_VFORK] = "vfork", [HVT_PROC_CLONE] = "clone",
	[HVT_PROC_THREAD] = "thread", [HVT_PROC_EXEC] = "exec",	  [HVT_PROC_EXIT] = "exit",
};

const struct report_kvm_kind report_kvm_kinds[HVT_KVM_KINDS] = {
	[HVT_KVM_EXIT] = { "exits", "VM exits", "exit reason", "exits", 1 },
	[HVT_KVM_EXIT_UNPAIRED] = { "exits_unpaired", "unpaired exits", "exit reason", "exits",
				    0 },
	[HVT_KVM_UEXIT] = { "userspace_exits", "KVM_RUN returns", "userspace exit", "returns",
			    1 },
	[HVT_KVM_UEXIT_UNPAIRED] = { "userspace_exits_unpaired", "unpaired returns",
				     "userspace exit", "returns", 0 },
	[HVT_KVM_VMM] = { "vmm_handling", "VMM handling", "handled exit", "round trips", 1 },
	[HVT_KVM_PIO] = { "pio", "port I/O", "port", "accesses", 0 },
	[HVT_KVM_MMIO] = { "mmio", "MMIO", "page", "accesses", 0 },
	[HVT_KVM_MSR] = { "msr", "MSR accesses", "MSR", "accesses", 0 },
	[HVT_KVM_PF] = { "page_faults", "KVM page faults", "error code", "faults", 0 },
	[HVT_KVM_HALT] = { "halts", "halts", "halt", "halts", 1 },
};

const enum hvt_kvm_kind report_kvm_order[HVT_KVM_KINDS] = {
	HVT_KVM_EXIT, HVT_KVM_UEXIT, HVT_KVM_VMM, HVT_KVM_HALT, HVT_KVM_EXIT_UNPAIRED,
	HVT_KVM_UEXIT_UNPAIRED, HVT_KVM_PIO, HVT_KVM_MMIO, HVT_KVM_MSR, HVT_KVM_PF,
};

const enum hvt_kvm_kind report_vcpu_kinds[REPORT_VCPU_KINDS] = {
	HVT_KVM_EXIT, HVT_KVM_UEXIT, HVT_KVM_VMM,
};

/* The guest view's kinds, which the vmm view has too. */
static const char *const figure_kinds[] = {
	"syscall", "fault", "proc", "sched", "cpu", "steal", "lost",
};

double report_ratio(double num, double den)
{
	return den == 0.0 ? NAN : num / den;
}

/* strdup that keeps NULL as NULL; *oom is set when a copy fails. */
static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

/* Appends one zeroed element to *arr (of *n elements of size sz). */
static void *append(void *arr_ptr, size_t *n, size_t sz)
{
	void **arr = arr_ptr;
	void *p = realloc(*arr, (*n + 1) * sz);

	if (!p)
		return NULL;
	*arr = p;
	p = (char *)p + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

static void list_free(struct report_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
}

static void host_free(struct report_host *h)
{
	size_t i;
	int k;

	if (!h)
		return;
	for (k = 0; k < HVT_KVM_KINDS; k++)
		list_free(&h->kvm[k]);
	free(h->vcpus);
	for (i = 0; i < h->n_vmstats; i++) {
		free(h->vmstats[i].stat);
		free(h->vmstats[i].device);
	}
	free(h->vmstats);
	free(h);
}

static void phase_free(struct report_phase *p)
{
	size_t i;

	if (p->vmm) {
		phase_free(p->vmm);
		free(p->vmm);
	}
	host_free(p->host);
	free(p->name);
	free(p->source);
	free(p->runq.name);
	for (i = 0; i < p->n_syscalls; i++)
		free(p->syscalls[i].name);
	free(p->syscalls);
	for (i = 0; i < p->n_counters; i++)
		free(p->counters[i].event);
	free(p->counters);
}

void report_free(struct report *rep)
{
	size_t i;

	if (!rep)
		return;
	for (i = 0; i < rep->n_phases; i++)
		phase_free(&rep->phases[i]);
	free(rep->phases);
	phase_free(&rep->total);
	for (i = 0; i < rep->n_vms; i++) {
		free(rep->vms[i].name);
		free(rep->vms[i].hypervisor);
		free(rep->vms[i].domain_type);
		free(rep->vms[i].state);
	}
	free(rep->vms);
	free(rep->path);
	free(rep->label);
	free(rep->command);
	free(rep->hostname);
	free(rep->kernel);
	free(rep->cpu_model);
	free(rep->hypervisor);
	free(rep->scope);
	free(rep->hvtrace_version);
	free(rep);
}

static int phase_init(struct report_phase *p, int id, const char *name, const char *source)
{
	p->id = id;
	p->exit_status = -1;
	p->name = strdup(name);
	p->source = strdup(source);
	p->runq.name = strdup("runq");
	return p->name && p->source && p->runq.name ? 0 : -ENOMEM;
}

/* The other views' parts of P, for the views the recording has. */
static int phase_views(const struct report *rep, struct report_phase *p)
{
	int k;

	if ((rep->has_kvm || rep->has_domains) && !p->host) {
		p->host = calloc(1, sizeof(*p->host));
		if (!p->host)
			return -ENOMEM;
		for (k = 0; k < HVT_KVM_KINDS; k++)
			p->host->kvm[k].timed = report_kvm_kinds[k].timed;
	}
	if (rep->has_vmm && !p->vmm) {
		p->vmm = calloc(1, sizeof(*p->vmm));
		if (!p->vmm)
			return -ENOMEM;
		p->vmm->id = p->id;
		p->vmm->exit_status = -1;
		p->vmm->runq.name = strdup("runq");
		if (!p->vmm->runq.name)
			return -ENOMEM;
	}
	return 0;
}

/*
 * The phase with id ID. Stats of a phase missing from the phase table (a
 * damaged file, or a recorder that died between writing the two) get a
 * phase of their own instead of being dropped.
 */
static struct report_phase *phase_get(struct report *rep, int id)
{
	struct report_phase *p;
	char name[32];
	size_t i;

	for (i = 0; i < rep->n_phases; i++)
		if (rep->phases[i].id == id)
			return &rep->phases[i];
	p = append(&rep->phases, &rep->n_phases, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(name, sizeof(name), "phase-%d", id);
	if (phase_init(p, id, name, "unknown") || phase_views(rep, p))
		return NULL;
	return p;
}

static void lat_merge(struct report_lat *dst, const struct report_lat *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	if (src->min_ns && (!dst->min_ns || src->min_ns < dst->min_ns))
		dst->min_ns = src->min_ns;
	if (src->has_hist) {
		hist_merge(dst->hist, src->hist);
		dst->has_hist = 1;
	}
}

static void lat_add_stat(struct report_lat *l, const struct rec_stat *s)
{
	struct report_lat one = {
		.count = s->count,
		.sum_ns = s->sum_ns,
		.min_ns = s->min_ns,
		.max_ns = s->max_ns,
		.has_hist = s->has_hist,
	};

	memcpy(one.hist, s->hist, sizeof(one.hist));
	lat_merge(l, &one);
}

static struct report_lat *syscall_get(struct report_phase *p, int64_t key, const char *name)
{
	struct report_lat *l;
	char buf[32];
	size_t i;

	for (i = 0; i < p->n_syscalls; i++)
		if (p->syscalls[i].key == key)
			return &p->syscalls[i];
	l = append(&p->syscalls, &p->n_syscalls, sizeof(*l));
	if (!l)
		return NULL;
	l->key = key;
	if (!name || !*name) {
		snprintf(buf, sizeof(buf), "syscall_%lld", (long long)key);
		name = buf;
	}
	l->name = strdup(name);
	return l->name ? l : NULL;
}

/* A row of the guest view's kinds (guest or vmm view) into P's figures. */
static int add_figure(struct report_phase *p, const struct rec_stat *s)
{
	struct report_lat *l;

	if (!strcmp(s->kind, "syscall")) {
		l = syscall_get(p, s->key, s->name);
		if (!l)
			return -ENOMEM;
		lat_add_stat(l, s);
	} else if (!strcmp(s->kind, "fault")) {
		if (s->key >= 0 && s->key < HVT_FAULT_KINDS)
			p->fault[s->key] += s->count;
	} else if (!strcmp(s->kind, "proc")) {
		if (s->key >= 0 && s->key < HVT_PROC_KINDS)
			p->proc[s->key] += s->count;
	} else if (!strcmp(s->kind, "sched")) {
		switch (s->key) {
		case HVT_SCHED_RUNQ:
			lat_add_stat(&p->runq, s);
			break;
		case HVT_SCHED_VOLUNTARY:
			p->ctx_voluntary += s->count;
			break;
		case HVT_SCHED_INVOLUNTARY:
			p->ctx_involuntary += s->count;
			break;
		case HVT_SCHED_ONCPU:
			p->oncpu_ns += s->sum_ns;
			break;
		}
	} else if (!strcmp(s->kind, "cpu")) {
		if (s->key == HVT_CPU_USER) {
			p->cpu_user_ns += s->sum_ns;
			p->cpu_threads += s->count;
		} else if (s->key == HVT_CPU_SYS) {
			p->cpu_sys_ns += s->sum_ns;
		}
	} else if (!strcmp(s->kind, "steal")) {
		p->steal_ns += s->sum_ns;
	} else if (!strcmp(s->kind, "lost")) {
		p->lost += s->count;
	}
	return 0;
}

static int is_figure_kind(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(figure_kinds) / sizeof(figure_kinds[0]); i++)
		if (!strcmp(kind, figure_kinds[i]))
			return 1;
	return 0;
}

enum host_row {
	HOST_NONE,		/* a kind this version does not know */
	HOST_KVM,		/* a kind of enum hvt_kvm_kind */
	HOST_VCPU,		/* its per-vCPU rows */
	HOST_LOST,
	HOST_DOMAIN,		/* libvirt's vm.* */
};

/* What a host-view row of KIND is; *ret_k: its enum hvt_kvm_kind, or REPORT_VCPU_*. */
static enum host_row host_row_of(const char *kind, int *ret_k)
{
	size_t len;
	int k;

	if (!strncmp(kind, "vm.", 3))
		return HOST_DOMAIN;
	if (!strcmp(kind, "lost"))
		return HOST_LOST;
	for (k = 0; k < HVT_KVM_KINDS; k++) {
		const char *name = host_view_kind_name(k);

		if (!strcmp(kind, name)) {
			*ret_k = k;
			return HOST_KVM;
		}
	}
	for (k = 0; k < REPORT_VCPU_KINDS; k++) {
		const char *name = host_view_kind_name(report_vcpu_kinds[k]);

		len = strlen(name);
		if (!strncmp(kind, name, len) && !strcmp(kind + len, "_vcpu")) {
			*ret_k = k;
			return HOST_VCPU;
		}
	}
	return HOST_NONE;
}

/* Inserts into the array *ARR of *N elements of size SZ a zeroed one at AT. */
static void *insert_at(void *arr_ptr, size_t *n, size_t sz, size_t at)
{
	void **arr = arr_ptr;
	char *p = realloc(*arr, (*n + 1) * sz);

	if (!p)
		return NULL;
	*arr = p;
	memmove(p + (at + 1) * sz, p + at * sz, (*n - at) * sz);
	memset(p + at * sz, 0, sz);
	(*n)++;
	return p + at * sz;
}

/*
 * The item of L with KEY. While a model is built its lists are ordered by
 * key (rows come in key order, so most keys are appended), which keeps the
 * lookups of lists with thousands of MMIO pages cheap.
 */
static struct report_lat *list_get(struct report_list *l, int64_t key, const char *name)
{
	size_t lo = 0, hi = l->n;
	struct report_lat *it;
	char buf[32];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->items[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < l->n && l->items[lo].key == key)
		return &l->items[lo];
	it = insert_at(&l->items, &l->n, sizeof(*it), lo);
	if (!it)
		return NULL;
	it->key = key;
	if (!name || !*name) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)key);
		name = buf;
	}
	it->name = strdup(name);
	return it->name ? it : NULL;
}

static struct report_vcpu *vcpu_get(struct report_host *h, unsigned int vcpu)
{
	struct report_vcpu *v;
	size_t i;
	int k;

	for (i = 0; i < h->n_vcpus; i++)
		if (h->vcpus[i].vcpu == vcpu)
			return &h->vcpus[i];
	v = append(&h->vcpus, &h->n_vcpus, sizeof(*v));
	if (!v)
		return NULL;
	v->vcpu = vcpu;
	for (k = 0; k < REPORT_VCPU_KINDS; k++)
		v->lat[k].key = vcpu;
	return v;
}

/* libvirt's times end in these words; its other values are counts (bytes: ".bytes"). */
static enum report_unit vmstat_unit(const char *stat)
{
	static const char *const times[] = { "time", "times", "user", "system", "wait", "delay" };
	const char *last = strrchr(stat, '.');
	size_t i;

	last = last ? last + 1 : stat;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (!strcmp(last, times[i]))
			return REPORT_UNIT_NS;
	return strcmp(last, "bytes") ? REPORT_UNIT_COUNT : REPORT_UNIT_BYTES;
}

static struct report_vmstat *vmstat_get(struct report_host *h, unsigned int vm,
					unsigned int index, const char *stat, const char *device)
{
	struct report_vmstat *v;
	char buf[16];
	size_t i;

	for (i = 0; i < h->n_vmstats; i++) {
		v = &h->vmstats[i];
		if (v->vm == vm && v->index == index && !strcmp(v->stat, stat))
			return v;
	}
	v = append(&h->vmstats, &h->n_vmstats, sizeof(*v));
	if (!v)
		return NULL;
	v->vm = vm;
	v->index = index;
	v->unit = vmstat_unit(stat);
	if (!device || !*device) {
		snprintf(buf, sizeof(buf), "%u", index);
		device = buf;
	}
	v->stat = strdup(stat);
	v->device = strdup(device);
	return v->stat && v->device ? v : NULL;
}

/* A host-view row into H. */
static int add_host(struct report_host *h, const struct rec_stat *s)
{
	struct report_vmstat *vs;
	struct report_vcpu *v;
	struct report_lat *l;
	int k = 0;

	switch (host_row_of(s->kind, &k)) {
	case HOST_KVM:
		l = list_get(&h->kvm[k], s->key, s->name);
		if (!l)
			return -ENOMEM;
		lat_add_stat(l, s);
		break;
	case HOST_VCPU:
		v = vcpu_get(h, (unsigned int)((uint64_t)s->key >> VCPU_SHIFT));
		if (!v)
			return -ENOMEM;
		lat_add_stat(&v->lat[k], s);
		break;
	case HOST_LOST:
		h->lost += s->count;
		break;
	case HOST_DOMAIN:
		vs = vmstat_get(h, (unsigned int)((uint64_t)s->key >> VM_SHIFT), (uint32_t)s->key,
				s->kind + 3, s->name);
		if (!vs)
			return -ENOMEM;
		vs->value += vs->unit == REPORT_UNIT_NS ? s->sum_ns : s->count;
		break;
	case HOST_NONE:
		break;
	}
	return 0;
}

/* Whether the report shows S: a kind of a view it knows. */
static int row_known(const struct rec_stat *s)
{
	int k;

	if (!strcmp(s->view, "guest"))
		return 1;
	if (!strcmp(s->view, "vmm"))
		return is_figure_kind(s->kind);
	return !strcmp(s->view, "host") && host_row_of(s->kind, &k) != HOST_NONE;
}

static int add_stat(struct report *rep, const struct rec_stat *s)
{
	struct report_phase *p;

	if (!row_known(s))
		return 0;
	p = phase_get(rep, s->phase);
	if (!p)
		return -ENOMEM;
	if (!strcmp(s->view, "guest"))
		return add_figure(p, s);
	if (!strcmp(s->view, "vmm"))
		return add_figure(p->vmm, s);
	return add_host(p->host, s);
}

static struct report_counter *counter_get(struct report_phase *p, const char *event)
{
	struct report_counter *c;
	size_t i;

	for (i = 0; i < p->n_counters; i++)
		if (!strcmp(p->counters[i].event, event))
			return &p->counters[i];
	c = append(&p->counters, &p->n_counters, sizeof(*c));
	if (!c)
		return NULL;
	c->event = strdup(event);
	c->scaled = NAN;
	return c->event ? c : NULL;
}

/*
 * perf scales a multiplexed counter by enabled/running; a counter that was
 * enabled but never got a hardware slot has no estimate at all.
 */
static double counter_scaled(const struct report_counter *c)
{
	if (!c->supported)
		return NAN;
	if (c->running_ns == c->enabled_ns)
		return (double)c->value;
	if (!c->running_ns)
		return NAN;
	return (double)c->value * (double)c->enabled_ns / (double)c->running_ns;
}

static int add_counter(struct report *rep, const struct rec_counter *rc)
{
	struct report_phase *p = phase_get(rep, rc->phase);
	struct report_counter *c;

	if (!p)
		return -ENOMEM;
	c = counter_get(p, rc->event);
	if (!c)
		return -ENOMEM;
	c->supported = rc->supported;
	c->value = rc->value;
	c->enabled_ns = rc->enabled_ns;
	c->running_ns = rc->running_ns;
	c->scaled = counter_scaled(c);
	return 0;
}

static void lat_finish(struct report_lat *l, uint64_t total_ns)
{
	l->mean_ns = report_ratio((double)l->sum_ns, (double)l->count);
	if (l->count == 1) {
		/* One event: its latency is known exactly, no estimate needed. */
		l->p50_ns = l->p99_ns = (double)l->sum_ns;
	} else if (l->has_hist) {
		l->p50_ns = hist_percentile_clamped(l->hist, 50, l->min_ns, l->max_ns);
		l->p99_ns = hist_percentile_clamped(l->hist, 99, l->min_ns, l->max_ns);
	} else {
		l->p50_ns = l->p99_ns = NAN;
	}
	l->share = report_ratio((double)l->sum_ns, (double)total_ns);
}

/* Most total time first; ties by more calls, then by number, so output is stable. */
static int lat_cmp(const void *a, const void *b)
{
	const struct report_lat *x = a, *y = b;

	if (x->sum_ns != y->sum_ns)
		return x->sum_ns > y->sum_ns ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct report_counter *)a)->event,
		      ((const struct report_counter *)b)->event);
}

static void list_finish(struct report_list *l)
{
	size_t i;

	l->count = l->sum_ns = 0;
	for (i = 0; i < l->n; i++) {
		l->count += l->items[i].count;
		l->sum_ns += l->items[i].sum_ns;
	}
	for (i = 0; i < l->n; i++) {
		lat_finish(&l->items[i], l->sum_ns);
		if (!l->timed)
			l->items[i].share = report_ratio((double)l->items[i].count,
							 (double)l->count);
	}
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), lat_cmp);
}

static int vcpu_cmp(const void *a, const void *b)
{
	const struct report_vcpu *x = a, *y = b;

	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/* libvirt's groups in the order docs/recording-format.md lists them. */
static int vmstat_group(const char *stat)
{
	static const char *const groups[] = { "cpu.", "vcpu.", "block.", "net." };
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strncmp(stat, groups[i], strlen(groups[i])))
			return (int)i;
	return (int)i;
}

static int vmstat_cmp(const void *a, const void *b)
{
	const struct report_vmstat *x = a, *y = b;
	int gx = vmstat_group(x->stat), gy = vmstat_group(y->stat);

	if (x->vm != y->vm)
		return x->vm < y->vm ? -1 : 1;
	if (gx != gy)
		return gx < gy ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return strcmp(x->stat, y->stat);
}

static void host_finish(struct report_host *h)
{
	size_t i;
	int k;

	for (k = 0; k < HVT_KVM_KINDS; k++)
		list_finish(&h->kvm[k]);
	for (i = 0; i < h->n_vcpus; i++)
		for (k = 0; k < REPORT_VCPU_KINDS; k++)
			lat_finish(&h->vcpus[i].lat[k], 0);
	if (h->n_vcpus > 1)
		qsort(h->vcpus, h->n_vcpus, sizeof(*h->vcpus), vcpu_cmp);
	if (h->n_vmstats > 1)
		qsort(h->vmstats, h->n_vmstats, sizeof(*h->vmstats), vmstat_cmp);
}

void report_list_rest(const struct report_list *l, size_t shown, struct report_lat *ret)
{
	size_t i;

	memset(ret, 0, sizeof(*ret));
	for (i = shown; i < l->n; i++) {
		lat_merge(ret, &l->items[i]);
		ret->key++;
	}
	lat_finish(ret, l->sum_ns);
	if (!l->timed)
		ret->share = report_ratio((double)ret->count, (double)l->count);
}

/* Derived figures of a phase whose raw sums are complete (wall excepted). */
static void phase_finish(struct report_phase *p)
{
	size_t i;
	int k;

	if (p->vmm)
		phase_finish(p->vmm);
	if (p->host)
		host_finish(p->host);

	p->syscall_count = p->syscall_ns = 0;
	for (i = 0; i < p->n_syscalls; i++) {
		p->syscall_count += p->syscalls[i].count;
		p->syscall_ns += p->syscalls[i].sum_ns;
	}
	for (i = 0; i < p->n_syscalls; i++)
		lat_finish(&p->syscalls[i], p->syscall_ns);
	if (p->n_syscalls > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(p->syscalls, p->n_syscalls, sizeof(*p->syscalls), lat_cmp);
	lat_finish(&p->runq, 0);
	p->procs_started = p->proc[HVT_PROC_FORK] + p->proc[HVT_PROC_VFORK] +
			   p->proc[HVT_PROC_CLONE];
	p->faults = 0;
	for (k = 0; k < HVT_FAULT_KINDS; k++)
		p->faults += p->fault[k];
	if (p->n_counters > 1)
		qsort(p->counters, p->n_counters, sizeof(*p->counters), counter_cmp);
}

static int phase_id_cmp(const void *a, const void *b)
{
	const struct report_phase *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The latest time the recording knows of, for a phase that never ended. */
static int64_t last_seen_mono(const struct recording *rec)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < rec->n_procs; i++) {
		if (rec->procs[i].start_mono > t)
			t = rec->procs[i].start_mono;
		if (rec->procs[i].end_mono > t)
			t = rec->procs[i].end_mono;
	}
	for (i = 0; i < rec->n_phases; i++) {
		if (rec->phases[i].start_mono > t)
			t = rec->phases[i].start_mono;
		if (rec->phases[i].end_mono > t)
			t = rec->phases[i].end_mono;
	}
	return t;
}

/*
 * Phases are contiguous (docs/recording-format.md), so an unfinished phase
 * followed by another ended when that one started; the last one ended when
 * the run did, if the run's end was recorded.
 */
static void phase_walls(struct report *rep, const struct recording *rec)
{
	int64_t run_end = recording_meta_int(rec, "end_mono_ns", 0);
	int64_t seen = last_seen_mono(rec);
	size_t i;

	for (i = 0; i < rep->n_phases; i++) {
		struct report_phase *p = &rep->phases[i];
		int64_t end = p->end_mono;

		p->finished = end > 0;
		p->wall_kind = REPORT_WALL_EXACT;
		if (!end && i + 1 < rep->n_phases && rep->phases[i + 1].start_mono > 0)
			end = rep->phases[i + 1].start_mono;
		else if (!end && run_end > 0)
			end = run_end;
		if (!end) {
			end = seen;
			p->wall_kind = REPORT_WALL_AT_LEAST;
		}
		if (!p->start_mono || end <= p->start_mono) {
			p->wall_ns = 0;
			if (!p->finished || !p->start_mono)
				p->wall_kind = REPORT_WALL_UNKNOWN;
		} else {
			p->wall_ns = end - p->start_mono;
		}
	}
}

static int host_merge(struct report_host *t, const struct report_host *h)
{
	struct report_vmstat *vs;
	struct report_vcpu *v;
	struct report_lat *l;
	size_t i;
	int k;

	for (k = 0; k < HVT_KVM_KINDS; k++) {
		for (i = 0; i < h->kvm[k].n; i++) {
			l = list_get(&t->kvm[k], h->kvm[k].items[i].key, h->kvm[k].items[i].name);
			if (!l)
				return -ENOMEM;
			lat_merge(l, &h->kvm[k].items[i]);
		}
	}
	for (i = 0; i < h->n_vcpus; i++) {
		v = vcpu_get(t, h->vcpus[i].vcpu);
		if (!v)
			return -ENOMEM;
		for (k = 0; k < REPORT_VCPU_KINDS; k++)
			lat_merge(&v->lat[k], &h->vcpus[i].lat[k]);
	}
	t->lost += h->lost;
	for (i = 0; i < h->n_vmstats; i++) {
		const struct report_vmstat *src = &h->vmstats[i];

		vs = vmstat_get(t, src->vm, src->index, src->stat, src->device);
		if (!vs)
			return -ENOMEM;
		vs->value += src->value;
	}
	return 0;
}

static int merge_into_total(struct report_phase *t, const struct report_phase *p)
{
	size_t i;
	int k, err;

	if (p->host) {
		err = host_merge(t->host, p->host);
		if (err)
			return err;
	}
	if (p->vmm) {
		err = merge_into_total(t->vmm, p->vmm);
		if (err)
			return err;
	}
	t->cpu_user_ns += p->cpu_user_ns;
	t->cpu_sys_ns += p->cpu_sys_ns;
	t->cpu_threads += p->cpu_threads;
	t->oncpu_ns += p->oncpu_ns;
	for (k = 0; k < HVT_PROC_KINDS; k++)
		t->proc[k] += p->proc[k];
	for (k = 0; k < HVT_FAULT_KINDS; k++)
		t->fault[k] += p->fault[k];
	t->ctx_voluntary += p->ctx_voluntary;
	t->ctx_involuntary += p->ctx_involuntary;
	lat_merge(&t->runq, &p->runq);
	t->steal_ns += p->steal_ns;
	t->lost += p->lost;
	for (i = 0; i < p->n_syscalls; i++) {
		struct report_lat *l = syscall_get(t, p->syscalls[i].key, p->syscalls[i].name);

		if (!l)
			return -ENOMEM;
		lat_merge(l, &p->syscalls[i]);
	}
	for (i = 0; i < p->n_counters; i++) {
		const struct report_counter *src = &p->counters[i];
		struct report_counter *c = counter_get(t, src->event);

		if (!c)
			return -ENOMEM;
		/* A run's estimate is known only if every supporting phase's is (NAN sticks). */
		if (src->supported) {
			c->scaled = c->supported ? c->scaled + src->scaled : src->scaled;
			c->supported = 1;
		}
		c->value += src->value;
		c->enabled_ns += src->enabled_ns;
		c->running_ns += src->running_ns;
	}
	return 0;
}

static int build_total(struct report *rep, const struct recording *rec)
{
	struct report_phase *t = &rep->total;
	int64_t start = recording_meta_int(rec, "start_mono_ns", 0);
	int64_t end = recording_meta_int(rec, "end_mono_ns", 0);
	int64_t wall = recording_meta_int(rec, "wall_ns", -1);
	size_t i;
	int err;

	err = phase_init(t, -1, "total", "");
	if (!err)
		err = phase_views(rep, t);
	if (err)
		return err;
	t->finished = rep->complete;
	if (!start && rep->n_phases)
		start = rep->phases[0].start_mono;
	t->start_mono = start;
	t->end_mono = end;
	t->wall_kind = REPORT_WALL_EXACT;
	for (i = 0; i < rep->n_phases; i++) {
		err = merge_into_total(t, &rep->phases[i]);
		if (err)
			return err;
	}
	if (wall >= 0) {
		t->wall_ns = wall;
	} else if (end > start && start > 0) {
		t->wall_ns = end - start;
	} else {
		/* No recorded end: the phases' walls, as exact as the least exact one. */
		for (i = 0; i < rep->n_phases; i++) {
			t->wall_ns += rep->phases[i].wall_ns;
			if (rep->phases[i].wall_kind > t->wall_kind)
				t->wall_kind = rep->phases[i].wall_kind;
		}
		if (!rep->n_phases)
			t->wall_kind = REPORT_WALL_UNKNOWN;
	}
	phase_finish(t);
	return 0;
}

static int copy_meta(struct report *rep, const struct recording *rec)
{
	int oom = 0;

	rep->path = dup_or_null(rec->path, &oom);
	rep->label = dup_or_null(recording_meta(rec, "label"), &oom);
	rep->command = dup_or_null(recording_meta(rec, "command"), &oom);
	rep->hostname = dup_or_null(recording_meta(rec, "hostname"), &oom);
	rep->kernel = dup_or_null(recording_meta(rec, "kernel"), &oom);
	rep->cpu_model = dup_or_null(recording_meta(rec, "cpu_model"), &oom);
	rep->hypervisor = dup_or_null(recording_meta(rec, "hypervisor"), &oom);
	rep->scope = dup_or_null(recording_meta(rec, "scope"), &oom);
	rep->hvtrace_version = dup_or_null(recording_meta(rec, "hvtrace_version"), &oom);
	rep->cpu_count = recording_meta_int(rec, "cpu_count", -1);
	rep->mem_bytes = recording_meta_int(rec, "mem_bytes", -1);
	rep->start_real_ns = recording_meta_int(rec, "start_real_ns", 0);
	rep->exit_status = recording_meta_int(rec, "exit_status", -1);
	rep->rusage_user_ns = recording_meta_int(rec, "rusage_user_ns", -1);
	rep->rusage_sys_ns = recording_meta_int(rec, "rusage_sys_ns", -1);
	rep->phases_merged = recording_meta_int(rec, "phases_merged", 0);
	rep->complete = recording_meta_int(rec, "complete", 0) == 1;
	return oom ? -ENOMEM : 0;
}

/* Meta vm.N.KEY; in a merged recording the host recording's, host.vm.N.KEY. */
static const char *vm_meta(const struct recording *rec, unsigned int vm, const char *key)
{
	char k[96];
	const char *v;

	snprintf(k, sizeof(k), "vm.%u.%s", vm, key);
	v = recording_meta(rec, k);
	if (v)
		return v;
	snprintf(k, sizeof(k), "host.vm.%u.%s", vm, key);
	return recording_meta(rec, k);
}

static int64_t vm_meta_int(const struct recording *rec, unsigned int vm, const char *key)
{
	const char *v = vm_meta(rec, vm, key);
	char *end;
	long long n;

	if (!v || !*v)
		return -1;
	n = strtoll(v, &end, 10);
	return *end ? -1 : n;
}

static struct report_vm *vm_get(struct report *rep, unsigned int vm)
{
	struct report_vm *v;
	size_t i;

	for (i = 0; i < rep->n_vms; i++)
		if (rep->vms[i].vm == vm)
			return &rep->vms[i];
	v = append(&rep->vms, &rep->n_vms, sizeof(*v));
	if (v)
		v->vm = vm;
	return v;
}

const struct report_vm *report_vm_find(const struct report *rep, unsigned int vm)
{
	size_t i;

	for (i = 0; i < rep->n_vms; i++)
		if (rep->vms[i].vm == vm)
			return &rep->vms[i];
	return NULL;
}

static int vm_cmp(const void *a, const void *b)
{
	const struct report_vm *x = a, *y = b;

	return x->vm < y->vm ? -1 : x->vm > y->vm;
}

/*
 * Which views the recording has (only rows of kinds this version shows
 * count), and its VMs: those of meta vm.N.* (--vm) and of libvirt rows.
 */
static int find_views(struct report *rep, const struct recording *rec)
{
	struct report_vm *v;
	unsigned long vm;
	const char *key;
	char *end;
	size_t i;
	int oom = 0, k;

	for (i = 0; i < rec->n_stats; i++) {
		const struct rec_stat *s = &rec->stats[i];
		enum host_row row;

		if (!strcmp(s->view, "vmm")) {
			rep->has_vmm |= is_figure_kind(s->kind);
			continue;
		}
		if (strcmp(s->view, "host"))
			continue;
		row = host_row_of(s->kind, &k);
		rep->has_kvm |= row == HOST_KVM || row == HOST_VCPU || row == HOST_LOST;
		if (row == HOST_DOMAIN) {
			rep->has_domains = 1;
			if (!vm_get(rep, (unsigned int)((uint64_t)s->key >> VM_SHIFT)))
				return -ENOMEM;
		}
	}
	for (i = 0; i < rec->n_meta; i++) {
		key = rec->meta[i].key;
		if (!strncmp(key, "host.", 5))
			key += 5;
		if (strncmp(key, "vm.", 3) || key[3] < '0' || key[3] > '9')
			continue;
		vm = strtoul(key + 3, &end, 10);
		if (*end == '.' && vm <= UINT32_MAX && !vm_get(rep, (unsigned int)vm))
			return -ENOMEM;
	}
	for (i = 0; i < rep->n_vms; i++) {
		v = &rep->vms[i];
		v->name = dup_or_null(vm_meta(rec, v->vm, "name"), &oom);
		v->hypervisor = dup_or_null(vm_meta(rec, v->vm, "hypervisor"), &oom);
		v->domain_type = dup_or_null(vm_meta(rec, v->vm, "domain_type"), &oom);
		v->state = dup_or_null(vm_meta(rec, v->vm, "state"), &oom);
		v->vcpus = vm_meta_int(rec, v->vm, "vcpus");
		v->mem_bytes = vm_meta_int(rec, v->vm, "mem_bytes");
	}
	if (rep->n_vms > 1)
		qsort(rep->vms, rep->n_vms, sizeof(*rep->vms), vm_cmp);
	return oom ? -ENOMEM : 0;
}

/* The VMM process's steal share is of the phase's wall, as the guest's is. */
static void vmm_shares(struct report_phase *p)
{
	if (!p->vmm)
		return;
	p->vmm->wall_ns = p->wall_ns;
	p->vmm->wall_kind = p->wall_kind;
	p->vmm->steal_share = report_ratio((double)p->vmm->steal_ns, (double)p->wall_ns);
}

struct report *report_build(const struct recording *rec)
{
	struct report *rep;
	int64_t lost;
	size_t i;
	int err;

	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		errno = ENOMEM;
		return NULL;
	}
	err = copy_meta(rep, rec);
	if (!err)
		err = find_views(rep, rec);
	if (err)
		goto out_free;
	for (i = 0; i < rec->n_phases; i++) {
		const struct rec_phase *rp = &rec->phases[i];
		struct report_phase *p = append(&rep->phases, &rep->n_phases, sizeof(*p));

		if (!p || phase_init(p, rp->id, rp->name, rp->source) || phase_views(rep, p)) {
			err = -ENOMEM;
			goto out_free;
		}
		p->pid = rp->pid;
		p->exit_status = rp->exit_status;
		p->start_mono = rp->start_mono;
		p->end_mono = rp->end_mono;
	}
	for (i = 0; i < rec->n_stats; i++) {
		err = add_stat(rep, &rec->stats[i]);
		if (err)
			goto out_free;
	}
	for (i = 0; i < rec->n_counters; i++) {
		err = add_counter(rep, &rec->counters[i]);
		if (err)
			goto out_free;
	}
	if (rep->n_phases > 1)
		qsort(rep->phases, rep->n_phases, sizeof(*rep->phases), phase_id_cmp);
	phase_walls(rep, rec);
	for (i = 0; i < rep->n_phases; i++)
		phase_finish(&rep->phases[i]);
	err = build_total(rep, rec);
	if (err)
		goto out_free;
	for (i = 0; i < rep->n_phases; i++) {
		struct report_phase *p = &rep->phases[i];

		p->share_of_run = report_ratio((double)p->wall_ns, (double)rep->total.wall_ns);
		if (p->wall_kind == REPORT_WALL_UNKNOWN)
			p->share_of_run = NAN;
		p->steal_share = report_ratio((double)p->steal_ns, (double)p->wall_ns);
		vmm_shares(p);
	}
	rep->total.share_of_run = report_ratio((double)rep->total.wall_ns,
					       (double)rep->total.wall_ns);
	rep->total.steal_share = report_ratio((double)rep->total.steal_ns,
					      (double)rep->total.wall_ns);
	vmm_shares(&rep->total);
	lost = recording_meta_int(rec, "lost_events", -1);
	rep->lost_events = lost >= 0 ? (uint64_t)lost : rep->total.lost;
	return rep;

out_free:
	report_free(rep);
	errno = -err;
	return NULL;
}
