// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Exit reason names: VMX and SVM tables, KVM_EXIT_*, and numbers for the rest. */
#include "unit.h"
#include "exit_reason.h"
#include "host_view.h"

static const char *vmx(uint32_t reason)
{
	static char buf[96];

	return exit_reason_name(HVT_KVM_ISA_VMX, reason, buf, sizeof(buf));
}

static const char *svm(uint32_t reason)
{
	static char buf[96];

	return exit_reason_name(HVT_KVM_ISA_SVM, reason, buf, sizeof(buf));
}

static const char *uexit(uint32_t key)
{
	static char buf[96];

	return uexit_reason_name(key, buf, sizeof(buf));
}

TEST(vmx_reasons_have_the_kernel_names)
{
	EXPECT_STR(vmx(0), "EXCEPTION_NMI");
	EXPECT_STR(vmx(1), "EXTERNAL_INTERRUPT");
	EXPECT_STR(vmx(10), "CPUID");
	EXPECT_STR(vmx(12), "HLT");
	EXPECT_STR(vmx(30), "IO_INSTRUCTION");
	EXPECT_STR(vmx(48), "EPT_VIOLATION");
	EXPECT_STR(vmx(49), "EPT_MISCONFIG");
	EXPECT_STR(vmx(77), "TDCALL");
	EXPECT_STR(vmx(85), "MSR_WRITE_IMM");
}

TEST(vmx_flags_are_named_or_shown)
{
	EXPECT_STR(vmx(0x80000000u | 33), "INVALID_STATE FAILED_VMENTRY");
	EXPECT_STR(vmx(0x08000000u | 48), "EPT_VIOLATION ENCLAVE_MODE");
	EXPECT_STR(vmx(0x10000000u | 12), "HLT flags 0x10000000");
}

TEST(vmx_unknown_reasons_show_their_number)
{
	EXPECT_STR(vmx(5), "VMX 5");
	EXPECT_STR(vmx(99), "VMX 99");
	EXPECT_STR(vmx(1000), "VMX 1000");
	EXPECT_STR(vmx(0x10000), "EXCEPTION_NMI flags 0x10000");
}

TEST(svm_reasons_have_the_kernel_names)
{
	EXPECT_STR(svm(0x000), "read_cr0");
	EXPECT_STR(svm(0x04e), "PF excp");
	EXPECT_STR(svm(0x060), "interrupt");
	EXPECT_STR(svm(0x078), "hlt");
	EXPECT_STR(svm(0x07b), "io");
	EXPECT_STR(svm(0x07c), "msr");
	EXPECT_STR(svm(0x400), "npf");
	EXPECT_STR(svm(0x0a6), "idle-halt");
	EXPECT_STR(svm(0x8000fffd), "vmgexit_hypervisor_feature");
	EXPECT_STR(svm(0xffffffff), "invalid_guest_state");
}

TEST(svm_unknown_reasons_show_their_number)
{
	EXPECT_STR(svm(0x042), "SVM 0x42");	/* NMI vector: no exception exit name */
	EXPECT_STR(svm(0x4ff), "SVM 0x4ff");
}

TEST(unknown_isa_shows_isa_and_reason)
{
	char buf[64];

	EXPECT_TRUE(exit_isa_find(HVT_KVM_ISA_VMX) != NULL);
	EXPECT_TRUE(exit_isa_find(3) == NULL);
	EXPECT_STR(exit_reason_name(3, 0x63, buf, sizeof(buf)), "isa 3 reason 0x63");
	EXPECT_STR(exit_reason_name(0, 12, buf, sizeof(buf)), "isa 0 reason 0xc");
}

TEST(userspace_exit_names)
{
	EXPECT_STR(uexit(0), "UNKNOWN");
	EXPECT_STR(uexit(2), "IO");
	EXPECT_STR(uexit(5), "HLT");
	EXPECT_STR(uexit(6), "MMIO");
	EXPECT_STR(uexit(8), "SHUTDOWN");
	EXPECT_STR(uexit(9), "FAIL_ENTRY");
	EXPECT_STR(uexit(10), "INTR");
	EXPECT_STR(uexit(17), "INTERNAL_ERROR");
	EXPECT_STR(uexit(29), "X86_RDMSR");
	EXPECT_STR(uexit(39), "MEMORY_FAULT");
	EXPECT_STR(uexit(40), "TDX");
}

TEST(userspace_exit_unknown_and_errors_show_numbers)
{
	EXPECT_STR(uexit(99), "KVM_EXIT 99");
	EXPECT_STR(uexit(HVT_UEXIT_ERRNO + 14), "error EFAULT");
	EXPECT_STR(uexit(HVT_UEXIT_ERRNO + 9999), "error 9999");
}

TEST(host_keys_read_as_io_and_msr)
{
	char buf[96];

	EXPECT_STR(host_view_key_name(HVT_KVM_PIO, 1 << 16 | 0x3f8, buf, sizeof(buf)), "0x3f8 out");
	EXPECT_STR(host_view_key_name(HVT_KVM_PIO, 0x60, buf, sizeof(buf)), "0x60 in");
	EXPECT_STR(host_view_key_name(HVT_KVM_MMIO, 0xfee00000ULL | 2, buf, sizeof(buf)),
		   "0xfee00000 write");
	EXPECT_STR(host_view_key_name(HVT_KVM_MMIO, 0x10000, buf, sizeof(buf)),
		   "0x10000 unsatisfied-read");
	EXPECT_STR(host_view_key_name(HVT_KVM_MSR, 0x1b, buf, sizeof(buf)), "rdmsr 0x1b");
	EXPECT_STR(host_view_key_name(HVT_KVM_MSR, 3ULL << 32 | 0xc0000080, buf, sizeof(buf)),
		   "wrmsr 0xc0000080 #GP");
	EXPECT_STR(host_view_key_name(HVT_KVM_PF, 0x3, buf, sizeof(buf)), "present write");
	EXPECT_STR(host_view_key_name(HVT_KVM_PF, 0x18, buf, sizeof(buf)),
		   "not-present rsvd fetch read");
	EXPECT_STR(host_view_key_name(HVT_KVM_HALT, 1, buf, sizeof(buf)), "wait");
	EXPECT_STR(host_view_key_name(HVT_KVM_HALT, 2, buf, sizeof(buf)), "poll invalid");
	EXPECT_STR(host_view_kind_name(HVT_KVM_VMM), "vmm");
	EXPECT_STR(host_view_kind_name(HVT_KVM_PF), "page_fault");
}
