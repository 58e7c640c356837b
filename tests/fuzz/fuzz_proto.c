// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for what a host does with a guest's bytes (user/proto.c):
 * the incremental decoder fed in slices of fuzzer-chosen sizes, the session
 * rules, a recording sink sized from REC_BEGIN that ASan guards, and the clock
 * arithmetic on the guest's timestamps. Properties checked beyond "no crash":
 *  - every accepted frame is canonical: encoding what was decoded gives back
 *    exactly the bytes that came;
 *  - an error is sticky and takes no more input;
 *  - the decoder never holds more than one frame.
 * Input: byte 0 picks the side (bit 0: guest side) and byte 1 seeds the slicing;
 * the rest is the stream.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "proto.h"

#define MAX_RECORDING (256u << 10)

static struct clocksync cs;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_proto: property broken: %s\n", what);
		abort();
	}
}

/* The frame the decoder just completed is still in its buffer. */
static void check_canonical(const struct proto_decoder *d, const struct proto_msg *m)
{
	static uint8_t again[PROTO_MAX_FRAME];
	ssize_t n = proto_encode(m, again, sizeof(again), NULL, 0);
	size_t plen = (size_t)d->buf[8] | (size_t)d->buf[9] << 8 | (size_t)d->buf[10] << 16 |
		      (size_t)d->buf[11] << 24;

	check(n > 0, "a decoded message does not encode");
	check((size_t)n == PROTO_HDR_LEN + plen, "re-encoding changes the length");
	check(!memcmp(again, d->buf, n), "re-encoding changes the bytes");
}

struct sink {
	struct proto_peer peer;
	uint8_t *rec;		/* exactly the announced size: ASan catches a write past it */
	int64_t last_t1;
};

static void host_side(struct sink *s, const struct proto_msg *m)
{
	struct clock_sample smp;
	struct clock_fit f;
	char why[200];

	if (proto_peer_accept(&s->peer, m, why, sizeof(why)))
		return;
	switch (m->type) {
	case PROTO_REC_BEGIN:
		check(m->rec_begin.size <= MAX_RECORDING, "recording over the host's limit");
		s->rec = malloc(m->rec_begin.size);
		break;
	case PROTO_REC_CHUNK:
		check(s->rec != NULL, "chunk without a recording");
		memcpy(s->rec + m->rec_chunk.offset, m->rec_chunk.data, m->rec_chunk.len);
		break;
	case PROTO_REC_END:
		check(s->peer.rec_have == m->rec_end.size, "recording ends short");
		break;
	case PROTO_PONG:
		/* The guest's t2/t3 are anything; the host's t1/t4 are sane. */
		smp.t1 = s->last_t1;
		smp.t2 = m->pong.t2;
		smp.t3 = m->pong.t3;
		smp.t4 = s->last_t1 + (m->pong.seq & 0xffffff);
		s->last_t1 += 1000000;
		clocksync_add(&cs, &smp);
		if ((m->pong.seq & 7) == 0) {
			clocksync_end_burst(&cs);
			if (!clocksync_result(&cs, &f)) {
				clock_fit_to_host(&f, m->pong.t2);
				clock_fit_offset_at(&f, m->pong.t3);
			}
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_decoder d;
	struct sink s = { .last_t1 = 1000 };
	uint32_t rnd;
	int guest, err = 0;

	if (size < 2)
		return 0;
	guest = data[0] & 1;
	rnd = data[1] * 2654435761u + 1;
	data += 2;
	size -= 2;
	if (proto_decoder_init(&d, guest ? PROTO_FROM_HOST : PROTO_FROM_GUEST, 200000))
		return 0;
	proto_peer_init(&s.peer, MAX_RECORDING);
	clocksync_init(&cs);
	while (size) {
		size_t slice, left;
		const uint8_t *p = data;

		rnd = rnd * 1103515245u + 12345;
		slice = 1 + (rnd >> 8) % (rnd & 0x80 ? 7 : 70000);
		if (slice > size)
			slice = size;
		left = slice;
		while (left) {
			struct proto_msg m;
			size_t before = left;
			int r = proto_decode(&d, &p, &left, &m);

			check(proto_decoder_pending(&d) <= PROTO_MAX_FRAME,
			      "the decoder holds more than a frame");
			if (r < 0) {
				check(!err || err == r, "the error changed");
				check(!err || left == before, "input taken after an error");
				check(proto_decoder_error(&d)[0] != '\0',
				      "an error without a sentence");
				err = r;
				break;
			}
			if (!r) {
				check(!left, "no message and input left");
				break;
			}
			check_canonical(&d, &m);
			if (!guest)
				host_side(&s, &m);
		}
		data += slice;
		size -= slice;
		if (err)
			break;
	}
	if (err) {
		const uint8_t *p = (const uint8_t *)"HVTP";
		size_t left = 4;
		struct proto_msg m;

		check(proto_decode(&d, &p, &left, &m) == err && left == 4,
		      "the error is not sticky");
	}
	free(s.rec);
	proto_decoder_free(&d);
	return 0;
}
