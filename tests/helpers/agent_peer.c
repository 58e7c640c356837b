// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agent_peer: either end of the agent channel, built on user/agent.c, for
 * tests/t_agent.sh. Two of them make a guest/host pair on one machine; the
 * hostile mode is a guest that sends what no guest should.
 *
 *   agent_peer host CHANNEL [--recording P] [--host-recording P] [--timeout MS]
 *                           [--sync-ms MS]
 *   agent_peer guest SPEC [--listen-unix P] [--phases a,b,c] [--phase-ms MS]
 *                         [--recording P] [--label L] [--timeout MS]
 *   agent_peer hostile tcp:127.0.0.1:PORT MODE
 *   agent_peer deaf PORT     a host that takes the connection and never reads
 *
 * The host prints what it learnt, one fact a line ("phase 1 tar ...",
 * "clock offset=... uncertainty=..."), and "error: SENTENCE" on failure; its
 * host recording is what a host recorder would write: phases applied as they
 * arrive, a host-view counter per phase, the agent's meta.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent.h"
#include "proto.h"
#include "recfile.h"
#include "util.h"

struct opts {
	const char *recording, *host_recording, *listen_unix, *phases, *label;
	int timeout_ms, sync_ms, phase_ms;
};

/* ---- host ---------------------------------------------------------------------- */

struct host_ctx {
	struct recfile *rf;
	int phase;		/* current guest phase, -1 before the first */
	uint64_t exits[PROTO_MAX_PHASES];
	int64_t tick;
};

static void on_hello(void *ctx, const struct proto_hello *h)
{
	printf("hello version=%s identity=%s boot_id=%s run_id=%s label=%s\n",
	       h->hvtrace_version, h->identity, h->boot_id, h->run_id, h->label);
	fflush(stdout);
}

static void on_phase(void *ctx, const struct proto_phase *p, int64_t host_mono, int synced)
{
	struct host_ctx *c = ctx;

	printf("phase %u %s %s guest_mono=%lld host_mono=%lld synced=%d\n", p->id, p->name,
	       proto_source_name(p->source), (long long)p->start_mono, (long long)host_mono,
	       synced);
	fflush(stdout);
	c->phase = p->id;
	if (c->rf)
		recfile_put_phase(c->rf, p->id, p->name, proto_source_name(p->source), host_mono,
				  0, 0);
}

static void on_end(void *ctx, const struct proto_end *e, int64_t host_mono)
{
	printf("end status=%d dropped=%llu\n", e->exit_status,
	       (unsigned long long)e->dropped_msgs);
	fflush(stdout);
}

static int run_host(const char *channel, const struct opts *o)
{
	static const struct agent_host_ops ops = {
		.hello = on_hello, .phase = on_phase, .end = on_end,
	};
	struct host_ctx c = { .phase = -1 };
	struct agent_host_opts ho = {
		.channel = channel, .recording_path = o->recording, .ops = &ops, .ctx = &c,
		.sync_interval_ms = o->sync_ms, .ping_timeout_ms = 500,
	};
	int64_t deadline = now_mono_ns() + (int64_t)o->timeout_ms * 1000000;
	struct agent_host_stats st;
	struct agent_host *h;
	struct clock_fit f;
	char err[512];
	int ret, i;

	if (o->host_recording) {
		c.rf = recfile_create(o->host_recording, err, sizeof(err));
		if (!c.rf) {
			printf("error: %s\n", err);
			return 1;
		}
		recfile_begin(c.rf);
		recfile_set_meta_int(c.rf, "start_mono_ns", now_mono_ns());
		recfile_set_meta_int(c.rf, "interval_ms", 100);
	}
	h = agent_host_open(&ho, err, sizeof(err));
	if (!h) {
		printf("error: %s\n", err);
		return 1;
	}
	printf("listening %s\n", agent_host_desc(h));
	fflush(stdout);
	/* The run: handle until the guest ends, as a recorder's loop would. */
	while (agent_host_state(h) < AGENT_ENDED && now_mono_ns() < deadline) {
		struct epoll_event ev;

		epoll_wait(agent_host_fd(h), &ev, 1, 100);
		ret = agent_host_handle(h);
		if (ret)
			printf("note: %s\n", agent_host_error(h));
		if (c.phase >= 0)
			c.exits[c.phase]++;	/* a stand-in for host-view counters */
	}
	/* The recording stopped: the rest of the session, bounded. */
	ret = agent_host_finish(h, (int)((deadline - now_mono_ns()) / 1000000));
	agent_host_stats(h, &st);
	printf("pings sent=%llu answered=%llu lost=%llu ignored=%llu\n",
	       (unsigned long long)st.pings, (unsigned long long)st.pongs,
	       (unsigned long long)st.pings_lost, (unsigned long long)st.pongs_ignored);
	if (!agent_host_clock(h, &f))
		printf("clock offset=%lld uncertainty=%lld drift_ppm=%.3f bursts=%d rtt=%lld\n",
		       (long long)f.offset_ns, (long long)f.uncertainty_ns, f.drift_ppm, f.bursts,
		       (long long)f.best_rtt_ns);
	printf("recording complete=%d bytes=%llu\n", st.have_recording,
	       (unsigned long long)st.recording_bytes);
	if (c.rf) {
		for (i = 0; i < PROTO_MAX_PHASES; i++)
			if (c.exits[i])
				recfile_put_stat(c.rf, i, "host", "exit", 30, "IO_INSTRUCTION",
						 c.exits[i], c.exits[i] * 1000, 0, 0, NULL);
		recfile_set_meta_int(c.rf, "end_mono_ns", now_mono_ns());
		agent_host_write_meta(h, c.rf);
		recfile_commit(c.rf);
		recfile_close(c.rf);
	}
	if (ret)
		printf("error: %s\n", agent_host_error(h)[0] ? agent_host_error(h) :
		       strerror(-ret));
	agent_host_close(h);
	return ret ? 1 : 0;
}

