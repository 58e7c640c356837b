// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * detect: which hypervisor runs this system, how, and whether we are in a
 * container. Probes gather facts (each one becomes an evidence line), then
 * decide() weighs them. docs/hypervisors.md gives the reasons for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "detect.h"

/* Known hypervisors. The display name and default mode live in hv_info[]. */
enum hv {
	HV_NONE,
	HV_KVM,
	HV_XEN,
	HV_VMWARE,
	HV_VBOX,
	HV_HYPERV,
	HV_TCG,
	HV_QEMU,	/* DMI only: QEMU with KVM or TCG */
	HV_BHYVE,
	HV_ACRN,
	HV_QNX,
	HV_SRE,
	HV_APPLE,
	HV_JAILHOUSE,
	HV_KVMTOOL,
	HV_OPENBSD,
	HV_PARALLELS,
	HV_PVM,
	HV_UML,
	HV_BOCHS,
	HV_NVMM,
	HV_HAXM,
	HV_KGT,
	HV_UNISYS,
	HV_UNKNOWN,	/* name kept raw in the context */
};

static const struct {
	const char *name;
	const char *mode;	/* how it runs guests, when that follows from the name */
} hv_info[] = {
	[HV_NONE] = { "", "" },
	[HV_KVM] = { "KVM", "HVM" },
	[HV_XEN] = { "Xen", "" },
	[HV_VMWARE] = { "VMware", "HVM" },
	[HV_VBOX] = { "VirtualBox", "HVM" },
	[HV_HYPERV] = { "Hyper-V", "HVM" },
	[HV_TCG] = { "QEMU TCG", "emulated" },
	[HV_QEMU] = { "QEMU", "" },
	[HV_BHYVE] = { "bhyve", "HVM" },
	[HV_ACRN] = { "ACRN", "HVM" },
	[HV_QNX] = { "QNX Hypervisor", "HVM" },
	[HV_SRE] = { "SRE", "HVM" },
	[HV_APPLE] = { "Apple Virtualization", "HVM" },
	[HV_JAILHOUSE] = { "Jailhouse", "HVM" },
	[HV_KVMTOOL] = { "KVM", "HVM" },
	[HV_OPENBSD] = { "OpenBSD vmm", "HVM" },
	[HV_PARALLELS] = { "Parallels", "HVM" },
	[HV_PVM] = { "PVM", "PV" },
	[HV_UML] = { "User Mode Linux", "PV" },
	[HV_BOCHS] = { "Bochs", "emulated" },
	[HV_NVMM] = { "NetBSD NVMM", "HVM" },
	[HV_HAXM] = { "Intel HAXM", "HVM" },
	[HV_KGT] = { "Intel KGT", "HVM" },
	[HV_UNISYS] = { "Unisys s-Par", "HVM" },
	[HV_UNKNOWN] = { "unknown", "" },
};

static const char *hv_name(enum hv hv)
{
	return hv_info[hv].name;
}

/* CPUID leaf 0x40000000 signatures (EBX ECX EDX), compared without padding. */
static const struct {
	const char *sig;
	enum hv hv;
	const char *note;
} cpuid_sigs[] = {
	{ "KVMKVMKVM", HV_KVM, "KVM" },
	{ "Linux KVM Hv", HV_KVM, "KVM, through its Hyper-V compatible interface" },
	{ "XenVMMXenVMM", HV_XEN, "Xen (an HVM or PVH guest, or PV with CPUID faulting)" },
	{ "VMwareVMware", HV_VMWARE, "VMware (ESXi, Workstation or Fusion)" },
	{ "VBoxVBoxVBox", HV_VBOX, "VirtualBox (its minimal paravirtualization interface)" },
	{ "Microsoft Hv", HV_HYPERV,
	  "Hyper-V, or another hypervisor offering Hyper-V enlightenments" },
	{ "TCGTCGTCGTCG", HV_TCG, "QEMU's TCG: the CPU is emulated, no hardware virtualization" },
	{ "bhyve bhyve", HV_BHYVE, "bhyve" },
	{ "BHyVE BHyVE", HV_BHYVE, "bhyve" },
	{ "ACRNACRNACRN", HV_ACRN, "ACRN" },
	{ "QNXQVMBSQG", HV_QNX, "QNX Hypervisor" },
	{ "SRESRESRESRE", HV_SRE, "Lockheed Martin SRE" },
	{ "Apple VZ", HV_APPLE, "Apple Virtualization framework" },
	{ "Jailhouse", HV_JAILHOUSE, "Jailhouse partitioning hypervisor" },
	{ "LKVMLKVMLKVM", HV_KVMTOOL, "KVM driven by kvmtool (lkvm)" },
	{ "OpenBSDVMM58", HV_OPENBSD, "OpenBSD vmm" },
	{ "prl hyperv", HV_PARALLELS, "Parallels" },
	{ "lrpepyh  vr", HV_PARALLELS, "Parallels (byte-swapped signature)" },
	{ "___ NVMM ___", HV_NVMM, "NetBSD NVMM" },
	{ "HAXMHAXMHAXM", HV_HAXM, "Intel HAXM" },
	{ "EVMMEVMMEVMM", HV_KGT, "Intel KGT (Trusty)" },
	{ "UnisysSpar64", HV_UNISYS, "Unisys s-Par" },
};

/* Names in the kernel's "Hypervisor detected: %s" (x86_hyper_*.name). */
static const struct {
	const char *name;
	enum hv hv;
} kernel_names[] = {
	{ "KVM", HV_KVM },
	{ "Xen PV", HV_XEN },
	{ "Xen HVM", HV_XEN },
	{ "VMware", HV_VMWARE },
	{ "Microsoft Hyper-V", HV_HYPERV },
	{ "ACRN", HV_ACRN },
	{ "Jailhouse", HV_JAILHOUSE },
	{ "Bhyve", HV_BHYVE },
	{ "PVM", HV_PVM },
};

/*
 * DMI strings, matched as prefixes of product_name, sys_vendor, bios_vendor,
 * product_version in that order (product_name first tells "KVM" from "QEMU").
 * A VMM brand names the hypervisor itself; a platform names what runs on one.
 */
