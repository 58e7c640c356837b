/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * recfile: the recording file (.hvt, an SQLite database). Writing while a
 * recording runs, and loading a finished (or half-finished) one into memory.
 * The schema is documented in docs/recording-format.md.
 */
#ifndef HVT_RECFILE_H
#define HVT_RECFILE_H

#include <stdint.h>
#include <stddef.h>
#include "../bpf/hvtrace.h"

#define RECFILE_SCHEMA 1

struct recfile;

/* ---- writing ---------------------------------------------------------- */

/* Creates (truncating) PATH. NULL and errno set on failure; *ret_err says why. */
struct recfile *recfile_create(const char *path, char *ret_err, size_t errlen);
void recfile_close(struct recfile *rf);

int recfile_begin(struct recfile *rf);		/* one transaction per tick */
int recfile_commit(struct recfile *rf);

int recfile_set_meta(struct recfile *rf, const char *key, const char *value);
int recfile_set_meta_int(struct recfile *rf, const char *key, int64_t value);

int recfile_put_phase(struct recfile *rf, int id, const char *name, const char *source,
		      int64_t start_mono, int64_t start_real, int pid);
int recfile_end_phase(struct recfile *rf, int id, int64_t end_mono, int64_t end_real,
		      int exit_status);
int recfile_rename_phase(struct recfile *rf, int id, const char *name);

/* Upsert of a cumulative aggregate; hist may be NULL. */
int recfile_put_stat(struct recfile *rf, int phase, const char *view, const char *kind,
		     int64_t key, const char *name, uint64_t count, uint64_t sum_ns,
		     uint64_t min_ns, uint64_t max_ns, const uint64_t *hist);
int recfile_put_series(struct recfile *rf, int64_t tick, int64_t t_mono, int phase,
		       const char *view, const char *kind, int64_t key, uint64_t count,
		       uint64_t sum_ns);
int recfile_put_counter(struct recfile *rf, int phase, const char *event, int supported,
			uint64_t value, uint64_t enabled_ns, uint64_t running_ns);
int recfile_put_calib(struct recfile *rf, const char *probe, double unit_ns, double spread_ns,
		      int64_t iterations);
int recfile_put_proc(struct recfile *rf, const struct hvt_event *start,
		     const struct hvt_event *end);

/* ---- reading ---------------------------------------------------------- */

struct rec_meta {
	char *key;
	char *value;
};

struct rec_phase {
	int id;
	char *name;
	char *source;		/* start | auto | mark | window */
	int64_t start_mono, end_mono;	/* ns; end_mono 0 when the phase never ended */
	int64_t start_real, end_real;
	int pid;
	int exit_status;	/* -1 when unknown */
};

struct rec_stat {
	int64_t id;		/* row id in the file */
	int phase;
	char *view;		/* guest | host */
	char *kind;		/* syscall | fault | proc | sched | cpu | steal | ... */
	int64_t key;
	char *name;
	uint64_t count, sum_ns, min_ns, max_ns;
	uint64_t hist[HVT_HIST_SLOTS];
	int has_hist;
};

struct rec_counter {
	int phase;
	char *event;
	int supported;
	uint64_t value, enabled_ns, running_ns;
};

struct rec_calib {
	char *probe;
	double unit_ns, spread_ns;
	int64_t iterations;
};

struct rec_proc {
	int pid, ppid, phase;
	char *comm, *exec;
	int64_t start_mono, end_mono;
	int exit_status;
	uint64_t utime_ns, stime_ns, min_flt, maj_flt;
};

struct recording {
	char *path;
	struct rec_meta *meta;
	size_t n_meta;
	struct rec_phase *phases;	/* ordered by id */
	size_t n_phases;
	struct rec_stat *stats;		/* ordered by phase, view, kind, key */
	size_t n_stats;
	struct rec_counter *counters;
	size_t n_counters;
	struct rec_calib *calib;
	size_t n_calib;
	struct rec_proc *procs;
	size_t n_procs;
};

/*
 * Loads PATH. On failure returns NULL with errno set and a sentence in
 * ret_err naming the problem ("not an hvtrace recording", "schema 9, this
 * hvtrace reads up to 1", "truncated or damaged: ...").
 */
struct recording *recording_load(const char *path, char *ret_err, size_t errlen);
void recording_free(struct recording *rec);

const char *recording_meta(const struct recording *rec, const char *key); /* NULL if absent */
int64_t recording_meta_int(const struct recording *rec, const char *key, int64_t dflt);

#endif /* HVT_RECFILE_H */
