/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile: where a printer writes: stdout, or a file (-o FILE) that appears
 * whole or not at all: the output goes to FILE.tmp.PID, renamed over FILE
 * once everything is written, so a failure never leaves half a report behind.
 */
#ifndef HVT_OUTFILE_H
#define HVT_OUTFILE_H

#include <stdio.h>

struct outfile {
	FILE *f;
	const char *path;	/* NULL: stdout */
	char *tmp;
};

/* PATH NULL or "-": stdout. 0, or -errno. */
int outfile_open(struct outfile *o, const char *path);
/*
 * Flushes and, unless the printer failed (ERR, a -errno, is not 0), moves
 * the file into place; else removes it. Returns ERR, or -errno when the
 * output could not be written (the file then removed too).
 */
int outfile_close(struct outfile *o, int err);

#endif /* HVT_OUTFILE_H */
