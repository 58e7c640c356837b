// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vmm: libvirt discovery, metadata and domain stats against test:///default
 * (libvirt's test driver, in process: no daemon), the domain XML and QMP
 * readers on documents made here, and the recording writer.
 *
 * The libvirt_live_* tests need a running QEMU domain and are registered only
 * when HVT_TEST_LIBVIRT_DOMAIN names one: tests/t_libvirt.sh starts libvirtd
 * and a TCG guest and runs them (HVT_TEST_LIBVIRT_URI, HVT_TEST_LIBVIRT_VCPUS).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "recfile.h"
#include "unit.h"
#include "vmm.h"

#define TEST_URI "test:///default"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static struct vmm *open_test(int *failed, const char *name)
{
	char err[512];
	struct vmm *v = vmm_open(TEST_URI, name, err, sizeof(err));

	if (!v)
		FAIL("vmm_open(%s, %s): %s", TEST_URI, name, err);
	return v;
}

/* ---- discovery on the test driver ----------------------------------------- */

TEST(test_domain_found_by_name)
{
	struct vmm *v = open_test(failed, "test");

	if (!v)
		return;
	EXPECT_STR(vmm_name(v), "test");
	EXPECT_STR(vmm_uri(v), TEST_URI);
	vmm_close(v);
}

TEST(test_domain_found_by_uuid_and_id)
{
	struct vmm *v = open_test(failed, TEST_UUID);

	if (v)
		EXPECT_STR(vmm_name(v), "test");
	vmm_close(v);
	v = open_test(failed, "1");
	if (v)
		EXPECT_STR(vmm_name(v), "test");
	vmm_close(v);
}

TEST(unknown_domain_is_a_clear_error)
{
	char err[512] = "";
	struct vmm *v = vmm_open(TEST_URI, "no-such-vm", err, sizeof(err));

	EXPECT_TRUE(!v);
	EXPECT_INT(errno, ENOENT);
	EXPECT_STR(err, "no domain 'no-such-vm' on test:///default (see: virsh -c "
		   "test:///default list --all)");
	vmm_close(v);
}

/*
 * No driver in this process claims the scheme, so libvirt asks the daemon: the
 * daemon says "no connection driver", or, when none runs, the socket fails.
 */
TEST(unknown_uri_is_a_clear_error)
{
	char err[512] = "";
	struct vmm *v = vmm_open("nosuchdriver:///x", "test", err, sizeof(err));

	EXPECT_TRUE(!v);
	EXPECT_TRUE(errno == EINVAL || errno == ECONNREFUSED);
	EXPECT_TRUE(strstr(err, "cannot connect to libvirt at 'nosuchdriver:///x': "));
	vmm_close(v);
}

TEST(no_daemon_says_so)
{
	char err[512] = "";
	struct vmm *v;

	/* A socket path where nothing listens: what qemu:///system looks like without libvirtd. */
	v = vmm_open("qemu:///system?socket=/nonexistent/hvtrace/libvirt-sock", "x", err,
		     sizeof(err));
	EXPECT_TRUE(!v);
	EXPECT_INT(errno, ECONNREFUSED);
	EXPECT_TRUE(strstr(err, "(is libvirtd running?)"));
	vmm_close(v);
}

TEST(empty_domain_name_is_rejected)
{
	char err[512] = "";

	EXPECT_TRUE(!vmm_open(TEST_URI, "", err, sizeof(err)));
	EXPECT_INT(errno, EINVAL);
	EXPECT_STR(err, "no domain name given");
}

TEST(test_driver_has_no_pid)
{
	struct vmm *v = open_test(failed, "test");
	char err[512] = "";
	pid_t pid = 0;

	if (!v)
		return;
	EXPECT_INT(vmm_pid(v, &pid, err, sizeof(err)), -ENOTSUP);
	EXPECT_STR(err, "domain 'test' on test:///default has no QEMU process: the TEST driver "
		   "only simulates its domains; only libvirt's domain stats are available");
	EXPECT_INT(pid, 0);
	vmm_close(v);
}

TEST(test_driver_has_no_vcpu_threads)
{
	struct vmm *v = open_test(failed, "test");
	struct vmm_vcpu t[8];
	enum vmm_tid_source used;
	char err[512] = "";
	size_t n = 0;

	if (!v)
		return;
	EXPECT_INT(vmm_vcpu_tids(v, VMM_TIDS_AUTO, t, 8, &n, &used, err, sizeof(err)), -ENOTSUP);
	EXPECT_TRUE(strstr(err, "has no QEMU process"));
	vmm_close(v);
}

TEST(test_domain_metadata)
{
	struct vmm *v = open_test(failed, "test");
	struct vmm_meta m;
	char err[512];
	int r;

	if (!v)
		return;
	r = vmm_get_meta(v, &m, err, sizeof(err));
	EXPECT_INT(r, 0);
	if (r) {
		FAIL("%s", err);
		vmm_close(v);
		return;
	}
	EXPECT_STR(m.name, "test");
	EXPECT_STR(m.uuid, TEST_UUID);
	EXPECT_INT(m.id, 1);
	EXPECT_STR(m.uri, TEST_URI);
	EXPECT_STR(m.hypervisor, "TEST");
	EXPECT_TRUE(m.hypervisor_version != NULL);
	EXPECT_TRUE(m.libvirt_version && strchr(m.libvirt_version, '.'));
	EXPECT_STR(m.state, "running");
	EXPECT_STR(m.domain_type, "test");
	EXPECT_STR(m.arch, "i686");
	EXPECT_INT(m.vcpus, 2);
	EXPECT_INT(m.max_vcpus, 2);
	EXPECT_INT(m.mem_bytes, 2097152ULL * 1024);
	EXPECT_INT(m.max_mem_bytes, 8388608ULL * 1024);
	EXPECT_TRUE(!m.cpu_mode && !m.cpu_model);	/* the test domain has no <cpu> */
	EXPECT_INT(m.n_disks, 1);
	if (m.n_disks == 1) {
		EXPECT_STR(m.disks[0].target, "vda");
		EXPECT_STR(m.disks[0].bus, "virtio");
		EXPECT_STR(m.disks[0].device, "disk");
	}
	EXPECT_INT(m.n_nics, 1);
	if (m.n_nics == 1) {
		EXPECT_STR(m.nics[0].type, "network");
		EXPECT_STR(m.nics[0].target, "testnet0");
		EXPECT_STR(m.nics[0].mac, "aa:bb:cc:dd:ee:ff");
		EXPECT_TRUE(!m.nics[0].model);
	}
	vmm_meta_free(&m);
	vmm_close(v);
}

/* ---- stats on the test driver --------------------------------------------- */

/* Its bulk stats hold only the state: every group comes from the per-call API. */
TEST(test_domain_stats_present_and_missing)
{
	struct vmm *v = open_test(failed, "test");
	struct vmm_sample s = { 0 };
	const struct vmm_field *f;
	char err[512];
	int r;

	if (!v)
		return;
	r = vmm_sample(v, &s, err, sizeof(err));
	EXPECT_INT(r, 0);
	if (r)
		FAIL("%s", err);
	EXPECT_INT(s.state, 1);
	EXPECT_INT(s.groups, VMM_GROUP_ALL);
	EXPECT_INT(s.per_call, VMM_GROUP_ALL);
	EXPECT_TRUE(vmm_sample_get(&s, "cpu.time"));
	EXPECT_TRUE(vmm_sample_get(&s, "vcpu.0.time"));
	EXPECT_TRUE(vmm_sample_get(&s, "vcpu.1.time"));
	EXPECT_TRUE(vmm_sample_get(&s, "block.0.rd.reqs"));
	EXPECT_TRUE(vmm_sample_get(&s, "block.0.wr.bytes"));
	EXPECT_TRUE(vmm_sample_get(&s, "net.0.rx.bytes"));
	EXPECT_TRUE(vmm_sample_get(&s, "net.0.tx.drop"));
	f = vmm_sample_get(&s, "block.0.name");
	EXPECT_TRUE(f && f->is_str && !strcmp(f->str, "vda"));
	f = vmm_sample_get(&s, "net.0.name");
	EXPECT_TRUE(f && f->is_str && !strcmp(f->str, "testnet0"));
	/* What the test driver does not have is absent, not 0. */
	EXPECT_TRUE(!vmm_sample_get(&s, "cpu.user"));
	EXPECT_TRUE(!vmm_sample_get(&s, "cpu.system"));
	EXPECT_TRUE(!vmm_sample_get(&s, "vcpu.0.wait"));
	EXPECT_TRUE(!vmm_sample_get(&s, "vcpu.0.delay"));
	EXPECT_TRUE(!vmm_sample_get(&s, "block.0.rd.times"));
	vmm_sample_free(&s);
	vmm_close(v);
}

TEST(test_domain_cpu_time_grows)
{
	struct vmm *v = open_test(failed, "test");
	struct vmm_sample s = { 0 };
	const struct vmm_field *f;
	uint64_t t0 = 0;
	char err[512];

	if (!v)
		return;
	if (vmm_sample(v, &s, err, sizeof(err)) || !(f = vmm_sample_get(&s, "cpu.time"))) {
		FAIL("first sample: %s", err);
		goto out;
	}
	t0 = f->value;
	usleep(20000);
	if (vmm_sample(v, &s, err, sizeof(err)) || !(f = vmm_sample_get(&s, "cpu.time"))) {
		FAIL("second sample: %s", err);
		goto out;
	}
	EXPECT_TRUE(f->value > t0);
out:
	vmm_sample_free(&s);
	vmm_close(v);
}

/* ---- the domain XML reader --------------------------------------------------- */

static const char rich_xml[] =
	"<?xml version='1.0'?>\n"
	"<!DOCTYPE domain>\n"
	"<!-- a comment with <devices><disk device='disk'/></devices> in it -->\n"
	"<domain type='kvm' id='7' xmlns:app='urn:x'>\n"
	"  <name>web&amp;db &#x41;&#66;</name>\n"
	"  <uuid>00000000-0000-0000-0000-000000000001</uuid>\n"
	"  <metadata><app:devices><disk device='disk'><target dev='zz' bus='bogus'/></disk>"
	"</app:devices><devices><interface type='bogus'/></devices></metadata>\n"
	"  <memory unit='GiB'>4</memory>\n"
	"  <currentMemory unit='MB'>3000</currentMemory>\n"
	"  <vcpu placement='static' current='2'>8</vcpu>\n"
	"  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n"
	"  <features><acpi/><apic/><pae/></features>\n"
	"  <cpu mode=\"host-model\" check='partial'><model fallback='allow'> Skylake-Client "
	"</model></cpu>\n"
	"  <devices>\n"
	"    <emulator><![CDATA[/usr/bin/qemu-<x>]]></emulator>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	"<source file='/v/a&apos;b.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
	"    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>\n"
	"    <interface type='bridge'><mac address='52:54:00:00:00:01'/>"
	"<target dev='vnet3'/><model type='e1000e'/></interface>\n"
	"  </devices>\n"
	"</domain>\n";

TEST(xml_metadata_from_a_full_domain)
{
	struct vmm_meta m = { 0 };
	char err[256];
	int r = vmm_meta_from_xml(rich_xml, &m, err, sizeof(err));

	EXPECT_INT(r, 0);
	if (r) {
		FAIL("%s", err);
		return;
	}
	EXPECT_STR(m.domain_type, "kvm");
	EXPECT_INT(m.id, 7);
	EXPECT_STR(m.name, "web&db AB");
	EXPECT_INT(m.max_mem_bytes, 4ULL << 30);
	EXPECT_INT(m.mem_bytes, 3000000000ULL);
	EXPECT_INT(m.vcpus, 2);
	EXPECT_INT(m.max_vcpus, 8);
	EXPECT_STR(m.arch, "x86_64");
	EXPECT_STR(m.machine, "pc-q35-7.2");
	EXPECT_STR(m.os_type, "hvm");
	EXPECT_STR(m.features, "acpi apic pae");
	EXPECT_STR(m.cpu_mode, "host-model");
	EXPECT_STR(m.cpu_model, "Skylake-Client");
	EXPECT_STR(m.emulator, "/usr/bin/qemu-<x>");
	EXPECT_INT(m.n_disks, 2);
	if (m.n_disks == 2) {
		EXPECT_STR(m.disks[0].target, "vda");
		EXPECT_STR(m.disks[0].format, "qcow2");
		EXPECT_STR(m.disks[1].device, "cdrom");
		EXPECT_STR(m.disks[1].bus, "sata");
		EXPECT_TRUE(!m.disks[1].format);
	}
	EXPECT_INT(m.n_nics, 1);
	if (m.n_nics == 1) {
		EXPECT_STR(m.nics[0].model, "e1000e");
		EXPECT_STR(m.nics[0].type, "bridge");
		EXPECT_STR(m.nics[0].target, "vnet3");
	}
	vmm_meta_free(&m);
}

TEST(xml_defaults_without_units_current_or_mode)
{
	struct vmm_meta m = { 0 };
	char err[256];

	EXPECT_INT(vmm_meta_from_xml("<domain type='qemu'><name>a</name><memory>1024</memory>"
				     "<vcpu>3</vcpu><cpu><model>qemu64</model></cpu>"
				     "<devices/></domain>", &m, err, sizeof(err)), 0);
	EXPECT_INT(m.max_mem_bytes, 1024 * 1024);
	EXPECT_INT(m.mem_bytes, 1024 * 1024);
	EXPECT_INT(m.vcpus, 3);
	EXPECT_INT(m.id, -1);
	EXPECT_STR(m.cpu_mode, "custom");
	EXPECT_STR(m.cpu_model, "qemu64");
	EXPECT_INT(m.n_disks, 0);
	EXPECT_INT(m.n_nics, 0);
	EXPECT_TRUE(!m.features);
	vmm_meta_free(&m);
}

static void expect_bad_xml(int *failed, const char *xml, const char *why)
{
	struct vmm_meta m = { 0 };
	char err[256] = "";
	int r = vmm_meta_from_xml(xml, &m, err, sizeof(err));

	if (r != -EINVAL)
		FAIL("'%s': expected -EINVAL, got %d", xml, r);
	else if (!strstr(err, why))
		FAIL("'%s': expected an error with \"%s\", got \"%s\"", xml, why, err);
	vmm_meta_free(&m);
}

TEST(xml_malformed_is_refused_with_the_reason)
{
	expect_bad_xml(failed, "<domain><name>a</nam></domain>",
		       "closing tag </nam> does not match <name>");
	expect_bad_xml(failed, "<domain><name>a&nbsp;b</name></domain>",
		       "unknown or malformed entity reference '&nbsp;b</na'");
	expect_bad_xml(failed, "<domain/><domain/>", "more than one root element");
	expect_bad_xml(failed, "<domain><devices>", "element <devices> is not closed");
	expect_bad_xml(failed, "<domain type=kvm/>", "attribute value of <domain> is not quoted");
	expect_bad_xml(failed, "<domain type='kvm/>", "unterminated attribute value in <domain>");
	expect_bad_xml(failed, "", "no root element");
	expect_bad_xml(failed, "<network/>", "root element is <network>, not <domain>");
	expect_bad_xml(failed, "<domain>x</domain>y", "text outside the root element");
	expect_bad_xml(failed, "<domain><!-- open", "unterminated comment");
}

TEST(xml_nesting_depth_is_bounded)
{
	size_t depth = 300, i;
	char *xml = malloc(depth * 7 + 32), *p = xml;

	p += sprintf(p, "<domain>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</domain>");
	expect_bad_xml(failed, xml, "elements nested deeper than 256");
	free(xml);
}

/* ---- the guest agent's channel in the domain XML ------------------------------- */

#define AGENT "org.hvtrace.0"

/* A domain whose <devices> hold CHANNELS, with a decoy in <metadata> and a comment. */
static char *domain_with(const char *channels)
{
	static const char head[] =
		"<domain type='qemu' id='3'><name>g</name>"
		"<metadata><app:x xmlns:app='urn:x'><channel type='unix'><source mode='bind' "
		"path='/decoy.sock'/><target type='virtio' name='org.hvtrace.0'/></channel>"
		"</app:x></metadata>"
		"<!-- <devices><channel type='unix'><source mode='bind' path='/c.sock'/>"
		"<target type='virtio' name='org.hvtrace.0'/></channel></devices> -->"
		"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>";
	static const char tail[] = "</devices></domain>";
	char *xml = malloc(sizeof(head) + strlen(channels) + sizeof(tail));

	if (xml)
		sprintf(xml, "%s%s%s", head, channels, tail);
	return xml;
}

/* CHANNELS in a domain: expects RET and, for 0, PATH, else an error holding WHY. */
static void expect_channel(int *failed, const char *channels, int want, const char *path_or_why)
{
	char *xml = domain_with(channels), path[VMM_CHANNEL_PATH_MAX] = "", err[256] = "";
	int r;

	if (!xml) {
		FAIL("out of memory");
		return;
	}
	r = vmm_channel_from_xml(xml, AGENT, path, sizeof(path), err, sizeof(err));
	if (r != want)
		FAIL("'%s': expected %d, got %d (%s)", channels, want, r, err);
	else if (!r && strcmp(path, path_or_why))
		FAIL("'%s': expected path \"%s\", got \"%s\"", channels, path_or_why, path);
	else if (r && !strstr(err, path_or_why))
		FAIL("'%s': expected an error with \"%s\", got \"%s\"", channels, path_or_why, err);
	free(xml);
}

/* As libvirt 9.0 writes a running domain: the guest agent's channel first, then ours. */
TEST(channel_found_among_others_in_live_xml)
{
	expect_channel(failed,
		       "<channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/"
		       "channel/target/domain-3-g/org.qemu.guest_agent.0'/><target type='virtio' "
		       "name='org.qemu.guest_agent.0' state='disconnected'/><alias name='channel0'/>"
		       "<address type='virtio-serial' controller='0' bus='0' port='1'/></channel>"
		       "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/>"
		       "</channel>"
		       "<channel type='unix'>\n  <source mode='bind' path='/run/vm &amp; co/"
		       "it&apos;s.sock'/>\n  <target type='virtio' name='org.hvtrace.0' "
		       "state='connected'/>\n  <alias name='channel2'/></channel>",
		       0, "/run/vm & co/it's.sock");
}

TEST(channel_absent_or_only_in_metadata_is_not_found)
{
	expect_channel(failed, "", -ENOENT,
		       "it has no <channel> with <target type='virtio' name='org.hvtrace.0'>");
	/* Another port, a guestfwd target of the same name, a target without a name. */
	expect_channel(failed,
		       "<channel type='unix'><source mode='bind' path='/a.sock'/>"
		       "<target type='virtio' name='org.hvtrace.1'/></channel>"
		       "<channel type='unix'><source mode='bind' path='/b.sock'/>"
		       "<target type='guestfwd' name='org.hvtrace.0'/></channel>"
		       "<channel type='unix'><source mode='bind' path='/c.sock'/>"
		       "<target type='virtio'/></channel>",
		       -ENOENT, "it has no <channel>");
}

TEST(channel_that_cannot_be_connected_to_says_why)
{
	expect_channel(failed, "<channel><source mode='bind' path='/a.sock'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "its channel org.hvtrace.0 has no type");
	expect_channel(failed, "<channel type='pty'><target type='virtio' "
		       "name='org.hvtrace.0'/></channel>",
		       -EINVAL, "is of type 'pty', not 'unix'");
	expect_channel(failed, "<channel type='unix'><source mode='connect' path='/a.sock'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "has <source mode='connect'>, not 'bind'");
	expect_channel(failed, "<channel type='unix'><source path='/a.sock'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "has <source mode=''>, not 'bind'");
	expect_channel(failed, "<channel type='unix'><target type='virtio' "
		       "name='org.hvtrace.0'/></channel>",
		       -EINVAL, "has <source mode=''>");
	expect_channel(failed, "<channel type='unix'><source mode='bind'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "its channel org.hvtrace.0 has no <source path>");
	expect_channel(failed, "<channel type='unix'><source mode='bind' path=''/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "has no <source path>");
	expect_channel(failed, "<channel type='unix'><source mode='bind' path='run/a.sock'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "has a relative path 'run/a.sock'");
	expect_channel(failed, "<channel type='unix'><source mode='bind' path='/a&#10;b'/>"
		       "<target type='virtio' name='org.hvtrace.0'/></channel>",
		       -EINVAL, "holds a control character");
}

/*
 * CHANNELS in a domain must be refused with an error holding WHY and no
 * control character: the XML is whoever defined the domain's, the error goes
 * to a terminal. (Failures show bytes as hex, not raw.)
 */
static void expect_channel_error_printable(int *failed, const char *channels, const char *why)
{
	char *xml = domain_with(channels), path[VMM_CHANNEL_PATH_MAX] = "", err[256] = "";
	const unsigned char *u;
	int r;

	if (!xml) {
		FAIL("out of memory");
		return;
	}
	r = vmm_channel_from_xml(xml, AGENT, path, sizeof(path), err, sizeof(err));
	free(xml);
	for (u = (const unsigned char *)err; *u; u++) {
		if (*u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)) {
			FAIL("error for a channel with \"%s\" holds byte 0x%02x at %zu", why, *u,
			     (size_t)(u - (const unsigned char *)err));
			return;
		}
	}
	if (r != -EINVAL)
		FAIL("expected -EINVAL (%s), got %d", why, r);
	else if (!strstr(err, why))
		FAIL("expected an error with \"%s\", got \"%s\"", why, err);
}

TEST(channel_errors_print_no_control_characters_from_the_xml)
{
	/* A relative path is checked for control characters before it is quoted. */
	expect_channel_error_printable(failed, "<channel type='unix'><source mode='bind' "
				       "path='run/\x1b]0;owned\x07.sock'/><target type='virtio' "
				       "name='org.hvtrace.0'/></channel>",
				       "the path of its channel org.hvtrace.0 holds a control "
				       "character");
	expect_channel_error_printable(failed, "<channel type='unix'><source mode='bind' "
				       "path='run/&#27;[2J'/><target type='virtio' "
				       "name='org.hvtrace.0'/></channel>",
				       "holds a control character");
	/* C1's CSI as UTF-8 (U+009B) is one too. */
	expect_channel_error_printable(failed, "<channel type='unix'><source mode='bind' "
				       "path='/a&#155;2Jb'/><target type='virtio' "
				       "name='org.hvtrace.0'/></channel>",
				       "holds a control character");
	/* The type and the mode are quoted with their control characters replaced. */
	expect_channel_error_printable(failed, "<channel type='\x1b[31mpty'><target "
				       "type='virtio' name='org.hvtrace.0'/></channel>",
				       "is of type '?[31mpty', not 'unix'");
	expect_channel_error_printable(failed, "<channel type='unix'><source mode='&#27;[2J' "
				       "path='/a.sock'/><target type='virtio' "
				       "name='org.hvtrace.0'/></channel>",
				       "has <source mode='?[2J'>, not 'bind'");
}

TEST(xml_errors_print_no_control_characters)
{
	char path[VMM_CHANNEL_PATH_MAX], err[256] = "";
	struct vmm_meta m = { 0 };

	EXPECT_INT(vmm_channel_from_xml("<\x1b[2Jdomain/>", AGENT, path, sizeof(path), err,
					sizeof(err)), -EINVAL);
	EXPECT_STR(err, "cannot read the domain XML: root element is <?[2Jdomain>, not <domain>");
	EXPECT_INT(vmm_meta_from_xml("<\x1b[2Jdomain/>", &m, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "cannot read the domain XML: root element is <?[2Jdomain>, not <domain>");
	vmm_meta_free(&m);
	EXPECT_INT(vmm_channel_from_xml("<domain><a b='&\x1b[2J;'/></domain>", AGENT, path,
					sizeof(path), err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "'&?[2J;'") != NULL);
}

/* sun_path holds 108 bytes: 107 characters and the NUL fit, 108 do not. */
TEST(channel_path_length_is_bounded_by_a_socket_address)
{
	char path[200], ch[400], small[16], err[256] = "";
	char *xml;

	path[0] = '/';
	memset(path + 1, 'p', 106);
	path[107] = '\0';
	snprintf(ch, sizeof(ch), "<channel type='unix'><source mode='bind' path='%s'/>"
		 "<target type='virtio' name='org.hvtrace.0'/></channel>", path);
	expect_channel(failed, ch, 0, path);
	strcat(path, "q");
	snprintf(ch, sizeof(ch), "<channel type='unix'><source mode='bind' path='%s'/>"
		 "<target type='virtio' name='org.hvtrace.0'/></channel>", path);
	expect_channel(failed, ch, -EINVAL,
		       "the path of its channel org.hvtrace.0 is 108 bytes long; a unix socket "
		       "address holds at most 107");
	/* A caller's smaller buffer is never overrun either. */
	xml = domain_with("<channel type='unix'><source mode='bind' path='/0123456789abcdef'/>"
			  "<target type='virtio' name='org.hvtrace.0'/></channel>");
	memset(small, 'x', sizeof(small));
	EXPECT_INT(vmm_channel_from_xml(xml, AGENT, small, sizeof(small), err, sizeof(err)),
		   -EINVAL);
	EXPECT_INT(small[0], 'x');
	free(xml);
}

TEST(channel_from_malformed_xml_is_refused)
{
	static const struct { const char *xml, *why; } bad[] = {
		{ "<domain><devices><channel type='unix'><source mode='bind' path='/a.sock'>"
		  "</channel></devices></domain>",
		  "closing tag </channel> does not match <source>" },
		{ "<domain><devices><channel type='unix' path='/a.sock></devices></domain>",
		  "unterminated attribute value in <channel>" },
		{ "<network><channel type='unix'/></network>", "root element is <network>" },
		{ "", "no root element" },
	};
	char path[VMM_CHANNEL_PATH_MAX] = "", err[256];
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		r = vmm_channel_from_xml(bad[i].xml, AGENT, path, sizeof(path), err, sizeof(err));
		if (r != -EINVAL || !strstr(err, "cannot read the domain XML: ") ||
		    !strstr(err, bad[i].why))
			FAIL("'%s': expected -EINVAL with \"%s\", got %d \"%s\"", bad[i].xml,
			     bad[i].why, r, err);
	}
	EXPECT_STR(path, "");
}

TEST(test_domain_has_no_agent_channel)
{
	struct vmm *v = open_test(failed, "test");
	char path[VMM_CHANNEL_PATH_MAX], err[512] = "";

	if (!v)
		return;
	EXPECT_INT(vmm_channel(v, AGENT, path, sizeof(path), err, sizeof(err)), -ENOENT);
	EXPECT_STR(err, "domain 'test': it has no <channel> with <target type='virtio' "
		   "name='org.hvtrace.0'>");
	vmm_close(v);
}

/* ---- QEMU's query-cpus-fast ------------------------------------------------- */

TEST(qmp_vcpus_ignore_the_topology_thread_id)
{
	/* As QEMU 7.2 answers, out of order; "props" has a thread-id of its own. */
	const char *reply =
		"{\"return\": [{\"thread-id\": 3311, \"props\": {\"core-id\": 0, "
		"\"thread-id\": 0, \"socket-id\": 1}, \"qom-path\": \"/machine/unattached/"
		"device[2]\", \"cpu-index\": 1, \"target\": \"x86_64\"}, {\"thread-id\":3310,"
		"\"props\":{\"core-id\":0,\"thread-id\":0,\"socket-id\":0},\"qom-path\":\"/m/"
		"\\\"q\\\"[0]\",\"cpu-index\":0,\"target\":\"x86_64\"}], \"id\": \"libvirt-9\"}";
	struct vmm_vcpu *v = NULL;
	size_t n = 0;

	EXPECT_INT(vmm_parse_query_cpus(reply, &v, &n), 0);
	EXPECT_INT(n, 2);
	if (n == 2) {
		EXPECT_INT(v[0].index, 0);
		EXPECT_INT(v[0].tid, 3310);
		EXPECT_INT(v[1].index, 1);
		EXPECT_INT(v[1].tid, 3311);
	}
	free(v);
}

TEST(qmp_vcpu_without_thread_id_is_refused)
{
	struct vmm_vcpu *v = NULL;
	size_t n = 0;

	EXPECT_INT(vmm_parse_query_cpus("{\"return\":[{\"cpu-index\":0}]}", &v, &n), -EPROTO);
}

/* ---- into a recording -------------------------------------------------------- */

static sqlite3 *open_db(int *failed, const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		FAIL("cannot open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* One integer (or -1 when there is no row) from a query. */
static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *q_str(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

#define EXPECT_Q_STR(db, sql, want)                                                \
	do {                                                                       \
		char *s_ = q_str(db, sql);                                         \
		EXPECT_STR(s_, want);                                              \
		free(s_);                                                          \
	} while (0)

static void put(int *failed, struct vmm_sample *s, const char *name, uint64_t v)
{
	if (vmm_sample_put(s, name, v))
		FAIL("vmm_sample_put(%s)", name);
}

/*
 * Three ticks of a made-up QEMU domain, the last in phase 1: deltas in series,
 * per-phase sums in stat, absent values without rows, a counter reset.
 */
TEST(rec_writes_deltas_and_leaves_missing_values_out)
{
	char path[] = "/tmp/hvtrace-test-vmm.XXXXXX", err[256];
	struct vmm_sample s = { 0 };
	struct recfile *rf;
	struct vmm_rec *w;
	sqlite3 *db;
	int fd = mkstemp(path), tick;

	if (fd < 0) {
		FAIL("mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	rf = recfile_create(path, err, sizeof(err));
	w = vmm_rec_new(1);
	if (!rf || !w) {
		FAIL("recfile_create: %s", err);
		goto out;
	}
	for (tick = 0; tick < 3; tick++) {
		s.n = 0;
		s.state = 1;
		s.groups = VMM_GROUP_CPU | VMM_GROUP_VCPU | VMM_GROUP_NET;
		s.per_call = 0;
		s.t_mono_ns = 1000 + tick;
		put(failed, &s, "cpu.time", 1000000 * (tick + 1));
		put(failed, &s, "cpu.user", 500000 * (tick + 1));
		/* cpu.system is not given */
		put(failed, &s, "vcpu.current", 1);
		put(failed, &s, "vcpu.0.time", tick == 2 ? 100 : 400000 * (tick + 1));
		put(failed, &s, "vcpu.0.wait", 0);
		put(failed, &s, "net.count", 1);
		vmm_sample_put_str(&s, "net.0.name", "vnet7");
		recfile_begin(rf);
		EXPECT_INT(vmm_rec_sample(w, rf, tick, tick == 2 ? 1 : 0, &s), 0);
		recfile_commit(rf);
	}
	recfile_close(rf);
	rf = NULL;
	db = open_db(failed, path);
	if (!db)
		goto out;
	/* cpu.time: +1 ms per tick; the first tick is the baseline. */
	EXPECT_INT(q_int(db, "SELECT count(*) FROM series WHERE kind = 'vm.cpu.time'"), 2);
	EXPECT_INT(q_int(db, "SELECT sum_ns FROM series WHERE kind = 'vm.cpu.time' AND tick = 2"),
		   1000000);
	EXPECT_INT(q_int(db, "SELECT key FROM series WHERE kind = 'vm.cpu.time' AND tick = 1"),
		   1LL << 32);
	EXPECT_INT(q_int(db, "SELECT sum_ns FROM stat WHERE kind = 'vm.cpu.time' AND phase = 0"),
		   1000000);
	EXPECT_INT(q_int(db, "SELECT sum_ns FROM stat WHERE kind = 'vm.cpu.time' AND phase = 1"),
		   1000000);
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.cpu.time' AND phase = 0", "total");
	EXPECT_Q_STR(db, "SELECT view FROM stat WHERE kind = 'vm.cpu.time' AND phase = 0", "host");
	/* Measured zero is a row holding 0; not measured is no row. */
	EXPECT_INT(q_int(db, "SELECT sum_ns FROM series WHERE kind = 'vm.vcpu.wait' AND tick = 1"),
		   0);
	EXPECT_INT(q_int(db, "SELECT count(*) FROM stat WHERE kind = 'vm.cpu.system'"), 0);
	EXPECT_INT(q_int(db, "SELECT count(*) FROM series WHERE kind = 'vm.cpu.system'"), 0);
	EXPECT_INT(q_int(db, "SELECT count(*) FROM series WHERE kind LIKE 'vm.net.%'"), 0);
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.vcpu.time' AND phase = 0",
		     "vcpu0");
	/* vcpu.0.time went down at tick 2: a restart, counted from 0. */
	EXPECT_INT(q_int(db, "SELECT sum_ns FROM series WHERE kind = 'vm.vcpu.time' AND tick = 2"),
		   100);
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.1.stats.resets'", "1");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.1.stats.cpu-total'", "bulk");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.1.stats.block'", "missing");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.1.stats.missing'",
		     "cpu.system vcpu.0.delay net.0.rx.bytes net.0.rx.pkts net.0.rx.errs "
		     "net.0.rx.drop net.0.tx.bytes net.0.tx.pkts net.0.tx.errs net.0.tx.drop");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.1.state'", "running");
	sqlite3_close(db);
out:
	recfile_close(rf);
	vmm_rec_free(w);
	vmm_sample_free(&s);
	unlink(path);
}

TEST(rec_meta_of_the_test_domain)
{
	char path[] = "/tmp/hvtrace-test-vmm.XXXXXX", err[512];
	struct vmm *v = open_test(failed, "test");
	struct vmm_vcpu vc[2] = { { 0, 4242 }, { 1, 4243 } };
	struct vmm_meta m;
	struct recfile *rf = NULL;
	sqlite3 *db;
	int fd = mkstemp(path);

	if (!v || fd < 0)
		goto out;
	close(fd);
	if (vmm_get_meta(v, &m, err, sizeof(err))) {
		FAIL("%s", err);
		goto out;
	}
	rf = recfile_create(path, err, sizeof(err));
	if (!rf) {
		FAIL("%s", err);
		vmm_meta_free(&m);
		goto out;
	}
	recfile_begin(rf);
	EXPECT_INT(vmm_rec_meta(rf, 0, &m), 0);
	EXPECT_INT(vmm_rec_threads(rf, 0, 4241, vc, 2, VMM_TIDS_COMM), 0);
	recfile_commit(rf);
	recfile_close(rf);
	rf = NULL;
	vmm_meta_free(&m);
	db = open_db(failed, path);
	if (!db)
		goto out;
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.name'", "test");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.hypervisor'", "TEST");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.vcpus'", "2");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.mem_bytes'", "2147483648");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.disk.0.target'", "vda");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.nic.0.target'", "testnet0");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.vcpu_tids'", "0:4242 1:4243");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.vcpu_tids_source'", "comm");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.pid'", "4241");
	EXPECT_INT(q_int(db, "SELECT count(*) FROM meta WHERE key = 'vm.0.cpu_model'"), 0);
	sqlite3_close(db);
out:
	recfile_close(rf);
	vmm_close(v);
	unlink(path);
}

/* The test driver end to end: its stats per call, recorded honestly. */
TEST(rec_test_domain_stats_say_how_and_what_is_missing)
{
	char path[] = "/tmp/hvtrace-test-vmm.XXXXXX", err[512];
	struct vmm *v = open_test(failed, "test");
	struct vmm_sample s = { 0 };
	struct recfile *rf = NULL;
	struct vmm_rec *w = vmm_rec_new(0);
	sqlite3 *db;
	int fd = mkstemp(path), tick;

	if (!v || !w || fd < 0)
		goto out;
	close(fd);
	rf = recfile_create(path, err, sizeof(err));
	if (!rf) {
		FAIL("%s", err);
		goto out;
	}
	for (tick = 0; tick < 2; tick++) {
		if (vmm_sample(v, &s, err, sizeof(err))) {
			FAIL("%s", err);
			goto out;
		}
		recfile_begin(rf);
		EXPECT_INT(vmm_rec_sample(w, rf, tick, 0, &s), 0);
		recfile_commit(rf);
		usleep(10000);
	}
	recfile_close(rf);
	rf = NULL;
	db = open_db(failed, path);
	if (!db)
		goto out;
	EXPECT_TRUE(q_int(db, "SELECT sum_ns FROM series WHERE kind = 'vm.cpu.time'") > 0);
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.block.rd.reqs'", "vda");
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.net.rx.bytes'", "testnet0");
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.vcpu.time' AND key = 1", "vcpu1");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.cpu-total'", "per-call");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.interface'", "per-call");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.missing'",
		     "cpu.user cpu.system vcpu.0.wait vcpu.0.delay vcpu.1.wait vcpu.1.delay "
		     "block.0.rd.times block.0.wr.times block.0.fl.reqs block.0.fl.times");
	EXPECT_INT(q_int(db, "SELECT count(*) FROM stat WHERE kind IN ('vm.cpu.user', "
			 "'vm.vcpu.wait', 'vm.vcpu.delay', 'vm.block.rd.times')"), 0);
	sqlite3_close(db);
out:
	recfile_close(rf);
	vmm_rec_free(w);
	vmm_sample_free(&s);
	vmm_close(v);
	unlink(path);
}

/* ---- a real QEMU domain (run by tests/t_libvirt.sh) ------------------------ */

static struct vmm *open_live(int *failed)
{
	const char *uri = getenv("HVT_TEST_LIBVIRT_URI"), *dom = getenv("HVT_TEST_LIBVIRT_DOMAIN");
	char err[512];
	struct vmm *v = vmm_open(uri, dom, err, sizeof(err));

	if (!v)
		FAIL("vmm_open(%s, %s): %s", uri ? uri : "(default)", dom, err);
	return v;
}

/* The vCPU threads: exactly the configured number, all threads of the QEMU process. */
static void libvirt_live_vcpu_threads(int *failed)
{
	static const enum vmm_tid_source how[] = { VMM_TIDS_AUTO, VMM_TIDS_COMM, VMM_TIDS_QMP };
	const char *want = getenv("HVT_TEST_LIBVIRT_VCPUS");
	struct vmm_vcpu t[3][64];
	size_t n[3] = { 0 }, i, k;
	enum vmm_tid_source used;
	struct vmm *v = open_live(failed);
	char err[512], path[96], comm[32] = "", name[64];
	pid_t pid = 0;
	FILE *f;

	if (!v)
		return;
	if (vmm_pid(v, &pid, err, sizeof(err))) {
		FAIL("vmm_pid: %s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	EXPECT_TRUE(!strncmp(comm, "qemu-system", 11));
	for (k = 0; k < 3; k++) {
		if (vmm_vcpu_tids(v, how[k], t[k], 64, &n[k], &used, err, sizeof(err))) {
			FAIL("vmm_vcpu_tids(%s): %s", vmm_tid_source_name(how[k]), err);
			continue;
		}
		EXPECT_INT(n[k], want ? atoi(want) : -1);
		EXPECT_STR(vmm_tid_source_name(used),
			   vmm_tid_source_name(how[k] == VMM_TIDS_AUTO ? VMM_TIDS_COMM : how[k]));
		for (i = 0; i < n[k]; i++) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid,
				 (int)t[k][i].tid);
			f = fopen(path, "re");
			if (!f) {
				FAIL("vCPU %d: %d is not a thread of QEMU %d", t[k][i].index,
				     (int)t[k][i].tid, (int)pid);
				continue;
			}
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
			comm[strcspn(comm, "\n")] = '\0';
			snprintf(name, sizeof(name), "CPU %d/TCG", t[k][i].index);
			EXPECT_STR(comm, name);
			EXPECT_INT(t[k][i].index, (int)i);
		}
	}
	/* The thread names and QEMU's own list agree. */
	for (i = 0; i < n[1] && i < n[2]; i++)
		EXPECT_INT(t[1][i].tid, t[2][i].tid);
out:
	vmm_close(v);
}

static void libvirt_live_metadata(int *failed)
{
	const char *want = getenv("HVT_TEST_LIBVIRT_VCPUS");
	struct vmm *v = open_live(failed);
	struct vmm_meta m;
	char err[512];

	if (!v)
		return;
	if (vmm_get_meta(v, &m, err, sizeof(err))) {
		FAIL("%s", err);
		vmm_close(v);
		return;
	}
	EXPECT_STR(m.hypervisor, "QEMU");
	EXPECT_STR(m.domain_type, "qemu");
	EXPECT_STR(m.state, "running");
	EXPECT_INT(m.vcpus, want ? atoi(want) : -1);
	EXPECT_STR(m.cpu_model, "qemu64");
	EXPECT_STR(m.features, "acpi");
	EXPECT_TRUE(m.hypervisor_version && m.emulator);
	EXPECT_INT(m.n_disks, 1);
	if (m.n_disks == 1)
		EXPECT_STR(m.disks[0].bus, "virtio");
	EXPECT_INT(m.n_nics, 1);
	if (m.n_nics == 1)
		EXPECT_STR(m.nics[0].model, "virtio");
	vmm_meta_free(&m);
	vmm_close(v);
}

/*
 * Two samples a little apart, recorded: the domain used CPU time; QEMU's stats
 * come in bulk; its user-mode NIC has no host device, so no counters.
 */
static void libvirt_live_stats(int *failed)
{
	char path[] = "/tmp/hvtrace-test-vmm.XXXXXX", err[512];
	struct vmm *v = open_live(failed);
	struct vmm_sample s = { 0 };
	struct recfile *rf = NULL;
	struct vmm_rec *w = vmm_rec_new(0);
	const struct vmm_field *f;
	uint64_t t0 = 0;
	sqlite3 *db;
	int fd = mkstemp(path), tick;

	if (!v || !w || fd < 0)
		goto out;
	close(fd);
	rf = recfile_create(path, err, sizeof(err));
	if (!rf) {
		FAIL("%s", err);
		goto out;
	}
	for (tick = 0; tick < 2; tick++) {
		if (tick)
			usleep(300000);
		if (vmm_sample(v, &s, err, sizeof(err)) || !(f = vmm_sample_get(&s, "cpu.time"))) {
			FAIL("sample %d: %s", tick, err);
			goto out;
		}
		if (tick)
			EXPECT_TRUE(f->value > t0);
		t0 = f->value;
		EXPECT_INT(s.groups, VMM_GROUP_ALL);
		EXPECT_INT(s.per_call, 0);
		recfile_begin(rf);
		EXPECT_INT(vmm_rec_sample(w, rf, tick, 0, &s), 0);
		recfile_commit(rf);
	}
	EXPECT_TRUE(vmm_sample_get(&s, "cpu.user") && vmm_sample_get(&s, "vcpu.0.delay"));
	EXPECT_TRUE(vmm_sample_get(&s, "block.0.rd.reqs"));
	recfile_close(rf);
	rf = NULL;
	db = open_db(failed, path);
	if (!db)
		goto out;
	EXPECT_TRUE(q_int(db, "SELECT sum_ns FROM series WHERE kind = 'vm.cpu.time'") > 0);
	EXPECT_TRUE(q_int(db, "SELECT count(*) FROM series WHERE kind = 'vm.vcpu.time'") ==
		    atoi(getenv("HVT_TEST_LIBVIRT_VCPUS") ?: "0"));
	EXPECT_Q_STR(db, "SELECT name FROM stat WHERE kind = 'vm.block.rd.reqs'", "vda");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.cpu-total'", "bulk");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.interface'", "bulk");
	EXPECT_Q_STR(db, "SELECT value FROM meta WHERE key = 'vm.0.stats.missing'",
		     "net.0.rx.bytes net.0.rx.pkts net.0.rx.errs net.0.rx.drop net.0.tx.bytes "
		     "net.0.tx.pkts net.0.tx.errs net.0.tx.drop");
	EXPECT_INT(q_int(db, "SELECT count(*) FROM stat WHERE kind LIKE 'vm.net.%'"), 0);
	sqlite3_close(db);
out:
	recfile_close(rf);
	vmm_rec_free(w);
	vmm_sample_free(&s);
	vmm_close(v);
	unlink(path);
}

static void libvirt_live_unknown_domain(int *failed)
{
	const char *uri = getenv("HVT_TEST_LIBVIRT_URI");
	char err[512] = "", want[512];

	EXPECT_TRUE(!vmm_open(uri, "hvt-no-such-domain", err, sizeof(err)));
	EXPECT_INT(errno, ENOENT);
	snprintf(want, sizeof(want), "no domain 'hvt-no-such-domain' on %s (see: virsh -c %s "
		 "list --all)", uri, uri);
	EXPECT_STR(err, want);
}

__attribute__((constructor)) static void reg_live(void)
{
	static const struct unit_test live[] = {
		{ "libvirt_live_vcpu_threads", libvirt_live_vcpu_threads },
		{ "libvirt_live_metadata", libvirt_live_metadata },
		{ "libvirt_live_stats", libvirt_live_stats },
		{ "libvirt_live_unknown_domain", libvirt_live_unknown_domain },
	};
	size_t i;

	if (!getenv("HVT_TEST_LIBVIRT_DOMAIN"))
		return;
	for (i = 0; i < sizeof(live) / sizeof(live[0]) && unit_n < MAX_TESTS; i++)
		unit_tests[unit_n++] = live[i];
}
