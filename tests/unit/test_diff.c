// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The diff model (user/diff.c) on recordings made in memory, against values computed by hand. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "recfile.h"
#include "unit.h"

#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL

/* A recording assembled by hand; the model copies what it keeps from it. */
struct fake {
	struct recording rec;
	struct rec_meta meta[8];
	struct rec_phase phases[8];
	struct rec_stat stats[48];
	struct rec_calib calib[8];
};

static void fake_init(struct fake *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->rec.path = (char *)path;
	f->rec.meta = f->meta;
	f->rec.phases = f->phases;
	f->rec.stats = f->stats;
	f->rec.calib = f->calib;
	f->meta[f->rec.n_meta++] = (struct rec_meta){ (char *)"complete", (char *)"1" };
}

/* Phases laid end to end from 1 s; the run's wall is their sum. */
static void add_phase(struct fake *f, const char *name, int64_t wall)
{
	int id = (int)f->rec.n_phases;
	int64_t start = id ? f->phases[id - 1].end_mono : 1 * SEC;

	f->phases[f->rec.n_phases++] = (struct rec_phase){
		.id = id, .name = (char *)name, .source = (char *)"mark",
		.start_mono = start, .end_mono = start + wall, .exit_status = -1,
	};
}

static struct rec_stat *add_view_stat(struct fake *f, int phase, const char *view,
				      const char *kind, int64_t key, const char *name,
				      uint64_t count, uint64_t sum_ns)
{
	struct rec_stat *s = &f->stats[f->rec.n_stats++];

	*s = (struct rec_stat){
		.id = f->rec.n_stats, .phase = phase, .view = (char *)view, .kind = (char *)kind,
		.key = key, .name = (char *)name, .count = count, .sum_ns = sum_ns,
	};
	return s;
}

static struct rec_stat *add_stat(struct fake *f, int phase, const char *kind, int64_t key,
				 const char *name, uint64_t count, uint64_t sum_ns)
{
	return add_view_stat(f, phase, "guest", kind, key, name, count, sum_ns);
}

/* A syscall whose calls all fall in histogram bucket BUCKET. */
static void add_sys(struct fake *f, int phase, int64_t nr, const char *name, uint64_t count,
		    uint64_t sum_ns, int bucket)
{
	struct rec_stat *s = add_stat(f, phase, "syscall", nr, name, count, sum_ns);

	s->has_hist = 1;
	s->hist[bucket] = count;
}

static void add_calib(struct fake *f, const char *probe, double unit_ns)
{
	f->calib[f->rec.n_calib++] = (struct rec_calib){ (char *)probe, unit_ns, 0, 100 };
}

static struct diff *diff2(const struct fake *a, const struct fake *b)
{
	const struct recording *ra = &a->rec, *rb = &b->rec;

	return diff_build(&ra, 1, &rb, 1);
}

static const struct diff_cat *cat_find(const struct diff_decomp *dc, const char *group,
				       const char *name, enum diff_class cls)
{
	size_t i;

	for (i = 0; i < dc->n_cats; i++)
		if (!strcmp(dc->cats[i].group, group) && !strcmp(dc->cats[i].name, name) &&
		    dc->cats[i].cls == cls)
			return &dc->cats[i];
	return NULL;
}

#define NEED(ptr)                                                                  \
	do {                                                                       \
		if (!(ptr)) {                                                      \
			FAIL("%s is missing", #ptr);                               \
			goto out;                                                  \
		}                                                                  \
	} while (0)

/*
 * A: 40,000 calls of 1 us (40 ms); B: 60,000 calls of 1.2 us (72 ms).
 * more = 20,000 x 1 us = 20 ms; slower = 60,000 x 0.2 us = 12 ms.
 */
TEST(split_more_and_slower_by_hand)
{
	struct fake a, b;
	const struct diff_cat *c;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 1 * SEC);
	add_sys(&a, 0, 262, "newfstatat", 40000, 40 * MS, 9);
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 2 * SEC);
	add_sys(&b, 0, 262, "newfstatat", 60000, 72 * MS, 10);
	d = diff2(&a, &b);
	NEED(d);
	c = cat_find(&d->phases[0].guest, "syscall", "newfstatat", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->delta_ns, 32 * MS, 1e-6);
	EXPECT_NEAR(c->more_ns, 20 * MS, 1e-6);
	EXPECT_NEAR(c->slower_ns, 12 * MS, 1e-6);
	EXPECT_NEAR(c->delta_count, 20000, 0);
	EXPECT_NEAR(c->mean_a_ns, 1000, 1e-9);
	EXPECT_NEAR(c->mean_b_ns, 1200, 1e-9);
	EXPECT_NEAR(c->share, 0.032, 1e-12);
	EXPECT_INT(c->method, DIFF_TRACED);
