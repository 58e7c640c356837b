// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* host_view: load, attach and read bpf/host_kvm.bpf.c; write its aggregates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../bpf/agg.h"
#include "exit_reason.h"
#include "host_view.h"
#include "host_kvm.skel.h"
#include "util.h"

_Static_assert(sizeof(struct hvt_kvm_key) == 16, "hvt_kvm_key layout changed");
_Static_assert(sizeof(struct hvt_kvm_thread) == 40, "hvt_kvm_thread layout changed");
_Static_assert(sizeof(struct hvt_agg) % 8 == 0, "per-CPU values are read 8-byte aligned");

/* Rows the recording has beyond enum hvt_kvm_kind: per-vCPU and losses. */
enum {
	ROW_EXIT_VCPU = HVT_KVM_KINDS,
	ROW_UEXIT_VCPU,
	ROW_VMM_VCPU,
	ROW_LOST,
	ROW_KINDS,
};

#define VCPU_SHIFT 40	/* per-vCPU row key: vcpu << 40 | the total row's key */

static const char *const row_kind_names[ROW_KINDS] = {
	[HVT_KVM_EXIT] = "exit",
	[HVT_KVM_EXIT_UNPAIRED] = "exit_unpaired",
	[HVT_KVM_UEXIT] = "uexit",
	[HVT_KVM_UEXIT_UNPAIRED] = "uexit_unpaired",
	[HVT_KVM_VMM] = "vmm",
	[HVT_KVM_PIO] = "pio",
	[HVT_KVM_MMIO] = "mmio",
	[HVT_KVM_MSR] = "msr",
	[HVT_KVM_PF] = "page_fault",
	[HVT_KVM_HALT] = "halt",
	[ROW_EXIT_VCPU] = "exit_vcpu",
	[ROW_UEXIT_VCPU] = "uexit_vcpu",
	[ROW_VMM_VCPU] = "vmm_vcpu",
	[ROW_LOST] = "lost",
};

/* The tracepoints, each switched off before load when this kernel lacks it. */
struct probe {
	const char *name;	/* tracepoint = BPF program name */
	int classic;		/* SEC("tracepoint/kvm/...") rather than tp_btf */
};

static const struct probe probes[] = {
	{ "kvm_userspace_exit", 0 },
	{ "kvm_exit", 1 },
	{ "kvm_entry", 0 },
	{ "kvm_pio", 0 },
	{ "kvm_mmio", 0 },
	{ "kvm_msr", 0 },
	{ "kvm_page_fault", 1 },
	{ "kvm_vcpu_wakeup", 0 },
};

#define NPROGS ARRAY_SIZE(probes)

/* One recording row, kept between ticks for the series deltas. */
struct row {
	uint64_t key;
	uint32_t slot;
	uint16_t kind;		/* enum hvt_kvm_kind or ROW_* */
	uint16_t used;
	uint32_t gen;		/* flush that last filled cur */
	struct hvt_agg cur;
	uint64_t prev_count, prev_sum;
};

struct host_view {
	struct host_kvm *skel;
	struct bpf_link *links[NPROGS];
	int ncpus;
	void *percpu;		/* one per-CPU value */
	char probes[256];
	char missing[256];
	struct row *rows;	/* open addressing, cap a power of two */
	size_t cap, n;
	uint32_t gen;
};

/* ---- the row table ---------------------------------------------------- */

static uint64_t row_hash(uint32_t slot, uint16_t kind, uint64_t key)
{
	uint64_t h = key ^ ((uint64_t)slot << 48) ^ ((uint64_t)kind << 56);

	/* splitmix64's finalizer */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static struct row *row_find(struct row *rows, size_t cap, uint32_t slot, uint16_t kind,
			    uint64_t key)
{
	size_t i = row_hash(slot, kind, key) & (cap - 1);

	while (rows[i].used && (rows[i].slot != slot || rows[i].kind != kind || rows[i].key != key))
		i = (i + 1) & (cap - 1);
	return &rows[i];
}

static int rows_grow(struct host_view *hv)
{
	size_t cap = hv->cap ? hv->cap * 2 : 256, i;
	struct row *rows = calloc(cap, sizeof(*rows)), *r;

	if (!rows)
		return -ENOMEM;
	for (i = 0; i < hv->cap; i++) {
		if (!hv->rows[i].used)
			continue;
		r = row_find(rows, cap, hv->rows[i].slot, hv->rows[i].kind, hv->rows[i].key);
		*r = hv->rows[i];
	}
	free(hv->rows);
	hv->rows = rows;
	hv->cap = cap;
	return 0;
}

/* The row, emptied if this flush has not filled it yet; NULL without memory. */
static struct row *row_get(struct host_view *hv, uint32_t slot, uint16_t kind, uint64_t key)
{
	struct row *r;

	if ((hv->n + 1) * 2 > hv->cap && rows_grow(hv))
		return NULL;
	r = row_find(hv->rows, hv->cap, slot, kind, key);
	if (!r->used) {
		r->used = 1;
		r->slot = slot;
		r->kind = kind;
		r->key = key;
		hv->n++;
	}
	if (r->gen != hv->gen) {
		memset(&r->cur, 0, sizeof(r->cur));
		r->gen = hv->gen;
	}
	return r;
}

/* ---- names ------------------------------------------------------------ */

const char *host_view_kind_name(enum hvt_kvm_kind kind)
{
	return (unsigned int)kind < HVT_KVM_KINDS ? row_kind_names[kind] : "unknown";
}

static void append(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? " " : "", word);
}

