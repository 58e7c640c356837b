// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runset: runs grouped by label, from recordings or bench.sh logs, and their statistics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recfile.h"
#include "runset.h"
#include "talklog.h"

#define NS_PER_S 1000000000LL

static const char sqlite_magic[16] = "SQLite format 3";	/* with its NUL: 16 bytes */

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

struct runset *runset_new(void)
{
	return calloc(1, sizeof(struct runset));
}

static void run_free(struct runset_run *r)
{
	size_t i;

	for (i = 0; i < r->n_phases; i++)
		free(r->phases[i].name);
	free(r->phases);
	free(r->path);
}

void runset_free(struct runset *rs)
{
	size_t i, j;

	if (!rs)
		return;
	for (i = 0; i < rs->n_groups; i++) {
		for (j = 0; j < rs->groups[i].n_runs; j++)
			run_free(&rs->groups[i].runs[j]);
		free(rs->groups[i].runs);
		free(rs->groups[i].label);
	}
	free(rs->groups);
	free(rs);
}

const struct runset_group *runset_group(const struct runset *rs, const char *label)
{
	size_t i;

	for (i = 0; i < rs->n_groups; i++)
		if (!strcmp(rs->groups[i].label, label))
			return &rs->groups[i];
	return NULL;
}

static struct runset_group *group_get(struct runset *rs, const char *label)
{
	struct runset_group *g = (struct runset_group *)runset_group(rs, label), *arr;