out:
	diff_free(d);
}

/* Events only in B are all "more"; events only in A are all "more" too, negative. */
TEST(split_when_a_side_has_no_events)
{
	struct fake a, b;
	const struct diff_cat *c;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 1 * SEC);
	add_sys(&a, 0, 13, "rt_sigaction", 8000, 2400 * US, 8);
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 1 * SEC);
	add_sys(&b, 0, 16, "ioctl", 100, 1 * MS, 13);
	d = diff2(&a, &b);
	NEED(d);
	c = cat_find(&d->phases[0].guest, "syscall", "ioctl", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->more_ns, 1 * MS, 0);
	EXPECT_NEAR(c->slower_ns, 0, 0);
	EXPECT_TRUE(isnan(c->mean_a_ns));
	c = cat_find(&d->phases[0].guest, "syscall", "rt_sigaction", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->delta_ns, -2400 * US, 0);
	EXPECT_NEAR(c->more_ns, -2400 * US, 1e-6);
	EXPECT_NEAR(c->slower_ns, 0, 0);
	EXPECT_NEAR(c->delta_count, -8000, 0);
	/* dT is 0: shares are undefined, not zero. */
	EXPECT_TRUE(isnan(c->share));
out:
	diff_free(d);
}

/*
 * dT = +1 s. Explained: CPU user +600 ms, runq +300 ms, getppid -50 ms (ranked
 * by size, sign kept): +850 ms; unexplained +150 ms. wait4 (+900 ms) is waiting.
 */
TEST(ranking_and_unexplained_rest)
{
	struct fake a, b;
	const struct diff_decomp *g;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 2 * SEC);
	add_stat(&a, 0, "cpu", 0, "user", 2, 1 * SEC);
	add_stat(&a, 0, "sched", 0, "runq", 100, 100 * MS);
	add_sys(&a, 0, 110, "getppid", 1000000, 100 * MS, 6);
	add_sys(&a, 0, 61, "wait4", 1, 1 * SEC, 29);
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 3 * SEC);
	add_stat(&b, 0, "cpu", 0, "user", 2, 1600 * MS);
	add_stat(&b, 0, "sched", 0, "runq", 100, 400 * MS);
	add_sys(&b, 0, 110, "getppid", 500000, 50 * MS, 6);
	add_sys(&b, 0, 61, "wait4", 1, 1900 * MS, 29);
	d = diff2(&a, &b);
	NEED(d);
	g = &d->phases[0].guest;
	EXPECT_NEAR(d->phases[0].delta_ns, 1 * SEC, 0);
	EXPECT_INT(g->n_class[DIFF_EXPLAINED], 3);
	EXPECT_STR(g->cats[0].name, "user");
	EXPECT_STR(g->cats[1].name, "run-queue delay");
	EXPECT_STR(g->cats[2].name, "getppid");
	EXPECT_INT(g->cats[0].rank, 1);
	EXPECT_INT(g->cats[2].rank, 3);
	EXPECT_NEAR(g->cats[2].delta_ns, -50 * MS, 0);
	EXPECT_NEAR(g->cats[2].more_ns, -50 * MS, 1e-6);
	EXPECT_NEAR(g->explained_ns, 850 * MS, 1e-6);
	EXPECT_NEAR(g->unexplained_ns, 150 * MS, 1e-6);
	EXPECT_TRUE(cat_find(g, "syscall", "wait4", DIFF_WAITING) != NULL);
	EXPECT_INT(g->cats[3].cls, DIFF_WAITING);
	EXPECT_INT(g->cats[3].rank, 0);
out:
	diff_free(d);
}

