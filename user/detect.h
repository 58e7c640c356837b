/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * detect: which hypervisor runs this system, how it runs the guest (Xen PV,
 * HVM, PVH, emulation, ...), whether we are in a container, and the evidence
 * behind each conclusion. All inputs come through a root directory and a
 * CPUID source, so tests inject fixture trees instead of editing code.
 * docs/hypervisors.md explains each rule.
 */
#ifndef HVT_DETECT_H
#define HVT_DETECT_H

#include <stdbool.h>

enum hvt_env_kind {
	HVT_ENV_BARE_METAL,
	HVT_ENV_VM,
	HVT_ENV_CONTAINER,		/* a container on bare metal */
	HVT_ENV_CONTAINER_IN_VM,
};

struct detect_opts {
	/* Where /sys, /proc, /run, /.dockerenv and /dev/kmsg are; NULL = "/". */
	const char *root;
	/* A `cpuid -r` dump (first CPU is used); NULL = the CPUID instruction. */
	const char *cpuid_file;
};

#define DETECT_MAX_EVIDENCE 40

struct detect_evidence {
	char source[64];	/* "cpuid 0x40000000", "/sys/hypervisor/guest_type" */
	char value[128];	/* what it said, non-printable bytes as \xNN */
	char implies[256];	/* what that tells us */
};

/* Empty strings mean "none" or "not known". */
struct detect_result {
	enum hvt_env_kind kind;
	char summary[96];	/* "Xen PV", "KVM", "docker container in KVM", "bare metal" */
	char hypervisor[64];	/* "KVM", "Xen", "PVM", or an unknown CPUID signature */
	char mode[16];		/* "PV", "HVM", "PVH", "emulated" */
	char platform[64];	/* the VMM or cloud on top, from DMI: "QEMU", "Amazon EC2" */
	char outer[64];		/* the hypervisor below a PV-style one (nesting) */
	char container[32];	/* "docker", "podman", "lxc", "kubernetes", ... */
	char clocksource[32];
	char cpuid_signature[64];	/* raw leaf 0x40000000 signature */
	bool cpuid_hv_bit;
	int n_evidence;
	int n_dropped;		/* evidence lines beyond DETECT_MAX_EVIDENCE */
	struct detect_evidence evidence[DETECT_MAX_EVIDENCE];
	char errmsg[256];	/* on failure: what failed, for the command layer */
};

/*
 * Fills @ret. Unreadable files are evidence, not errors; fails (-errno, with
 * ret->errmsg set) only on a bad root directory or CPUID file. Prints nothing
 * and allocates nothing on the heap.
 */
int hvt_detect(const struct detect_opts *opts, struct detect_result *ret);

/* "bare-metal", "vm", "container", "container-in-vm" */
const char *hvt_env_kind_name(enum hvt_env_kind kind);

#endif /* HVT_DETECT_H */