/* ---- guest ------------------------------------------------------------------------- */

/* Plays QEMU: listens on a unix socket, and hands the first connection over. */
static int serve_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		return -1;
	printf("listening unix %s\n", path);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	return fd;
}

/* Runs the guest's loop for MS, answering pings. */
static void idle(struct agent_guest *a, int ms)
{
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;

	while (now_mono_ns() < end) {
		struct epoll_event ev;

		epoll_wait(agent_guest_fd(a), &ev, 1, 20);
		agent_guest_handle(a);
	}
}

static int run_guest(const char *spec, const struct opts *o)
{
	struct agent_guest_opts go = { .host = spec, .label = o->label, .identity = "test peer" };
	struct agent_guest_stats st;
	struct agent_guest *a;
	struct recfile *rf = NULL;
	char err[512], fdspec[32], names[1024], *name, *save = NULL;
	int64_t start = now_mono_ns(), rm = now_real_ns() - start, t;
	int id = 0, ret = 0;

	if (o->listen_unix) {
		int fd = serve_unix(o->listen_unix);

		if (fd < 0) {
			printf("error: cannot serve %s: %s\n", o->listen_unix, strerror(errno));
			return 1;
		}
		snprintf(fdspec, sizeof(fdspec), "fd:%d", fd);
		go.host = fdspec;
	}
	a = agent_guest_open(&go, err, sizeof(err));
	if (!a) {
		printf("error: %s\n", err);
		return 1;
	}
	if (o->recording) {
		rf = recfile_create(o->recording, err, sizeof(err));
		if (!rf) {
			printf("error: %s\n", err);
			return 1;
		}
		recfile_begin(rf);
		recfile_set_meta(rf, "label", o->label ? o->label : "");
		recfile_set_meta_int(rf, "start_mono_ns", start);
		recfile_set_meta_int(rf, "start_real_ns", start + rm);
	}
	snprintf(names, sizeof(names), "%s", o->phases ? o->phases : "work");
	for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save), id++) {
		t = now_mono_ns();
		agent_guest_phase(a, id, name, id ? "mark" : "start", t, t + rm);
		if (rf && id)
			recfile_end_phase(rf, id - 1, t, t + rm, 0);
		if (rf) {
			recfile_put_phase(rf, id, name, id ? "mark" : "start", t, t + rm, getpid());
			recfile_put_stat(rf, id, "guest", "syscall", 0, "read", 10 + id, 1000, 0, 0,
					 NULL);
		}
		idle(a, o->phase_ms);
	}
	t = now_mono_ns();
	agent_guest_end(a, 0, t, t + rm, t - start);
	if (rf) {
		recfile_end_phase(rf, id - 1, t, t + rm, 0);
		recfile_set_meta_int(rf, "end_mono_ns", t);
		recfile_set_meta_int(rf, "end_real_ns", t + rm);
		recfile_set_meta_int(rf, "wall_ns", t - start);
		recfile_set_meta_int(rf, "complete", 1);
		agent_guest_write_meta(a, rf);
		recfile_commit(rf);
		recfile_close(rf);
		ret = agent_guest_send_recording(a, o->recording, o->timeout_ms, err, sizeof(err));
		if (ret)
			printf("error: %s\n", err);
	}
	agent_guest_stats(a, &st);
	printf("guest channel=%s pings=%llu dropped=%llu run_id=%s\n", agent_guest_desc(a),
	       (unsigned long long)st.pings, (unsigned long long)st.dropped_msgs,
	       agent_guest_run_id(a));
	agent_guest_close(a);
	return ret ? 1 : 0;
}

/* ---- hostile ------------------------------------------------------------------------ */

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		len -= w;
	}
	return 0;
}

static int send_msg(int fd, const struct proto_msg *m)
{
	static uint8_t buf[PROTO_MAX_FRAME];
	ssize_t n = proto_encode(m, buf, sizeof(buf), NULL, 0);

	return n < 0 ? -1 : send_all(fd, buf, n);
}

static void hello(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_HELLO;
	m->hello.version = PROTO_VERSION;
	strcpy(m->hello.label, "hostile");
}