/* Categories can explain more than dT (parallel work): the rest goes negative, not to 0. */
TEST(unexplained_rest_may_be_negative)
{
	struct fake a, b;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 1 * SEC);
	add_stat(&a, 0, "cpu", 0, "user", 4, 1 * SEC);
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 1200 * MS);
	add_stat(&b, 0, "cpu", 0, "user", 4, 1500 * MS);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_NEAR(d->phases[0].guest.explained_ns, 500 * MS, 0);
	EXPECT_NEAR(d->phases[0].guest.unexplained_ns, -300 * MS, 0);
out:
	diff_free(d);
}

static void busy_recording(struct fake *f, const char *path)
{
	struct rec_stat *s;

	fake_init(f, path);
	add_phase(f, "tar", 1 * SEC);
	add_phase(f, "make", 3 * SEC);
	add_calib(f, "page_fault", 250);
	add_calib(f, "fork_exit", 100 * US);
	add_calib(f, "fork_exec_exit", 300 * US);
	add_calib(f, "null_syscall", 50);
	add_sys(f, 1, 0, "read", 1000, 5 * MS, 12);
	s = add_stat(f, 1, "syscall", 61, "wait4", 10, 2 * SEC);
	s->has_hist = 1;
	s->hist[27] = 10;
	add_sys(f, 1, 56, "clone", 10, 500 * US, 15);
	add_stat(f, 1, "fault", 1, "user-write", 20000, 0);
	add_stat(f, 1, "fault", 4, "kernel-write", 100, 0);
	add_stat(f, 1, "proc", 0, "fork", 10, 0);
	add_stat(f, 1, "proc", 4, "exec", 10, 0);
	add_stat(f, 1, "sched", 0, "runq", 100, 2 * MS);
	add_stat(f, 1, "sched", 1, "voluntary", 30, 0);
	add_stat(f, 1, "cpu", 0, "user", 11, 700 * MS);
	add_stat(f, 1, "cpu", 1, "sys", 11, 200 * MS);
	add_stat(f, 1, "steal", 0, "steal", 0, 5 * MS);
}

TEST(identity_diff_is_all_zeros)
{
	struct fake a;
	const struct recording *r;
	struct diff *d;
	size_t i, k;

	busy_recording(&a, "a.hvt");
	r = &a.rec;
	d = diff_build(&r, 1, &r, 1);
	NEED(d);
	EXPECT_INT(d->n_common, 2);
	for (i = 0; i <= d->n_phases; i++) {
		const struct diff_phase *p = i < d->n_phases ? &d->phases[i] : &d->total;
		const struct diff_decomp *g = &p->guest;

		EXPECT_TRUE(p->delta_ns == 0);
		EXPECT_TRUE(g->explained_ns == 0);
		EXPECT_TRUE(g->unexplained_ns == 0);
		for (k = 0; k < g->n_cats; k++) {
			const struct diff_cat *c = &g->cats[k];

			if (c->cls == DIFF_NO_COST) {
				FAIL("%s %s not estimated with calibration on both sides",
				     c->group, c->name);
				continue;
			}
			if (c->method == DIFF_COUNT_ONLY) {
				EXPECT_TRUE(c->delta_count == 0);
				continue;
			}
			if (c->delta_ns != 0 || (c->has_count && (c->more_ns != 0 ||
								  c->slower_ns != 0)))
				FAIL("%s %s: delta %g, more %g, slower %g", c->group, c->name,
				     c->delta_ns, c->more_ns, c->slower_ns);
		}
	}
	EXPECT_TRUE(d->phases[1].guest.n_cats > 10);
	EXPECT_INT(d->entry_exit, 1);
out:
	diff_free(d);
}

/*
 * Calibrated categories use each side's own unit cost: faults 20,000 x 250 ns
 * = 5 ms in A, 30,000 x 1000 ns = 30 ms in B: +25 ms = more 10,000 x 250 ns
 * (2.5 ms) + slower 30,000 x 750 ns (22.5 ms). fork+exit 10 x 100 us -> 10 x
 * 250 us: +1.5 ms. The exec estimate (fork_exec_exit - fork_exit: 200 us, 450
 * us) is a cross-check inside execve; the clone syscall is inside fork+exit.
 */
