// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* marksock: the recorder's mark socket, both ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "marksock.h"
#include "phase.h"

/* Abstract names are written "@name" for people and "\0name" for the kernel. */
static socklen_t make_addr(struct sockaddr_un *sa, const char *name)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (name[0] == '@') {
		if (n > sizeof(sa->sun_path))
			return 0;
		memcpy(sa->sun_path + 1, name + 1, n - 1);
		return offsetof(struct sockaddr_un, sun_path) + n;
	}
	if (n >= sizeof(sa->sun_path))
		return 0;
	memcpy(sa->sun_path, name, n);
	return sizeof(*sa);
}

int marksock_listen(char *ret_name, size_t len)
{
	struct sockaddr_un sa;
	socklen_t slen;
	unsigned int rnd;
	int fd;

	if (getentropy(&rnd, sizeof(rnd)))
		rnd = (unsigned int)getpid() * 2654435761u;
	snprintf(ret_name, len, "@hvtrace-%d-%08x", getpid(), rnd);
	slen = make_addr(&sa, ret_name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, slen) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Reads one line of at most MARKSOCK_MAX - 1 bytes; -EPROTO if longer. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPROTO;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return n;
		}
		n++;
	}
	return -EPROTO;
}

static void reply(int fd, const char *fmt, const char *arg, int id)
{
	char line[MARKSOCK_MAX];
	int n;

	n = arg ? snprintf(line, sizeof(line), fmt, arg) : snprintf(line, sizeof(line), fmt, id);
	if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		return; /* the client gave up; nothing to tell it */
}

int marksock_serve(int lfd, uid_t allow_uid, marksock_fn on_mark, void *ctx)
{
	char line[MARKSOCK_MAX], msg[MARKSOCK_MAX - 8] = "";
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, id;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EAGAIN ? 0 : -errno;
	/* A stuck or hostile client must not stall the recorder. */
	set_timeout(fd, 1000);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != 0 && cred.uid != allow_uid)) {
		reply(fd, "ERR %s\n", "not the workload's user", 0);
		goto out_close;
	}
	if (read_line(fd, line, sizeof(line)) < 0 || strncmp(line, "MARK ", 5)) {
		reply(fd, "ERR %s\n", "bad request", 0);
		goto out_close;
	}
	if (phase_name_valid(line + 5)) {
		reply(fd, "ERR %s\n", "bad phase name (1 to 63 printable characters)", 0);
		goto out_close;
	}
	id = on_mark(ctx, line + 5, cred.pid, msg, sizeof(msg));
	if (id < 0)
		reply(fd, "ERR %s\n", msg[0] ? msg : strerror(-id), 0);
	else
		reply(fd, "OK %d\n", NULL, id);
out_close:
	close(fd);
	return 0;
}

int marksock_mark(const char *sockname, const char *name, char *msg, size_t len)
{
	char line[MARKSOCK_MAX];
	struct sockaddr_un sa;
	socklen_t slen = make_addr(&sa, sockname);
	int fd, n, err;

	if (!slen) {
		snprintf(msg, len, "bad socket name '%s'", sockname);
		return -EINVAL;
	}
	if (phase_name_valid(name)) {
		snprintf(msg, len, "bad phase name: 1 to 63 printable characters");
		return -EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_timeout(fd, 10000);
	if (connect(fd, (struct sockaddr *)&sa, slen)) {
		err = -errno;
		snprintf(msg, len, "no recorder at %s: %s", sockname, strerror(errno));
		goto out_close;
	}
	n = snprintf(line, sizeof(line), "MARK %s\n", name);
	if (write(fd, line, n) != n) {
		err = -errno;
		snprintf(msg, len, "cannot talk to the recorder: %s", strerror(errno));
		goto out_close;
	}
	err = read_line(fd, line, sizeof(line));
	if (err < 0) {
		snprintf(msg, len, "no answer from the recorder");
		goto out_close;
	}
	if (!strncmp(line, "OK ", 3)) {
		err = atoi(line + 3);
	} else {
		snprintf(msg, len, "the recorder refused: %s",
			 strncmp(line, "ERR ", 4) ? line : line + 4);
		err = -EPROTO;
	}
out_close:
	close(fd);
	return err;
}
