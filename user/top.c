// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* top: interval deltas of the guest and host views for `hvtrace top`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

#include "../bpf/agg.h"
#include "guest_view.h"
#include "host_view.h"
#include "syscalls.h"
#include "top.h"
#include "util.h"

/* ---- the model ------------------------------------------------------------ */

/* One (kind, key) summed over vCPUs: its value at this read and the last. */
struct entry {
	uint64_t key;
	uint16_t kind;
	uint16_t used;
	uint32_t gen;		/* read that last reset cur */
	uint64_t count, sum_ns;
	uint64_t prev_count, prev_sum;
};

struct snap2 {
	uint64_t count, sum_ns;
};

struct top_model {
	struct entry *tab;	/* open addressing, cap a power of two */
	size_t cap, n;
	uint32_t gen;
	int err;		/* first failure while feeding, -errno */
	uint64_t lost;
	int have_guest;
	struct snap2 sys[HVT_NR_SYSCALLS], sys_prev[HVT_NR_SYSCALLS];
	struct hvt_counts counts, counts_prev;
	struct snap2 runq, runq_prev;
};

static uint64_t entry_hash(uint16_t kind, uint64_t key)
{
	uint64_t h = key ^ ((uint64_t)kind << 56);

	/* splitmix64's finalizer */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static struct entry *entry_find(struct entry *tab, size_t cap, uint16_t kind, uint64_t key)
{
	size_t i = entry_hash(kind, key) & (cap - 1);

	while (tab[i].used && (tab[i].kind != kind || tab[i].key != key))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int entries_grow(struct top_model *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i;
	struct entry *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->tab[i].used)
			*entry_find(tab, cap, m->tab[i].kind, m->tab[i].key) = m->tab[i];
	free(m->tab);
	m->tab = tab;
	m->cap = cap;
	return 0;
}

struct top_model *top_model_new(void)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (m && entries_grow(m)) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void top_model_free(struct top_model *m)
{
	if (!m)
		return;
	free(m->tab);
	free(m);
}

void top_model_begin(struct top_model *m)
{
	m->gen++;
	m->err = 0;
	m->have_guest = 0;
}

void top_model_kvm(void *ctx, enum hvt_kvm_kind kind, unsigned int vcpu, uint64_t key,
		   const struct hvt_agg *a)
{
	struct top_model *m = ctx;
	struct entry *e;

	if ((unsigned int)kind >= HVT_KVM_KINDS)
		return;
	if ((m->n + 1) * 2 > m->cap && entries_grow(m)) {
		m->err = -ENOMEM;
		return;
	}
	e = entry_find(m->tab, m->cap, kind, key);
	if (!e->used) {
		e->used = 1;
		e->kind = kind;
		e->key = key;
		m->n++;
	}
	/* Aggregates of one key arrive once per vCPU: sum them. */
	if (e->gen != m->gen) {
		e->gen = m->gen;
		e->count = 0;
		e->sum_ns = 0;
	}
	e->count += a->count;
	e->sum_ns += a->sum_ns;
}

void top_model_kvm_lost(struct top_model *m, uint64_t lost)
{
	m->lost = lost;
}

void top_model_guest(struct top_model *m, const struct hvt_agg sys[HVT_NR_SYSCALLS],
		     const struct hvt_counts *c, const struct hvt_agg *runq)
{
	int nr;

	for (nr = 0; nr < HVT_NR_SYSCALLS; nr++) {
		m->sys[nr].count = sys[nr].count;
		m->sys[nr].sum_ns = sys[nr].sum_ns;
	}
	m->counts = *c;
	m->runq.count = runq->count;
	m->runq.sum_ns = runq->sum_ns;
	m->have_guest = 1;
}

void top_snap_free(struct top_snap *s)
{
	free(s->rows);
	free(s->sys);
	memset(s, 0, sizeof(*s));
}

/* A counter's change; one that went backwards (a map entry evicted) counts from zero. */
static uint64_t delta(uint64_t now, uint64_t prev)
{
	return now >= prev ? now - prev : now;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->sum_ns != b->sum_ns)
		return a->sum_ns > b->sum_ns ? -1 : 1;
	if (a->vmm_ns != b->vmm_ns)
		return a->vmm_ns > b->vmm_ns ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

static int sys_cmp(const void *pa, const void *pb)
{
	const struct top_syscall *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->nr - b->nr;
}

static struct top_row *row_add(struct top_snap *s, enum hvt_kvm_kind kind, uint64_t key)
{
	struct top_row *r = &s->rows[s->n_rows++];
	char buf[TOP_NAME_LEN];

	r->kind = kind;
	r->key = key;
	snprintf(r->name, sizeof(r->name), "%s", host_view_key_name(kind, key, buf, sizeof(buf)));
	return r;
}

static int kvm_end(struct top_model *m, struct top_snap *s)
{
	uint64_t dc, ds, total = 0;
	struct entry *e;
	struct top_row *r;
	size_t i, j;

	s->rows = calloc(m->n ? m->n : 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	/* Counted rows first, so that the VMM times find their userspace exits. */
	for (i = 0; i < m->cap; i++) {
		e = &m->tab[i];
		if (!e->used)
			continue;
		total += e->count;
		if (e->kind == HVT_KVM_EXIT || e->kind == HVT_KVM_EXIT_UNPAIRED)
			s->exits_seen |= e->count > 0;
		dc = delta(e->count, e->prev_count);
		ds = delta(e->sum_ns, e->prev_sum);
		if (e->kind == HVT_KVM_VMM || (!dc && !ds))
			continue;
		r = row_add(s, e->kind, e->key);
		r->count = dc;
		r->sum_ns = ds;
	}
	/*
	 * The VMM's time is taken at the next KVM_RUN, so it may fall in the
	 * interval after its exit's: then its row has a count of 0.
	 */
	for (i = 0; i < m->cap; i++) {
		e = &m->tab[i];
		if (!e->used || e->kind != HVT_KVM_VMM)
			continue;
		dc = delta(e->count, e->prev_count);
		ds = delta(e->sum_ns, e->prev_sum);
		if (!dc && !ds)
			continue;
		for (j = 0; j < s->n_rows; j++)	/* a few userspace exit reasons */
			if (s->rows[j].kind == HVT_KVM_UEXIT && s->rows[j].key == e->key)
				break;
		r = j < s->n_rows ? &s->rows[j] : row_add(s, HVT_KVM_UEXIT, e->key);
		r->vmm_count = dc;
		r->vmm_ns = ds;
		s->vmm_ns += ds;
	}
	for (i = 0; i < m->cap; i++) {
		e = &m->tab[i];
		e->prev_count = e->count;
		e->prev_sum = e->sum_ns;
	}
	qsort(s->rows, s->n_rows, sizeof(*s->rows), row_cmp);
	s->kvm = total ? TOP_KVM_ACTIVE : TOP_KVM_IDLE;
	s->kvm_lost = m->lost;
	return 0;
}

static int guest_end(struct top_model *m, struct top_snap *s)
{
	const struct hvt_counts *c = &m->counts, *p = &m->counts_prev;
	struct top_syscall *y;
	char buf[32];
	int nr, i;

	s->sys = calloc(HVT_NR_SYSCALLS, sizeof(*s->sys));
	if (!s->sys)
		return -ENOMEM;
	for (nr = 0; nr < HVT_NR_SYSCALLS; nr++) {
		uint64_t dc = delta(m->sys[nr].count, m->sys_prev[nr].count);

		if (!dc)
			continue;
		y = &s->sys[s->n_sys++];
		y->nr = nr;
		y->count = dc;
		y->sum_ns = delta(m->sys[nr].sum_ns, m->sys_prev[nr].sum_ns);
		snprintf(y->name, sizeof(y->name), "%s", syscall_name(nr, buf, sizeof(buf)));
		s->syscalls += y->count;
		s->syscall_ns += y->sum_ns;
	}
	qsort(s->sys, s->n_sys, sizeof(*s->sys), sys_cmp);
	for (i = 0; i < HVT_FAULT_KINDS; i++) {
		uint64_t d = delta(c->fault[i], p->fault[i]);

		s->faults += d;
		if (i <= HVT_FAULT_USER_EXEC)
			s->faults_user += d;
	}
	s->ctx_voluntary = delta(c->sched[HVT_SCHED_VOLUNTARY], p->sched[HVT_SCHED_VOLUNTARY]);
	s->ctx_involuntary = delta(c->sched[HVT_SCHED_INVOLUNTARY],
				   p->sched[HVT_SCHED_INVOLUNTARY]);
	s->oncpu_ns = delta(c->sched[HVT_SCHED_ONCPU], p->sched[HVT_SCHED_ONCPU]);
	s->forks = delta(c->proc[HVT_PROC_FORK], p->proc[HVT_PROC_FORK]) +
		   delta(c->proc[HVT_PROC_VFORK], p->proc[HVT_PROC_VFORK]) +
		   delta(c->proc[HVT_PROC_CLONE], p->proc[HVT_PROC_CLONE]);
	s->execs = delta(c->proc[HVT_PROC_EXEC], p->proc[HVT_PROC_EXEC]);
	s->exits = delta(c->proc[HVT_PROC_EXIT], p->proc[HVT_PROC_EXIT]);
	s->runq_count = delta(m->runq.count, m->runq_prev.count);
	s->runq_ns = delta(m->runq.sum_ns, m->runq_prev.sum_ns);
	memcpy(m->sys_prev, m->sys, sizeof(m->sys));
	m->counts_prev = m->counts;
	m->runq_prev = m->runq;
	return 0;
}

int top_model_end(struct top_model *m, double secs, int have_kvm, struct top_snap *ret)
{
	int err;

	top_snap_free(ret);
	ret->secs = secs;
	if (m->err)
		return m->err;
	if (have_kvm) {
		err = kvm_end(m, ret);
		if (err)
			return err;
	} else {
		ret->kvm = TOP_KVM_UNAVAILABLE;
	}
	return m->have_guest ? guest_end(m, ret) : 0;
}

/* ---- live ------------------------------------------------------------------ */

struct top {
	struct guest_view *gv;
	struct host_view *hv;		/* NULL: no KVM tracepoints here */
	struct top_model *m;
	struct hvt_agg *sys;		/* [HVT_NR_SYSCALLS] */
	int64_t last_ns;
	char kvm_why[256];
};

/* top follows no process events: fork and exit are in the counts already. */
static void on_event(void *ctx, const struct hvt_event *e)
{
}

/*
 * `hvtrace top --pid $$` from a shell makes top a descendant of its target:
 * its own map reads must not count as the target's syscalls.
 */
static void untrack_self(struct guest_view *gv)
{
	int fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return;
	bpf_map_delete_elem(guest_view_tasks_fd(gv), &fd);
	close(fd);
}

struct top *top_open(const struct top_opts *o, char *err, size_t errlen)
{
	struct guest_view_opts gvo = { .system_wide = o->system_wide, .self = getpid() };
	struct top_snap base = { 0 };
	struct top *t;
	int ret, e;

	if (!o->system_wide && (o->pid <= 0 || (kill(o->pid, 0) && errno == ESRCH))) {
		snprintf(err, errlen, "no process %d", (int)o->pid);
		errno = ESRCH;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t) {
		t->m = top_model_new();
		t->sys = calloc(HVT_NR_SYSCALLS, sizeof(*t->sys));
	}
	if (!t || !t->m || !t->sys) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto out_free;
	}
	t->gv = guest_view_open(&gvo, on_event, NULL, err, errlen);
	if (!t->gv)
		goto out_free;
	/* Without KVM tracepoints, the guest view of the target still tells something. */
	t->hv = host_view_open(t->gv, &gvo, t->kvm_why, sizeof(t->kvm_why));
	if (!t->hv && errno != ENOENT && errno != ENOTSUP) {
		snprintf(err, errlen, "%s", t->kvm_why);
		goto out_free;
	}
	if (t->hv)
		t->kvm_why[0] = '\0';
	if (!o->system_wide) {
		ret = guest_view_track_tree(t->gv, o->pid);
		if (ret < 0) {
			/* It ended between the check and now. */
			if (ret == -ENOENT)
				ret = -ESRCH;
			snprintf(err, errlen, ret == -ESRCH ? "no process %d" :
				 "cannot follow process %d: %s", (int)o->pid, strerror(-ret));
			errno = -ret;
			goto out_free;
		}
		untrack_self(t->gv);
	}
	/* The baseline: what top itself did while it joined the scope is not counted. */
	t->last_ns = now_mono_ns();
	ret = top_read(t, &base);
	top_snap_free(&base);
	if (ret) {
		snprintf(err, errlen, "cannot read the counters: %s", strerror(-ret));
		errno = -ret;
		goto out_free;
	}
	return t;

out_free:
	e = errno;
	top_close(t);
	errno = e;
	return NULL;
}

void top_close(struct top *t)
{
	if (!t)
		return;
	host_view_close(t->hv);
	guest_view_close(t->gv);
	top_model_free(t->m);
	free(t->sys);
	free(t);
}

const char *top_kvm_why(const struct top *t)
{
	return t->kvm_why;
}

const char *top_probes_missing(const struct top *t)
{
	return t->hv ? host_view_missing(t->hv) : "";
}

int top_events_fd(const struct top *t)
{
	return guest_view_events_fd(t->gv);
}

void top_consume(struct top *t)
{
	guest_view_consume(t->gv);
}

int top_read(struct top *t, struct top_snap *ret)
{
	struct hvt_counts c;
	struct hvt_agg runq;
	int64_t lost, now;
	int err;

	guest_view_consume(t->gv);
	top_model_begin(t->m);
	now = now_mono_ns();
	if (t->hv) {
		lost = host_view_read(t->hv, 0, top_model_kvm, t->m);
		if (lost < 0)
			return lost;
		top_model_kvm_lost(t->m, lost);
	}
	err = guest_view_read_syscalls(t->gv, 0, t->sys) ?:
	      guest_view_read_counts(t->gv, 0, &c) ?:
	      guest_view_read_runq(t->gv, 0, &runq);
	if (err)
		return err;
	top_model_guest(t->m, t->sys, &c, &runq);
	err = top_model_end(t->m, (now - t->last_ns) / 1e9, !!t->hv, ret);
	t->last_ns = now;
	return err;
}
