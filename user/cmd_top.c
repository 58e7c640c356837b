// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace top: options, the target, the terminal and the refresh loop. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "cmds.h"
#include "top.h"
#include "util.h"
#include "vmm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace top [--vm NAME [--connect URI] | --pid PID | --system-wide]\n"
		"                   [--interval S] [--once] [--json]\n"
		"\n"
		"A live view of a VMM's KVM activity, like kvm_stat: VM exits per reason per\n"
		"second with their total and mean latency (kvm_exit -> kvm_entry), userspace\n"
		"exits per reason with the time the VMM took to handle them, the busiest I/O\n"
		"ports and MMIO pages, MSRs and KVM page faults, each sorted by rate; and a\n"
		"guest-view line for the same threads (syscalls, page faults, context\n"
		"switches, run-queue delay), which tells something where KVM reports no exits.\n"
		"\n"
		"In a terminal the view is refreshed every interval; q quits. With --once or\n"
		"--json, or when stdout is not a terminal, it prints one snapshot covering one\n"
		"interval (less if the target ends first) and exits.\n"
		"\n"
		"Options:\n"
		"      --vm NAME         a libvirt domain: its QEMU process and threads\n"
		"      --connect URI     libvirt connection for --vm (default qemu:///system)\n"
		"  -p, --pid PID         a process and its descendants (a VMM, or anything)\n"
		"  -a, --system-wide     every process on this host (the default)\n"
		"  -i, --interval S      seconds per refresh, 0.1 to 3600 (default 1)\n"
		"      --once            one snapshot, then exit\n"
		"      --json            one snapshot as JSON (implies --once)\n"
		"  -q, --quiet           no progress line on stderr before a snapshot\n"
		"  -h, --help            this text\n"
		"\n"
		"Needs root, or CAP_BPF and CAP_PERFMON.\n"
		"\n"
		"Examples:\n"
		"  sudo hvtrace top --vm centos64\n"
		"  sudo hvtrace top --pid $(pidof qemu-system-x86_64) --interval 2\n"
		"  sudo hvtrace top --pid 4242 --once --json > snapshot.json\n");
}

struct top_cmd {
	const char *vm, *connect;
	pid_t pid;
	int system_wide;
	double interval;
	int once, json, quiet;
	char target[128];
	int interactive;	/* refreshing a terminal */
	int raw;		/* stdin switched to cbreak mode: restore it */
	struct termios saved;
};

/* ---- the terminal ----------------------------------------------------------- */

/*
 * cbreak, not raw: keys arrive one by one without echo, while Ctrl-C still
 * raises SIGINT, which the loop turns into a clean exit.
 */
static void term_enter(struct top_cmd *c)
{
	struct termios t;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &c->saved)) {
		t = c->saved;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		c->raw = !tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	fputs("\033[?25l", stdout);	/* hide the cursor */
	fflush(stdout);
}

static void term_leave(struct top_cmd *c)
{
	if (c->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	c->raw = 0;
	fputs("\033[?25h", stdout);
	fflush(stdout);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* Tables a snapshot shows, to share the screen's rows among them. */
static int count_tables(const struct top_snap *s)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->n_rows; i++)
		n += !i || s->rows[i].kind != s->rows[i - 1].kind;
	return n;
}

