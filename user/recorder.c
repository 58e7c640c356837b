// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* recorder: one recording, from loading the probes to the last commit. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "agent.h"
#include "calib.h"
#include "channel.h"
#include "detect.h"
#include "guest_view.h"
#include "host_view.h"
#include "marksock.h"
#include "merge.h"
#include "perfctr.h"
#include "phase.h"
#include "recfile.h"
#include "recorder.h"
#include "syscalls.h"
#include "sysinfo.h"
#include "util.h"
#include "vmm.h"
#include "workload.h"

#define PROC_BUCKETS 1024

static const char *const fault_names[HVT_FAULT_KINDS] = {
	"user-read", "user-write", "user-exec", "kernel-read", "kernel-write", "kernel-exec",
};
static const char *const proc_names[HVT_PROC_KINDS] = {
	"fork", "vfork", "clone", "thread", "exec", "exit",
};
static const char *const sched_names[HVT_SCHED_KINDS] = {
	"runq", "voluntary", "involuntary", "oncpu",
};
static const char *const cpu_names[HVT_CPU_KINDS] = { "user", "sys" };

/* A process seen starting, kept until it ends and its row is written. */
struct proc_entry {
	struct hvt_event start;
	struct proc_entry *next;
};

struct snap {
	uint64_t count, sum_ns;
};

struct recorder {
	const struct record_opts *o;
	struct recfile *rf;
	struct guest_view *gv;
	struct host_view *hv;		/* NULL when the kernel has no KVM tracepoints */
	struct hvt_shared *sh;
	struct phases ph;
	struct workload wl;
	pid_t root;
	int64_t mono0;
	int64_t tick;
	unsigned int read_lo;		/* lowest phase slot that may still change */
	struct hvt_agg *sys_now;	/* [HVT_NR_SYSCALLS] */
	struct snap (*sys_prev)[HVT_NR_SYSCALLS];	/* [HVT_MAX_PHASES] */
	struct hvt_counts *counts_prev;	/* [HVT_MAX_PHASES] */
	struct snap *runq_prev;		/* [HVT_MAX_PHASES] */
	uint64_t steal_last;
	uint64_t steal[HVT_MAX_PHASES];
	int steal_ok;
	struct proc_entry *procs[PROC_BUCKETS];
	int write_err;			/* first failed write, -errno */
	int root_done;
	int root_status;
	int64_t root_exit_mono;		/* from the kernel's exit event */
	struct rusage root_ru;
	struct perfctr *pc;		/* NULL when perf events cannot be opened */
	struct detect_result env;	/* from hvt_detect(), ~19 KB */
	pid_t follow;			/* --pid, or the QEMU process of --vm; 0: none */
	struct vmm *vmm;		/* --vm: the libvirt domain */
	struct vmm_rec *vmm_rec;	/* its stats at the last tick */
	int vm_gone;			/* the domain shut off or vanished */
	int ep;				/* the event loop's epoll */
	struct agent_guest *ag;		/* in a guest: the channel to the host's recorder */
	struct agent_host *ah;		/* on a host: the guest's channel */
	char vm_channel[5 + VMM_CHANNEL_PATH_MAX];	/* --vm: "unix:" + its channel's path */
	char guest_path[4096];		/* where the guest's recording arrives */
	char self_name[PHASE_NAME_MAX];	/* our own executable's name, as a phase would be */
	int64_t *guest_start;		/* host phase id -> the guest's start (guest clock) */
	size_t n_guest_start;
	struct perfctr_value pc_base[16];	/* totals when the current phase began */
	int pc_phase;			/* the phase pc_base belongs to */
};

