// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvt_detect() against fixture trees (tests/fixtures/detect/<env>/, run from
 * the repository root as tests/run.sh does) and against small trees the tests
 * write themselves for the corner cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect.h"
#include "unit.h"

#define FIX "tests/fixtures/detect/"

static int run_fixture(const char *env, struct detect_result *r)
{
	char root[256], cpuid[256];
	struct detect_opts o = { .root = root, .cpuid_file = cpuid };

	snprintf(root, sizeof(root), FIX "%s", env);
	snprintf(cpuid, sizeof(cpuid), FIX "%s/cpuid.txt", env);
	return hvt_detect(&o, r);
}

/* The evidence line from @source whose value contains @value (NULL: any). */
static const struct detect_evidence *ev(const struct detect_result *r, const char *source,
					const char *value)
{
	int i;

	for (i = 0; i < r->n_evidence; i++)
		if (!strcmp(r->evidence[i].source, source) &&
		    (!value || strstr(r->evidence[i].value, value)))
			return &r->evidence[i];
	return NULL;
}

#define EXPECT_EV(r, source, value)                                                \
	do {                                                                       \
		if (!ev(r, source, value))                                         \
			FAIL("no evidence from %s with value \"%s\"", source,       \
			     value ? value : "(any)");                             \
	} while (0)

#define EXPECT_FIXTURE(env, r)                                                     \
	do {                                                                       \
		int err_ = run_fixture(env, r);                                    \
		if (err_) {                                                        \
			FAIL("fixture %s: error %d: %s", env, err_, (r)->errmsg);   \
			return;                                                    \
		}                                                                  \
	} while (0)

static struct detect_result res;

/* ---- one test per environment ---- */

TEST(detect_kvm)
{
	EXPECT_FIXTURE("kvm", &res);
	EXPECT_STR(res.summary, "KVM");
	EXPECT_STR(hvt_env_kind_name(res.kind), "vm");
	EXPECT_STR(res.mode, "HVM");
	EXPECT_STR(res.platform, "QEMU");
	EXPECT_STR(res.clocksource, "kvm-clock");
	EXPECT_TRUE(res.cpuid_hv_bit);
	EXPECT_STR(res.cpuid_signature, "KVMKVMKVM\\x00\\x00\\x00");
	EXPECT_EV(&res, "kernel log", "Hypervisor detected: KVM");
	EXPECT_EV(&res, "/sys/class/dmi/id/sys_vendor", "QEMU");
}

TEST(detect_xen_pv_where_cpuid_shows_no_hypervisor)
{
	EXPECT_FIXTURE("xen-pv", &res);
	EXPECT_STR(res.summary, "Xen PV");
	EXPECT_STR(res.hypervisor, "Xen");
	EXPECT_STR(res.mode, "PV");
	EXPECT_STR(res.clocksource, "xen");
	EXPECT_TRUE(!res.cpuid_hv_bit);
	/* Leaf 0x40000000 holds the CPU's garbage there: it must not be read. */
	EXPECT_STR(res.cpuid_signature, "");
	EXPECT_STR(res.outer, "");
	EXPECT_EV(&res, "/sys/hypervisor/guest_type", "PV");
	EXPECT_EV(&res, "/sys/class/dmi/id", "absent");
}

TEST(detect_xen_pv_without_guest_type_or_kernel_log)
{
	EXPECT_FIXTURE("xen-pv-old", &res);
	EXPECT_STR(res.summary, "Xen PV");
	EXPECT_STR(res.mode, "PV");
	EXPECT_EV(&res, "/sys/hypervisor/type", "xen");
	EXPECT_EV(&res, "mode", "PV");
	EXPECT_TRUE(!ev(&res, "kernel log", NULL));
}

TEST(detect_xen_hvm)
{
	EXPECT_FIXTURE("xen-hvm", &res);
	EXPECT_STR(res.summary, "Xen HVM");
	EXPECT_STR(res.mode, "HVM");
	EXPECT_STR(res.cpuid_signature, "XenVMMXenVMM");
	EXPECT_EV(&res, "/sys/class/dmi/id/product_name", "HVM domU");
	EXPECT_EV(&res, "/sys/hypervisor/guest_type", "HVM");
}

TEST(detect_xen_pvh)
{
	EXPECT_FIXTURE("xen-pvh", &res);
	EXPECT_STR(res.summary, "Xen PVH");
	EXPECT_STR(res.mode, "PVH");
	EXPECT_EV(&res, "/sys/hypervisor/guest_type", "PVH");
	EXPECT_EV(&res, "kernel log", "Booting paravirtualized kernel on Xen PVH");
	EXPECT_EV(&res, "/sys/class/dmi/id", "absent");
}

