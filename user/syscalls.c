// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* syscalls: names from the table generated out of the kernel headers. */
#include <stdio.h>
#include <string.h>

#include "syscalls.h"
#include "syscall_names.h"
#include "util.h"

const char *syscall_name(long nr, char *buf, size_t len)
{
	if (nr >= 0 && (size_t)nr < ARRAY_SIZE(syscall_names) && syscall_names[nr])
		return syscall_names[nr];
	snprintf(buf, len, "syscall_%ld", nr);
	return buf;
}

long syscall_nr(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(syscall_names); i++)
		if (syscall_names[i] && !strcmp(syscall_names[i], name))
			return i;
	return -1;
}