static void progress(const struct recorder *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->quiet)
		return;
	va_start(ap, fmt);
	fputs("hvtrace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void report_progress(const struct recorder *r)
{
	int cur = phases_current(&r->ph);

	if (r->o->on_progress && r->ph.n)
		r->o->on_progress(r->o->progress_ctx, cur, r->ph.v[cur].name,
				  now_mono_ns() - r->mono0);
}

static void note_err(struct recorder *r, int err)
{
	if (err < 0 && !r->write_err)
		r->write_err = err;
}

/* ---- processes ----------------------------------------------------------- */

static struct proc_entry **proc_slot(struct recorder *r, uint32_t pid)
{
	struct proc_entry **pp = &r->procs[pid % PROC_BUCKETS];

	while (*pp && (*pp)->start.pid != pid)
		pp = &(*pp)->next;
	return pp;
}

static struct proc_entry *proc_get(struct recorder *r, const struct hvt_event *e)
{
	struct proc_entry **pp = proc_slot(r, e->pid), *p = *pp;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->start = *e;
	*pp = p;
	return p;
}

static void proc_end(struct recorder *r, const struct hvt_event *e)
{
	struct proc_entry **pp = proc_slot(r, e->pid), *p = *pp;

	note_err(r, recfile_put_proc(r->rf, p ? &p->start : NULL, e));
	if (p) {
		*pp = p->next;
		free(p);
	}
}

static void procs_flush_all(struct recorder *r)
{
	struct proc_entry *p, *next;
	int i;

	for (i = 0; i < PROC_BUCKETS; i++) {
		for (p = r->procs[i]; p; p = next) {
			next = p->next;
			note_err(r, recfile_put_proc(r->rf, &p->start, NULL));
			free(p);
		}
		r->procs[i] = NULL;
	}
}

/* ---- perf counters -------------------------------------------------------- */

/*
 * Perf counters cannot be split by phase in the kernel: a phase's counts are
 * the difference of two reads, taken when user space learns of the phase
 * change (milliseconds late at most) and at every tick.
 */
static void counters_flush(struct recorder *r, int next_phase)
{
	struct perfctr_value now[16];
	size_t i, n;
	int got;

	if (!r->pc)
		return;
	n = perfctr_count(r->pc);
	if (n > 16)
		n = 16;
	got = perfctr_read(r->pc, now, n);
	if (got < 0)
		return;
	for (i = 0; i < (size_t)got; i++) {
		const struct perfctr_value *v = &now[i], *b = &r->pc_base[i];

		note_err(r, recfile_put_counter(r->rf, r->pc_phase, perfctr_name(r->pc, i),
						v->supported, v->value - b->value,
						v->enabled_ns - b->enabled_ns,
						v->running_ns - b->running_ns));
	}
	if (next_phase != r->pc_phase) {
		memcpy(r->pc_base, now, sizeof(now[0]) * got);
		r->pc_phase = next_phase;
	}
}

/* ---- the agent channel ---------------------------------------------------- */

/* In a guest: tell the host's recorder that phase ID began (or was renamed). */
static void agent_phase_out(struct recorder *r, int id)
{
	const struct phase *p = &r->ph.v[id];

	agent_guest_phase(r->ag, id, p->name, p->source, p->start_mono,
			  p->start_mono + r->ph.real_minus_mono);
}

/*
 * On a host, the guest's phases become the recording's: host phase 0 is the
 * VM before the guest's workload began, guest phase N is host phase N + 1,
 * and what follows the guest's end is one last phase.
 */
static void host_phase_open(struct recorder *r, unsigned int id, const char *name,
			    const char *source, int64_t host_mono)
{
	unsigned int cur = __atomic_load_n(&r->sh->phase, __ATOMIC_SEQ_CST);

	__atomic_store_n(&r->sh->auto_phases, 0, __ATOMIC_SEQ_CST);
	if (id > cur)
		__atomic_store_n(&r->sh->phase, id, __ATOMIC_SEQ_CST);
	if (phases_open(&r->ph, id, name, source, host_mono, 0))
		note_err(r, -ENOMEM);
	counters_flush(r, id);
	progress(r, "guest phase %u: %s (+%.1f s)", id, name, (host_mono - r->mono0) / 1e9);
}

static void on_guest_phase(void *ctx, const struct proto_phase *p, int64_t host_mono,
			   int synced)
{
	struct recorder *r = ctx;
	size_t id = p->id + 1;

	if (id >= r->n_guest_start) {
		int64_t *v = realloc(r->guest_start, (id + 16) * sizeof(*v));

		if (!v) {
			note_err(r, -ENOMEM);
			return;
		}
		memset(v + r->n_guest_start, 0, (id + 16 - r->n_guest_start) * sizeof(*v));
		r->guest_start = v;
		r->n_guest_start = id + 16;
	}
	r->guest_start[id] = p->start_mono;
	host_phase_open(r, id, p->name, proto_source_name(p->source), host_mono);
}

static void on_guest_end(void *ctx, const struct proto_end *e, int64_t host_mono)
{
	struct recorder *r = ctx;

	host_phase_open(r, phases_current(&r->ph) + 1, "after-workload", "guest", host_mono);
}

/* The clock fit is best at the end: place every guest phase through it again. */
static void host_phases_remap(struct recorder *r)
{
	size_t id;

	for (id = 1; id < r->n_guest_start && id < r->ph.n; id++)
		if (r->guest_start[id])
			r->ph.v[id].start_mono = agent_host_map(r->ah, r->guest_start[id], NULL);
}

/* Errors of connect(2) on a unix socket that say the peer is not there for us. */
static int cannot_connect(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ENOENT:
	case ENOTDIR:
	case EACCES:
	case EPERM:
	case ENOTSOCK:
	case EPROTOTYPE:
	case EAGAIN:
	case ETIMEDOUT:
	case ELOOP:
		return 1;
	}
	return 0;
}

static int open_agent(struct recorder *r, char *err, size_t errlen)
{
	static const struct agent_host_ops ops = {
		.phase = on_guest_phase,
		.end = on_guest_end,
	};
	char why[256];

	if (r->o->argv) {
		struct agent_guest_opts ao = { .host = r->o->host, .label = r->o->label,
					       .identity = r->env.summary[0] ? r->env.summary :
					       NULL };

		r->ag = agent_guest_open(&ao, why, sizeof(why));
		if (!r->ag && errno != ENOENT) {
			snprintf(err, errlen, "--host: %s", why);
			return -errno;
		}
		if (r->ag)
			progress(r, "phases go to the host's recorder over %s",
				 agent_guest_desc(r->ag));
		return 0;
	}
	const char *channel = r->o->channel ? r->o->channel : r->vm_channel;

	/* --channel none: no guest side, not even the domain's own channel. */
	if (!*channel || !strcmp(channel, "none"))
		return 0;
	/* The agent keeps the pointer: the path lives as long as the recorder. */
	snprintf(r->guest_path, sizeof(r->guest_path), "%s.guest", r->o->output);
	struct agent_host_opts ho = { .channel = channel, .recording_path = r->guest_path,
				      .ops = &ops, .ctx = r };

	r->ah = agent_host_open(&ho, why, sizeof(why));
	if (!r->ah) {
		int e = errno;

		if (r->o->channel) {
			snprintf(err, errlen, "--channel: %s", why);
			return -e;
		}
		/*
		 * The channel came from the domain's XML: one that cannot be
		 * connected to (QEMU not listening, the socket gone or not ours
		 * to open) leaves a domain without a guest side, as a domain
		 * without the channel is.
		 */
		if (cannot_connect(e)) {
			progress(r, "note: domain '%s': %s; recording the host side only",
				 vmm_name(r->vmm), why);
			return 0;
		}
		snprintf(err, errlen, "the channel of domain '%s': %s", vmm_name(r->vmm), why);
		return -e;
	}
	progress(r, "waiting for the guest's recorder on %s", agent_host_desc(r->ah));
	/* Host phase N + 1 is guest phase N: merge pairs them by this. */
	return recfile_set_meta_int(r->rf, "guest_phase_offset", 1);
}