static const struct {
	const char *prefix;
	enum hv hv;
	bool platform;
} dmi_brands[] = {
	{ "KVM", HV_KVM, false },
	{ "OpenStack", HV_KVM, true },
	{ "KubeVirt", HV_KVM, true },
	{ "Google Compute Engine", HV_KVM, true },
	{ "Amazon EC2", HV_KVM, true },
	{ "Cloud Hypervisor", HV_KVM, true },
	{ "QEMU", HV_QEMU, true },
	{ "VMware", HV_VMWARE, false },
	{ "VMW", HV_VMWARE, false },
	{ "innotek GmbH", HV_VBOX, false },
	{ "VirtualBox", HV_VBOX, false },
	{ "Xen", HV_XEN, false },
	{ "HVM domU", HV_XEN, false },
	{ "Bochs", HV_BOCHS, false },
	{ "Parallels", HV_PARALLELS, false },
	{ "BHYVE", HV_BHYVE, false },
	{ "Hyper-V", HV_HYPERV, false },
	{ "Apple Virtualization", HV_APPLE, false },
};

#define CPUID_MAX_LEAVES 64
#define CPUID_FILE_MAX (4 << 20)
#define KMSG_MAX_RECORDS 4000
/* The initial PID namespace's inode number (PROC_PID_INIT_INO, Linux >= 3.8). */
#define PID_NS_INIT_INO 4026531836ULL

struct cpuid_leaf {
	uint32_t leaf, sub;
	uint32_t r[4];	/* eax ebx ecx edx */
};

/* Facts gathered by the probes, then weighed by decide_vm() and decide_container(). */
struct ctx {
	const char *root;	/* "" for the real root */
	struct detect_result *res;

	bool cpuid_from_file, cpuid_available;
	int n_leaves;
	struct cpuid_leaf leaves[CPUID_MAX_LEAVES];

	bool hv_bit;
	enum hv sig_hv, sig2_hv;	/* at 0x40000000 and (look-through) 0x40000100 */
	char sig_raw[64], sig2_raw[64];

	enum hv kernel_hv;
	char kernel_hv_name[64];
	char kernel_boot[64];	/* "Booting paravirtualized kernel on %s" */

	enum hv dmi_hv;
	bool dmi_platform, dmi_present, dmi_metal;
	char dmi_match[64];
	char dmi_product[64];

	bool xen_sysfs, proc_xen, xen_dom0;
	char xen_guest_type[16];

	int cpuinfo_hv;		/* kernel's "hypervisor" flag: -1 unknown */
	bool uml, wsl;

	/* containers: strong signals decide alone, weak ones only uncontradicted */
	char engine[32];
	const char *engine_src;
	int strong_yes, weak_yes, strong_no;
	int dockerenv_line;	/* evidence index of /.dockerenv, or -1 */
	int overlay_line;
};

/* Printable copy: other bytes as \xNN, cut with "..." when too long. */
static void sanitize(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < len; i++) {
		unsigned char ch = src[i];

		if (ch >= 0x20 && ch < 0x7f) {
			dst[o++] = ch;
			continue;
		}
		if (o + 5 >= len)
			break;
		o += snprintf(dst + o, len - o, "\\x%02x", ch);
	}
	dst[o] = '\0';
	if (i < n && len > 4)
		strcpy(dst + (o > len - 4 ? len - 4 : o), "...");
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

__attribute__((format(printf, 4, 5)))
static int evid(struct ctx *c, const char *source, const char *value, const char *fmt, ...)
{
	struct detect_result *r = c->res;
	struct detect_evidence *e;
	va_list ap;

	if (r->n_evidence >= DETECT_MAX_EVIDENCE) {
		r->n_dropped++;
		return -1;
	}
	e = &r->evidence[r->n_evidence];
	copy(e->source, sizeof(e->source), source);
	sanitize(e->value, sizeof(e->value), value, strlen(value));
	va_start(ap, fmt);
	vsnprintf(e->implies, sizeof(e->implies), fmt, ap);
	va_end(ap);
	return r->n_evidence++;
}

static void set_implies(struct ctx *c, int idx, const char *text)
{
	if (idx >= 0)
		copy(c->res->evidence[idx].implies, sizeof(c->res->evidence[idx].implies), text);
}

