// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The guest view: syscalls, page faults, process life cycle and scheduling of
 * the workload's process tree (or of everything), aggregated per phase in
 * per-CPU maps. Only fork/exec/exit and phase changes go through the ring
 * buffer. Works natively and inside any Linux guest.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hvtrace.h"
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_CLONE 56
#define NR_VFORK 58
#define NR_CLONE3 435
#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000

/*
 * Per-CPU aggregates, in plain arrays with the CPU as the outer index (entry
 * cpu * PER_CPU + i), not in BPF_MAP_TYPE_PERCPU_ARRAY: a per-CPU array's
 * lookup goes through its table of per-CPU pointers, one more cold cache line
 * on every event, 37 of sys_exit's 135 ns on a PVM guest (docs/performance.md).
 * A CPU only writes its own entries (programs run with migration disabled),
 * as with per-CPU maps. User space multiplies max_entries by the CPU ids
 * before loading and reads a CPU's run with one batch lookup (user/cpu_array.h;
 * BPF_F_MMAPABLE marks these maps for it and for bench/progcost).
 */
#define SYS_PER_CPU (HVT_MAX_PHASES * HVT_NR_SYSCALLS)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SYS_PER_CPU);
	__type(key, __u32);
	__type(value, struct hvt_agg);
} sys_aggs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, HVT_MAX_PHASES);
	__type(key, __u32);
	__type(value, struct hvt_agg);
} runq_aggs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, HVT_MAX_PHASES);
	__type(key, __u32);
	__type(value, struct hvt_counts);
} counts SEC(".maps");