/* --vm without --channel: the domain's own channel org.hvtrace.0, when it has one. */
static void find_vm_channel(struct recorder *r)
{
	char path[VMM_CHANNEL_PATH_MAX], why[512];

	if (vmm_channel(r->vmm, CHANNEL_VIRTIO_NAME, path, sizeof(path), why, sizeof(why))) {
		progress(r, "note: %s; recording the host side only", why);
		return;
	}
	snprintf(r->vm_channel, sizeof(r->vm_channel), "unix:%s", path);
	progress(r, "guest channel from the XML of domain '%s': %s, unix socket %s",
		 vmm_name(r->vmm), CHANNEL_VIRTIO_NAME, path);
}

/* After the host recording is closed: fold the guest's recording into it. */
static void merge_guest(struct recorder *r)
{
	struct merge_result mr;
	struct agent_host_stats st;
	char tmp[4096], why[512], clk[256], unc[32];
	int i;

	agent_host_stats(r->ah, &st);
	if (!st.have_recording) {
		progress(r, "the guest sent no recording: %s is the host view alone",
			 r->o->output);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.merging", r->o->output);
	struct merge_opts mo = { .guest_path = r->guest_path, .host_path = r->o->output, .out_path = tmp };

	if (merge_recordings(&mo, &mr, why, sizeof(why))) {
		progress(r, "cannot merge the guest's recording (%s): both kept, %s and %s", why,
			 r->o->output, r->guest_path);
		unlink(tmp);
		return;
	}
	for (i = 0; i < mr.n_warn; i++)
		progress(r, "merge: %s", mr.warn[i]);
	for (i = 0; i < mr.n_note; i++)
		progress(r, "merge: %s", mr.note[i]);
	if (rename(tmp, r->o->output)) {
		progress(r, "cannot replace %s: %s; the merged recording is %s", r->o->output,
			 strerror(errno), tmp);
		return;
	}
	unlink(r->guest_path);
	progress(r, "guest and host views merged into %s (clock %s)", r->o->output,
		 mr.clock_source);
	/* The raw offset is hours between two machines' clocks: say why, once. */
	clock_offset_describe(mr.clock.offset_ns, clk, sizeof(clk));
	if (mr.clock.uncertainty_ns >= 0)
		progress(r, "clock: %s; guest times are placed on the host's to +-%s", clk,
			 fmt_ns(unc, sizeof(unc), mr.clock.uncertainty_ns));
	else
		progress(r, "clock: %s", clk);
}

/* ---- events from the kernel side ---------------------------------------- */

static void on_event(void *ctx, const struct hvt_event *e)
{
	struct recorder *r = ctx;
	struct proc_entry *p;
	char name[PHASE_NAME_MAX];

	switch (e->type) {
	case HVT_EV_FORK:
		proc_get(r, e);
		break;
	case HVT_EV_EXEC:
	case HVT_EV_PHASE:
		p = proc_get(r, e);
		if (p) {	/* a process is known by its last exec */
			memcpy(p->start.comm, e->comm, sizeof(e->comm));
			memcpy(p->start.path, e->path, sizeof(e->path));
		}
		if (e->type != HVT_EV_PHASE || e->phase >= 1u << 20)
			break;
		phase_name_from_path(name, sizeof(name), e->path, e->comm);
		if (phases_open(&r->ph, e->phase, name, "auto", e->ts_ns, e->pid))
			note_err(r, -ENOMEM);
		counters_flush(r, e->phase);
		agent_phase_out(r, e->phase);
		report_progress(r);
		/* `hvtrace mark` opens a phase by its exec that the mark then takes over. */
		if (strcmp(name, r->self_name))
			progress(r, "phase %u: %s (+%.1f s)", e->phase, name,
				 (e->ts_ns - r->mono0) / 1e9);
		break;
	case HVT_EV_EXIT:
		phases_process_exit(&r->ph, e->pid, e->exit_code);
		if ((pid_t)e->pid == r->root)
			r->root_exit_mono = e->ts_ns;
		proc_end(r, e);
		break;
	}
}

static int on_mark(void *ctx, const char *name, pid_t peer, char *msg, size_t len)
{
	struct recorder *r = ctx;
	int64_t now = now_mono_ns();
	struct phase *cur;
	unsigned int id;

	/* Explicit marks take over from automatic phases for the rest of the run. */
	__atomic_store_n(&r->sh->auto_phases, 0, __ATOMIC_SEQ_CST);
	/*
	 * `hvtrace mark` run by the workload's root opened an automatic phase of
	 * its own when it exec'd: that phase becomes the mark's.
	 */
	guest_view_consume(r->gv);
	cur = &r->ph.v[phases_current(&r->ph)];
	if (peer > 0 && cur->known && cur->pid == peer && !strcmp(cur->source, "auto")) {
		snprintf(cur->name, sizeof(cur->name), "%s", name);
		cur->source = "mark";
		cur->pid = 0;
		id = cur->id;
		now = cur->start_mono;
	} else {
		id = __atomic_add_fetch(&r->sh->phase, 1, __ATOMIC_SEQ_CST);
		if (phases_open(&r->ph, id, name, "mark", now, 0)) {
			snprintf(msg, len, "out of memory");
			return -ENOMEM;
		}
	}
	counters_flush(r, id);
	agent_phase_out(r, id);
	report_progress(r);
	progress(r, "phase %u: %s (mark, +%.1f s)", id, name, (now - r->mono0) / 1e9);
	return id;
}

/* ---- reading the aggregates --------------------------------------------- */

static uint64_t hist_min(const struct hvt_agg *a)
{
	int i;

	for (i = 0; i < HVT_HIST_SLOTS; i++)
		if (a->hist[i])
			return i ? 1ULL << i : 0;
	return 0;
}

static void put_agg(struct recorder *r, unsigned int slot, const char *kind, int64_t key,
		    const char *name, const struct hvt_agg *a, struct snap *prev)
{
	uint64_t hist[HVT_HIST_SLOTS];
	int i;

	if (a->count == prev->count && a->sum_ns == prev->sum_ns)
		return;
	for (i = 0; i < HVT_HIST_SLOTS; i++)
		hist[i] = a->hist[i];
	note_err(r, recfile_put_series(r->rf, r->tick, now_mono_ns(), slot, "guest", kind, key,
				       a->count - prev->count, a->sum_ns - prev->sum_ns));
	note_err(r, recfile_put_stat(r->rf, slot, "guest", kind, key, name, a->count, a->sum_ns,
				     hist_min(a), a->max_ns, hist));
	prev->count = a->count;
	prev->sum_ns = a->sum_ns;
}

static void put_count(struct recorder *r, unsigned int slot, const char *kind, int64_t key,
		      const char *name, uint64_t count, uint64_t sum_ns, uint64_t prev_count,
		      uint64_t prev_sum)
{
	if (count == prev_count && sum_ns == prev_sum)
		return;
	note_err(r, recfile_put_series(r->rf, r->tick, now_mono_ns(), slot, "guest", kind, key,
				       count - prev_count, sum_ns - prev_sum));
	note_err(r, recfile_put_stat(r->rf, slot, "guest", kind, key, name, count, sum_ns, 0, 0,
				     NULL));
}

static int flush_slot(struct recorder *r, unsigned int slot)
{
	struct hvt_counts c, *pc = &r->counts_prev[slot];
	struct hvt_agg runq;
	char buf[32];
	int nr, i, err;

	err = guest_view_read_syscalls(r->gv, slot, r->sys_now);
	if (err)
		return err;
	for (nr = 0; nr < HVT_NR_SYSCALLS; nr++)
		if (r->sys_now[nr].count)
			put_agg(r, slot, "syscall", nr, syscall_name(nr, buf, sizeof(buf)),
				&r->sys_now[nr], &r->sys_prev[slot][nr]);
	err = guest_view_read_runq(r->gv, slot, &runq);
	if (err)
		return err;
	put_agg(r, slot, "sched", HVT_SCHED_RUNQ, sched_names[HVT_SCHED_RUNQ], &runq,
		&r->runq_prev[slot]);
	err = guest_view_read_counts(r->gv, slot, &c);
	if (err)
		return err;
	for (i = 0; i < HVT_FAULT_KINDS; i++)
		put_count(r, slot, "fault", i, fault_names[i], c.fault[i], 0, pc->fault[i], 0);
	for (i = 0; i < HVT_PROC_KINDS; i++)
		put_count(r, slot, "proc", i, proc_names[i], c.proc[i], 0, pc->proc[i], 0);
	for (i = HVT_SCHED_VOLUNTARY; i <= HVT_SCHED_INVOLUNTARY; i++)
		put_count(r, slot, "sched", i, sched_names[i], c.sched[i], 0, pc->sched[i], 0);
	put_count(r, slot, "sched", HVT_SCHED_ONCPU, sched_names[HVT_SCHED_ONCPU], 0,
		  c.sched[HVT_SCHED_ONCPU], 0, pc->sched[HVT_SCHED_ONCPU]);
	/* CPU time of ended threads: count = how many threads' time is in it. */
	for (i = 0; i < HVT_CPU_KINDS; i++)
		put_count(r, slot, "cpu", i, cpu_names[i], c.proc[HVT_PROC_EXIT], c.cpu_ns[i],
			  pc->proc[HVT_PROC_EXIT], pc->cpu_ns[i]);
	put_count(r, slot, "lost", 0, "ringbuf", c.lost, 0, pc->lost, 0);
	*pc = c;
	return r->hv ? host_view_flush(r->hv, r->rf, slot, r->tick) : 0;
}

static unsigned int current_slot(const struct recorder *r)
{
	unsigned int p = __atomic_load_n(&r->sh->phase, __ATOMIC_SEQ_CST);

	return p < HVT_MAX_PHASES ? p : HVT_MAX_PHASES - 1;
}

static void flush_steal(struct recorder *r, unsigned int slot)
{
	uint64_t now;

	if (!r->steal_ok || sysinfo_steal_ns(&now))
		return;
	if (now == r->steal_last)
		return;
	put_count(r, slot, "steal", 0, "steal", 0, r->steal[slot] + now - r->steal_last, 0,
		  r->steal[slot]);
	r->steal[slot] += now - r->steal_last;
	r->steal_last = now;
}

/* libvirt's domain stats for the tick; a domain that shut off ends the recording. */
static void vmm_flush(struct recorder *r, unsigned int slot)
{
	struct vmm_sample smp = { 0 };
	char e[256];
	int ret;

	if (!r->vmm || r->vm_gone)
		return;
	ret = vmm_sample(r->vmm, &smp, e, sizeof(e));
	if (ret == -ESRCH || (!ret && smp.state == 5)) {
		r->vm_gone = 1;
		progress(r, "domain %s %s: recording ends", vmm_name(r->vmm),
			 ret ? "vanished" : "shut off");
	} else if (!ret) {
		note_err(r, vmm_rec_sample(r->vmm_rec, r->rf, r->tick, slot, &smp));
	}
	vmm_sample_free(&smp);
}

/* One tick: every phase slot that may have changed, then commit. */
static int flush(struct recorder *r, int final)
{
	unsigned int cur = current_slot(r), slot;
	int err = 0;

	note_err(r, recfile_begin(r->rf));
	/*
	 * Fork, exec and exit events wait in the ring buffer for the tick (the
	 * kernel side wakes us only for phase changes or a filling buffer): their
	 * rows join this transaction.
	 */
	guest_view_consume(r->gv);
	for (slot = final ? 0 : r->read_lo; slot <= cur && !err; slot++)
		err = flush_slot(r, slot);
	flush_steal(r, cur);
	counters_flush(r, r->pc_phase);
	vmm_flush(r, cur);
	r->read_lo = cur;
	note_err(r, phases_write(&r->ph, r->rf));
	note_err(r, recfile_set_meta_int(r->rf, "end_mono_ns", now_mono_ns()));
	note_err(r, recfile_commit(r->rf));
	r->tick++;
	if (!final)
		report_progress(r);
	return err ? err : r->write_err;
}

/* ---- set-up ------------------------------------------------------------ */

static int has_bpf_privilege(void)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };	/* _v3 */
	struct { uint32_t effective, permitted, inheritable; } data[2] = { { 0 } };

	if (geteuid() == 0)
		return 1;
	if (syscall(SYS_capget, &hdr, data))
		return 0;
	/* CAP_PERFMON is 38, CAP_BPF 39: both in the second word. */
	return (data[1].effective & (1u << 6)) && (data[1].effective & (1u << 7));
}

