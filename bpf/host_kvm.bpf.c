// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host view on KVM: VM exits and their latency, userspace exits and the
 * time the VMM takes to handle them, port and MMIO I/O, MSR accesses, KVM page
 * faults and halt polling, for the threads in the recording's scope. Scope and
 * phase are the guest object's: user space makes this object reuse its `tasks`
 * and `.data.shared` maps. The pairing logic is bpf/kvm_pair.h.
 *
 * KVM types come from local CO-RE definitions (the ___hvt flavours, here and
 * in kvm_host.bpf.h), not from vmlinux.h: where KVM is a module, vmlinux BTF
 * does not have them and libbpf relocates against the module's BTF. A
 * tracepoint that the running kernel lacks is switched off by user space
 * before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hvtrace.h"
#include "kvm_host.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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
