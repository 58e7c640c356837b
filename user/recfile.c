// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* recfile: write and load .hvt recordings (SQLite). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "recfile.h"

#define RECFILE_APP_ID 0x48565452 /* "HVTR": tells our files from other SQLite files */

enum stmt_id {
	ST_META,
	ST_PHASE,
	ST_PHASE_END,
	ST_PHASE_RENAME,
	ST_STAT,
	ST_STAT_ID,
	ST_HIST,
	ST_SERIES,
	ST_COUNTER,
	ST_CALIB,
	ST_PROC,
	ST_COUNT,
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
	[ST_PHASE] = "INSERT OR REPLACE INTO phase(id, name, source, start_mono_ns, start_real_ns,"
		     " pid, exit_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, -1)",
	[ST_PHASE_END] = "UPDATE phase SET end_mono_ns = ?2, end_real_ns = ?3, exit_status = ?4"
			 " WHERE id = ?1",
	[ST_PHASE_RENAME] = "UPDATE phase SET name = ?2 WHERE id = ?1",
	[ST_STAT] = "INSERT INTO stat(phase, view, kind, key, name, count, sum_ns, min_ns, max_ns)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		    " ON CONFLICT(phase, view, kind, key) DO UPDATE SET name = excluded.name,"
		    " count = excluded.count, sum_ns = excluded.sum_ns, min_ns = excluded.min_ns,"
		    " max_ns = excluded.max_ns",
	[ST_STAT_ID] = "SELECT id FROM stat WHERE phase = ?1 AND view = ?2 AND kind = ?3 AND key = ?4",
	[ST_HIST] = "INSERT OR REPLACE INTO hist(stat, bucket, count) VALUES (?1, ?2, ?3)",
	[ST_SERIES] = "INSERT INTO series(tick, t_mono_ns, phase, view, kind, key, count, sum_ns)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_COUNTER] = "INSERT OR REPLACE INTO counter(phase, event, supported, value, enabled_ns,"
		       " running_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_CALIB] = "INSERT OR REPLACE INTO calib(probe, unit_ns, spread_ns, iterations)"
		     " VALUES (?1, ?2, ?3, ?4)",
	[ST_PROC] = "INSERT INTO proc(pid, ppid, comm, exec, phase, start_mono_ns, end_mono_ns,"
		    " exit_status, utime_ns, stime_ns, min_flt, maj_flt)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
};

static const char schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE phase (id INTEGER PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL,"
	" start_mono_ns INTEGER, end_mono_ns INTEGER, start_real_ns INTEGER, end_real_ns INTEGER,"
	" pid INTEGER, exit_status INTEGER);"
	"CREATE TABLE stat (id INTEGER PRIMARY KEY, phase INTEGER NOT NULL, view TEXT NOT NULL,"
	" kind TEXT NOT NULL, key INTEGER NOT NULL, name TEXT, count INTEGER, sum_ns INTEGER,"
	" min_ns INTEGER, max_ns INTEGER, UNIQUE(phase, view, kind, key));"
	"CREATE TABLE hist (stat INTEGER NOT NULL REFERENCES stat(id), bucket INTEGER NOT NULL,"
	" count INTEGER, PRIMARY KEY(stat, bucket));"
	"CREATE TABLE series (tick INTEGER, t_mono_ns INTEGER, phase INTEGER, view TEXT, kind TEXT,"
	" key INTEGER, count INTEGER, sum_ns INTEGER);"
	"CREATE TABLE calib (probe TEXT PRIMARY KEY, unit_ns REAL, spread_ns REAL,"
	" iterations INTEGER);"
	"CREATE TABLE counter (phase INTEGER, event TEXT, supported INTEGER, value INTEGER,"
	" enabled_ns INTEGER, running_ns INTEGER, PRIMARY KEY(phase, event));"
	"CREATE TABLE proc (pid INTEGER, ppid INTEGER, comm TEXT, exec TEXT, phase INTEGER,"
	" start_mono_ns INTEGER, end_mono_ns INTEGER, exit_status INTEGER, utime_ns INTEGER,"
	" stime_ns INTEGER, min_flt INTEGER, maj_flt INTEGER);";

struct recfile {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int in_tx;
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int db_errno(sqlite3 *db)
{
	switch (sqlite3_errcode(db)) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CANTOPEN:
		return ENOENT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return EACCES;
	case SQLITE_NOMEM:
		return ENOMEM;
	default:
		return EIO;
	}
}

struct recfile *recfile_create(const char *path, char *ret_err, size_t errlen)
{
	struct recfile *rf;
	char sql[64];
	int i;

	rf = calloc(1, sizeof(*rf));
	if (!rf) {
		set_err(ret_err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* A fresh file: an old recording at PATH must not leave rows behind. */
	if (unlink(path) && errno != ENOENT) {
		set_err(ret_err, errlen, "cannot replace '%s': %s", path, strerror(errno));
		free(rf);
		return NULL;
	}
	if (sqlite3_open_v2(path, &rf->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
		int err = rf->db ? db_errno(rf->db) : ENOMEM;

		set_err(ret_err, errlen, "cannot create recording '%s': %s", path,
			err == ENOENT ? strerror(ENOENT) : sqlite3_errmsg(rf->db));
		sqlite3_close(rf->db);
		free(rf);
		errno = err;
		return NULL;
	}
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
		 RECFILE_APP_ID, RECFILE_SCHEMA);
	/*
	 * WAL keeps a killed recorder's last committed tick readable without the
	 * cost of a full sync per tick; the file is checkpointed back on close.
	 */
	if (sqlite3_exec(rf->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
			 NULL) ||
	    sqlite3_exec(rf->db, sql, NULL, NULL, NULL) ||
	    sqlite3_exec(rf->db, schema_sql, NULL, NULL, NULL))
		goto out_db_err;
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(rf->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &rf->st[i],
				       NULL))
			goto out_db_err;
	/* The header (application id, schema) into the main file now, so a killed
	 * recorder leaves a file that says what it is. */
	if (sqlite3_exec(rf->db, "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL))
		goto out_db_err;
	return rf;

out_db_err:
	set_err(ret_err, errlen, "cannot create recording '%s': %s", path, sqlite3_errmsg(rf->db));
	errno = db_errno(rf->db);
	recfile_close(rf);
	return NULL;
}

void recfile_close(struct recfile *rf)
{
	int i;

	if (!rf)
		return;
	if (rf->in_tx)
		recfile_commit(rf);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(rf->st[i]);
	if (rf->db) {
		/* Fold the WAL back so the recording is one self-contained file. */
		sqlite3_exec(rf->db, "PRAGMA journal_mode=DELETE;", NULL, NULL, NULL);
		sqlite3_close(rf->db);
	}
	free(rf);
}

int recfile_begin(struct recfile *rf)
{
	if (rf->in_tx)
		return 0;
	if (sqlite3_exec(rf->db, "BEGIN", NULL, NULL, NULL))
		return -db_errno(rf->db);
	rf->in_tx = 1;
	return 0;
}

int recfile_commit(struct recfile *rf)
{
	if (!rf->in_tx)
		return 0;
	rf->in_tx = 0;
	if (sqlite3_exec(rf->db, "COMMIT", NULL, NULL, NULL))
		return -db_errno(rf->db);
	return 0;
}

/* Binds "iI s d n" style arguments: i=int, I=int64, s=text, d=double, n=NULL. */
static int run(struct recfile *rf, enum stmt_id id, const char *types, ...)
{
	sqlite3_stmt *st = rf->st[id];
	va_list ap;
	int i, rc;

	sqlite3_reset(st);
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		case 'I':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 's':
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
			break;
		case 'd':
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
			break;
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	/*
	 * A statement left active holds its read transaction open: the WAL could
	 * then never be checkpointed and would grow by every tick's pages for the
	 * whole run. A caller that gets a row reads it and calls done().
	 */
	if (rc != SQLITE_ROW)
		sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -db_errno(rf->db);
	return rc == SQLITE_ROW ? 1 : 0;
}

static void done(struct recfile *rf, enum stmt_id id)
{
	sqlite3_reset(rf->st[id]);
}

int recfile_set_meta(struct recfile *rf, const char *key, const char *value)
{
	return run(rf, ST_META, "ss", key, value ? value : "");
}

int recfile_set_meta_int(struct recfile *rf, const char *key, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	return recfile_set_meta(rf, key, buf);
}

int recfile_put_phase(struct recfile *rf, int id, const char *name, const char *source,
		      int64_t start_mono, int64_t start_real, int pid)
{
	return run(rf, ST_PHASE, "issIIi", id, name, source, start_mono, start_real, pid);
}

int recfile_end_phase(struct recfile *rf, int id, int64_t end_mono, int64_t end_real,
		      int exit_status)
{
	return run(rf, ST_PHASE_END, "iIIi", id, end_mono, end_real, exit_status);
}

int recfile_rename_phase(struct recfile *rf, int id, const char *name)
{
	return run(rf, ST_PHASE_RENAME, "is", id, name);
}

int recfile_put_stat(struct recfile *rf, int phase, const char *view, const char *kind,
		     int64_t key, const char *name, uint64_t count, uint64_t sum_ns,
		     uint64_t min_ns, uint64_t max_ns, const uint64_t *hist)
{
	int64_t stat_id;
	int err, b;

	err = run(rf, ST_STAT, "issIsIIII", phase, view, kind, key, name ? name : "",
		  (int64_t)count, (int64_t)sum_ns, (int64_t)min_ns, (int64_t)max_ns);
	if (err < 0 || !hist)
		return err;
	err = run(rf, ST_STAT_ID, "issI", phase, view, kind, key);
	if (err != 1)
		return err < 0 ? err : -EIO;
	stat_id = sqlite3_column_int64(rf->st[ST_STAT_ID], 0);
	done(rf, ST_STAT_ID);
	for (b = 0; b < HVT_HIST_SLOTS; b++) {
		if (!hist[b])
			continue;
		err = run(rf, ST_HIST, "III", stat_id, (int64_t)b, (int64_t)hist[b]);
		if (err < 0)
			return err;
	}
	return 0;
}

int recfile_put_series(struct recfile *rf, int64_t tick, int64_t t_mono, int phase,
		       const char *view, const char *kind, int64_t key, uint64_t count,
		       uint64_t sum_ns)
{
	return run(rf, ST_SERIES, "IIissIII", tick, t_mono, phase, view, kind, key,
		   (int64_t)count, (int64_t)sum_ns);
}

int recfile_put_counter(struct recfile *rf, int phase, const char *event, int supported,
			uint64_t value, uint64_t enabled_ns, uint64_t running_ns)
{
	return run(rf, ST_COUNTER, "isiIII", phase, event, supported, (int64_t)value,
		   (int64_t)enabled_ns, (int64_t)running_ns);
}

int recfile_put_calib(struct recfile *rf, const char *probe, double unit_ns, double spread_ns,
		      int64_t iterations)
{
	return run(rf, ST_CALIB, "sddI", probe, unit_ns, spread_ns, iterations);
}

int recfile_put_proc(struct recfile *rf, const struct hvt_event *start,
		     const struct hvt_event *end)
{
	const struct hvt_event *any = end ? end : start;
	char comm[HVT_COMM_LEN + 1], path[HVT_PATH_LEN + 1];

	/* Strings from the kernel are bounded but not always terminated. */
	snprintf(comm, sizeof(comm), "%.*s", HVT_COMM_LEN, any->comm);
	snprintf(path, sizeof(path), "%.*s", HVT_PATH_LEN, start ? start->path : "");
	return run(rf, ST_PROC, "iissiIIiIIII", (int)any->pid, (int)any->ppid, comm, path,
		   (int)(start ? start->phase : end->phase),
		   (int64_t)(start ? start->ts_ns : 0), (int64_t)(end ? end->ts_ns : 0),
		   end ? end->exit_code : -1, (int64_t)(end ? end->utime_ns : 0),
		   (int64_t)(end ? end->stime_ns : 0), (int64_t)(end ? end->min_flt : 0),
		   (int64_t)(end ? end->maj_flt : 0));
}

/* ---- reading ---------------------------------------------------------- */

static char *col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return strdup(s ? (const char *)s : "");
}

/* Grows *arr by one element of size sz; returns the new element or NULL. */
static void *grow(void *arr_ptr, size_t *n, size_t sz)
{
	void **arr = arr_ptr;
	void *p;

	if ((*n & (*n - 1)) == 0) { /* capacity doubles at powers of two */
		p = realloc(*arr, (*n ? *n * 2 : 1) * sz);
		if (!p)
			return NULL;
		*arr = p;
	}
	p = (char *)*arr + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

static int load_rows(sqlite3 *db, const char *sql, int (*row)(sqlite3_stmt *, struct recording *),
		     struct recording *rec)
{
	sqlite3_stmt *st;
	int rc, err = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = row(st, rec);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = -EIO;
	sqlite3_finalize(st);
	return err;
}

static int row_meta(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_meta *m = grow(&rec->meta, &rec->n_meta, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->key = col_str(st, 0);
	m->value = col_str(st, 1);
	return 0;
}

static int row_phase(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_phase *p = grow(&rec->phases, &rec->n_phases, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->id = sqlite3_column_int(st, 0);
	p->name = col_str(st, 1);
	p->source = col_str(st, 2);
	p->start_mono = sqlite3_column_int64(st, 3);
	p->end_mono = sqlite3_column_int64(st, 4);
	p->start_real = sqlite3_column_int64(st, 5);
	p->end_real = sqlite3_column_int64(st, 6);
	p->pid = sqlite3_column_int(st, 7);
	p->exit_status = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 8);
	return 0;
}

static int row_stat(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_stat *s = grow(&rec->stats, &rec->n_stats, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->id = sqlite3_column_int64(st, 0);
	s->phase = sqlite3_column_int(st, 1);
	s->view = col_str(st, 2);
	s->kind = col_str(st, 3);
	s->key = sqlite3_column_int64(st, 4);
	s->name = col_str(st, 5);
	s->count = sqlite3_column_int64(st, 6);
	s->sum_ns = sqlite3_column_int64(st, 7);
	s->min_ns = sqlite3_column_int64(st, 8);
	s->max_ns = sqlite3_column_int64(st, 9);
	return 0;
}

/* Stats are loaded ordered by id, so a hist row finds its stat by bisection. */
static int row_hist(sqlite3_stmt *st, struct recording *rec)
{
	int64_t id = sqlite3_column_int64(st, 0);
	int64_t bucket = sqlite3_column_int64(st, 1);
	int64_t count = sqlite3_column_int64(st, 2);
	size_t lo = 0, hi = rec->n_stats;

	if (bucket < 0 || bucket >= HVT_HIST_SLOTS || count < 0)
		return -EINVAL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rec->stats[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == rec->n_stats || rec->stats[lo].id != id)
		return -EINVAL;
	rec->stats[lo].hist[bucket] = count;
	rec->stats[lo].has_hist = 1;
	return 0;
}

static int row_counter(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_counter *c = grow(&rec->counters, &rec->n_counters, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->phase = sqlite3_column_int(st, 0);
	c->event = col_str(st, 1);
	c->supported = sqlite3_column_int(st, 2);
	c->value = sqlite3_column_int64(st, 3);
	c->enabled_ns = sqlite3_column_int64(st, 4);
	c->running_ns = sqlite3_column_int64(st, 5);
	return 0;
}

static int row_calib(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_calib *c = grow(&rec->calib, &rec->n_calib, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->probe = col_str(st, 0);
	c->unit_ns = sqlite3_column_double(st, 1);
	c->spread_ns = sqlite3_column_double(st, 2);
	c->iterations = sqlite3_column_int64(st, 3);
	return 0;
}

static int row_proc(sqlite3_stmt *st, struct recording *rec)
{
	struct rec_proc *p = grow(&rec->procs, &rec->n_procs, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->pid = sqlite3_column_int(st, 0);
	p->ppid = sqlite3_column_int(st, 1);
	p->comm = col_str(st, 2);
	p->exec = col_str(st, 3);
	p->phase = sqlite3_column_int(st, 4);
	p->start_mono = sqlite3_column_int64(st, 5);
	p->end_mono = sqlite3_column_int64(st, 6);
	p->exit_status = sqlite3_column_int(st, 7);
	p->utime_ns = sqlite3_column_int64(st, 8);
	p->stime_ns = sqlite3_column_int64(st, 9);
	p->min_flt = sqlite3_column_int64(st, 10);
	p->maj_flt = sqlite3_column_int64(st, 11);
	return 0;
}

static int stat_cmp(const void *a, const void *b)
{
	const struct rec_stat *x = a, *y = b;
	int c;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	c = strcmp(x->view, y->view);
	if (c)
		return c;
	c = strcmp(x->kind, y->kind);
	if (c)
		return c;
	return x->key < y->key ? -1 : x->key > y->key;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Reads the 100-byte SQLite header ourselves, so that "not a recording",
 * "newer schema" and "truncated" each get their own sentence before SQLite
 * sees the file.
 */
static int check_header(const char *path, int64_t size, char *ret_err, size_t errlen)
{
	unsigned char h[100];
	uint32_t page_size, pages, version;
	char wal[4096];
	struct stat wsb;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		set_err(ret_err, errlen, "cannot open recording '%s': %s", path, strerror(errno));
		return -errno;
	}
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	/* With a write-ahead log beside it (a recorder still running, or killed),
	 * the main file's header may be stale: SQLite reads the log. */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (n >= 16 && !memcmp(h, "SQLite format 3", 16) && !stat(wal, &wsb) && wsb.st_size > 0)
		return 0;
	if (n < 16 || memcmp(h, "SQLite format 3", 16) ||
	    (n == sizeof(h) && be32(h + 68) != RECFILE_APP_ID)) {
		set_err(ret_err, errlen, "cannot open recording '%s': not an hvtrace recording", path);
		return -EINVAL;
	}
	if (n < sizeof(h)) {
		set_err(ret_err, errlen, "cannot open recording '%s': truncated (%zu bytes)", path, n);
		return -EIO;
	}
	version = be32(h + 60);
	if (version < 1 || version > RECFILE_SCHEMA) {
		set_err(ret_err, errlen,
			"cannot open recording '%s': schema %u, this hvtrace reads 1 to %d%s", path,
			version, RECFILE_SCHEMA, version > RECFILE_SCHEMA ? " (upgrade hvtrace)" : "");
		return -EPROTO;
	}
	page_size = (uint32_t)h[16] << 8 | h[17];
	if (page_size == 1)
		page_size = 65536;
	pages = be32(h + 28);
	if (pages && (int64_t)pages * page_size > size) {
		set_err(ret_err, errlen,
			"cannot open recording '%s': truncated (%lld of %lld bytes)", path,
			(long long)size, (long long)pages * page_size);
		return -EIO;
	}
	return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, int *ret)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

struct recording *recording_load(const char *path, char *ret_err, size_t errlen)
{
	static const struct {
		const char *sql;
		int (*row)(sqlite3_stmt *, struct recording *);
	} tables[] = {
		{ "SELECT key, value FROM meta ORDER BY key", row_meta },
		{ "SELECT id, name, source, start_mono_ns, end_mono_ns, start_real_ns, end_real_ns,"
		  " pid, exit_status FROM phase ORDER BY id", row_phase },
		{ "SELECT id, phase, view, kind, key, name, count, sum_ns, min_ns, max_ns FROM stat"
		  " ORDER BY id", row_stat },
		{ "SELECT stat, bucket, count FROM hist", row_hist },
		{ "SELECT phase, event, supported, value, enabled_ns, running_ns FROM counter"
		  " ORDER BY phase, event", row_counter },
		{ "SELECT probe, unit_ns, spread_ns, iterations FROM calib ORDER BY probe", row_calib },
		{ "SELECT pid, ppid, comm, exec, phase, start_mono_ns, end_mono_ns, exit_status,"
		  " utime_ns, stime_ns, min_flt, maj_flt FROM proc ORDER BY start_mono_ns, pid",
		  row_proc },
	};
	struct recording *rec;
	struct stat sb;
	sqlite3 *db = NULL;
	int app_id = 0, version = 0, err;
	size_t i;

	if (stat(path, &sb)) {
		set_err(ret_err, errlen, "cannot open recording '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		set_err(ret_err, errlen, "cannot open recording '%s': is a directory", path);
		errno = EISDIR;
		return NULL;
	}
	if (sb.st_size == 0) {
		set_err(ret_err, errlen, "cannot open recording '%s': the file is empty", path);
		errno = EINVAL;
		return NULL;
	}
	err = check_header(path, sb.st_size, ret_err, errlen);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		set_err(ret_err, errlen, "cannot open recording '%s': %s", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		errno = EIO;
		goto out_close;
	}
	if (pragma_int(db, "PRAGMA application_id", &app_id) || app_id != RECFILE_APP_ID ||
	    pragma_int(db, "PRAGMA user_version", &version)) {
		set_err(ret_err, errlen, "cannot open recording '%s': truncated or damaged (%s)",
			path, sqlite3_errmsg(db));
		errno = EIO;
		goto out_close;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		errno = ENOMEM;
		goto out_close;
	}
	rec->path = strdup(path);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		err = load_rows(db, tables[i].sql, tables[i].row, rec);
		if (err) {
			set_err(ret_err, errlen,
				"cannot open recording '%s': truncated or damaged (%s)", path,
				err == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
			recording_free(rec);
			errno = err == -ENOMEM ? ENOMEM : EIO;
			goto out_close;
		}
	}
	sqlite3_close(db);
	if (rec->n_stats)
		qsort(rec->stats, rec->n_stats, sizeof(*rec->stats), stat_cmp);
	return rec;

out_close:
	sqlite3_close(db);
	return NULL;
}

void recording_free(struct recording *rec)
{
	size_t i;

	if (!rec)
		return;
	for (i = 0; i < rec->n_meta; i++) {
		free(rec->meta[i].key);
		free(rec->meta[i].value);
	}
	for (i = 0; i < rec->n_phases; i++) {
		free(rec->phases[i].name);
		free(rec->phases[i].source);
	}
	for (i = 0; i < rec->n_stats; i++) {
		free(rec->stats[i].view);
		free(rec->stats[i].kind);
		free(rec->stats[i].name);
	}
	for (i = 0; i < rec->n_counters; i++)
		free(rec->counters[i].event);
	for (i = 0; i < rec->n_calib; i++)
		free(rec->calib[i].probe);
	for (i = 0; i < rec->n_procs; i++) {
		free(rec->procs[i].comm);
		free(rec->procs[i].exec);
	}
	free(rec->meta);
	free(rec->phases);
	free(rec->stats);
	free(rec->counters);
	free(rec->calib);
	free(rec->procs);
	free(rec->path);
	free(rec);
}

const char *recording_meta(const struct recording *rec, const char *key)
{
	size_t i;

	for (i = 0; i < rec->n_meta; i++)
		if (!strcmp(rec->meta[i].key, key))
			return rec->meta[i].value;
	return NULL;
}

int64_t recording_meta_int(const struct recording *rec, const char *key, int64_t dflt)
{
	const char *v = recording_meta(rec, key);
	char *end;
	long long n;

	if (!v || !*v)
		return dflt;
	n = strtoll(v, &end, 10);
	return *end ? dflt : n;
}