static void write_start_meta(struct recorder *r)
{
	const struct record_opts *o = r->o;
	char cmd[4096] = "";
	size_t n = 0;
	int i;

	for (i = 0; o->argv && o->argv[i] && n < sizeof(cmd); i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "", o->argv[i]);
	if (o->vm)
		snprintf(cmd, sizeof(cmd), "--vm %s (pid %d)", o->vm, (int)r->follow);
	else if (!o->argv)
		snprintf(cmd, sizeof(cmd), "--pid %d", (int)r->follow);
	note_err(r, recfile_set_meta(r->rf, "hvtrace_version", HVT_VERSION));
	note_err(r, recfile_set_meta_int(r->rf, "schema", RECFILE_SCHEMA));
	/* Where this ran, for the report and for a default label. */
	if (!hvt_detect(NULL, &r->env)) {
		note_err(r, recfile_set_meta(r->rf, "hypervisor", r->env.summary));
		note_err(r, recfile_set_meta(r->rf, "env_kind", hvt_env_kind_name(r->env.kind)));
		note_err(r, recfile_set_meta(r->rf, "hypervisor_mode", r->env.mode));
		note_err(r, recfile_set_meta(r->rf, "clocksource", r->env.clocksource));
		note_err(r, recfile_set_meta(r->rf, "cpuid_signature", r->env.cpuid_signature));
	}
	note_err(r, recfile_set_meta(r->rf, "label", o->label ? o->label :
				     r->env.summary[0] ? r->env.summary : "unlabelled"));
	note_err(r, recfile_set_meta(r->rf, "command", cmd));
	note_err(r, recfile_set_meta(r->rf, "scope", o->system_wide ? "system" : "tree"));
	note_err(r, recfile_set_meta_int(r->rf, "interval_ms", o->interval_ms));
	note_err(r, recfile_set_meta_int(r->rf, "complete", 0));
	note_err(r, sysinfo_write_meta(r->rf));
}

