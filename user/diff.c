// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diff: dT between runs attributed to categories, phase by phase. The rules
 * (which categories are summed, which are waiting or inside others, where a
 * calibrated unit cost replaces a traced latency) are argued in
 * docs/attribution.md; this file applies them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "hist.h"
#include "recfile.h"
#include "report.h"
#include "util.h"

/* What one category is; its class, method and note follow from it (kinds[]). */
enum kind {
	K_SYS,			/* a syscall that does not wait */
	K_SYS_FAST,		/* calls of a may-wait syscall under the split */
	K_SYS_SLOW,		/* its calls at or above the split */
	K_SYS_WAIT,		/* a blocking syscall */
	K_SYS_FORK,		/* clone, clone3, fork, vfork */
	K_FAULT_USER,
	K_FAULT_KERNEL,
	K_PROC_LIFE,		/* processes started, each a fork and an exit */
	K_PROC_EXEC,
	K_RUNQ,
	K_CTX,
	K_CPU_USER,
	K_CPU_SYS,
	K_STEAL,
	K_SYS_ENTRY,		/* entry/exit of all syscalls, when not folded into each */
	K_HOST_EXIT,
	K_HOST_VMM,
	K_KINDS,
};

static const struct kind_info {
	const char *group;
	enum diff_class cls;
	enum diff_method method;
	const char *probe;
	const char *note;
	int has_count;
	int host;
} kinds[K_KINDS] = {
	[K_SYS] = { "syscall", DIFF_EXPLAINED, DIFF_TRACED, NULL, NULL, 1, 0 },
	[K_SYS_FAST] = { "syscall", DIFF_EXPLAINED, DIFF_TRACED_SPLIT, NULL,
			 "calls under 1.05 ms; slower ones are under waiting", 1, 0 },
	[K_SYS_SLOW] = { "syscall", DIFF_WAITING, DIFF_TRACED_SPLIT, NULL,
			 "calls of 1.05 ms or more: a pipe, socket or device may block it", 1, 0 },
	[K_SYS_WAIT] = { "syscall", DIFF_WAITING, DIFF_TRACED, NULL,
			 "blocks: waits for other processes or the clock", 1, 0 },
	[K_SYS_FORK] = { "syscall", DIFF_EXPLAINED, DIFF_TRACED, NULL, NULL, 1, 0 },
	[K_FAULT_USER] = { "fault", DIFF_EXPLAINED, DIFF_CALIBRATED, DIFF_PROBE_FAULT, NULL, 1, 0 },
	[K_FAULT_KERNEL] = { "fault", DIFF_INSIDE, DIFF_CALIBRATED, DIFF_PROBE_FAULT,
			     "taken inside syscalls, whose latency holds it", 1, 0 },
	[K_PROC_LIFE] = { "process", DIFF_EXPLAINED, DIFF_CALIBRATED, DIFF_PROBE_FORK,
			  "processes started (fork, vfork, clone), each a fork and an exit", 1, 0 },
	[K_PROC_EXEC] = { "process", DIFF_INSIDE, DIFF_CALIBRATED, DIFF_PROBE_EXEC,
			  "cross-check (fork_exec_exit - fork_exit); execve's latency holds it",
			  1, 0 },
	[K_RUNQ] = { "sched", DIFF_EXPLAINED, DIFF_TRACED, NULL,
		     "runnable, waiting for a CPU", 1, 0 },
	[K_CTX] = { "sched", DIFF_INSIDE, DIFF_COUNT_ONLY, NULL,
		    "their cost is in run-queue delay and syscall latency", 1, 0 },
	[K_CPU_USER] = { "cpu", DIFF_EXPLAINED, DIFF_CPU_TIME, NULL,
			 "threads that ended in the phase", 1, 0 },
	[K_CPU_SYS] = { "cpu", DIFF_INSIDE, DIFF_CPU_TIME, NULL,
			"holds the syscalls' and page faults' CPU time", 1, 0 },
	[K_STEAL] = { "steal", DIFF_INSIDE, DIFF_CPU_TIME, NULL,
		      "all CPUs of the machine; inside the other categories' time", 0, 0 },
	[K_SYS_ENTRY] = { "syscall", DIFF_EXPLAINED, DIFF_CALIBRATED, DIFF_PROBE_SYSCALL,
			  "the user/kernel round trip of every syscall", 1, 0 },
	[K_HOST_EXIT] = { "exit", DIFF_EXPLAINED, DIFF_TRACED, NULL, NULL, 1, 1 },
	[K_HOST_VMM] = { "vmm", DIFF_EXPLAINED, DIFF_TRACED, NULL, NULL, 1, 1 },
};

