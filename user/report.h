/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * report: the per-phase model of a recording. report_build() turns a loaded
 * recording into one summary per phase plus the run's totals; printing is the
 * caller's job (cmd_report.c), and diff and table compare these models.
 *
 * Three views are summarised (docs/recording-format.md): the guest view (the
 * recorded process tree), the host view (KVM's exits of the VMs in scope, and
 * libvirt's domain stats) and, in merged recordings, the vmm view (the VMM
 * process's own syscalls, faults and scheduling). Stats of kinds or views
 * this version does not know are skipped, so newer recorders' extra rows do
 * not break older reports.
 *
 * Ratios (means, shares, percentiles) are NAN when they are undefined: a mean
 * of zero events, a share of a zero total, a percentile without a histogram.
 * Printers show NAN as "-" (text), null (JSON) or an empty field (CSV).
 */
#ifndef HVT_REPORT_H
#define HVT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/hvtrace.h"

struct recording;

/* A latency aggregate: one syscall, or the run-queue delay. */
struct report_lat {
	int64_t key;			/* syscall number; 0 for the run-queue delay */
	char *name;
	uint64_t count, sum_ns, min_ns, max_ns;
	uint64_t hist[HVT_HIST_SLOTS];
	int has_hist;
	double mean_ns;			/* sum_ns / count (exact) */
	double p50_ns, p99_ns;		/* estimated from hist, clamped to max_ns (hist.h) */
	double share;			/* of the phase's syscall time */
};

/* A perf counter in a phase. */
struct report_counter {
	char *event;
	int supported;			/* 0: the machine has no such event (no PMU) */
	uint64_t value, enabled_ns, running_ns;
	double scaled;			/* value * enabled / running when multiplexed */
};

/*
 * The host view's KVM kinds (enum hvt_kvm_kind): how the printers name them,
 * and whether their rows carry a time (sum_ns and a histogram) or only counts.
 */
struct report_kvm_kind {
	const char *json;		/* "exits", "userspace_exits", ... */
	const char *label;		/* "VM exits", "KVM_RUN returns", ... */
	const char *item;		/* what one row is: "exit reason", "port", ... */
	const char *noun;		/* what it counts: "exits", "returns", ... */
	int timed;
};
extern const struct report_kvm_kind report_kvm_kinds[HVT_KVM_KINDS];
/* The order the printers show them in: the timed kinds first. */
extern const enum hvt_kvm_kind report_kvm_order[HVT_KVM_KINDS];

/* The rows of one host-view kind in a phase: exits by reason, ports, ... */
struct report_list {
	struct report_lat *items;	/* most total time first, then most count, then key */
	size_t n;
	uint64_t count, sum_ns;		/* over all items */
	int timed;			/* items carry times: shares of sum_ns, else of count */
};

/* A vCPU's figures (per-vCPU rows): exits, KVM_RUN returns, VMM round trips. */
enum {
	REPORT_VCPU_EXIT,
	REPORT_VCPU_UEXIT,
	REPORT_VCPU_VMM,
	REPORT_VCPU_KINDS,
};

/* The kind of each REPORT_VCPU_* (per-vCPU rows: that kind's name + "_vcpu"). */
extern const enum hvt_kvm_kind report_vcpu_kinds[REPORT_VCPU_KINDS];

struct report_vcpu {
	unsigned int vcpu;		/* HVT_VCPU_UNKNOWN when KVM did not say */
	struct report_lat lat[REPORT_VCPU_KINDS];
};

enum report_unit {
	REPORT_UNIT_COUNT,
	REPORT_UNIT_BYTES,
	REPORT_UNIT_NS,
};

/* One libvirt domain stat (host view, kind vm.*) summed over a phase. */
struct report_vmstat {
	unsigned int vm;		/* the recording's VM number (meta vm.N.*) */
	unsigned int index;		/* 0 for cpu-total, the vCPU, disk or NIC index */
	char *stat;			/* the kind without "vm.": cpu.time, block.rd.reqs */
	char *device;			/* the row's name: total, vcpu0, vda, vnet0 */
	enum report_unit unit;
	uint64_t value;			/* sum_ns for times, count otherwise */
};

/* The host view of a phase. */
struct report_host {
	struct report_list kvm[HVT_KVM_KINDS];
	struct report_vcpu *vcpus;	/* by vCPU id, unknown last */
	size_t n_vcpus;
	uint64_t lost;			/* updates lost: the kernel's table was full */
	struct report_vmstat *vmstats;	/* by VM, stat group (cpu, vcpu, block, net), index */
	size_t n_vmstats;
};

/* A VM of the recording (recorded with --vm), from meta vm.N.*. */
struct report_vm {
	unsigned int vm;
	char *name, *hypervisor, *domain_type, *state;	/* NULL when absent */
	int64_t vcpus, mem_bytes;			/* -1 when absent */
};

enum report_wall {
	REPORT_WALL_EXACT,
	REPORT_WALL_AT_LEAST,		/* unfinished: up to the last thing recorded */
	REPORT_WALL_UNKNOWN,		/* unfinished and nothing recorded after its start */
};

struct report_phase {
	int id;				/* -1 for the run's totals */
	char *name;			/* "total" for the totals */
	char *source;			/* start | auto | mark | ...; "" for the totals */
	int pid;			/* that opened the phase; 0 when unknown */
	int exit_status;		/* its wait status; -1 when unknown, and in the totals */
	int finished;			/* 0: its end was never recorded (recorder killed) */
	int64_t start_mono, end_mono;	/* end_mono 0 when unfinished */
	uint64_t wall_ns;
	enum report_wall wall_kind;
	double share_of_run;		/* wall_ns / the run's wall time */

	uint64_t cpu_user_ns, cpu_sys_ns;	/* of threads that ended in the phase */
	uint64_t cpu_threads;
	uint64_t oncpu_ns;
	uint64_t proc[HVT_PROC_KINDS];
	uint64_t procs_started;		/* fork + vfork + clone */
	uint64_t fault[HVT_FAULT_KINDS];
	uint64_t faults;
	uint64_t ctx_voluntary, ctx_involuntary;
	struct report_lat runq;
	uint64_t steal_ns;
	double steal_share;		/* of wall_ns */
	uint64_t lost;			/* ring buffer events dropped */

	uint64_t syscall_count, syscall_ns;
	struct report_lat *syscalls;	/* every syscall seen, most total time first */
	size_t n_syscalls;

	struct report_counter *counters;	/* by event name */
	size_t n_counters;

	/*
	 * The other views, NULL when the recording has none (then in every
	 * phase and the totals). vmm holds the VMM process's figures in the
	 * fields above (cpu..syscalls; no walls, names or counters).
	 */
	struct report_host *host;	/* KVM and libvirt rows: see has_kvm, has_domains */
	struct report_phase *vmm;
};

struct report {
	char *path;
	/* From the recording's meta table; NULL when absent. */
	char *label, *command, *hostname, *kernel, *cpu_model, *hypervisor, *scope;
	char *hvtrace_version;
	int64_t cpu_count, mem_bytes;		/* -1 when absent */
	int64_t start_real_ns;			/* 0 when absent */
	int64_t exit_status;			/* of the workload; -1 when unknown */
	int64_t rusage_user_ns, rusage_sys_ns;	/* whole tree, from wait4; -1 when absent */
	int64_t phases_merged;
	uint64_t lost_events;		/* meta lost_events, or the phases' sum without it */
	int complete;			/* the recorder ended normally */

	int has_kvm;			/* host-view rows from the KVM probes */
	int has_domains;		/* host-view rows from libvirt (vm.*) */
	int has_vmm;			/* vmm-view rows (a merged recording) */
	struct report_vm *vms;		/* by number; from meta, with or without stats */
	size_t n_vms;

	struct report_phase *phases;	/* by id */
	size_t n_phases;
	struct report_phase total;	/* sums over the phases; wall is the run's */
};

/*
 * Builds the model of REC. The model copies what it keeps, so REC may be
 * freed afterwards. NULL with errno set (ENOMEM) on failure.
 */
struct report *report_build(const struct recording *rec);
void report_free(struct report *rep);

/*
 * The items of L past the first SHOWN (the printers' --top) added up into
 * RET, a latency of its own (count, time, mean, percentiles from the merged
 * histograms, max, share of L); RET->key is how many items that is, RET->name
 * NULL. A timed list's share is of its time, a count list's of its count.
 */
void report_list_rest(const struct report_list *l, size_t shown, struct report_lat *ret);

/* The VM numbered VM, or NULL. */
const struct report_vm *report_vm_find(const struct report *rep, unsigned int vm);

/* num / den, or NAN when den is 0. */
double report_ratio(double num, double den);

/* Names of the enum slots, as stored in the recording ("user-read", "fork", ...). */
extern const char *const report_fault_names[HVT_FAULT_KINDS];
extern const char *const report_proc_names[HVT_PROC_KINDS];

#endif /* HVT_REPORT_H */