TEST(calibrated_unit_costs_per_side)
{
	struct fake a, b;
	const struct diff_decomp *g;
	const struct diff_cat *c;
	struct diff *d;
	size_t i;

	busy_recording(&a, "a.hvt");
	busy_recording(&b, "b.hvt");
	b.calib[0].unit_ns = 1000;
	b.calib[3].unit_ns = 60;
	b.calib[1].unit_ns = 250 * US;
	b.calib[2].unit_ns = 700 * US;
	for (i = 0; i < b.rec.n_stats; i++)
		if (!strcmp(b.stats[i].kind, "fault") && b.stats[i].key == 1)
			b.stats[i].count = 30000;
	d = diff2(&a, &b);
	NEED(d);
	g = &d->phases[1].guest;
	c = cat_find(g, "fault", "user-write", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_INT(c->method, DIFF_CALIBRATED);
	EXPECT_STR(c->probe, "page_fault");
	EXPECT_NEAR(c->time_a.mean, 5 * MS, 1e-6);
	EXPECT_NEAR(c->time_b.mean, 30 * MS, 1e-6);
	EXPECT_NEAR(c->more_ns, 2500 * US, 1e-6);
	EXPECT_NEAR(c->slower_ns, 22500 * US, 1e-6);
	c = cat_find(g, "process", "fork+exit", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->delta_ns, 1500 * US, 1e-6);
	c = cat_find(g, "process", "exec", DIFF_INSIDE);
	NEED(c);
	EXPECT_NEAR(c->time_a.mean, 2 * MS, 1e-6);
	EXPECT_NEAR(c->time_b.mean, 4500 * US, 1e-6);
	EXPECT_TRUE(cat_find(g, "syscall", "clone", DIFF_INSIDE) != NULL);
	EXPECT_TRUE(cat_find(g, "fault", "kernel-write", DIFF_INSIDE) != NULL);
	c = cat_find(g, "steal", "steal", DIFF_INSIDE);
	NEED(c);
	EXPECT_TRUE(isnan(c->more_ns) && isnan(c->slower_ns));
	c = cat_find(g, "sched", "voluntary switches", DIFF_INSIDE);
	NEED(c);
	EXPECT_INT(c->method, DIFF_COUNT_ONLY);
	EXPECT_TRUE(isnan(c->delta_ns));
out:
	diff_free(d);
}

/*
 * B was recorded without calibration: faults and fork+exit have no unit cost
 * and leave the sum (not estimated); the clone syscall's traced time then
 * counts as explained, so that the fork is still counted once.
 */
TEST(missing_calibration_is_not_estimated)
{
	struct fake a, b;
	const struct diff_decomp *g;
	const struct diff_cat *c;
	struct diff *d;
	double sum = 0;
	size_t i;

	busy_recording(&a, "a.hvt");
	busy_recording(&b, "b.hvt");
	b.rec.n_calib = 0;
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_INT(d->b.runs[0].calibrated, 0);
	g = &d->phases[1].guest;
	c = cat_find(g, "fault", "user-write", DIFF_NO_COST);
	NEED(c);
	EXPECT_STR(c->note, "no unit cost in B");
	EXPECT_TRUE(isnan(c->delta_ns));
	EXPECT_TRUE(isnan(c->time_b.mean));
	EXPECT_NEAR(c->time_a.mean, 5 * MS, 1e-6);
	EXPECT_TRUE(cat_find(g, "process", "fork+exit", DIFF_NO_COST) != NULL);
	/* Nor is the syscalls' entry/exit: shown apart, their traced time alone summed. */
	EXPECT_INT(d->entry_exit, 0);
	c = cat_find(g, "syscall", "entry/exit", DIFF_NO_COST);
	NEED(c);
	EXPECT_NEAR(c->count_a.mean, 1020, 0);
	EXPECT_NEAR(c->time_a.mean, 1020 * 50, 1e-9);
	c = cat_find(g, "syscall", "read", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_INT(c->entry_exit, 0);
	EXPECT_NEAR(c->delta_ns, 0, 0);
	EXPECT_TRUE(cat_find(g, "syscall", "clone", DIFF_EXPLAINED) != NULL);
	for (i = 0; i < g->n_cats; i++)
		if (g->cats[i].cls == DIFF_EXPLAINED)
			sum += g->cats[i].delta_ns;
	EXPECT_TRUE(!isnan(g->explained_ns));
	EXPECT_NEAR(g->explained_ns, sum, 0);
	EXPECT_NEAR(g->unexplained_ns, d->phases[1].delta_ns - sum, 0);
out:
	diff_free(d);
}

/*
 * The traced latency starts after the switch into the kernel; each syscall
 * also costs the calibrated round trip (null_syscall): A 1000 x (100 + 100 ns)
 * = 200 us, B 2000 x (100 + 120 ns) = 440 us: +240 us = more 1000 x 200 ns
 * (200 us) + slower 2000 x 20 ns (40 us).
 */
TEST(syscall_entry_exit_is_counted_per_call)
{
	struct fake a, b;
	const struct diff_cat *c;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 1 * SEC);
	add_calib(&a, "null_syscall", 100);
	add_sys(&a, 0, 110, "getppid", 1000, 100 * US, 6);
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 2 * SEC);
	add_calib(&b, "null_syscall", 120);
	add_sys(&b, 0, 110, "getppid", 2000, 200 * US, 6);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_INT(d->entry_exit, 1);
	c = cat_find(&d->phases[0].guest, "syscall", "getppid", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_INT(c->entry_exit, 1);
	EXPECT_STR(c->probe, "null_syscall");
	EXPECT_NEAR(c->time_a.mean, 200 * US, 1e-9);
	EXPECT_NEAR(c->time_b.mean, 440 * US, 1e-9);
	EXPECT_NEAR(c->entry_a_ns, 100 * US, 1e-9);
	EXPECT_NEAR(c->entry_b_ns, 240 * US, 1e-9);
	EXPECT_NEAR(c->more_ns, 200 * US, 1e-6);
	EXPECT_NEAR(c->slower_ns, 40 * US, 1e-6);
	EXPECT_TRUE(cat_find(&d->phases[0].guest, "syscall", "entry/exit", DIFF_NO_COST) == NULL);
out:
	diff_free(d);
}

/*
 * read may wait on a pipe: 900 calls in bucket 12 ([4096, 8192), midpoint
 * 6144) and 100 in bucket 22 ([2^22, 2^23)); total 500 ms. Fast part:
 * 900 x 6144 = 5,529,600 ns; the waiting part is the rest, 494,470,400 ns.
 */
TEST(may_wait_syscall_split_at_1ms)
{
	struct fake a, b;
	const struct diff_cat *fast, *slow;
	struct rec_stat *s;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "work", 1 * SEC);
	s = add_stat(&a, 0, "syscall", 0, "read", 1000, 500 * MS);
	s->has_hist = 1;
	s->hist[12] = 900;
	s->hist[22] = 100;
	fake_init(&b, "b.hvt");
	add_phase(&b, "work", 1 * SEC);
	add_sys(&b, 0, 0, "read", 1000, 6 * MS, 12);
	d = diff2(&a, &b);
	NEED(d);
	fast = cat_find(&d->phases[0].guest, "syscall", "read", DIFF_EXPLAINED);
	slow = cat_find(&d->phases[0].guest, "syscall", "read", DIFF_WAITING);
	NEED(fast);
	NEED(slow);
	EXPECT_INT(fast->method, DIFF_TRACED_SPLIT);
	EXPECT_NEAR(fast->count_a.mean, 900, 0);
	EXPECT_NEAR(fast->time_a.mean, 5529600, 1e-6);
	/* All of B's calls are fast: their sum is exact, not estimated. */
	EXPECT_NEAR(fast->count_b.mean, 1000, 0);
	EXPECT_NEAR(fast->time_b.mean, 6 * MS, 0);
	EXPECT_NEAR(slow->count_a.mean, 100, 0);
	EXPECT_NEAR(slow->time_a.mean, 494470400, 1e-6);
	EXPECT_NEAR(slow->count_b.mean, 0, 0);
	EXPECT_NEAR(slow->delta_ns, -494470400, 1e-6);
out:
	diff_free(d);
}

