// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exit_reason: VM exit and userspace exit names. The codes are the kernel's
 * UAPI ones (arch/x86/include/uapi/asm/vmx.h and svm.h, include/uapi/linux/kvm.h);
 * the names are those KVM's own tracepoints print, so that they read the same
 * as `perf kvm stat` and the trace buffer.
 */
#include <stdio.h>
#include <string.h>

#include "../bpf/hvtrace.h"
#include "exit_reason.h"
#include "util.h"

/* ---- Intel VMX: basic exit reason in bits 0-15, flags above ------------- */

#define VMX_FAILED_VMENTRY 0x80000000u
#define VMX_ENCLAVE_MODE 0x08000000u

static const char *const vmx_names[] = {
	[0] = "EXCEPTION_NMI",
	[1] = "EXTERNAL_INTERRUPT",
	[2] = "TRIPLE_FAULT",
	[3] = "INIT_SIGNAL",
	[4] = "SIPI_SIGNAL",
	[7] = "INTERRUPT_WINDOW",
	[8] = "NMI_WINDOW",
	[9] = "TASK_SWITCH",
	[10] = "CPUID",
	[12] = "HLT",
	[13] = "INVD",
	[14] = "INVLPG",
	[15] = "RDPMC",
	[16] = "RDTSC",
	[18] = "VMCALL",
	[19] = "VMCLEAR",
	[20] = "VMLAUNCH",
	[21] = "VMPTRLD",
	[22] = "VMPTRST",
	[23] = "VMREAD",
	[24] = "VMRESUME",
	[25] = "VMWRITE",
	[26] = "VMOFF",
	[27] = "VMON",
	[28] = "CR_ACCESS",
	[29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION",
	[31] = "MSR_READ",
	[32] = "MSR_WRITE",
	[33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL",
	[36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG",
	[39] = "MONITOR_INSTRUCTION",
	[40] = "PAUSE_INSTRUCTION",
	[41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD",
	[44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED",
	[46] = "GDTR_IDTR",
	[47] = "LDTR_TR",
	[48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG",
	[50] = "INVEPT",
	[51] = "RDTSCP",
	[52] = "PREEMPTION_TIMER",
	[53] = "INVVPID",
	[54] = "WBINVD",
	[55] = "XSETBV",
	[56] = "APIC_WRITE",
	[57] = "RDRAND",
	[58] = "INVPCID",
	[59] = "VMFUNC",
	[60] = "ENCLS",
	[61] = "RDSEED",
	[62] = "PML_FULL",
	[63] = "XSAVES",
	[64] = "XRSTORS",
	[67] = "UMWAIT",
	[68] = "TPAUSE",
	[74] = "BUS_LOCK",
	[75] = "NOTIFY",
	[76] = "SEAMCALL",
	[77] = "TDCALL",
	[84] = "MSR_READ_IMM",
	[85] = "MSR_WRITE_IMM",
};

static const char *vmx_reason_name(uint32_t reason, char *buf, size_t len)
{
	uint32_t basic = reason & 0xffff, flags = reason & ~0xffffu;
	const char *name = basic < ARRAY_SIZE(vmx_names) ? vmx_names[basic] : NULL;

	if (!name)
		return NULL;
	if (!flags)
		return name;
	/* Flags that have no name stay visible as a number. */
	snprintf(buf, len, "%s%s%s", name, flags & VMX_FAILED_VMENTRY ? " FAILED_VMENTRY" : "",
		 flags & VMX_ENCLAVE_MODE ? " ENCLAVE_MODE" : "");
	flags &= ~(VMX_FAILED_VMENTRY | VMX_ENCLAVE_MODE);
	if (flags)
		snprintf(buf + strlen(buf), len - strlen(buf), " flags 0x%x", flags);
	return buf;
}

/* ---- AMD SVM: the VMCB exit code ---------------------------------------- */

struct code_name {
	uint32_t code;
	const char *name;
};

static const struct code_name svm_names[] = {
	{ 0x000, "read_cr0" }, { 0x002, "read_cr2" }, { 0x003, "read_cr3" },
	{ 0x004, "read_cr4" }, { 0x008, "read_cr8" }, { 0x010, "write_cr0" },
	{ 0x012, "write_cr2" }, { 0x013, "write_cr3" }, { 0x014, "write_cr4" },
	{ 0x018, "write_cr8" }, { 0x020, "read_dr0" }, { 0x021, "read_dr1" },
	{ 0x022, "read_dr2" }, { 0x023, "read_dr3" }, { 0x024, "read_dr4" },
	{ 0x025, "read_dr5" }, { 0x026, "read_dr6" }, { 0x027, "read_dr7" },
	{ 0x030, "write_dr0" }, { 0x031, "write_dr1" }, { 0x032, "write_dr2" },
	{ 0x033, "write_dr3" }, { 0x034, "write_dr4" }, { 0x035, "write_dr5" },
	{ 0x036, "write_dr6" }, { 0x037, "write_dr7" },
	/* 0x040 + exception vector */
	{ 0x040, "DE excp" }, { 0x041, "DB excp" }, { 0x043, "BP excp" },
	{ 0x044, "OF excp" }, { 0x045, "BR excp" }, { 0x046, "UD excp" },
	{ 0x047, "NM excp" }, { 0x048, "DF excp" }, { 0x04a, "TS excp" },
	{ 0x04b, "NP excp" }, { 0x04c, "SS excp" }, { 0x04d, "GP excp" },
	{ 0x04e, "PF excp" }, { 0x050, "MF excp" }, { 0x051, "AC excp" },
	{ 0x052, "MC excp" }, { 0x053, "XF excp" },
	{ 0x060, "interrupt" }, { 0x061, "nmi" }, { 0x062, "smi" }, { 0x063, "init" },
	{ 0x064, "vintr" }, { 0x065, "cr0_sel_write" }, { 0x066, "read_idtr" },
	{ 0x067, "read_gdtr" }, { 0x068, "read_ldtr" }, { 0x069, "read_rt" },
	{ 0x06a, "write_idtr" }, { 0x06b, "write_gdtr" }, { 0x06c, "write_ldtr" },
	{ 0x06d, "write_rt" }, { 0x06e, "rdtsc" }, { 0x06f, "rdpmc" }, { 0x070, "pushf" },
	{ 0x071, "popf" }, { 0x072, "cpuid" }, { 0x073, "rsm" }, { 0x074, "iret" },
	{ 0x075, "swint" }, { 0x076, "invd" }, { 0x077, "pause" }, { 0x078, "hlt" },
	{ 0x079, "invlpg" }, { 0x07a, "invlpga" }, { 0x07b, "io" }, { 0x07c, "msr" },
	{ 0x07d, "task_switch" }, { 0x07e, "ferr_freeze" }, { 0x07f, "shutdown" },
	{ 0x080, "vmrun" }, { 0x081, "hypercall" }, { 0x082, "vmload" }, { 0x083, "vmsave" },
	{ 0x084, "stgi" }, { 0x085, "clgi" }, { 0x086, "skinit" }, { 0x087, "rdtscp" },
	{ 0x088, "icebp" }, { 0x089, "wbinvd" }, { 0x08a, "monitor" }, { 0x08b, "mwait" },
	{ 0x08d, "xsetbv" }, { 0x08f, "write_efer_trap" }, { 0x090, "write_cr0_trap" },
	{ 0x094, "write_cr4_trap" }, { 0x098, "write_cr8_trap" }, { 0x0a2, "invpcid" },
	{ 0x0a5, "buslock" }, { 0x0a6, "idle-halt" },
	{ 0x400, "npf" }, { 0x401, "avic_incomplete_ipi" },
	{ 0x402, "avic_unaccelerated_access" }, { 0x403, "vmgexit" },
	{ 0x80000001, "vmgexit_mmio_read" }, { 0x80000002, "vmgexit_mmio_write" },
	{ 0x80000003, "vmgexit_nmi_complete" }, { 0x80000004, "vmgexit_ap_hlt_loop" },
	{ 0x80000005, "vmgexit_ap_jump_table" }, { 0x80000010, "vmgexit_page_state_change" },
	{ 0x80000011, "vmgexit_guest_request" }, { 0x80000012, "vmgexit_ext_guest_request" },
	{ 0x80000013, "vmgexit_ap_creation" }, { 0x8000fffd, "vmgexit_hypervisor_feature" },
	{ 0xffffffff, "invalid_guest_state" },	/* SVM_EXIT_ERR, -1 */
};

static const char *svm_reason_name(uint32_t reason, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(svm_names); i++)
		if (svm_names[i].code == reason)
			return svm_names[i].name;
	return NULL;
}

static const struct exit_isa isas[] = {
	{ HVT_KVM_ISA_VMX, "VMX", vmx_reason_name },
	{ HVT_KVM_ISA_SVM, "SVM", svm_reason_name },
};

const struct exit_isa *exit_isa_find(unsigned int isa)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isas); i++)
		if (isas[i].isa == isa)
			return &isas[i];
	return NULL;
}

const char *exit_reason_name(unsigned int isa, uint32_t reason, char *buf, size_t len)
{
	const struct exit_isa *ops = exit_isa_find(isa);
	const char *name = ops ? ops->reason_name(reason, buf, len) : NULL;

	if (name)
		return name;
	/* VMX codes are decimal in Intel's manual, SVM codes hex in AMD's. */
	if (ops && ops->isa == HVT_KVM_ISA_VMX)
		snprintf(buf, len, "VMX %u", reason);
	else if (ops)
		snprintf(buf, len, "%s 0x%x", ops->name, reason);
	else
		snprintf(buf, len, "isa %u reason 0x%x", isa, reason);
	return buf;
}

/* ---- KVM_EXIT_*: why KVM_RUN returned to user space ---------------------- */

static const char *const uexit_names[] = {
	"UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO",
	"IRQ_WINDOW_OPEN", "SHUTDOWN", "FAIL_ENTRY", "INTR", "SET_TPR", "TPR_ACCESS",
	"S390_SIEIC", "S390_RESET", "DCR", "NMI", "INTERNAL_ERROR", "OSI", "PAPR_HCALL",
	"S390_UCONTROL", "WATCHDOG", "S390_TSCH", "EPR", "SYSTEM_EVENT", "S390_STSI",
	"IOAPIC_EOI", "HYPERV", "ARM_NISV", "X86_RDMSR", "X86_WRMSR", "DIRTY_RING_FULL",
	"AP_RESET_HOLD", "X86_BUS_LOCK", "XEN", "RISCV_SBI", "RISCV_CSR", "NOTIFY",
	"LOONGARCH_IOCSR", "MEMORY_FAULT", "TDX",
};

const char *uexit_reason_name(uint32_t key, char *buf, size_t len)
{
	const char *e;

	if (key >= HVT_UEXIT_ERRNO) {
		e = strerrorname_np(key - HVT_UEXIT_ERRNO);
		if (e)
			snprintf(buf, len, "error %s", e);
		else
			snprintf(buf, len, "error %u", key - HVT_UEXIT_ERRNO);
		return buf;
	}
	if (key < ARRAY_SIZE(uexit_names))
		return uexit_names[key];
	snprintf(buf, len, "KVM_EXIT %u", key);
	return buf;
}
