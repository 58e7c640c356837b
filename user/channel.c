// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* channel: opening the agent's transport on either side, and its bounded send queue. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "channel.h"
#include "util.h"

#define CONNECT_TIMEOUT_MS	1500
#define HOST_QUEUE_MAX		(64u << 10)

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- specs ----------------------------------------------------------------- */

static int parse_num(const char *s, uint64_t max, uint32_t *ret)
{
	uint64_t v;

	if (parse_u64(s, max, &v))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "ADDR:PORT" or "[V6]:PORT" into addr and port. */
static int split_addr(const char *s, struct channel_spec *r)
{
	const char *colon = strrchr(s, ':');
	size_t n;

	if (!colon || colon == s || parse_num(colon + 1, 65535, &r->port) || !r->port)
		return -EINVAL;
	n = colon - s;
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (!n || n >= sizeof(r->addr))
		return -EINVAL;
	memcpy(r->addr, s, n);
	r->addr[n] = '\0';
	return 0;
}

static int parse_vsock(const char *rest, int host, struct channel_spec *r)
{
	const char *colon;
	char cid[16];

	r->cid = CHANNEL_VSOCK_HOST_CID;
	r->port = CHANNEL_VSOCK_PORT;
	if (!*rest)
		return 0;
	if (*rest++ != ':')
		return -EINVAL;
	colon = strchr(rest, ':');
	if (!colon)	/* the port alone */
		return parse_num(rest, 0xfffffffe, &r->port);
	if (host || (size_t)(colon - rest) >= sizeof(cid))
		return -EINVAL;
	memcpy(cid, rest, colon - rest);
	cid[colon - rest] = '\0';
	return parse_num(cid, 0xfffffffe, &r->cid) ?: parse_num(colon + 1, 0xfffffffe, &r->port);
}

static int set_path(struct channel_spec *r, const char *path)
{
	size_t n = strlen(path);

	if (!n || n >= sizeof(r->path))
		return -EINVAL;
	memcpy(r->path, path, n + 1);
	return 0;
}

int channel_parse(const char *spec, int host, struct channel_spec *r, char *err, size_t errlen)
{
	int bad = 0;

	memset(r, 0, sizeof(*r));
	r->host = host;
	r->fd = -1;
	if (!spec || !*spec || !strcmp(spec, "auto")) {
		if (host)
			goto bad;
		r->kind = CHANNEL_AUTO;
		r->cid = CHANNEL_VSOCK_HOST_CID;
		r->port = CHANNEL_VSOCK_PORT;
		return set_path(r, CHANNEL_VIRTIO_NAME);
	}
	if (!strcmp(spec, "none")) {
		r->kind = CHANNEL_NONE;
		return 0;
	}
	if (!strncmp(spec, "fd:", 3)) {
		uint32_t fd = 0;

		r->kind = CHANNEL_FD;
		bad = parse_num(spec + 3, 1 << 20, &fd);
		r->fd = fd;
	} else if (!strncmp(spec, "tcp:", 4)) {
		r->kind = CHANNEL_TCP;
		if (host && !strchr(spec + 4, ':')) {
			snprintf(r->addr, sizeof(r->addr), "127.0.0.1");
			bad = parse_num(spec + 4, 65535, &r->port) || !r->port;
		} else {
			bad = split_addr(spec + 4, r);
		}
	} else if (!strncmp(spec, "vsock", 5) && (!spec[5] || spec[5] == ':')) {
		r->kind = CHANNEL_VSOCK;
		bad = parse_vsock(spec + 5, host, r);
	} else if (!strncmp(spec, "unix:", 5)) {
		r->kind = CHANNEL_UNIX;
		bad = set_path(r, spec + 5);
	} else if (!host && (!strcmp(spec, "virtio") || !strncmp(spec, "virtio:", 7))) {
		r->kind = CHANNEL_VIRTIO;
		bad = set_path(r, spec[6] ? spec + 7 : CHANNEL_VIRTIO_NAME) || strchr(r->path, '/');
	} else if (!host && spec[0] == '/') {
		r->kind = CHANNEL_VIRTIO;	/* the port device itself */
		bad = set_path(r, spec);
	} else if (host && !strchr(spec, ':')) {
		r->kind = CHANNEL_UNIX;		/* QEMU's or libvirt's socket */
		bad = set_path(r, spec);
	} else {
		goto bad;
	}
	if (!bad)
		return 0;
bad:
	if (host)
		say(err, errlen, "bad channel '%s' (unix:PATH or PATH, vsock[:PORT], "
		    "tcp:[ADDR:]PORT, fd:N)", spec ? spec : "");
	else
		say(err, errlen, "bad host channel '%s' (auto, none, virtio[:NAME], /dev/PORT, "
		    "vsock[:CID]:PORT, tcp:ADDR:PORT, unix:PATH, fd:N)", spec ? spec : "");
	return -EINVAL;
}

int channel_find_virtio(const char *root, const char *name, char *ret_path, size_t len)
{
	char dir[4096], path[4352], buf[256];
	struct dirent *de;
	DIR *d;
	int found = -ENOENT;

	if (!root)
		root = "";
	snprintf(dir, sizeof(dir), "%s/sys/class/virtio-ports", root);
	d = opendir(dir);
	if (!d)
		return errno == ENOTDIR ? -ENOENT : -errno;
	while (found && (de = readdir(d))) {
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/name", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, name))
			continue;
		snprintf(ret_path, len, "%s/dev/%s", root, de->d_name);
		found = 0;
	}
	closedir(d);
	return found;
}

/* ---- opening --------------------------------------------------------------- */

static struct channel *channel_new(enum channel_kind kind, size_t queue_max)
{
	struct channel *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = kind;
	c->fd = -1;
	c->listen_fd = -1;
	c->q_cap = queue_max;
	c->q = malloc(queue_max);
	if (!c->q) {
		free(c);
		return NULL;
	}
	return c;
}

void channel_close(struct channel *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	free(c->q);
	free(c);
}

static void tune_socket(struct channel *c)
{
	struct stat st;
	int one = 1;

	c->is_sock = !fstat(c->fd, &st) && S_ISSOCK(st.st_mode);
	/* Pings are tiny and their latency is the clock's error bar: no Nagle. */
	if (c->is_sock)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A connect that waits at most CONNECT_TIMEOUT_MS. FD is non-blocking. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int r, soerr = 0;

	if (!connect(fd, sa, len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do
		r = poll(&p, 1, CONNECT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen))
		return -errno;
	return -soerr;
}

static int open_stream(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err;

	if (fd < 0)
		return -errno;
	err = connect_bounded(fd, sa, len);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa;
	int err = unix_addr(&sa, path);

	return err ?: open_stream(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa));
}

static int connect_vsock(uint32_t cid, uint32_t port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };

	return open_stream(AF_VSOCK, (struct sockaddr *)&sa, sizeof(sa));
}

