// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor for bench/overhead.sh: empty programs on the same attach points
 * as the guest view's syscall probes. What they cost is what any tracer pays
 * before it does anything. bench/floor attaches the floor_* programs.
 *
 * The others are references for bench/progcost (not attached by bench/floor):
 * clock_* read the clock once per edge, the least a tracer of syscall
 * latency adds to the floor; raw_* and tp_* are the floor on the other two
 * attach types (raw_tp without BTF, the classic tracepoint).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 clock_sink;

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

SEC("tp_btf/sys_enter")
int BPF_PROG(clock_sys_enter, struct pt_regs *regs, long id)
{
	clock_sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(clock_sys_exit, struct pt_regs *regs, long ret)
{
	clock_sink = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_sys_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int raw_sys_exit(void *ctx)
{
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_sys_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(void *ctx)
{
	return 0;
}

/* What one clock read costs alone, and what one store to a map's page does. */
SEC("tp_btf/sys_enter")
int BPF_PROG(clockonly_sys_enter, struct pt_regs *regs, long id)
{
	__u64 t = bpf_ktime_get_ns();

	asm volatile("" : : "r"(t));
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(store_sys_enter, struct pt_regs *regs, long id)
{
	clock_sink = id;
	return 0;
}
