/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * talklog: the log files of the LinuxTag 2013 talk's bench.sh, which runs
 *
 *   (time bash -c 'tar xf samba-3.6.15.tar.gz ; cd samba-3.6.15/source3 ;
 *    time ./configure ; time make' ) >& logfile-$OS-$VIRTTYPE-$CPU-$run
 *
 * so a log holds configure's and make's output with three bash `time`
 * blocks: configure's, make's, and last the whole run's ("real\t7m55.886s",
 * then "user" and "sys" lines, which are not used here and may be absent).
 */
#ifndef HVT_TALKLOG_H
#define HVT_TALKLOG_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/* configure and make, in that order; their number is that of `real` lines minus one. */
#define TALKLOG_MAX_TIMED 2
/*
 * Phases of a complete log: "tar" (the whole run minus configure and make:
 * unpacking, the cd and bash's start), "configure", "make".
 */
#define TALKLOG_MAX_PHASES 3
/* Longest label taken from a file name, and longest line that can be a `real` line. */
#define TALKLOG_LABEL_MAX 128
#define TALKLOG_LINE_MAX 4096

struct talklog_phase {
	const char *name;	/* static string */
	int64_t ns;
	unsigned long line;	/* of its `real` line; 0 for the derived "tar" */
};

struct talklog {
	char label[TALKLOG_LABEL_MAX];	/* $OS-$VIRTTYPE-$CPU from the file name */
	unsigned int run;		/* $run from the file name */
	int64_t total_ns;		/* the last `real` line */
	unsigned long total_line;
	struct talklog_phase phases[TALKLOG_MAX_PHASES];
	size_t n_phases;
};

/*
 * Parses a time as bash's `time` prints it ("7m55.886s", "0m0.003s"; a
 * decimal comma in locales that use one) or as `time -p` does ("475.886").
 * Trailing blanks are allowed, nothing else. -EINVAL when malformed, -ERANGE
 * when longer than TALKLOG_MAX_MIN minutes (about 69 days).
 */
#define TALKLOG_MAX_MIN 100000
int talklog_parse_time(const char *s, int64_t *ret_ns);

/*
 * Splits a log's file name (directories ignored) "logfile-LABEL-RUN" into
 * LABEL and RUN. -EINVAL when the name is not of that form, -ENAMETOOLONG
 * when LABEL does not fit TALKLOG_LABEL_MAX.
 */
int talklog_parse_name(const char *path, char *ret_label, size_t len, unsigned int *ret_run);

/*
 * Reads a log from F (already open; NAME is used in messages and for the
 * label). On failure returns -errno and puts a sentence naming NAME and the
 * line in ret_err: -EINVAL for malformed content (no `real` line, a bad
 * time, more than three `real` lines, binary data, a bad file name), -EIO
 * for a read error.
 */
int talklog_parse(FILE *f, const char *name, struct talklog *ret, char *ret_err, size_t errlen);

#endif /* HVT_TALKLOG_H */