/*
 * Sets: A's runs last 1 s and 3 s (mean 2 s, sample stddev sqrt(2) s), B's
 * 4 s and 4 s; CPU user 0.5 / 1.5 s -> 2 / 2 s. dT = +2 s, CPU user +1 s.
 * A phase in only one run of B is not compared.
 */
TEST(sets_use_means_and_show_spread)
{
	struct fake a1, a2, b1, b2;
	const struct recording *ra[2] = { &a1.rec, &a2.rec }, *rb[2] = { &b1.rec, &b2.rec };
	const struct diff_phase *p;
	const struct diff_cat *c;
	struct diff *d;

	fake_init(&a1, "a1.hvt");
	add_phase(&a1, "work", 1 * SEC);
	add_stat(&a1, 0, "cpu", 0, "user", 1, 500 * MS);
	fake_init(&a2, "a2.hvt");
	add_phase(&a2, "work", 3 * SEC);
	add_stat(&a2, 0, "cpu", 0, "user", 1, 1500 * MS);
	fake_init(&b1, "b1.hvt");
	add_phase(&b1, "work", 4 * SEC);
	add_phase(&b1, "extra", 1 * SEC);
	add_stat(&b1, 0, "cpu", 0, "user", 1, 2 * SEC);
	fake_init(&b2, "b2.hvt");
	add_phase(&b2, "work", 4 * SEC);
	add_stat(&b2, 0, "cpu", 0, "user", 1, 2 * SEC);
	d = diff_build(ra, 2, rb, 2);
	NEED(d);
	p = diff_phase_find(d, "work");
	NEED(p);
	EXPECT_NEAR(p->wall_a.mean, 2 * SEC, 0);
	EXPECT_NEAR(p->wall_a.min, 1 * SEC, 0);
	EXPECT_NEAR(p->wall_a.max, 3 * SEC, 0);
	EXPECT_NEAR(p->wall_a.stddev, sqrt(2) * SEC, 1e-3);
	EXPECT_NEAR(p->wall_b.stddev, 0, 0);
	EXPECT_NEAR(p->delta_ns, 2 * SEC, 0);
	c = cat_find(&p->guest, "cpu", "user", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->delta_ns, 1 * SEC, 0);
	EXPECT_NEAR(c->spread_ns, 1 * SEC, 0);
	EXPECT_INT(c->time_a.n, 2);
	p = diff_phase_find(d, "extra");
	NEED(p);
	EXPECT_INT(p->where, DIFF_SOME_RUNS);
	EXPECT_INT(p->runs_b, 1);
	EXPECT_TRUE(isnan(p->delta_ns));
	EXPECT_INT(d->n_common, 1);
out:
	diff_free(d);
}

