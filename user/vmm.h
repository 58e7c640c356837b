/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * vmm: a virtual machine as libvirt knows it. Resolves a domain (by name,
 * UUID or id, on any connection URI) to its QEMU process and vCPU threads,
 * reads its metadata, and samples libvirt's domain stats.
 *
 * vmm_virt.c implements it on libvirt; the static build links vmm_none.c
 * instead, where vmm_open() fails with -ENOTSUP ("built without libvirt").
 * vmm_parse.c (domain XML → metadata; QEMU's vCPU list) and vmm_rec.c
 * (metadata and samples → recording, view 'host', kinds 'vm.*'; see
 * docs/recording-format.md) need no libvirt and are in both builds.
 */
#ifndef HVT_VMM_H
#define HVT_VMM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMM_DEFAULT_URI "qemu:///system"

struct vmm;
struct recfile;

/* ---- the domain ---------------------------------------------------------- */

/*
 * Connects to URI (NULL: qemu:///system) and looks DOMAIN up by name, then by
 * UUID, then by id. NULL with errno set on failure (ENOENT: no such domain;
 * ENOTSUP: built without libvirt; ECONNREFUSED: no daemon answers; EINVAL: no
 * driver for the URI; EACCES) and a sentence in err naming the domain or URI.
 */
struct vmm *vmm_open(const char *uri, const char *domain, char *err, size_t errlen);
void vmm_close(struct vmm *v);

const char *vmm_name(const struct vmm *v);
const char *vmm_uri(const struct vmm *v);	/* as libvirt names the connection */

/*
 * The QEMU process of the running domain, found on this host by the -uuid
 * libvirt gives QEMU (any qemu:// URI, system or session; no monitor command,
 * no private libvirt file). -ENOTSUP: the driver runs no QEMU process (test,
 * Xen, ESX, VirtualBox, ...); -ESRCH: the domain is not running, or runs on
 * another host (a remote URI).
 */
int vmm_pid(struct vmm *v, pid_t *ret_pid, char *err, size_t errlen);

enum vmm_tid_source {
	VMM_TIDS_AUTO,		/* comm names, else QMP (see vmm_vcpu_tids) */
	VMM_TIDS_COMM,		/* /proc/PID/task/ * /comm = "CPU n/KVM", "CPU n/TCG", ... */
	VMM_TIDS_QMP,		/* QEMU's query-cpus-fast through libvirt-qemu */
};

struct vmm_vcpu {
	int index;		/* QEMU's cpu-index */
	pid_t tid;		/* host thread running it */
};

/*
 * The vCPU threads of the running domain, ordered by index, up to max of
 * them; *ret_n is how many there are. VMM_TIDS_AUTO takes the thread names
 * first, which QEMU sets when libvirt starts it (debug-threads=on), and asks
 * QEMU's monitor only when the names do not give one thread per online vCPU:
 * libvirt marks a domain whose monitor was used directly as tainted
 * ("custom-monitor" in its log). *ret_used says which source answered.
 */
int vmm_vcpu_tids(struct vmm *v, enum vmm_tid_source how, struct vmm_vcpu *ret, size_t max,
		  size_t *ret_n, enum vmm_tid_source *ret_used, char *err, size_t errlen);
const char *vmm_tid_source_name(enum vmm_tid_source s);

/*
 * The vCPUs in QEMU's answer to {"execute":"query-cpus-fast"}, sorted by
 * index, into a new array; -EPROTO when the answer is not what QMP says.
 */
int vmm_parse_query_cpus(const char *reply, struct vmm_vcpu **ret, size_t *ret_n);
void vmm_sort_vcpus(struct vmm_vcpu *v, size_t n);

/* ---- metadata ------------------------------------------------------------ */

struct vmm_disk {
	char *target;		/* vda, sda, ... */
	char *bus;		/* virtio, sata, ide, scsi, xen, ... */
	char *device;		/* disk, cdrom, floppy, lun */
	char *format;		/* raw, qcow2, ... (driver type) */
};

struct vmm_nic {
	char *model;		/* virtio, e1000, rtl8139, vmxnet3, ... */
	char *type;		/* network, bridge, user, direct, ... */
	char *target;		/* host-side device, vnet0 (running domains) */
	char *mac;
};

/* Every string may be NULL: not in the XML or not told by the driver. */
struct vmm_meta {
	/* from the connection */
	char *uri, *host;
	char *hypervisor;		/* libvirt driver: QEMU, Xen, ESX, VBOX, TEST, ... */
	char *hypervisor_version;	/* e.g. 7.2.0 */
	char *libvirt_version;		/* of the daemon (the library's if none) */
	char *state;			/* running, paused, shut off, ... */
	/* from the domain XML */
	char *name, *uuid;
	int id;				/* -1 when not running */
	char *domain_type;		/* kvm, qemu, xen, vmware, vbox, test, ... */
	char *os_type, *arch, *machine;
	char *emulator;
	int vcpus, max_vcpus;		/* online at boot, and the most there can be */
	uint64_t mem_bytes, max_mem_bytes;
	char *cpu_mode;			/* host-passthrough, host-model, custom, maximum */
	char *cpu_model;		/* qemu64, Skylake-Client, ... */
	char *features;			/* "acpi apic pae", space separated */
	struct vmm_disk *disks;
	size_t n_disks;
	struct vmm_nic *nics;
	size_t n_nics;
};

int vmm_get_meta(struct vmm *v, struct vmm_meta *ret, char *err, size_t errlen);
/* Fills the XML part of meta from a libvirt domain XML; -EINVAL on bad XML. */
int vmm_meta_from_xml(const char *xml, struct vmm_meta *meta, char *err, size_t errlen);
void vmm_meta_free(struct vmm_meta *meta);	/* frees the strings, keeps meta */

/* ---- the guest agent's channel ------------------------------------------ */

#define VMM_CHANNEL_PATH_MAX 108	/* sizeof(sun_path), the NUL included */

/*
 * The host end of the domain's virtio-serial channel whose guest-side name is
 * TARGET (org.hvtrace.0): <channel type='unix'> with <source mode='bind'
 * path='...'/> (QEMU listens there) and <target type='virtio' name='TARGET'/>.
 * 0 with the path in ret_path (len bytes, at most VMM_CHANNEL_PATH_MAX used);
 * -ENOENT when the domain has no channel of that name; -EINVAL when it has one
 * that cannot be connected to (another type, mode 'connect', a path that is
 * missing, relative, too long or holds control characters) or the XML is bad.
 * err then says why, as a clause that follows "domain NAME: ".
 */
int vmm_channel_from_xml(const char *xml, const char *target, char *ret_path, size_t len,
			 char *err, size_t errlen);
/* The same from the domain's live XML; err names the domain (-ENOTSUP without libvirt). */
int vmm_channel(struct vmm *v, const char *target, char *ret_path, size_t len, char *err,
		size_t errlen);

/* ---- domain stats ------------------------------------------------------- */

/* The stats groups of virConnectGetAllDomainStats that hvtrace records. */
enum {
	VMM_GROUP_CPU = 1 << 0,		/* cpu-total: cpu.time, cpu.user, cpu.system */
	VMM_GROUP_VCPU = 1 << 1,	/* vcpu.N.time, .wait, .delay */
	VMM_GROUP_BLOCK = 1 << 2,	/* block.N.{rd,wr,fl}.{reqs,bytes,times} */
	VMM_GROUP_NET = 1 << 3,		/* interface: net.N.{rx,tx}.{bytes,pkts,errs,drop} */
	VMM_GROUP_ALL = 0xf,
};
#define VMM_GROUPS 4

/* One value as libvirt names it ("vcpu.1.time"); item names are strings. */
struct vmm_field {
	char name[48];
	uint64_t value;
	char str[64];		/* for string fields (block.0.name); "" otherwise */
	int is_str;
};

struct vmm_sample {
	int64_t t_mono_ns;
	int state;		/* libvirt's virDomainState (1 running, 3 paused, 5 shut off) */
	unsigned int groups;	/* VMM_GROUP_* reported, in bulk or per call */
	unsigned int per_call;	/* those of them read with one call per device */
	struct vmm_field *f;
	size_t n, cap;
};

/*
 * Samples the domain's stats: in bulk (virDomainListGetStats) for every group
 * the driver answers there, else with the older per-device calls
 * (virDomainGetInfo, GetVcpus, BlockStats, InterfaceStats) that Xen, ESX,
 * VirtualBox and the test driver implement. A value the driver does not give
 * is absent from the sample, never 0 (ESX and VirtualBox report a running
 * domain's CPU time as 0: that counts as absent). s is reused between calls.
 * -ESRCH when the domain is gone.
 */
int vmm_sample(struct vmm *v, struct vmm_sample *s, char *err, size_t errlen);
void vmm_sample_free(struct vmm_sample *s);
/* Helpers for vmm_sample implementations and tests. */
const struct vmm_field *vmm_sample_get(const struct vmm_sample *s, const char *name);
int vmm_sample_put(struct vmm_sample *s, const char *name, uint64_t value);
int vmm_sample_put_str(struct vmm_sample *s, const char *name, const char *str);
const char *vmm_state_name(int state);

/* ---- into a recording (vmm_rec.c) --------------------------------------- */

/*
 * A recording may hold several VMs; vm numbers them from 0 (meta keys
 * "vm.<vm>.*", stat and series keys vm * 2^32 + item).
 */
int vmm_rec_meta(struct recfile *rf, unsigned int vm, const struct vmm_meta *meta);
int vmm_rec_threads(struct recfile *rf, unsigned int vm, pid_t pid, const struct vmm_vcpu *vcpus,
		    size_t n, enum vmm_tid_source source);

struct vmm_rec;		/* what the stats were at the last tick */

struct vmm_rec *vmm_rec_new(unsigned int vm);	/* NULL and errno on failure */
void vmm_rec_free(struct vmm_rec *w);
/*
 * Stores one sample: the first is the baseline, later ones add their change
 * since the previous one to the tick's series and to the phase's stat rows.
 * Also keeps vm.<vm>.stats.* meta up to date: which groups were recorded and
 * how, and which values the driver left out.
 */
int vmm_rec_sample(struct vmm_rec *w, struct recfile *rf, int64_t tick, int phase,
		   const struct vmm_sample *s);

#endif /* HVT_VMM_H */
