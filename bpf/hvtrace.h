/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one header shared by the BPF programs and user space: map value layouts,
 * ring buffer events and the enums that index them. Fixed-width types only,
 * no pointers, explicit padding; user space _Static_asserts every size.
 */
#ifndef HVTRACE_H
#define HVTRACE_H

#ifndef __VMLINUX_H__	/* user space; BPF gets the types from vmlinux.h */
#include <linux/types.h>
#endif

#define HVT_MAX_PHASES 64	/* phase ids beyond this share the last slot */
#define HVT_NR_SYSCALLS 512	/* x86_64 numbers; larger ones land in HVT_NR_SYSCALLS - 1 */
#define HVT_HIST_SLOTS 32	/* log2 buckets: slot i holds [2^i, 2^(i+1)) ns; 0 holds 0..1 */
#define HVT_COMM_LEN 16
#define HVT_PATH_LEN 128

/* Page fault kinds, from the x86 error code and the tracepoint used. */
enum hvt_fault_kind {
	HVT_FAULT_USER_READ,
	HVT_FAULT_USER_WRITE,
	HVT_FAULT_USER_EXEC,
	HVT_FAULT_KERNEL_READ,
	HVT_FAULT_KERNEL_WRITE,
	HVT_FAULT_KERNEL_EXEC,
	HVT_FAULT_KINDS,
};

/* Process events counted per phase. */
enum hvt_proc_kind {
	HVT_PROC_FORK,		/* a new process with its own memory (fork, clone) */
	HVT_PROC_VFORK,		/* a process borrowing its parent's memory until exec */
	HVT_PROC_CLONE,		/* a process sharing its parent's memory (CLONE_VM) */
	HVT_PROC_THREAD,	/* a new thread (CLONE_THREAD) */
	HVT_PROC_EXEC,
	HVT_PROC_EXIT,		/* a whole process (thread group) ended */
	HVT_PROC_KINDS,
};

/* Scheduler figures counted per phase. */
enum hvt_sched_kind {
	HVT_SCHED_RUNQ,		/* wakeup or preemption -> on CPU: count, sum, hist */
	HVT_SCHED_VOLUNTARY,	/* switched out while blocking */
	HVT_SCHED_INVOLUNTARY,	/* switched out while runnable (preempted) */
	HVT_SCHED_ONCPU,	/* time on CPU: sum_ns */
	HVT_SCHED_KINDS,
};

/* CPU time of ended threads, from task_struct at exit. */
enum hvt_cpu_kind {
	HVT_CPU_USER,
	HVT_CPU_SYS,
	HVT_CPU_KINDS,
};

/*
 * Per-thread state in task storage; its presence puts the thread in scope.
 * User space creates it (zeroed) for the workload's root, fork copies it on.
 */
struct hvt_task {
	__u64 enter_ns;		/* syscall entry, 0 when not in a counted syscall */
	__u64 runq_ns;		/* woken or preempted, waiting for a CPU */
	__u64 oncpu_ns;		/* switched in */
	__s64 nr;		/* syscall in progress */
};

/* One aggregate: a syscall, a run-queue delay ... in one phase on one CPU. */
struct hvt_agg {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u32 hist[HVT_HIST_SLOTS];
};

/*
 * Small counters that need no latency: faults, process events, CPU time.
 * One per-CPU array entry per phase.
 */
struct hvt_counts {
	__u64 fault[HVT_FAULT_KINDS];
	__u64 proc[HVT_PROC_KINDS];
	__u64 cpu_ns[HVT_CPU_KINDS];
	__u64 sched[HVT_SCHED_KINDS]; /* counts for VOLUNTARY/INVOLUNTARY, ns for ONCPU */
	__u64 lost;			/* ring buffer reservations that failed */
};

enum hvt_event_type {
	HVT_EV_FORK = 1,
	HVT_EV_EXEC,
	HVT_EV_EXIT,
	HVT_EV_PHASE,	/* the kernel side opened an automatic phase */
};

