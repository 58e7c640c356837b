/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * channel: the byte stream between a guest's hvtrace and the host's, and its
 * bounded send queue. Specs, as `--host` (guest side) and `--channel` (host
 * side) take them:
 *
 *   guest side                         host side
 *   auto     virtio-serial, else vsock unix:PATH or PATH  connect to QEMU's or
 *   none     record alone                               libvirt's socket
 *   virtio[:NAME]  port NAME (org.hvtrace.0)            (QEMU is the server)
 *   vsock[:CID]:PORT  connect (CID 2)  vsock[:PORT]     listen (port 18518)
 *   tcp:ADDR:PORT     connect          tcp:[ADDR:]PORT  listen (ADDR 127.0.0.1)
 *   unix:PATH         connect          fd:N             an inherited socket
 *   /dev/...          a port device
 *   fd:N              an inherited fd
 *
 * The guest side never blocks its workload: the fd is non-blocking, a message
 * that does not fit in the queue (default 1 MiB) is dropped whole and counted,
 * and a virtio-serial port with no host reader simply holds the queue.
 */
#ifndef HVT_CHANNEL_H
#define HVT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHANNEL_VIRTIO_NAME	"org.hvtrace.0"
#define CHANNEL_VSOCK_PORT	18518	/* 0x4856, "HV" */
#define CHANNEL_VSOCK_HOST_CID	2
#define CHANNEL_QUEUE_MAX	(1u << 20)

enum channel_kind {
	CHANNEL_NONE,
	CHANNEL_AUTO,		/* guest: virtio-serial, else vsock */
	CHANNEL_VIRTIO,		/* a virtio-serial port device */
	CHANNEL_VSOCK,
	CHANNEL_TCP,
	CHANNEL_UNIX,
	CHANNEL_FD,
};

struct channel_spec {
	enum channel_kind kind;
	int host;		/* for the host side: listens (tcp, vsock) or connects (unix) */
	char path[108];		/* unix socket or port device; virtio: the port name */
	char addr[64];		/* tcp */
	uint32_t cid, port;
	int fd;
};

/* Parses SPEC for the guest (HOST 0) or the host side. 0, or -EINVAL with a reason in ERR. */
int channel_parse(const char *spec, int host, struct channel_spec *ret, char *err, size_t errlen);

/*
 * The device of the virtio-serial port called NAME: scans
 * ROOT/sys/class/virtio-ports/STAR/name (ROOT NULL or "" for /). Writes
 * ROOT/dev/PORT to ret_path; -ENOENT when no port has that name.
 */
int channel_find_virtio(const char *root, const char *name, char *ret_path, size_t len);

struct channel {
	enum channel_kind kind;
	int fd;			/* the stream; -1 while a listening host waits */
	int listen_fd;		/* host side listening, else -1 */
	int is_sock;		/* send() with MSG_NOSIGNAL, not write() */
	int eof;		/* the peer closed (sockets), for good */
	int absent;		/* virtio: no host reader on the port right now */
	char desc[160];		/* "virtio-serial port org.hvtrace.0 (/dev/vport1p1)" */
	uint8_t *q;		/* send queue */
	size_t q_off, q_len, q_cap;
	uint64_t sent_bytes, recv_bytes, dropped_bytes, dropped_msgs;
};

/*
 * Guest side: opens the first that works of what SPEC says (ROOT as for
 * channel_find_virtio). Connecting is the only wait, bounded by a timeout of
 * about a second. QUEUE_MAX 0 means CHANNEL_QUEUE_MAX. NULL with errno and a
 * sentence in err on failure (ENOENT: auto found no channel).
 */
struct channel *channel_open_guest(const struct channel_spec *s, const char *root,
				   size_t queue_max, char *err, size_t errlen);
/* Host side: connects (unix), or listens (tcp, vsock) for channel_accept. */
struct channel *channel_open_host(const struct channel_spec *s, size_t queue_max, char *err,
				  size_t errlen);
/* Host side: takes one waiting connection. 1 accepted, 0 none yet, -errno. */
int channel_accept(struct channel *c);
void channel_close(struct channel *c);

/* The fd to watch now: the stream, or the listening socket. */
int channel_fd(const struct channel *c);

/*
 * Queues one whole message and writes what the fd takes. 0, or -ENOBUFS when
 * it did not fit and was dropped (counted), -EPIPE when the peer is gone.
 */
int channel_send(struct channel *c, const void *msg, size_t len);
/* Writes what is queued as far as the fd takes. Bytes still queued, or -errno. */
ssize_t channel_flush(struct channel *c);
size_t channel_queued(const struct channel *c);
/* Reads what is there: bytes, 0 when nothing is (or no peer yet), -EPIPE at the peer's end. */
ssize_t channel_recv(struct channel *c, void *buf, size_t len);

#endif /* HVT_CHANNEL_H */
