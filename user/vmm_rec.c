// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vmm_rec: a VM's metadata and libvirt domain stats into a recording (view
 * 'host', kinds 'vm.*'), documented in docs/recording-format.md, "Host view:
 * libvirt domain stats". No libvirt here: the samples come from vmm_sample().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recfile.h"
#include "vmm.h"

/* ---- samples ------------------------------------------------------------- */

static struct vmm_field *sample_add(struct vmm_sample *s, const char *name)
{
	struct vmm_field *f;

	if (strlen(name) >= sizeof(f->name))
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;

		f = realloc(s->f, cap * sizeof(*f));
		if (!f)
			return NULL;
		s->f = f;
		s->cap = cap;
	}
	f = &s->f[s->n++];
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	return f;
}

int vmm_sample_put(struct vmm_sample *s, const char *name, uint64_t value)
{
	struct vmm_field *f = sample_add(s, name);

	if (!f)
		return strlen(name) >= sizeof(f->name) ? -ENAMETOOLONG : -ENOMEM;
	f->value = value;
	return 0;
}

int vmm_sample_put_str(struct vmm_sample *s, const char *name, const char *str)
{
	struct vmm_field *f = sample_add(s, name);

	if (!f)
		return strlen(name) >= sizeof(f->name) ? -ENAMETOOLONG : -ENOMEM;
	snprintf(f->str, sizeof(f->str), "%s", str);
	f->is_str = 1;
	return 0;
}

const struct vmm_field *vmm_sample_get(const struct vmm_sample *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].name, name))
			return &s->f[i];
	return NULL;
}

void vmm_sample_free(struct vmm_sample *s)
{
	if (!s)
		return;
	free(s->f);
	memset(s, 0, sizeof(*s));
}

const char *vmm_state_name(int state)
{
	/* libvirt's virDomainState, in its order. */
	static const char *const names[] = {
		"no state", "running", "blocked", "paused", "shutting down", "shut off", "crashed",
		"suspended",
	};

	return state >= 0 && state < (int)(sizeof(names) / sizeof(names[0])) ? names[state] :
	       "unknown";
}

const char *vmm_tid_source_name(enum vmm_tid_source s)
{
	switch (s) {
	case VMM_TIDS_COMM:
		return "comm";
	case VMM_TIDS_QMP:
		return "qmp";
	default:
		return "auto";
	}
}

/* ---- metadata ------------------------------------------------------------ */

static int put_str(struct recfile *rf, unsigned int vm, const char *key, const char *value)
{
	char k[96];

	if (!value)
		return 0;
	snprintf(k, sizeof(k), "vm.%u.%s", vm, key);
	return recfile_set_meta(rf, k, value);
}

static int put_int(struct recfile *rf, unsigned int vm, const char *key, int64_t value)
{
	char k[96];

	snprintf(k, sizeof(k), "vm.%u.%s", vm, key);
	return recfile_set_meta_int(rf, k, value);
}

/* Keeps the first error of a series of writes in err. */
#define PUT(e)                                 \
	do {                                   \
		int e_ = (e);                  \
		if (e_ && !err)                \
			err = e_;              \
	} while (0)