const char *host_view_key_name(enum hvt_kvm_kind kind, uint64_t key, char *buf, size_t len)
{
	static const char *const mmio_types[] = { "unsatisfied-read", "read", "write", "type3" };
	static const char *const pf_bits[] = { "present", "write", "user", "rsvd", "fetch",
					       "final", "walk" };
	size_t i;

	buf[0] = '\0';
	switch (kind) {
	case HVT_KVM_EXIT:
	case HVT_KVM_EXIT_UNPAIRED:
		return exit_reason_name(key >> 32, (uint32_t)key, buf, len);
	case HVT_KVM_UEXIT:
	case HVT_KVM_UEXIT_UNPAIRED:
	case HVT_KVM_VMM:
		return uexit_reason_name((uint32_t)key, buf, len);
	case HVT_KVM_PIO:
		snprintf(buf, len, "0x%x %s", (unsigned int)(key & 0xffff),
			 key >> 16 & 1 ? "out" : "in");
		return buf;
	case HVT_KVM_MMIO:
		snprintf(buf, len, "0x%llx %s", (unsigned long long)(key & ~0xfffULL),
			 mmio_types[key & 3]);
		return buf;
	case HVT_KVM_MSR:
		snprintf(buf, len, "%s 0x%x%s", key >> 32 & 1 ? "wrmsr" : "rdmsr",
			 (unsigned int)key, key >> 33 & 1 ? " #GP" : "");
		return buf;
	case HVT_KVM_PF:
		if (!(key & 1))
			append(buf, len, "not-present");
		for (i = 0; i < ARRAY_SIZE(pf_bits); i++)
			if (key >> i & 1)
				append(buf, len, pf_bits[i]);
		if (!(key & 2))
			append(buf, len, "read");
		return buf;
	case HVT_KVM_HALT:
		snprintf(buf, len, "%s%s", key & 1 ? "wait" : "poll", key & 2 ? " invalid" : "");
		return buf;
	default:
		snprintf(buf, len, "%llu", (unsigned long long)key);
		return buf;
	}
}

/* ---- load and attach ---------------------------------------------------- */

static int tracefs_has(const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/events/kvm/%s/id", roots[i], event);
		if (!access(path, R_OK))
			return 1;
	}
	return 0;
}

/* Whether the kernel's BTF (vmlinux, or the kvm module's) knows NAME of KIND. */
static int btf_has(struct btf *vmlinux, struct btf *kvm, const char *name, int kind)
{
	return (vmlinux && btf__find_by_name_kind(vmlinux, name, kind) > 0) ||
	       (kvm && btf__find_by_name_kind(kvm, name, kind) > 0);
}

static void list_add(char *list, size_t len, const char *name, const char *why)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s%s", n ? "," : "", name, why);
}

/* Switches off the programs whose tracepoint this kernel lacks; returns how many stay. */
static int select_probes(struct host_view *hv)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *kvm = NULL;
	struct bpf_program *prog;
	char name[64];
	int n = 0, ok;
	size_t i;

	if (vmlinux)
		kvm = btf__load_module_btf("kvm", vmlinux);	/* NULL when built in */
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		const char *why = "";

		snprintf(name, sizeof(name), "btf_trace_%s", probes[i].name);
		ok = btf_has(vmlinux, kvm, name, BTF_KIND_TYPEDEF);
		if (ok && probes[i].classic) {
			snprintf(name, sizeof(name), "trace_event_raw_%s", probes[i].name);
			ok = btf_has(vmlinux, kvm, name, BTF_KIND_STRUCT);
			if (ok && !tracefs_has(probes[i].name)) {
				ok = 0;
				why = "(tracefs not mounted)";
			}
		}
		prog = bpf_object__find_program_by_name(hv->skel->obj, probes[i].name);
		bpf_program__set_autoload(prog, ok);
		list_add(ok ? hv->probes : hv->missing, sizeof(hv->probes), probes[i].name, why);
		n += ok;
	}
	btf__free(kvm);
	btf__free(vmlinux);
	return n;
}

