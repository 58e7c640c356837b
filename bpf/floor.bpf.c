// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor for bench/overhead.sh: empty programs on the same attach points
 * as the guest view's syscall probes. What they cost is what any tracer pays
 * before it does anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(floor_page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return 0;
}
