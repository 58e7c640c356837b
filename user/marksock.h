/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * marksock: how `hvtrace mark NAME` inside a workload reaches its recorder.
 * The recorder listens on an abstract unix socket whose name it puts in the
 * workload's environment (HVTRACE_SOCK). One request per connection:
 * "MARK <name>\n", answered "OK <phase id>\n" or "ERR <reason>\n" once the
 * phase has begun, so everything after `hvtrace mark` returns is counted in
 * the new phase.
 */
#ifndef HVT_MARKSOCK_H
#define HVT_MARKSOCK_H

#include <stddef.h>
#include <sys/types.h>

#define MARKSOCK_ENV "HVTRACE_SOCK"
#define MARKSOCK_MAX 128	/* longest request or reply line */

/* Listens; writes the name to put in HVTRACE_SOCK. Returns the fd or -errno. */
int marksock_listen(char *ret_name, size_t len);

/*
 * Serves one connection waiting on LFD. Requests from other users than
 * ALLOW_UID (and root) are refused. ON_MARK gets the asking process's pid,
 * returns a phase id or -errno and may fill MSG with a reason.
 */
typedef int (*marksock_fn)(void *ctx, const char *name, pid_t peer, char *msg, size_t len);
int marksock_serve(int lfd, uid_t allow_uid, marksock_fn on_mark, void *ctx);

/* Client: asks the recorder at SOCKNAME to start phase NAME. Returns the
 * phase id, or -errno with a reason in msg. */
int marksock_mark(const char *sockname, const char *name, char *msg, size_t len);

#endif /* HVT_MARKSOCK_H */
