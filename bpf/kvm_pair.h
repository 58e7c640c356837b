/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host view's event logic, in plain C over plain structs: one
 * implementation for bpf/host_kvm.bpf.c and for the replay test
 * (tests/unit/test_kvm_replay.c).
 *
 * Per thread (a VMM's vCPU thread) it pairs
 *   kvm_exit -> next kvm_entry of the same vCPU    = exit latency (HVT_KVM_EXIT)
 *   KVM_RUN ioctl -> kvm_userspace_exit             = time in KVM_RUN (HVT_KVM_UEXIT)
 *   kvm_userspace_exit -> next KVM_RUN ioctl        = time in the VMM (HVT_KVM_VMM)
 * and builds the keys of the count-only kinds. Each handler takes the thread's
 * state and the event, and returns the one aggregate update the event causes
 * (1, with *out filled) or none (0); the caller applies it with hvt_kvm_apply()
 * to the aggregate of (phase, out->kind, out->vcpu, out->key).
 *
 * Re-entry is the KVM_RUN ioctl's syscall entry, not kvm_entry: it is the
 * end of the VMM's own work on every kernel and backend (kvm_entry does not
 * fire on some, PVM for one), and it does not count the kernel's work
 * before entering the guest as VMM time.
 */
#ifndef HVT_KVM_PAIR_H
#define HVT_KVM_PAIR_H

#include "agg.h"

#define HVT_KVM_EINTR 4		/* a KVM_RUN interrupted by a signal: KVM_EXIT_INTR */
#define HVT_KVM_EXIT_INTR 10

/* One update of one aggregate. */
struct hvt_kvm_rec {
	__u64 key;
	__u64 ns;
	__u16 kind;		/* enum hvt_kvm_kind */
	__u16 vcpu;
	__u32 timed;		/* 1: ns is a latency; 0: a count only */
};

static __always_inline __u16 hvt_kvm_vcpu(__s64 id)
{
	return id >= 0 && id < HVT_VCPU_UNKNOWN ? (__u16)id : HVT_VCPU_UNKNOWN;
}

static __always_inline __u64 hvt_kvm_exit_key(__u32 isa, __u32 reason)
{
	return (__u64)(isa & 0xff) << 32 | reason;
}

/*
 * A KVM_RUN that returned 0 ended with run->exit_reason; one interrupted by a
 * signal returns -EINTR with KVM_EXIT_INTR; any other error keeps its errno.
 */
static __always_inline __u32 hvt_kvm_uexit_key(__u32 reason, __s32 err)
{
	if (err == -HVT_KVM_EINTR)
		return HVT_KVM_EXIT_INTR;
	if (err < 0)
		return HVT_UEXIT_ERRNO + ((__u32)-err & 0xffff);
	return reason;
}

static __always_inline __u64 hvt_kvm_pio_key(__u32 write, __u32 port)
{
	return (__u64)!!write << 16 | (port & 0xffff);
}

/* type: 0 unsatisfied read (goes to user space), 1 read, 2 write. */
static __always_inline __u64 hvt_kvm_mmio_key(__u32 type, __u64 gpa)
{
	return (gpa & ~0xfffULL) | (type & 3);
}

static __always_inline __u64 hvt_kvm_msr_key(__u32 write, __u32 msr, __u32 exception)
{
	return (__u64)!!exception << 33 | (__u64)!!write << 32 | msr;
}

/*
 * x86 page fault error code: present, write, user, reserved bit (KVM's MMIO
 * marker), fetch in bits 0-4; with two-dimensional paging, bits 32/33 say
 * whether the fault was on the final address or on a guest page-table walk.
 */
static __always_inline __u64 hvt_kvm_pf_key(__u64 error_code)
{
	return (error_code & 0x1f) | ((error_code >> 32) & 3) << 5;
}

static __always_inline __u64 hvt_kvm_halt_key(__u32 waited, __u32 valid)
{
	return (__u64)(waited ? 1 : 0) | (__u64)(valid ? 0 : 2);
}

/* The vCPU a thread is running (for events that do not name one). */
static __always_inline __u16 hvt_kvm_cur_vcpu(const struct hvt_kvm_thread *t)
{
	if (t->open & HVT_KT_RUN)
		return t->run_vcpu;
	if (t->open & HVT_KT_EXIT)
		return t->exit_vcpu;
	return HVT_VCPU_UNKNOWN;
}

static __always_inline int hvt_kvm_rec_set(struct hvt_kvm_rec *out, __u16 kind, __u16 vcpu,
					   __u64 key, __u64 ns, __u32 timed)
{
	out->kind = kind;
	out->vcpu = vcpu;
	out->key = key;
	out->ns = ns;
	out->timed = timed;
	return 1;
}

