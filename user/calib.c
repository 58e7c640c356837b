// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * calib: calibration probes (see calib.h). Every probe is a setup, a loop that
 * runs N iterations and a teardown; one driver warms it up, sizes its batches
 * by time and turns the batches into a median and a spread.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calib.h"
#include "recfile.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U	/* Linux 6.3: without it, memfd_create() warns in the kernel log */
#endif

#define FAULT_REGION_PAGES 256	/* pages per fresh mapping in page_fault */
/* The whole environment of a re-executed noop child (see calib_self_exec_child). */
#define SELF_EXEC_ENV "HVTRACE_CALIB_NOOP_CHILD=1"

struct probe_ctx {
	clockid_t clock;	/* what the probe's run times with */
	long page;
	int self_exec;		/* fork_exec_exit: asked to re-execute this binary */
	int helper_fd;		/* fork_exec_exit: the noop helper in a memfd, or -1 */
	int to_child, from_child;	/* pipe_roundtrip */
	pid_t child;
	int pinned;
	cpu_set_t saved_cpus;
	const char *method;
};

struct probe {
	struct calib_probe_info info;
	int weight;		/* share of the budget */
	/*
	 * Timed in this thread's CPU time where the probe never blocks: the
	 * kernel work it causes (exits included) is charged to it, while
	 * preemption by other tasks and, with paravirtual steal accounting,
	 * by the host is not. A probe that waits for a child needs wall time.
	 */
	int cpu_time;
	/* Per batch: enough that the clock's own cost and resolution vanish. */
	int64_t min_iters;
	int (*setup)(struct probe_ctx *c);
	/* Runs N iterations and says how long they took (excluding untimed preparation). */
	int (*run)(struct probe_ctx *c, int64_t n, int64_t *ret_ns);
	void (*teardown)(struct probe_ctx *c);	/* also after a failed setup */
};

static int64_t probe_now(const struct probe_ctx *c)
{
	struct timespec ts;

	clock_gettime(c->clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Children report a failure as their exit status: the errno of what failed. */
static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EINTR;
	return -WEXITSTATUS(st);
}

static int run_fork_exit(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t i, t0 = probe_now(c);
	pid_t pid;
	int err;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid)
			_exit(0);
		err = wait_child(pid);
		if (err)
			return err;
	}
	*ret_ns = probe_now(c) - t0;
	return 0;
}

/*
 * The noop that fork_exec_exit executes: a static x86-64 ELF of one segment
 * whose code is exit_group(0). It lives in a memfd, so it needs no file system,
 * no /bin/true and no loader: what it costs is the kernel's exec and exit, the
 * same in a busybox guest as on a full host.
 */
static const unsigned char helper_code[] = {
	0xb8, 0xe7, 0x00, 0x00, 0x00,	/* mov $231 (exit_group), %eax */
	0x31, 0xff,			/* xor %edi, %edi */
	0x0f, 0x05,			/* syscall */
};

static int helper_create(void)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		unsigned char code[sizeof(helper_code)];
	} img;
	const Elf64_Addr base = 0x400000;
	int fd;

#ifndef __x86_64__
	return -ENOEXEC;	/* helper_code is x86-64 code */