/* This CPU's entry I of a per-CPU array with PER_CPU entries per CPU. */
static __always_inline void *cpu_elem(void *map, __u32 per_cpu, __u32 i)
{
	__u32 key = bpf_get_smp_processor_id() * per_cpu + i;

	return bpf_map_lookup_elem(map, &key);
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline struct hvt_counts *phase_counts(__u32 slot)
{
	return cpu_elem(&counts, HVT_MAX_PHASES, slot);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct hvt_task *s = task_state(bpf_get_current_task_btf());

	if (!s)
		return 0;
	s->nr = id;
	s->enter_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct hvt_task *s = task_state(bpf_get_current_task_btf());
	struct hvt_agg *a;
	__u64 nr, start;
	__u32 idx;

	if (!s || !s->enter_ns)
		return 0;
	start = s->enter_ns;
	s->enter_ns = 0;
	if (s->nr < 0)
		return 0;
	nr = s->nr < HVT_NR_SYSCALLS ? s->nr : HVT_NR_SYSCALLS - 1;
	idx = phase_slot() * HVT_NR_SYSCALLS + nr;
	a = cpu_elem(&sys_aggs, SYS_PER_CPU, idx);
	if (a)
		hvt_agg_add(a, bpf_ktime_get_ns() - start);
	return 0;
}

static __always_inline void count_fault(unsigned long error_code, int kernel)
{
	struct hvt_counts *c;
	int kind;

	if (!task_state(bpf_get_current_task_btf()))
		return;
	/* x86 page fault error code: bit 1 write, bit 4 instruction fetch. */
	kind = error_code & 0x10 ? HVT_FAULT_USER_EXEC :
	       error_code & 0x2 ? HVT_FAULT_USER_WRITE : HVT_FAULT_USER_READ;
	if (kernel)
		kind += HVT_FAULT_KERNEL_READ;
	c = phase_counts(phase_slot());
	if (c && kind < HVT_FAULT_KINDS)
		c->fault[kind]++;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	count_fault(error_code, 0);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(page_fault_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	count_fault(error_code, 1);
	return 0;
}

/*
 * A wakeup per event costs the producer an irq_work and the recorder a trip
 * through epoll for every fork, exec and exit: 0.5 ms per fork+exec+wait on a
 * PVM guest (docs/performance.md). Only phase changes wake the recorder at
 * once; the rest waits for its next tick, or wakes it when a quarter of the
 * buffer is used, long before anything could be lost.
 */
#define EVENTS_WAKE_BYTES (256 << 10)

static __always_inline void event_submit(struct hvt_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (e->type == HVT_EV_PHASE ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > EVENTS_WAKE_BYTES)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct hvt_event *event_new(__u32 type, __u32 phase,
						   struct task_struct *t)
{
	struct hvt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	struct hvt_counts *c;

	if (!e) {
		c = phase_counts(phase < HVT_MAX_PHASES ? phase : HVT_MAX_PHASES - 1);
		if (c)
			c->lost++;
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->phase = phase;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = t->tgid;
	e->tid = t->pid;
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), t->comm);
	return e;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct hvt_task *ps = task_state(parent), *cs;
	struct hvt_counts *c;
	struct hvt_event *e;
	__u32 slot = phase_slot();
	int kind;

	if (!ps)
		return 0;
	cs = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs)
		return 0;
	/*
	 * By what was made, not by which syscall made it (glibc's fork is clone).
	 * The parent is still in the syscall: its flags are in its registers
	 * (vfork_done is set only after this tracepoint).
	 */
	if (child->pid != child->tgid) {
		kind = HVT_PROC_THREAD;
	} else {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(parent);
		__u64 flags = 0, uargs;

		if (ps->nr == NR_VFORK) {
			flags = CLONE_VFORK | CLONE_VM;
		} else if (ps->nr == NR_CLONE) {
			flags = BPF_CORE_READ(regs, di);
		} else if (ps->nr == NR_CLONE3) {
			uargs = BPF_CORE_READ(regs, di);	/* struct clone_args, flags first */
			bpf_probe_read_user(&flags, sizeof(flags), (void *)uargs);
		}
		kind = flags & CLONE_VFORK ? HVT_PROC_VFORK :
		       flags & CLONE_VM ? HVT_PROC_CLONE : HVT_PROC_FORK;
	}
	c = phase_counts(slot);
	if (c)
		c->proc[kind]++;
	if (kind == HVT_PROC_THREAD)
		return 0;
	e = event_new(HVT_EV_FORK, shared.phase, child);
	if (!e)
		return 0;
	e->ppid = parent->tgid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), parent->comm);
	event_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct hvt_counts *c;
	struct hvt_event *e;
	__u32 phase, type = HVT_EV_EXEC;
	__u32 ppid;

	if (!task_state(p))
		return 0;
	ppid = BPF_CORE_READ(p, real_parent, tgid);
	if (shared.auto_phases && ppid == shared.root_tgid) {
		/* A command run by the workload's root opens a phase; the same
		 * process exec'ing again (env, a wrapper) only renames it. */
		if (shared.phase_owner != (__u32)p->tgid) {
			__sync_fetch_and_add(&shared.phase, 1);
			shared.phase_owner = p->tgid;
		}
		type = HVT_EV_PHASE;
	}
	phase = shared.phase;
	c = phase_counts(phase < HVT_MAX_PHASES ? phase : HVT_MAX_PHASES - 1);
	if (c)
		c->proc[HVT_PROC_EXEC]++;
	e = event_new(type, phase, p);
	if (!e)
		return 0;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
	event_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct hvt_counts *c;
	struct hvt_event *e;
	__u32 slot = phase_slot();

	if (!task_state(p))
		return 0;
	c = phase_counts(slot);
	if (c) {
		c->cpu_ns[HVT_CPU_USER] += p->utime;
		c->cpu_ns[HVT_CPU_SYS] += p->stime;
	}
	/* do_exit() drops signal->live before this tracepoint: 0 = last thread. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (c)
		c->proc[HVT_PROC_EXIT]++;
	e = event_new(HVT_EV_EXIT, shared.phase, p);
	if (!e)
		return 0;
	e->exit_code = p->exit_code;
	e->utime_ns = p->utime + BPF_CORE_READ(p, signal, utime);
	e->stime_ns = p->stime + BPF_CORE_READ(p, signal, stime);
	e->min_flt = p->min_flt + BPF_CORE_READ(p, signal, min_flt);
	e->maj_flt = p->maj_flt + BPF_CORE_READ(p, signal, maj_flt);
	event_submit(e);
	return 0;
}

static __always_inline void mark_runnable(struct task_struct *p)
{
	struct hvt_task *s = task_state(p);

	if (s && !s->runq_ns)
		s->runq_ns = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	mark_runnable(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	mark_runnable(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct hvt_task *ps = task_state(prev), *ns = task_state(next);
	struct hvt_counts *c;
	struct hvt_agg *a;
	__u32 slot = phase_slot();
	__u64 now;

	if (ps) {
		now = bpf_ktime_get_ns();
		c = phase_counts(slot);
		if (c && ps->oncpu_ns)
			c->sched[HVT_SCHED_ONCPU] += now - ps->oncpu_ns;
		ps->oncpu_ns = 0;
		/* TASK_RUNNING (0) or preempted: it still wants the CPU. */
		if (preempt || prev_state == 0) {
			ps->runq_ns = now;
			if (c)
				c->sched[HVT_SCHED_INVOLUNTARY]++;
		} else if (c) {
			c->sched[HVT_SCHED_VOLUNTARY]++;
		}
	}
	if (ns) {
		now = bpf_ktime_get_ns();
		ns->oncpu_ns = now;
		if (ns->runq_ns) {
			a = cpu_elem(&runq_aggs, HVT_MAX_PHASES, slot);
			if (a)
				hvt_agg_add(a, now - ns->runq_ns);
			ns->runq_ns = 0;
		}
	}
	return 0;
}
