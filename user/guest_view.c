// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* guest_view: load, attach and read bpf/guest.bpf.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agg.h"
#include "cpu_array.h"
#include "util.h"
#include "guest_view.h"
#include "guest.skel.h"

_Static_assert(sizeof(struct hvt_agg) == 152, "hvt_agg layout changed");
_Static_assert(sizeof(struct hvt_counts) == 152, "hvt_counts layout changed");
_Static_assert(sizeof(struct hvt_event) == 208, "hvt_event layout changed");
_Static_assert(sizeof(struct hvt_shared) == 16, "hvt_shared layout changed");
_Static_assert(sizeof(struct hvt_task) == 32, "hvt_task layout changed");
/* Batch lookups copy values back to back: no padding between entries. */
_Static_assert(sizeof(struct hvt_agg) % 8 == 0 && sizeof(struct hvt_counts) % 8 == 0,
	       "per-CPU array values must be multiples of 8 bytes");

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct guest_view {
	struct guest *skel;
	struct ring_buffer *rb;
	guest_view_event_fn fn;
	void *ctx;
	int ncpus;
	struct cpu_array sys, runq, counts;	/* the per-CPU aggregates */
	void *buf;		/* one CPU's values of a phase: HVT_NR_SYSCALLS aggregates */
	int stats_fd;		/* BPF_ENABLE_STATS: stats run while it is open */
};

/* libbpf's own messages would interleave with ours; keep only warnings. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("HVTRACE_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("HVTRACE_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct guest_view *gv = ctx;
	struct hvt_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	gv->fn(gv->ctx, &e);
	return 0;
}

struct guest_view *guest_view_open(const struct guest_view_opts *opts, guest_view_event_fn fn,
				   void *ctx, char *err, size_t errlen)
{
	struct guest_view *gv;
	int e;

	libbpf_set_print(quiet_print);
	gv = calloc(1, sizeof(*gv));
	if (!gv) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	gv->fn = fn;
	gv->ctx = ctx;
	gv->stats_fd = -1;
	gv->ncpus = cpu_array_ids();
	if (gv->ncpus <= 0) {
		snprintf(err, errlen, "cannot count CPUs");
		errno = EINVAL;
		goto out_free;
	}
	gv->buf = calloc(HVT_NR_SYSCALLS, sizeof(struct hvt_agg));
	gv->skel = guest__open();
	if (!gv->buf || !gv->skel || cpu_array_size(gv->skel->maps.sys_aggs, &gv->sys, gv->ncpus) ||
	    cpu_array_size(gv->skel->maps.runq_aggs, &gv->runq, gv->ncpus) ||
	    cpu_array_size(gv->skel->maps.counts, &gv->counts, gv->ncpus)) {
		e = errno;
		snprintf(err, errlen, "cannot open the BPF programs: %s", strerror(e));
		goto out_free;
	}
	gv->skel->rodata->system_wide = !!opts->system_wide;
	gv->skel->rodata->self_tgid = opts->self;
	e = guest__load(gv->skel);
	if (e) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-e),
			 -e == EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		errno = -e;
		goto out_free;
	}
	e = guest__attach(gv->skel);
	if (e) {
		snprintf(err, errlen, "cannot attach the BPF programs: %s", strerror(-e));
		errno = -e;
		goto out_free;
	}
	if (opts->prog_stats) {
		gv->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (gv->stats_fd < 0) {
			e = errno;
			snprintf(err, errlen, "cannot enable BPF run-time statistics: %s",
				 strerror(e));
			goto out_free;
		}
	}
	gv->rb = ring_buffer__new(bpf_map__fd(gv->skel->maps.events), on_sample, gv, NULL);
	if (!gv->rb) {
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		goto out_free;
	}
	return gv;

out_free:
	e = errno;
	guest_view_close(gv);
	errno = e;
	return NULL;
}

void guest_view_close(struct guest_view *gv)
{
	if (!gv)
		return;
	ring_buffer__free(gv->rb);
	if (gv->stats_fd >= 0)
		close(gv->stats_fd);
	guest__destroy(gv->skel);
	free(gv->buf);
	free(gv);
}

int guest_view_track(struct guest_view *gv, pid_t tid)
{
	struct hvt_task zero = { 0 };
	int fd, err = 0;

	fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (fd < 0 && errno == EINVAL)	/* before 6.9 only group leaders have pidfds */
		fd = syscall(SYS_pidfd_open, tid, 0);
	if (fd < 0)
		return -errno;
	/* NOEXIST: a thread already in scope keeps its state (a syscall's entry time). */
	if (bpf_map_update_elem(bpf_map__fd(gv->skel->maps.tasks), &fd, &zero, BPF_NOEXIST) &&
	    errno != EEXIST)
		err = -errno;
	close(fd);
	return err;
}