	if (g)
		return g;
	arr = realloc(rs->groups, (rs->n_groups + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	rs->groups = arr;
	g = &arr[rs->n_groups];
	memset(g, 0, sizeof(*g));
	g->label = strdup(label);
	if (!g->label)
		return NULL;
	rs->n_groups++;
	return g;
}

/* Adds NS to the phase NAME of R, creating it at the end if new. */
static int run_add_phase(struct runset_run *r, const char *name, int64_t ns)
{
	struct runset_phase *arr;
	size_t i;

	for (i = 0; i < r->n_phases; i++) {
		if (!strcmp(r->phases[i].name, name)) {
			if (ns > RUNSET_MAX_RUN_NS - r->phases[i].ns)
				return -ERANGE;
			r->phases[i].ns += ns;
			return 0;
		}
	}
	arr = realloc(r->phases, (r->n_phases + 1) * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	r->phases = arr;
	arr[r->n_phases].name = strdup(name);
	if (!arr[r->n_phases].name)
		return -ENOMEM;
	arr[r->n_phases++].ns = ns;
	return 0;
}

int runset_add_run(struct runset *rs, const char *label, const char *path, int64_t total_ns,
		   const struct runset_phase *phases, size_t n_phases)
{
	struct runset_run run = { 0 }, *arr;
	struct runset_group *g;
	size_t i;
	int err;

	if (!label || !*label || total_ns < 0)
		return -EINVAL;
	if (total_ns > RUNSET_MAX_RUN_NS)
		return -ERANGE;
	for (i = 0; i < n_phases; i++) {
		if (!phases[i].name || phases[i].ns < 0)
			return -EINVAL;
		if (phases[i].ns > RUNSET_MAX_RUN_NS)
			return -ERANGE;
	}
	g = (struct runset_group *)runset_group(rs, label);
	if (g && g->n_runs >= RUNSET_MAX_RUNS)
		return -ERANGE;

	run.total_ns = total_ns;
	run.path = strdup(path ? path : "");
	if (!run.path)
		return -ENOMEM;
	for (i = 0; i < n_phases; i++) {
		err = run_add_phase(&run, phases[i].name, phases[i].ns);
		if (err)
			goto out_free_run;
	}
	err = -ENOMEM;
	g = group_get(rs, label);
	if (!g)
		goto out_free_run;
	arr = realloc(g->runs, (g->n_runs + 1) * sizeof(*arr));
	if (!arr)
		goto out_free_run;
	g->runs = arr;
	arr[g->n_runs++] = run;
	return 0;

out_free_run:
	run_free(&run);
	return err;
}

static int add_recording(struct runset *rs, const char *path, char *ret_err, size_t errlen)
{
	struct runset_phase *phases = NULL;
	struct recording *rec;
	const char *label, *complete;
	int64_t wall;
	size_t i;
	int err = -EINVAL;

	rec = recording_load(path, ret_err, errlen);
	if (!rec)
		return errno ? -errno : -EIO;
	label = recording_meta(rec, "label");
	complete = recording_meta(rec, "complete");
	wall = recording_meta_int(rec, "wall_ns", -1);
	if (!label || !*label) {
		set_err(ret_err, errlen,
			"recording '%s' has no label (meta 'label'; record with --label)", path);
		goto out_free_rec;
	}
	if (complete && strcmp(complete, "1")) {
		set_err(ret_err, errlen,
			"recording '%s' is incomplete (the recorder did not end normally): its "
			"wall time would be wrong", path);
		goto out_free_rec;
	}
	if (wall < 0) {
		set_err(ret_err, errlen, "recording '%s' has no valid wall time (meta 'wall_ns')",
			path);
		goto out_free_rec;
	}
	err = -ENOMEM;
	phases = calloc(rec->n_phases ? rec->n_phases : 1, sizeof(*phases));
	if (!phases)
		goto out_free_rec;
	for (i = 0; i < rec->n_phases; i++) {
		const struct rec_phase *p = &rec->phases[i];

		if (!p->end_mono || p->end_mono < p->start_mono) {
			set_err(ret_err, errlen, "recording '%s': phase %d '%s' has no valid end",
				path, p->id, p->name);
			err = -EINVAL;
			goto out_free_phases;
		}
		phases[i].name = p->name;
		phases[i].ns = p->end_mono - p->start_mono;
	}
	err = runset_add_run(rs, label, path, wall, phases, rec->n_phases);
	if (err == -ERANGE)
		set_err(ret_err, errlen,
			"recording '%s': a time beyond 100 days, or more than %d runs of label "
			"'%s'", path, RUNSET_MAX_RUNS, label);
	else if (err)
		set_err(ret_err, errlen, "recording '%s': %s", path, strerror(-err));

out_free_phases:
	free(phases);
out_free_rec:
	recording_free(rec);
	return err;
}

static int add_log(struct runset *rs, FILE *f, const char *path, char *ret_err, size_t errlen)
{
	struct runset_phase phases[TALKLOG_MAX_PHASES];
	struct talklog log;
	size_t i;
	int err;

	err = talklog_parse(f, path, &log, ret_err, errlen);
	if (err)
		return err;
	for (i = 0; i < log.n_phases; i++) {
		phases[i].name = (char *)log.phases[i].name;
		phases[i].ns = log.phases[i].ns;
	}
	err = runset_add_run(rs, log.label, path, log.total_ns, phases, log.n_phases);
	if (err == -ERANGE)
		set_err(ret_err, errlen, "%s: more than %d runs of label '%s'", path,
			RUNSET_MAX_RUNS, log.label);
	else if (err)
		set_err(ret_err, errlen, "%s: %s", path, strerror(-err));
	return err;
}

int runset_add_file(struct runset *rs, const char *path, char *ret_err, size_t errlen)
{
	char magic[sizeof(sqlite_magic)];
	struct stat sb;
	size_t n;
	FILE *f;
	int err;

	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		set_err(ret_err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return err;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		set_err(ret_err, errlen, "cannot read '%s': is a directory", path);
		fclose(f);
		return -EISDIR;
	}
	n = fread(magic, 1, sizeof(magic), f);
	if (ferror(f)) {
		err = -errno;
		set_err(ret_err, errlen, "cannot read '%s': %s", path, strerror(errno));
		fclose(f);
		return err;
	}
	if (n == sizeof(magic) && !memcmp(magic, sqlite_magic, sizeof(magic))) {
		fclose(f);
		return add_recording(rs, path, ret_err, errlen);
	}
	rewind(f);
	err = add_log(rs, f, path, ret_err, errlen);
	fclose(f);
	return err;
}

const char **runset_phase_names(const struct runset_group *const *groups, size_t n_groups)
{
	const char **names = NULL, **arr;
	size_t n = 0, gi, ri, pi, k;

	names = calloc(1, sizeof(*names));
	if (!names)
		return NULL;
	for (gi = 0; gi < n_groups; gi++) {
		for (ri = 0; ri < groups[gi]->n_runs; ri++) {
			const struct runset_run *r = &groups[gi]->runs[ri];

			for (pi = 0; pi < r->n_phases; pi++) {
				for (k = 0; k < n && strcmp(names[k], r->phases[pi].name); k++)
					;
				if (k < n)
					continue;
				arr = realloc(names, (n + 2) * sizeof(*names));
				if (!arr) {
					free(names);
					errno = ENOMEM;
					return NULL;
				}
				names = arr;
				names[n++] = r->phases[pi].name;
				names[n] = NULL;
			}
		}
	}
	return names;
}

static void stats_add(struct runset_stats *s, int64_t ns)
{
	if (!s->n || ns < s->min_ns)
		s->min_ns = ns;
	if (!s->n || ns > s->max_ns)
		s->max_ns = ns;
	s->sum_ns += ns;
	s->n++;
}

void runset_group_total(const struct runset_group *g, struct runset_stats *ret)
{
	size_t i;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < g->n_runs; i++)
		stats_add(ret, g->runs[i].total_ns);
}

void runset_group_phase(const struct runset_group *g, const char *phase,
			struct runset_stats *ret)
{
	size_t i, j;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < g->n_runs; i++)
		for (j = 0; j < g->runs[i].n_phases; j++)
			if (!strcmp(g->runs[i].phases[j].name, phase))
				stats_add(ret, g->runs[i].phases[j].ns);
}

double runset_stats_mean_ns(const struct runset_stats *s)
{
	return s->n ? (double)s->sum_ns / s->n : 0;
}

/* round(num / den) for num >= 0, den > 0, halves up; exact. */
static int64_t div_round(__int128 num, __int128 den)
{
	return (int64_t)((2 * num + den) / (2 * den));
}

int64_t runset_round_s(int64_t ns)
{
	return div_round(ns, NS_PER_S);
}

int64_t runset_stats_mean_s(const struct runset_stats *s)
{
	return s->n ? div_round(s->sum_ns, (__int128)s->n * NS_PER_S) : 0;
}

int runset_stats_pct(const struct runset_stats *num, const struct runset_stats *den,
		     int64_t *ret)
{
	if (!num->n || !den->n || !den->sum_ns)
		return -EDOM;
	/* 100 * (sum_num / n_num) / (sum_den / n_den) */
	*ret = div_round((__int128)100 * num->sum_ns * den->n, (__int128)num->n * den->sum_ns);
	return 0;
}
