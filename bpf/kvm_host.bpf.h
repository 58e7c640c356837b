/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host view's maps and per-event glue, shared by bpf/host_kvm.bpf.c and
 * the benchmark's stand-in bench/kvm_proxy.bpf.c, so that what the benchmark
 * measures is what hvtrace runs: the thread's pairing state (with a KVM_RUN's
 * entry learnt from the guest view's syscall state) and the aggregate update.
 * The pairing logic itself is bpf/kvm_pair.h.
 */
#ifndef HVT_KVM_HOST_BPF_H
#define HVT_KVM_HOST_BPF_H

#include <bpf/bpf_core_read.h>
#include "scope.bpf.h"
#include "kvm_pair.h"

struct kvm_vcpu___hvt {
	int vcpu_id;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HVT_KVM_MAX_AGGS);
	__type(key, struct hvt_kvm_key);
	__type(value, struct hvt_agg);
} kvm_aggs SEC(".maps");

/* Updates lost because kvm_aggs was full, per phase slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HVT_MAX_PHASES);
	__type(key, __u32);
	__type(value, __u64);
} kvm_lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hvt_kvm_thread);
} kvm_threads SEC(".maps");

static __always_inline void commit(const struct hvt_kvm_rec *r)
{
	struct hvt_kvm_key k = {
		.phase = phase_slot(),
		.kind = r->kind,
		.vcpu = r->vcpu,
		.key = r->key,
	};
	struct hvt_agg zero = {}, *a;
	__u64 *lost;

	a = bpf_map_lookup_elem(&kvm_aggs, &k);
	if (!a) {
		bpf_map_update_elem(&kvm_aggs, &k, &zero, BPF_NOEXIST);
		a = bpf_map_lookup_elem(&kvm_aggs, &k);
	}
	if (a) {
		hvt_kvm_apply(a, r);
		return;
	}
	lost = bpf_map_lookup_elem(&kvm_lost, &k.phase);
	if (lost)
		(*lost)++;
}

/* vcpu_id of the kvm_vcpu behind a vCPU fd of the current task. */
static __always_inline __u16 vcpu_of_fd(struct task_struct *task, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct kvm_vcpu___hvt *vcpu;
	struct file **fds, *f = 0;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return HVT_VCPU_UNKNOWN;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return HVT_VCPU_UNKNOWN;
	vcpu = BPF_CORE_READ(f, private_data);
	if (!vcpu)
		return HVT_VCPU_UNKNOWN;
	return hvt_kvm_vcpu(BPF_CORE_READ(vcpu, vcpu_id));
}

/*
 * The pairing state of the current thread if it is in scope, else NULL.
 *
 * A KVM_RUN ioctl's entry is learnt here, at the first KVM event inside it
 * (hvt_kvm_run_pending()), not by a program of ours on sys_enter: that one ran
 * on every syscall of every process, and an empty program on sys_enter alone
 * costs ~62 ns on a PVM guest (docs/performance.md). The guest view's sys_enter
 * already keeps the thread's syscall number and entry time (struct hvt_task),
 * so the entry is replayed with its own time; every KVM_RUN ends in
 * kvm_userspace_exit, so none is missed. The VMM interval that the entry ends
 * is committed then, in the phase current at that event (on real KVM,
 * kvm_entry follows at once; under PVM a vCPU that halts may wait for its
 * kvm_vcpu_wakeup).
 */
static __always_inline struct hvt_kvm_thread *cur_thread(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct hvt_task *s = task_state(task);
	struct hvt_kvm_thread *t;
	struct hvt_kvm_rec r;
	struct pt_regs *regs;

	if (!s)
		return 0;
	t = bpf_task_storage_get(&kvm_threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t || !hvt_kvm_run_pending(t, s->nr, s->enter_ns))
		return t;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if ((__u32)BPF_CORE_READ(regs, si) != HVT_KVM_RUN)
		return t;
	if (hvt_kvm_on_run(t, s->enter_ns, vcpu_of_fd(task, BPF_CORE_READ(regs, di)), &r))
		commit(&r);
	return t;
}

#endif /* HVT_KVM_HOST_BPF_H */
