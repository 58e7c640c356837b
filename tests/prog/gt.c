// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gt: a ground-truth workload. It runs a list of steps and makes exactly the
 * syscalls and page faults the steps say, so tests can assert exact counts.
 *   gt STEP...
 *   mark NAME        run `$HVTRACE mark NAME` (fork + exec + wait)
 *   getppid N        N getppid syscalls
 *   touch M          write one byte to each of M fresh anonymous pages
 *   child-getppid N  fork a child that makes N getppid syscalls, wait for it
 *   spawn N          N times: fork, exec this program with no steps, wait
 *   sleep MS         nanosleep
 *   wait-usr1 0      block until SIGUSR1 arrives (a test starts the next steps)
 *   exit CODE        exit now with CODE
 *   gt -t STEP...    also print "elapsed_ns N" and "cpu_ns N" (the steps alone,
 *                    wall and this thread's CPU time) on stderr; the CPU clock
 *                    adds two clock_gettime syscalls, before and after the steps
 * Built static, it makes no syscall its source does not show (libc start-up
 * aside, which happens before the first step).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void die(const char *what)
{
	perror(what);
	exit(100);
}

static void getppids(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void touch(long pages)
{
	long psize = sysconf(_SC_PAGESIZE), i;
	char *p = mmap(NULL, pages * psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	for (i = 0; i < pages; i++)
		p[i * psize] = 1;
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die(what);
}

static void mark(const char *name)
{
	const char *hvtrace = getenv("HVTRACE");
	pid_t pid;

	if (!hvtrace)
		hvtrace = "hvtrace";
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execlp(hvtrace, "hvtrace", "mark", name, (char *)NULL);
		_exit(127);
	}
	wait_ok(pid, "hvtrace mark");
}

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: not a syscall */
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The thread's CPU time: what BPF programs on its syscalls and faults add is
 * in it, other tasks' time on a busy machine is not. */
static long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int i = 1, timed = argc > 1 && !strcmp(argv[1], "-t");
	long long t0 = mono_ns(), c0 = timed ? cpu_ns() : 0;
	sigset_t usr1;

	/* Blocked from the start, so a SIGUSR1 sent early waits for wait-usr1. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	for (i += timed; i + 1 < argc; i += 2) {
		const char *op = argv[i], *arg = argv[i + 1];
		long n = atol(arg);

		if (!strcmp(op, "mark")) {
			mark(arg);
		} else if (!strcmp(op, "getppid")) {
			getppids(n);
		} else if (!strcmp(op, "touch")) {
			touch(n);
		} else if (!strcmp(op, "child-getppid")) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork");
			if (pid == 0) {
				getppids(n);
				_exit(0);
			}
			wait_ok(pid, "child");
		} else if (!strcmp(op, "spawn")) {
			long k;

			for (k = 0; k < n; k++) {
				pid_t pid = fork();

				if (pid < 0)
					die("fork");
				if (pid == 0) {
					execl("/proc/self/exe", "gt", (char *)NULL);
					_exit(127);
				}
				wait_ok(pid, "spawned gt");
			}
		} else if (!strcmp(op, "sleep")) {
			struct timespec ts = { n / 1000, (n % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		} else if (!strcmp(op, "wait-usr1")) {
			sigset_t set;
			int sig;

			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigwait(&set, &sig);
		} else if (!strcmp(op, "exit")) {
			exit(n);
		} else {
			fprintf(stderr, "gt: unknown step '%s'\n", op);
			return 2;
		}
	}
	if (i < argc) {
		fprintf(stderr, "gt: step '%s' lacks its argument\n", argv[i]);
		return 2;
	}
	if (timed) {
		long long c1 = cpu_ns();

		fprintf(stderr, "elapsed_ns %lld\ncpu_ns %lld\n", mono_ns() - t0, c1 - c0);
	}
	return 0;
}
