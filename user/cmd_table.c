// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace table: the talk's result table (mean, min, max and the two
 * percentages per label) from recordings or the talk's bench.sh logs, as
 * text, Markdown, CSV, JSON or an HTML page (its chart: html_table_chart()).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "emit.h"
#include "html.h"
#include "jsonw.h"
#include "outfile.h"
#include "runset.h"
#include "util.h"

#define CELL_MAX 32

enum col { COL_LABEL, COL_PHASE, COL_RUNS, COL_MEAN, COL_MIN, COL_MAX, COL_SPEED, COL_TIME,
	   N_COLS };

static const char *const col_names[N_COLS] = {
	"label", "phase", "runs", "mean", "min", "max", "speed%", "time%",
};

struct row {
	const char *label;
	const char *phase;		/* NULL: the whole run */
	struct runset_stats st;
	int has_pct;
	int64_t speed_pct;		/* 100 * baseline mean / mean */
	int64_t time_pct;		/* 100 * mean / baseline mean */
	char cells[N_COLS][CELL_MAX];	/* COL_RUNS and after, as text */
};

struct table {
	struct row *rows;
	size_t n_rows;
	const struct runset *rs;
	const char *baseline;		/* NULL: one label, no percentages */
	int phases;
};

static void usage(FILE *f)
{
	fputs("Usage: hvtrace table [--baseline LABEL] [--format text|md|csv|json|html]\n"
		"                     [--phases] [-o OUT] FILES...\n"
		"\n"
		"The result table of the LinuxTag 2013 talk: one row per label with the mean,\n"
		"min and max wall time of its runs (m:ss, rounded to the nearest second) and,\n"
		"compared with a baseline, the two percentages the talk prints:\n"
		"speed% = 100 x baseline mean / mean and time% = 100 x mean / baseline mean.\n"
		"\n"
		"FILES are hvtrace recordings (label from --label at record time) or the talk's\n"
		"bench.sh logs, logfile-OS-VIRTTYPE-CPU-RUN (label OS-VIRTTYPE-CPU; bash `time`\n"
		"output: configure, make, then the whole run). They are told apart by content.\n"
		"\n"
		"Options:\n"
		"  -b, --baseline LABEL  compare every label with LABEL (needed with several)\n"
		"  -f, --format FMT      text (default), md, csv, json or html (one\n"
		"                        self-contained page: the table under a bar per\n"
		"                        label of its mean wall time split by phase)\n"
		"      --json, --csv, --html  short for --format json, csv, html\n"
		"  -o, --output OUT      write to OUT (replaced only once complete), not stdout\n"
		"  -p, --phases          also a row per phase (tar, configure, make for logs)\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 success, 1 a file could not be read or the table not written,\n"
		"2 usage error.\n"
		"\n"
		"Examples:\n"
		"  hvtrace table native.hvt\n"
		"  hvtrace table --baseline native native-*.hvt kvm-*.hvt xen-*.hvt\n"
		"  hvtrace table -b CENTOS-NATIVE-x86_64 --phases logfile-CENTOS-*\n"
		"  hvtrace table -b native --format csv *.hvt > table.csv\n"
		"  hvtrace table -b native --html -o table.html *.hvt\n", f);
}

static void fmt_mss(char *buf, int64_t s)
{
	snprintf(buf, CELL_MAX, "%" PRId64 ":%02" PRId64, s / 60, s % 60);
}

static void fill_row(struct row *r, const struct runset_stats *base)
{
	int64_t speed, time;

	snprintf(r->cells[COL_RUNS], CELL_MAX, "%zu", r->st.n);
	fmt_mss(r->cells[COL_MEAN], runset_stats_mean_s(&r->st));
	fmt_mss(r->cells[COL_MIN], runset_round_s(r->st.min_ns));
	fmt_mss(r->cells[COL_MAX], runset_round_s(r->st.max_ns));
	r->has_pct = base && !runset_stats_pct(base, &r->st, &speed) &&
		     !runset_stats_pct(&r->st, base, &time);
	if (r->has_pct) {
		r->speed_pct = speed;
		r->time_pct = time;
		snprintf(r->cells[COL_SPEED], CELL_MAX, "%" PRId64, speed);
		snprintf(r->cells[COL_TIME], CELL_MAX, "%" PRId64, time);
	} else {
		strcpy(r->cells[COL_SPEED], "-");
		strcpy(r->cells[COL_TIME], "-");
	}
}