/* Ring buffer record for rare, ordered events. */
struct hvt_event {
	__u32 type;
	__u32 phase;
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;		/* parent's tgid */
	__s32 exit_code;	/* wait status for EXIT */
	__u64 utime_ns;		/* EXIT: the whole group's CPU time (signal + this thread) */
	__u64 stime_ns;
	__u64 min_flt;
	__u64 maj_flt;
	char comm[HVT_COMM_LEN];
	char path[HVT_PATH_LEN];	/* EXEC/PHASE: filename as exec'd */
};

/*
 * Global state shared through the skeleton's .bss, read and written by user
 * space through the mmap'ed section.
 */
struct hvt_shared {
	__u32 phase;		/* current phase id; both sides only add to it */
	__u32 auto_phases;	/* 1: a direct child's exec opens a phase */
	__u32 phase_owner;	/* pid that opened the current automatic phase */
	__u32 root_tgid;	/* the workload's root process */
};

/* ---- host view (bpf/host_kvm.bpf.c) ---------------------------------- */

#define HVT_KVM_ISA_VMX 1	/* the kvm_exit tracepoint's isa field */
#define HVT_KVM_ISA_SVM 2
#define HVT_VCPU_UNKNOWN 0xffff	/* vCPU id not known (or beyond 0xfffe) */
#define HVT_KVM_MAX_AGGS 16384	/* (phase, kind, vcpu, key) entries */
#define HVT_UEXIT_ERRNO 0x10000	/* uexit key of a KVM_RUN failed with errno e: this + e */

/* What a host-view aggregate counts; the key's meaning depends on it. */
enum hvt_kvm_kind {
	HVT_KVM_EXIT,		/* kvm_exit -> kvm_entry; key isa << 32 | reason */
	HVT_KVM_EXIT_UNPAIRED,	/* kvm_exit whose entry was not seen; same key */
	HVT_KVM_UEXIT,		/* KVM_RUN -> kvm_userspace_exit; key KVM_EXIT_* */
	HVT_KVM_UEXIT_UNPAIRED,	/* userspace exit whose KVM_RUN was not seen */
	HVT_KVM_VMM,		/* userspace exit -> next KVM_RUN; key of the exit */
	HVT_KVM_PIO,		/* kvm_pio; key dir << 16 | port */
	HVT_KVM_MMIO,		/* kvm_mmio; key gpa page | type */
	HVT_KVM_MSR,		/* kvm_msr; key exception << 33 | write << 32 | msr */
	HVT_KVM_PF,		/* kvm_page_fault; key error code bits */
	HVT_KVM_HALT,		/* kvm_vcpu_wakeup; key waited | invalid << 1 */
	HVT_KVM_KINDS,
};

/* Key of the per-CPU hash of host-view aggregates (value: struct hvt_agg). */
struct hvt_kvm_key {
	__u32 phase;		/* phase slot */
	__u16 kind;		/* enum hvt_kvm_kind */
	__u16 vcpu;		/* vCPU id, HVT_VCPU_UNKNOWN if not known */
	__u64 key;
};

/* hvt_kvm_thread.open: which intervals are open. */
#define HVT_KT_EXIT 0x1		/* kvm_exit seen, its kvm_entry not yet */
#define HVT_KT_RUN 0x2		/* in KVM_RUN */
#define HVT_KT_UEXIT 0x4	/* back in user space after a userspace exit */

/* Per-thread pairing state in task storage (see bpf/kvm_pair.h). */
struct hvt_kvm_thread {
	__u64 exit_ns;		/* when each open interval began */
	__u64 run_ns;
	__u64 uexit_ns;
	__u32 exit_reason;
	__u32 uexit_key;	/* of the last userspace exit */
	__u16 exit_isa;
	__u16 exit_vcpu;
	__u16 run_vcpu;		/* vCPU of the current or last KVM_RUN */
	__u16 open;		/* HVT_KT_* */
};

#endif /* HVTRACE_H */