static void path_of(const struct ctx *c, const char *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->root, p);
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Whole (small) file into buf, NUL-terminated; returns bytes read or -errno. */
static int read_file(const struct ctx *c, const char *p, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	path_of(c, p, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return err ? err : (int)got;
}

/* First line of a file, trailing blanks cut; returns its length or -errno. */
static int read_line(const struct ctx *c, const char *p, char *buf, size_t len)
{
	char *nl;
	int n = read_file(c, p, buf, len);

	if (n < 0)
		return n;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	rtrim(buf);
	return strlen(buf);
}

static int exists(const struct ctx *c, const char *p)
{
	char path[PATH_MAX];
	struct stat st;

	path_of(c, p, path, sizeof(path));
	return stat(path, &st) ? -errno : 0;
}

/* Line reader over a file or /dev/kmsg (one record per read) without malloc. */
struct lines {
	int fd;
	size_t len, pos;
	size_t total, max_bytes;	/* max_bytes 0: no limit */
	bool eof, skip_rest;
	char buf[8192];
};

static int lines_open(const struct ctx *c, const char *p, struct lines *l, bool nonblock)
{
	char path[PATH_MAX];

	path_of(c, p, path, sizeof(path));
	l->fd = open(path, O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (l->fd < 0)
		return -errno;
	l->len = l->pos = l->total = l->max_bytes = 0;
	l->eof = l->skip_rest = false;
	return 0;
}

static void lines_close(struct lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* Next line, NUL-terminated; over-long lines come truncated. NULL at the end. */
static char *lines_next(struct lines *l)
{
	for (;;) {
		char *start = l->buf + l->pos;
		char *nl = memchr(start, '\n', l->len - l->pos);
		ssize_t n;

		if (nl) {
			bool skip = l->skip_rest;

			*nl = '\0';
			l->pos = nl + 1 - l->buf;
			l->skip_rest = false;
			if (skip)
				continue;
			return start;
		}
		if (l->eof) {
			if (l->pos == l->len || l->skip_rest)
				return NULL;
			l->buf[l->len] = '\0';
			l->pos = l->len;
			return start;
		}
		memmove(l->buf, start, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		if (l->len + 1 >= sizeof(l->buf)) {
			/* A line longer than the buffer: hand out its start, drop the rest. */
			bool skipping = l->skip_rest;

			l->buf[l->len] = '\0';
			l->len = l->pos = 0;
			l->skip_rest = true;
			if (!skipping)
				return l->buf;
		}
		if (l->max_bytes && l->total >= l->max_bytes) {
			l->eof = true;
			continue;
		}
		n = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)	/* kmsg: records overwritten meanwhile */
			continue;
		if (n <= 0) {
			l->eof = true;	/* EAGAIN: end of the kernel log */
		} else {
			l->len += n;
			l->total += n;
		}
	}
}

/* ---- CPUID ---- */

static int cpuid_load(struct ctx *c, const char *file)
{
	struct detect_result *r = c->res;
	struct lines l;
	char *line;
	int err, lineno = 0, cpus = 0;

	/* Not through the root directory: the dump is named on its own. */
	l.fd = open(file, O_RDONLY | O_CLOEXEC);
	if (l.fd < 0) {
		err = -errno;
		snprintf(r->errmsg, sizeof(r->errmsg), "cannot open CPUID file '%s': %s", file,
			 strerror(-err));
		return err;
	}
	l.len = l.pos = l.total = 0;
	l.max_bytes = CPUID_FILE_MAX;	/* not /dev/zero forever */
	l.eof = l.skip_rest = false;
	while ((line = lines_next(&l))) {
		unsigned int leaf, sub, a, b, cx, d;
		char *s = line;
		int end = -1;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#' || !strncmp(s, "Disclaimer:", 11))
			continue;
		if (!strncmp(s, "CPU", 3)) {
			/* `cpuid -r` prints every CPU: the first one is enough. */
			if (++cpus > 1)
				break;
			continue;
		}
		if (sscanf(s, "0x%8x 0x%8x: eax=0x%8x ebx=0x%8x ecx=0x%8x edx=0x%8x %n", &leaf,
			   &sub, &a, &b, &cx, &d, &end) != 6 || end < 0 || s[end]) {
			lines_close(&l);
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "malformed CPUID file '%s', line %d: expected '0xLEAF 0xSUB: "
				 "eax=0x... ebx=0x... ecx=0x... edx=0x...' (cpuid -r)",
				 file, lineno);
			return -EINVAL;
		}
		/* Only the leaves detect asks for are kept. */
		if (c->n_leaves < CPUID_MAX_LEAVES &&
		    (leaf <= 1 || (leaf >= 0x40000000 && leaf < 0x40010000))) {
			struct cpuid_leaf *e = &c->leaves[c->n_leaves++];

			e->leaf = leaf;
			e->sub = sub;
			e->r[0] = a;
			e->r[1] = b;
			e->r[2] = cx;
			e->r[3] = d;
		}
	}
	lines_close(&l);
	if (!c->n_leaves) {
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "malformed CPUID file '%s': no leaves in it (expected `cpuid -r` output)",
			 file);
		return -EINVAL;
	}
	c->cpuid_from_file = true;
	c->cpuid_available = true;
	return 0;
}

/* A leaf missing from a dump reads as zeros, as unimplemented leaves mostly do. */
static void cpuid_get(const struct ctx *c, uint32_t leaf, uint32_t r[4])
{
	int i;

	memset(r, 0, 4 * sizeof(*r));
	if (c->cpuid_from_file) {
		for (i = 0; i < c->n_leaves; i++) {
			if (c->leaves[i].leaf == leaf && c->leaves[i].sub == 0) {
				memcpy(r, c->leaves[i].r, 4 * sizeof(*r));
				return;
			}
		}
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
#endif
}

/* EBX ECX EDX as text, raw (12 bytes, NULs kept as \x00 by sanitize). */
static void sig_text(const uint32_t r[4], char *raw, size_t len, char *bytes)
{
	memcpy(bytes, &r[1], 4);
	memcpy(bytes + 4, &r[2], 4);
	memcpy(bytes + 8, &r[3], 4);
	bytes[12] = '\0';
	sanitize(raw, len, bytes, 12);
}

static enum hv sig_lookup(const char bytes[13], const char **note)
{
	char norm[13];
	size_t i, n;
	const char *s = bytes;

	/* Trailing NULs and surrounding blanks are padding. */
	n = strnlen(bytes, 12);
	while (n && bytes[n - 1] == ' ')
		n--;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	memcpy(norm, s, n);
	norm[n] = '\0';
	for (i = 0; i < sizeof(cpuid_sigs) / sizeof(cpuid_sigs[0]); i++) {
		if (!strcmp(norm, cpuid_sigs[i].sig)) {
			*note = cpuid_sigs[i].note;
			return cpuid_sigs[i].hv;
		}
	}
	*note = NULL;
	return n ? HV_UNKNOWN : HV_NONE;
}

static void probe_cpuid(struct ctx *c)
{
	uint32_t r[4];
	char bytes[13], val[160];
	const char *note;

#if !defined(__x86_64__) && !defined(__i386__)
	if (!c->cpuid_from_file) {
		evid(c, "cpuid", "not available", "no CPUID on this architecture");
		return;
	}
#endif
	c->cpuid_available = true;
	cpuid_get(c, 1, r);
	c->hv_bit = r[2] & (1U << 31);
	c->res->cpuid_hv_bit = c->hv_bit;
	snprintf(val, sizeof(val), "%s (ecx=0x%08x)", c->hv_bit ? "set" : "clear", r[2]);
	if (c->hv_bit)
		evid(c, "cpuid 0x1 ecx bit 31", val, "a hypervisor announces itself to user space");
	else
		evid(c, "cpuid 0x1 ecx bit 31", val,
		     "no hypervisor announces itself to user space: bare metal, or a "
		     "paravirtualized guest whose CPUID is not intercepted (Xen PV)");
	if (!c->hv_bit)
		return;	/* above the basic range, bare metal answers garbage */

	cpuid_get(c, 0x40000000, r);
	sig_text(r, c->sig_raw, sizeof(c->sig_raw), bytes);
	copy(c->res->cpuid_signature, sizeof(c->res->cpuid_signature), c->sig_raw);
	c->sig_hv = sig_lookup(bytes, &note);
	snprintf(val, sizeof(val), "\"%s\" (max leaf 0x%08x)", c->sig_raw, r[0]);
	if (c->sig_hv == HV_NONE)
		evid(c, "cpuid 0x40000000", val, "hypervisor bit set but no vendor signature");
	else if (c->sig_hv == HV_UNKNOWN)
		evid(c, "cpuid 0x40000000", val, "a hypervisor this version does not know");
	else
		evid(c, "cpuid 0x40000000", val, "%s", note);

	/* Hyper-V-compatible interface first, the native one at 0x40000100 (Xen, KVM). */
	if (c->sig_hv != HV_HYPERV && strcmp(bytes, "Linux KVM Hv"))
		return;
	cpuid_get(c, 0x40000100, r);
	sig_text(r, c->sig2_raw, sizeof(c->sig2_raw), bytes);
	c->sig2_hv = sig_lookup(bytes, &note);
	if (c->sig2_hv == HV_NONE)
		return;
	snprintf(val, sizeof(val), "\"%s\" (max leaf 0x%08x)", c->sig2_raw, r[0]);
	evid(c, "cpuid 0x40000100", val, "%s behind the Hyper-V interface",
	     note ? note : "an unknown hypervisor");
}

/* ---- kernel log ---- */

static enum hv kernel_name_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kernel_names) / sizeof(kernel_names[0]); i++)
		if (!strcmp(name, kernel_names[i].name))
			return kernel_names[i].hv;
	return HV_UNKNOWN;
}