/*
 * The one walk over the runs: the baseline's rows first, then the other
 * labels in the order of the files; each label's whole-run row, then with
 * --phases one row per phase it has. Phase rows compare with the baseline's
 * same phase.
 */
static int table_build(struct table *t, const struct runset *rs)
{
	const struct runset_group **groups, *base = NULL;
	const char **names = NULL;
	size_t i, k, n = 0, n_names = 0;
	int err = -ENOMEM;

	groups = calloc(rs->n_groups, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	if (t->baseline) {
		base = runset_group(rs, t->baseline);
		groups[n++] = base;
	}
	for (i = 0; i < rs->n_groups; i++)
		if (&rs->groups[i] != base)
			groups[n++] = &rs->groups[i];
	if (t->phases) {
		names = runset_phase_names(groups, rs->n_groups);
		if (!names)
			goto out_free;
		while (names[n_names])
			n_names++;
	}
	t->rows = calloc(rs->n_groups * (n_names + 1), sizeof(*t->rows));
	if (!t->rows)
		goto out_free;
	for (i = 0; i < rs->n_groups; i++) {
		struct runset_stats bst;
		struct row *r = &t->rows[t->n_rows++];

		r->label = groups[i]->label;
		runset_group_total(groups[i], &r->st);
		if (base)
			runset_group_total(base, &bst);
		fill_row(r, base ? &bst : NULL);
		for (k = 0; k < n_names; k++) {
			struct runset_stats st;

			runset_group_phase(groups[i], names[k], &st);
			if (!st.n)
				continue;
			r = &t->rows[t->n_rows++];
			r->label = groups[i]->label;
			r->phase = names[k];
			r->st = st;
			if (base)
				runset_group_phase(base, names[k], &bst);
			fill_row(r, base ? &bst : NULL);
		}
	}
	err = 0;
out_free:
	free(names);
	free(groups);
	return err;
}

static int col_shown(const struct table *t, int c)
{
	if (c == COL_PHASE)
		return t->phases;
	if (c == COL_SPEED || c == COL_TIME)
		return t->baseline != NULL;
	return 1;
}

/* The cell as text and md show it: a label once per label, "total" for the whole run. */
static const char *cell(const struct row *r, int c)
{
	if (c == COL_LABEL)
		return r->phase ? "" : r->label;
	if (c == COL_PHASE)
		return r->phase ? r->phase : "total";
	return r->cells[c];
}

static void baseline_note(FILE *f, const struct table *t)
{
	if (t->baseline)
		fprintf(f, "baseline %s; speed%% = baseline/label, time%% = label/baseline (means)\n",
			t->baseline);
}

static void print_text(FILE *f, const struct table *t)
{
	size_t w[N_COLS], i;
	int c, last = 0;

	for (c = 0; c < N_COLS; c++) {
		w[c] = strlen(col_names[c]);
		for (i = 0; i < t->n_rows; i++)
			if (strlen(cell(&t->rows[i], c)) > w[c])
				w[c] = strlen(cell(&t->rows[i], c));
		if (col_shown(t, c))
			last = c;
	}
	for (i = 0; i <= t->n_rows; i++) {
		const struct row *r = i ? &t->rows[i - 1] : NULL;

		for (c = 0; c < N_COLS; c++) {
			const char *s = r ? cell(r, c) : col_names[c];
			int left = c == COL_LABEL || c == COL_PHASE;

			if (!col_shown(t, c))
				continue;
			if (c)
				fputs("  ", f);
			if (c == last)
				fprintf(f, "%*s", left ? 0 : (int)w[c], s);
			else
				fprintf(f, left ? "%-*s" : "%*s", (int)w[c], s);
		}
		fputc('\n', f);
	}
	if (t->baseline) {
		fputc('\n', f);
		baseline_note(f, t);
	}
}

/* Only '|' would end a cell; GFM leaves the '_' of x86_64 alone. */
static void md_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void print_md(FILE *f, const struct table *t)
{
	size_t i;
	int c;

	for (c = 0; c < N_COLS; c++)
		if (col_shown(t, c))
			fprintf(f, "| %s ", col_names[c]);
	fputs("|\n", f);
	for (c = 0; c < N_COLS; c++)
		if (col_shown(t, c))
			fputs(c == COL_LABEL || c == COL_PHASE ? "| --- " : "| ---: ", f);
	fputs("|\n", f);
	for (i = 0; i < t->n_rows; i++) {
		for (c = 0; c < N_COLS; c++) {
			if (!col_shown(t, c))
				continue;
			fputs("| ", f);
			md_escaped(f, cell(&t->rows[i], c));
			fputc(' ', f);
		}
		fputs("|\n", f);
	}
	if (t->baseline) {
		fputc('\n', f);
		baseline_note(f, t);
	}
}

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

/* Every column, always: the phase is empty for the whole run, percentages without a baseline. */
static void print_csv(FILE *f, const struct table *t)
{
	size_t i;

	fputs("label,phase,runs,mean,min,max,speed_pct,time_pct,mean_s,min_s,max_s\n", f);
	for (i = 0; i < t->n_rows; i++) {
		const struct row *r = &t->rows[i];

		emit_csv_field(f, r->label);
		fputc(',', f);
		emit_csv_field(f, r->phase ? r->phase : "");
		fprintf(f, ",%s,%s,%s,%s,", r->cells[COL_RUNS], r->cells[COL_MEAN],
			r->cells[COL_MIN], r->cells[COL_MAX]);
		if (r->has_pct)
			fprintf(f, "%" PRId64 ",%" PRId64, r->speed_pct, r->time_pct);
		else
			fputc(',', f);
		fprintf(f, ",%.10g,%.10g,%.10g\n", runset_stats_mean_ns(&r->st) / 1e9,
			secs(r->st.min_ns), secs(r->st.max_ns));
	}
}

static void print_json(FILE *f, const struct table *t)
{
	struct jsonw *w = jsonw_new(f);
	size_t i;

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "baseline", t->baseline);
	jsonw_name(w, "rows");
	jsonw_start_array(w);
	for (i = 0; i < t->n_rows; i++) {
		const struct row *r = &t->rows[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "label", r->label);
		jsonw_string_field(w, "phase", r->phase);
		jsonw_uint_field(w, "runs", r->st.n);
		jsonw_string_field(w, "mean", r->cells[COL_MEAN]);
		jsonw_string_field(w, "min", r->cells[COL_MIN]);
		jsonw_string_field(w, "max", r->cells[COL_MAX]);
		jsonw_name(w, "speed_pct");
		if (r->has_pct)
			jsonw_int(w, r->speed_pct);
		else
			jsonw_null(w);
		jsonw_name(w, "time_pct");
		if (r->has_pct)
			jsonw_int(w, r->time_pct);
		else
			jsonw_null(w);
		jsonw_float_field(w, "mean_s", runset_stats_mean_ns(&r->st) / 1e9);
		jsonw_float_field(w, "min_s", secs(r->st.min_ns));
		jsonw_float_field(w, "max_s", secs(r->st.max_ns));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_destroy(w);
}

/* The table as text shows it, under a bar per label of its mean time split by phase. */
static void print_html(FILE *f, const struct table *t)
{
	const char *heads[N_COLS], *cells[N_COLS];
	char names[N_COLS][16];
	struct html h;
	size_t i, n = 0;
	int c;

	html_page_begin(&h, f, "hvtrace table");
	html_elem(&h, "h1", NULL, "hvtrace table");
	html_elem(&h, "h2", NULL, "Mean wall time per label, by phase");
	html_table_chart(&h, t->rs, t->baseline);
	html_elem(&h, "h2", NULL, "Table");
	for (c = 0; c < N_COLS; c++) {
		if (!col_shown(t, c))
			continue;
		snprintf(names[n], sizeof(names[n]), "%s%s",
			 c == COL_LABEL || c == COL_PHASE ? "" : ">", col_names[c]);
		heads[n] = names[n];
		n++;
	}
	html_table_begin(&h, heads, n);
	for (i = 0; i < t->n_rows; i++) {
		for (n = 0, c = 0; c < N_COLS; c++)
			if (col_shown(t, c))
				cells[n++] = cell(&t->rows[i], c);
		html_row(&h, NULL, cells);
	}
	html_table_end(&h);
	if (t->baseline)
		html_note(&h, "baseline %s; speed%% = baseline/label, time%% = label/baseline "
			  "(means)", t->baseline);
	html_page_end(&h);
}

static const struct printer {
	const char *name;
	void (*print)(FILE *f, const struct table *t);
} printers[] = {
	{ "text", print_text },
	{ "md", print_md },
	{ "csv", print_csv },
	{ "json", print_json },
	{ "html", print_html },
};

/* "A, B, C" into buf, cut with "..." when it does not fit. */
static const char *label_list(const struct runset *rs, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < rs->n_groups && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", rs->groups[i].label);
	if (o >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

enum { OPT_JSON = 256, OPT_CSV, OPT_HTML };

int cmd_table(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "html", no_argument, NULL, OPT_HTML },
		{ "output", required_argument, NULL, 'o' },
		{ "phases", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const struct printer *pr;
	struct table t = { 0 };
	struct outfile out;
	const char *format = "text", *output = NULL;
	struct runset *rs;
	char err[512], labels[256];
	int opt, i, werr, ret = HVT_EXIT_FAIL;
	size_t k;

	while ((opt = getopt_long(argc, argv, "b:f:o:ph", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			t.baseline = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case OPT_JSON:
			format = "json";
			break;
		case OPT_CSV:
			format = "csv";
			break;
		case OPT_HTML:
			format = "html";
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			t.phases = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			fprintf(stderr, "Try 'hvtrace table --help'.\n");
			return HVT_EXIT_USAGE;
		}
	}
	for (k = 0; k < ARRAY_SIZE(printers) && strcmp(printers[k].name, format); k++)
		;
	if (k == ARRAY_SIZE(printers))
		return hvt_usage_err("table", "unknown format '%s' (text, md, csv, json or html)",
				     format);
	pr = &printers[k];
	if (optind >= argc)
		return hvt_usage_err("table", "no files: give recordings (.hvt) or bench.sh logs");
	if (t.baseline && !*t.baseline)
		return hvt_usage_err("table", "--baseline needs a label");

	rs = runset_new();
	if (!rs) {
		hvt_err("out of memory");
		return HVT_EXIT_FAIL;
	}
	for (i = optind; i < argc; i++) {
		if (runset_add_file(rs, argv[i], err, sizeof(err))) {
			hvt_err("%s", err);
			goto out_free_rs;
		}
	}
	if (t.baseline && !runset_group(rs, t.baseline)) {
		ret = hvt_usage_err("table", "--baseline '%s': no file has that label (labels: %s)",
				    t.baseline, label_list(rs, labels, sizeof(labels)));
		goto out_free_rs;
	}
	if (!t.baseline && rs->n_groups > 1) {
		ret = hvt_usage_err("table",
				    "%zu labels (%s) and no --baseline: say which label the others "
				    "are compared with", rs->n_groups,
				    label_list(rs, labels, sizeof(labels)));
		goto out_free_rs;
	}
	if (table_build(&t, rs)) {
		hvt_err("out of memory");
		goto out_free_rows;
	}
	t.rs = rs;
	werr = outfile_open(&out, output);
	if (werr) {
		hvt_err("cannot create '%s': %s", output, strerror(-werr));
		goto out_free_rows;
	}
	pr->print(out.f, &t);
	werr = outfile_close(&out, 0);
	if (werr) {
		hvt_err("cannot write the table%s%s: %s", output ? " to " : "",
			output ? output : "", strerror(-werr));
		goto out_free_rows;
	}
	ret = HVT_EXIT_OK;

out_free_rows:
	free(t.rows);
out_free_rs:
	runset_free(rs);
	return ret;
}
