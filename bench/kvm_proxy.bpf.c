// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host view's exit/entry path, driven by tracepoints that fire here: on
 * this machine kvm_exit and kvm_entry never fire (PVM), so bench/progcost
 * runs the same work on sys_enter (as kvm_exit) and sys_exit (as kvm_entry)
 * of a getppid loop and compares it with bpf/floor.bpf.c's empty programs on
 * the same tracepoints. Each program does what bpf/host_kvm.bpf.c's do: the
 * thread's scope and pairing state (task storage), one clock read, the
 * pairing (bpf/kvm_pair.h) and the aggregate update in a per-CPU hash.
 * cur_thread() and commit() are copies of host_kvm.bpf.c's; keep them alike.
 * Not loaded by hvtrace.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hvtrace.h"
#include "scope.bpf.h"
#include "kvm_pair.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define VMX_IO_INSTRUCTION 30

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HVT_KVM_MAX_AGGS);
	__type(key, struct hvt_kvm_key);
	__type(value, struct hvt_agg);
} kvm_aggs SEC(".maps");

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

static __always_inline struct hvt_kvm_thread *cur_thread(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (!task_state(t))
		return 0;
	return bpf_task_storage_get(&kvm_threads, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

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

/* As kvm_exit: an I/O exit of vCPU 0. */
SEC("tp_btf/sys_enter")
int BPF_PROG(proxy_exit, struct pt_regs *regs, long id)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_on_exit(t, bpf_ktime_get_ns(), HVT_KVM_ISA_VMX, VMX_IO_INSTRUCTION, 0, &r))
		commit(&r);
	return 0;
}

/* As kvm_entry: vCPU 0 enters again; the exit's latency goes to its aggregate. */
SEC("tp_btf/sys_exit")
int BPF_PROG(proxy_entry, struct pt_regs *regs, long ret)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_on_entry(t, bpf_ktime_get_ns(), 0, &r))
		commit(&r);
	return 0;
}

/* As kvm_pio: a count-only event (attach alone, on sys_enter). */
SEC("tp_btf/sys_enter")
int BPF_PROG(proxy_pio, struct pt_regs *regs, long id)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_count(&r, HVT_KVM_PIO, hvt_kvm_cur_vcpu(t), hvt_kvm_pio_key(1, 0x3f8)))
		commit(&r);
	return 0;
}
