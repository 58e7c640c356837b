// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host view's exit/entry path, driven by tracepoints that fire here: on
 * this machine kvm_exit and kvm_entry never fire (PVM), so bench/progcost
 * runs the same work on sys_enter (as kvm_exit) and sys_exit (as kvm_entry)
 * of a getppid loop and compares it with bpf/floor.bpf.c's empty programs on
 * the same tracepoints. Each program does what bpf/host_kvm.bpf.c's do: the
 * thread's scope and pairing state (task storage), one clock read, the
 * pairing (bpf/kvm_pair.h) and the aggregate update in a per-CPU hash, all
 * from bpf/kvm_host.bpf.h as host_kvm.bpf.c uses them.
 * Not loaded by hvtrace.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "hvtrace.h"
#include "kvm_host.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define VMX_IO_INSTRUCTION 30

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