int vmm_rec_meta(struct recfile *rf, unsigned int vm, const struct vmm_meta *m)
{
	char key[64];
	size_t i;
	int err = 0;

	PUT(put_str(rf, vm, "name", m->name));
	PUT(put_str(rf, vm, "uuid", m->uuid));
	if (m->id >= 0)
		PUT(put_int(rf, vm, "id", m->id));
	PUT(put_str(rf, vm, "uri", m->uri));
	PUT(put_str(rf, vm, "host", m->host));
	PUT(put_str(rf, vm, "hypervisor", m->hypervisor));
	PUT(put_str(rf, vm, "hypervisor_version", m->hypervisor_version));
	PUT(put_str(rf, vm, "libvirt_version", m->libvirt_version));
	PUT(put_str(rf, vm, "state", m->state));
	PUT(put_str(rf, vm, "domain_type", m->domain_type));
	PUT(put_str(rf, vm, "os_type", m->os_type));
	PUT(put_str(rf, vm, "arch", m->arch));
	PUT(put_str(rf, vm, "machine", m->machine));
	PUT(put_str(rf, vm, "emulator", m->emulator));
	if (m->max_vcpus) {
		PUT(put_int(rf, vm, "vcpus", m->vcpus));
		PUT(put_int(rf, vm, "max_vcpus", m->max_vcpus));
	}
	if (m->max_mem_bytes) {
		PUT(put_int(rf, vm, "mem_bytes", m->mem_bytes));
		PUT(put_int(rf, vm, "max_mem_bytes", m->max_mem_bytes));
	}
	PUT(put_str(rf, vm, "cpu_mode", m->cpu_mode));
	PUT(put_str(rf, vm, "cpu_model", m->cpu_model));
	PUT(put_str(rf, vm, "features", m->features));
	PUT(put_int(rf, vm, "disks", m->n_disks));
	for (i = 0; i < m->n_disks; i++) {
		const struct vmm_disk *d = &m->disks[i];

		snprintf(key, sizeof(key), "disk.%zu.target", i);
		PUT(put_str(rf, vm, key, d->target));
		snprintf(key, sizeof(key), "disk.%zu.bus", i);
		PUT(put_str(rf, vm, key, d->bus));
		snprintf(key, sizeof(key), "disk.%zu.device", i);
		PUT(put_str(rf, vm, key, d->device));
		snprintf(key, sizeof(key), "disk.%zu.format", i);
		PUT(put_str(rf, vm, key, d->format));
	}
	PUT(put_int(rf, vm, "nics", m->n_nics));
	for (i = 0; i < m->n_nics; i++) {
		const struct vmm_nic *n = &m->nics[i];

		snprintf(key, sizeof(key), "nic.%zu.model", i);
		PUT(put_str(rf, vm, key, n->model));
		snprintf(key, sizeof(key), "nic.%zu.type", i);
		PUT(put_str(rf, vm, key, n->type));
		snprintf(key, sizeof(key), "nic.%zu.target", i);
		PUT(put_str(rf, vm, key, n->target));
		snprintf(key, sizeof(key), "nic.%zu.mac", i);
		PUT(put_str(rf, vm, key, n->mac));
	}
	return err;
}

int vmm_rec_threads(struct recfile *rf, unsigned int vm, pid_t pid, const struct vmm_vcpu *vcpus,
		    size_t n, enum vmm_tid_source source)
{
	char *list = malloc(n * 24 + 1);
	size_t i, len = 0;
	int err = 0;

	if (!list)
		return -ENOMEM;
	list[0] = '\0';
	for (i = 0; i < n; i++)
		len += sprintf(list + len, "%s%d:%d", i ? " " : "", vcpus[i].index,
			       (int)vcpus[i].tid);
	if (pid > 0)
		PUT(put_int(rf, vm, "pid", pid));
	if (n) {
		PUT(put_str(rf, vm, "vcpu_tids", list));
		PUT(put_str(rf, vm, "vcpu_tids_source", vmm_tid_source_name(source)));
	}
	free(list);
	return err;
}

/* ---- stats --------------------------------------------------------------- */

/*
 * The libvirt stats hvtrace records, all cumulative counters. Kind is
 * "vm." + libvirt's name without the device index; times (ns) go to sum_ns,
 * counts and bytes to count. Optional ones are recorded when given but not
 * listed as missing when not (halt polling exists only under KVM).
 */