static void probe_kmsg(struct ctx *c)
{
	static const char hv_tag[] = "Hypervisor detected: ";
	static const char boot_tag[] = "Booting paravirtualized kernel on ";
	struct lines l;
	unsigned long long first_seq = 0;
	int err, records = 0;
	bool seq_known = false;
	char *line, *m, val[160];

	err = lines_open(c, "/dev/kmsg", &l, true);
	if (err == -ENOENT)
		return;
	if (err) {
		evid(c, "kernel log (/dev/kmsg)", strerror(-err),
		     "the kernel's own hypervisor verdict is not readable (needs root or "
		     "kernel.dmesg_restrict=0)");
		return;
	}
	while (records < KMSG_MAX_RECORDS && (line = lines_next(&l))) {
		unsigned long long seq;

		if (line[0] == ' ')	/* continuation (key=value) of a record */
			continue;
		records++;
		if (!seq_known && sscanf(line, "%*u,%llu,", &seq) == 1) {
			first_seq = seq;
			seq_known = true;
		}
		if (!c->kernel_hv_name[0] && (m = strstr(line, hv_tag))) {
			rtrim(m);
			copy(c->kernel_hv_name, sizeof(c->kernel_hv_name), m + sizeof(hv_tag) - 1);
		} else if (!c->kernel_boot[0] && (m = strstr(line, boot_tag))) {
			rtrim(m);
			copy(c->kernel_boot, sizeof(c->kernel_boot), m + sizeof(boot_tag) - 1);
		}
		if (c->kernel_hv_name[0] && c->kernel_boot[0])
			break;
	}
	lines_close(&l);

	if (c->kernel_hv_name[0]) {
		c->kernel_hv = kernel_name_lookup(c->kernel_hv_name);
		snprintf(val, sizeof(val), "%s%s", hv_tag, c->kernel_hv_name);
		evid(c, "kernel log", val,
		     "the kernel's verdict, from CPUID read with kernel privileges "
		     "(in a PV guest this can differ from what user space sees)");
	}
	if (c->kernel_boot[0]) {
		snprintf(val, sizeof(val), "%s%s", boot_tag, c->kernel_boot);
		evid(c, "kernel log", val, "%s",
		     !strcmp(c->kernel_boot, "bare hardware") ?
		     "no paravirt ops in use: bare metal, or a guest the kernel has no "
		     "paravirt support for (QEMU TCG, hardware-assisted VMs without it)" :
		     "the paravirt ops the kernel switched to");
	}
	if (c->kernel_hv_name[0] || !records)
		return;
	if (seq_known && first_seq > 0) {
		snprintf(val, sizeof(val), "starts at record %llu", first_seq);
		evid(c, "kernel log", val,
		     "boot messages rotated out: no kernel verdict available");
	} else {
		evid(c, "kernel log", "no \"Hypervisor detected\" line from boot",
		     "the kernel found no hypervisor it has support for (bare metal, QEMU TCG, "
		     "or a hypervisor Linux does not know)");
	}
}

/* ---- DMI ---- */

static void probe_dmi(struct ctx *c)
{
	static const char *const files[] = { "product_name", "sys_vendor", "bios_vendor",
					     "product_version" };
	char path[96], buf[256];
	size_t i, j;
	int n;

	if (exists(c, "/sys/class/dmi/id")) {
		evid(c, "/sys/class/dmi/id", "absent",
		     "no SMBIOS tables: booted without PC firmware (Xen PV or PVH, a "
		     "Firecracker-style microVM), or not x86");
		return;
	}
	c->dmi_present = true;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char implies[160] = "";

		snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", files[i]);
		n = read_line(c, path, buf, sizeof(buf));
		if (n < 0) {
			if (n != -ENOENT)
				evid(c, path, strerror(-n), "unreadable");
			continue;
		}
		if (i == 0)
			copy(c->dmi_product, sizeof(c->dmi_product), buf);
		for (j = 0; j < sizeof(dmi_brands) / sizeof(dmi_brands[0]); j++) {
			const char *pre = dmi_brands[j].prefix;

			if (strncmp(buf, pre, strlen(pre)))
				continue;
			if (dmi_brands[j].hv == HV_QEMU)
				snprintf(implies, sizeof(implies),
					 "QEMU's virtual hardware: KVM or TCG below, CPUID tells");
			else if (dmi_brands[j].platform)
				snprintf(implies, sizeof(implies),
					 "%s: a VMM or cloud on a KVM-class hypervisor", pre);
			else
				snprintf(implies, sizeof(implies), "%s's virtual hardware",
					 hv_name(dmi_brands[j].hv));
			if (!c->dmi_hv) {
				c->dmi_hv = dmi_brands[j].hv;
				c->dmi_platform = dmi_brands[j].platform;
				copy(c->dmi_match, sizeof(c->dmi_match), pre);
			}
			break;
		}
		/* Hyper-V: "Microsoft Corporation" + "Virtual Machine" (not a Surface). */
		if (i == 1 && !strcmp(buf, "Microsoft Corporation") &&
		    !strcmp(c->dmi_product, "Virtual Machine")) {
			snprintf(implies, sizeof(implies), "with \"Virtual Machine\": Hyper-V's "
				 "virtual hardware");
			if (!c->dmi_hv) {
				c->dmi_hv = HV_HYPERV;
				copy(c->dmi_match, sizeof(c->dmi_match), "Microsoft VM");
			}
		}
		/* EC2 bare-metal instances carry the Amazon strings too. */
		if (i == 0 && strstr(buf, ".metal")) {
			c->dmi_metal = true;
			snprintf(implies, sizeof(implies),
				 "an EC2 bare-metal instance: no hypervisor below");
		}
		evid(c, path, buf, "%s", implies);
	}
	if (c->dmi_metal)
		c->dmi_hv = HV_NONE;
	else if (c->dmi_hv == HV_NONE)
		evid(c, "/sys/class/dmi/id", "no VMM or cloud named",
		     "real hardware, or a VMM that hides its name");
}