static const char note_fork_inside[] =
	"inside fork+exit: its calibrated unit cost holds the fork";
static const char note_vmm_inside[] = "inside the exit that led to it";
static const char note_halt[] = "the vCPU halted: the guest was idle";
static const char *const note_no_cost[] = {
	"no unit cost in A", "no unit cost in B", "no unit cost in A or B",
};

/*
 * Syscalls whose latency is mostly time blocked: waiting for a child, a
 * lock, a timer, or any of several descriptors. Their time covers what other
 * processes (or the clock) did meanwhile.
 */
static const char *const blocking_syscalls[] = {
	"accept", "accept4", "clock_nanosleep", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "flock", "futex", "futex_waitv", "io_getevents", "io_pgetevents",
	"mq_timedreceive", "msgrcv", "nanosleep", "pause", "poll", "ppoll", "pselect6",
	"rt_sigsuspend", "rt_sigtimedwait", "sched_yield", "select", "semop", "semtimedop",
	"wait4", "waitid",
};

/*
 * Syscalls that do work on a file but block on a pipe, a socket, a terminal
 * or a lock: split by latency at DIFF_WAIT_SPLIT_NS.
 */
static const char *const may_wait_syscalls[] = {
	"connect", "fcntl", "ioctl", "mq_timedsend", "msgsnd", "read", "readv", "recvfrom",
	"recvmmsg", "recvmsg", "sendfile", "sendmmsg", "sendmsg", "sendto", "splice", "tee",
	"write", "writev",
};

static const char *const fork_syscalls[] = { "clone", "clone3", "fork", "vfork" };

static int in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

const char *diff_class_name(enum diff_class c)
{
	static const char *const names[DIFF_CLASSES] = {
		"explained", "waiting", "inside", "not_estimated",
	};

	return (unsigned int)c < DIFF_CLASSES ? names[c] : "unknown";
}

const char *diff_method_name(enum diff_method m)
{
	switch (m) {
	case DIFF_TRACED:
		return "traced";
	case DIFF_TRACED_SPLIT:
		return "traced_split";
	case DIFF_CALIBRATED:
		return "calibrated";
	case DIFF_CPU_TIME:
		return "cpu_time";
	case DIFF_COUNT_ONLY:
		return "count_only";
	}
	return "unknown";
}

const char *diff_where_name(enum diff_where w)
{
	switch (w) {
	case DIFF_IN_BOTH:
		return "both";
	case DIFF_ONLY_A:
		return "only_a";
	case DIFF_ONLY_B:
		return "only_b";
	case DIFF_SOME_RUNS:
		return "some_runs";
	}
	return "unknown";
}

/* -0 shows as "-0"; every zero here is a plain zero. */
static double nz(double x)
{
	return x == 0.0 ? 0.0 : x;
}

/* ---- one run ------------------------------------------------------------- */

struct run_in {
	const struct recording *rec;
	struct report *rep;
	double u_fault, u_fork, u_exec, u_sys;	/* unit costs, NAN when not calibrated */
	int has_host;
};

/* One category of one run in one phase (same-named phases summed). */
struct item {
	enum kind kind;
	char *name;
	double count, time;		/* time NAN: unknown */
};

struct bag {
	struct item *items;
	size_t n;
};

static void bag_free(struct bag *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->items[i].name);
	free(b->items);
	b->items = NULL;
	b->n = 0;
}

static struct item *bag_find(const struct bag *b, enum kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->items[i].kind == kind && !strcmp(b->items[i].name, name))
			return &b->items[i];
	return NULL;
}

static int bag_add(struct bag *b, enum kind kind, const char *name, double count, double time)
{
	struct item *it = bag_find(b, kind, name);

	if (!it) {
		it = realloc(b->items, (b->n + 1) * sizeof(*it));
		if (!it)
			return -ENOMEM;
		b->items = it;
		it = &b->items[b->n];
		it->name = strdup(name);
		if (!it->name)
			return -ENOMEM;
		it->kind = kind;
		it->count = it->time = 0;
		b->n++;
	}
	it->count += count;
	it->time += time;
	return 0;
}

/* count x unit, where no events cost nothing whether the unit is known or not. */
static double estimate(double count, double unit)
{
	return count > 0 ? count * unit : 0.0;
}

static double calib_unit(const struct recording *rec, const char *probe)
{
	size_t i;

	for (i = 0; i < rec->n_calib; i++)
		if (!strcmp(rec->calib[i].probe, probe))
			return rec->calib[i].unit_ns > 0 ? rec->calib[i].unit_ns : NAN;
	return NAN;
}