/* A count-only event (pio, mmio, msr, page fault). */
static __always_inline int hvt_kvm_count(struct hvt_kvm_rec *out, __u16 kind, __u16 vcpu,
					 __u64 key)
{
	return hvt_kvm_rec_set(out, kind, vcpu, key, 0, 0);
}

/* kvm_exit: opens an exit; one still open lost its entry and is counted as such. */
static __always_inline int hvt_kvm_on_exit(struct hvt_kvm_thread *t, __u64 now, __u32 isa,
					   __u32 reason, __u16 vcpu, struct hvt_kvm_rec *out)
{
	int n = 0;

	if (t->open & HVT_KT_EXIT)
		n = hvt_kvm_count(out, HVT_KVM_EXIT_UNPAIRED, t->exit_vcpu,
				  hvt_kvm_exit_key(t->exit_isa, t->exit_reason));
	t->open |= HVT_KT_EXIT;
	t->exit_ns = now;
	t->exit_isa = isa;
	t->exit_reason = reason;
	t->exit_vcpu = vcpu;
	return n;
}

/* kvm_entry: closes the open exit if it is this vCPU's. */
static __always_inline int hvt_kvm_on_entry(struct hvt_kvm_thread *t, __u64 now, __u16 vcpu,
					    struct hvt_kvm_rec *out)
{
	__u64 start = t->exit_ns, key;

	if (!(t->open & HVT_KT_EXIT))
		return 0;
	t->open &= ~HVT_KT_EXIT;
	key = hvt_kvm_exit_key(t->exit_isa, t->exit_reason);
	if (vcpu != t->exit_vcpu)
		return hvt_kvm_count(out, HVT_KVM_EXIT_UNPAIRED, t->exit_vcpu, key);
	return hvt_kvm_rec_set(out, HVT_KVM_EXIT, vcpu, key, now > start ? now - start : 0, 1);
}

#define HVT_NR_IOCTL 16		/* x86_64 */
#define HVT_KVM_RUN 0xae80	/* _IO(KVMIO, 0x80) */

/*
 * Whether a KVM event finds its thread inside an ioctl whose entry the pairing
 * has not seen: NR and ENTER_NS are the thread's current syscall and its entry
 * time as the guest view's sys_enter keeps them (0 outside a syscall). If the
 * ioctl is KVM_RUN (its command is in the thread's registers: read only when
 * this says so), the caller replays its entry first, hvt_kvm_on_run() with
 * ENTER_NS: a KVM_RUN is learnt at its first KVM event, at the latest its
 * userspace exit, instead of by a program on every syscall.
 */
static __always_inline int hvt_kvm_run_pending(const struct hvt_kvm_thread *t, __s64 nr,
					       __u64 enter_ns)
{
	return nr == HVT_NR_IOCTL && enter_ns && t->run_ns != enter_ns;
}

/* The KVM_RUN ioctl is entered: the VMM's time since the last userspace exit ends. */
static __always_inline int hvt_kvm_on_run(struct hvt_kvm_thread *t, __u64 now, __u16 vcpu,
					  struct hvt_kvm_rec *out)
{
	__u64 start = t->uexit_ns;
	int n = 0;

	if (t->open & HVT_KT_UEXIT)
		n = hvt_kvm_rec_set(out, HVT_KVM_VMM, t->run_vcpu, t->uexit_key,
				    now > start ? now - start : 0, 1);
	t->open = (t->open & ~HVT_KT_UEXIT) | HVT_KT_RUN;
	t->run_ns = now;
	t->run_vcpu = vcpu;
	return n;
}

/* kvm_userspace_exit: KVM_RUN returns to the VMM. */
static __always_inline int hvt_kvm_on_uexit(struct hvt_kvm_thread *t, __u64 now, __u32 reason,
					    __s32 err, struct hvt_kvm_rec *out)
{
	__u32 key = hvt_kvm_uexit_key(reason, err);
	__u64 start = t->run_ns;
	int n;

	if (t->open & HVT_KT_RUN) {
		n = hvt_kvm_rec_set(out, HVT_KVM_UEXIT, t->run_vcpu, key,
				    now > start ? now - start : 0, 1);
	} else {
		n = hvt_kvm_count(out, HVT_KVM_UEXIT_UNPAIRED, HVT_VCPU_UNKNOWN, key);
		t->run_vcpu = HVT_VCPU_UNKNOWN;
	}
	t->open = (t->open & ~HVT_KT_RUN) | HVT_KT_UEXIT;
	t->uexit_ns = now;
	t->uexit_key = key;
	return n;
}

static __always_inline void hvt_kvm_apply(struct hvt_agg *a, const struct hvt_kvm_rec *r)
{
	if (r->timed)
		hvt_agg_add(a, r->ns);
	else
		a->count++;
}

#endif /* HVT_KVM_PAIR_H */
