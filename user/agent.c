// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* agent: the guest/host session: hello, phases, clock pings, the guest recording. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <zlib.h>

#include "agent.h"
#include "channel.h"
#include "detect.h"
#include "util.h"

#define READ_BUDGET	(1u << 20)	/* bytes per _handle() call */
#define GUEST_RETRY_NS	(100 * 1000000LL)	/* retry a stuck send queue this often */
#define QUIET_NS	(200 * 1000000LL)	/* no ping for this long: the burst is over */
#define MAX_QUIET_NS	(2000 * 1000000LL)
#define NO_HOST_NS	(2000 * 1000000LL)	/* wait this long for a first ping at the end */
#define CLOSE_DRAIN_MS	200

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int ep_add(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Arms TFD at absolute CLOCK_MONOTONIC time AT_NS (0: disarms). */
static void arm(int tfd, int64_t at_ns)
{
	struct itimerspec its = { 0 };

	if (at_ns > 0) {
		its.it_value.tv_sec = at_ns / 1000000000;
		its.it_value.tv_nsec = at_ns % 1000000000;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void drain_timer(int tfd)
{
	uint64_t n;

	if (read(tfd, &n, sizeof(n)) < 0)
		return;	/* EAGAIN: it had not fired */
}

/* ======================================================================== */
/* host side                                                                 */
/* ======================================================================== */

struct agent_host {
	struct agent_host_opts o;
	struct channel *ch;	/* NULL once closed */
	char desc[160];
	int ep, tfd, ch_fd_watched;
	struct proto_decoder dec;
	struct proto_peer peer;
	struct clocksync cs;
	enum agent_state state;
	int reported;		/* the failure or early end was returned once */
	char errmsg[320];
	struct proto_hello hello;
	struct proto_end end;
	int64_t hello_arrival;	/* host clock */
	/* pings */
	uint32_t seq;
	int awaiting;
	int64_t ping_t1;
	int burst_left;
	int final_burst;
	int64_t next_at;
	/* the guest's recording */
	int rec_fd;
	uLong crc;
	struct agent_host_stats st;
	uint8_t rbuf[64 << 10];
	uint8_t wbuf[64];
};

static int host_watch(struct agent_host *h)
{
	int fd = h->ch ? channel_fd(h->ch) : -1;

	if (fd == h->ch_fd_watched)
		return 0;
	if (h->ch_fd_watched >= 0)
		epoll_ctl(h->ep, EPOLL_CTL_DEL, h->ch_fd_watched, NULL);
	h->ch_fd_watched = -1;
	if (fd < 0)
		return 0;
	h->ch_fd_watched = fd;
	return ep_add(h->ep, fd, EPOLLIN);
}

static void host_close_channel(struct agent_host *h)
{
	struct channel *c = h->ch;

	h->ch = NULL;
	host_watch(h);		/* out of the epoll set before the fd is closed */
	channel_close(c);
}

/* A recording begun and not complete is removed; a complete one stays. */
static void host_drop_recording(struct agent_host *h)
{
	if (h->rec_fd < 0)
		return;
	close(h->rec_fd);
	h->rec_fd = -1;
	unlink(h->o.recording_path);
}

/* Ends the session for a reason in FMT; the host recording goes on without the guest. */
static void host_fail(struct agent_host *h, enum agent_state state, const char *fmt, ...)
{
	va_list ap;

	if (h->state == AGENT_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	h->state = state;
	h->awaiting = 0;
	h->burst_left = 0;
	h->next_at = 0;
	arm(h->tfd, 0);
	if (state == AGENT_FAILED) {
		host_drop_recording(h);
		host_close_channel(h);
	}
}

static void host_arm(struct agent_host *h)
{
	arm(h->tfd, h->next_at);
}

static void send_ping(struct agent_host *h, int64_t now)
{
	struct proto_msg m = { .type = PROTO_PING };
	ssize_t n;

	m.ping.seq = ++h->seq;
	m.ping.t1 = now;
	n = proto_encode(&m, h->wbuf, sizeof(h->wbuf), NULL, 0);
	h->burst_left--;
	h->st.pings++;
	h->awaiting = 1;
	h->ping_t1 = now;
	h->next_at = now + (int64_t)h->o.ping_timeout_ms * 1000000;
	if (n < 0 || channel_send(h->ch, h->wbuf, n))
		h->next_at = now;	/* not sent: counts as lost at once */
	host_arm(h);
}

static void start_burst(struct agent_host *h, int64_t now)
{
	if (h->awaiting || h->burst_left || !h->ch)
		return;
	h->burst_left = CLOCKSYNC_BURST;
	send_ping(h, now);
}

/* A ping was answered or given up: the next one, or the burst's result. */
static void burst_step(struct agent_host *h, int64_t now)
{
	h->awaiting = 0;
	if (h->burst_left > 0) {
		send_ping(h, now);
		return;
	}
	clocksync_end_burst(&h->cs);
	if (h->final_burst) {
		h->final_burst = 0;
		start_burst(h, now);
		return;
	}
	/* After END only the final burst is wanted: the guest is sending its recording. */
	h->next_at = h->state == AGENT_RUNNING ? now + (int64_t)h->o.sync_interval_ms * 1000000 : 0;
	host_arm(h);
}

static void host_timer(struct agent_host *h, int64_t now)
{
	drain_timer(h->tfd);
	if (!h->next_at || now < h->next_at)
		return;
	if (h->awaiting) {
		h->st.pings_lost++;
		burst_step(h, now);
	} else if (h->state == AGENT_RUNNING) {
		start_burst(h, now);
	}
}

/* A guest time on the host's clock: through the clock fit, or HELLO's arrival before it. */
static int64_t to_host(const struct agent_host *h, int64_t guest, int *synced)
{
	struct clock_fit f;
	int err = clocksync_result(&h->cs, &f);
	__int128 t;

	/* The guest's numbers are anything: wide, then clamped. */
	*synced = !err || err == -ERANGE;
	t = *synced ? clock_fit_to_host(&f, guest) :
		(__int128)guest - h->hello.mono_ns + h->hello_arrival;
	return t > INT64_MAX ? INT64_MAX : t < 0 ? 0 : (int64_t)t;
}

int64_t agent_host_map(const struct agent_host *h, int64_t guest_mono, int *ret_synced)
{
	int synced;

	return h->hello_arrival ? to_host(h, guest_mono, ret_synced ?: &synced) : 0;
}

static void on_pong(struct agent_host *h, const struct proto_pong *p, int64_t now)
{
	struct clock_sample s = { p->t1, p->t2, p->t3, now };

	if (!h->awaiting || p->seq != h->seq || p->t1 != h->ping_t1) {
		h->st.pongs_ignored++;	/* late (after its timeout) or made up */
		return;
	}
	h->st.pongs++;
	clocksync_add(&h->cs, &s);
	burst_step(h, now);
}

static void rec_begin(struct agent_host *h)
{
	if (!h->o.recording_path)
		return;
	h->rec_fd = open(h->o.recording_path,
			 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (h->rec_fd < 0)
		host_fail(h, AGENT_FAILED, "cannot create '%s' for the guest's recording: %s",
			  h->o.recording_path, strerror(errno));
	h->crc = crc32(0, NULL, 0);
}

static void rec_chunk(struct agent_host *h, const struct proto_rec_chunk *c)
{
	size_t done = 0;

	h->crc = crc32(h->crc, c->data, c->len);
	h->st.recording_bytes += c->len;
	if (h->rec_fd < 0)
		return;
	/* proto_peer checked: this chunk starts where the last ended and stays in bounds. */
	while (done < c->len) {
		ssize_t w = pwrite(h->rec_fd, c->data + done, c->len - done, c->offset + done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			host_fail(h, AGENT_FAILED, "cannot write the guest's recording to '%s': %s",
				  h->o.recording_path, w < 0 ? strerror(errno) : "short write");
			return;
		}
		done += w;
	}
}

static void rec_end(struct agent_host *h, const struct proto_rec_end *e)
{
	if (h->crc != e->crc32) {
		host_fail(h, AGENT_FAILED, "the guest's recording arrived damaged (crc32 %08lx, "
			  "the guest says %08x)", (unsigned long)h->crc, e->crc32);
		return;
	}
	if (h->rec_fd >= 0) {
		if (close(h->rec_fd)) {
			h->rec_fd = -1;
			host_fail(h, AGENT_FAILED, "cannot write the guest's recording to '%s': %s",
				  h->o.recording_path, strerror(errno));
			return;
		}
		h->rec_fd = -1;
		h->st.have_recording = 1;
	}
}

static void on_msg(struct agent_host *h, const struct proto_msg *m, int64_t now)
{
	const struct agent_host_ops *ops = h->o.ops;
	char why[200];
	int64_t t;
	int synced, err;

	err = proto_peer_accept(&h->peer, m, why, sizeof(why));
	if (err) {
		host_fail(h, AGENT_FAILED, "the guest broke the protocol: %s", why);
		return;
	}
	switch (m->type) {
	case PROTO_HELLO:
		h->hello = m->hello;
		h->hello_arrival = now;
		h->state = AGENT_RUNNING;
		if (ops && ops->hello)
			ops->hello(h->o.ctx, &m->hello);
		start_burst(h, now);
		break;
	case PROTO_PHASE:
		h->st.phases++;
		t = to_host(h, m->phase.start_mono, &synced);
		if (ops && ops->phase)
			ops->phase(h->o.ctx, &m->phase, t, synced);
		break;
	case PROTO_PHASE_END:
		t = to_host(h, m->phase_end.end_mono, &synced);
		if (ops && ops->phase_end)
			ops->phase_end(h->o.ctx, &m->phase_end, t);
		break;
	case PROTO_END:
		h->end = m->end;
		h->state = AGENT_ENDED;
		t = to_host(h, m->end.end_mono, &synced);
		if (ops && ops->end)
			ops->end(h->o.ctx, &m->end, t);
		/* One more burst now, so that the fit spans the whole run. */
		if (h->awaiting || h->burst_left)
			h->final_burst = 1;
		else
			start_burst(h, now);
		break;
	case PROTO_PONG:
		on_pong(h, &m->pong, now);
		break;
	case PROTO_REC_BEGIN:
		rec_begin(h);
		break;
	case PROTO_REC_CHUNK:
		rec_chunk(h, &m->rec_chunk);
		break;
	case PROTO_REC_END:
		rec_end(h, &m->rec_end);
		break;
	case PROTO_BYE: {
		struct proto_msg bye = { .type = PROTO_BYE };
		ssize_t n = proto_encode(&bye, h->wbuf, sizeof(h->wbuf), NULL, 0);

		/* The guest waits for this to know that everything arrived. */
		if (n > 0)
			channel_send(h->ch, h->wbuf, n);
		h->state = AGENT_DONE;
		h->st.pings_lost += h->awaiting;
		h->awaiting = 0;
		h->burst_left = 0;
		h->next_at = 0;
		host_arm(h);
		break;
	}
	default:
		break;
	}
}

static void host_read(struct agent_host *h)
{
	size_t budget = READ_BUDGET;

	while (h->ch && h->ch->fd >= 0 && budget && h->state != AGENT_FAILED) {
		ssize_t n = channel_recv(h->ch, h->rbuf, sizeof(h->rbuf));
		const uint8_t *p = h->rbuf;
		size_t left;
		int64_t now;

		if (!n)
			break;
		if (n < 0) {
			if (h->state != AGENT_DONE) {
				size_t cut = proto_decoder_pending(&h->dec);

				host_drop_recording(h);
				host_fail(h, AGENT_DONE, "the guest closed the channel %s%s",
					  h->st.have_recording ? "without saying BYE" :
					  h->state == AGENT_ENDED ? "before sending its recording" :
					  "before the end of its run",
					  cut ? " (in the middle of a message)" : "");
			}
			host_close_channel(h);
			break;
		}
		now = now_mono_ns();
		h->st.bytes_in += n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
		left = n;
		while (left && h->state != AGENT_FAILED) {
			struct proto_msg m;
			int r = proto_decode(&h->dec, &p, &left, &m);

			if (r < 0) {
				host_fail(h, AGENT_FAILED, "the guest broke the protocol: %s",
					  proto_decoder_error(&h->dec));
				break;
			}
			if (r)
				on_msg(h, &m, now);
		}
	}
}

struct agent_host *agent_host_open(const struct agent_host_opts *o, char *err, size_t errlen)
{
	struct channel_spec spec;
	struct agent_host *h;
	int ret;

	ret = channel_parse(o->channel, 1, &spec, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		say(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	h->o = *o;
	if (!h->o.max_recording || h->o.max_recording > PROTO_MAX_RECORDING)
		h->o.max_recording = AGENT_MAX_RECORDING;
	if (!h->o.sync_interval_ms)
		h->o.sync_interval_ms = AGENT_SYNC_INTERVAL_MS;
	if (!h->o.ping_timeout_ms)
		h->o.ping_timeout_ms = AGENT_PING_TIMEOUT_MS;
	h->rec_fd = -1;
	h->ep = h->tfd = h->ch_fd_watched = -1;
	clocksync_init(&h->cs);
	proto_peer_init(&h->peer, h->o.max_recording);
	/* Beyond the recording, a session is a few hundred bytes a minute. */
	if (proto_decoder_init(&h->dec, PROTO_FROM_GUEST, h->o.max_recording + (64 << 20))) {
		say(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out_free;
	}
	h->ch = channel_open_host(&spec, 0, err, errlen);
	if (!h->ch) {
		ret = -errno;
		goto out_free;
	}
	snprintf(h->desc, sizeof(h->desc), "%s", h->ch->desc);
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ret = h->ep < 0 || h->tfd < 0 ? -errno : ep_add(h->ep, h->tfd, EPOLLIN) ?: host_watch(h);
	if (ret) {
		say(err, errlen, "cannot set up the agent channel's events: %s", strerror(-ret));
		goto out_free;
	}
	return h;

out_free:
	agent_host_close(h);
	errno = -ret;
	return NULL;
}

void agent_host_close(struct agent_host *h)
{
	if (!h)
		return;
	if (h->rec_fd >= 0)
		host_drop_recording(h);
	channel_close(h->ch);
	proto_decoder_free(&h->dec);
	if (h->ep >= 0)
		close(h->ep);
	if (h->tfd >= 0)
		close(h->tfd);
	free(h);
}

int agent_host_fd(const struct agent_host *h)
{
	return h ? h->ep : -1;
}

int agent_host_handle(struct agent_host *h)
{
	int r;

	if (!h)
		return 0;
	if (h->ch && h->ch->listen_fd >= 0) {
		r = channel_accept(h->ch);
		if (r > 0)
			host_watch(h);
	}
	host_read(h);
	if (h->ch && h->state != AGENT_FAILED)
		channel_flush(h->ch);
	host_timer(h, now_mono_ns());
	if (h->errmsg[0] && !h->reported) {
		h->reported = 1;
		return h->state == AGENT_FAILED ? -EPROTO : -EPIPE;
	}
	return 0;
}

int agent_host_finish(struct agent_host *h, int timeout_ms)
{
	int64_t deadline = now_mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct epoll_event ev[4];
		int64_t left;

		agent_host_handle(h);
		if (h->state == AGENT_DONE || h->state == AGENT_FAILED)
			break;
		if (h->state == AGENT_WAITING && !h->hello_arrival)
			return -ENOTCONN;
		left = deadline - now_mono_ns();
		if (left <= 0) {
			size_t cut = proto_decoder_pending(&h->dec);

			host_fail(h, AGENT_FAILED, "the guest did not finish in time (%s%s)",
				  h->state == AGENT_ENDED ? "its recording was still coming" :
				  "no END from it", cut ? "; a message was cut off" : "");
			return -ETIMEDOUT;
		}
		if (epoll_wait(h->ep, ev, 4, left > 100000000 ? 100 : (int)(left / 1000000) + 1) <
		    0 && errno != EINTR)
			return -errno;
	}
	if (h->state == AGENT_FAILED)
		return -EPROTO;
	return h->errmsg[0] ? -EPIPE : 0;
}

enum agent_state agent_host_state(const struct agent_host *h)
{
	return h->state;
}

const char *agent_host_error(const struct agent_host *h)
{
	return h->errmsg;
}

const char *agent_host_desc(const struct agent_host *h)
{
	return h->desc;
}

const struct proto_hello *agent_host_hello(const struct agent_host *h)
{
	return h->hello_arrival ? &h->hello : NULL;
}

const struct proto_end *agent_host_end(const struct agent_host *h)
{
	return h->peer.ended ? &h->end : NULL;
}

void agent_host_stats(const struct agent_host *h, struct agent_host_stats *ret)
{
	*ret = h->st;
}

int agent_host_clock(const struct agent_host *h, struct clock_fit *ret)
{
	return clocksync_result(&h->cs, ret);
}

int agent_host_write_meta(const struct agent_host *h, struct recfile *rf)
{
	struct clock_fit f;
	char buf[64];
	int err = 0, cerr;

	if (!h)
		return 0;
	err = recfile_set_meta(rf, "agent_channel", h->desc);
	if (h->errmsg[0])
		err = err ?: recfile_set_meta(rf, "agent_error", h->errmsg);
	if (h->hello_arrival) {
		err = err ?: recfile_set_meta(rf, "guest_hvtrace_version",
					      h->hello.hvtrace_version);
		err = err ?: recfile_set_meta(rf, "guest_identity", h->hello.identity);
		err = err ?: recfile_set_meta(rf, "guest_boot_id", h->hello.boot_id);
		err = err ?: recfile_set_meta(rf, "guest_run_id", h->hello.run_id);
		err = err ?: recfile_set_meta(rf, "guest_label", h->hello.label);
		err = err ?: recfile_set_meta(rf, "guest_hostname", h->hello.hostname);
	}
	if (h->peer.ended) {
		err = err ?: recfile_set_meta_int(rf, "guest_exit_status", h->end.exit_status);
		err = err ?: recfile_set_meta_int(rf, "guest_dropped_bytes",
						  h->end.dropped_bytes);
		err = err ?: recfile_set_meta_int(rf, "guest_dropped_msgs", h->end.dropped_msgs);
	}
	cerr = clocksync_result(&h->cs, &f);
	err = err ?: recfile_set_meta(rf, "clock_sync", cerr == -ENOENT ? "none" :
				      cerr == -ERANGE ? "best-burst" : "fit");
	err = err ?: recfile_set_meta_int(rf, "clock_pings", h->st.pings);
	err = err ?: recfile_set_meta_int(rf, "clock_pings_lost", h->st.pings_lost);
	if (cerr == -ENOENT)
		return err;
	snprintf(buf, sizeof(buf), "%.3f", f.drift_ppm);
	err = err ?: recfile_set_meta_int(rf, "clock_offset_ns", f.offset_ns);
	err = err ?: recfile_set_meta_int(rf, "clock_ref_host_mono_ns", f.ref_host_ns);
	err = err ?: recfile_set_meta(rf, "clock_drift_ppm", buf);
	err = err ?: recfile_set_meta_int(rf, "clock_uncertainty_ns", f.uncertainty_ns);
	err = err ?: recfile_set_meta_int(rf, "clock_best_rtt_ns", f.best_rtt_ns);
	err = err ?: recfile_set_meta_int(rf, "clock_max_residual_ns", f.max_residual_ns);
	err = err ?: recfile_set_meta_int(rf, "clock_bursts", f.bursts);
	err = err ?: recfile_set_meta_int(rf, "clock_span_start_ns", f.span_start_ns);
	err = err ?: recfile_set_meta_int(rf, "clock_span_end_ns", f.span_end_ns);
	return err;
}

/* ======================================================================== */
/* guest side                                                                */
/* ======================================================================== */

struct agent_guest {
	struct channel *ch;
	int ep, tfd;
	struct proto_decoder dec;
	char run_id[33];
	char boot_id[PROTO_ID_MAX + 1];
	uint64_t pings;
	int64_t last_ping;	/* guest clock, 0 before the first */
	int64_t end_at;		/* when END was queued */
	int bye_sent, host_bye, gone_reported;
	char errmsg[200];
	uint8_t frame[PROTO_MAX_FRAME];
	uint8_t rbuf[4096];
};

static int guest_queue(struct agent_guest *a, const struct proto_msg *m)
{
	ssize_t n = proto_encode(m, a->frame, sizeof(a->frame), NULL, 0);

	if (n < 0)
		return n;
	return channel_send(a->ch, a->frame, n);
}

static void guest_pong(struct agent_guest *a, const struct proto_ping *p, int64_t t2)
{
	struct proto_msg m = { .type = PROTO_PONG };

	if (a->bye_sent)
		return;		/* nothing may follow BYE */
	m.pong.seq = p->seq;
	m.pong.t1 = p->t1;
	m.pong.t2 = t2;
	m.pong.t3 = now_mono_ns();
	guest_queue(a, &m);
}

/* Reads until the fd runs dry (the fd is edge-triggered). 0, or -errno when the host is gone. */
static int guest_read(struct agent_guest *a)
{
	for (;;) {
		ssize_t n = channel_recv(a->ch, a->rbuf, sizeof(a->rbuf));
		int64_t t2 = now_mono_ns();
		const uint8_t *p = a->rbuf;
		size_t left;

		/* The host closing after its BYE is the normal end. */
		if (n <= 0)
			return n < 0 && !a->host_bye ? -EPIPE : 0;
		left = n;
		while (left) {
			struct proto_msg m;
			int r = proto_decode(&a->dec, &p, &left, &m);

			if (r < 0) {
				/* Not our host: stop talking rather than guess. */
				say(a->errmsg, sizeof(a->errmsg), "the host sent garbage: %s",
				    proto_decoder_error(&a->dec));
				a->ch->eof = 1;
				return -EPROTO;
			}
			if (!r)
				break;
			if (m.type == PROTO_PING) {
				a->pings++;
				a->last_ping = t2;
				guest_pong(a, &m.ping, t2);
			} else if (m.type == PROTO_BYE) {
				a->host_bye = 1;
			}
		}
	}
}

int agent_guest_handle(struct agent_guest *a)
{
	ssize_t left;
	int err;

	if (!a)
		return 0;
	err = guest_read(a);
	left = a->host_bye ? 0 : channel_flush(a->ch);

	drain_timer(a->tfd);
	/* Edges can be missed (a port whose host comes and goes): retry while anything waits. */
	arm(a->tfd, left > 0 ? now_mono_ns() + GUEST_RETRY_NS : 0);
	if ((err || left < 0) && !a->gone_reported) {
		a->gone_reported = 1;
		if (!a->errmsg[0])
			say(a->errmsg, sizeof(a->errmsg), "the host closed the channel");
		return err ? err : -EPIPE;
	}
	return 0;
}

static void read_boot_id(const char *root, char *buf, size_t len)
{
	char path[4096], raw[128] = "";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/random/boot_id", root ? root : "");
	f = fopen(path, "re");
	if (!f) {
		buf[0] = '\0';
		return;
	}
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	raw[strcspn(raw, "\n")] = '\0';
	proto_sanitize(buf, len, raw);
}

static void make_run_id(char *buf)
{
	unsigned char r[16];
	int i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		int64_t t = now_real_ns() ^ ((int64_t)getpid() << 40);

		memcpy(r, &t, 8);
		memcpy(r + 8, &t, 8);
	}
	for (i = 0; i < 16; i++)
		sprintf(buf + 2 * i, "%02x", r[i]);
}

static void guest_identity(const struct agent_guest_opts *o, char *buf, size_t len)
{
	struct detect_opts dopts = { .root = o->root };
	struct detect_result *res;

	if (o->identity) {
		proto_sanitize(buf, len, o->identity);
		return;
	}
	res = calloc(1, sizeof(*res));
	if (res && !hvt_detect(&dopts, res))
		proto_sanitize(buf, len, res->summary);
	else
		proto_sanitize(buf, len, "unknown");
	free(res);
}

struct agent_guest *agent_guest_open(const struct agent_guest_opts *o, char *err, size_t errlen)
{
	struct proto_msg m = { .type = PROTO_HELLO };
	struct proto_hello *h = &m.hello;
	struct channel_spec spec;
	struct agent_guest *a;
	char host[256] = "";
	int ret;

	ret = channel_parse(o->host, 0, &spec, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (spec.kind == CHANNEL_NONE) {
		say(err, errlen, "no host channel (--host none)");
		errno = ENOENT;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		say(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	a->ep = a->tfd = -1;
	if (proto_decoder_init(&a->dec, PROTO_FROM_HOST, 0)) {
		say(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out_free;
	}
	a->ch = channel_open_guest(&spec, o->root, o->queue_max, err, errlen);
	if (!a->ch) {
		/* ENOENT means "nothing to talk to" only when nothing particular was asked for. */
		ret = errno == ENOENT && spec.kind != CHANNEL_AUTO ? -ENODEV : -errno;
		goto out_free;
	}
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	/*
	 * Edge-triggered: a virtio-serial port without a host reader polls as
	 * readable and hung up for as long as that lasts; level-triggered, the
	 * recorder's loop would spin. The host connecting is an edge.
	 */
	ret = a->ep < 0 || a->tfd < 0 ? -errno :
	      ep_add(a->ep, a->ch->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) ?:
	      ep_add(a->ep, a->tfd, EPOLLIN);
	if (ret) {
		say(err, errlen, "cannot set up the agent channel's events: %s", strerror(-ret));
		goto out_free;
	}
	make_run_id(a->run_id);
	read_boot_id(o->root, a->boot_id, sizeof(a->boot_id));
	h->version = PROTO_VERSION;
	h->mono_ns = now_mono_ns();
	h->real_ns = now_real_ns();
	proto_sanitize(h->hvtrace_version, sizeof(h->hvtrace_version), HVT_VERSION);
	guest_identity(o, h->identity, sizeof(h->identity));
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", a->boot_id);
	snprintf(h->run_id, sizeof(h->run_id), "%s", a->run_id);
	proto_sanitize(h->label, sizeof(h->label), o->label ? o->label : "");
	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	proto_sanitize(h->hostname, sizeof(h->hostname), host);
	guest_queue(a, &m);
	return a;

out_free:
	agent_guest_close(a);
	errno = -ret;
	return NULL;
}

int agent_guest_fd(const struct agent_guest *a)
{
	return a ? a->ep : -1;
}

static enum proto_source source_of(const char *s)
{
	if (s && !strcmp(s, "start"))
		return PROTO_SRC_START;
	if (s && !strcmp(s, "mark"))
		return PROTO_SRC_MARK;
	return PROTO_SRC_AUTO;
}

int agent_guest_phase(struct agent_guest *a, int id, const char *name, const char *source,
		      int64_t start_mono, int64_t start_real)
{
	struct proto_msg m = { .type = PROTO_PHASE };

	if (!a)
		return 0;
	if (id < 0 || id >= PROTO_MAX_PHASES) {
		a->ch->dropped_msgs++;
		return -ERANGE;
	}
	m.phase.id = id;
	m.phase.source = source_of(source);
	m.phase.start_mono = start_mono;
	m.phase.start_real = start_real;
	proto_sanitize(m.phase.name, sizeof(m.phase.name), name && *name ? name : "?");
	return guest_queue(a, &m);
}

int agent_guest_phase_end(struct agent_guest *a, int id, int exit_status, int64_t end_mono,
			  int64_t end_real)
{
	struct proto_msg m = { .type = PROTO_PHASE_END };

	if (!a)
		return 0;
	if (id < 0 || id >= PROTO_MAX_PHASES) {
		a->ch->dropped_msgs++;
		return -ERANGE;
	}
	m.phase_end.id = id;
	m.phase_end.exit_status = exit_status >= -1 && exit_status <= 0xffff ? exit_status : -1;
	m.phase_end.end_mono = end_mono;
	m.phase_end.end_real = end_real;
	return guest_queue(a, &m);
}

int agent_guest_end(struct agent_guest *a, int exit_status, int64_t end_mono, int64_t end_real,
		    int64_t wall_ns)
{
	struct proto_msg m = { .type = PROTO_END };

	if (!a)
		return 0;
	m.end.exit_status = exit_status >= -1 && exit_status <= 0xffff ? exit_status : -1;
	m.end.end_mono = end_mono;
	m.end.end_real = end_real;
	m.end.wall_ns = wall_ns;
	m.end.dropped_bytes = a->ch->dropped_bytes;
	m.end.dropped_msgs = a->ch->dropped_msgs;
	a->end_at = now_mono_ns();
	return guest_queue(a, &m);
}

/* Waits for the guest's events until DEADLINE (guest clock). 0, or -ETIMEDOUT. */
static int guest_wait(struct agent_guest *a, int64_t deadline, int64_t max_ms)
{
	struct epoll_event ev[2];
	int64_t left = deadline - now_mono_ns();
	int ms;

	if (left <= 0)
		return -ETIMEDOUT;
	ms = left / 1000000 + 1;
	if (ms > max_ms)
		ms = max_ms;
	if (epoll_wait(a->ep, ev, 2, ms) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int agent_guest_send_recording(struct agent_guest *a, const char *path, int timeout_ms,
			       char *err, size_t errlen)
{
	int64_t start = now_mono_ns(), deadline = start + (int64_t)timeout_ms * 1000000;
	struct proto_msg m = { .type = PROTO_REC_BEGIN };
	uint64_t off = 0, size;
	uint8_t *chunk = NULL;
	uLong crc = crc32(0, NULL, 0);
	struct stat st;
	int fd, ret = 0;

	/* A host agent pings as soon as it has our HELLO; no ping, nobody to send to. */
	while (!a->pings && now_mono_ns() - start < NO_HOST_NS && !a->ch->eof) {
		agent_guest_handle(a);
		if (!a->pings && guest_wait(a, start + NO_HOST_NS, 50) == -ETIMEDOUT)
			break;
	}
	if (!a->pings) {
		say(err, errlen, "no host agent answered on %s", a->ch->desc);
		return a->ch->eof ? -EPIPE : -ENOTCONN;
	}
	/*
	 * END makes the host ping once more: let that burst finish before the
	 * bulk goes out in front of the answers.
	 */
	for (;;) {
		int64_t quiet_from = a->last_ping > a->end_at ? a->last_ping : a->end_at;

		if (now_mono_ns() - quiet_from >= QUIET_NS || now_mono_ns() - start >= MAX_QUIET_NS)
			break;
		agent_guest_handle(a);
		guest_wait(a, quiet_from + QUIET_NS, 20);
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		say(err, errlen, "cannot read the recording '%s': %s", path, strerror(errno));
		goto out_close;
	}
	size = st.st_size;
	if (!size || size > PROTO_MAX_RECORDING) {
		ret = -EFBIG;
		say(err, errlen, "the recording '%s' has %llu bytes (1 to %llu can be sent)", path,
		    (unsigned long long)size, PROTO_MAX_RECORDING);
		goto out_close;
	}
	chunk = malloc(PROTO_CHUNK_MAX);
	if (!chunk) {
		ret = -ENOMEM;
		say(err, errlen, "out of memory");
		goto out_close;
	}
	m.rec_begin.size = size;
	ret = guest_queue(a, &m);
	while (!ret && off < size) {
		ssize_t n;

		/* Keep at most a frame or two queued: the bound is for the workload's messages. */
		if (channel_queued(a->ch) + PROTO_MAX_FRAME > a->ch->q_cap / 2) {
			ret = agent_guest_handle(a) ?: guest_wait(a, deadline, 100);
			continue;
		}
		n = pread(fd, chunk, size - off < PROTO_CHUNK_MAX ? size - off : PROTO_CHUNK_MAX,
			  off);
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			say(err, errlen, "cannot read the recording '%s': %s", path,
			    n < 0 ? strerror(errno) : "it shrank while being sent");
			goto out_close;
		}
		crc = crc32(crc, chunk, n);
		m.type = PROTO_REC_CHUNK;
		m.rec_chunk.offset = off;
		m.rec_chunk.data = chunk;
		m.rec_chunk.len = n;
		ret = guest_queue(a, &m);
		off += n;
	}
	if (!ret) {
		m.type = PROTO_REC_END;
		m.rec_end.size = size;
		m.rec_end.crc32 = crc;
		ret = guest_queue(a, &m);
	}
	if (!ret) {
		m.type = PROTO_BYE;
		ret = guest_queue(a, &m);
		a->bye_sent = !ret;
	}
	/* The host answers BYE once it has taken everything. */
	while (!ret && !a->host_bye) {
		ret = agent_guest_handle(a);
		if (!ret && !a->host_bye)
			ret = guest_wait(a, deadline, 100);
	}
	if (a->host_bye)
		ret = 0;
	if (ret == -ETIMEDOUT)
		say(err, errlen, "sent %llu of %llu bytes of the recording to the host in %d ms, "
		    "%zu still queued; giving up", (unsigned long long)off,
		    (unsigned long long)size, timeout_ms, channel_queued(a->ch));
	else if (ret)
		say(err, errlen, "cannot send the recording to the host: %s",
		    a->errmsg[0] ? a->errmsg : strerror(-ret));
out_close:
	free(chunk);
	if (fd >= 0)
		close(fd);
	return ret;
}

void agent_guest_close(struct agent_guest *a)
{
	if (!a)
		return;
	if (a->ch && !a->bye_sent && !a->ch->eof) {
		struct proto_msg m = { .type = PROTO_BYE };
		int64_t deadline = now_mono_ns() + CLOSE_DRAIN_MS * 1000000LL;

		guest_queue(a, &m);
		while (channel_queued(a->ch) && !a->ch->eof && a->ep >= 0 &&
		       !guest_wait(a, deadline, 50))
			agent_guest_handle(a);
	}
	channel_close(a->ch);
	proto_decoder_free(&a->dec);
	if (a->ep >= 0)
		close(a->ep);
	if (a->tfd >= 0)
		close(a->tfd);
	free(a);
}

const char *agent_guest_desc(const struct agent_guest *a)
{
	return a->ch->desc;
}

const char *agent_guest_run_id(const struct agent_guest *a)
{
	return a->run_id;
}

void agent_guest_stats(const struct agent_guest *a, struct agent_guest_stats *ret)
{
	ret->sent_bytes = a->ch->sent_bytes;
	ret->dropped_bytes = a->ch->dropped_bytes;
	ret->dropped_msgs = a->ch->dropped_msgs;
	ret->pings = a->pings;
	ret->host_seen = a->pings > 0;
}

int agent_guest_write_meta(const struct agent_guest *a, struct recfile *rf)
{
	int err;

	if (!a)
		return 0;
	err = recfile_set_meta(rf, "run_id", a->run_id);
	if (a->boot_id[0])
		err = err ?: recfile_set_meta(rf, "boot_id", a->boot_id);
	err = err ?: recfile_set_meta(rf, "agent_channel", a->ch->desc);
	err = err ?: recfile_set_meta_int(rf, "agent_dropped_bytes", a->ch->dropped_bytes);
	err = err ?: recfile_set_meta_int(rf, "agent_dropped_msgs", a->ch->dropped_msgs);
	err = err ?: recfile_set_meta_int(rf, "agent_pings", a->pings);
	return err;
}
