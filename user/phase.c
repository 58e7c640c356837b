// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* phase: contiguous, named wall-clock intervals of a recording. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase.h"

static void copy_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i < PHASE_NAME_MAX - 1; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = '\0';
}

static int grow_to(struct phases *ph, size_t n)
{
	struct phase *v;
	size_t i;

	if (n <= ph->n)
		return 0;
	v = realloc(ph->v, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = ph->n; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].id = i;
		v[i].source = "auto";
		v[i].exit_status = -1;
		snprintf(v[i].name, sizeof(v[i].name), "phase-%zu", i);
	}
	ph->v = v;
	ph->n = n;
	return 0;
}

int phases_init(struct phases *ph, const char *name0, int pid, int64_t start_mono,
		int64_t real_minus_mono)
{
	memset(ph, 0, sizeof(*ph));
	ph->real_minus_mono = real_minus_mono;
	return phases_open(ph, 0, name0, "start", start_mono, pid);
}

void phases_free(struct phases *ph)
{
	free(ph->v);
	ph->v = NULL;
	ph->n = 0;
}

int phases_open(struct phases *ph, int id, const char *name, const char *source,
		int64_t start_mono, int pid)
{
	struct phase *p;
	size_t i;
	int err;

	if (id < 0)
		return -EINVAL;
	err = grow_to(ph, id + 1);
	if (err)
		return err;
	p = &ph->v[id];
	if (p->known && p->pid == pid && pid) {
		copy_name(p->name, name);	/* the same command exec'd again */
		return 0;
	}
	copy_name(p->name, name);
	p->source = source;
	p->start_mono = start_mono;
	p->pid = pid;
	p->known = 1;
	/* A gap before ID (a lost event) starts where its predecessor ended. */
	for (i = 1; i < (size_t)id; i++)
		if (!ph->v[i].known && !ph->v[i].start_mono)
			ph->v[i].start_mono = ph->v[i - 1].start_mono;
	return 0;
}

void phases_process_exit(struct phases *ph, int pid, int status)
{
	size_t i;

	for (i = 0; i < ph->n; i++)
		if (ph->v[i].known && ph->v[i].pid == pid)
			ph->v[i].exit_status = status;
}

int phases_current(const struct phases *ph)
{
	return ph->n ? (int)ph->n - 1 : 0;
}

int64_t phases_end(const struct phases *ph, size_t i)
{
	return i + 1 < ph->n ? ph->v[i + 1].start_mono : ph->end_mono;
}

int phases_write(const struct phases *ph, struct recfile *rf)
{
	size_t i;
	int err;

	for (i = 0; i < ph->n; i++) {
		const struct phase *p = &ph->v[i];
		int64_t end = phases_end(ph, i);

		err = recfile_put_phase(rf, p->id, p->name, p->source, p->start_mono,
					p->start_mono + ph->real_minus_mono, p->pid);
		if (!err && end)
			err = recfile_end_phase(rf, p->id, end, end + ph->real_minus_mono,
						p->exit_status);
		if (err)
			return err;
	}
	return 0;
}

void phase_name_from_path(char *buf, size_t len, const char *path, const char *comm)
{
	const char *base = path && *path ? strrchr(path, '/') : NULL;
	char tmp[PHASE_NAME_MAX];

	base = base ? base + 1 : (path && *path ? path : comm);
	copy_name(tmp, base && *base ? base : "?");
	snprintf(buf, len, "%s", tmp);
}

int phase_name_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return -EINVAL;
	return i == 0 || i >= PHASE_NAME_MAX ? -EINVAL : 0;
}
