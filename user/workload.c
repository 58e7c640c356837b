// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* workload: fork the command held at a gate, as the right user. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "marksock.h"
#include "workload.h"

static int parse_id(const char *s, unsigned long *ret)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*ret = strtoul(s, &end, 10);
	return *end || errno ? -EINVAL : 0;
}

int workload_credentials(const char *user, uid_t *ret_uid, gid_t *ret_gid, char *err,
			 size_t errlen)
{
	unsigned long id, gid;
	struct passwd *pw;

	if (user) {
		pw = getpwnam(user);
		if (!pw && !parse_id(user, &id))
			pw = getpwuid(id);
		if (!pw) {
			snprintf(err, errlen, "no such user '%s'", user);
			return -ENOENT;
		}
		*ret_uid = pw->pw_uid;
		*ret_gid = pw->pw_gid;
		return 0;
	}
	if (getuid() == 0 && !parse_id(getenv("SUDO_UID"), &id)) {
		*ret_uid = id;
		*ret_gid = parse_id(getenv("SUDO_GID"), &gid) ? id : gid;
		return 0;
	}
	*ret_uid = getuid();
	*ret_gid = getgid();
	return 0;
}

int workload_find(const char *argv0)
{
	const char *path, *p, *end;
	char buf[4096];

	if (strchr(argv0, '/'))
		return access(argv0, X_OK) ? -errno : 0;
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		struct stat sb;

		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), end == p ? "." : p, argv0);
		if (!stat(buf, &sb) && S_ISREG(sb.st_mode) && !access(buf, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int drop_privileges(uid_t uid, gid_t gid)
{
	struct passwd *pw;

	if (getuid() == uid && geteuid() == uid)
		return 0;
	pw = getpwuid(uid);
	if (pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL))
		return -errno;
	if (setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

int workload_spawn(struct workload *w, char **argv, uid_t uid, gid_t gid, const char *sock,
		   char *err, size_t errlen)
{
	int gate[2], errp[2], e;
	char c;

	if (pipe2(gate, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot make pipes: %s", strerror(errno));
		return -errno;
	}
	w->pid = fork();
	if (w->pid < 0) {
		e = errno;
		snprintf(err, errlen, "cannot fork: %s", strerror(e));
		close(gate[0]);
		close(gate[1]);
		close(errp[0]);
		close(errp[1]);
		return -e;
	}
	if (w->pid == 0) {
		close(gate[1]);
		close(errp[0]);
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (sock)
			setenv(MARKSOCK_ENV, sock, 1);
		e = drop_privileges(uid, gid);
		/* A recorder that dies (even by SIGKILL) takes its workload along. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(127);
		/* Held here until the recorder has it in scope. */
		if (!e && read(gate[0], &c, 1) < 0)
			e = -errno;
		if (!e) {
			execvp(argv[0], argv);
			e = -errno;
		}
		e = -e;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	setpgid(w->pid, w->pid);	/* both sides, so no race on who is first */
	w->uid = uid;
	w->gid = gid;
	w->gate_fd = gate[1];
	w->err_fd = errp[0];
	return 0;
}

int workload_release(struct workload *w, char *err, size_t errlen)
{
	int e = 0;
	ssize_t n;

	close(w->gate_fd);
	w->gate_fd = -1;
	do
		n = read(w->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(w->err_fd);
	w->err_fd = -1;
	if (n == sizeof(e) && e) {
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	return 0;
}

void workload_signal(const struct workload *w, int sig)
{
	if (w->pid > 0)
		kill(-w->pid, sig);
}

int workload_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
