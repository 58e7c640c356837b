/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * proto: the messages between a guest's hvtrace and the host's, and their
 * bytes. Every frame is a 12-byte header (magic "HVTP", version, type,
 * payload length) and a typed payload of little-endian integers and
 * length-prefixed printable-ASCII strings; docs/protocol.md has every byte.
 *
 * The host treats what a guest sends as hostile: the decoder takes the stream
 * in slices of any size, holds at most one frame (PROTO_HDR_LEN +
 * PROTO_MAX_PAYLOAD bytes, allocated once), rejects a frame as soon as its
 * header is wrong, validates every field, and proto_peer enforces the order of
 * a session and its totals. Errors are sticky: a stream that lost its framing
 * is not resynchronised.
 */
#ifndef HVT_PROTO_H
#define HVT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_MAGIC		"HVTP"
#define PROTO_VERSION		1
#define PROTO_HDR_LEN		12
#define PROTO_MAX_PAYLOAD	65536
#define PROTO_MAX_FRAME		(PROTO_HDR_LEN + PROTO_MAX_PAYLOAD)
/* Recording bytes per REC_CHUNK. */
#define PROTO_CHUNK_MAX		(PROTO_MAX_PAYLOAD - 8)

/* String fields: their longest length, in bytes, without a terminator. */
#define PROTO_VERSION_STR_MAX	32
#define PROTO_IDENTITY_MAX	256
#define PROTO_ID_MAX		64
#define PROTO_LABEL_MAX		128
#define PROTO_HOSTNAME_MAX	64
#define PROTO_PHASE_NAME_MAX	63

#define PROTO_MAX_PHASES	4096	/* phase ids are below this */
#define PROTO_MAX_PHASE_MSGS	16384	/* PHASE + PHASE_END messages in a session */
#define PROTO_MAX_RECORDING	(1ULL << 30)	/* no guest recording is larger */

enum proto_type {
	PROTO_HELLO = 1,	/* guest -> host, first */
	PROTO_PHASE,		/* guest -> host: a phase began (or was renamed) */
	PROTO_PHASE_END,	/* guest -> host: the process that opened a phase ended */
	PROTO_END,		/* guest -> host: the workload ended */
	PROTO_PING,		/* host -> guest */
	PROTO_PONG,		/* guest -> host */
	PROTO_REC_BEGIN,	/* guest -> host: the guest recording follows */
	PROTO_REC_CHUNK,
	PROTO_REC_END,
	PROTO_BYE,		/* either way: nothing more follows */
	PROTO_TYPE_MAX = PROTO_BYE,
};

#define PROTO_BIT(t)		(1u << (t))
/* What each side accepts. */
#define PROTO_FROM_GUEST						\
	(PROTO_BIT(PROTO_HELLO) | PROTO_BIT(PROTO_PHASE) |		\
	 PROTO_BIT(PROTO_PHASE_END) | PROTO_BIT(PROTO_END) |		\
	 PROTO_BIT(PROTO_PONG) | PROTO_BIT(PROTO_REC_BEGIN) |		\
	 PROTO_BIT(PROTO_REC_CHUNK) | PROTO_BIT(PROTO_REC_END) |	\
	 PROTO_BIT(PROTO_BYE))
#define PROTO_FROM_HOST		(PROTO_BIT(PROTO_PING) | PROTO_BIT(PROTO_BYE))

enum proto_source { PROTO_SRC_START, PROTO_SRC_AUTO, PROTO_SRC_MARK, PROTO_SRC_MAX };

struct proto_hello {
	uint16_t version;	/* PROTO_VERSION */
	int64_t mono_ns, real_ns;	/* the guest's clocks when it said hello */
	char hvtrace_version[PROTO_VERSION_STR_MAX + 1];
	char identity[PROTO_IDENTITY_MAX + 1];	/* `hvtrace detect`'s summary */
	char boot_id[PROTO_ID_MAX + 1];	/* /proc/sys/kernel/random/boot_id */
	char run_id[PROTO_ID_MAX + 1];	/* the guest recording's meta run_id */
	char label[PROTO_LABEL_MAX + 1];
	char hostname[PROTO_HOSTNAME_MAX + 1];
};

struct proto_phase {
	uint32_t id;		/* < PROTO_MAX_PHASES */
	uint8_t source;		/* enum proto_source */
	int64_t start_mono, start_real;	/* guest clocks */
	char name[PROTO_PHASE_NAME_MAX + 1];	/* 1..63 printable ASCII */
};

