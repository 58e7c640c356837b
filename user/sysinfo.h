/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* sysinfo: facts about the machine for a recording's meta, and steal time. */
#ifndef HVT_SYSINFO_H
#define HVT_SYSINFO_H

#include <stdint.h>
#include "recfile.h"

/* Writes hostname, kernel, cpu_model, cpu_count, mem_bytes into meta. */
int sysinfo_write_meta(struct recfile *rf);

/* Steal time of all CPUs so far, in ns, from /proc/stat; -errno on failure. */
int sysinfo_steal_ns(uint64_t *ret_ns);

#endif /* HVT_SYSINFO_H */