#endif
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_version = EV_CURRENT;
	img.eh.e_entry = base + offsetof(typeof(img), code);
	img.eh.e_phoff = offsetof(typeof(img), ph);
	img.eh.e_ehsize = sizeof(img.eh);
	img.eh.e_phentsize = sizeof(img.ph);
	img.eh.e_phnum = 1;
	img.ph.p_type = PT_LOAD;
	img.ph.p_flags = PF_R | PF_X;
	img.ph.p_vaddr = img.ph.p_paddr = base;
	img.ph.p_filesz = img.ph.p_memsz = sizeof(img);
	img.ph.p_align = 0x1000;
	memcpy(img.code, helper_code, sizeof(helper_code));

	fd = memfd_create("hvtrace-calib-noop", MFD_CLOEXEC | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("hvtrace-calib-noop", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * When the helper cannot run (another architecture, vm.memfd_noexec=2, a
 * kernel without memfd), fork_exec_exit re-executes this binary with
 * SELF_EXEC_ENV as its only environment variable, and this leaves before
 * main(): the child then costs the exec, the dynamic loader if any, and exit.
 */
__attribute__((constructor)) static void calib_self_exec_child(void)
{
	if (environ && environ[0] && !environ[1] && !strcmp(environ[0], SELF_EXEC_ENV))
		_exit(0);
}

static int run_fork_exec(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	static char *const argv[] = { "hvtrace-calib-noop", NULL };
	static char *const env_helper[] = { NULL };
	static char *const env_self[] = { SELF_EXEC_ENV, NULL };
	int64_t i, t0 = probe_now(c);
	pid_t pid;
	int err;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid) {
			if (c->helper_fd >= 0)
				fexecve(c->helper_fd, argv, env_helper);
			else
				execve("/proc/self/exe", argv, env_self);
			_exit(errno);
		}
		err = wait_child(pid);
		if (err)
			return err;
	}
	*ret_ns = probe_now(c) - t0;
	return 0;
}

static int setup_fork_exec(struct probe_ctx *c)
{
	int64_t ns;

	if (!c->self_exec) {
		c->helper_fd = helper_create();
		if (c->helper_fd >= 0 && run_fork_exec(c, 1, &ns)) {
			close(c->helper_fd);
			c->helper_fd = -1;
		}
	}
	c->method = c->helper_fd >= 0 ? "memfd helper" : "self re-exec";
	return c->helper_fd >= 0 ? 0 : run_fork_exec(c, 1, &ns);
}

static void teardown_fork_exec(struct probe_ctx *c)
{
	if (c->helper_fd >= 0)
		close(c->helper_fd);
}

static int run_page_fault(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t done, k, i, t0, ns = 0;
	volatile char *p;
	size_t len;

	for (done = 0; done < n; done += k) {
		k = n - done < FAULT_REGION_PAGES ? n - done : FAULT_REGION_PAGES;
		len = (size_t)k * c->page;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		/* One 4 KiB fault per page where THP is on too; without THP this is EINVAL. */
		madvise((void *)p, len, MADV_NOHUGEPAGE);
		t0 = probe_now(c);
		for (i = 0; i < k; i++)
			p[i * c->page] = 1;
		ns += probe_now(c) - t0;
		munmap((void *)p, len);
	}
	*ret_ns = ns;
	return 0;
}