/* The domain's description and vCPU threads; a first stats sample as baseline. */
static void write_vmm_meta(struct recorder *r)
{
	struct vmm_vcpu vcpus[256];
	enum vmm_tid_source used;
	struct vmm_meta m = { 0 };
	char e[256];
	size_t n = 0;

	if (!vmm_get_meta(r->vmm, &m, e, sizeof(e)))
		note_err(r, vmm_rec_meta(r->rf, 0, &m));
	vmm_meta_free(&m);
	if (r->follow && !vmm_vcpu_tids(r->vmm, VMM_TIDS_AUTO, vcpus, ARRAY_SIZE(vcpus), &n,
					&used, e, sizeof(e)))
		note_err(r, vmm_rec_threads(r->rf, 0, r->follow, vcpus, n, used));
	else if (r->follow)
		progress(r, "note: no vCPU threads: %s", e);
	note_err(r, recfile_begin(r->rf));
	vmm_flush(r, 0);
	note_err(r, recfile_commit(r->rf));
}

/* What the kernel says the programs cost: calls and ns, per program. */
static void write_prog_stats(struct recorder *r)
{
	struct guest_view_prog_stat st[32];
	char key[96];
	int i, n = guest_view_prog_stats(r->gv, st, ARRAY_SIZE(st));

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bpf.%s.run_cnt", st[i].name);
		note_err(r, recfile_set_meta_int(r->rf, key, st[i].run_cnt));
		snprintf(key, sizeof(key), "bpf.%s.run_time_ns", st[i].name);
		note_err(r, recfile_set_meta_int(r->rf, key, st[i].run_time_ns));
	}
}

static void write_end_meta(struct recorder *r, int exit_code)
{
	int64_t end = r->ph.end_mono;
	uint64_t lost = 0;
	unsigned int i;

	for (i = 0; i < HVT_MAX_PHASES; i++)
		lost += r->counts_prev[i].lost;
	note_err(r, recfile_set_meta_int(r->rf, "start_mono_ns", r->mono0));
	note_err(r, recfile_set_meta_int(r->rf, "start_real_ns", r->mono0 + r->ph.real_minus_mono));
	note_err(r, recfile_set_meta_int(r->rf, "end_mono_ns", end));
	note_err(r, recfile_set_meta_int(r->rf, "end_real_ns", end + r->ph.real_minus_mono));
	note_err(r, recfile_set_meta_int(r->rf, "wall_ns", end - r->mono0));
	note_err(r, recfile_set_meta_int(r->rf, "exit_status", exit_code));
	note_err(r, recfile_set_meta_int(r->rf, "lost_events", lost));
	note_err(r, recfile_set_meta_int(r->rf, "phases_merged",
					 r->ph.n > HVT_MAX_PHASES ? r->ph.n - HVT_MAX_PHASES : 0));
	if (r->o->argv) {
		note_err(r, recfile_set_meta_int(r->rf, "rusage_user_ns",
			(int64_t)r->root_ru.ru_utime.tv_sec * 1000000000 +
			r->root_ru.ru_utime.tv_usec * 1000));
		note_err(r, recfile_set_meta_int(r->rf, "rusage_sys_ns",
			(int64_t)r->root_ru.ru_stime.tv_sec * 1000000000 +
			r->root_ru.ru_stime.tv_usec * 1000));
	}
}

