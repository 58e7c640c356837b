// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* proto: encoding, incremental decoding and session rules of the agent protocol. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Payload length bounds per type; a header outside them is refused before its payload. */
static const struct {
	const char *name;
	uint32_t min, max;
} types[PROTO_TYPE_MAX + 1] = {
	[PROTO_HELLO] = { "HELLO", 30, 30 + PROTO_VERSION_STR_MAX + PROTO_IDENTITY_MAX +
				       2 * PROTO_ID_MAX + PROTO_LABEL_MAX + PROTO_HOSTNAME_MAX },
	[PROTO_PHASE] = { "PHASE", 24, 23 + PROTO_PHASE_NAME_MAX },
	[PROTO_PHASE_END] = { "PHASE_END", 24, 24 },
	[PROTO_END] = { "END", 44, 44 },
	[PROTO_PING] = { "PING", 12, 12 },
	[PROTO_PONG] = { "PONG", 28, 28 },
	[PROTO_REC_BEGIN] = { "REC_BEGIN", 8, 8 },
	[PROTO_REC_CHUNK] = { "REC_CHUNK", 9, 8 + PROTO_CHUNK_MAX },
	[PROTO_REC_END] = { "REC_END", 12, 12 },
	[PROTO_BYE] = { "BYE", 0, 0 },
};

static const char *const source_names[PROTO_SRC_MAX] = { "start", "auto", "mark" };

const char *proto_type_name(unsigned int type)
{
	return type && type <= PROTO_TYPE_MAX ? types[type].name : "?";
}

const char *proto_source_name(unsigned int source)
{
	return source < PROTO_SRC_MAX ? source_names[source] : "?";
}

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

