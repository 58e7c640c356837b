/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * guest_view: the guest-view BPF programs (bpf/guest.bpf.c): load and attach,
 * put processes in scope, consume rare events, read the per-phase aggregates
 * summed over CPUs.
 */
#ifndef HVT_GUEST_VIEW_H
#define HVT_GUEST_VIEW_H

#include <stddef.h>
#include <sys/types.h>
#include "../bpf/hvtrace.h"

struct guest_view;

struct guest_view_opts {
	int system_wide;	/* count every task but the recorder */
	pid_t self;		/* the recorder's pid */
	int prog_stats;		/* have the kernel time every program run (costs ~20 ns each) */
};

typedef void (*guest_view_event_fn)(void *ctx, const struct hvt_event *e);

/* NULL with errno and a sentence in err on failure. */
struct guest_view *guest_view_open(const struct guest_view_opts *opts, guest_view_event_fn fn,
				   void *ctx, char *err, size_t errlen);
void guest_view_close(struct guest_view *gv);

/* Puts one thread in scope (pidfd-keyed task storage); children follow by fork. */
int guest_view_track(struct guest_view *gv, pid_t tid);
/* Puts PID, its threads and all its descendants in scope; returns how many. */
int guest_view_track_tree(struct guest_view *gv, pid_t pid);

/* State shared with the kernel side through the mmap'ed .bss. */
struct hvt_shared *guest_view_shared(struct guest_view *gv);

int guest_view_events_fd(struct guest_view *gv);	/* for epoll */

/* The scope and phase maps, for another BPF object to reuse (bpf_map__reuse_fd). */
int guest_view_tasks_fd(struct guest_view *gv);
int guest_view_shared_fd(struct guest_view *gv);
int guest_view_consume(struct guest_view *gv);		/* delivers queued events */

/*
 * The kernel's own account of the programs' cost (needs stats enabled, see
 * guest_view_opts.prog_stats): calls and total run time of program I, by name.
 * Returns the number of programs, or -errno.
 */
struct guest_view_prog_stat {
	const char *name;
	unsigned long long run_cnt, run_time_ns;
};
int guest_view_prog_stats(struct guest_view *gv, struct guest_view_prog_stat *ret, int max);

/* Per-phase aggregates summed over CPUs. */
int guest_view_read_syscalls(struct guest_view *gv, unsigned int slot,
			     struct hvt_agg ret[HVT_NR_SYSCALLS]);
int guest_view_read_runq(struct guest_view *gv, unsigned int slot, struct hvt_agg *ret);
int guest_view_read_counts(struct guest_view *gv, unsigned int slot, struct hvt_counts *ret);

#endif /* HVT_GUEST_VIEW_H */
