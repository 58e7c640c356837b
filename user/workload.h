/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * workload: starts the command to record. It is forked held at a gate so the
 * recorder can put it in scope and open counters on it before it execs, and
 * it runs as the invoking user (SUDO_UID/SUDO_GID, or --user), in its own
 * process group so that a Ctrl-C can be passed on to all of it.
 */
#ifndef HVT_WORKLOAD_H
#define HVT_WORKLOAD_H

#include <stddef.h>
#include <sys/types.h>

struct workload {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int gate_fd;	/* write end: closing it lets the child exec */
	int err_fd;	/* read end: the child's exec errno, EOF on success */
};

/*
 * Resolves who the workload runs as: USER (name or uid) if given, else the
 * sudo caller, else ourselves. Returns 0 or -errno with a reason in err.
 */
int workload_credentials(const char *user, uid_t *ret_uid, gid_t *ret_gid, char *err,
			 size_t errlen);

/* 0 if ARGV0 names something executable (searching PATH), else -errno. */
int workload_find(const char *argv0);

/* Forks the held child. SOCK goes into its environment as HVTRACE_SOCK. */
int workload_spawn(struct workload *w, char **argv, uid_t uid, gid_t gid, const char *sock,
		   char *err, size_t errlen);
/* Lets it exec; -errno with a reason if exec failed. */
int workload_release(struct workload *w, char *err, size_t errlen);
/* Passes SIG on to the workload's process group. */
void workload_signal(const struct workload *w, int sig);

/* Exit status as a shell would give it: code, or 128 + signal. */
int workload_exit_code(int wait_status);

#endif /* HVT_WORKLOAD_H */