static int track_threads(struct guest_view *gv, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		pid_t tid = atoi(d->d_name);

		if (tid > 0 && !guest_view_track(gv, tid))
			n++;
	}
	closedir(dir);
	return n;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
		if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return ppid;
}

static int is_descendant(pid_t pid, pid_t root)
{
	int depth;

	for (depth = 0; pid > 0 && depth < 4096; depth++) {
		if (pid == root)
			return 1;
		if (pid == 1)
			return 0;
		pid = parent_of(pid);
	}
	return 0;
}

int guest_view_track_tree(struct guest_view *gv, pid_t root)
{
	struct dirent *d;
	DIR *dir;
	int n, total;

	total = track_threads(gv, root);
	if (total < 0)
		return total;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		pid_t pid = atoi(d->d_name);

		if (pid <= 0 || pid == root || !is_descendant(pid, root))
			continue;
		n = track_threads(gv, pid);
		if (n > 0)
			total += n;
	}
	closedir(dir);
	return total;
}

struct hvt_shared *guest_view_shared(struct guest_view *gv)
{
	return &gv->skel->data_shared->shared;
}

int guest_view_prog_stats(struct guest_view *gv, struct guest_view_prog_stat *ret, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, gv->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (n >= max)
			break;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			return -errno;
		ret[n].name = bpf_program__name(prog);
		ret[n].run_cnt = info.run_cnt;
		ret[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

int guest_view_tasks_fd(struct guest_view *gv)
{
	return bpf_map__fd(gv->skel->maps.tasks);
}

int guest_view_shared_fd(struct guest_view *gv)
{
	return bpf_map__fd(gv->skel->maps.data_shared);
}

int guest_view_events_fd(struct guest_view *gv)
{
	return ring_buffer__epoll_fd(gv->rb);
}

int guest_view_consume(struct guest_view *gv)
{
	int n = ring_buffer__consume(gv->rb);

	return n < 0 ? n : 0;
}

int guest_view_read_syscalls(struct guest_view *gv, unsigned int slot,
			     struct hvt_agg ret[HVT_NR_SYSCALLS])
{
	const struct hvt_agg *v = gv->buf;
	int cpu, nr, err;

	if (slot >= HVT_MAX_PHASES)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret) * HVT_NR_SYSCALLS);
	for (cpu = 0; cpu < gv->sys.ncpus; cpu++) {
		err = cpu_array_read(&gv->sys, gv->skel->maps.sys_aggs, cpu,
				     slot * HVT_NR_SYSCALLS, HVT_NR_SYSCALLS, gv->buf);
		if (err)
			return err;
		for (nr = 0; nr < HVT_NR_SYSCALLS; nr++)
			hvt_agg_merge(&ret[nr], &v[nr]);
	}
	return 0;
}

int guest_view_read_runq(struct guest_view *gv, unsigned int slot, struct hvt_agg *ret)
{
	struct hvt_agg v;
	int cpu, err;

	if (slot >= HVT_MAX_PHASES)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	for (cpu = 0; cpu < gv->runq.ncpus; cpu++) {
		err = cpu_array_read(&gv->runq, gv->skel->maps.runq_aggs, cpu, slot, 1, &v);
		if (err)
			return err;
		hvt_agg_merge(ret, &v);
	}
	return 0;
}

int guest_view_read_counts(struct guest_view *gv, unsigned int slot, struct hvt_counts *ret)
{
	__u64 *dst = (__u64 *)ret, v[sizeof(*ret) / sizeof(__u64)];
	size_t i;
	int cpu, err;

	if (slot >= HVT_MAX_PHASES)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	/* Every field is a __u64 sum: add them as one array. */
	for (cpu = 0; cpu < gv->counts.ncpus; cpu++) {
		err = cpu_array_read(&gv->counts, gv->skel->maps.counts, cpu, slot, 1, v);
		if (err)
			return err;
		for (i = 0; i < ARRAY_SIZE(v); i++)
			dst[i] += v[i];
	}
	return 0;
}