/*
 * Splits a may-wait syscall at DIFF_WAIT_SPLIT_NS. Counts come from the
 * histogram. When calls fall on both sides, the fast calls' sum is estimated
 * from their buckets' midpoints (small in absolute terms, so its error is),
 * kept within what the buckets and the exact total allow, and the slow part
 * is the rest of the exact total.
 */
static void split_lat(const struct report_lat *l, double *fast_n, double *fast_ns,
		      double *slow_n, double *slow_ns)
{
	double fn = 0, fmid = 0, flo = 0, sn = 0, slo = 0, total = (double)l->sum_ns;
	int i;

	for (i = 0; i < HVT_HIST_SLOTS; i++) {
		double c = (double)l->hist[i];

		if (i < DIFF_WAIT_SPLIT_BUCKET) {
			fn += c;
			fmid += c * (hist_bucket_lo(i) + hist_bucket_hi(i)) / 2;
			flo += c * hist_bucket_lo(i);
		} else {
			sn += c;
			slo += c * hist_bucket_lo(i);
		}
	}
	/* The histogram and the count are read together; trust the count. */
	if (sn > (double)l->count)
		sn = (double)l->count;
	fn = (double)l->count - sn;
	if (sn == 0) {
		*fast_ns = total;
	} else if (fn == 0) {
		*fast_ns = 0;
	} else {
		*fast_ns = fmid;
		if (*fast_ns > total - slo)
			*fast_ns = total - slo;
		if (*fast_ns < flo)
			*fast_ns = flo;
		if (*fast_ns > total)
			*fast_ns = total;
		if (*fast_ns < 0)
			*fast_ns = 0;
	}
	*fast_n = fn;
	*slow_n = sn;
	*slow_ns = total - *fast_ns;
}

static int add_syscall(struct bag *b, const struct report_lat *l)
{
	double fn, fns, sn, sns;
	int err;

	if (in_list(l->name, blocking_syscalls, ARRAY_SIZE(blocking_syscalls)))
		return bag_add(b, K_SYS_WAIT, l->name, l->count, l->sum_ns);
	if (in_list(l->name, fork_syscalls, ARRAY_SIZE(fork_syscalls)))
		return bag_add(b, K_SYS_FORK, l->name, l->count, l->sum_ns);
	if (!in_list(l->name, may_wait_syscalls, ARRAY_SIZE(may_wait_syscalls)))
		return bag_add(b, K_SYS, l->name, l->count, l->sum_ns);
	/* Without a histogram there is nothing to split by: all of it counts as work. */
	if (!l->has_hist)
		return bag_add(b, K_SYS_FAST, l->name, l->count, l->sum_ns);
	split_lat(l, &fn, &fns, &sn, &sns);
	err = bag_add(b, K_SYS_FAST, l->name, fn, fns);
	if (!err && sn > 0)
		err = bag_add(b, K_SYS_SLOW, l->name, sn, sns);
	return err;
}

/* The guest-view items of one phase (or the total) of a run. */
static int add_guest(struct bag *b, const struct report_phase *p, const struct run_in *r)
{
	double n;
	size_t i;
	int k, err = 0;

	for (i = 0; i < p->n_syscalls && !err; i++)
		err = add_syscall(b, &p->syscalls[i]);
	if (!err)
		err = bag_add(b, K_SYS_ENTRY, "entry/exit", p->syscall_count,
			      estimate(p->syscall_count, r->u_sys));
	for (k = 0; k < HVT_FAULT_KINDS && !err; k++) {
		n = (double)p->fault[k];
		err = bag_add(b, k < HVT_FAULT_KERNEL_READ ? K_FAULT_USER : K_FAULT_KERNEL,
			      report_fault_names[k], n, estimate(n, r->u_fault));
	}
	if (err)
		return err;
	n = (double)p->procs_started;
	err = bag_add(b, K_PROC_LIFE, "fork+exit", n, estimate(n, r->u_fork));
	n = (double)p->proc[HVT_PROC_EXEC];
	if (!err)
		err = bag_add(b, K_PROC_EXEC, "exec", n, estimate(n, r->u_exec));
	if (!err)
		err = bag_add(b, K_RUNQ, "run-queue delay", p->runq.count, p->runq.sum_ns);
	if (!err)
		err = bag_add(b, K_CTX, "voluntary switches", p->ctx_voluntary, NAN);
	if (!err)
		err = bag_add(b, K_CTX, "involuntary switches", p->ctx_involuntary, NAN);
	if (!err)
		err = bag_add(b, K_CPU_USER, "user", p->cpu_threads, p->cpu_user_ns);
	if (!err)
		err = bag_add(b, K_CPU_SYS, "sys", p->cpu_threads, p->cpu_sys_ns);
	if (!err)
		err = bag_add(b, K_STEAL, "steal", 0, p->steal_ns);
	return err;
}

