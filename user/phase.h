/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * phase: the wall-clock phases of a recording. Phase ids come from the kernel
 * side (automatic phases) or from marks; phases are contiguous, so each ends
 * where the next one starts and the last where the recording ends.
 */
#ifndef HVT_PHASE_H
#define HVT_PHASE_H

#include <stdint.h>
#include <stddef.h>
#include "recfile.h"

#define PHASE_NAME_MAX 64

struct phase {
	int id;
	int known;		/* 0: a gap left by a lost event */
	char name[PHASE_NAME_MAX];
	const char *source;	/* start | auto | mark */
	int64_t start_mono;
	int pid;		/* process that opened it, 0 for marks */
	int exit_status;	/* wait status of that process, -1 unknown */
};

struct phases {
	struct phase *v;	/* indexed by id */
	size_t n;
	int64_t real_minus_mono;	/* converts CLOCK_MONOTONIC to CLOCK_REALTIME */
	int64_t end_mono;	/* 0 while recording */
};

int phases_init(struct phases *ph, const char *name0, int pid, int64_t start_mono,
		int64_t real_minus_mono);
void phases_free(struct phases *ph);

/*
 * Opens phase ID (or renames it if the same process opened it already).
 * Ids between the last known one and ID become gaps named "phase-N".
 */
int phases_open(struct phases *ph, int id, const char *name, const char *source,
		int64_t start_mono, int pid);
/* The process that opened a phase ended: note its status. */
void phases_process_exit(struct phases *ph, int pid, int status);
/* Id of the newest phase. */
int phases_current(const struct phases *ph);
/* End of phase I: the start of the next one, or the recording's end (0 if open). */
int64_t phases_end(const struct phases *ph, size_t i);

/* Writes every phase (insert or update). */
int phases_write(const struct phases *ph, struct recfile *rf);

/* A phase name from a command path: its base name, printable, bounded. */
void phase_name_from_path(char *buf, size_t len, const char *path, const char *comm);
/* 0 if NAME is acceptable for a mark: 1..63 printable characters. */
int phase_name_valid(const char *name);

#endif /* HVT_PHASE_H */
