// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cpu_array: sizing and reading the CPU-major per-CPU arrays (cpu_array.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "cpu_array.h"

int cpu_array_ids(void)
{
	char buf[1024], *p;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	long hi;
	size_t n;

	/* "0-1", "0,2-5": the last number is the highest id. */
	if (!f)
		return libbpf_num_possible_cpus();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = buf + n;
	while (p > buf && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (!*p || sscanf(p, "%ld", &hi) != 1 || hi < 0 || hi >= 1 << 20)
		return libbpf_num_possible_cpus();
	return (int)hi + 1;
}

int cpu_array_is_per_cpu(const struct bpf_map *m)
{
	return bpf_map__type(m) == BPF_MAP_TYPE_ARRAY &&
	       (bpf_map__map_flags(m) & BPF_F_MMAPABLE) && !bpf_map__is_internal(m);
}

int cpu_array_size(struct bpf_map *m, struct cpu_array *ca, int ncpus)
{
	memset(ca, 0, sizeof(*ca));
	ca->fd = -1;
	ca->per_cpu = bpf_map__max_entries(m);
	ca->value_size = bpf_map__value_size(m);
	ca->ncpus = ncpus;
	if (ncpus <= 0 || !ca->per_cpu || ca->per_cpu > UINT32_MAX / (__u32)ncpus) {
		errno = EOVERFLOW;
		return -EOVERFLOW;
	}
	return bpf_map__set_max_entries(m, ca->per_cpu * ncpus);
}

static int read_batch(int fd, __u32 key, __u32 n, void *out)
{
	__u32 prev = key - 1, next, count = n, *keys = calloc(n, sizeof(*keys));
	int err;

	if (!keys)
		return -ENOMEM;
	/* The batch starts after the key given: none for the map's first entry. */
	err = bpf_map_lookup_batch(fd, key ? &prev : NULL, &next, keys, out, &count, NULL);
	/* -ENOENT: the batch reached the map's end, not an error if it is full. */
	if (err == -ENOENT && count == n)
		err = 0;
	if (!err && (count != n || keys[0] != key))
		err = -EIO;
	free(keys);
	return err;
}

int cpu_array_read(struct cpu_array *ca, const struct bpf_map *m, int cpu, __u32 first,
		   __u32 n, void *out)
{
	__u32 key, i;
	int err;

	if (cpu < 0 || cpu >= ca->ncpus || first > ca->per_cpu || n > ca->per_cpu - first)
		return -EINVAL;
	key = (__u32)cpu * ca->per_cpu + first;
	if (n > 1 && !ca->no_batch) {
		err = read_batch(bpf_map__fd(m), key, n, out);
		if (err != -EINVAL && err != -EOPNOTSUPP && err != -ENOTSUP)
			return err;
		ca->no_batch = 1;
	}
	for (i = 0; i < n; i++, key++)
		if (bpf_map_lookup_elem(bpf_map__fd(m), &key, (char *)out + i * ca->value_size))
			return -errno;
	return 0;
}