TEST(detect_esxi)
{
	EXPECT_FIXTURE("esxi", &res);
	EXPECT_STR(res.summary, "VMware");
	EXPECT_STR(res.mode, "HVM");
	EXPECT_STR(res.platform, "");
	EXPECT_STR(res.clocksource, "tsc");
	EXPECT_STR(res.cpuid_signature, "VMwareVMware");
	EXPECT_EV(&res, "/sys/class/dmi/id/sys_vendor", "VMware, Inc.");
}

TEST(detect_virtualbox_behind_kvm_interface)
{
	EXPECT_FIXTURE("virtualbox", &res);
	EXPECT_STR(res.summary, "VirtualBox");
	EXPECT_STR(res.mode, "HVM");
	/* Its CPUID and the kernel say KVM; DMI names the real VMM. */
	EXPECT_EV(&res, "cpuid 0x40000000", "KVMKVMKVM");
	EXPECT_EV(&res, "kernel log", "Hypervisor detected: KVM");
	EXPECT_EV(&res, "/sys/class/dmi/id/sys_vendor", "innotek GmbH");
	EXPECT_STR(res.outer, "");
}

TEST(detect_hyperv)
{
	EXPECT_FIXTURE("hyperv", &res);
	EXPECT_STR(res.summary, "Hyper-V");
	EXPECT_STR(res.mode, "HVM");
	EXPECT_STR(res.clocksource, "hyperv_clocksource_tsc_page");
	EXPECT_EV(&res, "cpuid 0x40000000", "Microsoft Hv");
	EXPECT_EV(&res, "/sys/class/dmi/id/product_name", "Virtual Machine");
}

TEST(detect_qemu_tcg)
{
	EXPECT_FIXTURE("qemu-tcg", &res);
	EXPECT_STR(res.summary, "QEMU TCG");
	EXPECT_STR(res.mode, "emulated");
	EXPECT_STR(res.platform, "QEMU");
	EXPECT_STR(res.cpuid_signature, "TCGTCGTCGTCG");
	EXPECT_EV(&res, "kernel log", "on bare hardware");
	/* TCG is no hypervisor Linux knows: no verdict in the log, and detect says so. */
	EXPECT_TRUE(!ev(&res, "kernel log", "Hypervisor detected: "));
	EXPECT_EV(&res, "kernel log", "no \"Hypervisor detected\" line");
}

TEST(detect_bare_metal)
{
	EXPECT_FIXTURE("bare-metal", &res);
	EXPECT_STR(res.summary, "bare metal");
	EXPECT_STR(hvt_env_kind_name(res.kind), "bare-metal");
	EXPECT_STR(res.hypervisor, "");
	EXPECT_STR(res.mode, "");
	EXPECT_STR(res.container, "");
	EXPECT_TRUE(!res.cpuid_hv_bit);
	EXPECT_EV(&res, "/sys/class/dmi/id", "no VMM or cloud named");
	EXPECT_EV(&res, "/proc/cpuinfo flags", "no hypervisor flag");
}

TEST(detect_docker_on_bare_metal)
{
	EXPECT_FIXTURE("docker", &res);
	EXPECT_STR(res.summary, "docker container on bare metal");
	EXPECT_STR(hvt_env_kind_name(res.kind), "container");
	EXPECT_STR(res.container, "docker");
	EXPECT_STR(res.hypervisor, "");
	EXPECT_EV(&res, "/proc/self/mountinfo", "/var/lib/docker/containers/");
	EXPECT_EV(&res, "/proc/self/mountinfo", "/ is overlay");
	EXPECT_EV(&res, "/proc/self/ns/pid", "pid:[4026532619]");
}

TEST(detect_podman_in_kvm)
{
	EXPECT_FIXTURE("podman-in-kvm", &res);
	EXPECT_STR(res.summary, "podman container in KVM");
	EXPECT_STR(hvt_env_kind_name(res.kind), "container-in-vm");
	EXPECT_STR(res.container, "podman");
	EXPECT_EV(&res, "/proc/1/environ", "container=podman");
	EXPECT_EV(&res, "/run/.containerenv", "present");
}

