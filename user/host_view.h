/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * host_view: the KVM host-view BPF programs (bpf/host_kvm.bpf.c). They share
 * the guest view's scope and phase (its maps are reused), so they count the
 * VM exits, userspace exits and I/O of exactly the threads the recording
 * follows. Reads the per-phase aggregates summed over CPUs and writes them to
 * the recording under view "host" (docs/recording-format.md).
 */
#ifndef HVT_HOST_VIEW_H
#define HVT_HOST_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/hvtrace.h"
#include "guest_view.h"
#include "recfile.h"

struct host_view;

/*
 * Loads and attaches the probes this kernel has, reusing gv's scope and phase
 * maps; opts must be the ones gv was opened with. NULL with errno and a
 * sentence in err on failure; errno ENOENT when the kernel has no KVM
 * tracepoint at all (no KVM, or the kvm module not loaded): no host view here.
 */
struct host_view *host_view_open(struct guest_view *gv, const struct guest_view_opts *opts,
				 char *err, size_t errlen);
void host_view_close(struct host_view *hv);

/* Comma-separated tracepoint names: attached, and missing on this kernel ("" if none). */
const char *host_view_probes(const struct host_view *hv);
const char *host_view_missing(const struct host_view *hv);

/* meta host_probes and host_probes_missing; both empty for hv NULL (no KVM tracepoints). */
int host_view_write_meta(struct host_view *hv, struct recfile *rf);

/*
 * Writes what changed in phase slot since the last call: one stat row per
 * (kind, key) summed over vCPUs, per-vCPU rows for exit/uexit/vmm, and the
 * series deltas for tick. Call it wherever the guest view's slot is flushed,
 * inside the same transaction.
 */
int host_view_flush(struct host_view *hv, struct recfile *rf, unsigned int slot, int64_t tick);

/* One aggregate of a phase slot, summed over CPUs (not over vCPUs). */
typedef void (*host_view_agg_fn)(void *ctx, enum hvt_kvm_kind kind, unsigned int vcpu,
				 uint64_t key, const struct hvt_agg *a);

/* Calls fn for every aggregate of slot; then returns the updates lost in it (>= 0), or -errno. */
int64_t host_view_read(struct host_view *hv, unsigned int slot, host_view_agg_fn fn, void *ctx);

/* The recording's kind and row name of an aggregate ("exit", "EPT_VIOLATION"). */
const char *host_view_kind_name(enum hvt_kvm_kind kind);
const char *host_view_key_name(enum hvt_kvm_kind kind, uint64_t key, char *buf, size_t len);

#endif /* HVT_HOST_VIEW_H */
