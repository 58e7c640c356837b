// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host view on KVM: VM exits and their latency, userspace exits and the
 * time the VMM takes to handle them, port and MMIO I/O, MSR accesses, KVM page
 * faults and halt polling, for the threads in the recording's scope. Scope and
 * phase are the guest object's: user space makes this object reuse its `tasks`
 * and `.data.shared` maps. The pairing logic is bpf/kvm_pair.h.
 *
 * KVM types come from local CO-RE definitions (the ___hvt flavours below), not
 * from vmlinux.h: where KVM is a module, vmlinux BTF does not have them and
 * libbpf relocates against the module's BTF. A tracepoint that the running
 * kernel lacks is switched off by user space before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hvtrace.h"
#include "scope.bpf.h"
#include "kvm_pair.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_ioctl 16		/* x86_64 */
#define KVM_RUN 0xae80		/* _IO(KVMIO, 0x80) */

struct kvm_vcpu___hvt {
	int vcpu_id;
} __attribute__((preserve_access_index));

/*
 * kvm_exit is a classic tracepoint here because the exit reason is not one of
 * its arguments (TP_fast_assign asks the vendor module for it); the record has it.
 */
struct trace_event_raw_kvm_exit___hvt {
	unsigned int exit_reason;
	__u32 isa;
	unsigned int vcpu_id;	/* not in older kernels */
} __attribute__((preserve_access_index));

/* Classic too: its tp_btf arguments changed over time (vcpu added, error_code widened). */
struct trace_event_raw_kvm_page_fault___hvt {
	__u64 error_code;
	unsigned int vcpu_id;	/* not in older kernels */
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
 * A KVM_RUN ioctl's entry is learnt here, from the first KVM event inside it,
 * not from a program of ours on sys_enter: that one ran on every syscall of
 * every process and cost each of them a second program call (~40% of what
 * hvtrace added to a syscall on a PVM guest; docs/performance.md). The guest
 * view's sys_enter already keeps the thread's syscall number and entry time
 * (struct hvt_task), so the entry is replayed with its own time: every
 * KVM_RUN ends in kvm_userspace_exit, so none is missed, and the pairing
 * (bpf/kvm_pair.h) sees the same events in the same order as before.
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
	if (!t || s->nr != NR_ioctl || !s->enter_ns || t->run_ns == s->enter_ns)
		return t;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if ((__u32)BPF_CORE_READ(regs, si) != KVM_RUN)
		return t;
	if (hvt_kvm_on_run(t, s->enter_ns, vcpu_of_fd(task, BPF_CORE_READ(regs, di)), &r))
		commit(&r);
	return t;
}

SEC("tp_btf/kvm_userspace_exit")
int BPF_PROG(kvm_userspace_exit, __u32 reason, int err)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_on_uexit(t, bpf_ktime_get_ns(), reason, err, &r))
		commit(&r);
	return 0;
}

SEC("tracepoint/kvm/kvm_exit")
int kvm_exit(struct trace_event_raw_kvm_exit___hvt *ctx)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;
	__u16 vcpu;

	if (!t)
		return 0;
	vcpu = bpf_core_field_exists(ctx->vcpu_id) ? hvt_kvm_vcpu(ctx->vcpu_id) :
						      hvt_kvm_cur_vcpu(t);
	if (hvt_kvm_on_exit(t, bpf_ktime_get_ns(), ctx->isa, ctx->exit_reason, vcpu, &r))
		commit(&r);
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(kvm_entry, struct kvm_vcpu___hvt *vcpu)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_on_entry(t, bpf_ktime_get_ns(), hvt_kvm_vcpu(BPF_CORE_READ(vcpu, vcpu_id)),
				  &r))
		commit(&r);
	return 0;
}

SEC("tp_btf/kvm_pio")
int BPF_PROG(kvm_pio, unsigned int rw, unsigned int port)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_count(&r, HVT_KVM_PIO, hvt_kvm_cur_vcpu(t), hvt_kvm_pio_key(rw, port)))
		commit(&r);
	return 0;
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(kvm_mmio, int type, int len, __u64 gpa)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_count(&r, HVT_KVM_MMIO, hvt_kvm_cur_vcpu(t), hvt_kvm_mmio_key(type, gpa)))
		commit(&r);
	return 0;
}

SEC("tp_btf/kvm_msr")
int BPF_PROG(kvm_msr, unsigned int write, __u32 ecx, __u64 data, bool exception)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_count(&r, HVT_KVM_MSR, hvt_kvm_cur_vcpu(t),
			       hvt_kvm_msr_key(write, ecx, exception)))
		commit(&r);
	return 0;
}

SEC("tracepoint/kvm/kvm_page_fault")
int kvm_page_fault(struct trace_event_raw_kvm_page_fault___hvt *ctx)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;
	__u16 vcpu;

	if (!t)
		return 0;
	vcpu = bpf_core_field_exists(ctx->vcpu_id) ? hvt_kvm_vcpu(ctx->vcpu_id) :
						      hvt_kvm_cur_vcpu(t);
	if (hvt_kvm_count(&r, HVT_KVM_PF, vcpu, hvt_kvm_pf_key(ctx->error_code)))
		commit(&r);
	return 0;
}

/* The end of a halt: ns is how long it took, waited says whether it slept or only polled. */
SEC("tp_btf/kvm_vcpu_wakeup")
int BPF_PROG(kvm_vcpu_wakeup, __u64 ns, bool waited, bool valid)
{
	struct hvt_kvm_thread *t = cur_thread();
	struct hvt_kvm_rec r;

	if (t && hvt_kvm_rec_set(&r, HVT_KVM_HALT, hvt_kvm_cur_vcpu(t),
				 hvt_kvm_halt_key(waited, valid), ns, 1))
		commit(&r);
	return 0;
}
