// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The agent protocol (user/proto.c): golden frames written byte by byte from
 * docs/protocol.md, decoding in slices of every size, and every bad input the
 * host must refuse with a sentence.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "unit.h"

/* Golden frames, from the tables in docs/protocol.md (not from the encoder). */
static const uint8_t g_ping[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x05, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00,				/* seq 1 */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* t1 0x0102030405060708 */
};

static const uint8_t g_pong[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x06, 0x00, 0x1c, 0x00, 0x00, 0x00,
	0x07, 0x00, 0x00, 0x00,				/* seq 7 */
	0xe8, 0x03, 0, 0, 0, 0, 0, 0,			/* t1 1000 */
	0xd0, 0x07, 0, 0, 0, 0, 0, 0,			/* t2 2000 */
	0xc4, 0x09, 0, 0, 0, 0, 0, 0,			/* t3 2500 */
};

static const uint8_t g_phase[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x02, 0x00, 0x1b, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,				/* id 2 */
	0x02,						/* source: mark */
	0x10, 0, 0, 0, 0, 0, 0, 0,			/* start_mono 16 */
	0x20, 0, 0, 0, 0, 0, 0, 0,			/* start_real 32 */
	0x04, 0x00, 'm', 'a', 'k', 'e',			/* name */
};

static const uint8_t g_phase_end[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x03, 0x00, 0x18, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,				/* id 2 */
	0x00, 0x01, 0x00, 0x00,				/* wait status 256: exit code 1 */
	0x30, 0, 0, 0, 0, 0, 0, 0,			/* end_mono 48 */
	0x40, 0, 0, 0, 0, 0, 0, 0,			/* end_real 64 */
};

static const uint8_t g_hello[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x01, 0x00, 0x2a, 0x00, 0x00, 0x00,
	0x01, 0x00,					/* protocol version 1 */
	0x01, 0, 0, 0, 0, 0, 0, 0,			/* mono_ns 1 */
	0x02, 0, 0, 0, 0, 0, 0, 0,			/* real_ns 2 */
	0x05, 0x00, '0', '.', '1', '.', '0',		/* hvtrace version */
	0x03, 0x00, 'K', 'V', 'M',			/* identity */
	0x01, 0x00, 'b',				/* boot id */
	0x01, 0x00, 'r',				/* run id */
	0x01, 0x00, 'L',				/* label */
	0x01, 0x00, 'h',				/* hostname */
};

static const uint8_t g_end[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x04, 0x00, 0x2c, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff,				/* exit status -1 */
	0x05, 0, 0, 0, 0, 0, 0, 0,			/* end_mono */
	0x06, 0, 0, 0, 0, 0, 0, 0,			/* end_real */
	0x07, 0, 0, 0, 0, 0, 0, 0,			/* wall_ns */
	0x08, 0, 0, 0, 0, 0, 0, 0,			/* dropped_bytes */
	0x09, 0, 0, 0, 0, 0, 0, 0,			/* dropped_msgs */
};

static const uint8_t g_rec[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x07, 0x00, 0x08, 0x00, 0x00, 0x00,
	0x03, 0, 0, 0, 0, 0, 0, 0,			/* REC_BEGIN size 3 */
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00,
	0x00, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c',	/* REC_CHUNK offset 0 */
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x03, 0, 0, 0, 0, 0, 0, 0,			/* REC_END size 3 */
	0xc2, 0x41, 0x24, 0x35,				/* crc32("abc") 0x352441c2 */
};

