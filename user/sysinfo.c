// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sysinfo: machine facts and steal time from procfs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "sysinfo.h"

/* First value of "KEY<sep>VALUE" lines in a procfs file, trimmed. */
static int proc_field(const char *path, const char *key, char *buf, size_t len)
{
	char line[512];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, klen))
			continue;
		v = line + klen;
		while (*v == ' ' || *v == '\t' || *v == ':')
			v++;
		v[strcspn(v, "\n")] = '\0';
		snprintf(buf, len, "%s", v);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int sysinfo_write_meta(struct recfile *rf)
{
	struct utsname u;
	char buf[256];
	long pages, psize;
	int err = 0;

	if (!uname(&u)) {
		err = err ?: recfile_set_meta(rf, "hostname", u.nodename);
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		err = err ?: recfile_set_meta(rf, "kernel", buf);
	}
	if (!proc_field("/proc/cpuinfo", "model name", buf, sizeof(buf)))
		err = err ?: recfile_set_meta(rf, "cpu_model", buf);
	err = err ?: recfile_set_meta_int(rf, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));
	pages = sysconf(_SC_PHYS_PAGES);
	psize = sysconf(_SC_PAGESIZE);
	if (pages > 0 && psize > 0)
		err = err ?: recfile_set_meta_int(rf, "mem_bytes", (int64_t)pages * psize);
	return err;
}

int sysinfo_steal_ns(uint64_t *ret_ns)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	char line[512];
	FILE *f = fopen("/proc/stat", "re");
	int n = 0;

	if (!f)
		return -errno;
	/* cpu  user nice system idle iowait irq softirq steal ... */
	if (fgets(line, sizeof(line), f))
		n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 8 || hz <= 0)
		return -EINVAL;
	*ret_ns = v[7] * (1000000000ULL / hz);
	return 0;
}