TEST(detect_pvm_nested_under_bhyve)
{
	const struct detect_evidence *e;

	EXPECT_FIXTURE("pvm", &res);
	EXPECT_STR(res.summary, "PVM");
	EXPECT_STR(res.mode, "PV");
	/* User-space CPUID passes through PVM to the hypervisor below it. */
	EXPECT_STR(res.outer, "bhyve");
	EXPECT_STR(res.cpuid_signature, "bhyve bhyve ");
	EXPECT_EV(&res, "kernel log", "Hypervisor detected: PVM");
	/* /.dockerenv came with the image; the initial PID namespace outweighs it. */
	EXPECT_STR(res.container, "");
	e = ev(&res, "/.dockerenv", NULL);
	EXPECT_TRUE(e && strstr(e->implies, "ignored"));
}

TEST(detect_pvm_inferred_without_kernel_log)
{
	EXPECT_FIXTURE("pvm-nonroot", &res);
	/* No root, no kernel log: kvm-clock under bhyve's CPUID gives PVM away. */
	EXPECT_STR(res.summary, "PVM");
	EXPECT_STR(res.mode, "PV");
	EXPECT_STR(res.outer, "bhyve");
	EXPECT_EV(&res, "verdict", "PVM (inferred)");
	EXPECT_TRUE(!ev(&res, "kernel log", NULL));
}

TEST(detect_unknown_vendor_kept_raw)
{
	EXPECT_FIXTURE("unknown-vendor", &res);
	EXPECT_STR(res.hypervisor, "unknown (\"NewVisor\\x01HV\\x00\")");
	EXPECT_STR(res.cpuid_signature, "NewVisor\\x01HV\\x00");
	EXPECT_STR(hvt_env_kind_name(res.kind), "vm");
	EXPECT_EV(&res, "cpuid 0x40000000", "NewVisor\\x01HV\\x00");
}

/* ---- bad input ---- */

TEST(detect_missing_root_fails)
{
	struct detect_opts o = { .root = "/nonexistent/hvtrace-root" };

	EXPECT_INT(hvt_detect(&o, &res), -ENOENT);
	EXPECT_TRUE(strstr(res.errmsg, "/nonexistent/hvtrace-root") != NULL);
}

TEST(detect_root_that_is_a_file_fails)
{
	struct detect_opts o = { .root = FIX "kvm/cpuid.txt" };

	EXPECT_INT(hvt_detect(&o, &res), -ENOTDIR);
	EXPECT_TRUE(strstr(res.errmsg, "not a directory") != NULL);
}

TEST(detect_missing_cpuid_file_fails)
{
	struct detect_opts o = { .root = FIX "kvm", .cpuid_file = FIX "kvm/no-such-file" };

	EXPECT_INT(hvt_detect(&o, &res), -ENOENT);
	EXPECT_TRUE(strstr(res.errmsg, "no-such-file") != NULL);
}

/* A scratch tree; put() creates parents as needed. */
static char tmp[64];

static void put(const char *path, const char *content, size_t len)
{
	char full[512], *p;
	int fd;

	snprintf(full, sizeof(full), "%s%s", tmp, path);
	for (p = full + strlen(tmp) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, content, len) != (ssize_t)len)
			fprintf(stderr, "short write to %s\n", full);
		close(fd);
	}
}

#define PUT(path, str) put(path, str, sizeof(str) - 1)

static void scratch_remove(void)
{
	char cmd[96];

	if (!tmp[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", tmp);
	tmp[0] = '\0';
}

/* A fresh scratch tree per test; the last one goes at exit. */
static int scratch(void)
{
	static int registered;

	if (!registered++)
		atexit(scratch_remove);
	scratch_remove();
	snprintf(tmp, sizeof(tmp), "/tmp/hvt-detect.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int run_scratch(struct detect_result *r)
{
	char cpuid[96];
	struct detect_opts o = { .root = tmp, .cpuid_file = cpuid };

	snprintf(cpuid, sizeof(cpuid), "%s/cpuid.txt", tmp);
	return hvt_detect(&o, r);
}

TEST(detect_malformed_cpuid_file_fails)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt", "CPU:\n   0x00000001 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n"
			  "   0x40000000 0x00: eax=banana\n");
	EXPECT_INT(run_scratch(&res), -EINVAL);
	EXPECT_TRUE(strstr(res.errmsg, "line 3") != NULL);
}

TEST(detect_empty_cpuid_file_fails)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt", "# nothing here\n");
	EXPECT_INT(run_scratch(&res), -EINVAL);
	EXPECT_TRUE(strstr(res.errmsg, "no leaves") != NULL);
}

TEST(detect_endless_binary_cpuid_file_fails)
{
	struct detect_opts o = { .root = FIX "kvm", .cpuid_file = "/dev/zero" };

	/* Read up to a bound, then judged: no leaves in it. */
	EXPECT_INT(hvt_detect(&o, &res), -EINVAL);
	EXPECT_TRUE(strstr(res.errmsg, "no leaves") != NULL);
}

/* ---- corner cases ---- */

TEST(detect_uses_first_cpu_of_a_full_dump)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt",
	    "Disclaimer: cpuid may not support decoding of all cpuid registers.\n"
	    "CPU 0:\n"
	    "   0x00000001 0x00: eax=0x000906ea ebx=0x00010800 ecx=0x80000000 edx=0x0\n"
	    "   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n"
	    "CPU 1:\n"
	    "   0x00000001 0x00: eax=0x000906ea ebx=0x01010800 ecx=0x00000000 edx=0x0\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_TRUE(res.cpuid_hv_bit);
	EXPECT_STR(res.summary, "KVM");
}

