/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every hvtrace BPF program shares: the scope (which threads count), the
 * current phase, and the per-phase aggregate update. The guest and host
 * objects each declare these maps; user space makes the second object reuse
 * the first one's (bpf_map__reuse_fd), so both see one scope and one phase.
 */
#ifndef HVT_SCOPE_BPF_H
#define HVT_SCOPE_BPF_H

#include "agg.h"

_Static_assert((HVT_HIST_SLOTS & (HVT_HIST_SLOTS - 1)) == 0, "slots must be a power of two");

const volatile __u8 system_wide;
const volatile __u32 self_tgid;		/* the recorder: never counted */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hvt_task);
} tasks SEC(".maps");

/* Its own data section, so that it is a map of its own that can be shared,
 * while programs still read it as a plain global (no lookup per event). */
struct hvt_shared shared SEC(".data.shared");

static __always_inline __u32 phase_slot(void)
{
	__u32 p = *(volatile __u32 *)&shared.phase;

	return p < HVT_MAX_PHASES ? p : HVT_MAX_PHASES - 1;
}

/* The thread's state if it is in scope, else NULL. */
static __always_inline struct hvt_task *task_state(struct task_struct *t)
{
	if (!system_wide)
		return bpf_task_storage_get(&tasks, t, 0, 0);
	if (t->tgid == self_tgid)
		return 0;
	return bpf_task_storage_get(&tasks, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

#endif /* HVT_SCOPE_BPF_H */
