/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * top: the model behind `hvtrace top`. Follows a process tree (or the whole
 * system) with the guest and host views and turns their cumulative
 * aggregates into what changed in one interval: VM exits, userspace exits
 * with the time the VMM took, port and MMIO I/O ... per reason, sorted by
 * count, and a guest-view summary of the same threads.
 *
 * The live part (top_open/top_read) feeds the pure part (top_model_*), which
 * the unit tests drive with made-up aggregates. Printing is top_print.c's.
 */
#ifndef HVT_TOP_H
#define HVT_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "../bpf/hvtrace.h"

#define TOP_NAME_LEN 48

/* One (kind, key) of the host view in the interval, summed over vCPUs. */
struct top_row {
	enum hvt_kvm_kind kind;		/* never HVT_KVM_VMM: that is folded into UEXIT rows */
	uint64_t key;
	uint64_t count, sum_ns;		/* in the interval */
	uint64_t vmm_count, vmm_ns;	/* UEXIT rows: the VMM handling these exits */
	char name[TOP_NAME_LEN];
};

struct top_syscall {
	int nr;
	uint64_t count, sum_ns;
	char name[32];
};

/* What the host view can say about the target. */
enum top_kvm_state {
	TOP_KVM_ACTIVE,		/* KVM events were seen since top started */
	TOP_KVM_IDLE,		/* the probes are attached, the target ran no vCPU */
	TOP_KVM_UNAVAILABLE,	/* no host view on this kernel (top_info.kvm_why says why) */
};

/* One interval. Rows are grouped by kind (enum order), most events first. */
struct top_snap {
	double secs;			/* the interval's length */
	int ended;			/* the target process ended during it */
	enum top_kvm_state kvm;
	int exits_seen;			/* kvm_exit fired for the target since the start */
	uint64_t kvm_lost;		/* updates lost since the start (kvm_aggs full) */
	struct top_row *rows;
	size_t n_rows;
	uint64_t vmm_ns;		/* time in the VMM over all userspace exits */

	/* guest view of the same threads */
	uint64_t syscalls, syscall_ns;
	struct top_syscall *sys;	/* syscalls made in the interval, most first */
	size_t n_sys;
	uint64_t faults, faults_user;
	uint64_t ctx_voluntary, ctx_involuntary;
	uint64_t runq_count, runq_ns;
	uint64_t oncpu_ns;
	uint64_t forks, execs, exits;
};

/* What is being watched, for the printers. */
struct top_info {
	const char *target;		/* "pid 1234 (minivmm)", "vm centos (pid 99)", ... */
	int system_wide;
	const char *kvm_why;		/* TOP_KVM_UNAVAILABLE: why */
	const char *probes_missing;	/* host-view tracepoints this kernel lacks, "" if none */
};

/* ---- the model: cumulative aggregates in, interval deltas out ------------ */

struct top_model;

struct top_model *top_model_new(void);		/* NULL and errno on failure */
void top_model_free(struct top_model *m);

/* One read: begin, feed every aggregate (in any order), end. */
void top_model_begin(struct top_model *m);
/* Matches host_view_agg_fn: one host-view aggregate of one vCPU. */
void top_model_kvm(void *m, enum hvt_kvm_kind kind, unsigned int vcpu, uint64_t key,
		   const struct hvt_agg *a);
void top_model_kvm_lost(struct top_model *m, uint64_t lost);
void top_model_guest(struct top_model *m, const struct hvt_agg sys[HVT_NR_SYSCALLS],
		     const struct hvt_counts *c, const struct hvt_agg *runq);
/*
 * The change since the previous end (the first end: since the model was
 * made, when everything was zero). secs is the interval's length; have_kvm
 * says whether the host view is there at all. ret is reset and refilled;
 * free it with top_snap_free. -ENOMEM on failure.
 */
int top_model_end(struct top_model *m, double secs, int have_kvm, struct top_snap *ret);
void top_snap_free(struct top_snap *s);

/* ---- live: the views on a target ---------------------------------------- */

struct top_opts {
	pid_t pid;			/* the process tree to follow; 0 with system_wide */
	int system_wide;
};

struct top;

/*
 * Loads the guest view and, where this kernel has KVM tracepoints, the host
 * view, and puts the target's tree in scope. NULL with errno and a sentence
 * in err on failure (ESRCH: no such process).
 */
struct top *top_open(const struct top_opts *o, char *err, size_t errlen);
void top_close(struct top *t);

/* Why there is no host view ("" when there is one). */
const char *top_kvm_why(const struct top *t);
const char *top_probes_missing(const struct top *t);

/* For poll(): readable when the ring buffer has events; top_read consumes them. */
int top_events_fd(const struct top *t);
void top_consume(struct top *t);

/*
 * What changed since the previous read (or since top_open); the interval's
 * length is measured here. -errno on failure.
 */
int top_read(struct top *t, struct top_snap *ret);

/* ---- printing (top_print.c) --------------------------------------------- */

struct top_print_opts {
	int max_rows;		/* per table, 0: all */
	const char *title_extra;	/* for the title line ("12:34:56, q quits"), or NULL */
};

void top_print_text(FILE *f, const struct top_info *info, const struct top_snap *s,
		    const struct top_print_opts *po);
void top_print_json(FILE *f, const struct top_info *info, const struct top_snap *s);

/* The section title of a kind ("VM exits", "Port I/O"). */
const char *top_kind_title(enum hvt_kvm_kind kind);

#endif /* HVT_TOP_H */
