/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * merge: one recording with both views of one run: the guest's phases placed
 * on the host's time line through the clock offset, the guest's statistics
 * under view "guest", the host's under view "host" attributed to those
 * phases. docs/recording-format.md ("Merged recordings") has the rules.
 * `hvtrace merge` calls it on two files; a host recorder that received the
 * guest's recording over the agent channel calls it at the end.
 */
#ifndef HVT_MERGE_H
#define HVT_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"

struct merge_opts {
	const char *guest_path;	/* untrusted: checked before it is read */
	const char *host_path;
	const char *out_path;	/* replaced */
	int have_offset;	/* offset_ns given (--offset-ns): overrides the host's sync data */
	int64_t offset_ns;	/* guest clock - host clock */
	int assume_same_clock;	/* no sync data: offset 0, uncertainty unknown */
};

#define MERGE_MAX_WARN 8

struct merge_result {
	const char *clock_source;	/* "sync", "offset" (given), "same-clock" (assumed) */
	struct clock_fit clock;		/* uncertainty_ns -1: unknown */
	size_t phases, guest_stats, host_stats;
	int host_by_series;		/* host stats split by time from its series */
	/*
	 * The host recording's time before the guest's first phase and after its
	 * last (-1: unknown), and how many (view, kind) pairs have figures there:
	 * meta host_outside_count.VIEW.KIND, host_outside_sum_ns.VIEW.KIND.
	 */
	int64_t host_before_ns, host_after_ns;
	size_t host_outside_kinds;
	int n_warn;
	char warn[MERGE_MAX_WARN][320];	/* for the command layer to print */
	/* What is expected but worth saying (time outside the guest's phases). */
	int n_note;
	char note[MERGE_MAX_WARN][320];
};

/*
 * Writes o->out_path. 0, or -errno with a sentence in ERR; -EINVAL when the
 * inputs cannot be merged (no sync data without --offset-ns or
 * --assume-same-clock, another boot of the guest, no host view, ...).
 * On failure no output file is left behind.
 */
int merge_recordings(const struct merge_opts *o, struct merge_result *ret, char *err,
		     size_t errlen);

#endif /* HVT_MERGE_H */
