// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace detect: which hypervisor this is, how it runs the guest, and why we think so. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "detect.h"
#include "jsonw.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace detect [--json] [--root DIR] [--cpuid FILE]\n"
		"\n"
		"Says which hypervisor runs this system (KVM, Xen, VMware, VirtualBox, Hyper-V,\n"
		"QEMU TCG, PVM, ... or bare metal), how it runs the guest (Xen PV/HVM/PVH,\n"
		"hardware-assisted, emulated), whether this is a container, and the evidence\n"
		"for each conclusion. Root sees more (the kernel log holds the kernel's verdict).\n"
		"\n"
		"Options:\n"
		"  --json         machine-readable output\n"
		"  --root DIR     read /sys, /proc, /run and /dev/kmsg below DIR (a snapshot)\n"
		"  --cpuid FILE   take CPUID answers from FILE (`cpuid -r` output) instead of\n"
		"                 the CPUID instruction\n"
		"  -h, --help     this text\n"
		"\n"
		"Examples:\n"
		"  hvtrace detect\n"
		"  sudo hvtrace detect --json\n"
		"  hvtrace detect --root snap/ --cpuid snap/cpuid.txt   # judge a snapshot\n");
}

static const char *mode_text(const char *mode)
{
	if (!strcmp(mode, "PV"))
		return "paravirtualized: the guest kernel runs deprivileged, no hardware "
		       "virtualization";
	if (!strcmp(mode, "HVM"))
		return "hardware-assisted (VT-x/AMD-V)";
	if (!strcmp(mode, "PVH"))
		return "hardware-assisted, paravirtualized boot and devices, no emulated PC";
	if (!strcmp(mode, "emulated"))
		return "every guest instruction translated in software";
	return "";
}

static const char *or_none(const char *s)
{
	return s[0] ? s : "none";
}

static void print_text(const struct detect_result *r)
{
	int i;

	printf("%s (%s)\n", r->summary, hvt_env_kind_name(r->kind));
	printf("  hypervisor   %s\n", or_none(r->hypervisor));
	if (r->mode[0])
		printf("  mode         %s (%s)\n", r->mode, mode_text(r->mode));
	if (r->platform[0])
		printf("  platform     %s\n", r->platform);
	if (r->outer[0])
		printf("  nested in    %s (it answers user-space CPUID)\n", r->outer);
	printf("  container    %s\n", or_none(r->container));
	printf("  clocksource  %s\n", or_none(r->clocksource));
	printf("\nEvidence:\n");
	for (i = 0; i < r->n_evidence; i++) {
		const struct detect_evidence *e = &r->evidence[i];

		printf("  %s: %s\n", e->source, e->value);
		if (e->implies[0])
			printf("      => %s\n", e->implies);
	}
	if (r->n_dropped)
		printf("  (%d more not kept)\n", r->n_dropped);
}

static void json_str_or_null(struct jsonw *w, const char *name, const char *s)
{
	jsonw_string_field(w, name, s[0] ? s : NULL);
}

static void print_json(const struct detect_result *r)
{
	struct jsonw *w = jsonw_new(stdout);
	int i;

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "summary", r->summary);
	jsonw_string_field(w, "kind", hvt_env_kind_name(r->kind));
	json_str_or_null(w, "hypervisor", r->hypervisor);
	json_str_or_null(w, "mode", r->mode);
	json_str_or_null(w, "platform", r->platform);
	json_str_or_null(w, "outer_hypervisor", r->outer);
	json_str_or_null(w, "container", r->container);
	json_str_or_null(w, "clocksource", r->clocksource);
	jsonw_name(w, "cpuid");
	jsonw_start_object(w);
	jsonw_bool_field(w, "hypervisor_bit", r->cpuid_hv_bit);
	json_str_or_null(w, "signature", r->cpuid_signature);
	jsonw_end_object(w);
	jsonw_name(w, "evidence");
	jsonw_start_array(w);
	for (i = 0; i < r->n_evidence; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "source", r->evidence[i].source);
		jsonw_string_field(w, "value", r->evidence[i].value);
		jsonw_string_field(w, "implies", r->evidence[i].implies);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_int_field(w, "evidence_dropped", r->n_dropped);
	jsonw_end_object(w);
	jsonw_destroy(w);
}

int cmd_detect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "cpuid", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct detect_opts opts = { 0 };
	struct detect_result res;
	int opt, json = 0, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'r':
			opts.root = optarg;
			break;
		case 'c':
			opts.cpuid_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			fprintf(stderr, "Try 'hvtrace detect --help'.\n");
			return HVT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return hvt_usage_err("detect", "unexpected argument '%s'", argv[optind]);
	if (opts.root && !opts.root[0])
		return hvt_usage_err("detect", "--root needs a directory");
	if (opts.cpuid_file && !opts.cpuid_file[0])
		return hvt_usage_err("detect", "--cpuid needs a file");

	err = hvt_detect(&opts, &res);
	if (err) {
		hvt_err("detect: %s", res.errmsg);
		return HVT_EXIT_FAIL;
	}
	if (json)
		print_json(&res);
	else
		print_text(&res);
	if (fflush(stdout) || ferror(stdout)) {
		hvt_err("detect: cannot write the output");
		return HVT_EXIT_FAIL;
	}
	return HVT_EXIT_OK;
}
