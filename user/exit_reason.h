/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exit_reason: names of VM exits (Intel VMX and AMD SVM codes, chosen by the
 * kvm_exit tracepoint's isa) and of KVM userspace exits (KVM_EXIT_*). A code
 * without a name is shown as its number, never dropped.
 */
#ifndef HVT_EXIT_REASON_H
#define HVT_EXIT_REASON_H

#include <stddef.h>
#include <stdint.h>

/* One instruction set's exit codes. */
struct exit_isa {
	unsigned int isa;	/* HVT_KVM_ISA_* */
	const char *name;	/* "VMX", "SVM" */
	/* The name of a code, NULL when it has none; buf holds composed names. */
	const char *(*reason_name)(uint32_t reason, char *buf, size_t len);
};

const struct exit_isa *exit_isa_find(unsigned int isa);	/* NULL when unknown */

/*
 * The name of a VM exit, always: "EPT_VIOLATION", "npf", or for a code
 * without one "VMX 99", "SVM 0x4ff", "isa 3 reason 0x63". Returns buf or a
 * constant string.
 */
const char *exit_reason_name(unsigned int isa, uint32_t reason, char *buf, size_t len);

/*
 * The name of a userspace exit key (see hvt_kvm_uexit_key()): "IO", "MMIO",
 * "HLT", ..., "KVM_EXIT 99" for a reason without a name, "error EFAULT" for a
 * KVM_RUN that failed.
 */
const char *uexit_reason_name(uint32_t key, char *buf, size_t len);

#endif /* HVT_EXIT_REASON_H */
