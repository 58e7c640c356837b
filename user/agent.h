/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agent: one session between a guest's hvtrace and the host's, on top of
 * channel (transport), proto (messages) and clocksync (offset, drift).
 *
 * Guest side: says HELLO, sends phases as they begin, answers pings, and at
 * the end sends END and its recording. It never blocks the workload: sends
 * are queued within a bound and dropped (counted) beyond it.
 *
 * Host side: takes the channel, pings the guest in bursts (at HELLO, every
 * sync interval, and once more at END) to follow the guest's clock, hands
 * each guest phase to the host recorder mapped onto the host's clock, and
 * stores the guest recording in a file of the host's choosing. Everything
 * the guest sends is checked (proto_decoder, proto_peer); a guest that breaks
 * the protocol loses its session, never the host's recording.
 *
 * Both sides give one fd (an epoll fd of their own) to watch for input, and a
 * _handle() call that does what is due without blocking.
 */
#ifndef HVT_AGENT_H
#define HVT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"
#include "proto.h"
#include "recfile.h"

#define AGENT_SYNC_INTERVAL_MS	10000
#define AGENT_PING_TIMEOUT_MS	1000
#define AGENT_MAX_RECORDING	(256ULL << 20)

/* ---- host side ---------------------------------------------------------- */

struct agent_host_ops {
	void (*hello)(void *ctx, const struct proto_hello *h);
	/*
	 * A guest phase began. HOST_MONO is its start on the host's clock:
	 * mapped through the clock fit when SYNCED, else the arrival time. Phase
	 * ids are the guest's; the same id again renames that phase.
	 */
	void (*phase)(void *ctx, const struct proto_phase *p, int64_t host_mono, int synced);
	void (*phase_end)(void *ctx, const struct proto_phase_end *e, int64_t host_mono);
	void (*end)(void *ctx, const struct proto_end *e, int64_t host_mono);
};

struct agent_host_opts {
	const char *channel;		/* host-side spec, see channel.h */
	const char *recording_path;	/* where the guest's recording goes; NULL: not kept.
					 * Kept as a pointer: it must outlive the agent. */
	uint64_t max_recording;		/* 0: AGENT_MAX_RECORDING */
	unsigned int sync_interval_ms;	/* 0: AGENT_SYNC_INTERVAL_MS */
	unsigned int ping_timeout_ms;	/* 0: AGENT_PING_TIMEOUT_MS */
	const struct agent_host_ops *ops;	/* may be NULL */
	void *ctx;
};

enum agent_state {
	AGENT_WAITING,		/* listening, or connected without HELLO yet */
	AGENT_RUNNING,		/* HELLO seen */
	AGENT_ENDED,		/* END seen */
	AGENT_DONE,		/* BYE seen, or the guest closed the channel */
	AGENT_FAILED,		/* the guest broke the protocol, or I/O failed: see _error() */
};

struct agent_host_stats {
	uint64_t bytes_in, pings, pongs, pings_lost, pongs_ignored;
	uint64_t phases;
	int have_recording;	/* a complete guest recording is at recording_path */
	uint64_t recording_bytes;
};

/* NULL with errno and a sentence in ERR when the channel cannot be opened. */
struct agent_host *agent_host_open(const struct agent_host_opts *o, char *err, size_t errlen);
void agent_host_close(struct agent_host *h);

/* Watch for EPOLLIN; then call agent_host_handle(). Both, and _write_meta, take NULL. */
int agent_host_fd(const struct agent_host *h);
/*
 * Accepts, reads (at most 1 MiB per call, so a flooding guest cannot starve
 * the caller), dispatches, pings. 0, or -errno once when the session just
 * failed or the guest left early (the sentence is in agent_host_error()).
 */
int agent_host_handle(struct agent_host *h);
/*
 * After the host recording stopped: goes on handling for up to TIMEOUT_MS
 * until the guest said BYE or left. 0 when the session ended cleanly,
 * -ENOTCONN when no guest ever said HELLO, -ETIMEDOUT, or the failure.
 */
int agent_host_finish(struct agent_host *h, int timeout_ms);