struct host_view *host_view_open(struct guest_view *gv, const struct guest_view_opts *opts,
				 char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct host_view *hv;
	size_t i = 0;
	int e;

	hv = calloc(1, sizeof(*hv));
	if (!hv) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	hv->ncpus = libbpf_num_possible_cpus();
	if (hv->ncpus <= 0) {
		snprintf(err, errlen, "cannot count CPUs");
		errno = EINVAL;
		goto out_free;
	}
	hv->percpu = calloc(hv->ncpus, sizeof(struct hvt_agg));
	hv->skel = host_kvm__open();
	if (!hv->percpu || !hv->skel) {
		e = errno;
		snprintf(err, errlen, "cannot open the host-view BPF programs: %s", strerror(e));
		goto out_free;
	}
	hv->skel->rodata->system_wide = !!opts->system_wide;
	hv->skel->rodata->self_tgid = opts->self;
	/* One scope and one phase for both objects. */
	e = bpf_map__reuse_fd(hv->skel->maps.tasks, guest_view_tasks_fd(gv));
	if (!e)
		e = bpf_map__reuse_fd(hv->skel->maps.data_shared, guest_view_shared_fd(gv));
	if (e) {
		snprintf(err, errlen, "cannot share the guest view's scope: %s", strerror(-e));
		errno = -e;
		goto out_free;
	}
	if (!select_probes(hv)) {
		if (tracefs_has("kvm_userspace_exit")) {
			snprintf(err, errlen, "the KVM tracepoints have no BTF on this kernel "
				 "(built without CONFIG_DEBUG_INFO_BTF_MODULES?)");
			errno = ENOTSUP;
		} else {
			snprintf(err, errlen, "this kernel has no KVM tracepoints (no KVM, or "
				 "the kvm module is not loaded)");
			errno = ENOENT;
		}
		goto out_free;
	}
	e = host_kvm__load(hv->skel);
	if (e) {
		snprintf(err, errlen, "cannot load the host-view BPF programs: %s%s", strerror(-e),
			 -e == EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		errno = -e;
		goto out_free;
	}
	bpf_object__for_each_program(prog, hv->skel->obj) {
		if (!bpf_program__autoload(prog) || i >= NPROGS)
			continue;
		hv->links[i] = bpf_program__attach(prog);
		if (!hv->links[i]) {
			e = errno;
			snprintf(err, errlen, "cannot attach the host-view probe %s: %s",
				 bpf_program__name(prog), strerror(e));
			goto out_free;
		}
		i++;
	}
	return hv;

out_free:
	e = errno;
	host_view_close(hv);
	errno = e;
	return NULL;
}

void host_view_close(struct host_view *hv)
{
	size_t i;

	if (!hv)
		return;
	for (i = 0; i < NPROGS; i++)
		bpf_link__destroy(hv->links[i]);
	host_kvm__destroy(hv->skel);
	free(hv->percpu);
	free(hv->rows);
	free(hv);
}

const char *host_view_probes(const struct host_view *hv)
{
	return hv->probes;
}

const char *host_view_missing(const struct host_view *hv)
{
	return hv->missing;
}

int host_view_write_meta(struct host_view *hv, struct recfile *rf)
{
	return recfile_set_meta(rf, "host_probes", hv ? hv->probes : "") ?:
	       recfile_set_meta(rf, "host_probes_missing", hv ? hv->missing : "");
}

/* ---- reading ---------------------------------------------------------- */

int64_t host_view_read(struct host_view *hv, unsigned int slot, host_view_agg_fn fn, void *ctx)
{
	int fd = bpf_map__fd(hv->skel->maps.kvm_aggs);
	struct hvt_kvm_key k, next, *prev = NULL;
	struct hvt_agg sum, *v = hv->percpu;
	uint64_t *lost = hv->percpu, total = 0;
	__u32 idx = slot;
	int cpu;

	if (slot >= HVT_MAX_PHASES)
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.phase != slot)
			continue;
		if (bpf_map_lookup_elem(fd, &k, v))
			return -errno;
		memset(&sum, 0, sizeof(sum));
		for (cpu = 0; cpu < hv->ncpus; cpu++)
			hvt_agg_merge(&sum, &v[cpu]);
		fn(ctx, k.kind, k.vcpu, k.key, &sum);
	}
	if (errno != ENOENT)
		return -errno;
	if (bpf_map_lookup_elem(bpf_map__fd(hv->skel->maps.kvm_lost), &idx, lost))
		return -errno;
	for (cpu = 0; cpu < hv->ncpus; cpu++)
		total += lost[cpu];
	return total;
}

