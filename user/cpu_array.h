/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cpu_array: the per-CPU aggregates of bpf/guest.bpf.c, kept in plain arrays
 * with the CPU id as the outer index (entry cpu * per_cpu + i) instead of
 * per-CPU maps (docs/performance.md). The object declares one CPU's entries
 * and marks the map BPF_F_MMAPABLE (that flag is how these maps are told from
 * other arrays); user space multiplies the entries by the CPU ids before
 * loading and reads a CPU's run of entries with one batch lookup. They are
 * not read through mmap: the kernel maps the whole array at once, which
 * would put 5 MB per CPU into the recorder's resident memory.
 */
#ifndef HVT_CPU_ARRAY_H
#define HVT_CPU_ARRAY_H

#include <stddef.h>
#include <bpf/libbpf.h>

struct cpu_array {
	int fd;			/* after load */
	int ncpus;		/* CPU ids covered: 0 .. ncpus - 1 */
	__u32 per_cpu;		/* entries per CPU */
	size_t value_size;
	int no_batch;		/* the kernel has no batch lookup for arrays (before 5.6) */
};

/* Highest possible CPU id + 1 (bpf_get_smp_processor_id() is below it); <0 on error. */
int cpu_array_ids(void);

/* Whether M is such an array: ARRAY, BPF_F_MMAPABLE, not a global-data section. */
int cpu_array_is_per_cpu(const struct bpf_map *m);

/* Before load: M's max_entries times NCPUS (checked for overflow); sets errno on error. */
int cpu_array_size(struct bpf_map *m, struct cpu_array *ca, int ncpus);

/* After load: CPU's entries FIRST .. FIRST + N - 1 into OUT (N values). */
int cpu_array_read(struct cpu_array *ca, const struct bpf_map *m, int cpu, __u32 first,
		   __u32 n, void *out);

#endif /* HVT_CPU_ARRAY_H */