static int run_mmap(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t i, t0 = probe_now(c);
	void *p;

	for (i = 0; i < n; i++) {
		p = mmap(NULL, c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		if (munmap(p, c->page))
			return -errno;
	}
	*ret_ns = probe_now(c) - t0;
	return 0;
}

static void pipe_echo(int in, int out)
{
	ssize_t r;
	char b;

	for (;;) {
		r = read(in, &b, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1 || write(out, &b, 1) != 1)
			break;
	}
}

/*
 * Both ends on the CPU we run on, so that a round trip is two context switches
 * there and not a cross-CPU wake-up (an IPI, a different cost in a guest).
 * Where affinity cannot be set the probe runs unpinned and says so.
 */
static int setup_pipe(struct probe_ctx *c)
{
	int to[2], from[2], cpu = sched_getcpu(), err;
	cpu_set_t one;

	if (cpu >= 0 && !sched_getaffinity(0, sizeof(c->saved_cpus), &c->saved_cpus)) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		c->pinned = !sched_setaffinity(0, sizeof(one), &one);
	}
	c->method = c->pinned ? "one CPU" : "unpinned";
	if (pipe2(to, O_CLOEXEC))
		return -errno;
	if (pipe2(from, O_CLOEXEC)) {
		err = -errno;
		close(to[0]);
		close(to[1]);
		return err;
	}
	c->child = fork();
	err = c->child < 0 ? -errno : 0;
	if (!c->child) {
		close(to[1]);
		close(from[0]);
		pipe_echo(to[0], from[1]);
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	c->to_child = to[1];
	c->from_child = from[0];
	return err;
}

static int run_pipe(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t i, t0 = probe_now(c);
	ssize_t r;
	char b = 0;

	for (i = 0; i < n; i++) {
		r = write(c->to_child, &b, 1);
		if (r == 1)
			r = read(c->from_child, &b, 1);
		if (r != 1)
			return r < 0 ? -errno : -EPIPE;
	}
	*ret_ns = probe_now(c) - t0;
	return 0;
}

static void teardown_pipe(struct probe_ctx *c)
{
	/* EOF on its pipe ends the child. */
	if (c->to_child >= 0)
		close(c->to_child);
	if (c->from_child >= 0)
		close(c->from_child);
	if (c->child > 0)
		wait_child(c->child);
	if (c->pinned)
		sched_setaffinity(0, sizeof(c->saved_cpus), &c->saved_cpus);
}

static int run_syscall(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t i, t0 = probe_now(c);

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	*ret_ns = probe_now(c) - t0;
	return 0;
}

static int run_clock(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
	int64_t i, t0 = probe_now(c);
	struct timespec ts;

	for (i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	*ret_ns = probe_now(c) - t0;
	return 0;
}

static int run_cpuid(struct probe_ctx *c, int64_t n, int64_t *ret_ns)
{
#ifdef __x86_64__
	int64_t i, t0 = probe_now(c);
	unsigned int a, b, cx, d;

	for (i = 0; i < n; i++) {
		a = 0;
		cx = 0;
		__asm__ __volatile__("cpuid" : "+a"(a), "=b"(b), "+c"(cx), "=d"(d));
	}
	*ret_ns = probe_now(c) - t0;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* From the most expensive to the cheapest: an overrun eats into cheap probes. */
static const struct probe probes[CALIB_N_PROBES] = {
	{ { "fork_exit", "fork(); the child _exit(0)s; waitpid()" },
	  3, 0, 1, NULL, run_fork_exit, NULL },
	{ { "fork_exec_exit", "fork(); the child execs a static no-op (exit_group(0)); waitpid()" },
	  3, 0, 1, setup_fork_exec, run_fork_exec, teardown_fork_exec },
	{ { "page_fault", "first write to a page of fresh anonymous memory (mmap not timed)" },
	  2, 1, FAULT_REGION_PAGES, NULL, run_page_fault, NULL },
	{ { "mmap_munmap", "mmap() of one anonymous page, untouched, and munmap()" },
	  1, 1, 64, NULL, run_mmap, NULL },
	{ { "pipe_roundtrip", "one byte to a child and back over two pipes: 2 context switches" },
	  2, 0, 16, setup_pipe, run_pipe, teardown_pipe },
	{ { "null_syscall", "syscall(SYS_getppid)" },
	  1, 1, 1000, NULL, run_syscall, NULL },
	{ { "clock_gettime", "clock_gettime(CLOCK_MONOTONIC): the vDSO where the clock allows" },
	  1, 1, 1000, NULL, run_clock, NULL },
	{ { "cpuid", "cpuid leaf 0: a VM exit under VT-x and AMD-V, whatever the hypervisor" },
	  1, 1, 100, NULL, run_cpuid, NULL },
};

const struct calib_probe_info *calib_probe_info(size_t i)
{
	return i < ARRAY_SIZE(probes) ? &probes[i].info : NULL;
}

int calib_probe_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (!strcmp(probes[i].info.name, name))
			return (int)i;
	return -ENOENT;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linearly interpolated quantile of N sorted values. */
static double quantile(const double *v, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static int64_t batch_iters(int64_t left_ns, int batches_left, double wall_per_iter,
			   int64_t min_iters)
{
	double n = left_ns > 0 ? (double)left_ns / batches_left / wall_per_iter : 0;

	return n > min_iters ? (int64_t)n : min_iters;
}

/*
 * Warm-up first (caches, TLB, page tables, CPU frequency), doubling its chunk
 * until a tenth of the time to DEADLINE is used; its last chunk says how much
 * wall time an iteration takes. Then up to CALIB_MAX_BATCHES batches, each sized
 * to an equal share of the time left, at least CALIB_MIN_BATCHES of them.
 */
static void probe_measure(const struct probe *p, struct probe_ctx *c, int64_t deadline,
			  struct calib_probe_result *r)
{
	double units[CALIB_MAX_BATCHES], wall_per_iter;
	int64_t start = now_mono_ns(), warm_end, n, t0, ns;
	int b = 0, err;

	r->probe = p->info.name;
	r->what = p->info.what;
	r->clock = p->cpu_time ? "cpu" : "wall";
	c->clock = p->cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
	err = p->setup ? p->setup(c) : 0;
	if (err)
		goto out_teardown;

	warm_end = start + (deadline - start) / 10;
	for (n = p->min_iters;; n *= 2) {
		t0 = now_mono_ns();
		err = p->run(c, n, &ns);
		if (err)
			goto out_teardown;
		if (now_mono_ns() >= warm_end)
			break;
	}
	wall_per_iter = (double)(now_mono_ns() - t0) / n;

	for (b = 0; b < CALIB_MAX_BATCHES; b++) {
		t0 = now_mono_ns();
		if (t0 >= deadline && b >= CALIB_MIN_BATCHES)
			break;
		n = batch_iters(deadline - t0, CALIB_MAX_BATCHES - b, wall_per_iter, p->min_iters);
		err = p->run(c, n, &ns);
		if (err)
			goto out_teardown;
		wall_per_iter = (double)(now_mono_ns() - t0) / n;
		units[b] = (double)ns / n;
		r->iterations += n;
	}
	r->batches = b;
	qsort(units, b, sizeof(units[0]), cmp_double);
	r->unit_ns = quantile(units, b, 0.5);
	r->spread_ns = (quantile(units, b, 0.75) - quantile(units, b, 0.25)) / 2;
	r->min_ns = units[0];
	r->max_ns = units[b - 1];
out_teardown:
	if (p->teardown)
		p->teardown(c);
	r->method = c->method;
	r->err = err;
	if (err)
		r->iterations = 0;
	r->elapsed_ns = now_mono_ns() - start;
}

int calib_run(const struct calib_opts *o, struct calib_result *ret)
{
	int selected[CALIB_N_PROBES] = { 0 }, total = 0, done = 0, k;
	int64_t budget = o && o->budget_ns ? o->budget_ns : CALIB_DEFAULT_BUDGET_NS, t0;
	struct probe_ctx c;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (budget < 0 || budget > CALIB_MAX_BUDGET_NS)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		selected[i] = !o || !o->n_probes;
	for (i = 0; o && i < o->n_probes; i++) {
		k = calib_probe_find(o->probes[i]);
		if (k < 0)
			return -EINVAL;
		selected[k] = 1;
	}
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		total += selected[i] ? probes[i].weight : 0;

	ret->budget_ns = budget;
	t0 = now_mono_ns();
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		if (!selected[i])
			continue;
		/* Deadlines count from the start: the next probes absorb an overrun. */
		done += probes[i].weight;
		memset(&c, 0, sizeof(c));
		c.page = sysconf(_SC_PAGESIZE);
		c.self_exec = o && o->self_exec;
		c.helper_fd = c.to_child = c.from_child = -1;
		probe_measure(&probes[i], &c, t0 + budget * done / total, &ret->probes[ret->n++]);
	}
	ret->elapsed_ns = now_mono_ns() - t0;
	return 0;
}

int calib_store(const struct calib_result *r, struct recfile *rf)
{
	const struct calib_probe_result *p;
	int err;

	for (p = r->probes; p < r->probes + r->n; p++) {
		if (p->err)
			continue;
		err = recfile_put_calib(rf, p->probe, p->unit_ns, p->spread_ns, p->iterations);
		if (err < 0)
			return err;
	}
	return 0;
}