static int connect_tcp(const char *addr, uint32_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai, *a;
	char service[16];
	int fd = -EHOSTUNREACH, r;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(addr, service, &hints, &ai);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	for (a = ai; a; a = a->ai_next) {
		fd = open_stream(a->ai_family, a->ai_addr, a->ai_addrlen);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(ai);
	return fd;
}

static int adopt_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/*
 * This machine's vsock CID, or -errno. A host has CID 2 (or none): there,
 * "connect to the host" would reach a recorder on this very machine.
 */
static int vsock_local_cid(const char *root)
{
	char path[4096];
	unsigned int cid;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/dev/vsock", root ? root : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid))
		err = -errno;
	close(fd);
	return err ? err : cid > INT32_MAX ? -ENODEV : (int)cid;
}

static int open_virtio(const struct channel_spec *s, const char *root, char *dev, size_t len)
{
	int fd, err;

	if (s->path[0] == '/') {
		snprintf(dev, len, "%s", s->path);
	} else {
		err = channel_find_virtio(root, s->path, dev, len);
		if (err)
			return err;
	}
	fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

struct channel *channel_open_guest(const struct channel_spec *s, const char *root,
				   size_t queue_max, char *err, size_t errlen)
{
	struct channel *c;
	char dev[4352], why[160];
	int fd = -EINVAL, vfd, cid;

	c = channel_new(s->kind, queue_max ? queue_max : CHANNEL_QUEUE_MAX);
	if (!c) {
		say(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	switch (s->kind) {
	case CHANNEL_AUTO:
	case CHANNEL_VIRTIO:
		fd = vfd = open_virtio(s, root, dev, sizeof(dev));
		if (fd >= 0) {
			c->kind = CHANNEL_VIRTIO;
			say(c->desc, sizeof(c->desc), "virtio-serial port %s (%s)",
			    s->path[0] == '/' ? "device" : s->path, dev);
			break;
		}
		if (s->kind == CHANNEL_VIRTIO) {
			if (fd == -ENOENT && s->path[0] != '/')
				say(err, errlen, "no virtio-serial port named '%s'", s->path);
			else
				say(err, errlen, "cannot open the virtio-serial port %s: %s",
				    s->path[0] == '/' ? s->path : dev, strerror(-fd));
			break;
		}
		cid = vsock_local_cid(root);
		fd = cid > (int)CHANNEL_VSOCK_HOST_CID ? connect_vsock(s->cid, s->port) : -ENODEV;
		if (fd >= 0) {
			c->kind = CHANNEL_VSOCK;
			say(c->desc, sizeof(c->desc), "vsock CID %u port %u", s->cid, s->port);
			break;
		}
		if (cid > (int)CHANNEL_VSOCK_HOST_CID)
			snprintf(why, sizeof(why), "no host at vsock CID %u port %u (%s)", s->cid,
				 s->port, strerror(-fd));
		else if (cid >= 0)
			snprintf(why, sizeof(why), "no vsock host: this machine is vsock CID %d",
				 cid);
		else
			snprintf(why, sizeof(why), "no vsock (%s)", strerror(-cid));
		say(err, errlen, "no agent channel: no virtio-serial port named '%s' (%s), and %s",
		    s->path, vfd == -ENOENT ? "none found" : strerror(-vfd), why);
		fd = -ENOENT;
		break;
	case CHANNEL_VSOCK:
		fd = connect_vsock(s->cid, s->port);
		say(fd < 0 ? err : c->desc, fd < 0 ? errlen : sizeof(c->desc),
		    "%svsock CID %u port %u%s%s", fd < 0 ? "cannot connect to " : "", s->cid,
		    s->port, fd < 0 ? ": " : "", fd < 0 ? strerror(-fd) : "");
		break;
	case CHANNEL_TCP:
		fd = connect_tcp(s->addr, s->port);
		say(fd < 0 ? err : c->desc, fd < 0 ? errlen : sizeof(c->desc),
		    "%sTCP %s port %u%s%s", fd < 0 ? "cannot connect to " : "", s->addr, s->port,
		    fd < 0 ? ": " : "", fd < 0 ? strerror(-fd) : "");
		break;
	case CHANNEL_UNIX:
		fd = connect_unix(s->path);
		say(fd < 0 ? err : c->desc, fd < 0 ? errlen : sizeof(c->desc),
		    "%sunix socket %s%s%s", fd < 0 ? "cannot connect to " : "", s->path,
		    fd < 0 ? ": " : "", fd < 0 ? strerror(-fd) : "");
		break;
	case CHANNEL_FD:
		fd = adopt_fd(s->fd);
		say(fd < 0 ? err : c->desc, fd < 0 ? errlen : sizeof(c->desc), "%sfd %d%s%s",
		    fd < 0 ? "cannot use " : "", s->fd, fd < 0 ? ": " : "",
		    fd < 0 ? strerror(-fd) : "");
		break;
	case CHANNEL_NONE:
		say(err, errlen, "no channel ('none')");
		fd = -EINVAL;
		break;
	}
	if (fd < 0) {
		channel_close(c);
		errno = -fd;
		return NULL;
	}
	c->fd = fd;
	tune_socket(c);
	return c;
}

static int listen_on(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (family != AF_VSOCK)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) || listen(fd, 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int listen_tcp(const char *addr, uint32_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	char service[16];
	int fd, r;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(addr, service, &hints, &ai);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	fd = listen_on(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return fd;
}

struct channel *channel_open_host(const struct channel_spec *s, size_t queue_max, char *err,
				  size_t errlen)
{
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = s->port };
	struct channel *c;
	int ret;

	c = channel_new(s->kind, queue_max ? queue_max : HOST_QUEUE_MAX);
	if (!c) {
		say(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	switch (s->kind) {
	case CHANNEL_UNIX:
		ret = c->fd = connect_unix(s->path);
		if (ret < 0)
			say(err, errlen, "cannot connect to the guest's channel socket '%s': %s%s",
			    s->path, strerror(-ret), ret == -ECONNREFUSED ? " (is QEMU running?)" :
			    "");
		else
			say(c->desc, sizeof(c->desc), "unix socket %s", s->path);
		break;
	case CHANNEL_TCP:
		ret = c->listen_fd = listen_tcp(s->addr, s->port);
		if (ret < 0)
			say(err, errlen, "cannot listen on TCP %s port %u: %s", s->addr, s->port,
			    strerror(-ret));
		else
			say(c->desc, sizeof(c->desc), "TCP %s port %u", s->addr, s->port);
		break;
	case CHANNEL_VSOCK:
		ret = c->listen_fd = listen_on(AF_VSOCK, (struct sockaddr *)&vm, sizeof(vm));
		if (ret < 0)
			say(err, errlen, "cannot listen on vsock port %u: %s", s->port,
			    strerror(-ret));
		else
			say(c->desc, sizeof(c->desc), "vsock port %u", s->port);
		break;
	case CHANNEL_FD:
		ret = c->fd = adopt_fd(s->fd);
		if (ret < 0)
			say(err, errlen, "cannot use fd %d: %s", s->fd, strerror(-ret));
		else
			say(c->desc, sizeof(c->desc), "fd %d", s->fd);
		break;
	default:
		say(err, errlen, "no channel to open");
		ret = -EINVAL;
		break;
	}
	if (ret < 0) {
		c->fd = c->listen_fd = -1;
		channel_close(c);
		errno = -ret;
		return NULL;
	}
	if (c->fd >= 0)
		tune_socket(c);
	return c;
}

int channel_accept(struct channel *c)
{
	int fd;

	if (c->fd >= 0 || c->listen_fd < 0)
		return 0;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
	/* One guest per recording: later connections are refused by the kernel. */
	close(c->listen_fd);
	c->listen_fd = -1;
	c->fd = fd;
	tune_socket(c);
	return 1;
}

int channel_fd(const struct channel *c)
{
	return c->fd >= 0 ? c->fd : c->listen_fd;
}

size_t channel_queued(const struct channel *c)
{
	return c->q_len - c->q_off;
}

ssize_t channel_flush(struct channel *c)
{
	while (c->q_off < c->q_len && c->fd >= 0 && !c->eof) {
		size_t n = c->q_len - c->q_off;
		ssize_t w = c->is_sock ?
			    send(c->fd, c->q + c->q_off, n, MSG_NOSIGNAL | MSG_DONTWAIT) :
			    write(c->fd, c->q + c->q_off, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			c->eof = 1;
			return -EPIPE;
		}
		c->q_off += w;
		c->sent_bytes += w;
	}
	if (c->eof)
		return -EPIPE;
	if (c->q_off == c->q_len)
		c->q_off = c->q_len = 0;
	return c->q_len - c->q_off;
}

int channel_send(struct channel *c, const void *msg, size_t len)
{
	if (c->eof) {
		c->dropped_bytes += len;
		c->dropped_msgs++;
		return -EPIPE;
	}
	if (c->q_len + len > c->q_cap && c->q_off) {
		memmove(c->q, c->q + c->q_off, c->q_len - c->q_off);
		c->q_len -= c->q_off;
		c->q_off = 0;
	}
	if (c->q_len + len > c->q_cap) {
		/* Whole messages or nothing: a partial one would break the framing. */
		c->dropped_bytes += len;
		c->dropped_msgs++;
		channel_flush(c);
		return -ENOBUFS;
	}
	memcpy(c->q + c->q_len, msg, len);
	c->q_len += len;
	return channel_flush(c) < 0 ? -EPIPE : 0;
}

ssize_t channel_recv(struct channel *c, void *buf, size_t len)
{
	ssize_t r;

	if (c->fd < 0 || c->eof)
		return c->eof ? -EPIPE : 0;
	do
		r = read(c->fd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		c->absent = 0;
		c->recv_bytes += r;
		return r;
	}
	if (r < 0 && errno == EAGAIN)
		return 0;
	/* A virtio-serial port reads end-of-file while no host has it open: not the end. */
	if (!r && c->kind == CHANNEL_VIRTIO) {
		c->absent = 1;
		return 0;
	}
	c->eof = 1;
	return -EPIPE;
}