/* Host-view items of P (report's model): exits by reason, VMM time by userspace exit reason. */
static int add_host(struct bag *b, const struct report_phase *p)
{
	static const struct {
		enum hvt_kvm_kind from;
		enum kind to;
	} map[] = { { HVT_KVM_EXIT, K_HOST_EXIT }, { HVT_KVM_VMM, K_HOST_VMM } };
	size_t i, m;
	int err;

	if (!p->host)
		return 0;
	for (m = 0; m < ARRAY_SIZE(map); m++) {
		const struct report_list *l = &p->host->kvm[map[m].from];

		for (i = 0; i < l->n; i++) {
			err = bag_add(b, map[m].to, l->items[i].name, l->items[i].count,
				      l->items[i].sum_ns);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The items of PHASE (NULL: the whole run) in run R. */
static int collect(struct bag *b, const struct run_in *r, const char *phase)
{
	size_t i;
	int err = 0;

	if (!phase) {
		err = add_guest(b, &r->rep->total, r);
		if (!err && r->has_host)
			err = add_host(b, &r->rep->total);
		return err;
	}
	for (i = 0; i < r->rep->n_phases && !err; i++) {
		if (strcmp(r->rep->phases[i].name, phase))
			continue;
		err = add_guest(b, &r->rep->phases[i], r);
		if (!err && r->has_host)
			err = add_host(b, &r->rep->phases[i]);
	}
	return err;
}

/* ---- statistics over runs ------------------------------------------------ */

static void stats_of(struct diff_stats *s, const double *v, size_t n)
{
	double sum = 0, sq = 0;
	size_t i;

	s->n = n;
	s->mean = s->min = s->max = s->stddev = NAN;
	if (!n)
		return;
	for (i = 0; i < n; i++)
		if (isnan(v[i]))
			return;
	s->min = s->max = v[0];
	for (i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] < s->min)
			s->min = v[i];
		if (v[i] > s->max)
			s->max = v[i];
	}
	s->mean = sum / n;
	for (i = 0; i < n; i++)
		sq += (v[i] - s->mean) * (v[i] - s->mean);
	s->stddev = n > 1 ? sqrt(sq / (n - 1)) : 0.0;
}

static double range_of(const struct diff_stats *s)
{
	return s->max - s->min;
}

/* ---- one decomposition --------------------------------------------------- */

static int is_halt(const char *name)
{
	return !strcmp(name, "HLT") || !strcmp(name, "hlt");
}

/* The more/slower split and the figures derived from the side statistics. */
static void cat_finish(struct diff_cat *c, double dT)
{
	double ca = c->count_a.mean, cb = c->count_b.mean;

	c->mean_a_ns = c->has_count ? report_ratio(c->time_a.mean, ca) : NAN;
	c->mean_b_ns = c->has_count ? report_ratio(c->time_b.mean, cb) : NAN;
	c->delta_count = c->has_count ? nz(cb - ca) : NAN;
	c->delta_ns = nz(c->time_b.mean - c->time_a.mean);
	c->more_ns = c->slower_ns = NAN;
	if (c->has_count && !isnan(c->delta_ns)) {
		if (ca == 0) {
			/* Nothing in A to scale: every event of B is one more. */
			c->more_ns = c->delta_ns;
			c->slower_ns = 0;
		} else {
			c->more_ns = nz((cb - ca) * c->mean_a_ns);
			c->slower_ns = cb > 0 ? nz(cb * (c->mean_b_ns - c->mean_a_ns)) : 0;
		}
	}
	c->share = isnan(dT) ? NAN : report_ratio(c->delta_ns, dT);
	c->spread_ns = range_of(&c->time_a) > range_of(&c->time_b) ? range_of(&c->time_a) :
								       range_of(&c->time_b);
	if (isnan(c->time_a.mean) || isnan(c->time_b.mean))
		c->spread_ns = NAN;
}

/* Largest |delta| first, unknown last; then by group and name, for stable output. */
static int cat_cmp(const void *x, const void *y)
{
	const struct diff_cat *a = x, *b = y;
	double da = fabs(a->delta_ns), db = fabs(b->delta_ns);
	int r;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (isnan(da) != isnan(db))
		return isnan(da) ? 1 : -1;
	if (!isnan(da) && da != db)
		return da > db ? -1 : 1;
	r = strcmp(a->group, b->group);
	return r ? r : strcmp(a->name, b->name);
}

static void cat_free(struct diff_cat *c)
{
	free(c->name);
}

static void decomp_free(struct diff_decomp *dc)
{
	size_t i;

	for (i = 0; i < dc->n_cats; i++)
		cat_free(&dc->cats[i]);
	free(dc->cats);
	dc->cats = NULL;
	dc->n_cats = 0;
}

static int is_syscall(enum kind k)
{
	return k == K_SYS || k == K_SYS_FAST || k == K_SYS_SLOW || k == K_SYS_WAIT ||
	       k == K_SYS_FORK;
}

/*
 * Fills count/time of (kind, name) for each run's bag (absent: none of it).
 * With ENTRY, a syscall's time also gets count x the run's null_syscall unit
 * cost, whose part goes to entry[].
 */
static void values_of(const struct bag *bags, const struct run_in *in, size_t n, enum kind kind,
		      const char *name, int entry, double *count, double *time, double *part)
{
	const struct item *it;
	size_t i;

	for (i = 0; i < n; i++) {
		it = bag_find(&bags[i], kind, name);
		count[i] = it ? it->count : 0;
		time[i] = it ? it->time : 0;
		part[i] = 0;
		if (kind == K_CTX)
			time[i] = NAN;
		if (entry && is_syscall(kind)) {
			part[i] = estimate(count[i], in[i].u_sys);
			time[i] += part[i];
		}
	}
}

static double mean_of(const double *v, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / n : NAN;
}

static int all_zero(const double *count, const double *time, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (count[i] != 0 || (!isnan(time[i]) && time[i] != 0))
			return 0;
	return 1;
}

/* Class and note of a category whose statistics are known (docs/attribution.md). */
static void classify(struct diff_cat *c, enum kind kind, const char *basis)
{
	const struct kind_info *ki = &kinds[kind];
	int no_a = isnan(c->time_a.mean), no_b = isnan(c->time_b.mean);

	c->cls = ki->cls;
	c->note = ki->note;
	if (kind == K_HOST_EXIT || kind == K_HOST_VMM) {
		if (kind == K_HOST_VMM && basis && !strcmp(basis, "exit")) {
			c->cls = DIFF_INSIDE;
			c->note = note_vmm_inside;
		} else if (is_halt(c->name)) {
			c->cls = DIFF_WAITING;
			c->note = note_halt;
		}
	}
	if (c->method == DIFF_CALIBRATED && c->cls == DIFF_EXPLAINED && (no_a || no_b)) {
		c->cls = DIFF_NO_COST;
		c->note = note_no_cost[no_a && no_b ? 2 : no_b];
	}
}

struct side_bags {
	const struct bag *a, *b;
	const struct run_in *ina, *inb;
	size_t na, nb;
	int entry;		/* fold the syscall entry/exit cost into each syscall */
};

static int build_decomp(struct diff_decomp *dc, const char *view, const char *basis,
			const struct side_bags *sb, double dT)
{
	size_t nmax = sb->na > sb->nb ? sb->na : sb->nb, i, k, cap = 0;
	double *ca = NULL, *ta = NULL, *cb = NULL, *tb = NULL, *pa = NULL, *pb = NULL;
	enum kind *ckind = NULL;
	size_t life = SIZE_MAX;
	int host = !strcmp(view, "host"), err = -ENOMEM;

	dc->view = view;
	dc->basis = basis;
	ca = calloc(nmax, sizeof(*ca));
	ta = calloc(nmax, sizeof(*ta));
	cb = calloc(nmax, sizeof(*cb));
	tb = calloc(nmax, sizeof(*tb));
	pa = calloc(nmax, sizeof(*pa));
	pb = calloc(nmax, sizeof(*pb));
	if (!ca || !ta || !cb || !tb || !pa || !pb)
		goto out_free;

	/* The union of both sides' categories, in the order first seen. */
	for (k = 0; k < sb->na + sb->nb; k++) {
		const struct bag *bag = k < sb->na ? &sb->a[k] : &sb->b[k - sb->na];

		for (i = 0; i < bag->n; i++) {
			const struct item *it = &bag->items[i];
			struct diff_cat *c;
			size_t j;

			if (kinds[it->kind].host != host)
				continue;
			/* Folded into each syscall, it needs no row of its own. */
			if (it->kind == K_SYS_ENTRY && sb->entry)
				continue;
			for (j = 0; j < dc->n_cats; j++)
				if (ckind[j] == it->kind && !strcmp(dc->cats[j].name, it->name))
					break;
			if (j < dc->n_cats)
				continue;
			values_of(sb->a, sb->ina, sb->na, it->kind, it->name, sb->entry,
				  ca, ta, pa);
			values_of(sb->b, sb->inb, sb->nb, it->kind, it->name, sb->entry,
				  cb, tb, pb);
			if (all_zero(ca, ta, sb->na) && all_zero(cb, tb, sb->nb))
				continue;
			if (dc->n_cats == cap) {
				void *p;

				cap = cap ? cap * 2 : 32;
				p = realloc(dc->cats, cap * sizeof(*dc->cats));
				if (!p)
					goto out_free;
				dc->cats = p;
				p = realloc(ckind, cap * sizeof(*ckind));
				if (!p)
					goto out_free;
				ckind = p;
			}
			c = &dc->cats[dc->n_cats];
			memset(c, 0, sizeof(*c));
			c->name = strdup(it->name);
			if (!c->name)
				goto out_free;
			ckind[dc->n_cats++] = it->kind;
			c->group = kinds[it->kind].group;
			c->method = kinds[it->kind].method;
			c->probe = kinds[it->kind].probe;
			c->has_count = kinds[it->kind].has_count;
			if (sb->entry && is_syscall(it->kind)) {
				c->entry_exit = 1;
				c->probe = DIFF_PROBE_SYSCALL;
				c->entry_a_ns = mean_of(pa, sb->na);
				c->entry_b_ns = mean_of(pb, sb->nb);
			}
			stats_of(&c->count_a, ca, sb->na);
			stats_of(&c->count_b, cb, sb->nb);
			stats_of(&c->time_a, ta, sb->na);
			stats_of(&c->time_b, tb, sb->nb);
			cat_finish(c, dT);
			classify(c, it->kind, basis);
			if (it->kind == K_PROC_LIFE)
				life = dc->n_cats - 1;
		}
	}

	/*
	 * The calibrated fork+exit covers the fork syscalls' time; summing both
	 * would count the fork twice. Without it, their traced time is summed.
	 */
	if (life != SIZE_MAX && dc->cats[life].cls == DIFF_EXPLAINED) {
		for (i = 0; i < dc->n_cats; i++) {
			if (ckind[i] != K_SYS_FORK)
				continue;
			dc->cats[i].cls = DIFF_INSIDE;
			dc->cats[i].note = note_fork_inside;
		}
	}

	if (dc->n_cats > 1)
		qsort(dc->cats, dc->n_cats, sizeof(*dc->cats), cat_cmp);
	dc->explained_ns = 0;
	for (i = 0; i < dc->n_cats; i++) {
		struct diff_cat *c = &dc->cats[i];

		dc->n_class[c->cls]++;
		if (c->cls == DIFF_EXPLAINED) {
			c->rank = (int)dc->n_class[DIFF_EXPLAINED];
			dc->explained_ns += c->delta_ns;
		}
	}
	dc->explained_ns = nz(dc->explained_ns);
	dc->unexplained_ns = nz(dT - dc->explained_ns);
	err = 0;

out_free:
	free(ca);
	free(ta);
	free(cb);
	free(tb);
	free(pa);
	free(pb);
	free(ckind);
	return err;
}

/* ---- phases --------------------------------------------------------------- */

/*
 * Wall time of PHASE (NULL: the whole run) in run R: the sum over phases of
 * that name, NAN when unknown; *kind gets the least exact. 0 when R lacks it.
 */
static int run_wall(const struct run_in *r, const char *phase, double *wall,
		    enum report_wall *kind)
{
	const struct report *rep = r->rep;
	int found = 0;
	size_t i;

	*wall = 0;
	if (!phase) {
		/* (double): NAN is a float, and float would round the wall. */
		*wall = rep->total.wall_kind == REPORT_WALL_UNKNOWN ? NAN :
								      (double)rep->total.wall_ns;
		if (rep->total.wall_kind > *kind)
			*kind = rep->total.wall_kind;
		return 1;
	}
	for (i = 0; i < rep->n_phases; i++) {
		const struct report_phase *p = &rep->phases[i];

		if (strcmp(p->name, phase))
			continue;
		found = 1;
		*wall += p->wall_kind == REPORT_WALL_UNKNOWN ? NAN : (double)p->wall_ns;
		if (p->wall_kind > *kind)
			*kind = p->wall_kind;
	}
	return found;
}

static uint64_t run_lost(const struct run_in *r, const char *phase)
{
	uint64_t n = 0;
	size_t i;

	if (!phase)
		return r->rep->lost_events;
	for (i = 0; i < r->rep->n_phases; i++)
		if (!strcmp(r->rep->phases[i].name, phase))
			n += r->rep->phases[i].lost;
	return n;
}

static const char *host_note(const struct diff *d)
{
	size_t i, na = 0, nb = 0;

	for (i = 0; i < d->a.n_runs; i++)
		na += d->a.runs[i].has_host;
	for (i = 0; i < d->b.n_runs; i++)
		nb += d->b.runs[i].has_host;
	if (!na && !nb)
		return NULL;
	if (na && na < d->a.n_runs)
		return "host view not in every run of A";
	if (nb && nb < d->b.n_runs)
		return "host view not in every run of B";
	return !nb ? "host view only in A" : "host view only in B";
}

static int build_phase(struct diff *d, struct diff_phase *ph, const char *name,
		       const struct run_in *in, size_t na, size_t nb)
{
	struct bag *bags = NULL;
	double *wa = NULL, *wb = NULL, w;
	struct side_bags sb;
	size_t i;
	int err = -ENOMEM;

	ph->name = strdup(name ? name : "total");
	wa = calloc(na, sizeof(*wa));
	wb = calloc(nb, sizeof(*wb));
	bags = calloc(na + nb, sizeof(*bags));
	if (!ph->name || !wa || !wb || !bags)
		goto out_free;
	ph->wall_kind = REPORT_WALL_EXACT;
	for (i = 0; i < na + nb; i++) {
		if (!run_wall(&in[i], name, &w, &ph->wall_kind))
			continue;
		if (i < na)
			wa[ph->runs_a++] = w;
		else
			wb[ph->runs_b++] = w;
		if (i < na)
			ph->lost_a += run_lost(&in[i], name);
		else
			ph->lost_b += run_lost(&in[i], name);
	}
	stats_of(&ph->wall_a, wa, ph->runs_a);
	stats_of(&ph->wall_b, wb, ph->runs_b);
	ph->delta_ns = ph->delta_rel = NAN;
	if (ph->runs_a == na && ph->runs_b == nb)
		ph->where = DIFF_IN_BOTH;
	else if (!ph->runs_b && ph->runs_a == na)
		ph->where = DIFF_ONLY_A;
	else if (!ph->runs_a && ph->runs_b == nb)
		ph->where = DIFF_ONLY_B;
	else
		ph->where = DIFF_SOME_RUNS;
	if (ph->where != DIFF_IN_BOTH) {
		err = 0;
		goto out_free;
	}
	ph->delta_ns = nz(ph->wall_b.mean - ph->wall_a.mean);
	ph->delta_rel = report_ratio(ph->delta_ns, ph->wall_a.mean);

	for (i = 0; i < na + nb; i++) {
		err = collect(&bags[i], &in[i], name);
		if (err)
			goto out_free;
	}
	sb = (struct side_bags){ bags, bags + na, in, in + na, na, nb, d->entry_exit };
	err = build_decomp(&ph->guest, "guest", NULL, &sb, ph->delta_ns);
	if (err)
		goto out_free;
	if (d->a.has_host && d->b.has_host)
		err = build_decomp(&ph->host, "host", d->host_basis, &sb, ph->delta_ns);
	else
		ph->host_note = host_note(d);

out_free:
	if (bags)
		for (i = 0; i < na + nb; i++)
			bag_free(&bags[i]);
	free(bags);
	free(wa);
	free(wb);
	return err;
}

static void phase_free(struct diff_phase *ph)
{
	free(ph->name);
	decomp_free(&ph->guest);
	decomp_free(&ph->host);
}

/* ---- the whole diff ------------------------------------------------------ */

void diff_free(struct diff *d)
{
	struct diff_side *sides[2];
	size_t i, s;

	if (!d)
		return;
	sides[0] = &d->a;
	sides[1] = &d->b;
	for (s = 0; s < 2; s++) {
		for (i = 0; i < sides[s]->n_runs; i++) {
			struct diff_run *r = &sides[s]->runs[i];

			free(r->path);
			free(r->label);
			free(r->hostname);
			free(r->kernel);
			free(r->hypervisor);
		}
		free(sides[s]->runs);
	}
	for (i = 0; i < d->n_phases; i++)
		phase_free(&d->phases[i]);
	free(d->phases);
	phase_free(&d->total);
	free(d);
}

const struct diff_phase *diff_phase_find(const struct diff *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_phases; i++)
		if (!strcmp(d->phases[i].name, name))
			return &d->phases[i];
	return NULL;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*oom = 1;
	return c;
}

