// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace calibrate: run the calibration probes that `record` runs before a
 * workload, and print their unit costs (text table or --json).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "calib.h"
#include "cmds.h"
#include "jsonw.h"
#include "util.h"

#define MAX_BUDGET_MS (CALIB_MAX_BUDGET_NS / 1000000)

static void usage(FILE *f)
{
	const struct calib_probe_info *pi;
	size_t i;

	fprintf(f, "Usage: hvtrace calibrate [--json] [--probe NAME]... [--budget-ms N]\n"
		   "\n"
		   "Measures, where it runs (natively or inside any guest), the unit cost of what\n"
		   "virtualization makes expensive. `hvtrace record` runs the same probes before\n"
		   "the workload and stores the results in the recording.\n"
		   "\n"
		   "Probes, in the order they run:\n");
	for (i = 0; (pi = calib_probe_info(i)); i++)
		fprintf(f, "  %-15s %s\n", pi->name, pi->what);
	fprintf(f, "\n"
		   "Each probe warms up, then times batches in its share of the budget; it prints\n"
		   "the median unit cost of its batches and, after +-, half their inter-quartile\n"
		   "range. Probes that never block are timed in this thread's CPU time, which\n"
		   "leaves out preemption by other tasks (and by the host, where the guest\n"
		   "accounts steal time); those that wait for a child in elapsed time.\n"
		   "\n"
		   "Options:\n"
		   "  -p, --probe NAME    run only this probe (repeat for more)\n"
		   "  -b, --budget-ms N   wall time for all probes (default %lld, 1..%lld); each\n"
		   "                      probe still runs a minimum of iterations\n"
		   "      --json          JSON instead of a table\n"
		   "  -h, --help          this help\n"
		   "\n"
		   "Exit status: 0 success, 1 a probe could not run, 2 usage error.\n"
		   "\n"
		   "Examples:\n"
		   "  hvtrace calibrate\n"
		   "  hvtrace calibrate --probe page_fault --probe fork_exit\n"
		   "  hvtrace calibrate --json --budget-ms 500 > guest-calib.json\n",
		CALIB_DEFAULT_BUDGET_NS / 1000000, (long long)MAX_BUDGET_MS);
}

static void print_text(FILE *f, const struct calib_result *r)
{
	const struct calib_probe_result *p;
	char unit[32], spread[32], iters[32], el[32], bud[32];

	fprintf(f, "%-15s %9s %10s %11s %7s  %s\n", "probe", "unit", "+-spread", "iterations",
		"batches", "timed, how");
	for (p = r->probes; p < r->probes + r->n; p++) {
		if (p->err) {
			fprintf(f, "%-15s %9s %10s %11s %7s  %s\n", p->probe, "-", "-", "-", "-",
				strerror(-p->err));
			continue;
		}
		fmt_ns(unit, sizeof(unit), p->unit_ns);
		fmt_ns(spread + 2, sizeof(spread) - 2, p->spread_ns);
		memcpy(spread, "+-", 2);
		fmt_count(iters, sizeof(iters), p->iterations);
		fprintf(f, "%-15s %9s %10s %11s %7d  %s%s%s\n", p->probe, unit, spread, iters,
			p->batches, p->clock, p->method ? ", " : "", p->method ? p->method : "");
	}
	fprintf(f, "\n%zu probe%s in %s (budget %s). unit: median of a probe's batches;\n"
		   "spread: half their inter-quartile range; timed in this thread's CPU time\n"
		   "(cpu) or elapsed time (wall). 'hvtrace calibrate --help' says more.\n",
		r->n, r->n == 1 ? "" : "s", fmt_ns(el, sizeof(el), r->elapsed_ns),
		fmt_ns(bud, sizeof(bud), r->budget_ns));
}

static void print_json(FILE *f, const struct calib_result *r)
{
	const struct calib_probe_result *p;
	struct jsonw *w = jsonw_new(f);

	jsonw_start_object(w);
	jsonw_int_field(w, "budget_ns", r->budget_ns);
	jsonw_int_field(w, "elapsed_ns", r->elapsed_ns);
	jsonw_string_field(w, "spread", "half the inter-quartile range of the batches");
	jsonw_name(w, "probes");
	jsonw_start_array(w);
	for (p = r->probes; p < r->probes + r->n; p++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "probe", p->probe);
		jsonw_string_field(w, "what", p->what);
		jsonw_string_field(w, "clock", p->clock);
		jsonw_string_field(w, "method", p->method);
		jsonw_string_field(w, "error", p->err ? strerror(-p->err) : NULL);
		if (p->err) {
			jsonw_name(w, "unit_ns");
			jsonw_null(w);
		} else {
			jsonw_float_field(w, "unit_ns", p->unit_ns);
			jsonw_float_field(w, "spread_ns", p->spread_ns);
			jsonw_float_field(w, "min_ns", p->min_ns);
			jsonw_float_field(w, "max_ns", p->max_ns);
			jsonw_int_field(w, "iterations", p->iterations);
			jsonw_int_field(w, "batches", p->batches);
		}
		jsonw_int_field(w, "elapsed_ns", p->elapsed_ns);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_destroy(w);
}

static const char *probe_list(char *buf, size_t len)
{
	const struct calib_probe_info *pi;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; (pi = calib_probe_info(i)) && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", pi->name);
	return buf;
}

enum { OPT_JSON = 256 };

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "probe", required_argument, NULL, 'p' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *names[CALIB_N_PROBES];
	int chosen[CALIB_N_PROBES] = { 0 };
	struct calib_opts o = { .probes = names };
	struct calib_result r;
	const struct calib_probe_result *p;
	char list[256];
	uint64_t ms;
	int opt, json = 0, ret = HVT_EXIT_OK, err, k;

	while ((opt = getopt_long(argc, argv, "p:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			k = calib_probe_find(optarg);
			if (k < 0)
				return hvt_usage_err("calibrate", "unknown probe '%s' (probes: %s)",
						     optarg, probe_list(list, sizeof(list)));
			chosen[k] = 1;
			break;
		case 'b':
			if (parse_u64(optarg, MAX_BUDGET_MS, &ms) || !ms)
				return hvt_usage_err("calibrate",
						     "--budget-ms '%s': give milliseconds, 1..%lld",
						     optarg, (long long)MAX_BUDGET_MS);
			o.budget_ns = (int64_t)ms * 1000000;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			fprintf(stderr, "Try 'hvtrace calibrate --help'.\n");
			return HVT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return hvt_usage_err("calibrate", "unexpected argument '%s'", argv[optind]);
	for (k = 0; k < CALIB_N_PROBES; k++)
		if (chosen[k])
			names[o.n_probes++] = calib_probe_info(k)->name;

	err = calib_run(&o, &r);
	if (err) {
		hvt_err("cannot calibrate: %s", strerror(-err));
		return HVT_EXIT_FAIL;
	}
	if (json)
		print_json(stdout, &r);
	else
		print_text(stdout, &r);
	if (fflush(stdout) || ferror(stdout)) {
		hvt_err("cannot write the results: %s", strerror(errno));
		return HVT_EXIT_FAIL;
	}
	for (p = r.probes; p < r.probes + r.n; p++) {
		if (!p->err)
			continue;
		hvt_err("probe %s could not run: %s", p->probe, strerror(-p->err));
		ret = HVT_EXIT_FAIL;
	}
	return ret;
}