/* The byte streams a broken or hostile guest could send; see t_agent.sh. */
static int run_hostile(const char *spec, const char *mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(spec, ':');
	static uint8_t junk[1 << 16];
	struct proto_msg m;
	uint8_t hdr[PROTO_HDR_LEN] = { 'H', 'V', 'T', 'P', 1, 0 };
	int fd, i;

	if (strncmp(spec, "tcp:127.0.0.1:", 14) || !colon)
		return 2;
	sa.sin_port = htons(atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 1;
	hello(&m);
	if (!strcmp(mode, "random")) {
		srand(42);
		for (i = 0; i < (int)sizeof(junk); i++)
			junk[i] = rand();
		send_all(fd, junk, sizeof(junk));
	} else if (!strcmp(mode, "oversize")) {
		send_msg(fd, &m);
		hdr[6] = PROTO_REC_CHUNK;
		hdr[8] = hdr[9] = hdr[10] = hdr[11] = 0xff;
		send_all(fd, hdr, sizeof(hdr));
	} else if (!strcmp(mode, "badversion")) {
		hdr[4] = 7;
		hdr[6] = PROTO_HELLO;
		send_all(fd, hdr, sizeof(hdr));
	} else if (!strcmp(mode, "trickle")) {
		/* A frame that never ends: one byte every 20 ms, for as long as it is taken. */
		send_msg(fd, &m);
		hdr[6] = PROTO_REC_CHUNK;
		hdr[8] = 0x60;
		hdr[9] = 0xea;	/* 60000 bytes */
		send_all(fd, hdr, sizeof(hdr));
		for (i = 0; i < 60000 && !send_all(fd, "x", 1); i++)
			usleep(20000);
	} else if (!strcmp(mode, "silent")) {
		send_msg(fd, &m);
		pause();
	} else if (!strcmp(mode, "phases")) {
		/* Phase messages without end. */
		send_msg(fd, &m);
		memset(&m, 0, sizeof(m));
		m.type = PROTO_PHASE;
		strcpy(m.phase.name, "p");
		for (i = 0; i < 2 * PROTO_MAX_PHASE_MSGS && !send_msg(fd, &m); i++)
			;
	} else if (!strcmp(mode, "bigrecording")) {
		send_msg(fd, &m);
		memset(&m, 0, sizeof(m));
		m.type = PROTO_REC_BEGIN;
		m.rec_begin.size = PROTO_MAX_RECORDING;
		send_msg(fd, &m);
	} else if (!strcmp(mode, "chunkgap")) {
		send_msg(fd, &m);
		m.type = PROTO_REC_BEGIN;
		m.rec_begin.size = 1000;
		send_msg(fd, &m);
		m.type = PROTO_REC_CHUNK;
		m.rec_chunk.offset = 0;
		m.rec_chunk.data = junk;
		m.rec_chunk.len = 100;
		send_msg(fd, &m);
		m.rec_chunk.offset = 500;	/* a hole: would be a write at 500 */
		send_msg(fd, &m);
	} else if (!strcmp(mode, "escape")) {
		send_msg(fd, &m);
		memcpy(hdr, "HVTP\1\0\2\0\x19\0\0\0", 12);
		send_all(fd, hdr, sizeof(hdr));
		send_all(fd, "\1\0\0\0\2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\2\0\x1b[", 25);
	} else {
		return 2;
	}
	/* Stay connected: the host must end the session on its own. */
	sleep(30);
	close(fd);
	return 0;
}

static int run_deaf(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0), fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		return 1;
	printf("listening deaf %s\n", port);
	fd = accept(lfd, NULL, NULL);
	sleep(30);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "recording", required_argument, NULL, 'r' },
		{ "host-recording", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "sync-ms", required_argument, NULL, 's' },
		{ "listen-unix", required_argument, NULL, 'u' },
		{ "phases", required_argument, NULL, 'p' },
		{ "phase-ms", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' },
		{}
	};
	struct opts o = { .timeout_ms = 10000, .sync_ms = 300, .phase_ms = 300 };
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.recording = optarg;
			break;
		case 'R':
			o.host_recording = optarg;
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			break;
		case 's':
			o.sync_ms = atoi(optarg);
			break;
		case 'u':
			o.listen_unix = optarg;
			break;
		case 'p':
			o.phases = optarg;
			break;
		case 'm':
			o.phase_ms = atoi(optarg);
			break;
		case 'l':
			o.label = optarg;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: agent_peer host|guest|hostile CHANNEL [MODE] [options]\n");
		return 2;
	}
	if (!strcmp(argv[optind], "host"))
		return run_host(argv[optind + 1], &o);
	if (!strcmp(argv[optind], "guest"))
		return run_guest(argv[optind + 1], &o);
	if (!strcmp(argv[optind], "deaf"))
		return run_deaf(argv[optind + 1]);
	if (!strcmp(argv[optind], "hostile") && argc - optind == 3)
		return run_hostile(argv[optind + 1], argv[optind + 2]);
	return 2;
}