/* ---- Xen ---- */

static void probe_xen(struct ctx *c)
{
	char buf[256];
	int n;

	n = read_line(c, "/sys/hypervisor/type", buf, sizeof(buf));
	if (n >= 0) {
		c->xen_sysfs = !strcmp(buf, "xen");
		evid(c, "/sys/hypervisor/type", buf, "%s",
		     c->xen_sysfs ? "the kernel runs as a Xen guest (any mode)" :
				    "a hypervisor that registered with sysfs");
	}
	n = read_line(c, "/sys/hypervisor/guest_type", buf, sizeof(buf));
	if (n >= 0) {
		copy(c->xen_guest_type, sizeof(c->xen_guest_type), buf);
		evid(c, "/sys/hypervisor/guest_type", buf, "%s",
		     !strcmp(buf, "PV") ? "Xen PV: paravirtualized kernel, no hardware "
					  "virtualization, page tables validated by Xen" :
		     !strcmp(buf, "PVH") ? "Xen PVH: hardware-assisted, no emulated devices "
					   "or firmware" :
		     !strcmp(buf, "HVM") ? "Xen HVM: hardware-assisted with emulated PC "
					   "(QEMU device model)" :
					   "a Xen guest type this version does not know");
	}
	n = read_line(c, "/sys/hypervisor/properties/features", buf, sizeof(buf));
	if (n > 0) {
		unsigned long f = strtoul(buf, NULL, 16);

		/* XENFEAT_dom0 (11): the hardware domain. */
		if (f & (1UL << 11)) {
			c->xen_dom0 = true;
			evid(c, "/sys/hypervisor/properties/features", buf,
			     "XENFEAT_dom0: this is Xen's control domain (dom0)");
		}
	}
	if (!exists(c, "/proc/xen")) {
		c->proc_xen = true;
		n = read_line(c, "/proc/xen/capabilities", buf, sizeof(buf));
		if (n > 0 && strstr(buf, "control_d")) {
			c->xen_dom0 = true;
			evid(c, "/proc/xen/capabilities", buf, "control_d: Xen's dom0");
		} else {
			evid(c, "/proc/xen", "present", "xenfs: a Xen guest");
		}
	}
}

/* ---- clocks, cpuinfo, WSL ---- */

static void probe_clock(struct ctx *c)
{
	char cur[64], avail[256], val[192];
	const char *why;

	if (read_line(c, "/sys/devices/system/clocksource/clocksource0/current_clocksource", cur,
		      sizeof(cur)) <= 0)
		return;
	copy(c->res->clocksource, sizeof(c->res->clocksource), cur);
	if (read_line(c, "/sys/devices/system/clocksource/clocksource0/available_clocksource",
		      avail, sizeof(avail)) > 0)
		snprintf(val, sizeof(val), "%s (available: %s)", cur, avail);
	else
		snprintf(val, sizeof(val), "%s", cur);

	if (!strcmp(cur, "kvm-clock"))
		why = "KVM's paravirtual clock: the host speaks KVM's PV interface (KVM, PVM, "
		      "VirtualBox's KVM provider)";
	else if (!strcmp(cur, "xen"))
		why = "Xen's paravirtual clock";
	else if (!strncmp(cur, "hyperv_clocksource", 18))
		why = "Hyper-V's reference clock (Hyper-V, or Hyper-V enlightenments)";
	else if (!strcmp(cur, "tsc") || !strcmp(cur, "tsc-early"))
		why = "the TSC read directly, no trap: bare metal or a hypervisor with a "
		      "stable TSC (VMware, KVM, Xen HVM)";
	else if (!strcmp(cur, "hpet") || !strcmp(cur, "acpi_pm"))
		why = "a legacy timer: when virtualized, every clock read traps to the VMM";
	else
		why = "clock reads go through this source";
	evid(c, "clocksource", val, "%s", why);
}

static void probe_cpuinfo(struct ctx *c)
{
	struct lines l;
	char *line;

	c->cpuinfo_hv = -1;
	if (lines_open(c, "/proc/cpuinfo", &l, false))
		return;
	while ((line = lines_next(&l))) {
		if (!strncmp(line, "vendor_id", 9) && strstr(line, "User Mode Linux")) {
			c->uml = true;
			evid(c, "/proc/cpuinfo", "vendor_id: User Mode Linux",
			     "a User Mode Linux kernel (runs as a process on another Linux)");
		}
		if (!strncmp(line, "flags", 5)) {
			char *p = strstr(line, " hypervisor");

			c->cpuinfo_hv = p && (p[11] == ' ' || p[11] == '\0');
			break;
		}
	}
	lines_close(&l);
	if (c->cpuinfo_hv < 0)
		return;
	if (c->cpuinfo_hv && !c->hv_bit && c->cpuid_available)
		evid(c, "/proc/cpuinfo flags", "hypervisor",
		     "the kernel sees a hypervisor that user-space CPUID does not: a "
		     "paravirtualized guest");
	else
		evid(c, "/proc/cpuinfo flags", c->cpuinfo_hv ? "hypervisor" : "no hypervisor flag",
		     "%s", c->cpuinfo_hv ? "the kernel knows it runs virtualized" :
					   "the kernel sees no hypervisor bit");
}