/* Phases are matched by name; same-named phases of a run are summed. */
TEST(phases_matched_by_name_and_merged)
{
	struct fake a, b;
	const struct diff_phase *p;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "rm", 100 * MS);
	add_phase(&a, "make", 1 * SEC);
	add_phase(&a, "rm", 200 * MS);
	add_sys(&a, 0, 87, "unlink", 10, 1 * MS, 16);
	add_sys(&a, 2, 87, "unlink", 30, 3 * MS, 16);
	fake_init(&b, "b.hvt");
	add_phase(&b, "make", 2 * SEC);
	add_phase(&b, "rm", 500 * MS);
	add_phase(&b, "test", 500 * MS);
	add_sys(&b, 1, 87, "unlink", 40, 8 * MS, 17);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_INT(d->n_phases, 3);
	EXPECT_STR(d->phases[0].name, "rm");
	EXPECT_STR(d->phases[2].name, "test");
	EXPECT_INT(d->phases[2].where, DIFF_ONLY_B);
	p = &d->phases[0];
	EXPECT_NEAR(p->wall_a.mean, 300 * MS, 0);
	EXPECT_NEAR(p->delta_ns, 200 * MS, 0);
	EXPECT_NEAR(p->guest.cats[0].count_a.mean, 40, 0);
	EXPECT_NEAR(p->guest.cats[0].slower_ns, 4 * MS, 1e-6);
	EXPECT_NEAR(d->total.delta_ns, 1700 * MS, 0);
out:
	diff_free(d);
}