enum agent_state agent_host_state(const struct agent_host *h);
const char *agent_host_error(const struct agent_host *h);	/* "" when none */
const char *agent_host_desc(const struct agent_host *h);	/* "TCP 127.0.0.1 port 5000" */
const struct proto_hello *agent_host_hello(const struct agent_host *h);	/* NULL before */
const struct proto_end *agent_host_end(const struct agent_host *h);	/* NULL before */
void agent_host_stats(const struct agent_host *h, struct agent_host_stats *ret);
/*
 * GUEST_MONO on the host's clock, by the clock fit as it stands now (*ret_synced 1)
 * or, before the first burst, by HELLO's arrival (0). Phases that came before
 * the first burst (a guest that queued them while no host listened) are best
 * re-mapped with this at the end.
 */
int64_t agent_host_map(const struct agent_host *h, int64_t guest_mono, int *ret_synced);
/* 0, -ENOENT before the first burst, -ERANGE when only the best burst is used (clocksync). */
int agent_host_clock(const struct agent_host *h, struct clock_fit *ret);

/* meta: guest_*, clock_*, agent_* (docs/recording-format.md, "Host and guest"). */
int agent_host_write_meta(const struct agent_host *h, struct recfile *rf);

/* ---- guest side --------------------------------------------------------- */

struct agent_guest_opts {
	const char *host;	/* guest-side spec, see channel.h; NULL: auto */
	const char *root;	/* where /sys, /dev and /proc are; NULL: / (tests) */
	const char *label;
	const char *identity;	/* NULL: from hvt_detect() */
	size_t queue_max;	/* 0: CHANNEL_QUEUE_MAX */
};

struct agent_guest_stats {
	uint64_t sent_bytes, dropped_bytes, dropped_msgs, pings;
	int host_seen;		/* a ping came: a host agent is there */
};

/*
 * Opens the channel and queues HELLO. NULL with errno and a sentence in ERR:
 * ENOENT when there is nothing to connect to ('none', or auto found no
 * channel: record alone), another errno when the asked-for channel failed.
 */
struct agent_guest *agent_guest_open(const struct agent_guest_opts *o, char *err,
				     size_t errlen);
/* Sends BYE if not yet sent, waits at most 200 ms for the queue to drain, closes. */
void agent_guest_close(struct agent_guest *a);

int agent_guest_fd(const struct agent_guest *a);	/* watch for EPOLLIN */
/* Answers pings, sends what is queued. 0, or -EPIPE once when the host left. */
int agent_guest_handle(struct agent_guest *a);

/*
 * Queue a message: 0, or -ENOBUFS / -EPIPE when it was dropped (counted).
 * SOURCE: start, auto or mark. These, _fd, _handle, _write_meta and _close
 * take a NULL agent (a recording without a host) and do nothing.
 */
int agent_guest_phase(struct agent_guest *a, int id, const char *name, const char *source,
		      int64_t start_mono, int64_t start_real);
int agent_guest_phase_end(struct agent_guest *a, int id, int exit_status, int64_t end_mono,
			  int64_t end_real);
int agent_guest_end(struct agent_guest *a, int exit_status, int64_t end_mono, int64_t end_real,
		    int64_t wall_ns);
/*
 * Sends the finished (closed) recording at PATH, then BYE, answering pings
 * meanwhile; waits at most TIMEOUT_MS in all. 0, or -ENOTCONN (no host agent
 * ever pinged), -ETIMEDOUT, -EPIPE, -EFBIG, -errno of the file, with a
 * sentence in ERR.
 */
int agent_guest_send_recording(struct agent_guest *a, const char *path, int timeout_ms,
			       char *err, size_t errlen);

const char *agent_guest_desc(const struct agent_guest *a);	/* the channel */
const char *agent_guest_run_id(const struct agent_guest *a);
void agent_guest_stats(const struct agent_guest *a, struct agent_guest_stats *ret);
/* meta: run_id, boot_id, agent_channel, agent_dropped_bytes, agent_dropped_msgs, agent_pings. */
int agent_guest_write_meta(const struct agent_guest *a, struct recfile *rf);

#endif /* HVT_AGENT_H */