static void probe_osrelease(struct ctx *c)
{
	char buf[128];

	if (read_line(c, "/proc/sys/kernel/osrelease", buf, sizeof(buf)) <= 0)
		return;
	if (strstr(buf, "Microsoft") || strstr(buf, "microsoft") || strstr(buf, "WSL")) {
		c->wsl = true;
		evid(c, "/proc/sys/kernel/osrelease", buf,
		     "Windows Subsystem for Linux (WSL2 is a Hyper-V utility VM)");
	}
}

/* ---- containers ---- */

static void set_engine(struct ctx *c, const char *name, const char *src)
{
	if (!c->engine[0]) {
		copy(c->engine, sizeof(c->engine), name);
		c->engine_src = src;
	}
}

static const char *cgroup_engine(const char *path)
{
	if (strstr(path, "/docker/") || strstr(path, "/docker-") || strstr(path, "/actions_job/"))
		return "docker";
	if (strstr(path, "/libpod-") || strstr(path, "/libpod_parent"))
		return "podman";
	if (strstr(path, "/lxc/") || strstr(path, "/lxc.payload"))
		return "lxc";
	if (strstr(path, "/kubepods"))
		return "kubernetes";
	if (strstr(path, "/containerd/") || strstr(path, "/cri-containerd-"))
		return "containerd";
	return NULL;
}

static void probe_cgroup(struct ctx *c)
{
	struct lines l;
	char *line;
	int err;

	err = lines_open(c, "/proc/1/cgroup", &l, false);
	if (err) {
		if (err != -ENOENT)
			evid(c, "/proc/1/cgroup", strerror(-err), "unreadable");
		return;
	}
	while ((line = lines_next(&l))) {
		char *path = strchr(line, ':');
		const char *eng;

		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		eng = cgroup_engine(path + 1);
		if (eng) {
			c->strong_yes++;
			set_engine(c, eng, "/proc/1/cgroup");
			evid(c, "/proc/1/cgroup", line, "PID 1 lives in a %s container's cgroup",
			     eng);
			break;
		}
	}
	lines_close(&l);
}

/* Field @n (0-based, space separated) of a mountinfo line, copied to buf. */
static const char *field(const char *line, int n, char *buf, size_t len)
{
	const char *s = line, *e;

	while (n-- > 0) {
		s = strchr(s, ' ');
		if (!s)
			return NULL;
		s++;
	}
	e = strchr(s, ' ');
	if (!e)
		e = s + strlen(s);
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	return buf;
}

static void probe_mountinfo(struct ctx *c)
{
	struct lines l;
	char *line, mnt[256], root[256], fstype[64], val[300];
	bool bind_seen = false, root_seen = false;

	if (lines_open(c, "/proc/self/mountinfo", &l, false))
		return;
	while ((line = lines_next(&l))) {
		const char *dash = strstr(line, " - ");

		if (!field(line, 4, mnt, sizeof(mnt)) || !field(line, 3, root, sizeof(root)) ||
		    !dash || !field(dash + 3, 0, fstype, sizeof(fstype)))
			continue;
		if (!strcmp(mnt, "/")) {
			/* The last mount on / is the one in effect. */
			root_seen = true;
			snprintf(val, sizeof(val), "%s", fstype);
			continue;
		}
		if (!bind_seen && (!strcmp(mnt, "/etc/hostname") || !strcmp(mnt, "/etc/hosts") ||
				   !strcmp(mnt, "/etc/resolv.conf")) && strcmp(root, "/")) {
			const char *eng = strstr(root, "/docker/") ? "docker" :
					  strstr(root, "/containers/storage/") ||
					  strstr(root, "/userdata/") ? "podman" :
					  strstr(root, "/kubelet/pods/") ? "kubernetes" : NULL;
			char src[300];

			bind_seen = true;
			c->strong_yes++;
			if (eng)
				set_engine(c, eng, "/proc/self/mountinfo");
			snprintf(src, sizeof(src), "%s <- %s", mnt, root);
			evid(c, "/proc/self/mountinfo", src,
			     "%s bind-mounted from the host: container runtimes do this, "
			     "VMs and bare metal do not", mnt);
		}
	}
	lines_close(&l);
	if (!root_seen)
		return;
	if (!strcmp(val, "overlay") || !strcmp(val, "fuse-overlayfs") || !strcmp(val, "aufs")) {
		c->weak_yes++;
		c->overlay_line = evid(c, "/proc/self/mountinfo", "/ is overlay",
				       "a layered root, as container images have (weak: live "
				       "systems use one too)");
	} else {
		char v[100];

		snprintf(v, sizeof(v), "/ is %s", val);
		evid(c, "/proc/self/mountinfo", v, "a plain root filesystem");
	}
}

static void probe_containers(struct ctx *c)
{
	char buf[8192], link[128];
	char path[PATH_MAX];
	ssize_t n;
	int err;

	c->dockerenv_line = c->overlay_line = -1;

	/* The container manager's own statement, where it made one. */
	err = read_file(c, "/proc/1/environ", buf, sizeof(buf));
	if (err >= 0) {
		char *p = buf, *end = buf + err;

		for (; p < end; p += strlen(p) + 1) {
			if (strncmp(p, "container=", 10))
				continue;
			if (p[10]) {
				c->strong_yes++;
				set_engine(c, p + 10, "/proc/1/environ");
				evid(c, "/proc/1/environ", p, "PID 1 was started by a container "
				     "manager (%s)", p + 10);
			} else {
				c->strong_no++;
				evid(c, "/proc/1/environ", p, "explicitly not a container");
			}
			break;
		}
	} else if (err != -ENOENT) {
		evid(c, "/proc/1/environ", strerror(-err),
		     "container= of PID 1 not readable: other signals decide");
	}
	if (read_line(c, "/run/systemd/container", buf, 256) > 0) {
		c->strong_yes++;
		set_engine(c, buf, "/run/systemd/container");
		evid(c, "/run/systemd/container", buf, "systemd found itself in a container");
	}
	if (read_line(c, "/run/host/container-manager", buf, 256) > 0) {
		c->strong_yes++;
		set_engine(c, buf, "/run/host/container-manager");
		evid(c, "/run/host/container-manager", buf, "the container manager says so");
	}
	if (!exists(c, "/run/.containerenv")) {
		c->strong_yes++;
		set_engine(c, "podman", "/run/.containerenv");
		evid(c, "/run/.containerenv", "present", "podman's marker: a podman container");
	}
	if (!exists(c, "/proc/vz") && exists(c, "/proc/bc")) {
		c->strong_yes++;
		set_engine(c, "openvz", "/proc/vz");
		evid(c, "/proc/vz", "present without /proc/bc", "an OpenVZ container");
	}
	probe_cgroup(c);
	probe_mountinfo(c);

	path_of(c, "/proc/self/ns/pid", path, sizeof(path));
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		unsigned long long ino = 0;

		link[n] = '\0';
		if (sscanf(link, "pid:[%llu]", &ino) == 1 && ino == PID_NS_INIT_INO) {
			c->strong_no++;
			evid(c, "/proc/self/ns/pid", link,
			     "the initial PID namespace: not inside a PID-namespaced container");
		} else if (ino) {
			c->strong_yes++;
			evid(c, "/proc/self/ns/pid", link,
			     "a PID namespace other than the initial one: a container or sandbox");
		}
	}
	/* Last: weak alone, since images built from containers keep the file. */
	if (!exists(c, "/.dockerenv")) {
		c->weak_yes++;
		set_engine(c, "docker", "/.dockerenv");
		c->dockerenv_line = evid(c, "/.dockerenv", "present", "docker's marker file");
	}
}