static int add_epoll(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int make_timer(int64_t period_ns, int once)
{
	struct itimerspec its = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = period_ns / 1000000000;
	its.it_value.tv_nsec = period_ns % 1000000000;
	if (!once)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	return fd;
}

enum { TAG_SIG = 1, TAG_TICK, TAG_EVENTS, TAG_MARK, TAG_PIDFD, TAG_DURATION, TAG_AGENT };

/* Reaps the workload's root if it ended; other children are not ours. */
static void reap(struct recorder *r)
{
	int status;

	if (r->root_done || !r->o->argv)
		return;
	if (wait4(r->root, &status, WNOHANG, &r->root_ru) == r->root) {
		r->root_done = 1;
		r->root_status = status;
	}
}

static int loop(struct recorder *r, int ep, int sfd, int tfd, int mfd, uid_t uid)
{
	struct epoll_event evs[8];
	int interrupts = 0, stop = 0, n, i, err;

	while (!stop && !r->root_done && !r->vm_gone) {
		n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			struct signalfd_siginfo si;
			uint64_t ticks;

			switch (evs[i].data.u64) {
			case TAG_SIG:
				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo == SIGCHLD) {
					reap(r);
					break;
				}
				if (!r->o->argv) {	/* following --pid: just stop */
					stop = 1;
					break;
				}
				/* Pass it on; a second one is final. */
				workload_signal(&r->wl, ++interrupts > 1 ? SIGKILL : (int)si.ssi_signo);
				progress(r, "%s: stopping the workload", strsignal(si.ssi_signo));
				break;
			case TAG_TICK:
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					break;
				err = flush(r, 0);
				if (err)
					return err;
				/* A host that connects late gets what the guest queued. */
				agent_guest_handle(r->ag);
				break;
			case TAG_AGENT:
				if (r->ag && agent_guest_handle(r->ag)) {
					progress(r, "the host channel closed; recording goes on alone");
					epoll_ctl(r->ep, EPOLL_CTL_DEL, agent_guest_fd(r->ag), NULL);
				}
				if (r->ah && agent_host_handle(r->ah)) {
					progress(r, "guest channel: %s", agent_host_error(r->ah));
					epoll_ctl(r->ep, EPOLL_CTL_DEL, agent_host_fd(r->ah), NULL);
				}
				break;
			case TAG_EVENTS:
				guest_view_consume(r->gv);
				break;
			case TAG_MARK:
				marksock_serve(mfd, uid, on_mark, r);
				break;
			case TAG_PIDFD:
				stop = 1;
				break;
			case TAG_DURATION:
				if (!r->o->argv) {
					stop = 1;
					break;
				}
				progress(r, "duration reached: stopping the workload");
				workload_signal(&r->wl, ++interrupts > 1 ? SIGKILL : SIGTERM);
				break;
			}
		}
	}
	return 0;
}

static int start_workload(struct recorder *r, const char *sock, uid_t uid, gid_t gid, char *err,
			  size_t errlen)
{
	struct hvt_event e = { .type = HVT_EV_EXEC };
	const char *base = strrchr(r->o->argv[0], '/');
	char why[256];
	int ret;

	ret = workload_spawn(&r->wl, r->o->argv, uid, gid, sock, err, errlen);
	if (ret)
		return ret;
	r->root = r->wl.pid;
	ret = guest_view_track(r->gv, r->root);
	if (ret) {
		snprintf(err, errlen, "cannot put the workload in scope: %s", strerror(-ret));
		return ret;
	}
	/* Counting starts at its exec; without counters the recording goes on. */
	r->pc = perfctr_open(r->root, PERFCTR_ON_EXEC);
	if (!r->pc)
		progress(r, "no perf counters: %s", strerror(errno));
	r->sh->root_tgid = r->root;
	r->sh->auto_phases = r->o->auto_phases;
	r->mono0 = now_mono_ns();
	r->ph.real_minus_mono = now_real_ns() - now_mono_ns();
	base = base ? base + 1 : r->o->argv[0];
	ret = phases_init(&r->ph, base, r->root, r->mono0, r->ph.real_minus_mono);
	if (ret)
		return ret;
	e.pid = e.tid = r->root;
	e.ppid = getpid();
	e.ts_ns = r->mono0;
	snprintf(e.comm, sizeof(e.comm), "%s", base);
	snprintf(e.path, sizeof(e.path), "%s", r->o->argv[0]);
	proc_get(r, &e);
	ret = workload_release(&r->wl, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "cannot run '%s': %s", r->o->argv[0], why);
	return ret;
}

static int follow_pid(struct recorder *r, char *err, size_t errlen)
{
	char comm[64] = "", path[64];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)r->follow);
	f = fopen(path, "re");
	if (!f || !fgets(comm, sizeof(comm), f)) {
		if (f)
			fclose(f);
		snprintf(err, errlen, "no process %d", (int)r->follow);
		return -ESRCH;
	}
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	r->root = r->follow;
	/* Only processes created from now on count here (perf's inherit). */
	r->pc = perfctr_open(r->root, 0);
	ret = guest_view_track_tree(r->gv, r->root);
	if (ret < 0) {
		snprintf(err, errlen, "cannot follow process %d: %s", (int)r->root,
			 strerror(-ret));
		return ret;
	}
	r->sh->root_tgid = r->root;
	r->sh->auto_phases = r->o->auto_phases;
	r->mono0 = now_mono_ns();
	r->ph.real_minus_mono = now_real_ns() - now_mono_ns();
	return phases_init(&r->ph, comm, r->root, r->mono0, r->ph.real_minus_mono);
}

static int calibrate(struct recorder *r, struct calib_result *ret)
{
	struct calib_opts co = { .budget_ns = r->o->calib_budget_ns };

	progress(r, "calibrating (%.1f s; --no-calibrate skips it)", co.budget_ns / 1e9);
	if (!calib_run(&co, ret))
		return 1;
	progress(r, "calibration failed; the recording has no unit costs");
	return 0;
}

static void store_calib(struct recorder *r, const struct calib_result *calib)
{
	char key[64];
	size_t i;

	note_err(r, calib_store(calib, r->rf));
	for (i = 0; i < calib->n; i++) {
		if (!calib->probes[i].method || calib->probes[i].err)
			continue;
		snprintf(key, sizeof(key), "calib_%s_method", calib->probes[i].probe);
		note_err(r, recfile_set_meta(r->rf, key, calib->probes[i].method));
	}
}

