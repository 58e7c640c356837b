// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The agent's transport (user/channel.c): channel specs on both sides, finding
 * the virtio-serial port in a fixture /sys, and the bounded send queue on a
 * FIFO standing in for a port with no host reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "channel.h"
#include "unit.h"

static char root[64];

__attribute__((destructor)) static void cleanup(void)
{
	char cmd[128];

	if (!root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

/* ROOT/sys/class/virtio-ports/PORT/name holding NAME, and ROOT/dev/PORT as a FIFO. */
static int fake_port(const char *port, const char *name)
{
	char path[256];
	FILE *f;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/hvt-channel.XXXXXX");
		if (!mkdtemp(root))
			return -1;
	}
	snprintf(path, sizeof(path), "mkdir -p '%s/sys/class/virtio-ports/%s' '%s/dev'", root,
		 port, root);
	if (system(path))
		return -1;
	snprintf(path, sizeof(path), "%s/sys/class/virtio-ports/%s/name", root, port);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", name);
	fclose(f);
	snprintf(path, sizeof(path), "%s/dev/%s", root, port);
	unlink(path);
	return mkfifo(path, 0600);
}

static int parse(const char *spec, int host, struct channel_spec *s)
{
	char err[256];

	return channel_parse(spec, host, s, err, sizeof(err));
}

TEST(guest_specs_parse)
{
	struct channel_spec s;

	EXPECT_INT(parse(NULL, 0, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_AUTO);
	EXPECT_STR(s.path, "org.hvtrace.0");
	EXPECT_INT(s.port, 18518);
	EXPECT_INT(parse("none", 0, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_NONE);
	EXPECT_INT(parse("virtio:org.example.1", 0, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_VIRTIO);
	EXPECT_STR(s.path, "org.example.1");
	EXPECT_INT(parse("/dev/vport2p1", 0, &s), 0);
	EXPECT_STR(s.path, "/dev/vport2p1");
	EXPECT_INT(parse("vsock", 0, &s), 0);
	EXPECT_INT(s.cid, 2);
	EXPECT_INT(s.port, 18518);
	EXPECT_INT(parse("vsock:3:1234", 0, &s), 0);
	EXPECT_INT(s.cid, 3);
	EXPECT_INT(s.port, 1234);
	EXPECT_INT(parse("tcp:127.0.0.1:5000", 0, &s), 0);
	EXPECT_STR(s.addr, "127.0.0.1");
	EXPECT_INT(s.port, 5000);
	EXPECT_INT(parse("tcp:[::1]:6000", 0, &s), 0);
	EXPECT_STR(s.addr, "::1");
	EXPECT_INT(parse("unix:/run/x.sock", 0, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_UNIX);
	EXPECT_INT(parse("fd:7", 0, &s), 0);
	EXPECT_INT(s.fd, 7);
}

TEST(bad_guest_specs_are_refused_with_the_forms)
{
	static const char *const bad[] = {
		"tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:h:70000", "virtio:a/b", "bogus",
		"vsock:x", "fd:", "tcp::5", "unix:", "relative.sock",
	};
	struct channel_spec s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (channel_parse(bad[i], 0, &s, err, sizeof(err)) != -EINVAL)
			FAIL("'%s' accepted", bad[i]);
		else if (!strstr(err, "tcp:ADDR:PORT"))
			FAIL("'%s': %s", bad[i], err);
	}
}

TEST(host_specs_parse)
{
	struct channel_spec s;
	char err[256];

	EXPECT_INT(parse("/var/lib/libvirt/qemu/channel/target/x.org.hvtrace.0", 1, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_UNIX);
	EXPECT_INT(parse("hvt.sock", 1, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_UNIX);
	EXPECT_STR(s.path, "hvt.sock");
	EXPECT_INT(parse("tcp:5000", 1, &s), 0);
	EXPECT_INT(s.kind, CHANNEL_TCP);
	EXPECT_STR(s.addr, "127.0.0.1");
	EXPECT_INT(parse("tcp:0.0.0.0:5001", 1, &s), 0);
	EXPECT_STR(s.addr, "0.0.0.0");
	EXPECT_INT(parse("vsock:99", 1, &s), 0);
	EXPECT_INT(s.port, 99);
	EXPECT_INT(channel_parse("vsock:3:99", 1, &s, err, sizeof(err)), -EINVAL);
	EXPECT_INT(channel_parse("auto", 1, &s, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "bad channel 'auto' (unix:PATH or PATH, vsock[:PORT], tcp:[ADDR:]PORT, "
		   "fd:N)");
}

TEST(the_virtio_port_is_found_by_name)
{
	char path[512];

	if (fake_port("vport0p1", "org.qemu.guest_agent.0") || fake_port("vport1p1",
									   "org.hvtrace.0")) {
		FAIL("cannot make the fixture");
		return;
	}
	EXPECT_INT(channel_find_virtio(root, "org.hvtrace.0", path, sizeof(path)), 0);
	if (!strstr(path, "/dev/vport1p1") || strncmp(path, root, strlen(root)))
		FAIL("found %s", path);
	EXPECT_INT(channel_find_virtio(root, "org.hvtrace.1", path, sizeof(path)), -ENOENT);
	EXPECT_INT(channel_find_virtio("/nonexistent", "org.hvtrace.0", path, sizeof(path)),
		   -ENOENT);
}

TEST(a_missing_port_says_which_name_was_looked_for)
{
	struct channel_spec s;
	struct channel *c;
	char err[256] = "";

	parse("virtio:org.nothing.0", 0, &s);
	c = channel_open_guest(&s, "/nonexistent", 0, err, sizeof(err));
	EXPECT_TRUE(c == NULL);
	EXPECT_INT(errno, ENOENT);
	EXPECT_STR(err, "no virtio-serial port named 'org.nothing.0'");
	channel_close(c);
}

TEST(a_full_queue_drops_whole_messages_and_counts_them)
{
	struct channel_spec s;
	struct channel *c;
	char err[256] = "", msg[1000], back[4096];
	int i, dropped = 0;
	ssize_t n, got = 0;

	if (fake_port("vport3p1", "org.hvtrace.0") && !root[0]) {
		FAIL("cannot make the fixture");
		return;
	}
	parse("virtio:org.hvtrace.0", 0, &s);
	c = channel_open_guest(&s, root, 4096, err, sizeof(err));
	if (!c) {
		FAIL("open: %s", err);
		return;
	}
	EXPECT_INT(c->kind, CHANNEL_VIRTIO);
	memset(msg, 'm', sizeof(msg));
	/* A FIFO takes about 64 KiB; past that and 4 KiB of queue, messages go. */
	for (i = 0; i < 100; i++)
		dropped += channel_send(c, msg, sizeof(msg)) == -ENOBUFS;
	if (dropped < 25 || dropped > 40)
		FAIL("%d of 100 messages dropped", dropped);
	EXPECT_INT(c->dropped_msgs, dropped);
	EXPECT_INT(c->dropped_bytes, dropped * 1000);
	EXPECT_TRUE(channel_queued(c) <= 4096);
	EXPECT_INT(channel_queued(c) % 1000, 0);
	/* Reading the FIFO back (it is both ends here): every kept message, whole. */
	while ((n = channel_recv(c, back, sizeof(back))) > 0 || channel_queued(c)) {
		got += n > 0 ? n : 0;
		channel_flush(c);
	}
	EXPECT_INT(got, (100 - dropped) * 1000);
	channel_close(c);
}

TEST(a_closed_peer_is_an_end_not_a_signal)
{
	struct channel_spec s;
	struct channel *c;
	char err[256] = "", spec[32], buf[8];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		FAIL("socketpair");
		return;
	}
	snprintf(spec, sizeof(spec), "fd:%d", sv[0]);
	parse(spec, 0, &s);
	c = channel_open_guest(&s, NULL, 0, err, sizeof(err));
	if (!c) {
		FAIL("open: %s", err);
		return;
	}
	EXPECT_INT(channel_send(c, "abc", 3), 0);
	EXPECT_INT(read(sv[1], buf, sizeof(buf)), 3);
	EXPECT_INT(channel_recv(c, buf, sizeof(buf)), 0);	/* nothing yet */
	close(sv[1]);
	EXPECT_INT(channel_recv(c, buf, sizeof(buf)), -EPIPE);
	/* No SIGPIPE: the send reports the end, and the message is counted as dropped. */
	EXPECT_INT(channel_send(c, "abc", 3), -EPIPE);
	EXPECT_INT(c->dropped_msgs, 1);
	channel_close(c);
}
