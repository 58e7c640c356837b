// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* merge: a guest recording and a host recording of one run, into one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "merge.h"
#include "phase.h"
#include "recfile.h"

#define MERGE_MAX_PHASES	4096	/* as many as the agent protocol carries */
#define OPEN_END		INT64_MAX

struct mphase {
	int id;
	const char *name, *source;
	int64_t start, end;	/* host clock; end OPEN_END when unknown */
	int64_t end_written;	/* 0 when the guest never ended it */
	int pid, exit_status;
};

/*
 * Host-view figures outside every guest phase, per output view and kind:
 * kinds count different things (calls, bytes, per-vCPU copies of the same
 * exits), so they are never summed across kinds.
 */
struct outside {
	const char *kind;	/* interned "view\tkind" */
	uint64_t count, sum_ns;
};

/* A host-view (phase, kind, key) total, re-attributed from the series. */
struct acc {
	int used;
	int phase;
	const char *kind;	/* interned */
	int64_t key;
	uint64_t count, sum_ns;
};

struct merge {
	const struct merge_opts *o;
	struct merge_result *res;
	struct recording *g, *h;
	sqlite3 *gdb, *hdb;
	struct recfile *rf;
	struct clock_fit clock;
	int64_t host_real_minus_mono;	/* 0: unknown */
	struct mphase *ph;
	size_t nph;
	int64_t interval_ns;
	int hoff;		/* host phase id of guest phase 0 (meta guest_phase_offset) */
	int64_t host_start;	/* the host recording's, or INT64_MIN */
	int64_t cur_tick, cur_tick_t, prev_tick_t;	/* tick_lo() */
	int have_tick;
	struct acc *acc;
	size_t acc_cap, acc_n;
	char **kinds;
	size_t nkinds;
	struct outside *out;
	size_t nout;
	int err;
	char *errbuf;
	size_t errlen;
};

static int fail(struct merge *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->errbuf, m->errlen, fmt, ap);
	va_end(ap);
	return err;
}

static void warn(struct merge *m, const char *fmt, ...)
{
	struct merge_result *r = m->res;
	va_list ap;

	if (r->n_warn >= MERGE_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warn[r->n_warn++], sizeof(r->warn[0]), fmt, ap);
	va_end(ap);
}