/* Whether REP has host-view rows of KIND (exit or vmm: the kinds diff decomposes). */
static int run_has_host(const struct report *rep, enum hvt_kvm_kind kind)
{
	return rep->total.host && rep->total.host->kvm[kind].n > 0;
}

static int side_init(struct diff_side *side, const struct run_in *in, size_t n)
{
	int oom = 0;
	size_t i;

	side->runs = calloc(n, sizeof(*side->runs));
	if (!side->runs)
		return -ENOMEM;
	side->n_runs = n;
	side->has_host = 1;
	for (i = 0; i < n; i++) {
		struct diff_run *r = &side->runs[i];
		const struct report *rep = in[i].rep;

		r->path = dup_or_null(rep->path, &oom);
		r->label = dup_or_null(rep->label, &oom);
		r->hostname = dup_or_null(rep->hostname, &oom);
		r->kernel = dup_or_null(rep->kernel, &oom);
		r->hypervisor = dup_or_null(rep->hypervisor, &oom);
		r->complete = rep->complete;
		r->calibrated = in[i].rec->n_calib > 0;
		r->has_host = in[i].has_host;
		side->has_host &= r->has_host;
	}
	side->label = side->runs[0].label;
	for (i = 1; i < n && side->label; i++)
		if (!side->runs[i].label || strcmp(side->runs[i].label, side->label))
			side->label = NULL;
	return oom ? -ENOMEM : 0;
}