static const uint8_t g_bye[] = {
	'H', 'V', 'T', 'P', 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void msg_hello(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_HELLO;
	m->hello.version = 1;
	m->hello.mono_ns = 1;
	m->hello.real_ns = 2;
	strcpy(m->hello.hvtrace_version, "0.1.0");
	strcpy(m->hello.identity, "KVM");
	strcpy(m->hello.boot_id, "b");
	strcpy(m->hello.run_id, "r");
	strcpy(m->hello.label, "L");
	strcpy(m->hello.hostname, "h");
}

static void msg_phase(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_PHASE;
	m->phase.id = 2;
	m->phase.source = PROTO_SRC_MARK;
	m->phase.start_mono = 16;
	m->phase.start_real = 32;
	strcpy(m->phase.name, "make");
}

/* Helpers say what went wrong in MSG; the macros below FAIL in the test's name. */
#define CHECK(fn, ...)                                                             \
	do {                                                                       \
		char msg_[400] = "";                                               \
		if (fn(msg_, sizeof(msg_), __VA_ARGS__))                           \
			FAIL("%s", msg_);                                          \
	} while (0)
#define expect_frame(failed, ...) CHECK(frame_differs, __VA_ARGS__)
#define expect_refused(failed, ...) CHECK(not_refused, __VA_ARGS__)
#define expect_session_refused(failed, ...) CHECK(session_not_refused, __VA_ARGS__)

/* Encodes M and compares with WANT byte for byte, naming the first difference. */
static int frame_differs(char *msg, size_t len, const char *what, const struct proto_msg *m,
			 const uint8_t *want, size_t wlen)
{
	uint8_t buf[PROTO_MAX_FRAME];
	char why[160] = "";
	ssize_t n = proto_encode(m, buf, sizeof(buf), why, sizeof(why));
	size_t i;

	if (n != (ssize_t)wlen)
		return snprintf(msg, len, "%s: encoded %zd bytes, golden has %zu (%s)", what, n,
				wlen, why);
	for (i = 0; i < wlen; i++)
		if (buf[i] != want[i])
			return snprintf(msg, len, "%s: byte %zu is 0x%02x, golden 0x%02x", what,
					i, buf[i], want[i]);
	return 0;
}

/* Decodes BUF fed in slices of SLICE bytes; the messages go to OUT (up to MAX). */
static int decode_all(const uint8_t *buf, size_t len, size_t slice, uint32_t accept,
		      struct proto_msg *out, int max, char *err, size_t errlen)
{
	struct proto_decoder d;
	int n = 0, r = 0;
	size_t off = 0;

	if (proto_decoder_init(&d, accept, 0))
		return -ENOMEM;
	while (off < len && r >= 0) {
		size_t take = len - off < slice ? len - off : slice;
		const uint8_t *p = buf + off;
		size_t left = take;

		while (left) {
			struct proto_msg m;

			r = proto_decode(&d, &p, &left, &m);
			if (r < 0)
				break;
			if (r && n < max) {
				out[n] = m;
				/* Chunk data points into the decoder: not kept. */
				if (m.type == PROTO_REC_CHUNK)
					out[n].rec_chunk.data = NULL;
			}
			n += r;
		}
		off += take;
	}
	if (r < 0)
		snprintf(err, errlen, "%s", proto_decoder_error(&d));
	else if (proto_decoder_pending(&d))
		snprintf(err, errlen, "%zu bytes pending", proto_decoder_pending(&d));
	proto_decoder_free(&d);
	return r < 0 ? r : n;
}

/* ---- golden frames ---------------------------------------------------------- */

TEST(ping_encodes_to_its_golden_bytes)
{
	struct proto_msg m = { .type = PROTO_PING, .ping = { 1, 0x0102030405060708LL } };

	expect_frame(failed, "PING", &m, g_ping, sizeof(g_ping));
}

TEST(pong_encodes_to_its_golden_bytes)
{
	struct proto_msg m = { .type = PROTO_PONG, .pong = { 7, 1000, 2000, 2500 } };

	expect_frame(failed, "PONG", &m, g_pong, sizeof(g_pong));
}

TEST(phase_encodes_to_its_golden_bytes)
{
	struct proto_msg m;

	msg_phase(&m);
	expect_frame(failed, "PHASE", &m, g_phase, sizeof(g_phase));
}

TEST(phase_end_encodes_to_its_golden_bytes)
{
	struct proto_msg m = { .type = PROTO_PHASE_END, .phase_end = { 2, 256, 48, 64 } };

	expect_frame(failed, "PHASE_END", &m, g_phase_end, sizeof(g_phase_end));
}

TEST(hello_encodes_to_its_golden_bytes)
{
	struct proto_msg m;

	msg_hello(&m);
	expect_frame(failed, "HELLO", &m, g_hello, sizeof(g_hello));
}

TEST(end_encodes_to_its_golden_bytes)
{
	struct proto_msg m = { .type = PROTO_END, .end = { -1, 5, 6, 7, 8, 9 } };

	expect_frame(failed, "END", &m, g_end, sizeof(g_end));
}

TEST(recording_frames_encode_to_their_golden_bytes)
{
	struct proto_msg m = { .type = PROTO_REC_BEGIN, .rec_begin = { 3 } };

	expect_frame(failed, "REC_BEGIN", &m, g_rec, 20);
	m.type = PROTO_REC_CHUNK;
	m.rec_chunk.offset = 0;
	m.rec_chunk.data = (const uint8_t *)"abc";
	m.rec_chunk.len = 3;
	expect_frame(failed, "REC_CHUNK", &m, g_rec + 20, 23);
	m.type = PROTO_REC_END;
	m.rec_end.size = 3;
	m.rec_end.crc32 = 0x352441c2;
	expect_frame(failed, "REC_END", &m, g_rec + 43, 24);
}

TEST(bye_is_a_bare_header)
{
	struct proto_msg m = { .type = PROTO_BYE };

	expect_frame(failed, "BYE", &m, g_bye, sizeof(g_bye));
}

/* ---- decoding ------------------------------------------------------------------ */

TEST(golden_frames_decode_to_their_fields)
{
	struct proto_msg m[4];
	char err[160] = "";

	EXPECT_INT(decode_all(g_hello, sizeof(g_hello), 4096, PROTO_FROM_GUEST, m, 4, err,
			      sizeof(err)), 1);
	EXPECT_INT(m[0].type, PROTO_HELLO);
	EXPECT_INT(m[0].hello.version, 1);
	EXPECT_INT(m[0].hello.real_ns, 2);
	EXPECT_STR(m[0].hello.hvtrace_version, "0.1.0");
	EXPECT_STR(m[0].hello.identity, "KVM");
	EXPECT_STR(m[0].hello.hostname, "h");
	EXPECT_INT(decode_all(g_phase, sizeof(g_phase), 4096, PROTO_FROM_GUEST, m, 4, err,
			      sizeof(err)), 1);
	EXPECT_INT(m[0].phase.id, 2);
	EXPECT_INT(m[0].phase.source, PROTO_SRC_MARK);
	EXPECT_INT(m[0].phase.start_mono, 16);
	EXPECT_INT(m[0].phase.start_real, 32);
	EXPECT_STR(m[0].phase.name, "make");
	EXPECT_INT(decode_all(g_end, sizeof(g_end), 4096, PROTO_FROM_GUEST, m, 4, err,
			      sizeof(err)), 1);
	EXPECT_INT(m[0].end.exit_status, -1);
	EXPECT_INT(m[0].end.dropped_msgs, 9);
	EXPECT_INT(decode_all(g_phase_end, sizeof(g_phase_end), 4096, PROTO_FROM_GUEST, m, 4,
			      err, sizeof(err)), 1);
	EXPECT_INT(m[0].phase_end.exit_status, 256);
	EXPECT_INT(m[0].phase_end.end_real, 64);
	EXPECT_INT(decode_all(g_ping, sizeof(g_ping), 4096, PROTO_FROM_HOST, m, 4, err,
			      sizeof(err)), 1);
	EXPECT_INT(m[0].ping.t1, 0x0102030405060708LL);
	EXPECT_INT(decode_all(g_rec, sizeof(g_rec), 4096, PROTO_FROM_GUEST, m, 4, err,
			      sizeof(err)), 3);
	EXPECT_INT(m[1].rec_chunk.len, 3);
	EXPECT_INT(m[2].rec_end.crc32, 0x352441c2);
}

TEST(a_stream_decodes_the_same_in_slices_of_every_size)
{
	uint8_t stream[sizeof(g_hello) + sizeof(g_phase) + sizeof(g_pong) + sizeof(g_rec) +
		       sizeof(g_end) + sizeof(g_bye)];
	struct proto_msg m[8];
	char err[160] = "";
	size_t off = 0, slice;

	memcpy(stream + off, g_hello, sizeof(g_hello));
	off += sizeof(g_hello);
	memcpy(stream + off, g_phase, sizeof(g_phase));
	off += sizeof(g_phase);
	memcpy(stream + off, g_pong, sizeof(g_pong));
	off += sizeof(g_pong);
	memcpy(stream + off, g_rec, sizeof(g_rec));
	off += sizeof(g_rec);
	memcpy(stream + off, g_end, sizeof(g_end));
	off += sizeof(g_end);
	memcpy(stream + off, g_bye, sizeof(g_bye));
	off += sizeof(g_bye);
	for (slice = 1; slice <= off; slice++) {
		int n = decode_all(stream, off, slice, PROTO_FROM_GUEST, m, 8, err, sizeof(err));

		if (n != 8 || err[0]) {
			FAIL("slices of %zu: %d messages (%s)", slice, n, err);
			return;
		}
		if (m[1].type != PROTO_PHASE || strcmp(m[1].phase.name, "make") ||
		    m[2].pong.t3 != 2500 || m[7].type != PROTO_BYE) {
			FAIL("slices of %zu: wrong messages", slice);
			return;
		}
	}
}

TEST(a_cut_frame_stays_pending_and_says_so)
{
	struct proto_msg m[2];
	char err[160] = "";

	EXPECT_INT(decode_all(g_pong, sizeof(g_pong) - 1, 5, PROTO_FROM_GUEST, m, 2, err,
			      sizeof(err)), 0);
	EXPECT_STR(err, "39 bytes pending");
}

/* Expects BUF to be refused with WANT_ERR and a message containing WANT. */
static int not_refused(char *msg, size_t mlen, const char *what, const uint8_t *buf, size_t len,
		       uint32_t accept, int want_err, const char *want)
{
	struct proto_msg m[2];
	char err[160] = "";
	int r = decode_all(buf, len, len, accept, m, 2, err, sizeof(err));

	if (r != want_err)
		return snprintf(msg, mlen, "%s: returned %d, wanted %d (%s)", what, r, want_err,
				err);
	if (!strstr(err, want))
		return snprintf(msg, mlen, "%s: message \"%s\" lacks \"%s\"", what, err, want);
	return 0;
}

TEST(bad_magic_is_refused_at_the_first_wrong_byte)
{
	struct proto_decoder d;
	const uint8_t *p = (const uint8_t *)"GET / HTTP/1.1\r\n";
	size_t left = 1;
	struct proto_msg m;

	proto_decoder_init(&d, PROTO_FROM_GUEST, 0);
	EXPECT_INT(proto_decode(&d, &p, &left, &m), -EPROTO);
	EXPECT_STR(proto_decoder_error(&d), "not an hvtrace agent stream (bad magic at byte 0)");
	/* Sticky: nothing more is taken. */
	left = 5;
	EXPECT_INT(proto_decode(&d, &p, &left, &m), -EPROTO);
	EXPECT_INT(left, 5);
	proto_decoder_free(&d);
}

TEST(other_versions_are_refused_naming_both)
{
	uint8_t f[sizeof(g_bye)];

	memcpy(f, g_bye, sizeof(f));
	f[4] = 2;
	expect_refused(failed, "version 2", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "protocol version 2 at byte 0; this hvtrace speaks 1");
}

TEST(unknown_types_are_refused)
{
	uint8_t f[sizeof(g_bye)];

	memcpy(f, g_bye, sizeof(f));
	f[6] = 0x4d;
	expect_refused(failed, "type 77", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "unknown message type 77");
	f[6] = 0;
	expect_refused(failed, "type 0", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "unknown message type 0");
}

TEST(messages_in_the_wrong_direction_are_refused)
{
	expect_refused(failed, "PING from a guest", g_ping, sizeof(g_ping), PROTO_FROM_GUEST,
		       -EPROTO, "PING at byte 0 is not expected in this direction");
	expect_refused(failed, "HELLO from a host", g_hello, sizeof(g_hello), PROTO_FROM_HOST,
		       -EPROTO, "HELLO at byte 0 is not expected");
}

TEST(an_oversized_length_is_refused_before_its_payload)
{
	uint8_t f[sizeof(g_bye)];

	memcpy(f, g_bye, sizeof(f));
	f[6] = PROTO_REC_CHUNK;
	f[8] = f[9] = f[10] = f[11] = 0xff;
	/* The header alone is enough: no 4 GiB wait, no allocation. */
	expect_refused(failed, "4 GiB chunk", f, sizeof(f), PROTO_FROM_GUEST, -EMSGSIZE,
		       "REC_CHUNK of 4294967295 bytes at byte 0; at most 65536");
	memcpy(f, g_ping, sizeof(f));
	f[6] = PROTO_PONG;
	f[8] = 29;
	expect_refused(failed, "long PONG", f, sizeof(f), PROTO_FROM_GUEST, -EMSGSIZE,
		       "PONG of 29 bytes at byte 0; at most 28");
}

TEST(a_short_fixed_size_message_is_refused)
{
	uint8_t f[sizeof(g_pong)];

	memcpy(f, g_pong, sizeof(f));
	f[8] = 27;
	expect_refused(failed, "short PONG", f, sizeof(f) - 1, PROTO_FROM_GUEST, -EPROTO,
		       "PONG of 27 bytes at byte 0; at least 28");
}

TEST(trailing_bytes_in_a_message_are_refused)
{
	uint8_t f[sizeof(g_phase) + 1];

	memcpy(f, g_phase, sizeof(g_phase));
	f[8] += 1;
	f[sizeof(g_phase)] = 'x';
	expect_refused(failed, "PHASE + 1", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "PHASE at byte 0: 1 bytes after its last field");
}

TEST(strings_are_checked_for_length_and_bytes)
{
	uint8_t f[sizeof(g_phase)];

	memcpy(f, g_phase, sizeof(f));
	f[33] = 5;	/* the name's length runs past the message */
	expect_refused(failed, "name past end", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "phase name of 5 bytes runs past the message");
	memcpy(f, g_phase, sizeof(f));
	f[37] = 0x1b;	/* ESC: a terminal escape in a phase name */
	expect_refused(failed, "escape in name", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "phase name has byte 0x1b at 2 (printable ASCII only)");
	memcpy(f, g_phase, sizeof(f));
	f[36] = 0;
	expect_refused(failed, "NUL in name", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "byte 0x00 at 1");
}

TEST(an_empty_phase_name_is_refused)
{
	uint8_t f[sizeof(g_phase) - 4];

	memcpy(f, g_phase, sizeof(f));
	f[8] = 23;
	f[33] = 0;
	expect_refused(failed, "empty name", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "PHASE of 23 bytes at byte 0; at least 24");
}

TEST(field_values_out_of_bounds_are_refused)
{
	uint8_t f[sizeof(g_phase)];
	uint8_t p[sizeof(g_pong)];

	memcpy(f, g_phase, sizeof(f));
	f[13] = 0x10;	/* id 4098 */
	expect_refused(failed, "phase id", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "phase id 4098 (at most 4095)");
	memcpy(f, g_phase, sizeof(f));
	f[16] = 3;
	expect_refused(failed, "source", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "phase source 3 unknown");
	memcpy(f, g_phase, sizeof(f));
	f[24] = 0x80;	/* start_mono's top byte: negative */
	expect_refused(failed, "negative time", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "negative phase start_mono");
	memcpy(p, g_pong, sizeof(p));
	p[32] = 0xff;	/* t3 0x09ff */
	p[26] = 0x10;	/* t2 0x1007d0: later than t3 */
	expect_refused(failed, "t3 < t2", p, sizeof(p), PROTO_FROM_GUEST, -EPROTO,
		       "PONG sent (t3 2559) before it was received (t2 1050576)");
}

TEST(hello_for_another_protocol_version_is_refused)
{
	uint8_t f[sizeof(g_hello)];

	memcpy(f, g_hello, sizeof(f));
	f[12] = 9;
	expect_refused(failed, "HELLO v9", f, sizeof(f), PROTO_FROM_GUEST, -EPROTO,
		       "HELLO for protocol version 9, this hvtrace speaks 1");
}

TEST(the_stream_limit_is_enforced_at_the_header)
{
	struct proto_decoder d;
	const uint8_t *p = g_rec;
	size_t left = sizeof(g_rec);
	struct proto_msg m;
	int r;

	proto_decoder_init(&d, PROTO_FROM_GUEST, 40);
	r = proto_decode(&d, &p, &left, &m);
	EXPECT_INT(r, 1);
	r = proto_decode(&d, &p, &left, &m);
	EXPECT_INT(r, -EFBIG);
	EXPECT_STR(proto_decoder_error(&d), "the stream exceeds its limit of 40 bytes");
	proto_decoder_free(&d);
}

TEST(the_encoder_refuses_what_the_decoder_would)
{
	uint8_t buf[PROTO_MAX_FRAME];
	struct proto_msg m;
	char why[160] = "";

	msg_phase(&m);
	strcpy(m.phase.name, "a\nb");
	EXPECT_INT(proto_encode(&m, buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	EXPECT_STR(why, "phase name has byte 0x0a at 1 (printable ASCII only)");
	msg_phase(&m);
	m.phase.id = PROTO_MAX_PHASES;
	EXPECT_INT(proto_encode(&m, buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	msg_hello(&m);
	m.hello.version = 2;
	EXPECT_INT(proto_encode(&m, buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	m.type = PROTO_REC_CHUNK;
	m.rec_chunk.offset = 0;
	m.rec_chunk.data = buf;
	m.rec_chunk.len = PROTO_CHUNK_MAX + 1;
	EXPECT_INT(proto_encode(&m, buf, sizeof(buf), why, sizeof(why)), -EINVAL);
	m.type = PROTO_PING;
	m.ping.seq = 1;
	m.ping.t1 = 1;
	EXPECT_INT(proto_encode(&m, buf, 23, why, sizeof(why)), -ENOSPC);
	EXPECT_INT(proto_encode(&m, buf, 24, why, sizeof(why)), 24);
}

TEST(sanitize_makes_any_string_a_valid_field)
{
	char buf[8];

	proto_sanitize(buf, sizeof(buf), "a\x1b[2Jb\xc3\xa9zzz");
	EXPECT_STR(buf, "a?[2Jb?");
	proto_sanitize(buf, sizeof(buf), NULL);
	EXPECT_STR(buf, "");
}

/* ---- the session ------------------------------------------------------------------ */

static int peer_feed(struct proto_peer *p, const struct proto_msg *m, char *why, size_t len)
{
	return proto_peer_accept(p, m, why, len);
}

TEST(a_whole_session_is_accepted)
{
	struct proto_peer p;
	struct proto_msg m;
	char why[160] = "";
	uint8_t data[10] = "0123456789";

	proto_peer_init(&p, 1000);
	msg_hello(&m);
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	msg_phase(&m);
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);	/* a rename */
	m = (struct proto_msg){ .type = PROTO_PHASE_END, .phase_end = { 2, 0, 1, 1 } };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_END };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_REC_BEGIN, .rec_begin = { 10 } };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 0, data, 4 } };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 4, data, 6 } };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_REC_END, .rec_end = { 10, 0 } };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	m = (struct proto_msg){ .type = PROTO_BYE };
	EXPECT_INT(peer_feed(&p, &m, why, sizeof(why)), 0);
	if (why[0])
		FAIL("unexpected complaint: %s", why);
}