/* ---- decision ---- */

static void set_hv(struct ctx *c, enum hv hv)
{
	copy(c->res->hypervisor, sizeof(c->res->hypervisor), hv_name(hv));
	copy(c->res->mode, sizeof(c->res->mode), hv_info[hv].mode);
}

/* The VMMs that can wear another's CPUID interface, named by their DMI. */
static bool dmi_overrides(const struct ctx *c, enum hv hv)
{
	if (c->dmi_platform || c->dmi_hv == HV_NONE || c->dmi_hv == hv)
		return false;
	return (c->dmi_hv == HV_VBOX || c->dmi_hv == HV_PARALLELS) &&
	       (hv == HV_KVM || hv == HV_HYPERV);
}

static void decide_xen(struct ctx *c)
{
	struct detect_result *r = c->res;
	const char *why = NULL;
	bool user_sees_xen = c->sig_hv == HV_XEN || c->sig2_hv == HV_XEN;

	set_hv(c, HV_XEN);
	if (c->xen_guest_type[0]) {
		copy(r->mode, sizeof(r->mode), c->xen_guest_type);
	} else if (!strcmp(c->kernel_hv_name, "Xen PV") || !strcmp(c->kernel_boot, "Xen")) {
		copy(r->mode, sizeof(r->mode), "PV");
		why = "the kernel log names Xen PV";
	} else if (!strcmp(c->kernel_boot, "Xen PVH") || !strcmp(c->kernel_boot, "Xen HVM")) {
		copy(r->mode, sizeof(r->mode), c->kernel_boot + 4);
		why = "the kernel log names the mode";
	} else if (c->cpuid_available && !user_sees_xen && (c->xen_sysfs || c->proc_xen)) {
		copy(r->mode, sizeof(r->mode), "PV");
		why = "the kernel is a Xen guest but user-space CPUID does not reach Xen: only "
		      "PV guests run CPUID unintercepted";
	} else if (user_sees_xen && c->dmi_present) {
		copy(r->mode, sizeof(r->mode), "HVM");
		why = "Xen answers CPUID and there is PC firmware (DMI): HVM (PVH has none)";
	} else {
		why = "HVM or PVH: no guest_type and no kernel log to tell them apart";
	}
	if (why)
		evid(c, "mode", r->mode[0] ? r->mode : "unknown", "%s", why);
	if (!strcmp(r->mode, "PV") && c->sig_hv != HV_NONE && !user_sees_xen) {
		copy(r->outer, sizeof(r->outer),
		     c->sig_hv == HV_UNKNOWN ? c->sig_raw : hv_name(c->sig_hv));
		evid(c, "nesting", r->outer,
		     "user-space CPUID is not intercepted by Xen PV and reaches the "
		     "hypervisor Xen itself runs on");
	}
}

