// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progcost: what BPF programs add to a syscall and to a page fault, measured
 * inside one process so that the comparison is not drowned by the noise of a
 * shared machine. Each round attaches one configuration, runs the loops, and
 * detaches; configurations take turns (their order rotates each round), so a
 * machine that drifts moves them alike. The loops are timed in the thread's
 * CPU time, where BPF programs run on a syscall or fault path are counted and
 * other tasks' time is not, and in wall time; --spawns adds a fork+exec+wait
 * loop (this program, leaving at once), timed in wall time.
 *
 *   progcost [--calls N] [--pages N] [--spawns N] [--rounds N] [--cpu C] [--stats]
 *            [--with-others]
 *            CONFIG...
 *   CONFIG  NAME=OBJ[:PROG,...][+OBJ[:PROG,...]]...    or    none
 *
 * Without a PROG list every program of OBJ is attached. An object with a
 * `tasks` task-storage map gets this thread put in it (in scope), as
 * `hvtrace record` does for its workload. Prints, per configuration, the
 * median CPU and wall ns per getppid and per page fault, and the median of the
 * per-round differences to `none` (with their min-max). --stats also prints
 * what the kernel accounts to each program (run_time_ns / run_cnt), which
 * counts the program's body alone, plus the accounting's own clock reads.
 * Rounds wait while other tracing programs are attached (they would put
 * `none` on the tracepoints' slow path too); --with-others runs beside them
 * and says so: the kernel-accounted costs stay valid, the end-to-end ones
 * then exclude the first program's dispatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cpu_array.h"

#define MAX_CONFIGS 12
#define MAX_OBJS 4
#define MAX_LINKS 32
#define MAX_ROUNDS 201

enum { M_SYS_CPU, M_SYS_WALL, M_PF_CPU, M_PF_WALL, M_SPAWN_WALL, M_KINDS };

static const char *const m_names[M_KINDS] = {
	"getppid cpu", "getppid wall", "fault cpu", "fault wall", "spawn wall",
};

struct config {
	const char *name;
	struct bpf_object *obj[MAX_OBJS];
	int nobj;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	double v[M_KINDS][MAX_ROUNDS];	/* ns per event, per round */
};

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void range(double *v, int n, double *lo, double *hi)
{
	int i;

	*lo = *hi = v[0];
	for (i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* Puts this thread in the object's scope, if the object has one. */
static int track_self(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "tasks");
	char zero[256] = { 0 };
	int fd, err = 0;

	if (!m)
		return 0;
	if (bpf_map__value_size(m) > sizeof(zero))
		return -E2BIG;
	fd = syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(m), &fd, zero, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

/* One "OBJ[:PROG,...]" of a config: open, choose programs, load, scope. */
static int config_add_obj(struct config *c, char *spec)
{
	char *progs = strchr(spec, ':');
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *m;
	int err;

	if (c->nobj == MAX_OBJS)
		return -E2BIG;
	if (progs)
		*progs++ = '\0';
	obj = bpf_object__open_file(spec, NULL);
	if (!obj) {
		fprintf(stderr, "progcost: cannot open %s: %s\n", spec, strerror(errno));
		return -errno;
	}
	if (progs) {
		char list[512], *tok, *save;

		/* Every program named must exist: a typo must not measure nothing. */
		snprintf(list, sizeof(list), "%s", progs);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (!bpf_object__find_program_by_name(obj, tok)) {
				fprintf(stderr, "progcost: %s has no program '%s'\n", spec, tok);
				bpf_object__close(obj);
				return -ENOENT;
			}
		bpf_object__for_each_program(prog, obj) {
			char list[512], *tok, *save;
			int want = 0;

			snprintf(list, sizeof(list), "%s", progs);
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				want |= !strcmp(tok, bpf_program__name(prog));
			bpf_program__set_autoload(prog, want);
		}
	}
	/* hvtrace's per-CPU arrays hold one CPU's entries until sized, as guest_view does. */
	bpf_object__for_each_map(m, obj) {
		struct cpu_array ca;

		if (cpu_array_is_per_cpu(m) && cpu_array_size(m, &ca, cpu_array_ids())) {
			fprintf(stderr, "progcost: cannot size %s: %s\n", bpf_map__name(m),
				strerror(errno));
			bpf_object__close(obj);
			return -errno;
		}
	}
	err = bpf_object__load(obj);
	if (!err)
		err = track_self(obj);
	if (err) {
		fprintf(stderr, "progcost: cannot load %s: %s\n", spec, strerror(-err));
		bpf_object__close(obj);
		return err;
	}
	c->obj[c->nobj++] = obj;
	return 0;
}

static int config_parse(struct config *c, char *arg)
{
	char *eq = strchr(arg, '='), *tok, *save;
	int err;

	if (!strcmp(arg, "none")) {
		c->name = "none";
		return 0;
	}
	if (!eq) {
		fprintf(stderr, "progcost: '%s' is not NAME=OBJ[:PROG,...]\n", arg);
		return -EINVAL;
	}
	*eq = '\0';
	c->name = arg;
	for (tok = strtok_r(eq + 1, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		err = config_add_obj(c, tok);
		if (err)
			return err;
	}
	return 0;
}

static int config_attach(struct config *c)
{
	struct bpf_program *prog;
	int i;

	for (i = 0; i < c->nobj; i++) {
		bpf_object__for_each_program(prog, c->obj[i]) {
			if (!bpf_program__autoload(prog))
				continue;
			if (c->nlinks == MAX_LINKS)
				return -E2BIG;
			c->links[c->nlinks] = bpf_program__attach(prog);
			if (!c->links[c->nlinks]) {
				fprintf(stderr, "progcost: cannot attach %s: %s\n",
					bpf_program__name(prog), strerror(errno));
				return -errno;
			}
			c->nlinks++;
		}
	}
	/*
	 * Sleep once: programs that learn a thread's scope when it is switched
	 * in (as hvtrace's workload is, released from its gate) see this one.
	 */
	usleep(1000);
	return 0;
}

static void config_detach(struct config *c)
{
	while (c->nlinks)
		bpf_link__destroy(c->links[--c->nlinks]);
}

/*
 * Tracing links that are not ours: another recorder on the same tracepoints
 * would put the baseline on the slow path too. Rounds run only without them.
 */
static int foreign_links(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT ||
		     info.type == BPF_LINK_TYPE_TRACING || info.type == BPF_LINK_TYPE_PERF_EVENT))
			n++;
		close(fd);
	}
	return n;
}

static void wait_alone(void)
{
	int waited = 0;

	while (foreign_links()) {
		if (!waited++)
			fprintf(stderr, "progcost: other tracing programs are attached; waiting\n");
		usleep(200000);
	}
}

/* fork, exec this program (which leaves at once), wait: a process's life cycle. */
static void spawn(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("progcost: fork");
		exit(1);
	}
	if (pid == 0) {
		execl("/proc/self/exe", "progcost", "--exit", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

static void run_loops(struct config *c, int round, long calls, long pages, long spawns)
{
	long psize = sysconf(_SC_PAGESIZE), i;
	long long c0, w0;
	char *p;

	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < calls; i++)
		syscall(SYS_getppid);
	c->v[M_SYS_WALL][round] = (double)(clock_ns(CLOCK_MONOTONIC) - w0) / calls;
	c->v[M_SYS_CPU][round] = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / calls;

	p = mmap(NULL, pages * psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("progcost: mmap");
		exit(1);
	}
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < pages; i++)
		p[i * psize] = 1;
	c->v[M_PF_WALL][round] = (double)(clock_ns(CLOCK_MONOTONIC) - w0) / pages;
	c->v[M_PF_CPU][round] = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / pages;
	munmap(p, pages * psize);

	w0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < spawns; i++)
		spawn();
	c->v[M_SPAWN_WALL][round] = spawns ? (double)(clock_ns(CLOCK_MONOTONIC) - w0) / spawns : 0;
}

