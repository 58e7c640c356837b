// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the host end of a guest session (user/agent.c): the
 * input is what a guest writes into the channel, byte for byte, through a
 * real socket; the host takes it as its recorder's loop would, writes the
 * guest's recording to a file, maps phases onto its clock, and must end the
 * session (cleanly or with a sentence) without crashing, hanging, or leaving
 * a partial recording behind. Inputs are the same as fuzz_proto's (bytes 0
 * and 1 are skipped), so the two share their seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent.h"

static char rec_path[64];

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_agent_host: property broken: %s\n", what);
		abort();
	}
}

static void on_phase(void *ctx, const struct proto_phase *p, int64_t host_mono, int synced)
{
	check(host_mono >= 0, "a phase mapped before time began");
	check(p->id < PROTO_MAX_PHASES, "a phase id out of bounds");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct agent_host_ops ops = { .phase = on_phase };
	struct agent_host_opts o = { .recording_path = rec_path, .max_recording = 1 << 20,
				     .ops = &ops, .ping_timeout_ms = 1 };
	struct agent_host_stats st;
	struct agent_host *h;
	char spec[32], err[256];
	size_t off = 0;
	struct stat sb;
	int sv[2], i;

	if (size < 2)
		return 0;
	if (!rec_path[0])
		snprintf(rec_path, sizeof(rec_path), "/tmp/fuzz-agent-host.%d", (int)getpid());
	unlink(rec_path);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return 0;
	snprintf(spec, sizeof(spec), "fd:%d", sv[0]);
	o.channel = spec;
	h = agent_host_open(&o, err, sizeof(err));
	check(h != NULL, "cannot open the host end");
	data += 2;
	size -= 2;
	/* Write what the socket takes, let the host read, until all is in. */
	for (i = 0; off < size && i < 100000; i++) {
		ssize_t w = write(sv[1], data + off, size - off);

		if (w > 0)
			off += w;
		agent_host_handle(h);
		if (agent_host_state(h) == AGENT_FAILED)
			break;
	}
	check(off == size || agent_host_state(h) == AGENT_FAILED, "the host stopped reading");
	close(sv[1]);
	/* The stream has ended: the session must end too, at once. */
	for (i = 0; i < 1000 && agent_host_state(h) < AGENT_DONE; i++)
		agent_host_handle(h);
	check(agent_host_state(h) >= AGENT_DONE, "the session outlived its stream");
	check(agent_host_state(h) != AGENT_FAILED || agent_host_error(h)[0],
	      "a failure without a sentence");
	agent_host_stats(h, &st);
	check(st.have_recording == !stat(rec_path, &sb), "a recording file that is not complete");
	check(!st.have_recording || (uint64_t)sb.st_size == st.recording_bytes,
	      "the recording file's size");
	agent_host_close(h);
	unlink(rec_path);
	return 0;
}
