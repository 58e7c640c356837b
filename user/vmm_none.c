// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vmm_none: the static build's vmm, without libvirt (vmm_virt.c is the real
 * one). Same interface; every domain call fails with -ENOTSUP.
 */
#include <errno.h>
#include <stdio.h>

#include "vmm.h"

#define NO_LIBVIRT "this hvtrace is built without libvirt (the static build); use the dynamic one"

struct vmm *vmm_open(const char *uri, const char *domain, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot look up domain '%s': %s", domain, NO_LIBVIRT);
	errno = ENOTSUP;
	return NULL;
}

void vmm_close(struct vmm *v)
{
}

const char *vmm_name(const struct vmm *v)
{
	return NULL;
}

const char *vmm_uri(const struct vmm *v)
{
	return NULL;
}

int vmm_pid(struct vmm *v, pid_t *ret_pid, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", NO_LIBVIRT);
	return -ENOTSUP;
}

int vmm_vcpu_tids(struct vmm *v, enum vmm_tid_source how, struct vmm_vcpu *ret, size_t max,
		  size_t *ret_n, enum vmm_tid_source *ret_used, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", NO_LIBVIRT);
	return -ENOTSUP;
}

int vmm_get_meta(struct vmm *v, struct vmm_meta *ret, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", NO_LIBVIRT);
	return -ENOTSUP;
}

int vmm_sample(struct vmm *v, struct vmm_sample *s, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", NO_LIBVIRT);
	return -ENOTSUP;
}

int vmm_channel(struct vmm *v, const char *target, char *ret_path, size_t len, char *err,
		size_t errlen)
{
	snprintf(err, errlen, "%s", NO_LIBVIRT);
	return -ENOTSUP;
}