static void print_stats(struct config *cfg, int ncfg)
{
	struct bpf_program *prog;
	int i, k;

	printf("\nkernel-accounted run time per program call (all callers, bpf_stats on)\n");
	for (i = 0; i < ncfg; i++) {
		for (k = 0; k < cfg[i].nobj; k++) {
			bpf_object__for_each_program(prog, cfg[i].obj[k]) {
				struct bpf_prog_info info = { 0 };
				__u32 len = sizeof(info);

				if (!bpf_program__autoload(prog) ||
				    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ||
				    !info.run_cnt)
					continue;
				printf("%-14s %-22s %12llu calls %8.1f ns\n", cfg[i].name,
				       bpf_program__name(prog), (unsigned long long)info.run_cnt,
				       (double)info.run_time_ns / info.run_cnt);
			}
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: progcost [--calls N] [--pages N] [--spawns N] [--rounds N] [--cpu C] "
		"[--stats] [--with-others] CONFIG...\n  CONFIG: none | NAME=OBJ[:PROG,...][+OBJ[:PROG,...]]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct config cfg[MAX_CONFIGS];
	long calls = 300000, pages = 20000, spawns = 0;
	int rounds = 15, ncfg = 0, base = -1, redone = 0, stats_fd = -1, i, r, k, err = 0;
	int with_others = 0;

	if (argc == 2 && !strcmp(argv[1], "--exit"))
		return 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
			calls = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--spawns") && i + 1 < argc) {
			spawns = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(atoi(argv[++i]), &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				perror("progcost: sched_setaffinity");
		} else if (!strcmp(argv[i], "--with-others")) {
			with_others = 1;
		} else if (!strcmp(argv[i], "--stats")) {
			stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
			if (stats_fd < 0) {
				perror("progcost: BPF_ENABLE_STATS");
				return 1;
			}
		} else if (argv[i][0] == '-') {
			usage();
		} else if (ncfg == MAX_CONFIGS) {
			fprintf(stderr, "progcost: at most %d configurations\n", MAX_CONFIGS);
			return 2;
		} else {
			err = config_parse(&cfg[ncfg], argv[i]);
			if (err)
				goto out;
			if (!strcmp(cfg[ncfg].name, "none"))
				base = ncfg;
			ncfg++;
		}
	}
	if (!ncfg || calls <= 0 || pages <= 0 || spawns < 0 || rounds < 1 || rounds > MAX_ROUNDS)
		usage();
	for (r = 0; r < rounds; r++) {
		if (!with_others)
			wait_alone();
		for (k = 0; k < ncfg; k++) {
			struct config *c = &cfg[(k + r) % ncfg];

			err = config_attach(c);
			if (err)
				goto out;
			run_loops(c, r, calls, pages, spawns);
			config_detach(c);
		}
		if (!with_others && foreign_links()) {	/* someone attached meanwhile: again */
			redone++;
			r--;
		}
	}
	printf("%d rounds (%d redone: other tracers came), %ld getppid, %ld page faults and %ld"
	       " spawns per round;\nns per event, median (min-max of the per-round difference to"
	       " none)\n", rounds, redone, calls, pages, spawns);
	if (with_others)
		printf("--with-others: %d other tracing links were attached at the end; every"
		       " configuration, none too, ran beside them\n", foreign_links());
	printf("%-14s", "config");
	for (k = 0; k < M_KINDS - !spawns; k++)
		printf(" %24s", m_names[k]);
	printf("\n");
	for (i = 0; i < ncfg; i++) {
		printf("%-14s", cfg[i].name);
		for (k = 0; k < M_KINDS - !spawns; k++) {
			double d[MAX_ROUNDS], lo, hi;
			char cell[64];

			if (base < 0 || base == i) {
				snprintf(cell, sizeof(cell), "%.1f", median(cfg[i].v[k], rounds));
			} else {
				for (r = 0; r < rounds; r++)
					d[r] = cfg[i].v[k][r] - cfg[base].v[k][r];
				range(d, rounds, &lo, &hi);
				snprintf(cell, sizeof(cell), "%+.1f (%+.0f..%+.0f)", median(d, rounds),
					 lo, hi);
			}
			printf(" %24s", cell);
		}
		printf("\n");
	}
	if (stats_fd >= 0)
		print_stats(cfg, ncfg);
out:
	if (stats_fd >= 0)
		close(stats_fd);
	for (i = 0; i < ncfg; i++) {
		config_detach(&cfg[i]);
		for (k = 0; k < cfg[i].nobj; k++)
			bpf_object__close(cfg[i].obj[k]);
	}
	return err ? 1 : 0;
}