TEST(detect_kvm_behind_hyperv_interface)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	/* QEMU with hv-* enlightenments: Hyper-V first, KVM at 0x40000100. */
	PUT("/cpuid.txt",
	    "   0x00000001 0x00: eax=0x000906ea ebx=0x00010800 ecx=0xfffa3223 edx=0x0f8bfbff\n"
	    "   0x40000000 0x00: eax=0x4000000b ebx=0x7263694d ecx=0x666f736f edx=0x76482074\n"
	    "   0x40000100 0x00: eax=0x40000101 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n");
	PUT("/sys/class/dmi/id/sys_vendor", "QEMU\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_STR(res.summary, "KVM");
	EXPECT_STR(res.platform, "QEMU");
	EXPECT_EV(&res, "cpuid 0x40000100", "KVMKVMKVM");
}

TEST(detect_xen_hvm_behind_viridian)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt",
	    "   0x00000001 0x00: eax=0x000306e4 ebx=0x00200800 ecx=0xffba2203 edx=0x178bfbff\n"
	    "   0x40000000 0x00: eax=0x40000006 ebx=0x7263694d ecx=0x666f736f edx=0x76482074\n"
	    "   0x40000100 0x00: eax=0x40000105 ebx=0x566e6558 ecx=0x65584d4d edx=0x4d4d566e\n");
	PUT("/sys/class/dmi/id/sys_vendor", "Xen\n");
	PUT("/sys/class/dmi/id/product_name", "HVM domU\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_STR(res.summary, "Xen HVM");
	EXPECT_EV(&res, "mode", "HVM");
}

TEST(detect_dockerenv_alone_is_a_container)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt", "   0x00000001 0x00: eax=0x0 ebx=0x0 ecx=0x0 edx=0x0\n");
	PUT("/.dockerenv", "");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_STR(res.summary, "docker container on bare metal");
}

TEST(detect_notes_rotated_kernel_log)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt", "   0x00000001 0x00: eax=0x0 ebx=0x0 ecx=0x0 edx=0x0\n");
	PUT("/dev/kmsg", "6,50123,99887766,-;eth0: link up\n SUBSYSTEM=net\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_EV(&res, "kernel log", "starts at record 50123");
	EXPECT_STR(res.summary, "bare metal");
}

TEST(detect_xen_pv_nested_in_kvm)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	/* Xen PV does not intercept CPUID: user space sees the KVM that Xen runs on. */
	PUT("/cpuid.txt",
	    "   0x00000001 0x00: eax=0x000906ea ebx=0x00010800 ecx=0xfffa3223 edx=0x0f8bfbff\n"
	    "   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n");
	PUT("/sys/hypervisor/type", "xen\n");
	PUT("/sys/hypervisor/guest_type", "PV\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_STR(res.summary, "Xen PV");
	EXPECT_STR(res.outer, "KVM");
}

TEST(detect_xen_dom0)
{
	if (scratch())
		FAIL("cannot make a scratch directory");
	PUT("/cpuid.txt", "   0x00000001 0x00: eax=0x0 ebx=0x0 ecx=0x7fbee3ff edx=0x0\n");
	PUT("/sys/hypervisor/type", "xen\n");
	PUT("/sys/hypervisor/guest_type", "PV\n");
	PUT("/proc/xen/capabilities", "control_d\n");
	EXPECT_INT(run_scratch(&res), 0);
	EXPECT_STR(res.summary, "Xen PV dom0");
}

TEST(detect_real_machine_succeeds)
{
	int err = hvt_detect(NULL, &res);

	EXPECT_INT(err, 0);
	EXPECT_TRUE(res.summary[0] != '\0');
	EXPECT_TRUE(res.n_evidence > 0);
}
