/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* syscalls: x86_64 syscall numbers to names. */
#ifndef HVT_SYSCALLS_H
#define HVT_SYSCALLS_H

#include <stddef.h>

/* The name of syscall NR ("getppid"), or "syscall_NR" written into buf. */
const char *syscall_name(long nr, char *buf, size_t len);
/* The number of a syscall name, or -1. */
long syscall_nr(const char *name);

#endif /* HVT_SYSCALLS_H */