void proto_sanitize(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	if (!dstlen)
		return;
	for (i = 0; src && src[i] && i + 1 < dstlen; i++)
		dst[i] = printable(src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

/* ---- field rules, shared by both directions ------------------------------ */

static int check_str(const char *s, size_t max, int need, const char *field, char *why,
		     size_t whylen)
{
	size_t i, n = strnlen(s, max + 1);

	if (n > max) {
		say(why, whylen, "%s longer than %zu bytes", field, max);
		return -EINVAL;
	}
	if (need && !n) {
		say(why, whylen, "empty %s", field);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!printable(s[i])) {
			say(why, whylen, "%s has byte 0x%02x at %zu (printable ASCII only)", field,
			    (unsigned char)s[i], i);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_time(int64_t t, const char *field, char *why, size_t whylen)
{
	if (t >= 0)
		return 0;
	say(why, whylen, "negative %s (%lld)", field, (long long)t);
	return -EINVAL;
}

static int check_status(int32_t s, const char *field, char *why, size_t whylen)
{
	if (s >= -1 && s <= 0xffff)
		return 0;
	say(why, whylen, "%s %d out of range (-1..65535)", field, s);
	return -EINVAL;
}

/* Values of a message that are out of bounds, whichever side made them. */
static int validate(const struct proto_msg *m, char *why, size_t wl)
{
	const struct proto_hello *h = &m->hello;
	int err = 0;

	switch (m->type) {
	case PROTO_HELLO:
		if (h->version != PROTO_VERSION) {
			say(why, wl, "HELLO for protocol version %u, this hvtrace speaks %d",
			    h->version, PROTO_VERSION);
			return -EPROTO;
		}
		err = check_time(h->mono_ns, "HELLO mono_ns", why, wl) ?:
		      check_time(h->real_ns, "HELLO real_ns", why, wl) ?:
		      check_str(h->hvtrace_version, PROTO_VERSION_STR_MAX, 0, "HELLO hvtrace "
				"version", why, wl) ?:
		      check_str(h->identity, PROTO_IDENTITY_MAX, 0, "HELLO identity", why, wl) ?:
		      check_str(h->boot_id, PROTO_ID_MAX, 0, "HELLO boot id", why, wl) ?:
		      check_str(h->run_id, PROTO_ID_MAX, 0, "HELLO run id", why, wl) ?:
		      check_str(h->label, PROTO_LABEL_MAX, 0, "HELLO label", why, wl) ?:
		      check_str(h->hostname, PROTO_HOSTNAME_MAX, 0, "HELLO hostname", why, wl);
		break;
	case PROTO_PHASE:
		if (m->phase.id >= PROTO_MAX_PHASES) {
			say(why, wl, "phase id %u (at most %d)", m->phase.id, PROTO_MAX_PHASES - 1);
			return -EINVAL;
		}
		if (m->phase.source >= PROTO_SRC_MAX) {
			say(why, wl, "phase source %u unknown", m->phase.source);
			return -EINVAL;
		}
		err = check_time(m->phase.start_mono, "phase start_mono", why, wl) ?:
		      check_time(m->phase.start_real, "phase start_real", why, wl) ?:
		      check_str(m->phase.name, PROTO_PHASE_NAME_MAX, 1, "phase name", why, wl);
		break;
	case PROTO_PHASE_END:
		if (m->phase_end.id >= PROTO_MAX_PHASES) {
			say(why, wl, "phase id %u (at most %d)", m->phase_end.id,
			    PROTO_MAX_PHASES - 1);
			return -EINVAL;
		}
		err = check_status(m->phase_end.exit_status, "phase exit status", why, wl) ?:
		      check_time(m->phase_end.end_mono, "phase end_mono", why, wl) ?:
		      check_time(m->phase_end.end_real, "phase end_real", why, wl);
		break;
	case PROTO_END:
		err = check_status(m->end.exit_status, "exit status", why, wl) ?:
		      check_time(m->end.end_mono, "END end_mono", why, wl) ?:
		      check_time(m->end.end_real, "END end_real", why, wl) ?:
		      check_time(m->end.wall_ns, "END wall_ns", why, wl);
		break;
	case PROTO_PING:
		err = check_time(m->ping.t1, "PING t1", why, wl);
		break;
	case PROTO_PONG:
		err = check_time(m->pong.t1, "PONG t1", why, wl) ?:
		      check_time(m->pong.t2, "PONG t2", why, wl);
		if (!err && m->pong.t3 < m->pong.t2) {
			say(why, wl, "PONG sent (t3 %lld) before it was received (t2 %lld)",
			    (long long)m->pong.t3, (long long)m->pong.t2);
			err = -EINVAL;
		}
		break;
	case PROTO_REC_BEGIN:
	case PROTO_REC_END:
		if (!m->rec_begin.size || m->rec_begin.size > PROTO_MAX_RECORDING) {
			say(why, wl, "recording size %llu (1 to %llu)",
			    (unsigned long long)m->rec_begin.size, PROTO_MAX_RECORDING);
			return -EINVAL;
		}
		break;
	case PROTO_REC_CHUNK:
		if (!m->rec_chunk.len || m->rec_chunk.len > PROTO_CHUNK_MAX || !m->rec_chunk.data) {
			say(why, wl, "chunk of %u bytes (1 to %d)", m->rec_chunk.len,
			    PROTO_CHUNK_MAX);
			return -EINVAL;
		}
		if (m->rec_chunk.offset > PROTO_MAX_RECORDING - m->rec_chunk.len) {
			say(why, wl, "chunk at offset %llu ends past %llu",
			    (unsigned long long)m->rec_chunk.offset, PROTO_MAX_RECORDING);
			return -EINVAL;
		}
		break;
	case PROTO_BYE:
		break;
	default:
		say(why, wl, "unknown message type %d", (int)m->type);
		return -EINVAL;
	}
	return err;
}

/* ---- encoding ------------------------------------------------------------ */

struct wr {
	uint8_t *p;
	size_t left;
	int short_;
};

static void put(struct wr *w, uint64_t v, int n)
{
	int i;

	if (w->left < (size_t)n) {
		w->short_ = 1;
		w->left = 0;
		return;
	}
	for (i = 0; i < n; i++)
		*w->p++ = (uint8_t)(v >> (8 * i));
	w->left -= n;
}

static void put_bytes(struct wr *w, const void *s, size_t n)
{
	if (w->left < n) {
		w->short_ = 1;
		w->left = 0;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
}

static void put_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);

	put(w, n, 2);
	put_bytes(w, s, n);
}

ssize_t proto_encode(const struct proto_msg *m, uint8_t *buf, size_t len, char *why,
		     size_t whylen)
{
	struct wr w = { buf, len, 0 };
	size_t plen;
	int err;

	err = validate(m, why, whylen);
	if (err)
		return err == -EPROTO ? -EINVAL : err;
	put_bytes(&w, PROTO_MAGIC, 4);
	put(&w, PROTO_VERSION, 2);
	put(&w, m->type, 2);
	put(&w, 0, 4);		/* the length, once known */
	switch (m->type) {
	case PROTO_HELLO:
		put(&w, m->hello.version, 2);
		put(&w, m->hello.mono_ns, 8);
		put(&w, m->hello.real_ns, 8);
		put_str(&w, m->hello.hvtrace_version);
		put_str(&w, m->hello.identity);
		put_str(&w, m->hello.boot_id);
		put_str(&w, m->hello.run_id);
		put_str(&w, m->hello.label);
		put_str(&w, m->hello.hostname);
		break;
	case PROTO_PHASE:
		put(&w, m->phase.id, 4);
		put(&w, m->phase.source, 1);
		put(&w, m->phase.start_mono, 8);
		put(&w, m->phase.start_real, 8);
		put_str(&w, m->phase.name);
		break;
	case PROTO_PHASE_END:
		put(&w, m->phase_end.id, 4);
		put(&w, (uint32_t)m->phase_end.exit_status, 4);
		put(&w, m->phase_end.end_mono, 8);
		put(&w, m->phase_end.end_real, 8);
		break;
	case PROTO_END:
		put(&w, (uint32_t)m->end.exit_status, 4);
		put(&w, m->end.end_mono, 8);
		put(&w, m->end.end_real, 8);
		put(&w, m->end.wall_ns, 8);
		put(&w, m->end.dropped_bytes, 8);
		put(&w, m->end.dropped_msgs, 8);
		break;
	case PROTO_PING:
		put(&w, m->ping.seq, 4);
		put(&w, m->ping.t1, 8);
		break;
	case PROTO_PONG:
		put(&w, m->pong.seq, 4);
		put(&w, m->pong.t1, 8);
		put(&w, m->pong.t2, 8);
		put(&w, m->pong.t3, 8);
		break;
	case PROTO_REC_BEGIN:
		put(&w, m->rec_begin.size, 8);
		break;
	case PROTO_REC_CHUNK:
		put(&w, m->rec_chunk.offset, 8);
		put_bytes(&w, m->rec_chunk.data, m->rec_chunk.len);
		break;
	case PROTO_REC_END:
		put(&w, m->rec_end.size, 8);
		put(&w, m->rec_end.crc32, 4);
		break;
	default:
		break;
	}
	if (w.short_) {
		say(why, whylen, "%s does not fit in %zu bytes", proto_type_name(m->type), len);
		return -ENOSPC;
	}
	plen = len - w.left - PROTO_HDR_LEN;
	w.p = buf + 8;
	w.left = 4;
	put(&w, plen, 4);
	return PROTO_HDR_LEN + plen;
}

/* ---- decoding ------------------------------------------------------------ */

int proto_decoder_init(struct proto_decoder *d, uint32_t accept, uint64_t max_total)
{
	memset(d, 0, sizeof(*d));
	d->buf = malloc(PROTO_MAX_FRAME);
	if (!d->buf)
		return -ENOMEM;
	d->accept = accept;
	d->max_total = max_total;
	return 0;
}

void proto_decoder_free(struct proto_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
}

const char *proto_decoder_error(const struct proto_decoder *d)
{
	return d->err ? d->errmsg : "";
}

size_t proto_decoder_pending(const struct proto_decoder *d)
{
	return d->have;
}

static int fail(struct proto_decoder *d, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->errmsg, sizeof(d->errmsg), fmt, ap);
	va_end(ap);
	d->err = err;
	return err;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int check_header(struct proto_decoder *d)
{
	const uint8_t *h = d->buf;
	unsigned int version = le(h + 4, 2), type = le(h + 6, 2);
	uint32_t plen = le(h + 8, 4);
	uint64_t at = d->total - PROTO_HDR_LEN;	/* where this frame began */

	if (version != PROTO_VERSION)
		return fail(d, -EPROTO, "protocol version %u at byte %llu; this hvtrace speaks %d",
			    version, (unsigned long long)at, PROTO_VERSION);
	if (!type || type > PROTO_TYPE_MAX)
		return fail(d, -EPROTO, "unknown message type %u at byte %llu", type,
			    (unsigned long long)at);
	if (!(d->accept & PROTO_BIT(type)))
		return fail(d, -EPROTO, "%s at byte %llu is not expected in this direction",
			    types[type].name, (unsigned long long)at);
	if (plen > types[type].max)
		return fail(d, -EMSGSIZE, "%s of %u bytes at byte %llu; at most %u",
			    types[type].name, plen, (unsigned long long)at, types[type].max);
	if (plen < types[type].min)
		return fail(d, -EPROTO, "%s of %u bytes at byte %llu; at least %u",
			    types[type].name, plen, (unsigned long long)at, types[type].min);
	if (d->max_total && at + PROTO_HDR_LEN + plen > d->max_total)
		return fail(d, -EFBIG, "the stream exceeds its limit of %llu bytes",
			    (unsigned long long)d->max_total);
	d->plen = plen;
	d->hdr_ok = 1;
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t left;
	char *why;
	size_t whylen;
	int err;
};

static uint64_t get(struct rd *r, int n)
{
	uint64_t v;

	if (r->err)
		return 0;
	if (r->left < (size_t)n) {
		say(r->why, r->whylen, "truncated field");
		r->err = -EPROTO;
		return 0;
	}
	v = le(r->p, n);
	r->p += n;
	r->left -= n;
	return v;
}

/* A u16 length and that many printable bytes, into DST of MAX + 1 bytes. */
static void get_str(struct rd *r, char *dst, size_t max, const char *field)
{
	size_t n = get(r, 2), i;

	dst[0] = '\0';
	if (r->err)
		return;
	if (n > max) {
		say(r->why, r->whylen, "%s of %zu bytes; at most %zu", field, n, max);
		r->err = -EPROTO;
		return;
	}
	if (n > r->left) {
		say(r->why, r->whylen, "%s of %zu bytes runs past the message", field, n);
		r->err = -EPROTO;
		return;
	}
	for (i = 0; i < n; i++) {
		if (!printable(r->p[i])) {
			say(r->why, r->whylen, "%s has byte 0x%02x at %zu (printable ASCII only)",
			    field, r->p[i], i);
			r->err = -EPROTO;
			return;
		}
	}
	memcpy(dst, r->p, n);
	dst[n] = '\0';
	r->p += n;
	r->left -= n;
}

static int parse(struct proto_decoder *d, struct proto_msg *m)
{
	char why[128] = "";
	struct rd r = { d->buf + PROTO_HDR_LEN, d->plen, why, sizeof(why), 0 };
	unsigned int type = le(d->buf + 6, 2);
	uint64_t at = d->total - PROTO_HDR_LEN - d->plen;
	int err;

	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case PROTO_HELLO:
		m->hello.version = get(&r, 2);
		m->hello.mono_ns = get(&r, 8);
		m->hello.real_ns = get(&r, 8);
		get_str(&r, m->hello.hvtrace_version, PROTO_VERSION_STR_MAX, "hvtrace version");
		get_str(&r, m->hello.identity, PROTO_IDENTITY_MAX, "identity");
		get_str(&r, m->hello.boot_id, PROTO_ID_MAX, "boot id");
		get_str(&r, m->hello.run_id, PROTO_ID_MAX, "run id");
		get_str(&r, m->hello.label, PROTO_LABEL_MAX, "label");
		get_str(&r, m->hello.hostname, PROTO_HOSTNAME_MAX, "hostname");
		break;
	case PROTO_PHASE:
		m->phase.id = get(&r, 4);
		m->phase.source = get(&r, 1);
		m->phase.start_mono = get(&r, 8);
		m->phase.start_real = get(&r, 8);
		get_str(&r, m->phase.name, PROTO_PHASE_NAME_MAX, "phase name");
		break;
	case PROTO_PHASE_END:
		m->phase_end.id = get(&r, 4);
		m->phase_end.exit_status = (int32_t)get(&r, 4);
		m->phase_end.end_mono = get(&r, 8);
		m->phase_end.end_real = get(&r, 8);
		break;
	case PROTO_END:
		m->end.exit_status = (int32_t)get(&r, 4);
		m->end.end_mono = get(&r, 8);
		m->end.end_real = get(&r, 8);
		m->end.wall_ns = get(&r, 8);
		m->end.dropped_bytes = get(&r, 8);
		m->end.dropped_msgs = get(&r, 8);
		break;
	case PROTO_PING:
		m->ping.seq = get(&r, 4);
		m->ping.t1 = get(&r, 8);
		break;
	case PROTO_PONG:
		m->pong.seq = get(&r, 4);
		m->pong.t1 = get(&r, 8);
		m->pong.t2 = get(&r, 8);
		m->pong.t3 = get(&r, 8);
		break;
	case PROTO_REC_BEGIN:
		m->rec_begin.size = get(&r, 8);
		break;
	case PROTO_REC_CHUNK:
		m->rec_chunk.offset = get(&r, 8);
		m->rec_chunk.data = r.p;
		m->rec_chunk.len = r.left;
		r.p += r.left;
		r.left = 0;
		break;
	case PROTO_REC_END:
		m->rec_end.size = get(&r, 8);
		m->rec_end.crc32 = get(&r, 4);
		break;
	}
	if (!r.err && r.left)
		return fail(d, -EPROTO, "%s at byte %llu: %zu bytes after its last field",
			    types[type].name, (unsigned long long)at, r.left);
	err = r.err ?: validate(m, why, sizeof(why));
	if (err)
		return fail(d, -EPROTO, "%s at byte %llu: %s", types[type].name,
			    (unsigned long long)at, why);
	return 1;
}

int proto_decode(struct proto_decoder *d, const uint8_t **buf, size_t *len,
		 struct proto_msg *ret)
{
	while (!d->err && *len) {
		size_t want = d->hdr_ok ? PROTO_HDR_LEN + d->plen : PROTO_HDR_LEN;
		size_t n = want - d->have;

		if (n > *len)
			n = *len;
		memcpy(d->buf + d->have, *buf, n);
		*buf += n;
		*len -= n;
		d->have += n;
		d->total += n;
		/* Refuse a stream that is not ours at its first wrong byte, not 12 bytes later. */
		if (!d->hdr_ok && memcmp(d->buf, PROTO_MAGIC, d->have < 4 ? d->have : 4))
			return fail(d, -EPROTO, "not an hvtrace agent stream (bad magic at byte "
				    "%llu)", (unsigned long long)(d->total - d->have));
		if (!d->hdr_ok && d->have == PROTO_HDR_LEN && check_header(d))
			break;
		if (d->hdr_ok && d->have == PROTO_HDR_LEN + d->plen) {
			int err = parse(d, ret);

			d->have = 0;
			d->hdr_ok = 0;
			return err;
		}
	}
	return d->err;
}

/* ---- session rules (host side) ------------------------------------------- */

void proto_peer_init(struct proto_peer *p, uint64_t max_recording)
{
	memset(p, 0, sizeof(*p));
	p->max_recording = max_recording < PROTO_MAX_RECORDING ? max_recording :
		PROTO_MAX_RECORDING;
	p->last_phase = -1;
}

int proto_peer_accept(struct proto_peer *p, const struct proto_msg *m, char *why, size_t wl)
{
	const char *name = proto_type_name(m->type);

	if (p->bye) {
		say(why, wl, "%s after BYE", name);
		return -EPROTO;
	}
	if (!p->hello && m->type != PROTO_HELLO) {
		say(why, wl, "%s before HELLO", name);
		return -EPROTO;
	}
	switch (m->type) {
	case PROTO_HELLO:
		if (p->hello) {
			say(why, wl, "a second HELLO");
			return -EPROTO;
		}
		p->hello = 1;
		break;
	case PROTO_PHASE:
	case PROTO_PHASE_END:
		if (++p->phase_msgs > PROTO_MAX_PHASE_MSGS) {
			say(why, wl, "more than %d phase messages", PROTO_MAX_PHASE_MSGS);
			return -EPROTO;
		}
		if (m->type == PROTO_PHASE_END) {
			if ((int64_t)m->phase_end.id > p->last_phase) {
				say(why, wl, "PHASE_END of phase %u, which never began",
				    m->phase_end.id);
				return -EPROTO;
			}
			break;
		}
		if (p->ended) {
			say(why, wl, "PHASE after END");
			return -EPROTO;
		}
		if ((int64_t)m->phase.id < p->last_phase) {
			say(why, wl, "phase %u after phase %lld (phases only go forward)",
			    m->phase.id, (long long)p->last_phase);
			return -EPROTO;
		}
		p->last_phase = m->phase.id;
		break;
	case PROTO_END:
		if (p->ended) {
			say(why, wl, "a second END");
			return -EPROTO;
		}
		p->ended = 1;
		break;
	case PROTO_REC_BEGIN:
		if (p->rec_state) {
			say(why, wl, "a second recording");
			return -EPROTO;
		}
		if (m->rec_begin.size > p->max_recording) {
			say(why, wl, "a guest recording of %llu bytes exceeds the limit of %llu",
			    (unsigned long long)m->rec_begin.size,
			    (unsigned long long)p->max_recording);
			return -EFBIG;
		}
		p->rec_state = 1;
		p->rec_size = m->rec_begin.size;
		p->rec_have = 0;
		break;
	case PROTO_REC_CHUNK:
		if (p->rec_state != 1) {
			say(why, wl, "REC_CHUNK outside a recording");
			return -EPROTO;
		}
		if (m->rec_chunk.offset != p->rec_have) {
			say(why, wl, "chunk at offset %llu; expected %llu",
			    (unsigned long long)m->rec_chunk.offset,
			    (unsigned long long)p->rec_have);
			return -EPROTO;
		}
		if (m->rec_chunk.len > p->rec_size - p->rec_have) {
			say(why, wl, "chunk of %u bytes at %llu runs past the announced %llu",
			    m->rec_chunk.len, (unsigned long long)m->rec_chunk.offset,
			    (unsigned long long)p->rec_size);
			return -EPROTO;
		}
		p->rec_have += m->rec_chunk.len;
		break;
	case PROTO_REC_END:
		if (p->rec_state != 1) {
			say(why, wl, "REC_END outside a recording");
			return -EPROTO;
		}
		if (m->rec_end.size != p->rec_size || p->rec_have != p->rec_size) {
			say(why, wl, "recording ends at %llu bytes of %llu announced (REC_END "
			    "says %llu)", (unsigned long long)p->rec_have,
			    (unsigned long long)p->rec_size, (unsigned long long)m->rec_end.size);
			return -EPROTO;
		}
		p->rec_state = 2;
		break;
	case PROTO_BYE:
		/* Else a recording cut short could pass for a whole one. */
		if (p->rec_state == 1) {
			say(why, wl, "BYE in the middle of the recording (%llu of %llu bytes)",
			    (unsigned long long)p->rec_have, (unsigned long long)p->rec_size);
			return -EPROTO;
		}
		p->bye = 1;
		break;
	default:
		break;
	}
	return 0;
}