static void inform(struct merge *m, const char *fmt, ...)
{
	struct merge_result *r = m->res;
	va_list ap;

	if (r->n_note >= MERGE_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(r->note[r->n_note++], sizeof(r->note[0]), fmt, ap);
	va_end(ap);
}

static void note(struct merge *m, int err)
{
	if (err < 0 && !m->err)
		m->err = err;
}

/* ---- reading what recording_load leaves out -------------------------------- */

/*
 * The guest's file comes from the machine under test: beyond recording_load's
 * header checks, SQLite's own consistency check runs before anything is
 * trusted, and the connection refuses the writes a crafted schema could try.
 */
static int open_db(struct merge *m, const char *path, int untrusted, sqlite3 **ret)
{
	sqlite3_stmt *st;
	const char *res;
	int ok;

	if (sqlite3_open_v2(path, ret, SQLITE_OPEN_READONLY, NULL))
		return fail(m, -EIO, "cannot open recording '%s': %s", path,
			    *ret ? sqlite3_errmsg(*ret) : "out of memory");
	if (!untrusted)
		return 0;
	sqlite3_db_config(*ret, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*ret, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_exec(*ret, "PRAGMA cell_size_check=ON", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(*ret, "PRAGMA quick_check(1)", -1, &st, NULL))
		return fail(m, -EIO, "cannot check recording '%s': %s", path,
			    sqlite3_errmsg(*ret));
	ok = sqlite3_step(st) == SQLITE_ROW && (res = (const char *)sqlite3_column_text(st, 0)) &&
	     !strcmp(res, "ok");
	sqlite3_finalize(st);
	if (!ok)
		return fail(m, -EIO, "recording '%s' is damaged (SQLite's quick_check failed)",
			    path);
	return 0;
}

struct series_row {
	int64_t tick, t_mono;
	int phase;
	const char *view, *kind;
	int64_t key;
	uint64_t count, sum_ns;
};

/* Series rows are not loaded by recording_load (they are the bulk of a file): they stream. */
static int each_series(sqlite3 *db, int (*fn)(struct merge *, const struct series_row *),
		       struct merge *m)
{
	sqlite3_stmt *st;
	int rc, err = 0;

	if (sqlite3_prepare_v2(db, "SELECT tick, t_mono_ns, phase, view, kind, key, count, sum_ns"
			       " FROM series ORDER BY tick, t_mono_ns, rowid", -1, &st, NULL))
		return -EIO;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *view = sqlite3_column_text(st, 3);
		const unsigned char *kind = sqlite3_column_text(st, 4);
		struct series_row r = {
			.tick = sqlite3_column_int64(st, 0),
			.t_mono = sqlite3_column_int64(st, 1),
			.phase = sqlite3_column_int(st, 2),
			.view = view ? (const char *)view : "",
			.kind = kind ? (const char *)kind : "",
			.key = sqlite3_column_int64(st, 5),
			.count = sqlite3_column_int64(st, 6),
			.sum_ns = sqlite3_column_int64(st, 7),
		};

		err = fn(m, &r);
	}
	if (!err && rc != SQLITE_DONE)
		err = -EIO;
	sqlite3_finalize(st);
	return err;
}

static int has_view(sqlite3 *db, const char *view)
{
	sqlite3_stmt *st;
	int yes = 0;

	if (sqlite3_prepare_v2(db, "SELECT EXISTS(SELECT 1 FROM stat WHERE view = ?1) OR "
			       "EXISTS(SELECT 1 FROM series WHERE view = ?1)", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, view, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		yes = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return yes;
}

/* ---- the clock ------------------------------------------------------------ */

static int meta_has(const struct recording *r, const char *key)
{
	const char *v = recording_meta(r, key);

	return v && *v;
}

static int choose_clock(struct merge *m)
{
	const struct merge_opts *o = m->o;
	const char *hb = recording_meta(m->h, "guest_boot_id");
	const char *gb = recording_meta(m->g, "boot_id");
	const char *hr = recording_meta(m->h, "guest_run_id");
	const char *gr = recording_meta(m->g, "run_id");
	const char *drift;
	struct clock_fit *c = &m->clock;

	memset(c, 0, sizeof(*c));
	c->uncertainty_ns = -1;
	if (o->have_offset) {
		c->offset_ns = o->offset_ns;
		m->res->clock_source = "offset";
		return 0;
	}
	if (meta_has(m->h, "clock_offset_ns")) {
		if (hb && *hb && gb && *gb && strcmp(hb, gb))
			return fail(m, -EINVAL, "the clock sync in '%s' is for guest boot %s, "
				    "but '%s' was recorded in boot %s: its clock offset does "
				    "not apply (give --offset-ns if you know it)", o->host_path,
				    hb, o->guest_path, gb);
		if (hr && *hr && gr && *gr && strcmp(hr, gr))
			warn(m, "'%s' followed another run of this guest (run %s, not %s): the "
			     "clock offset holds (same boot), but the host's counters may not "
			     "cover this run", o->host_path, hr, gr);
		c->offset_ns = recording_meta_int(m->h, "clock_offset_ns", 0);
		c->ref_host_ns = recording_meta_int(m->h, "clock_ref_host_mono_ns", 0);
		c->uncertainty_ns = recording_meta_int(m->h, "clock_uncertainty_ns", -1);
		c->best_rtt_ns = recording_meta_int(m->h, "clock_best_rtt_ns", 0);
		c->bursts = recording_meta_int(m->h, "clock_bursts", 0);
		c->span_start_ns = recording_meta_int(m->h, "clock_span_start_ns", 0);
		c->span_end_ns = recording_meta_int(m->h, "clock_span_end_ns", 0);
		drift = recording_meta(m->h, "clock_drift_ppm");
		c->drift_ppm = drift ? strtod(drift, NULL) : 0;
		if (!(c->drift_ppm >= -CLOCKSYNC_MAX_DRIFT_PPM &&
		      c->drift_ppm <= CLOCKSYNC_MAX_DRIFT_PPM))
			return fail(m, -EINVAL, "'%s' has an impossible clock drift (%s ppm)",
				    o->host_path, drift);
		m->res->clock_source = "sync";
		return 0;
	}
	if (o->assume_same_clock) {
		m->res->clock_source = "same-clock";
		return 0;
	}
	return fail(m, -EINVAL, "'%s' has no clock sync data (the guest's agent was not connected "
		    "while it recorded), so the guest's phases cannot be placed on its time line; "
		    "give --offset-ns N (guest clock minus host clock), or --assume-same-clock if "
		    "both were recorded on one machine's clock", o->host_path);
}

static int64_t to_host(const struct merge *m, int64_t guest)
{
	return guest ? clock_fit_to_host(&m->clock, guest) : 0;
}

static int64_t real_of(const struct merge *m, int64_t host_mono, int64_t guest_real)
{
	if (!host_mono)
		return guest_real;
	return m->host_real_minus_mono ? host_mono + m->host_real_minus_mono : guest_real;
}

/* ---- phases ----------------------------------------------------------------- */

static int map_phases(struct merge *m)
{
	int64_t gend = recording_meta_int(m->g, "end_mono_ns", 0);
	size_t i;

	if (!m->g->n_phases)
		return fail(m, -EINVAL, "'%s' has no phases", m->o->guest_path);
	if (m->g->n_phases > MERGE_MAX_PHASES)
		return fail(m, -EINVAL, "'%s' has %zu phases; at most %d can be merged",
			    m->o->guest_path, m->g->n_phases, MERGE_MAX_PHASES);
	m->ph = calloc(m->g->n_phases, sizeof(*m->ph));
	if (!m->ph)
		return fail(m, -ENOMEM, "out of memory");
	m->nph = m->g->n_phases;
	for (i = 0; i < m->nph; i++) {
		const struct rec_phase *p = &m->g->phases[i];
		struct mphase *q = &m->ph[i];
		int64_t end = p->end_mono;

		q->id = p->id;
		q->name = p->name;
		q->source = p->source;
		q->pid = p->pid;
		q->exit_status = p->exit_status;
		q->start = to_host(m, p->start_mono);
		q->end_written = end ? to_host(m, end) : 0;
		if (!end)
			end = i + 1 < m->nph ? m->g->phases[i + 1].start_mono : gend;
		q->end = end > 0 ? to_host(m, end) : OPEN_END;
		if (q->start < 0 || q->end < q->start)
			return fail(m, -EINVAL, "'%s': phase %d ends before it starts",
				    m->o->guest_path, p->id);
	}
	return 0;
}

/*
 * The host recording's own process-tree figures (its "guest" view: the VMM
 * process's syscalls, faults, scheduling) become the merged file's "vmm"
 * view; its KVM figures stay "host".
 */
static const char *host_out_view(const char *view)
{
	if (!strcmp(view, "host"))
		return "host";
	if (!strcmp(view, "guest"))
		return "vmm";
	return NULL;
}

/*
 * The host recorder had the guest's phases live when, from its offset on,
 * its phases carry the guest's names in the guest's order (host phase 0 is
 * then the VM before the guest's workload, and a last one what follows it).
 */
static int phases_match(const struct merge *m)
{
	size_t i;

	if (m->h->n_phases < m->g->n_phases + m->hoff)
		return 0;
	for (i = 0; i < m->g->n_phases; i++)
		if (m->h->phases[i + m->hoff].id != m->g->phases[i].id + m->hoff ||
		    strcmp(m->h->phases[i + m->hoff].name, m->g->phases[i].name))
			return 0;
	return 1;
}

/* Index into m->ph of the phase holding host time T, or -1. */
static int phase_at(const struct merge *m, int64_t t)
{
	size_t i;

	for (i = m->nph; i-- > 0;)
		if (m->ph[i].start <= t && t < m->ph[i].end)
			return i;
	return -1;
}

/* ---- host-view totals per guest phase, from the series ---------------------- */

static const char *intern(struct merge *m, const char *s)
{
	char **k;
	size_t i;

	for (i = 0; i < m->nkinds; i++)
		if (!strcmp(m->kinds[i], s))
			return m->kinds[i];
	k = realloc(m->kinds, (m->nkinds + 1) * sizeof(*k));
	if (!k)
		return NULL;
	m->kinds = k;
	k[m->nkinds] = strdup(s);
	return k[m->nkinds] ? k[m->nkinds++] : NULL;
}

static size_t acc_hash(int phase, const char *kind, int64_t key)
{
	uint64_t h = (uint64_t)phase * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)kind ^
		     (uint64_t)key * 0xc2b2ae3d27d4eb4fULL;

	return (size_t)(h ^ h >> 29);
}

static struct acc *acc_get(struct merge *m, int phase, const char *kind, int64_t key)
{
	size_t i;

	if (2 * (m->acc_n + 1) > m->acc_cap) {
		size_t cap = m->acc_cap ? 2 * m->acc_cap : 1024;
		struct acc *old = m->acc, *a = calloc(cap, sizeof(*a));

		if (!a)
			return NULL;
		m->acc = a;
		for (i = 0; i < m->acc_cap; i++) {
			size_t j;

			if (!old[i].used)
				continue;
			j = acc_hash(old[i].phase, old[i].kind, old[i].key) & (cap - 1);
			while (a[j].used)
				j = (j + 1) & (cap - 1);
			a[j] = old[i];
		}
		free(old);
		m->acc_cap = cap;
	}
	i = acc_hash(phase, kind, key) & (m->acc_cap - 1);
	while (m->acc[i].used) {
		struct acc *a = &m->acc[i];

		if (a->phase == phase && a->kind == kind && a->key == key)
			return a;
		i = (i + 1) & (m->acc_cap - 1);
	}
	m->acc[i] = (struct acc){ .used = 1, .phase = phase, .kind = kind, .key = key };
	m->acc_n++;
	return &m->acc[i];
}

/* VK: interned "view\tkind". */
static int outside_add(struct merge *m, const char *vk, uint64_t count, uint64_t sum_ns)
{
	struct outside *o;
	size_t i;

	if (!count && !sum_ns)
		return 0;
	for (i = 0; i < m->nout; i++)
		if (m->out[i].kind == vk)
			break;
	if (i == m->nout) {
		o = realloc(m->out, (m->nout + 1) * sizeof(*o));
		if (!o)
			return -ENOMEM;
		m->out = o;
		m->out[m->nout++] = (struct outside){ .kind = vk };
	}
	m->out[i].count += count;
	m->out[i].sum_ns += sum_ns;
	return 0;
}

/*
 * The interval a series delta covers: from the previous tick (rows come
 * ordered by tick) or one tick interval back, whichever is later, to T.
 */
static int64_t tick_lo(struct merge *m, int64_t tick, int64_t t)
{
	int64_t lo = t - m->interval_ns;

	if (lo < m->host_start)
		lo = m->host_start;
	if (!m->have_tick || tick != m->cur_tick) {
		m->prev_tick_t = m->have_tick ? m->cur_tick_t : INT64_MIN;
		m->cur_tick = tick;
		m->cur_tick_t = t;
		m->have_tick = 1;
	}
	return m->prev_tick_t > lo ? m->prev_tick_t : lo;
}

static int reattribute_row(struct merge *m, const struct series_row *r)
{
	int64_t lo, hi = r->t_mono;
	__int128 len, cum = 0;
	uint64_t done_c = 0, done_s = 0;
	const char *kind;
	size_t i;
	int at;

	char vk[160];

	if (!host_out_view(r->view))
		return 0;
	lo = tick_lo(m, r->tick, r->t_mono);
	len = (__int128)hi - lo;
	/* One interned string carries the output view and the kind. */
	snprintf(vk, sizeof(vk), "%s\t%s", host_out_view(r->view), r->kind);
	kind = intern(m, vk);
	if (!kind)
		return -ENOMEM;
	if (len <= 0) {
		struct acc *a;

		at = phase_at(m, hi);
		if (at < 0)
			return outside_add(m, kind, r->count, r->sum_ns);
		a = acc_get(m, m->ph[at].id, kind, r->key);
		if (!a)
			return -ENOMEM;
		a->count += r->count;
		a->sum_ns += r->sum_ns;
		return 0;
	}
	/*
	 * Split by the share of the tick each phase covers; cumulative rounding
	 * keeps the parts summing to the whole.
	 */
	for (i = 0; i < m->nph; i++) {
		int64_t s = m->ph[i].start > lo ? m->ph[i].start : lo;
		int64_t e = m->ph[i].end < hi ? m->ph[i].end : hi;
		uint64_t c, su;
		struct acc *a;

		if (e <= s)
			continue;
		cum += e - s;
		if (cum > len)
			cum = len;
		c = (uint64_t)((__int128)r->count * cum / len);
		su = (uint64_t)((__int128)r->sum_ns * cum / len);
		if (c == done_c && su == done_s)
			continue;
		a = acc_get(m, m->ph[i].id, kind, r->key);
		if (!a)
			return -ENOMEM;
		a->count += c - done_c;
		a->sum_ns += su - done_s;
		done_c = c;
		done_s = su;
	}
	return outside_add(m, kind, r->count - done_c, r->sum_ns - done_s);
}

static const char *host_stat_name(const struct merge *m, const char *view, const char *kind,
				  int64_t key)
{
	size_t i;

	for (i = 0; i < m->h->n_stats; i++) {
		const struct rec_stat *s = &m->h->stats[i];
		const char *v = host_out_view(s->view);

		if (s->key == key && v && !strcmp(v, view) && !strcmp(s->kind, kind))
			return s->name;
	}
	return "";
}

static int acc_cmp(const void *a, const void *b)
{
	const struct acc *x = a, *y = b;
	int c;

	if (x->used != y->used)
		return y->used - x->used;
	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	c = strcmp(x->kind ? x->kind : "", y->kind ? y->kind : "");
	if (c)
		return c;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* ---- writing ------------------------------------------------------------------ */

static int copy_series_guest(struct merge *m, const struct series_row *r)
{
	note(m, recfile_put_series(m->rf, r->tick, to_host(m, r->t_mono), r->phase, r->view,
				   r->kind, r->key, r->count, r->sum_ns));
	return 0;
}

static int copy_series_host(struct merge *m, const struct series_row *r)
{
	int phase = r->phase;

	if (m->res->host_by_series) {
		int at = phase_at(m, r->t_mono - m->interval_ns / 2);

		phase = at < 0 ? -1 : m->ph[at].id;
	}
	if (!m->res->host_by_series && phase >= 0) {
		phase -= m->hoff;
		/* The host's own phases before and after the guest's (boot, after-workload). */
		if (phase < 0 || (size_t)phase >= m->nph)
			phase = -1;
	}
	if (!host_out_view(r->view))
		return 0;
	note(m, recfile_put_series(m->rf, r->tick, r->t_mono, phase, host_out_view(r->view),
				   r->kind, r->key, r->count, r->sum_ns));
	return 0;
}

/* Guest meta that are times on the guest's clock, rewritten on the host's. */
static int is_time_key(const char *k)
{
	return !strcmp(k, "start_mono_ns") || !strcmp(k, "end_mono_ns") ||
	       !strcmp(k, "start_real_ns") || !strcmp(k, "end_real_ns") || !strcmp(k, "wall_ns");
}

static void write_meta(struct merge *m)
{
	const struct merge_opts *o = m->o;
	const struct clock_fit *c = &m->clock;
	int64_t gs = recording_meta_int(m->g, "start_mono_ns", 0);
	int64_t ge = recording_meta_int(m->g, "end_mono_ns", 0);
	int64_t gsr = recording_meta_int(m->g, "start_real_ns", 0);
	int64_t ger = recording_meta_int(m->g, "end_real_ns", 0);
	int64_t hs = to_host(m, gs), he = to_host(m, ge);
	char key[256], buf[64];
	size_t i;

	for (i = 0; i < m->g->n_meta; i++)
		if (!is_time_key(m->g->meta[i].key))
			note(m, recfile_set_meta(m->rf, m->g->meta[i].key, m->g->meta[i].value));
	for (i = 0; i < m->h->n_meta; i++) {
		snprintf(key, sizeof(key), "host.%s", m->h->meta[i].key);
		note(m, recfile_set_meta(m->rf, key, m->h->meta[i].value));
	}
	if (gs) {
		note(m, recfile_set_meta_int(m->rf, "guest_start_mono_ns", gs));
		note(m, recfile_set_meta_int(m->rf, "start_mono_ns", hs));
		note(m, recfile_set_meta_int(m->rf, "start_real_ns", real_of(m, hs, gsr)));
	}
	if (ge) {
		note(m, recfile_set_meta_int(m->rf, "guest_end_mono_ns", ge));
		note(m, recfile_set_meta_int(m->rf, "end_mono_ns", he));
		note(m, recfile_set_meta_int(m->rf, "end_real_ns", real_of(m, he, ger)));
	}
	if (gs && ge)
		note(m, recfile_set_meta_int(m->rf, "wall_ns", he - hs));
	else if (meta_has(m->g, "wall_ns"))
		note(m, recfile_set_meta(m->rf, "wall_ns", recording_meta(m->g, "wall_ns")));
	note(m, recfile_set_meta_int(m->rf, "merged", 1));
	note(m, recfile_set_meta(m->rf, "merge_guest_recording", o->guest_path));
	note(m, recfile_set_meta(m->rf, "merge_host_recording", o->host_path));
	note(m, recfile_set_meta(m->rf, "timeline", "host"));
	note(m, recfile_set_meta(m->rf, "clock_source", m->res->clock_source));
	note(m, recfile_set_meta_int(m->rf, "clock_offset_ns", c->offset_ns));
	note(m, recfile_set_meta_int(m->rf, "clock_ref_host_mono_ns", c->ref_host_ns));
	snprintf(buf, sizeof(buf), "%.3f", c->drift_ppm);
	note(m, recfile_set_meta(m->rf, "clock_drift_ppm", buf));
	note(m, recfile_set_meta_int(m->rf, "clock_uncertainty_ns", c->uncertainty_ns));
	if (c->best_rtt_ns)
		note(m, recfile_set_meta_int(m->rf, "clock_best_rtt_ns", c->best_rtt_ns));
	note(m, recfile_set_meta(m->rf, "host_attribution",
				 m->res->host_by_series ? "series" : "phases"));
	if (m->res->host_before_ns >= 0) {
		note(m, recfile_set_meta_int(m->rf, "host_outside_before_ns",
					     m->res->host_before_ns));
		note(m, recfile_set_meta_int(m->rf, "host_outside_after_ns",
					     m->res->host_after_ns));
	}
	for (i = 0; i < m->nout; i++) {
		const struct outside *x = &m->out[i];
		const char *tab = strchr(x->kind, '\t');
		int vlen = (int)(tab - x->kind);

		if (x->count) {
			snprintf(key, sizeof(key), "host_outside_count.%.*s.%s", vlen, x->kind,
				 tab + 1);
			note(m, recfile_set_meta_int(m->rf, key, x->count));
		}
		if (x->sum_ns) {
			snprintf(key, sizeof(key), "host_outside_sum_ns.%.*s.%s", vlen, x->kind,
				 tab + 1);
			note(m, recfile_set_meta_int(m->rf, key, x->sum_ns));
		}
	}
}

static void write_phases(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->nph; i++) {
		const struct mphase *p = &m->ph[i];
		const struct rec_phase *g = &m->g->phases[i];
		char name[PHASE_NAME_MAX];

		/* Names from the guest are shown on terminals: no control bytes. */
		phase_name_from_path(name, sizeof(name), NULL, p->name);
		note(m, recfile_put_phase(m->rf, p->id, name, p->source, p->start,
					  real_of(m, p->start, g->start_real), p->pid));
		if (p->end_written)
			note(m, recfile_end_phase(m->rf, p->id, p->end_written,
						  real_of(m, p->end_written, g->end_real),
						  p->exit_status));
	}
}

static void write_stats(struct merge *m, const struct recording *r, const char *view)
{
	size_t i;

	for (i = 0; i < r->n_stats; i++) {
		const struct rec_stat *s = &r->stats[i];

		if (strcmp(s->view, view))
			continue;
		note(m, recfile_put_stat(m->rf, s->phase, s->view, s->kind, s->key, s->name,
					 s->count, s->sum_ns, s->min_ns, s->max_ns,
					 s->has_hist ? s->hist : NULL));
		if (!strcmp(view, "guest"))
			m->res->guest_stats++;
		else
			m->res->host_stats++;
	}
}

/* The host's rows, phase by phase: host phase hoff + N is guest phase N. */
static void write_host_stats(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->h->n_stats; i++) {
		const struct rec_stat *s = &m->h->stats[i];
		const char *view = host_out_view(s->view);
		int phase = s->phase - m->hoff;
		char vk[160];

		if (!view)
			continue;
		if (phase < 0 || (size_t)phase >= m->g->n_phases) {
			const char *k;

			snprintf(vk, sizeof(vk), "%s\t%s", view, s->kind);
			k = intern(m, vk);
			note(m, k ? outside_add(m, k, s->count, s->sum_ns) : -ENOMEM);
			continue;
		}
		note(m, recfile_put_stat(m->rf, phase, view, s->kind, s->key, s->name, s->count,
					 s->sum_ns, s->min_ns, s->max_ns,
					 s->has_hist ? s->hist : NULL));
		m->res->host_stats++;
	}
}

static void write_rest(struct merge *m, int host_too)
{
	char name[256];
	size_t i;

	for (i = 0; i < m->g->n_counters; i++) {
		const struct rec_counter *c = &m->g->counters[i];

		note(m, recfile_put_counter(m->rf, c->phase, c->event, c->supported, c->value,
					    c->enabled_ns, c->running_ns));
	}
	for (i = 0; host_too && i < m->h->n_counters; i++) {
		const struct rec_counter *c = &m->h->counters[i];
		int phase = c->phase - m->hoff;

		if (phase < 0 || (size_t)phase >= m->g->n_phases)
			continue;	/* the VM's boot and shutdown: no guest phase */
		snprintf(name, sizeof(name), "host/%s", c->event);
		note(m, recfile_put_counter(m->rf, phase, name, c->supported, c->value,
					    c->enabled_ns, c->running_ns));
	}
	for (i = 0; i < m->g->n_calib; i++)
		note(m, recfile_put_calib(m->rf, m->g->calib[i].probe, m->g->calib[i].unit_ns,
					  m->g->calib[i].spread_ns, m->g->calib[i].iterations));
	for (i = 0; i < m->h->n_calib; i++) {
		snprintf(name, sizeof(name), "host/%s", m->h->calib[i].probe);
		note(m, recfile_put_calib(m->rf, name, m->h->calib[i].unit_ns,
					  m->h->calib[i].spread_ns, m->h->calib[i].iterations));
	}
	for (i = 0; i < m->g->n_procs; i++) {
		const struct rec_proc *p = &m->g->procs[i];
		struct hvt_event s = { .type = HVT_EV_EXEC }, e = { .type = HVT_EV_EXIT };

		s.pid = e.pid = p->pid;
		s.ppid = e.ppid = p->ppid;
		s.phase = e.phase = p->phase;
		snprintf(s.comm, sizeof(s.comm), "%s", p->comm);
		memcpy(e.comm, s.comm, sizeof(e.comm));
		snprintf(s.path, sizeof(s.path), "%s", p->exec);
		s.ts_ns = to_host(m, p->start_mono);
		e.ts_ns = to_host(m, p->end_mono);
		e.exit_code = p->exit_status;
		e.utime_ns = p->utime_ns;
		e.stime_ns = p->stime_ns;
		e.min_flt = p->min_flt;
		e.maj_flt = p->maj_flt;
		note(m, recfile_put_proc(m->rf, p->start_mono || !p->end_mono ? &s : NULL,
					 p->end_mono ? &e : NULL));
	}
}

static int write_host_by_series(struct merge *m)
{
	size_t i;
	int err;

	err = each_series(m->hdb, reattribute_row, m);
	if (err)
		return err;
	if (!m->acc_n)
		return 0;
	qsort(m->acc, m->acc_cap, sizeof(*m->acc), acc_cmp);
	for (i = 0; i < m->acc_n; i++) {
		const struct acc *a = &m->acc[i];

		char view[16];
		const char *kind = strchr(a->kind, '\t');

		snprintf(view, sizeof(view), "%.*s", (int)(kind - a->kind), a->kind);
		kind++;
		note(m, recfile_put_stat(m->rf, a->phase, view, kind, a->key,
					 host_stat_name(m, view, kind, a->key), a->count,
					 a->sum_ns, 0, 0, NULL));
		m->res->host_stats++;
	}
	return 0;
}

static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	if (stat(a, &x) || stat(b, &y))
		return 0;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/*
 * How much of the host recording lies before the guest's first phase and
 * after its last (the VM's boot, the hand-over of the guest's recording,
 * shutdown): -1 when the host recording does not say when it ran.
 */
static void outside_times(struct merge *m)
{
	int64_t hs = recording_meta_int(m->h, "start_mono_ns", -1);
	int64_t he = recording_meta_int(m->h, "end_mono_ns", -1);
	int64_t first = m->ph[0].start, last = m->ph[m->nph - 1].end;

	m->res->host_before_ns = m->res->host_after_ns = -1;
	if (hs < 0 || he < hs)
		return;
	first = first < hs ? hs : first > he ? he : first;
	last = last == OPEN_END ? he : last < first ? first : last > he ? he : last;
	m->res->host_before_ns = first - hs;
	m->res->host_after_ns = he - last;
}

static uint64_t outside_count(const struct merge *m, const char *vk)
{
	size_t i;

	for (i = 0; i < m->nout; i++)
		if (!strcmp(m->out[i].kind, vk))
			return m->out[i].count;
	return 0;
}

/*
 * What the host counted outside the guest's phases: expected (the VM boots
 * before the guest's workload starts), so said as a fact, with the time it
 * covers and, of the kinds that are plain events, how many: a sum over all
 * kinds would add bytes to calls.
 */
static void say_outside(struct merge *m)
{
	const struct merge_result *r = m->res;
	uint64_t sc = outside_count(m, "vmm\tsyscall"), pf = outside_count(m, "vmm\tfault");
	uint64_t ex = outside_count(m, "host\texit");
	char when[128], what[160];
	int n = 0;

	if (!m->nout)
		return;
	if (r->host_before_ns >= 0)
		snprintf(when, sizeof(when), "%.1f s of the host recording before the guest's "
			 "first phase and %.1f s after its last", r->host_before_ns / 1e9,
			 r->host_after_ns / 1e9);
	else
		snprintf(when, sizeof(when), "the host recording's time outside the guest's "
			 "phases");
	if (sc || pf)
		n += snprintf(what + n, sizeof(what) - n, "the VMM's %llu syscalls and %llu page "
			      "faults", (unsigned long long)sc, (unsigned long long)pf);
	if (ex)
		n += snprintf(what + n, sizeof(what) - n, "%s%llu VM exits", n ? ", " : "",
			      (unsigned long long)ex);
	snprintf(what + n, sizeof(what) - n, "%severy kind in meta host_outside_*", n ? "; " : "");
	inform(m, "%s are in no guest phase: what the host counted then is left out of the "
	       "phases' stats (%s)", when, what);
}

static int write_output(struct merge *m)
{
	const struct merge_opts *o = m->o;
	int match = phases_match(m), err;

	m->res->host_by_series = !match;
	outside_times(m);
	m->rf = recfile_create(o->out_path, m->errbuf, m->errlen);
	if (!m->rf)
		return -errno;
	note(m, recfile_begin(m->rf));
	write_phases(m);
	write_stats(m, m->g, "guest");
	if (match) {
		write_host_stats(m);
		err = 0;
	} else {
		err = write_host_by_series(m);
	}
	err = err ?: each_series(m->gdb, copy_series_guest, m) ?:
	      each_series(m->hdb, copy_series_host, m);
	if (err)
		return fail(m, err, "cannot read the series of '%s': %s",
			    match ? o->guest_path : o->host_path, strerror(-err));
	write_rest(m, match);
	write_meta(m);
	note(m, recfile_commit(m->rf));
	if (m->err)
		return fail(m, m->err, "cannot write '%s': %s", o->out_path, strerror(-m->err));
	return 0;
}

static void merge_free(struct merge *m)
{
	size_t i;

	recording_free(m->g);
	recording_free(m->h);
	sqlite3_close(m->gdb);
	sqlite3_close(m->hdb);
	free(m->ph);
	free(m->acc);
	free(m->out);
	for (i = 0; i < m->nkinds; i++)
		free(m->kinds[i]);
	free(m->kinds);
}

int merge_recordings(const struct merge_opts *o, struct merge_result *ret, char *err,
		     size_t errlen)
{
	struct merge m = { .o = o, .res = ret, .errbuf = err, .errlen = errlen };
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->clock_source = "";
	if (same_file(o->out_path, o->guest_path) || same_file(o->out_path, o->host_path) ||
	    !strcmp(o->out_path, o->guest_path) || !strcmp(o->out_path, o->host_path)) {
		rc = fail(&m, -EINVAL, "the output '%s' would replace an input", o->out_path);
		goto out_free;
	}
	/* SQLite checks the guest's file before anything reads it. */
	rc = open_db(&m, o->guest_path, 1, &m.gdb);
	if (rc) {
		/* recording_load says best what a file that is no recording is. */
		m.g = recording_load(o->guest_path, err, errlen);
		if (!m.g)
			rc = -errno;
		else
			fail(&m, rc, "recording '%s' is damaged (SQLite's quick_check failed)",
			     o->guest_path);
		goto out_free;
	}
	m.g = recording_load(o->guest_path, err, errlen);
	if (!m.g) {
		rc = -errno;
		goto out_free;
	}
	m.h = recording_load(o->host_path, err, errlen);
	if (!m.h) {
		rc = -errno;
		goto out_free;
	}
	rc = open_db(&m, o->host_path, 0, &m.hdb);
	if (rc)
		goto out_free;
	if (meta_has(m.g, "merged") || has_view(m.gdb, "host")) {
		rc = fail(&m, -EINVAL, "'%s' already has a host view (merged before?)",
			  o->guest_path);
		goto out_free;
	}
	if (!has_view(m.hdb, "host") && !has_view(m.hdb, "guest")) {
		rc = fail(&m, -EINVAL, "'%s' has no data of the VM's host side (record it with "
			  "'hvtrace record --vm' or '--pid')", o->host_path);
		goto out_free;
	}
	m.hoff = recording_meta_int(m.h, "guest_phase_offset", 0) == 1;
	m.host_real_minus_mono = meta_has(m.h, "start_real_ns") && meta_has(m.h, "start_mono_ns") ?
		recording_meta_int(m.h, "start_real_ns", 0) -
		recording_meta_int(m.h, "start_mono_ns", 0) : 0;
	m.host_start = recording_meta_int(m.h, "start_mono_ns", INT64_MIN);
	m.interval_ns = recording_meta_int(m.h, "interval_ms", 1000);
	m.interval_ns = m.interval_ns > 0 && m.interval_ns <= 3600000 ? m.interval_ns * 1000000 :
		1000000000;
	rc = choose_clock(&m) ?: map_phases(&m);
	if (rc)
		goto out_free;
	ret->clock = m.clock;
	ret->phases = m.nph;
	if (!m.res->n_warn && m.nph && meta_has(m.h, "start_mono_ns") &&
	    (m.ph[0].start > recording_meta_int(m.h, "end_mono_ns", OPEN_END) ||
	     m.ph[m.nph - 1].end < recording_meta_int(m.h, "start_mono_ns", 0)))
		warn(&m, "the guest's run lies outside the host recording's time: its phases get "
		     "no host-view counts (wrong offset?)");
	rc = write_output(&m);
	if (!rc)
		say_outside(&m);
	ret->host_outside_kinds = m.nout;
out_free:
	if (m.rf) {
		recfile_close(m.rf);
		if (rc)
			unlink(o->out_path);
	}
	merge_free(&m);
	return rc;
}