TEST(no_common_phase_is_reported_as_none)
{
	struct fake a, b;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "tar", 1 * SEC);
	fake_init(&b, "b.hvt");
	add_phase(&b, "make", 1 * SEC);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_INT(d->n_common, 0);
	EXPECT_INT(d->phases[0].where, DIFF_ONLY_A);
	EXPECT_INT(d->phases[1].where, DIFF_ONLY_B);
out:
	diff_free(d);
}

/*
 * Host view, exit basis: exits are summed (HLT is the guest idling: waiting),
 * the VMM's time is inside the exits. 10,000 x 2 us -> 50,000 x 3 us:
 * more 80 ms, slower 50 ms. The guest view does not see any of it.
 */
TEST(host_view_exit_basis)
{
	struct fake a, b;
	const struct diff_decomp *h;
	const struct diff_cat *c;
	struct diff *d;

	fake_init(&a, "a.hvt");
	add_phase(&a, "build", 2 * SEC);
	add_view_stat(&a, 0, "host", "exit", 48, "EPT_VIOLATION", 10000, 20 * MS);
	add_view_stat(&a, 0, "host", "exit", 12, "HLT", 100, 500 * MS);
	add_view_stat(&a, 0, "host", "vmm", 2, "IO", 5000, 30 * MS);
	add_view_stat(&a, 0, "host", "exit_vcpu", 48, "EPT_VIOLATION", 10000, 20 * MS);
	fake_init(&b, "b.hvt");
	add_phase(&b, "build", 3 * SEC);
	add_view_stat(&b, 0, "host", "exit", 48, "EPT_VIOLATION", 50000, 150 * MS);
	add_view_stat(&b, 0, "host", "exit", 12, "HLT", 100, 200 * MS);
	add_view_stat(&b, 0, "host", "vmm", 2, "IO", 5000, 35 * MS);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_STR(d->host_basis, "exit");
	h = &d->phases[0].host;
	NEED(h->view);
	EXPECT_INT(h->n_class[DIFF_EXPLAINED], 1);
	c = cat_find(h, "exit", "EPT_VIOLATION", DIFF_EXPLAINED);
	NEED(c);
	EXPECT_NEAR(c->more_ns, 80 * MS, 1e-6);
	EXPECT_NEAR(c->slower_ns, 50 * MS, 1e-6);
	EXPECT_TRUE(cat_find(h, "exit", "HLT", DIFF_WAITING) != NULL);
	EXPECT_TRUE(cat_find(h, "vmm", "IO", DIFF_INSIDE) != NULL);
	EXPECT_NEAR(h->unexplained_ns, 870 * MS, 1e-6);
	EXPECT_INT(d->phases[0].guest.n_class[DIFF_EXPLAINED], 0);
out:
	diff_free(d);
}

/* Without kvm_exit (PVM here), the VMM's time is what the host view has: it is summed. */
TEST(host_view_vmm_basis_and_one_sided)
{
	struct fake a, b, n;
	struct diff *d = NULL;

	fake_init(&a, "a.hvt");
	add_phase(&a, "build", 2 * SEC);
	add_view_stat(&a, 0, "host", "vmm", 2, "IO", 5000, 30 * MS);
	add_view_stat(&a, 0, "host", "vmm", 5, "HLT", 10, 100 * MS);
	fake_init(&b, "b.hvt");
	add_phase(&b, "build", 3 * SEC);
	add_view_stat(&b, 0, "host", "vmm", 2, "IO", 6000, 42 * MS);
	d = diff2(&a, &b);
	NEED(d);
	EXPECT_STR(d->host_basis, "vmm");
	EXPECT_TRUE(cat_find(&d->phases[0].host, "vmm", "IO", DIFF_EXPLAINED) != NULL);
	EXPECT_TRUE(cat_find(&d->phases[0].host, "vmm", "HLT", DIFF_WAITING) != NULL);
	EXPECT_NEAR(d->phases[0].host.explained_ns, 12 * MS, 0);
	diff_free(d);

	fake_init(&n, "native.hvt");
	add_phase(&n, "build", 1 * SEC);
	d = diff2(&n, &b);
	NEED(d);
	EXPECT_TRUE(d->phases[0].host.view == NULL);
	EXPECT_STR(d->phases[0].host_note, "host view only in B");
out:
	diff_free(d);
}
