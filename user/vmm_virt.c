// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vmm_virt: vmm on libvirt (and libvirt-qemu for QEMU's monitor).
 *
 * The QEMU pid: libvirt has no API for it. QMP cannot tell it either, the pid
 * file (/run/libvirt/qemu/NAME.pid) is root-only, lives elsewhere for
 * qemu:///session and may be stale, and virDomainGetID is libvirt's own
 * number, not a pid. libvirt always starts QEMU with "-uuid UUID" (the
 * domain's): the process whose command line holds that pair is the domain's,
 * found the same way for system and session daemons, and proven to be this
 * domain rather than guessed from a name.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "util.h"
#include "vmm.h"

struct vmm {
	virConnectPtr conn;
	virDomainPtr dom;
	char *name;
	char *uri;
	char *driver;			/* virConnectGetType: QEMU, TEST, Xen, ... */
	char uuid[VIR_UUID_STRING_BUFLEN];
	int bulk_unsupported;		/* virDomainListGetStats is not implemented */
	unsigned int bulk_groups;	/* groups the bulk call ever answered */
	unsigned int call_unsupported;	/* groups the per-device calls cannot give */
	struct vmm_meta devs;		/* disks and NICs for the per-device calls */
	int have_devs;
};

/* Only the command layer prints: libvirt's own handler would write to stderr. */
static void ignore_error(void *data, virErrorPtr e)
{
}

static const char *virt_msg(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

static int virt_errno(void)
{
	virErrorPtr e = virGetLastError();

	if (!e)
		return -EIO;
	switch (e->code) {
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
	case VIR_ERR_OPERATION_UNSUPPORTED:
		return -ENOTSUP;
	case VIR_ERR_OPERATION_INVALID:		/* e.g. "domain is not running" */
		return -ESRCH;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_AUTH_UNAVAILABLE:
	case VIR_ERR_ACCESS_DENIED:
	case VIR_ERR_OPERATION_DENIED:
		return -EACCES;
	case VIR_ERR_NO_CONNECT:		/* "no connection driver available for URI" */
		return -EINVAL;
	case VIR_ERR_SYSTEM_ERROR:
		return e->int1 > 0 ? -e->int1 : -EIO;
	default:
		return -EIO;
	}
}

static int looks_like_uuid(const char *s)
{
	int hex = 0;

	for (; *s; s++) {
		if (isxdigit((unsigned char)*s))
			hex++;
		else if (*s != '-')
			return 0;
	}
	return hex == 2 * VIR_UUID_BUFLEN;
}

static int all_digits(const char *s)
{
	if (!*s || strlen(s) > 9)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

struct vmm *vmm_open(const char *uri, const char *domain, char *err, size_t errlen)
{
	struct vmm *v;
	const char *s;
	int ret;

	if (!uri || !*uri)
		uri = VMM_DEFAULT_URI;
	if (!domain || !*domain) {
		snprintf(err, errlen, "no domain name given");
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	virSetErrorFunc(NULL, ignore_error);
	/* The default authentication asks on the terminal (remote and ESX URIs). */
	v->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
	if (!v->conn) {
		ret = virt_errno();
		/* A daemon's socket that is missing or refuses: the usual cause is no daemon. */
		snprintf(err, errlen, "cannot connect to libvirt at '%s': %s%s", uri, virt_msg(),
			 ret == -ENOENT || ret == -ECONNREFUSED ? " (is libvirtd running?)" : "");
		if (ret == -ENOENT)
			ret = -ECONNREFUSED;	/* ENOENT means "no such domain" here */
		goto out_close;
	}
	v->dom = virDomainLookupByName(v->conn, domain);
	if (!v->dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN && looks_like_uuid(domain))
		v->dom = virDomainLookupByUUIDString(v->conn, domain);
	if (!v->dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN && all_digits(domain))
		v->dom = virDomainLookupByID(v->conn, atoi(domain));
	if (!v->dom) {
		ret = virt_errno();
		if (ret == -ENOENT)
			snprintf(err, errlen, "no domain '%s' on %s (see: virsh -c %s list "
				 "--all)", domain, uri, uri);
		else
			snprintf(err, errlen, "cannot look up domain '%s' on %s: %s", domain, uri,
				 virt_msg());
		goto out_close;
	}
	s = virDomainGetName(v->dom);
	v->name = strdup(s ? s : domain);
	v->uri = virConnectGetURI(v->conn);
	if (!v->uri)
		v->uri = strdup(uri);
	s = virConnectGetType(v->conn);
	v->driver = strdup(s ? s : "unknown");
	if (!v->name || !v->uri || !v->driver || virDomainGetUUIDString(v->dom, v->uuid)) {
		ret = -ENOMEM;
		snprintf(err, errlen, "cannot read domain '%s': %s", domain, virt_msg());
		goto out_close;
	}
	return v;

out_close:
	vmm_close(v);
	errno = -ret;
	return NULL;
}

void vmm_close(struct vmm *v)
{
	if (!v)
		return;
	if (v->dom)
		virDomainFree(v->dom);
	if (v->conn)
		virConnectClose(v->conn);
	vmm_meta_free(&v->devs);
	free(v->name);
	free(v->uri);
	free(v->driver);
	free(v);
}

const char *vmm_name(const struct vmm *v)
{
	return v->name;
}

const char *vmm_uri(const struct vmm *v)
{
	return v->uri;
}

/* ---- process and threads ------------------------------------------------- */

/* Reads a whole (small) file into a NUL-terminated buffer; NULL on failure. */
static char *read_file(const char *path, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			grown = cap < 1 << 22 ? realloc(buf, 2 * cap) : NULL;
			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

/* Does /proc/PID/cmdline hold the two arguments "-uuid" UUID? */
static int cmdline_has_uuid(const char *pid, const char *uuid)
{
	char path[64], *buf, *a, *end;
	size_t len;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	buf = read_file(path, &len);
	if (!buf)
		return 0;
	end = buf + len;
	for (a = buf; a < end; a += strlen(a) + 1) {
		if (!strcmp(a, "-uuid") && a + strlen(a) + 1 < end &&
		    !strcasecmp(a + strlen(a) + 1, uuid)) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}

static int domain_active(struct vmm *v, char *err, size_t errlen)
{
	int state = -1, reason, active = virDomainIsActive(v->dom);

	if (active < 0) {
		snprintf(err, errlen, "cannot get the state of domain '%s': %s", v->name,
			 virt_msg());
		return virt_errno() == -ENOENT ? -ESRCH : virt_errno();
	}
	if (!active) {
		virDomainGetState(v->dom, &state, &reason, 0);
		snprintf(err, errlen, "domain '%s' on %s is not running (%s)", v->name, v->uri,
			 vmm_state_name(state));
		return -ESRCH;
	}
	return 0;
}

int vmm_pid(struct vmm *v, pid_t *ret_pid, char *err, size_t errlen)
{
	char host[256] = "", *vhost;
	pid_t found = 0, other = 0;
	struct dirent *d;
	DIR *proc;
	int ret;

	if (strcasecmp(v->driver, "QEMU")) {
		snprintf(err, errlen, "domain '%s' on %s has no QEMU process: the %s driver %s; "
			 "only libvirt's domain stats are available", v->name, v->uri, v->driver,
			 !strcasecmp(v->driver, "TEST") ? "only simulates its domains" :
			 "runs no QEMU on this host");
		return -ENOTSUP;
	}
	ret = domain_active(v, err, errlen);
	if (ret)
		return ret;
	proc = opendir("/proc");
	if (!proc) {
		ret = -errno;
		snprintf(err, errlen, "cannot read /proc: %s", strerror(errno));
		return ret;
	}
	while ((d = readdir(proc))) {
		if (!isdigit((unsigned char)d->d_name[0]) || !cmdline_has_uuid(d->d_name, v->uuid))
			continue;
		if (found)
			other = atoi(d->d_name);
		else
			found = atoi(d->d_name);
	}
	closedir(proc);
	if (other) {
		snprintf(err, errlen, "several QEMU processes (%d, %d) run domain '%s' (uuid %s); "
			 "a migration in progress?", (int)found, (int)other, v->name, v->uuid);
		return -EEXIST;
	}
	if (!found) {
		int elsewhere;

		vhost = virConnectGetHostname(v->conn);
		gethostname(host, sizeof(host) - 1);
		elsewhere = vhost && strcmp(vhost, host);
		snprintf(err, errlen, "no QEMU process of domain '%s' (uuid %s) on this host%s%s%s",
			 v->name, v->uuid, elsewhere ? "; it runs on host '" : "",
			 elsewhere ? vhost : "",
			 elsewhere ? "': host-side tracing needs it here" : "");
		free(vhost);
		return -ESRCH;
	}
	*ret_pid = found;
	return 0;
}

/*
 * vCPU threads by name: QEMU names them "CPU <index>/<accel>" (KVM, TCG, HVF,
 * ...) when started with debug-threads=on, as libvirt does; single-threaded
 * TCG runs every vCPU in one thread, "ALL CPUs/TCG".
 */
static int tids_from_comm(pid_t pid, int online, struct vmm_vcpu **ret, size_t *ret_n)
{
	struct vmm_vcpu *v = NULL, *grown;
	size_t n = 0, cap = 0;
	char path[64], comm[64];
	pid_t all = 0;
	struct dirent *d;
	DIR *dir;
	int idx, i, len;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		FILE *f;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (!strncmp(comm, "ALL CPUs/", 9)) {
			all = atoi(d->d_name);
			continue;
		}
		len = 0;
		if (sscanf(comm, "CPU %d/%n", &idx, &len) != 1 || !len || idx < 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				closedir(dir);
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		v[n].index = idx;
		v[n++].tid = atoi(d->d_name);
	}
	closedir(dir);
	if (all && !n && online > 0) {
		v = calloc(online, sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (i = 0; i < online; i++) {
			v[i].index = i;
			v[i].tid = all;
		}
		n = online;
	}
	vmm_sort_vcpus(v, n);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int tids_from_qmp(struct vmm *v, struct vmm_vcpu **ret, size_t *ret_n, char *err,
			 size_t errlen)
{
	char *reply = NULL;
	int r;

	if (virDomainQemuMonitorCommand(v->dom, "{\"execute\":\"query-cpus-fast\"}", &reply, 0)) {
		r = virt_errno();
		snprintf(err, errlen, "cannot ask QEMU of domain '%s' for its vCPU threads "
			 "(query-cpus-fast): %s", v->name, virt_msg());
		return r == -ENOENT ? -ESRCH : r;
	}
	if (strstr(reply, "\"error\"") && !strstr(reply, "\"return\"")) {
		snprintf(err, errlen, "QEMU of domain '%s' refused query-cpus-fast: %.200s",
			 v->name, reply);
		free(reply);
		return -EPROTO;
	}
	r = vmm_parse_query_cpus(reply, ret, ret_n);
	if (r == -EPROTO)
		snprintf(err, errlen, "cannot read QEMU's answer to query-cpus-fast: %.200s",
			 reply);
	free(reply);
	return r;
}

int vmm_vcpu_tids(struct vmm *v, enum vmm_tid_source how, struct vmm_vcpu *ret, size_t max,
		  size_t *ret_n, enum vmm_tid_source *ret_used, char *err, size_t errlen)
{
	struct vmm_vcpu *found = NULL;
	char path[64];
	size_t n = 0, i;
	virDomainInfo info;
	pid_t pid;
	int r, online;

	r = vmm_pid(v, &pid, err, errlen);
	if (r)
		return r;
	if (virDomainGetInfo(v->dom, &info)) {
		snprintf(err, errlen, "cannot read domain '%s': %s", v->name, virt_msg());
		return virt_errno();
	}
	online = info.nrVirtCpu;
	if (how != VMM_TIDS_QMP) {
		r = tids_from_comm(pid, online, &found, &n);
		if (r) {
			snprintf(err, errlen, "cannot read the threads of QEMU (pid %d): %s",
				 (int)pid, strerror(-r));
			return r;
		}
		*ret_used = VMM_TIDS_COMM;
		if (how == VMM_TIDS_COMM && (int)n != online) {
			snprintf(err, errlen, "QEMU (pid %d) of domain '%s' has %zu threads named "
				 "'CPU n/...' but %d vCPUs online (was it started without "
				 "debug-threads=on?)", (int)pid, v->name, n, online);
			free(found);
			return -ENOENT;
		}
	}
	if (how == VMM_TIDS_QMP || (int)n != online) {
		free(found);
		found = NULL;
		r = tids_from_qmp(v, &found, &n, err, errlen);
		if (r)
			return r;
		*ret_used = VMM_TIDS_QMP;
	}
	/* On another host (a remote URI) these would be someone else's threads. */
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)found[i].tid);
		if (access(path, F_OK)) {
			snprintf(err, errlen, "vCPU %d thread %d of domain '%s' is not a thread of "
				 "its QEMU process %d here", found[i].index, (int)found[i].tid,
				 v->name, (int)pid);
			free(found);
			return -ESRCH;
		}
	}
	for (i = 0; i < n && i < max; i++)
		ret[i] = found[i];
	*ret_n = n;
	free(found);
	return 0;
}

/* ---- metadata ------------------------------------------------------------ */

static char *version_str(unsigned long v)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
	return strdup(buf);
}

int vmm_get_meta(struct vmm *v, struct vmm_meta *m, char *err, size_t errlen)
{
	unsigned long hv = 0, lib = 0;
	int state = -1, reason, r;
	const char *type;
	char *xml;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	xml = virDomainGetXMLDesc(v->dom, 0);
	if (!xml) {
		snprintf(err, errlen, "cannot get the XML of domain '%s': %s", v->name, virt_msg());
		return virt_errno();
	}
	r = vmm_meta_from_xml(xml, m, err, errlen);
	free(xml);
	if (r)
		return r;
	m->uri = strdup(v->uri);
	m->host = virConnectGetHostname(v->conn);
	type = virConnectGetType(v->conn);
	m->hypervisor = type ? strdup(type) : NULL;
	if (!virConnectGetVersion(v->conn, &hv) && hv)
		m->hypervisor_version = version_str(hv);
	if (!virConnectGetLibVersion(v->conn, &lib) || !virGetVersion(&lib, NULL, NULL))
		m->libvirt_version = version_str(lib);
	if (!virDomainGetState(v->dom, &state, &reason, 0))
		m->state = strdup(vmm_state_name(state));
	if (!m->uri) {
		vmm_meta_free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- the guest agent's channel ------------------------------------------ */

int vmm_channel(struct vmm *v, const char *target, char *ret_path, size_t len, char *err,
		size_t errlen)
{
	char why[512];
	char *xml;
	int r;

	/* The live XML: a channel defined without a path has the one libvirt made. */
	xml = virDomainGetXMLDesc(v->dom, 0);
	if (!xml) {
		snprintf(err, errlen, "cannot get the XML of domain '%s': %s", v->name, virt_msg());
		return virt_errno();
	}
	r = vmm_channel_from_xml(xml, target, ret_path, len, why, sizeof(why));
	free(xml);
	if (r)
		snprintf(err, errlen, "domain '%s': %s", v->name, why);
	return r;
}

/* ---- stats --------------------------------------------------------------- */

static unsigned int group_of(const char *name)
{
	if (!strncmp(name, "cpu.", 4))
		return VMM_GROUP_CPU;
	if (!strncmp(name, "vcpu.", 5))
		return VMM_GROUP_VCPU;
	if (!strncmp(name, "block.", 6))
		return VMM_GROUP_BLOCK;
	if (!strncmp(name, "net.", 4))
		return VMM_GROUP_NET;
	return 0;
}

/* One typed parameter into the sample; doubles and negative values are skipped. */
static int put_param(struct vmm_sample *s, const char *name, const virTypedParameter *p)
{
	int r = 0;

	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		if (p->value.i >= 0)
			r = vmm_sample_put(s, name, p->value.i);
		break;
	case VIR_TYPED_PARAM_UINT:
		r = vmm_sample_put(s, name, p->value.ui);
		break;
	case VIR_TYPED_PARAM_LLONG:
		if (p->value.l >= 0)
			r = vmm_sample_put(s, name, p->value.l);
		break;
	case VIR_TYPED_PARAM_ULLONG:
		r = vmm_sample_put(s, name, p->value.ul);
		break;
	case VIR_TYPED_PARAM_BOOLEAN:
		r = vmm_sample_put(s, name, !!p->value.b);
		break;
	case VIR_TYPED_PARAM_STRING:
		r = vmm_sample_put_str(s, name, p->value.s ? p->value.s : "");
		break;
	}
	return r == -ENAMETOOLONG ? 0 : r;	/* names hvtrace does not record */
}

static int sample_bulk(struct vmm *v, struct vmm_sample *s, char *err, size_t errlen)
{
	unsigned int stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
			     VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE |
			     VIR_DOMAIN_STATS_BLOCK;
	virDomainPtr doms[] = { v->dom, NULL };
	virDomainStatsRecordPtr *recs = NULL;
	int n, i, r = 0;

	n = virDomainListGetStats(doms, stats, &recs, 0);
	if (n < 0) {
		r = virt_errno();
		if (r == -ENOTSUP) {
			v->bulk_unsupported = 1;
			return 0;
		}
		snprintf(err, errlen, "cannot read the stats of domain '%s': %s", v->name,
			 virt_msg());
		return r == -ENOENT ? -ESRCH : r;
	}
	for (i = 0; n > 0 && i < recs[0]->nparams && !r; i++) {
		const virTypedParameter *p = &recs[0]->params[i];

		if (!strcmp(p->field, "state.state"))
			s->state = p->value.i;
		s->groups |= group_of(p->field);
		r = put_param(s, p->field, p);
	}
	virDomainStatsRecordListFree(recs);
	v->bulk_groups |= s->groups;
	if (r)
		snprintf(err, errlen, "out of memory");
	return r;
}

/* The disks and NICs the per-device calls ask about, read once. */
static int load_devices(struct vmm *v)
{
	char *xml, why[256];
	int r;

	if (v->have_devs)
		return 0;
	xml = virDomainGetXMLDesc(v->dom, 0);
	if (!xml)
		return virt_errno();
	r = vmm_meta_from_xml(xml, &v->devs, why, sizeof(why));
	free(xml);
	v->have_devs = !r;
	return r;
}

/* Per-call results that mean "this driver cannot" rather than "this time not". */
static void note_unsupported(struct vmm *v, unsigned int group)
{
	if (virt_errno() == -ENOTSUP)
		v->call_unsupported |= group;
}

static int block_per_call(struct vmm *v, struct vmm_sample *s, size_t i, const char *dev)
{
	static const struct { const char *param, *field; } map[] = {
		{ VIR_DOMAIN_BLOCK_STATS_READ_REQ, "rd.reqs" },
		{ VIR_DOMAIN_BLOCK_STATS_READ_BYTES, "rd.bytes" },
		{ VIR_DOMAIN_BLOCK_STATS_READ_TOTAL_TIMES, "rd.times" },
		{ VIR_DOMAIN_BLOCK_STATS_WRITE_REQ, "wr.reqs" },
		{ VIR_DOMAIN_BLOCK_STATS_WRITE_BYTES, "wr.bytes" },
		{ VIR_DOMAIN_BLOCK_STATS_WRITE_TOTAL_TIMES, "wr.times" },
		{ VIR_DOMAIN_BLOCK_STATS_FLUSH_REQ, "fl.reqs" },
		{ VIR_DOMAIN_BLOCK_STATS_FLUSH_TOTAL_TIMES, "fl.times" },
	};
	virTypedParameterPtr params;
	virDomainBlockStatsStruct st;
	int np = 0, j, k, r = 0;
	char name[48];

	if (virDomainBlockStatsFlags(v->dom, dev, NULL, &np, 0) == 0 && np > 0) {
		params = calloc(np, sizeof(*params));
		if (!params)
			return -ENOMEM;
		if (virDomainBlockStatsFlags(v->dom, dev, params, &np, 0) == 0) {
			for (j = 0; j < np && !r; j++) {
				for (k = 0; k < (int)ARRAY_SIZE(map); k++) {
					if (strcmp(params[j].field, map[k].param))
						continue;
					snprintf(name, sizeof(name), "block.%zu.%s", i,
						 map[k].field);
					r = put_param(s, name, &params[j]);
				}
			}
			virTypedParamsClear(params, np);
			free(params);
			return r ? r : 1;
		}
		virTypedParamsClear(params, np);
		free(params);
	}
	if (virDomainBlockStats(v->dom, dev, &st, sizeof(st)))
		return 0;
	/* -1: the driver does not know this one. */
#define PUT_BLOCK(member, field)                                                   \
	do {                                                                       \
		snprintf(name, sizeof(name), "block.%zu.%s", i, field);            \
		if (!r && st.member >= 0)                                          \
			r = vmm_sample_put(s, name, st.member);                    \
	} while (0)
	PUT_BLOCK(rd_req, "rd.reqs");
	PUT_BLOCK(rd_bytes, "rd.bytes");
	PUT_BLOCK(wr_req, "wr.reqs");
	PUT_BLOCK(wr_bytes, "wr.bytes");
#undef PUT_BLOCK
	return r ? r : 1;
}

static int net_per_call(struct vmm *v, struct vmm_sample *s, size_t i, const char *dev)
{
	virDomainInterfaceStatsStruct st;
	char name[48];
	int r = 0;

	if (virDomainInterfaceStats(v->dom, dev, &st, sizeof(st)))
		return 0;
#define PUT_NET(member, field)                                                     \
	do {                                                                       \
		snprintf(name, sizeof(name), "net.%zu.%s", i, field);              \
		if (!r && st.member >= 0)                                          \
			r = vmm_sample_put(s, name, st.member);                    \
	} while (0)
	PUT_NET(rx_bytes, "rx.bytes");
	PUT_NET(rx_packets, "rx.pkts");
	PUT_NET(rx_errs, "rx.errs");
	PUT_NET(rx_drop, "rx.drop");
	PUT_NET(tx_bytes, "tx.bytes");
	PUT_NET(tx_packets, "tx.pkts");
	PUT_NET(tx_errs, "tx.errs");
	PUT_NET(tx_drop, "tx.drop");
#undef PUT_NET
	return r ? r : 1;
}

/*
 * The groups the bulk call did not answer, with the older calls; each call
 * that fails leaves its values out. A group the bulk call answered once is
 * never mixed with per-call values.
 */
static int sample_per_call(struct vmm *v, struct vmm_sample *s)
{
	unsigned int want = VMM_GROUP_ALL & ~s->groups & ~v->bulk_groups & ~v->call_unsupported;
	virVcpuInfoPtr vi;
	virDomainInfo info;
	char name[48];
	size_t i;
	int n, r = 0, got;

	if (!want)
		return 0;
	if (virDomainGetInfo(v->dom, &info)) {
		note_unsupported(v, VMM_GROUP_CPU);
		return 0;
	}
	if (s->state < 0)
		s->state = info.state;
	if (info.state < VIR_DOMAIN_RUNNING || info.state > VIR_DOMAIN_PAUSED)
		return 0;	/* not running: nothing to count */
	if (want & VMM_GROUP_CPU) {
		/* ESX, VirtualBox and others say 0 for "not known". */
		if (info.cpuTime)
			r = vmm_sample_put(s, "cpu.time", info.cpuTime);
		s->groups |= VMM_GROUP_CPU;
		s->per_call |= VMM_GROUP_CPU;
	}
	if (!r && (want & VMM_GROUP_VCPU) && info.nrVirtCpu > 0) {
		vi = calloc(info.nrVirtCpu, sizeof(*vi));
		if (!vi)
			return -ENOMEM;
		n = virDomainGetVcpus(v->dom, vi, info.nrVirtCpu, NULL, 0);
		if (n < 0)
			note_unsupported(v, VMM_GROUP_VCPU);
		for (i = 0; n > 0 && i < (size_t)n && !r; i++) {
			snprintf(name, sizeof(name), "vcpu.%u.time", vi[i].number);
			r = vmm_sample_put(s, name, vi[i].cpuTime);
		}
		if (n > 0) {
			r = r ? r : vmm_sample_put(s, "vcpu.current", n);
			s->groups |= VMM_GROUP_VCPU;
			s->per_call |= VMM_GROUP_VCPU;
		}
		free(vi);
	}
	if (r || !(want & (VMM_GROUP_BLOCK | VMM_GROUP_NET)) || load_devices(v))
		return r;
	if (want & VMM_GROUP_BLOCK) {
		for (i = 0, got = 0; i < v->devs.n_disks && !r; i++) {
			const char *dev = v->devs.disks[i].target;

			snprintf(name, sizeof(name), "block.%zu.name", i);
			r = vmm_sample_put_str(s, name, dev ? dev : "");
			r = r ? r : dev ? block_per_call(v, s, i, dev) : 0;
			if (r == 0)
				note_unsupported(v, VMM_GROUP_BLOCK);
			got |= r > 0;
			r = r > 0 ? 0 : r;
		}
		if (!r && (got || !v->devs.n_disks)) {
			r = vmm_sample_put(s, "block.count", v->devs.n_disks);
			s->groups |= VMM_GROUP_BLOCK;
			s->per_call |= VMM_GROUP_BLOCK;
		}
	}
	if (!r && (want & VMM_GROUP_NET)) {
		for (i = 0, got = 0; i < v->devs.n_nics && !r; i++) {
			const struct vmm_nic *nic = &v->devs.nics[i];
			const char *dev = nic->target ? nic->target : nic->mac;

			snprintf(name, sizeof(name), "net.%zu.name", i);
			r = vmm_sample_put_str(s, name, dev ? dev : "");
			r = r ? r : dev ? net_per_call(v, s, i, dev) : 0;
			if (r == 0)
				note_unsupported(v, VMM_GROUP_NET);
			got |= r > 0;
			r = r > 0 ? 0 : r;
		}
		if (!r && (got || !v->devs.n_nics)) {
			r = vmm_sample_put(s, "net.count", v->devs.n_nics);
			s->groups |= VMM_GROUP_NET;
			s->per_call |= VMM_GROUP_NET;
		}
	}
	return r;
}

int vmm_sample(struct vmm *v, struct vmm_sample *s, char *err, size_t errlen)
{
	int r = 0;

	s->n = 0;
	s->groups = s->per_call = 0;
	s->state = -1;
	s->t_mono_ns = now_mono_ns();
	if (!v->bulk_unsupported)
		r = sample_bulk(v, s, err, errlen);
	if (!r)
		r = sample_per_call(v, s);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (!r && s->state < 0) {
		int state, reason;

		if (virDomainGetState(v->dom, &state, &reason, 0) == 0) {
			s->state = state;
		} else if (virt_errno() == -ENOENT) {
			snprintf(err, errlen, "domain '%s' is gone from %s", v->name, v->uri);
			r = -ESRCH;
		}
	}
	return r;
}
