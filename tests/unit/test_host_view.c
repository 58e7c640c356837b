// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The host view's BPF object on the running kernel: it loads, attaches the KVM
 * tracepoints the kernel has, shares the guest view's scope and phase maps,
 * and writes nothing for a phase without events. Needs root and KVM
 * tracepoints; says so and skips without them. (Its own runner: unit.h has
 * no skip.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "guest_view.h"
#include "host_view.h"
#include "recfile.h"

static struct guest_view *gv;
static struct host_view *hv;
static int failed;

#define CHECK(name, cond, ...)                                                     \
	do {                                                                       \
		if (cond) {                                                        \
			printf("ok - %s\n", name);                                 \
		} else {                                                           \
			printf("not ok - %s: ", name);                             \
			printf(__VA_ARGS__);                                       \
			printf(" (%s:%d)\n", __FILE__, __LINE__);                  \
			failed = 1;                                                \
		}                                                                  \
	} while (0)

static void on_event(void *ctx, const struct hvt_event *e)
{
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Whether a loaded program called NAME uses both maps. */
static int prog_uses(const char *name, __u32 a, __u32 b)
{
	__u32 id = 0, ids[64], i;
	int found = 0;

	while (!found && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id), has_a = 0, has_b = 0;

		if (fd < 0)
			continue;
		info.nr_map_ids = 64;
		info.map_ids = (__u64)(unsigned long)ids;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			for (i = 0; i < info.nr_map_ids && i < 64; i++) {
				has_a |= ids[i] == a;
				has_b |= ids[i] == b;
			}
			found = has_a && has_b;
		}
		close(fd);
	}
	return found;
}

static void host_view_attaches_the_kvm_tracepoints(void)
{
	const char *p = host_view_probes(hv);

	CHECK("host_view_attaches_the_kvm_tracepoints",
	      strstr(p, "kvm_userspace_exit") && strstr(p, "kvm_pio") && strstr(p, "kvm_mmio") &&
	      strstr(p, "kvm_exit") && strstr(p, "kvm_entry"),
	      "attached '%s', missing '%s'", p, host_view_missing(hv));
}

static void host_view_shares_the_guest_scope_and_phase(void)
{
	__u32 tasks = map_id(guest_view_tasks_fd(gv)), shared = map_id(guest_view_shared_fd(gv));

	CHECK("host_view_shares_the_guest_scope_and_phase",
	      tasks && shared && prog_uses("kvm_pio", tasks, shared) &&
	      prog_uses("kvm_mmio", tasks, shared),
	      "no host-view program uses the guest's tasks map %u and phase map %u", tasks,
	      shared);
}

static void host_view_flush_without_events_writes_no_rows(void)
{
	char path[] = "/tmp/hvtrace-hv-XXXXXX", err[256];
	struct recording *rec = NULL;
	struct recfile *rf;
	size_t i, n = 0;
	int fd = mkstemp(path), e = -1;

	if (fd >= 0)
		close(fd);
	rf = recfile_create(path, err, sizeof(err));
	if (rf) {
		e = recfile_begin(rf) ?: host_view_write_meta(hv, rf) ?:
		    host_view_flush(hv, rf, 0, 0) ?: host_view_flush(hv, rf, 1, 1) ?:
		    recfile_commit(rf);
		recfile_close(rf);
		rec = recording_load(path, err, sizeof(err));
	}
	for (i = 0; rec && i < rec->n_stats; i++)
		n += !strcmp(rec->stats[i].view, "host");
	CHECK("host_view_flush_without_events_writes_no_rows",
	      rec && !e && !n && recording_meta(rec, "host_probes") &&
	      strstr(recording_meta(rec, "host_probes"), "kvm_pio"),
	      "flush returned %d, %zu host rows, host_probes '%s' (%s)", e, n,
	      rec && recording_meta(rec, "host_probes") ? recording_meta(rec, "host_probes") : "",
	      rec ? "" : err);
	recording_free(rec);
	unlink(path);
}

int main(void)
{
	struct guest_view_opts o = { .system_wide = 0, .self = getpid() };
	char err[256];

	if (geteuid() != 0) {
		printf("skip - host_view: needs root (BPF)\n");
		return 0;
	}
	if (access("/sys/kernel/tracing/events/kvm", F_OK) &&
	    access("/sys/kernel/debug/tracing/events/kvm", F_OK)) {
		printf("skip - host_view: no KVM tracepoints on this kernel\n");
		return 0;
	}
	gv = guest_view_open(&o, on_event, NULL, err, sizeof(err));
	if (!gv) {
		printf("not ok - host_view_opens: guest view: %s\n", err);
		return 1;
	}
	hv = host_view_open(gv, &o, err, sizeof(err));
	if (!hv) {
		printf("not ok - host_view_opens: %s (errno %d)\n", err, errno);
		guest_view_close(gv);
		return 1;
	}
	printf("ok - host_view_opens\n");
	host_view_attaches_the_kvm_tracepoints();
	host_view_shares_the_guest_scope_and_phase();
	host_view_flush_without_events_writes_no_rows();
	host_view_close(hv);
	guest_view_close(gv);
	return failed;
}