static const struct vm_field {
	unsigned int group;
	const char *field;
	const char *kind;
	int ns, optional;
} fields[] = {
	{ VMM_GROUP_CPU, "time", "vm.cpu.time", 1, 0 },
	{ VMM_GROUP_CPU, "user", "vm.cpu.user", 1, 0 },
	{ VMM_GROUP_CPU, "system", "vm.cpu.system", 1, 0 },
	{ VMM_GROUP_CPU, "haltpoll.success.time", "vm.cpu.haltpoll.success.time", 1, 1 },
	{ VMM_GROUP_CPU, "haltpoll.fail.time", "vm.cpu.haltpoll.fail.time", 1, 1 },
	{ VMM_GROUP_VCPU, "time", "vm.vcpu.time", 1, 0 },
	{ VMM_GROUP_VCPU, "wait", "vm.vcpu.wait", 1, 0 },
	{ VMM_GROUP_VCPU, "delay", "vm.vcpu.delay", 1, 0 },
	{ VMM_GROUP_BLOCK, "rd.reqs", "vm.block.rd.reqs", 0, 0 },
	{ VMM_GROUP_BLOCK, "rd.bytes", "vm.block.rd.bytes", 0, 0 },
	{ VMM_GROUP_BLOCK, "rd.times", "vm.block.rd.times", 1, 0 },
	{ VMM_GROUP_BLOCK, "wr.reqs", "vm.block.wr.reqs", 0, 0 },
	{ VMM_GROUP_BLOCK, "wr.bytes", "vm.block.wr.bytes", 0, 0 },
	{ VMM_GROUP_BLOCK, "wr.times", "vm.block.wr.times", 1, 0 },
	{ VMM_GROUP_BLOCK, "fl.reqs", "vm.block.fl.reqs", 0, 0 },
	{ VMM_GROUP_BLOCK, "fl.times", "vm.block.fl.times", 1, 0 },
	{ VMM_GROUP_NET, "rx.bytes", "vm.net.rx.bytes", 0, 0 },
	{ VMM_GROUP_NET, "rx.pkts", "vm.net.rx.pkts", 0, 0 },
	{ VMM_GROUP_NET, "rx.errs", "vm.net.rx.errs", 0, 0 },
	{ VMM_GROUP_NET, "rx.drop", "vm.net.rx.drop", 0, 0 },
	{ VMM_GROUP_NET, "tx.bytes", "vm.net.tx.bytes", 0, 0 },
	{ VMM_GROUP_NET, "tx.pkts", "vm.net.tx.pkts", 0, 0 },
	{ VMM_GROUP_NET, "tx.errs", "vm.net.tx.errs", 0, 0 },
	{ VMM_GROUP_NET, "tx.drop", "vm.net.tx.drop", 0, 0 },
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* libvirt's prefix and stats group name, by VMM_GROUP_* bit. */
static const struct {
	const char *prefix, *group;
} groups[VMM_GROUPS] = {
	{ "cpu", "cpu-total" }, { "vcpu", "vcpu" }, { "block", "block" }, { "net", "interface" },
};

static int group_bit(unsigned int g)
{
	return __builtin_ctz(g);
}

struct entry {
	unsigned short field;	/* index in fields[] */
	unsigned int item;
	uint64_t prev;
	int phase;
	uint64_t phase_sum;
};

struct vmm_rec {
	unsigned int vm;
	struct entry *e;
	size_t n, cap, hint;
	unsigned int seen_bulk, seen_per_call;
	int64_t resets;
	char *missing, *state;
	char group_how[VMM_GROUPS][16];
};

struct vmm_rec *vmm_rec_new(unsigned int vm)
{
	struct vmm_rec *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->vm = vm;
	return w;
}

void vmm_rec_free(struct vmm_rec *w)
{
	if (!w)
		return;
	free(w->e);
	free(w->missing);
	free(w->state);
	free(w);
}

/*
 * Splits a libvirt stat name: "cpu.time" → (cpu, item 0, "time"),
 * "block.1.rd.reqs" → (block, item 1, "rd.reqs"). -1 when not recorded.
 */
static int match_field(const char *name, unsigned int *ret_item)
{
	const char *rest;
	unsigned long item = 0;
	unsigned int g;
	size_t i, pl;
	char *end;

	for (g = 0; g < VMM_GROUPS; g++) {
		pl = strlen(groups[g].prefix);
		if (!strncmp(name, groups[g].prefix, pl) && name[pl] == '.')
			break;
	}
	if (g == VMM_GROUPS)
		return -1;
	rest = name + pl + 1;
	if (1u << g != VMM_GROUP_CPU) {
		if (*rest < '0' || *rest > '9')
			return -1;
		item = strtoul(rest, &end, 10);
		if (*end != '.' || item > UINT32_MAX)
			return -1;
		rest = end + 1;
	}
	for (i = 0; i < N_FIELDS; i++) {
		if (fields[i].group == 1u << g && !strcmp(fields[i].field, rest)) {
			*ret_item = item;
			return i;
		}
	}
	return -1;
}

static struct entry *entry_get(struct vmm_rec *w, unsigned int field, unsigned int item,
			       int *is_new)
{
	struct entry *e;
	size_t i;

	/* Fields come in the same order every tick: the next entry is usually it. */
	for (i = 0; i < w->n; i++) {
		e = &w->e[(w->hint + i) % w->n];
		if (e->field == field && e->item == item) {
			w->hint = (w->hint + i + 1) % w->n;
			*is_new = 0;
			return e;
		}
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 32;

		e = realloc(w->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		w->e = e;
		w->cap = cap;
	}
	e = &w->e[w->n++];
	memset(e, 0, sizeof(*e));
	e->field = field;
	e->item = item;
	*is_new = 1;
	return e;
}

/* The name of an item in stat rows: "total", "vcpu1", or the device (vda, vnet0). */
static void item_name(const struct vmm_sample *s, unsigned int group, unsigned int item, char *buf,
		      size_t len)
{
	const struct vmm_field *f;
	char key[48];

	switch (group) {
	case VMM_GROUP_CPU:
		snprintf(buf, len, "total");
		return;
	case VMM_GROUP_VCPU:
		snprintf(buf, len, "vcpu%u", item);
		return;
	}
	snprintf(key, sizeof(key), "%s.%u.name", groups[group_bit(group)].prefix, item);
	f = vmm_sample_get(s, key);
	if (f && f->is_str && f->str[0])
		snprintf(buf, len, "%s", f->str);
	else
		snprintf(buf, len, "%s%u", groups[group_bit(group)].prefix, item);
}

static int put_field(struct vmm_rec *w, struct recfile *rf, int64_t tick, int phase,
		     const struct vmm_sample *s, unsigned int fi, unsigned int item, uint64_t v)
{
	const struct vm_field *fd = &fields[fi];
	int64_t key = (int64_t)w->vm << 32 | item;
	uint64_t delta = 0, sum;
	struct entry *e;
	char name[64];
	int is_new, err;

	e = entry_get(w, fi, item, &is_new);
	if (!e)
		return -ENOMEM;
	if (!is_new) {
		if (v >= e->prev) {
			delta = v - e->prev;
		} else {
			/* The counter started again (domain restarted): count from 0. */
			delta = v;
			w->resets++;
		}
	}
	e->prev = v;
	if (is_new || e->phase != phase) {
		e->phase = phase;
		e->phase_sum = 0;
	}
	e->phase_sum += delta;
	sum = e->phase_sum;
	if (!is_new) {
		err = recfile_put_series(rf, tick, s->t_mono_ns, phase, "host", fd->kind, key,
					 fd->ns ? 0 : delta, fd->ns ? delta : 0);
		if (err)
			return err;
	}
	item_name(s, fd->group, item, name, sizeof(name));
	return recfile_put_stat(rf, phase, "host", fd->kind, key, name, fd->ns ? 0 : sum,
				fd->ns ? sum : 0, 0, 0, NULL);
}

/* Appends "name" to a space-separated list; *len tracks its length. */
static int list_add(char **list, size_t *len, const char *name)
{
	size_t n = strlen(name);
	char *grown = realloc(*list, *len + n + 2);

	if (!grown)
		return -ENOMEM;
	if (*len)
		grown[(*len)++] = ' ';
	memcpy(grown + *len, name, n + 1);
	*len += n;
	*list = grown;
	return 0;
}

/*
 * How many items the sample has of a group: block.count and net.count when
 * given, else one more than the highest index seen.
 */
static unsigned int group_items(const struct vmm_sample *s, unsigned int group)
{
	const char *prefix = groups[group_bit(group)].prefix;
	const struct vmm_field *f;
	size_t i, pl = strlen(prefix);
	unsigned int n = 0;
	char key[48];

	if (group == VMM_GROUP_CPU)
		return 1;
	snprintf(key, sizeof(key), "%s.count", prefix);
	f = vmm_sample_get(s, key);
	if (f && !f->is_str)
		return f->value;
	for (i = 0; i < s->n; i++) {
		const char *name = s->f[i].name;
		char *end;
		unsigned long item;

		if (strncmp(name, prefix, pl) || name[pl] != '.' || name[pl + 1] < '0' ||
		    name[pl + 1] > '9')
			continue;
		item = strtoul(name + pl + 1, &end, 10);
		if (*end == '.' && item < 1u << 16 && item + 1 > n)
			n = item + 1;
	}
	return n;
}

/* The recorded values the driver left out of this sample, as libvirt names them. */
static int missing_list(const struct vmm_sample *s, char **ret)
{
	char *list = NULL, name[64];
	unsigned int g, item, n;
	size_t len = 0, i;
	int err = 0;

	for (g = 0; g < VMM_GROUPS && !err; g++) {
		unsigned int bit = 1u << g;

		if (!(s->groups & bit))
			continue;
		n = group_items(s, bit);
		for (item = 0; item < n && !err; item++) {
			for (i = 0; i < N_FIELDS && !err; i++) {
				if (fields[i].group != bit || fields[i].optional)
					continue;
				if (bit == VMM_GROUP_CPU)
					snprintf(name, sizeof(name), "cpu.%s", fields[i].field);
				else
					snprintf(name, sizeof(name), "%s.%u.%s", groups[g].prefix,
						 item, fields[i].field);
				if (!vmm_sample_get(s, name))
					err = list_add(&list, &len, name);
			}
		}
	}
	if (err) {
		free(list);
		return err;
	}
	*ret = list ? list : strdup("");
	return *ret ? 0 : -ENOMEM;
}

/* Sets *cur to val and writes vm.<vm>.KEY when it changed. val is taken over. */
static int update_meta(struct recfile *rf, unsigned int vm, const char *key, char **cur, char *val)
{
	int err;

	if (*cur && !strcmp(*cur, val)) {
		free(val);
		return 0;
	}
	free(*cur);
	*cur = val;
	err = put_str(rf, vm, key, val);
	return err;
}

static int write_stats_meta(struct vmm_rec *w, struct recfile *rf, const struct vmm_sample *s)
{
	unsigned int g;
	char key[48], *missing, *state;
	int err = 0, active = s->state >= 1 && s->state <= 3;	/* running, blocked, paused */

	w->seen_bulk |= s->groups & ~s->per_call;
	w->seen_per_call |= s->groups & s->per_call;
	for (g = 0; g < VMM_GROUPS && !err; g++) {
		unsigned int bit = 1u << g;
		const char *how = w->seen_bulk & bit ? "bulk" :
				  w->seen_per_call & bit ? "per-call" : "missing";

		if (!strcmp(w->group_how[g], how))
			continue;
		snprintf(w->group_how[g], sizeof(w->group_how[g]), "%s", how);
		snprintf(key, sizeof(key), "stats.%s", groups[g].group);
		err = put_str(rf, w->vm, key, how);
	}
	/* A stopped domain reports nothing; what it lacked while it ran stays. */
	if (!err && (active || !w->missing)) {
		err = missing_list(s, &missing);
		if (!err)
			err = update_meta(rf, w->vm, "stats.missing", &w->missing, missing);
	}
	if (!err) {
		state = strdup(vmm_state_name(s->state));
		err = state ? update_meta(rf, w->vm, "state", &w->state, state) : -ENOMEM;
	}
	if (!err && w->resets)
		err = put_int(rf, w->vm, "stats.resets", w->resets);
	return err;
}

int vmm_rec_sample(struct vmm_rec *w, struct recfile *rf, int64_t tick, int phase,
		   const struct vmm_sample *s)
{
	unsigned int item;
	size_t i;
	int fi, err;

	for (i = 0; i < s->n; i++) {
		if (s->f[i].is_str)
			continue;
		fi = match_field(s->f[i].name, &item);
		if (fi < 0 || !(s->groups & fields[fi].group))
			continue;
		err = put_field(w, rf, tick, phase, s, fi, item, s->f[i].value);
		if (err)
			return err;
	}
	return write_stats_meta(w, rf, s);
}