/* Adds NAME to the phase list unless it is there. */
static int add_name(struct diff *d, const char *name)
{
	struct diff_phase *p;

	if (diff_phase_find(d, name))
		return 0;
	p = realloc(d->phases, (d->n_phases + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	d->phases = p;
	p = &d->phases[d->n_phases++];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	return p->name ? 0 : -ENOMEM;
}

struct diff *diff_build(const struct recording *const *a, size_t na,
			const struct recording *const *b, size_t nb)
{
	struct run_in *in = NULL;
	struct diff *d = NULL;
	size_t i, k;
	int err = -ENOMEM, any_exit = 0, any_vmm = 0, has_exit, has_vmm;

	if (!na || !nb) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	in = calloc(na + nb, sizeof(*in));
	if (!d || !in)
		goto out_free;
	for (i = 0; i < na + nb; i++) {
		const struct recording *rec = i < na ? a[i] : b[i - na];

		in[i].rec = rec;
		in[i].rep = report_build(rec);
		if (!in[i].rep)
			goto out_free;
		in[i].u_fault = calib_unit(rec, DIFF_PROBE_FAULT);
		in[i].u_fork = calib_unit(rec, DIFF_PROBE_FORK);
		in[i].u_sys = calib_unit(rec, DIFF_PROBE_SYSCALL);
		/* What an exec adds to a fork and an exit; no estimate if not more. */
		in[i].u_exec = calib_unit(rec, DIFF_PROBE_EXEC) - in[i].u_fork;
		if (!(in[i].u_exec > 0))
			in[i].u_exec = NAN;
		has_exit = run_has_host(in[i].rep, HVT_KVM_EXIT);
		has_vmm = run_has_host(in[i].rep, HVT_KVM_VMM);
		in[i].has_host = has_exit || has_vmm;
		any_exit |= has_exit;
		any_vmm |= has_vmm;
	}
	err = side_init(&d->a, in, na);
	if (!err)
		err = side_init(&d->b, in + na, nb);
	if (err)
		goto out_free;
	/* One rule for every syscall of every run, or the sides would not compare. */
	d->entry_exit = 1;
	for (i = 0; i < na + nb; i++)
		if (isnan(in[i].u_sys))
			d->entry_exit = 0;
	/* Exits hold the VMM's time when both are traced: one basis per diff. */
	d->host_basis = any_exit ? "exit" : any_vmm ? "vmm" : NULL;

	for (i = 0; i < na + nb && !err; i++)
		for (k = 0; k < in[i].rep->n_phases && !err; k++)
			err = add_name(d, in[i].rep->phases[k].name);
	if (err)
		goto out_free;
	for (i = 0; i < d->n_phases; i++) {
		char *name = d->phases[i].name;

		d->phases[i].name = NULL;
		err = build_phase(d, &d->phases[i], name, in, na, nb);
		free(name);
		if (err)
			goto out_free;
		d->n_common += d->phases[i].where == DIFF_IN_BOTH;
	}
	err = build_phase(d, &d->total, NULL, in, na, nb);

out_free:
	if (in)
		for (i = 0; i < na + nb; i++)
			report_free(in[i].rep);
	free(in);
	if (err) {
		diff_free(d);
		errno = -err;
		return NULL;
	}
	return d;
}