/* ---- writing ---------------------------------------------------------- */

struct flush_ctx {
	struct host_view *hv;
	unsigned int slot;
	int err;
};

static void fold(struct flush_ctx *fc, uint16_t kind, uint64_t key, const struct hvt_agg *a)
{
	struct row *r = row_get(fc->hv, fc->slot, kind, key);

	if (r)
		hvt_agg_merge(&r->cur, a);
	else if (!fc->err)
		fc->err = -ENOMEM;
}

static void on_agg(void *ctx, enum hvt_kvm_kind kind, unsigned int vcpu, uint64_t key,
		   const struct hvt_agg *a)
{
	struct flush_ctx *fc = ctx;
	uint64_t vkey = (uint64_t)vcpu << VCPU_SHIFT | key;

	if ((unsigned int)kind >= HVT_KVM_KINDS)
		return;
	fold(fc, kind, key, a);
	if (kind == HVT_KVM_EXIT)
		fold(fc, ROW_EXIT_VCPU, vkey, a);
	else if (kind == HVT_KVM_UEXIT)
		fold(fc, ROW_UEXIT_VCPU, vkey, a);
	else if (kind == HVT_KVM_VMM)
		fold(fc, ROW_VMM_VCPU, vkey, a);
}

static enum hvt_kvm_kind base_kind(uint16_t kind)
{
	switch (kind) {
	case ROW_EXIT_VCPU:
		return HVT_KVM_EXIT;
	case ROW_UEXIT_VCPU:
		return HVT_KVM_UEXIT;
	case ROW_VMM_VCPU:
		return HVT_KVM_VMM;
	default:
		return kind;
	}
}

static int write_row(struct recfile *rf, struct row *r, int64_t tick, int64_t now)
{
	enum hvt_kvm_kind kind = base_kind(r->kind);
	const char *kname = row_kind_names[r->kind];
	uint64_t hist[HVT_HIST_SLOTS];
	int timed = kind == HVT_KVM_EXIT || kind == HVT_KVM_UEXIT || kind == HVT_KVM_VMM ||
		    kind == HVT_KVM_HALT;
	char buf[96];
	const char *name;
	int i, err;

	if (r->kind == ROW_LOST)
		name = "kvm_aggs full";
	else
		name = host_view_key_name(kind, r->key & ((1ULL << VCPU_SHIFT) - 1), buf,
					  sizeof(buf));
	for (i = 0; i < HVT_HIST_SLOTS; i++)
		hist[i] = r->cur.hist[i];
	err = recfile_put_series(rf, tick, now, r->slot, "host", kname, r->key,
				 r->cur.count - r->prev_count, r->cur.sum_ns - r->prev_sum);
	if (!err)
		err = recfile_put_stat(rf, r->slot, "host", kname, r->key, name, r->cur.count,
				       r->cur.sum_ns, timed ? hvt_agg_min(&r->cur) : 0,
				       timed ? r->cur.max_ns : 0, timed ? hist : NULL);
	if (err < 0)
		return err;
	r->prev_count = r->cur.count;
	r->prev_sum = r->cur.sum_ns;
	return 0;
}

int host_view_flush(struct host_view *hv, struct recfile *rf, unsigned int slot, int64_t tick)
{
	struct flush_ctx fc = { .hv = hv, .slot = slot };
	int64_t lost, now = now_mono_ns();
	struct row *r;
	size_t i;
	int err;

	hv->gen++;
	lost = host_view_read(hv, slot, on_agg, &fc);
	if (lost < 0)
		return lost;
	if (fc.err)
		return fc.err;
	if (lost) {
		r = row_get(hv, slot, ROW_LOST, 0);
		if (!r)
			return -ENOMEM;
		r->cur.count = lost;
	}
	for (i = 0; i < hv->cap; i++) {
		r = &hv->rows[i];
		if (!r->used || r->slot != slot || r->gen != hv->gen)
			continue;
		if (r->cur.count == r->prev_count && r->cur.sum_ns == r->prev_sum)
			continue;
		err = write_row(rf, r, tick, now);
		if (err)
			return err;
	}
	return 0;
}