struct proto_phase_end {
	uint32_t id;
	int32_t exit_status;	/* wait status, -1 unknown */
	int64_t end_mono, end_real;
};

struct proto_end {
	int32_t exit_status;	/* the workload's: code or 128 + signal; -1 unknown */
	int64_t end_mono, end_real, wall_ns;
	uint64_t dropped_bytes, dropped_msgs;	/* what the guest could not send */
};

struct proto_ping {
	uint32_t seq;
	int64_t t1;		/* host CLOCK_MONOTONIC when sent */
};

struct proto_pong {
	uint32_t seq;
	int64_t t1;		/* echoed */
	int64_t t2, t3;		/* guest CLOCK_MONOTONIC: ping received, pong sent */
};

struct proto_rec_begin {
	uint64_t size;		/* 1..PROTO_MAX_RECORDING */
};

struct proto_rec_chunk {
	uint64_t offset;
	const uint8_t *data;	/* into the decoder's buffer, or the sender's */
	uint32_t len;		/* 1..PROTO_CHUNK_MAX */
};

struct proto_rec_end {
	uint64_t size;
	uint32_t crc32;		/* zlib crc32 of the whole recording */
};

struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_phase phase;
		struct proto_phase_end phase_end;
		struct proto_end end;
		struct proto_ping ping;
		struct proto_pong pong;
		struct proto_rec_begin rec_begin;
		struct proto_rec_chunk rec_chunk;
		struct proto_rec_end rec_end;
	};
};

const char *proto_type_name(unsigned int type);	/* "HELLO", ...; "?" when unknown */
const char *proto_source_name(unsigned int source);	/* start | auto | mark | "?" */

/*
 * Encodes M into BUF. Returns the frame's length, -EINVAL (with a reason in
 * WHY) when a field is out of bounds, or -ENOSPC when LEN is too short
 * (PROTO_MAX_FRAME always suffices).
 */
ssize_t proto_encode(const struct proto_msg *m, uint8_t *buf, size_t len, char *why,
		     size_t whylen);

/* Copies SRC into DST (of DSTLEN bytes) so that it is a valid string field: printable ASCII. */
void proto_sanitize(char *dst, size_t dstlen, const char *src);

struct proto_decoder {
	uint8_t *buf;		/* one frame */
	size_t have;		/* bytes of it so far */
	uint32_t plen;		/* its payload length, once the header is checked */
	int hdr_ok;
	uint32_t accept;	/* PROTO_BIT() of the types this side takes */
	uint64_t total, max_total;	/* bytes consumed, and the most this stream may bring */
	int err;		/* sticky -errno */
	char errmsg[160];
};

/* 0 or -ENOMEM. MAX_TOTAL 0: no limit on the stream's length. */
int proto_decoder_init(struct proto_decoder *d, uint32_t accept, uint64_t max_total);
void proto_decoder_free(struct proto_decoder *d);

/*
 * Takes bytes from *BUF (advancing it and *LEN) up to the end of one frame.
 * Returns 1 with *RET decoded (its pointers valid until the next call), 0 when
 * all of *LEN was taken without completing a frame, or -EPROTO / -EMSGSIZE /
 * -EFBIG with a sentence in proto_decoder_error(); after an error it takes
 * nothing more and returns the same error.
 */
int proto_decode(struct proto_decoder *d, const uint8_t **buf, size_t *len,
		 struct proto_msg *ret);
const char *proto_decoder_error(const struct proto_decoder *d);
/* Bytes of a frame begun but not complete (a stream that ends here was cut). */
size_t proto_decoder_pending(const struct proto_decoder *d);

/* The host's view of one guest session: what may come when, and how much. */
struct proto_peer {
	uint64_t max_recording;	/* host policy, <= PROTO_MAX_RECORDING */
	int hello, ended, bye;
	int64_t last_phase;	/* -1 before the first */
	uint32_t phase_msgs;
	int rec_state;		/* 0 none, 1 receiving, 2 complete */
	uint64_t rec_size, rec_have;
};

void proto_peer_init(struct proto_peer *p, uint64_t max_recording);
/*
 * Checks that M may come now; updates the session. 0, or -EPROTO / -EFBIG
 * with a sentence in WHY. A REC_CHUNK that passes starts exactly where the
 * previous one ended and stays within the announced size.
 */
int proto_peer_accept(struct proto_peer *p, const struct proto_msg *m, char *why, size_t whylen);

#endif /* HVT_PROTO_H */