/* Runs a session of M[0..N) and expects the last message refused with WANT. */
static int session_not_refused(char *msg, size_t len, const char *what,
			       const struct proto_msg *m, int n, int want_err, const char *want)
{
	struct proto_peer p;
	char why[160] = "";
	int i, r = 0;

	proto_peer_init(&p, 100);
	for (i = 0; i < n; i++) {
		r = proto_peer_accept(&p, &m[i], why, sizeof(why));
		if (r && i < n - 1)
			return snprintf(msg, len, "%s: message %d refused early: %s", what, i,
					why);
	}
	if (r != want_err)
		return snprintf(msg, len, "%s: last message gave %d, wanted %d", what, r,
				want_err);
	if (!strstr(why, want))
		return snprintf(msg, len, "%s: \"%s\" lacks \"%s\"", what, why, want);
	return 0;
}

TEST(sessions_out_of_order_are_refused)
{
	static const uint8_t d[8];
	struct proto_msg s[6];

	msg_hello(&s[0]);
	msg_phase(&s[1]);
	expect_session_refused(failed, "phase first", &s[1], 1, -EPROTO, "PHASE before HELLO");
	s[1] = s[0];
	expect_session_refused(failed, "two hellos", s, 2, -EPROTO, "a second HELLO");
	msg_phase(&s[1]);
	s[2] = s[1];
	s[2].phase.id = 1;
	expect_session_refused(failed, "backwards", s, 3, -EPROTO,
			       "phase 1 after phase 2 (phases only go forward)");
	s[2] = (struct proto_msg){ .type = PROTO_END };
	s[3] = s[1];
	expect_session_refused(failed, "phase after end", s, 4, -EPROTO, "PHASE after END");
	s[2] = (struct proto_msg){ .type = PROTO_PHASE_END, .phase_end = { 3, 0, 1, 1 } };
	expect_session_refused(failed, "end of unknown phase", s, 3, -EPROTO,
			       "PHASE_END of phase 3, which never began");
	s[2] = (struct proto_msg){ .type = PROTO_BYE };
	expect_session_refused(failed, "after bye", s, 4, -EPROTO, "PHASE after BYE");
	s[1] = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 0, d, 8 } };
	expect_session_refused(failed, "chunk alone", s, 2, -EPROTO,
			       "REC_CHUNK outside a recording");
	s[1] = (struct proto_msg){ .type = PROTO_REC_BEGIN, .rec_begin = { 101 } };
	expect_session_refused(failed, "too big", s, 2, -EFBIG,
			       "a guest recording of 101 bytes exceeds the limit of 100");
	s[1] = (struct proto_msg){ .type = PROTO_REC_BEGIN, .rec_begin = { 10 } };
	s[2] = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 4, d, 4 } };
	expect_session_refused(failed, "gap", s, 3, -EPROTO, "chunk at offset 4; expected 0");
	s[2] = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 0, d, 8 } };
	s[3] = (struct proto_msg){ .type = PROTO_REC_CHUNK, .rec_chunk = { 8, d, 8 } };
	expect_session_refused(failed, "past the size", s, 4, -EPROTO,
			       "chunk of 8 bytes at 8 runs past the announced 10");
	s[3] = (struct proto_msg){ .type = PROTO_REC_END, .rec_end = { 10, 0 } };
	expect_session_refused(failed, "short", s, 4, -EPROTO,
			       "recording ends at 8 bytes of 10 announced");
	s[3] = (struct proto_msg){ .type = PROTO_BYE };
	expect_session_refused(failed, "bye mid-recording", s, 4, -EPROTO,
			       "BYE in the middle of the recording (8 of 10 bytes)");
	s[1] = s[0];
	s[1].type = PROTO_REC_BEGIN;
	s[1].rec_begin.size = 8;
	s[3] = (struct proto_msg){ .type = PROTO_REC_BEGIN, .rec_begin = { 8 } };
	expect_session_refused(failed, "two recordings", s, 4, -EPROTO, "a second recording");
}

TEST(phase_messages_are_counted_against_a_limit)
{
	struct proto_peer p;
	struct proto_msg m;
	char why[160] = "";
	int i, r = 0;

	proto_peer_init(&p, 100);
	msg_hello(&m);
	proto_peer_accept(&p, &m, why, sizeof(why));
	msg_phase(&m);
	for (i = 0; i <= PROTO_MAX_PHASE_MSGS && !r; i++)
		r = proto_peer_accept(&p, &m, why, sizeof(why));
	EXPECT_INT(r, -EPROTO);
	EXPECT_INT(i, PROTO_MAX_PHASE_MSGS + 1);
	EXPECT_STR(why, "more than 16384 phase messages");
}