/* The name a phase opened by our own executable (hvtrace mark) would get. */
static void self_phase_name(char *buf, size_t len)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	phase_name_from_path(buf, len, self, "hvtrace");
}

/*
 * Loading the probes parses the kernel's BTF (5.5 MB here) three times: for
 * the guest object, to choose the host probes and for the host object. With
 * glibc's defaults each parse's buffers are mmapped and unmapped, so every
 * parse faults them in anew, at 11 us a page on a PVM guest. These thresholds
 * keep them on the heap, where the later parses reuse the first one's pages:
 * 150 ms less start-up there (docs/performance.md). They stay for the whole
 * run (mallopt turns glibc's adaptive thresholds off for good); the heap is
 * given back once, after loading (malloc_trim).
 */
static void malloc_for_loading(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

static int open_views(struct recorder *r, const struct guest_view_opts *gvo, char *err,
		      size_t errlen)
{
	r->gv = guest_view_open(gvo, on_event, r, err, errlen);
	if (!r->gv)
		return -errno;
	/* KVM's tracepoints, where this kernel has them: a VMM's exits. */
	r->hv = host_view_open(r->gv, gvo, err, errlen);
	if (!r->hv && errno != ENOENT)
		return -errno;
	return 0;
}

static void recorder_free(struct recorder *r)
{
	procs_flush_all(r);
	perfctr_close(r->pc);
	vmm_rec_free(r->vmm_rec);
	vmm_close(r->vmm);
	agent_guest_close(r->ag);
	agent_host_close(r->ah);
	free(r->guest_start);
	host_view_close(r->hv);
	guest_view_close(r->gv);
	phases_free(&r->ph);
	free(r->sys_now);
	free(r->sys_prev);
	free(r->counts_prev);
	free(r->runq_prev);
}

int recorder_run(const struct record_opts *o, int *ret_exit, char *err, size_t errlen)
{
	struct guest_view_opts gvo = { .system_wide = o->system_wide, .self = getpid(),
				       .prog_stats = o->prog_stats };
	struct recorder r = { .o = o, .wl = { .gate_fd = -1, .err_fd = -1 } };
	struct calib_result calib;
	int have_calib = 0;
	char sock[64] = "";
	sigset_t mask, oldmask;
	int ep = -1, sfd = -1, tfd = -1, dfd = -1, mfd = -1, pidfd = -1, ret, exit_code = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();

	*ret_exit = 0;
	sigprocmask(SIG_BLOCK, NULL, &oldmask);
	self_phase_name(r.self_name, sizeof(r.self_name));
	if (!has_bpf_privilege()) {
		snprintf(err, errlen, "recording needs root, or CAP_BPF and CAP_PERFMON "
			 "(running as uid %d without them)", (int)geteuid());
		return -EPERM;
	}
	if (o->argv) {
		ret = workload_find(o->argv[0]);
		if (ret) {
			snprintf(err, errlen, "cannot run '%s': %s", o->argv[0], strerror(-ret));
			return ret;
		}
		ret = workload_credentials(o->user, &uid, &gid, err, errlen);
		if (ret)
			return ret;
	} else if (o->vm) {
		r.vmm = vmm_open(o->connect ? o->connect : VMM_DEFAULT_URI, o->vm, err, errlen);
		if (!r.vmm)
			return -errno;
		ret = vmm_pid(r.vmm, &r.follow, err, errlen);
		if (ret) {
			/* Remote or non-QEMU domains: libvirt's stats are all there is. */
			progress(&r, "note: %s; recording libvirt's domain stats only", err);
			r.follow = 0;
		} else if (!o->channel) {
			find_vm_channel(&r);
		}
		r.vmm_rec = vmm_rec_new(0);
		if (!r.vmm_rec) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto out_free;
		}
	} else if (kill(o->pid, 0) && errno == ESRCH) {
		snprintf(err, errlen, "no process %d", (int)o->pid);
		return -ESRCH;
	} else {
		r.follow = o->pid;
	}
	r.sys_now = calloc(HVT_NR_SYSCALLS, sizeof(*r.sys_now));
	r.sys_prev = calloc(HVT_MAX_PHASES, sizeof(*r.sys_prev));
	r.counts_prev = calloc(HVT_MAX_PHASES, sizeof(*r.counts_prev));
	r.runq_prev = calloc(HVT_MAX_PHASES, sizeof(*r.runq_prev));
	if (!r.sys_now || !r.sys_prev || !r.counts_prev || !r.runq_prev) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out_free;
	}
	/*
	 * Calibration before the BPF side is attached: its hundreds of short-lived
	 * children are not the workload's. A process already running (--pid, --vm)
	 * is not kept waiting for it: it is calibrated after, when it has ended.
	 */
	if (o->argv && o->calib_budget_ns > 0)
		have_calib = calibrate(&r, &calib);
	/* Probes first: a kernel that refuses them must not leave an empty recording. */
	malloc_for_loading();
	ret = open_views(&r, &gvo, err, errlen);
	malloc_trim(0);
	if (ret)
		goto out_free;
	r.rf = recfile_create(o->output, err, errlen);
	if (!r.rf) {
		ret = -errno;
		goto out_free;
	}
	/* The recording belongs to whoever asked for it, not to root (best effort). */
	if (getuid() == 0 && uid != 0 && chown(o->output, uid, gid) && !o->quiet)
		fprintf(stderr, "hvtrace: note: '%s' stays owned by root\n", o->output);
	write_start_meta(&r);
	note_err(&r, host_view_write_meta(r.hv, r.rf));
	if (r.vmm)
		write_vmm_meta(&r);
	if (have_calib)
		store_calib(&r, &calib);
	ret = open_agent(&r, err, errlen);
	if (ret)
		goto out_reap;
	r.sh = guest_view_shared(r.gv);
	r.steal_ok = !sysinfo_steal_ns(&r.steal_last);

	mfd = marksock_listen(sock, sizeof(sock));
	if (mfd < 0) {
		snprintf(err, errlen, "cannot open the mark socket: %s", strerror(-mfd));
		ret = mfd;
		goto out_close;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	/* The child must not inherit the blocked mask: spawn restores it. */
	if (o->argv) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		ret = start_workload(&r, sock, uid, gid, err, errlen);
		sigprocmask(SIG_BLOCK, &mask, NULL);
	} else if (r.follow) {
		ret = follow_pid(&r, err, errlen);
	} else {	/* a domain without a local process: only time passes */
		r.mono0 = now_mono_ns();
		r.ph.real_minus_mono = now_real_ns() - r.mono0;
		ret = phases_init(&r.ph, o->vm, 0, r.mono0, r.ph.real_minus_mono);
	}
	if (ret)
		goto out_reap;
	agent_phase_out(&r, 0);
	progress(&r, "recording %s (pid %d) into %s", o->argv ? o->argv[0] : o->vm ? o->vm :
		 "process", (int)r.root, o->output);

	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = make_timer((int64_t)o->interval_ms * 1000000, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		goto out_reap;
	}
	r.ep = ep;
	ret = add_epoll(ep, sfd, TAG_SIG) ?: add_epoll(ep, tfd, TAG_TICK) ?:
	      add_epoll(ep, guest_view_events_fd(r.gv), TAG_EVENTS) ?:
	      add_epoll(ep, mfd, TAG_MARK);
	if (!ret && r.ag)
		ret = add_epoll(ep, agent_guest_fd(r.ag), TAG_AGENT);
	if (!ret && r.ah)
		ret = add_epoll(ep, agent_host_fd(r.ah), TAG_AGENT);
	if (!ret && r.follow) {
		pidfd = syscall(SYS_pidfd_open, r.root, 0);
		ret = pidfd < 0 ? -errno : add_epoll(ep, pidfd, TAG_PIDFD);
	}
	if (!ret && o->duration_s > 0) {
		dfd = make_timer((int64_t)(o->duration_s * 1e9), 1);
		ret = dfd < 0 ? dfd : add_epoll(ep, dfd, TAG_DURATION);
	}
	if (ret) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(-ret));
		goto out_reap;
	}
	reap(&r);	/* a workload may end before the loop starts */
	ret = loop(&r, ep, sfd, tfd, mfd, uid);
	if (ret) {
		snprintf(err, errlen, "recording failed: %s", strerror(-ret));
		goto out_reap;
	}

	/* Drain what the kernel side queued up to the end, then the last tick. */
	guest_view_consume(r.gv);
	r.ph.end_mono = r.root_exit_mono ? r.root_exit_mono : now_mono_ns();
	if (o->argv)
		exit_code = workload_exit_code(r.root_status);
	if (r.ah) {
		/* The guest's last messages and its recording may still be on the way. */
		if (agent_host_finish(r.ah, 60000) && agent_host_state(r.ah) == AGENT_FAILED)
			progress(&r, "guest channel: %s", agent_host_error(r.ah));
		host_phases_remap(&r);
	}
	ret = flush(&r, 1);
	if (o->prog_stats)
		write_prog_stats(&r);
	if (!o->argv && o->calib_budget_ns > 0) {
		/* Detached first, so that tracing does not weigh on the unit costs. */
		host_view_close(r.hv);
		guest_view_close(r.gv);
		r.hv = NULL;
		r.gv = NULL;
		if (calibrate(&r, &calib))
			store_calib(&r, &calib);
	}
	note_err(&r, recfile_begin(r.rf));
	procs_flush_all(&r);
	write_end_meta(&r, exit_code);
	agent_guest_end(r.ag, exit_code, r.ph.end_mono, r.ph.end_mono + r.ph.real_minus_mono,
			r.ph.end_mono - r.mono0);
	note_err(&r, agent_guest_write_meta(r.ag, r.rf));
	note_err(&r, agent_host_write_meta(r.ah, r.rf));
	note_err(&r, recfile_set_meta_int(r.rf, "complete", 1));
	note_err(&r, recfile_commit(r.rf));
	if (ret || r.write_err) {
		ret = ret ? ret : r.write_err;
		snprintf(err, errlen, "cannot write the recording '%s': %s", o->output,
			 strerror(-ret));
		goto out_close;
	}
	progress(&r, "%zu phase%s, %.2f s, %s %d; recording in %s", r.ph.n, r.ph.n == 1 ? "" : "s",
		 (r.ph.end_mono - r.mono0) / 1e9, o->argv ? "exit status" : "pid", o->argv ?
		 exit_code : (int)r.root, o->output);
	*ret_exit = exit_code;
	recfile_close(r.rf);
	r.rf = NULL;
	if (r.ag && agent_guest_send_recording(r.ag, o->output, 60000, err, errlen))
		progress(&r, "cannot send the recording to the host (%s); it stays in %s", err,
			 o->output);
	if (r.ah)
		merge_guest(&r);
	ret = 0;
	goto out_close;

out_reap:
	/* Never leave a held or running workload behind a failed recording. */
	if (r.wl.pid > 0 && !r.root_done) {
		kill(r.wl.pid, SIGKILL);
		waitpid(r.wl.pid, NULL, 0);
	}
	if (r.wl.gate_fd >= 0)
		close(r.wl.gate_fd);
	if (r.wl.err_fd >= 0)
		close(r.wl.err_fd);
	/* Nothing ran: leave no half-made recording behind. */
	if (!r.mono0 && r.rf) {
		recfile_close(r.rf);
		r.rf = NULL;
		unlink(o->output);
	}
out_close:
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (dfd >= 0)
		close(dfd);
	if (mfd >= 0)
		close(mfd);
	if (pidfd >= 0)
		close(pidfd);
	recfile_close(r.rf);
out_free:
	recorder_free(&r);
	return ret;
}