/* Draws text over the previous frame, clipped to the terminal. */
static void draw(const char *text)
{
	int rows, cols, line = 0, len;
	const char *p = text, *nl;

	term_size(&rows, &cols);
	fputs("\033[H", stdout);
	while (*p && line < rows - 1) {
		nl = strchr(p, '\n');
		len = nl ? nl - p : (int)strlen(p);
		fprintf(stdout, "%.*s\033[K\n", len < cols ? len : cols, p);
		line++;
		p = nl ? nl + 1 : p + len;
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

static void render(struct top_cmd *c, const struct top_info *info, const struct top_snap *s)
{
	struct top_print_opts po = { 0 };
	char extra[64], clock[16], *buf = NULL;
	size_t len = 0;
	int rows, cols, tables;
	time_t now;
	FILE *f;

	if (c->json) {
		top_print_json(stdout, info, s);
		fflush(stdout);
		return;
	}
	if (!c->interactive) {
		top_print_text(stdout, info, s, NULL);
		fflush(stdout);
		return;
	}
	now = time(NULL);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	snprintf(extra, sizeof(extra), "%s, q quits", clock);
	po.title_extra = extra;
	/* title, message, guest lines; per table a blank line, its head and "... more" */
	term_size(&rows, &cols);
	tables = count_tables(s);
	if (tables)
		po.max_rows = (rows - 10 - 3 * tables) / tables;
	if (po.max_rows < 1)
		po.max_rows = 1;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	top_print_text(f, info, s, &po);
	fclose(f);
	draw(buf);
	free(buf);
}

/* ---- the target -------------------------------------------------------------- */

static void describe_pid(struct top_cmd *c, const char *prefix)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(c->target, sizeof(c->target), "%s%d%s%s%s", prefix, (int)c->pid,
		 *comm ? " (" : "", comm, *comm ? ")" : "");
}

/* --vm: the domain's QEMU process on this host. */
static int resolve_vm(struct top_cmd *c)
{
	char err[512];
	struct vmm *v;
	int ret;

	v = vmm_open(c->connect ? c->connect : VMM_DEFAULT_URI, c->vm, err, sizeof(err));
	if (!v) {
		hvt_err("%s", err);
		return -1;
	}
	ret = vmm_pid(v, &c->pid, err, sizeof(err));
	if (ret) {
		hvt_err("top needs the QEMU process of domain '%s' on this host: %s", c->vm, err);
		vmm_close(v);
		return -1;
	}
	snprintf(c->target, sizeof(c->target), "vm %s (pid %d)", vmm_name(v), (int)c->pid);
	vmm_close(v);
	return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

enum { FD_TIMER, FD_SIG, FD_EVENTS, FD_PID, FD_KEYS, NFDS };

static int make_timer(double secs)
{
	struct itimerspec its = { 0 };
	int64_t ns = secs * 1e9;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = ns / 1000000000;
	its.it_value.tv_nsec = ns % 1000000000;
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* A first screen, so that the terminal does not stay blank for a whole interval. */
static void draw_waiting(struct top_cmd *c)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "hvtrace top: %s\nfirst figures in %.1f s; q quits\n",
		 c->target, c->interval);
	fputs("\033[H\033[2J", stdout);
	draw(buf);
}

/* Runs until the snapshot (--once), q, a signal or the target's end; returns an exit code. */
static int run(struct top_cmd *c, struct top *t, const struct top_info *info)
{
	struct pollfd fds[NFDS];
	struct top_snap snap = { 0 };
	int have_snap = 0, done = 0, ret = HVT_EXIT_OK, n, i, err;
	sigset_t mask, old;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (c->interactive) {
		sigaddset(&mask, SIGWINCH);
		sigaddset(&mask, SIGTSTP);
	}
	sigprocmask(SIG_BLOCK, &mask, &old);
	for (i = 0; i < NFDS; i++)
		fds[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	fds[FD_TIMER].fd = make_timer(c->interval);
	fds[FD_SIG].fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	fds[FD_EVENTS].fd = top_events_fd(t);
	/* A target that ends ends the view (a thread id has no pidfd before 6.9: no matter). */
	if (c->pid)
		fds[FD_PID].fd = syscall(SYS_pidfd_open, c->pid, 0);
	if (c->interactive && isatty(STDIN_FILENO))
		fds[FD_KEYS].fd = STDIN_FILENO;
	if (fds[FD_TIMER].fd < 0 || fds[FD_SIG].fd < 0) {
		hvt_err("cannot set up the refresh loop: %s", strerror(errno));
		ret = HVT_EXIT_FAIL;
		goto out;
	}
	if (c->interactive) {
		term_enter(c);
		draw_waiting(c);
	} else if (!c->quiet) {
		fprintf(stderr, "hvtrace: top: watching %s; one snapshot in %.1f s\n", c->target,
			c->interval);
	}
	while (!done) {
		int refresh = 0, ended = 0;

		n = poll(fds, NFDS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hvt_err("poll: %s", strerror(errno));
			ret = HVT_EXIT_FAIL;
			break;
		}
		if (fds[FD_EVENTS].revents)
			top_consume(t);
		if (fds[FD_TIMER].revents) {
			uint64_t ticks;

			if (read(fds[FD_TIMER].fd, &ticks, sizeof(ticks)) > 0)
				refresh = 1;
		}
		if (fds[FD_PID].fd >= 0 && fds[FD_PID].revents)
			refresh = ended = 1;
		if (fds[FD_KEYS].fd >= 0 && fds[FD_KEYS].revents) {
			char key[16];
			ssize_t k = read(STDIN_FILENO, key, sizeof(key));

			if (k <= 0 || memchr(key, 'q', k) || memchr(key, 'Q', k))
				done = 1;
		}
		if (fds[FD_SIG].revents) {
			struct signalfd_siginfo si;

			while (read(fds[FD_SIG].fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH) {
					if (have_snap)
						render(c, info, &snap);
				} else if (si.ssi_signo == SIGTSTP) {
					/* Stop with the terminal as the shell expects it. */
					term_leave(c);
					kill(getpid(), SIGSTOP);
					term_enter(c);
					fputs("\033[2J", stdout);
					if (have_snap)
						render(c, info, &snap);
					else
						draw_waiting(c);
				} else {
					/* Interrupted --once: what was counted so far. */
					refresh = !c->interactive;
					done = 1;
				}
			}
		}
		if (!refresh)
			continue;
		err = top_read(t, &snap);
		if (err) {
			if (c->interactive)
				term_leave(c);
			hvt_err("cannot read the counters: %s", strerror(-err));
			ret = HVT_EXIT_FAIL;
			break;
		}
		snap.ended = ended;
		have_snap = 1;
		render(c, info, &snap);
		if (ended || !c->interactive)
			done = 1;
	}
out:
	if (c->interactive)
		term_leave(c);
	top_snap_free(&snap);
	for (i = 0; i < NFDS; i++)
		if (fds[i].fd >= 0 && i != FD_EVENTS && i != FD_KEYS)
			close(fds[i].fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, 'V' },
		{ "connect", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "system-wide", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct top_cmd c = { .interval = 1 };
	struct top_opts o = { 0 };
	struct top_info info = { 0 };
	char err[512], *end;
	struct top *t;
	uint64_t v;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:ai:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'V':
			c.vm = optarg;
			break;
		case 'c':
			c.connect = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1 << 22, &v) || v == 0)
				return hvt_usage_err("top", "--pid: '%s' is not a process id",
						     optarg);
			c.pid = v;
			break;
		case 'a':
			c.system_wide = 1;
			break;
		case 'i':
			c.interval = strtod(optarg, &end);
			if (end == optarg || *end || !(c.interval >= 0.1 && c.interval <= 3600))
				return hvt_usage_err("top", "--interval: '%s' is not a number of "
						     "seconds from 0.1 to 3600", optarg);
			break;
		case '1':
			c.once = 1;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'q':
			c.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return HVT_EXIT_OK;
		default:
			return hvt_usage_err("top", "bad option");
		}
	}
	if (optind < argc)
		return hvt_usage_err("top", "unexpected argument '%s'", argv[optind]);
	if (!!c.vm + !!c.pid + c.system_wide > 1)
		return hvt_usage_err("top", "give one of --vm, --pid and --system-wide");
	if (c.connect && !c.vm)
		return hvt_usage_err("top", "--connect goes with --vm");
	c.interactive = !c.once && !c.json && isatty(STDOUT_FILENO);

	if (c.vm && resolve_vm(&c))
		return HVT_EXIT_FAIL;
	if (c.pid && !c.vm)
		describe_pid(&c, "pid ");
	if (!c.pid) {
		c.system_wide = 1;
		snprintf(c.target, sizeof(c.target), "the whole system");
	}
	o.pid = c.pid;
	o.system_wide = c.system_wide;
	t = top_open(&o, err, sizeof(err));
	if (!t) {
		hvt_err("%s", err);
		return HVT_EXIT_FAIL;
	}
	info.target = c.target;
	info.system_wide = c.system_wide;
	info.kvm_why = top_kvm_why(t);
	info.probes_missing = top_probes_missing(t);
	ret = run(&c, t, &info);
	top_close(t);
	return ret;
}