static void decide_vm(struct ctx *c)
{
	struct detect_result *r = c->res;
	enum hv user = c->sig_hv;

	/* Behind a Hyper-V interface, the native signature at 0x40000100 names the VMM. */
	if (user == HV_HYPERV && c->sig2_hv != HV_NONE && c->sig2_hv != HV_UNKNOWN)
		user = c->sig2_hv;

	if (c->xen_sysfs || c->proc_xen || c->kernel_hv == HV_XEN || user == HV_XEN ||
	    (c->dmi_hv == HV_XEN && !c->cpuid_available)) {
		decide_xen(c);
	} else if (c->kernel_hv != HV_NONE) {
		enum hv hv = c->kernel_hv;

		if (hv == HV_UNKNOWN) {
			copy(r->hypervisor, sizeof(r->hypervisor), c->kernel_hv_name);
			r->mode[0] = '\0';
		} else {
			if (dmi_overrides(c, hv))
				hv = c->dmi_hv;
			set_hv(c, hv);
		}
		/*
		 * User-space CPUID answered by another hypervisor than the kernel's: the
		 * kernel runs paravirtualized (PVM) and the CPU's CPUID reaches the VMM
		 * below, i.e. this guest is nested in that one's VM.
		 */
		if (user != HV_NONE && user != hv && user != c->kernel_hv &&
		    user != HV_HYPERV && !dmi_overrides(c, c->kernel_hv)) {
			copy(r->outer, sizeof(r->outer),
			     user == HV_UNKNOWN ? c->sig_raw : hv_name(user));
			evid(c, "nesting", r->outer,
			     "user-space CPUID is answered by another hypervisor than the one the "
			     "kernel found: %s does not trap it, so it reaches the hypervisor %s "
			     "itself runs under", r->hypervisor, r->hypervisor);
		}
	} else if (user == HV_UNKNOWN) {
		snprintf(r->hypervisor, sizeof(r->hypervisor), "unknown (\"%s\")", c->sig_raw);
	} else if (user != HV_NONE && user != HV_KVM && user != HV_KVMTOOL && user != HV_HYPERV &&
		   !strcmp(r->clocksource, "kvm-clock")) {
		/*
		 * No kernel verdict (no root), but the kernel clocks with KVM's PV clock while
		 * user-space CPUID reaches a hypervisor without it: the kernel sees another
		 * CPUID than we do, which is a PV guest of a KVM-based hypervisor: PVM.
		 */
		set_hv(c, HV_PVM);
		copy(r->outer, sizeof(r->outer), hv_name(user));
		evid(c, "verdict", "PVM (inferred)",
		     "kvm-clock needs KVM's CPUID leaves, but user-space CPUID says %s: the "
		     "kernel sees another CPUID, so it runs paravirtualized under a KVM-based "
		     "hypervisor nested in %s (the kernel log would confirm: needs root)",
		     r->outer, r->outer);
	} else if (user != HV_NONE) {
		enum hv hv = user;

		if (dmi_overrides(c, hv))
			hv = c->dmi_hv;
		/* QEMU's Hyper-V enlightenments on KVM, with the native leaf hidden. */
		if (hv == HV_HYPERV && c->dmi_hv == HV_QEMU)
			hv = HV_KVM;
		set_hv(c, hv);
	} else if (c->dmi_hv != HV_NONE) {
		set_hv(c, c->dmi_hv);
		if (c->dmi_hv == HV_QEMU)
			evid(c, "mode", "unknown",
			     "QEMU's hardware without a CPUID signature: KVM with kvm=off, or "
			     "TCG from a QEMU that does not announce itself");
	} else if (c->uml) {
		set_hv(c, HV_UML);
	} else if (c->hv_bit || c->cpuinfo_hv == 1) {
		copy(r->hypervisor, sizeof(r->hypervisor), "unknown (no signature)");
	} else if (!strcmp(r->clocksource, "kvm-clock")) {
		set_hv(c, HV_KVM);
		evid(c, "verdict", "KVM", "only the paravirtual clock names a hypervisor");
	} else if (!strncmp(r->clocksource, "hyperv_clocksource", 18)) {
		set_hv(c, HV_HYPERV);
		evid(c, "verdict", "Hyper-V", "only the paravirtual clock names a hypervisor");
	}

	/* The product on top, when DMI names one (QEMU, Google Compute Engine, ...). */
	if (r->hypervisor[0] && c->dmi_hv != HV_NONE && c->dmi_platform)
		copy(r->platform, sizeof(r->platform),
		     c->dmi_hv == HV_QEMU ? "QEMU" : c->dmi_match);
	if (c->wsl)
		copy(r->platform, sizeof(r->platform), "WSL");
}

static void decide_container(struct ctx *c)
{
	struct detect_result *r = c->res;
	bool yes = c->strong_yes || (c->weak_yes && !c->strong_no);

	if (yes) {
		copy(r->container, sizeof(r->container), c->engine[0] ? c->engine : "unknown");
		set_implies(c, c->dockerenv_line, "docker's marker file: a docker container");
		if (c->engine_src)
			evid(c, "container engine", r->container, "named by %s", c->engine_src);
		return;
	}
	if (c->weak_yes) {
		set_implies(c, c->dockerenv_line,
			    "docker's marker file, but nothing else says container: ignored (an "
			    "image built from a container keeps it)");
		set_implies(c, c->overlay_line,
			    "a layered root, but nothing else says container: a live system");
	}
}

static void summarize(struct ctx *c)
{
	struct detect_result *r = c->res;
	char vm[96];

	if (!r->hypervisor[0])
		snprintf(vm, sizeof(vm), "bare metal");
	else if (!strcmp(r->hypervisor, "Xen") && r->mode[0])
		snprintf(vm, sizeof(vm), "Xen %s%s", r->mode, c->xen_dom0 ? " dom0" : "");
	else if (!strcmp(r->hypervisor, "Xen"))
		snprintf(vm, sizeof(vm), "Xen%s", c->xen_dom0 ? " dom0" : "");
	else
		snprintf(vm, sizeof(vm), "%s", r->hypervisor);

	if (r->container[0] && r->hypervisor[0]) {
		r->kind = HVT_ENV_CONTAINER_IN_VM;
		snprintf(r->summary, sizeof(r->summary), "%.24s container in %.60s", r->container,
			 vm);
	} else if (r->container[0]) {
		r->kind = HVT_ENV_CONTAINER;
		snprintf(r->summary, sizeof(r->summary), "%.24s container on bare metal",
			 r->container);
	} else {
		r->kind = r->hypervisor[0] ? HVT_ENV_VM : HVT_ENV_BARE_METAL;
		copy(r->summary, sizeof(r->summary), vm);
	}
}

const char *hvt_env_kind_name(enum hvt_env_kind kind)
{
	switch (kind) {
	case HVT_ENV_BARE_METAL:
		return "bare-metal";
	case HVT_ENV_VM:
		return "vm";
	case HVT_ENV_CONTAINER:
		return "container";
	case HVT_ENV_CONTAINER_IN_VM:
		return "container-in-vm";
	}
	return "unknown";
}

int hvt_detect(const struct detect_opts *opts, struct detect_result *ret)
{
	static const struct detect_opts defaults;
	struct ctx c;
	struct stat st;
	int err;

	if (!opts)
		opts = &defaults;
	memset(ret, 0, sizeof(*ret));
	memset(&c, 0, sizeof(c));
	c.res = ret;
	c.root = "";
	if (opts->root && strcmp(opts->root, "/")) {
		if (stat(opts->root, &st)) {
			err = -errno;
			snprintf(ret->errmsg, sizeof(ret->errmsg), "root directory '%s': %s",
				 opts->root, strerror(-err));
			return err;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(ret->errmsg, sizeof(ret->errmsg),
				 "root directory '%s': not a directory", opts->root);
			return -ENOTDIR;
		}
		c.root = opts->root;
	}
	if (opts->cpuid_file) {
		err = cpuid_load(&c, opts->cpuid_file);
		if (err)
			return err;
	}

	probe_cpuid(&c);
	probe_kmsg(&c);
	probe_dmi(&c);
	probe_xen(&c);
	probe_clock(&c);
	probe_cpuinfo(&c);
	probe_osrelease(&c);
	probe_containers(&c);

	decide_vm(&c);
	decide_container(&c);
	summarize(&c);
	return 0;
}
