// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The per-phase model (user/report.c) built from recordings made in memory. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recfile.h"
#include "report.h"
#include "unit.h"

#define MS 1000000LL
#define SEC 1000000000LL

/* A recording assembled by hand; the model copies what it keeps from it. */
struct fake {
	struct recording rec;
	struct rec_meta meta[16];
	struct rec_phase phases[8];
	struct rec_stat stats[64];
	struct rec_counter counters[8];
	struct rec_proc procs[8];
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->rec.path = (char *)"fake.hvt";
	f->rec.meta = f->meta;
	f->rec.phases = f->phases;
	f->rec.stats = f->stats;
	f->rec.counters = f->counters;
	f->rec.procs = f->procs;
}

static void add_meta(struct fake *f, const char *key, const char *value)
{
	f->meta[f->rec.n_meta++] = (struct rec_meta){ (char *)key, (char *)value };
}

static void add_phase(struct fake *f, int id, const char *name, int64_t start, int64_t end)
{
	f->phases[f->rec.n_phases++] = (struct rec_phase){
		.id = id, .name = (char *)name, .source = (char *)"auto",
		.start_mono = start, .end_mono = end, .pid = 100 + id, .exit_status = 0,
	};
}

static struct rec_stat *add_stat(struct fake *f, int phase, const char *kind, int64_t key,
				 const char *name, uint64_t count, uint64_t sum_ns)
{
	struct rec_stat *s = &f->stats[f->rec.n_stats++];

	*s = (struct rec_stat){
		.id = f->rec.n_stats, .phase = phase, .view = (char *)"guest", .kind = (char *)kind,
		.key = key, .name = (char *)name, .count = count, .sum_ns = sum_ns,
	};
	return s;
}

/* A row of another view (host, vmm); hist: one bucket holding every event (-1: none). */
static struct rec_stat *add_row(struct fake *f, int phase, const char *view, const char *kind,
				int64_t key, const char *name, uint64_t count, uint64_t sum_ns,
				int bucket, uint64_t max_ns)
{
	struct rec_stat *s = add_stat(f, phase, kind, key, name, count, sum_ns);

	s->view = (char *)view;
	s->max_ns = max_ns;
	if (bucket >= 0) {
		s->hist[bucket] = count;
		s->has_hist = 1;
	}
	return s;
}

static void add_counter(struct fake *f, int phase, const char *event, int supported,
			uint64_t value, uint64_t enabled, uint64_t running)
{
	f->counters[f->rec.n_counters++] = (struct rec_counter){
		phase, (char *)event, supported, value, enabled, running,
	};
}

/* Two finished phases of 1 s and 3 s inside a 4 s run. */
static void two_phases(struct fake *f)
{
	fake_init(f);
	add_meta(f, "complete", "1");
	add_meta(f, "end_mono_ns", "5000000000");
	add_meta(f, "start_mono_ns", "1000000000");
	add_meta(f, "wall_ns", "4000000000");
	add_phase(f, 0, "tar", 1 * SEC, 2 * SEC);
	add_phase(f, 1, "make", 2 * SEC, 5 * SEC);
}

TEST(walls_and_shares_of_finished_phases)
{
	struct fake f;
	struct report *r;

	two_phases(&f);
	r = report_build(&f.rec);
	EXPECT_TRUE(r != NULL);
	if (!r)
		return;
	EXPECT_INT(r->n_phases, 2);
	EXPECT_INT(r->phases[0].wall_ns, 1 * SEC);
	EXPECT_INT(r->phases[1].wall_ns, 3 * SEC);
	EXPECT_INT(r->phases[1].wall_kind, REPORT_WALL_EXACT);
	EXPECT_NEAR(r->phases[0].share_of_run, 0.25, 1e-12);
	EXPECT_NEAR(r->phases[1].share_of_run, 0.75, 1e-12);
	EXPECT_INT(r->total.wall_ns, 4 * SEC);
	EXPECT_TRUE(r->complete);
	EXPECT_INT(r->total.id, -1);
	EXPECT_STR(r->total.name, "total");
	report_free(r);
}

TEST(syscalls_sorted_by_total_time_with_percentiles)
{
	struct fake f;
	struct rec_stat *s;
	struct report *r;
	struct report_lat *l;

	two_phases(&f);
	/* read: 1000 calls, half in [2048, 4096), half in [4096, 8192); max 8000. */
	s = add_stat(&f, 0, "syscall", 0, "read", 1000, 4 * MS);
	s->hist[11] = 500;
	s->hist[12] = 500;
	s->has_hist = 1;
	s->max_ns = 8000;
	s = add_stat(&f, 0, "syscall", 1, "write", 10, 6 * MS);
	s->hist[19] = 10;
	s->has_hist = 1;
	s->max_ns = 1 * MS;
	add_stat(&f, 0, "syscall", 451, "", 2, 1000);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->phases[0].n_syscalls, 3);
	EXPECT_INT(r->phases[0].syscall_count, 1012);
	EXPECT_INT(r->phases[0].syscall_ns, 10 * MS + 1000);
	l = r->phases[0].syscalls;
	EXPECT_STR(l[0].name, "write");
	EXPECT_STR(l[1].name, "read");
	EXPECT_STR(l[2].name, "syscall_451");
	/* rank 500 ends bucket 11: its top edge; p99 8110.08 is above max 8000. */
	EXPECT_NEAR(l[1].p50_ns, 4096, 1e-9);
	EXPECT_NEAR(l[1].p99_ns, 8000, 1e-9);
	EXPECT_NEAR(l[1].mean_ns, 4000, 1e-9);
	EXPECT_NEAR(l[1].share, 4.0 * MS / (10 * MS + 1000), 1e-12);
	/* 10 calls in [524288, 1048576): p50 786432, p99 clamped to max 1 ms. */
	EXPECT_NEAR(l[0].p50_ns, 786432, 1e-9);
	EXPECT_NEAR(l[0].p99_ns, 1 * MS, 1e-9);
	/* No histogram: mean known, percentiles not. */
	EXPECT_NEAR(l[2].mean_ns, 500, 1e-9);
	EXPECT_TRUE(isnan(l[2].p50_ns) && isnan(l[2].p99_ns));
	report_free(r);
}

/* One call in [4096, 8192): not the bucket's middle, the call itself. */
TEST(single_call_percentiles_are_exact)
{
	struct fake f;
	struct rec_stat *s;
	struct report *r;

	two_phases(&f);
	s = add_stat(&f, 0, "syscall", 16, "ioctl", 1, 5000);
	s->hist[12] = 1;
	s->has_hist = 1;
	s->max_ns = 5000;
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_NEAR(r->phases[0].syscalls[0].p50_ns, 5000, 0);
	EXPECT_NEAR(r->phases[0].syscalls[0].p99_ns, 5000, 0);
	report_free(r);
}

TEST(zero_counts_give_nan_not_a_crash)
{
	struct fake f;
	struct report *r;

	fake_init(&f);
	add_phase(&f, 0, "empty", 1 * SEC, 1 * SEC);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->phases[0].wall_ns, 0);
	EXPECT_TRUE(isnan(r->phases[0].runq.mean_ns));
	EXPECT_TRUE(isnan(r->phases[0].runq.p50_ns));
	EXPECT_TRUE(isnan(r->phases[0].steal_share));
	EXPECT_TRUE(isnan(r->phases[0].share_of_run));
	EXPECT_INT(r->phases[0].syscall_count, 0);
	EXPECT_INT(r->total.wall_ns, 0);
	report_free(r);
}

TEST(no_phases_builds_an_empty_model)
{
	struct fake f;
	struct report *r;

	fake_init(&f);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->n_phases, 0);
	EXPECT_INT(r->total.wall_kind, REPORT_WALL_UNKNOWN);
	EXPECT_INT(r->exit_status, -1);
	EXPECT_INT(r->cpu_count, -1);
	EXPECT_TRUE(r->label == NULL);
	report_free(r);
}

TEST(unfinished_last_phase_lasts_at_least_until_last_event)
{
	struct fake f;
	struct report *r;

	fake_init(&f);
	add_phase(&f, 0, "bench.sh", 1 * SEC, 1200 * MS);
	add_phase(&f, 1, "make", 1200 * MS, 0);
	f.procs[f.rec.n_procs++] = (struct rec_proc){ .pid = 7, .start_mono = 1300 * MS,
						      .end_mono = 3700 * MS };
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_TRUE(r->phases[0].finished);
	EXPECT_TRUE(!r->phases[1].finished);
	EXPECT_INT(r->phases[1].end_mono, 0);
	EXPECT_INT(r->phases[1].wall_kind, REPORT_WALL_AT_LEAST);
	EXPECT_INT(r->phases[1].wall_ns, 2500 * MS);
	EXPECT_INT(r->total.wall_kind, REPORT_WALL_AT_LEAST);
	EXPECT_INT(r->total.wall_ns, 2700 * MS);
	EXPECT_TRUE(!r->complete);
	report_free(r);
}

TEST(unfinished_phase_before_another_ends_at_its_start)
{
	struct fake f;
	struct report *r;

	fake_init(&f);
	add_phase(&f, 0, "a", 1 * SEC, 0);
	add_phase(&f, 1, "b", 3 * SEC, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->phases[0].wall_kind, REPORT_WALL_EXACT);
	EXPECT_INT(r->phases[0].wall_ns, 2 * SEC);
	EXPECT_TRUE(!r->phases[0].finished);
	/* Nothing was recorded after b started. */
	EXPECT_INT(r->phases[1].wall_kind, REPORT_WALL_UNKNOWN);
	EXPECT_TRUE(isnan(r->phases[1].share_of_run));
	EXPECT_INT(r->total.wall_kind, REPORT_WALL_UNKNOWN);
	report_free(r);
}

TEST(unfinished_last_phase_ends_with_the_run)
{
	struct fake f;
	struct report *r;

	fake_init(&f);
	add_meta(&f, "end_mono_ns", "9000000000");
	add_phase(&f, 0, "a", 1 * SEC, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->phases[0].wall_kind, REPORT_WALL_EXACT);
	EXPECT_INT(r->phases[0].wall_ns, 8 * SEC);
	report_free(r);
}

TEST(stats_of_a_missing_phase_get_a_phase_of_their_own)
{
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_stat(&f, 5, "syscall", 39, "getpid", 7, 700);
	add_stat(&f, 0, "syscall", 39, "getpid", 1, 100);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->n_phases, 3);
	EXPECT_INT(r->phases[2].id, 5);
	EXPECT_STR(r->phases[2].name, "phase-5");
	EXPECT_STR(r->phases[2].source, "unknown");
	EXPECT_INT(r->phases[2].wall_kind, REPORT_WALL_UNKNOWN);
	EXPECT_INT(r->phases[2].syscall_count, 7);
	EXPECT_INT(r->total.syscall_count, 8);
	report_free(r);
}

TEST(kinds_sum_into_their_fields)
{
	struct fake f;
	struct report *r;
	struct report_phase *p;

	two_phases(&f);
	add_stat(&f, 1, "fault", HVT_FAULT_USER_WRITE, "user-write", 70, 0);
	add_stat(&f, 1, "fault", HVT_FAULT_KERNEL_READ, "kernel-read", 5, 0);
	add_stat(&f, 1, "fault", 99, "from-the-future", 1000, 0);
	add_stat(&f, 1, "proc", HVT_PROC_FORK, "fork", 2, 0);
	add_stat(&f, 1, "proc", HVT_PROC_VFORK, "vfork", 3, 0);
	add_stat(&f, 1, "proc", HVT_PROC_CLONE, "clone", 4, 0);
	add_stat(&f, 1, "proc", HVT_PROC_THREAD, "thread", 50, 0);
	add_stat(&f, 1, "sched", HVT_SCHED_VOLUNTARY, "voluntary", 11, 0);
	add_stat(&f, 1, "sched", HVT_SCHED_INVOLUNTARY, "involuntary", 12, 0);
	add_stat(&f, 1, "sched", HVT_SCHED_ONCPU, "oncpu", 0, 2 * SEC);
	add_stat(&f, 1, "cpu", HVT_CPU_USER, "user", 9, 1500 * MS);
	add_stat(&f, 1, "cpu", HVT_CPU_SYS, "sys", 9, 500 * MS);
	add_stat(&f, 1, "steal", 0, "steal", 0, 30 * MS);
	add_stat(&f, 1, "lost", 0, "ringbuf", 4, 0);
	add_stat(&f, 1, "syscall", 0, "read", 1, 1)->view = (char *)"host";
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	p = &r->phases[1];
	EXPECT_INT(p->faults, 75);
	EXPECT_INT(p->fault[HVT_FAULT_USER_WRITE], 70);
	EXPECT_INT(p->procs_started, 9);
	EXPECT_INT(p->proc[HVT_PROC_THREAD], 50);
	EXPECT_INT(p->ctx_voluntary, 11);
	EXPECT_INT(p->ctx_involuntary, 12);
	EXPECT_INT(p->oncpu_ns, 2 * SEC);
	EXPECT_INT(p->cpu_user_ns, 1500 * MS);
	EXPECT_INT(p->cpu_sys_ns, 500 * MS);
	EXPECT_INT(p->cpu_threads, 9);
	EXPECT_NEAR(p->steal_share, 0.01, 1e-12);
	EXPECT_INT(p->lost, 4);
	EXPECT_INT(p->n_syscalls, 0);
	EXPECT_INT(r->lost_events, 4);	/* no meta lost_events: the phases' sum */
	EXPECT_INT(r->total.faults, 75);
	EXPECT_INT(r->total.cpu_user_ns, 1500 * MS);
	report_free(r);
}

/* Run-queue hists of two phases merge: 1000 in [8192,16384) + 2600 in [16384,32768). */
TEST(totals_merge_histograms_before_estimating)
{
	struct fake f;
	struct rec_stat *s;
	struct report *r;

	two_phases(&f);
	s = add_stat(&f, 0, "sched", HVT_SCHED_RUNQ, "runq", 1000, 10 * MS);
	s->hist[13] = 1000;
	s->has_hist = 1;
	s->max_ns = 16000;
	s = add_stat(&f, 1, "sched", HVT_SCHED_RUNQ, "runq", 2600, 60 * MS);
	s->hist[14] = 2600;
	s->has_hist = 1;
	s->max_ns = 30000;
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->total.runq.count, 3600);
	EXPECT_INT(r->total.runq.max_ns, 30000);
	/* rank 1800: 800 into the 2600 of [16384, 32768). */
	EXPECT_NEAR(r->total.runq.p50_ns, 16384 + 16384 * 800.0 / 2600, 1e-6);
	EXPECT_NEAR(r->total.runq.mean_ns, 70.0 * MS / 3600, 1e-6);
	EXPECT_NEAR(r->phases[0].runq.p50_ns, 12288, 1e-9);
	report_free(r);
}

static const struct report_counter *counter(const struct report_phase *p, const char *event)
{
	size_t i;

	for (i = 0; i < p->n_counters; i++)
		if (!strcmp(p->counters[i].event, event))
			return &p->counters[i];
	return NULL;
}

TEST(counters_scaled_when_multiplexed)
{
	const struct report_counter *c;
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_counter(&f, 0, "instructions", 1, 0, 1 * SEC, 0);
	add_counter(&f, 1, "instructions", 1, 10, 1 * SEC, 1 * SEC);
	add_counter(&f, 0, "cycles", 1, 1000, 2 * SEC, 1 * SEC);
	add_counter(&f, 1, "cycles", 1, 3000, 3 * SEC, 3 * SEC);
	add_counter(&f, 0, "dTLB-load-misses", 0, 0, 0, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->phases[0].n_counters, 3);
	EXPECT_STR(r->phases[0].counters[0].event, "cycles");		/* sorted by name */
	EXPECT_STR(r->phases[0].counters[1].event, "dTLB-load-misses");
	EXPECT_STR(r->total.counters[2].event, "instructions");
	c = counter(&r->phases[0], "cycles");
	EXPECT_TRUE(c && fabs(c->scaled - 2000) < 1e-9);		/* ran half the time */
	c = counter(&r->phases[0], "instructions");
	EXPECT_TRUE(c && isnan(c->scaled));				/* enabled, never ran */
	c = counter(&r->phases[0], "dTLB-load-misses");
	EXPECT_TRUE(c && !c->supported && isnan(c->scaled));
	EXPECT_INT(r->total.n_counters, 3);
	c = counter(&r->total, "cycles");
	EXPECT_TRUE(c && fabs(c->scaled - 5000) < 1e-9 && c->value == 4000);
	c = counter(&r->total, "instructions");
	EXPECT_TRUE(c && isnan(c->scaled));				/* unknown in one phase */
	c = counter(&r->total, "dTLB-load-misses");
	EXPECT_TRUE(c && !c->supported && isnan(c->scaled));
	report_free(r);
}

TEST(run_facts_come_from_meta)
{
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_meta(&f, "label", "CENTOS-KVM");
	add_meta(&f, "exit_status", "2");
	add_meta(&f, "cpu_count", "4");
	add_meta(&f, "lost_events", "9");
	add_meta(&f, "rusage_user_ns", "123");
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_STR(r->label, "CENTOS-KVM");
	EXPECT_STR(r->path, "fake.hvt");
	EXPECT_INT(r->exit_status, 2);
	EXPECT_INT(r->cpu_count, 4);
	EXPECT_INT(r->lost_events, 9);
	EXPECT_INT(r->rusage_user_ns, 123);
	EXPECT_INT(r->rusage_sys_ns, -1);
	EXPECT_INT(r->total.exit_status, -1);
	report_free(r);
}

/* diff and table may free a recording once its model is built. */
TEST(model_outlives_the_recording)
{
	struct fake f;
	struct report *r;
	char name[] = "configure", sc[] = "execve", label[] = "native";

	two_phases(&f);
	f.phases[0].name = name;
	add_meta(&f, "label", label);
	add_stat(&f, 0, "syscall", 59, sc, 1, 1);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	memset(name, 'X', sizeof(name) - 1);
	memset(sc, 'X', sizeof(sc) - 1);
	memset(label, 'X', sizeof(label) - 1);
	EXPECT_STR(r->phases[0].name, "configure");
	EXPECT_STR(r->phases[0].syscalls[0].name, "execve");
	EXPECT_STR(r->total.syscalls[0].name, "execve");
	EXPECT_STR(r->label, "native");
	report_free(r);
}

TEST(ratio_of_zero_is_nan)
{
	EXPECT_TRUE(isnan(report_ratio(1, 0)));
	EXPECT_TRUE(isnan(report_ratio(0, 0)));
	EXPECT_NEAR(report_ratio(1, 4), 0.25, 0);
}

TEST(free_accepts_null)
{
	report_free(NULL);
}

/* ---- the host and vmm views ------------------------------------------------ */

#define VMX(reason) ((1LL << 32) | (reason))
#define VCPU(v, key) ((int64_t)(v) << 40 | (key))

TEST(guest_only_recording_has_no_other_views)
{
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_stat(&f, 0, "syscall", 0, "read", 1, 1);
	/* Host-view rows of kinds report does not know do not make a host view. */
	add_row(&f, 0, "host", "syscall", 0, "read", 9, 9, -1, 0);
	add_row(&f, 0, "vmm", "future-kind", 0, "x", 9, 9, -1, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_TRUE(!r->has_kvm && !r->has_domains && !r->has_vmm);
	EXPECT_TRUE(r->phases[0].host == NULL && r->phases[0].vmm == NULL);
	EXPECT_TRUE(r->total.host == NULL && r->total.vmm == NULL);
	EXPECT_INT(r->n_vms, 0);
	report_free(r);
}

/* Exits by reason: most time first, ties by more exits; every phase gets the view. */
TEST(host_exits_sorted_by_time_with_percentiles)
{
	const struct report_list *l;
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_row(&f, 0, "host", "exit", VMX(48), "EPT_VIOLATION", 10000, 20 * MS, 10, 2040);
	add_row(&f, 0, "host", "exit", VMX(30), "IO_INSTRUCTION", 5000, 50 * MS, 13, 16000);
	add_row(&f, 0, "host", "exit", VMX(12), "HLT", 100, 500 * MS, 22, 8 * MS);
	add_row(&f, 1, "host", "exit", VMX(48), "EPT_VIOLATION", 20000, 40 * MS, 10, 2040);
	add_row(&f, 1, "host", "exit", VMX(30), "IO_INSTRUCTION", 1000, 10 * MS, 13, 16000);
	add_row(&f, 1, "host", "exit", VMX(99), "", 1, 7, -1, 7);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_TRUE(r->has_kvm && !r->has_domains && !r->has_vmm);
	l = &r->phases[0].host->kvm[HVT_KVM_EXIT];
	EXPECT_INT(l->n, 3);
	EXPECT_INT(l->count, 15100);
	EXPECT_INT(l->sum_ns, 570 * MS);
	EXPECT_STR(l->items[0].name, "HLT");
	EXPECT_STR(l->items[1].name, "IO_INSTRUCTION");
	EXPECT_STR(l->items[2].name, "EPT_VIOLATION");
	EXPECT_INT(l->items[0].key, VMX(12));
	/* [2^22, 2^23): p50 6291456; p99 8346664.96 is above max 8 ms. */
	EXPECT_NEAR(l->items[0].p50_ns, 6291456, 1e-6);
	EXPECT_NEAR(l->items[0].p99_ns, 8 * MS, 1e-6);
	EXPECT_NEAR(l->items[0].mean_ns, 5 * MS, 1e-6);
	EXPECT_NEAR(l->items[0].share, 500.0 / 570, 1e-12);
	EXPECT_NEAR(l->items[2].p50_ns, 1536, 1e-9);
	/* Over the run EPT_VIOLATION and IO_INSTRUCTION tie at 60 ms: more exits first. */
	l = &r->total.host->kvm[HVT_KVM_EXIT];
	EXPECT_INT(l->n, 4);
	EXPECT_INT(l->count, 36101);
	EXPECT_STR(l->items[1].name, "EPT_VIOLATION");
	EXPECT_STR(l->items[2].name, "IO_INSTRUCTION");
	EXPECT_INT(l->items[1].count, 30000);
	EXPECT_INT(l->items[1].sum_ns, 60 * MS);
	/* An exit without a name keeps its key, as diff names it. */
	EXPECT_STR(l->items[3].name, "0x100000063");
	EXPECT_TRUE(l->timed);
	/* A phase without host rows has the view, empty. */
	EXPECT_INT(r->phases[1].host->kvm[HVT_KVM_UEXIT].n, 0);
	report_free(r);
}

/* --top: the rest as one latency, histograms merged; a count list's share is of counts. */
TEST(list_rest_adds_up_what_top_leaves_out)
{
	const struct report_list *l;
	struct report_lat rest;
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_row(&f, 0, "host", "exit", VMX(12), "HLT", 100, 500 * MS, 22, 8 * MS);
	add_row(&f, 0, "host", "exit", VMX(48), "EPT_VIOLATION", 10000, 20 * MS, 10, 2040);
	add_row(&f, 0, "host", "exit", VMX(32), "MSR_WRITE", 2000, 4 * MS, 10, 2047);
	add_row(&f, 0, "host", "exit", VMX(1), "EXTERNAL_INTERRUPT", 300, 900000, 11, 4000);
	add_row(&f, 0, "host", "pio", 65648, "0x70 out", 2500, 0, -1, 0);
	add_row(&f, 0, "host", "pio", 113, "0x71 in", 2500, 0, -1, 0);
	add_row(&f, 0, "host", "pio", 66552, "0x3f8 out", 10, 0, -1, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	l = &r->phases[0].host->kvm[HVT_KVM_EXIT];
	report_list_rest(l, 1, &rest);
	EXPECT_INT(rest.key, 3);
	EXPECT_INT(rest.count, 12300);
	EXPECT_INT(rest.sum_ns, 24900000);
	EXPECT_INT(rest.max_ns, 4000);
	EXPECT_NEAR(rest.mean_ns, 24900000.0 / 12300, 1e-9);
	/* 12,000 in [1024, 2048), 300 in [2048, 4096): r 6150 and 12177. */
	EXPECT_NEAR(rest.p50_ns, 1548.8, 1e-9);
	EXPECT_NEAR(rest.p99_ns, 3256.32, 1e-9);
	EXPECT_NEAR(rest.share, 24.9 / 524.9, 1e-12);
	EXPECT_TRUE(rest.name == NULL);
	report_list_rest(l, l->n, &rest);
	EXPECT_INT(rest.key, 0);
	EXPECT_INT(rest.count, 0);
	EXPECT_TRUE(isnan(rest.mean_ns) && isnan(rest.p50_ns));
	l = &r->phases[0].host->kvm[HVT_KVM_PIO];
	EXPECT_TRUE(!l->timed);
	EXPECT_INT(l->count, 5010);
	/* Counts tie: the smaller key first. */
	EXPECT_STR(l->items[0].name, "0x71 in");
	EXPECT_STR(l->items[1].name, "0x70 out");
	EXPECT_NEAR(l->items[0].share, 2500.0 / 5010, 1e-12);
	report_list_rest(l, 2, &rest);
	EXPECT_INT(rest.count, 10);
	EXPECT_NEAR(rest.share, 10.0 / 5010, 1e-12);
	report_free(r);
}

TEST(host_rows_per_vcpu_sum_by_vcpu)
{
	const struct report_host *h;
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_row(&f, 0, "host", "exit_vcpu", VCPU(1, VMX(48)), "EPT_VIOLATION", 4000, 8 * MS, 10,
		2040);
	add_row(&f, 0, "host", "exit_vcpu", VCPU(1, VMX(12)), "HLT", 60, 300 * MS, 22, 8 * MS);
	add_row(&f, 0, "host", "exit_vcpu", VCPU(0, VMX(48)), "EPT_VIOLATION", 6000, 12 * MS, 10,
		2040);
	add_row(&f, 0, "host", "exit_vcpu", VCPU(HVT_VCPU_UNKNOWN, VMX(1)), "EXTERNAL_INTERRUPT",
		300, 900000, 11, 4000);
	add_row(&f, 0, "host", "uexit_vcpu", VCPU(0, 2), "IO", 5000, 1400 * MS, 18, 520000);
	add_row(&f, 0, "host", "vmm_vcpu", VCPU(0, 2), "IO", 5000, 30 * MS, 12, 8000);
	add_row(&f, 1, "host", "exit_vcpu", VCPU(0, VMX(48)), "EPT_VIOLATION", 20000, 40 * MS, 10,
		2040);
	add_row(&f, 1, "host", "lost", 0, "kvm_aggs full", 7, 0, -1, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	h = r->phases[0].host;
	EXPECT_INT(h->n_vcpus, 3);
	EXPECT_INT(h->vcpus[0].vcpu, 0);
	EXPECT_INT(h->vcpus[1].vcpu, 1);
	EXPECT_INT(h->vcpus[2].vcpu, HVT_VCPU_UNKNOWN);
	EXPECT_INT(h->vcpus[1].lat[REPORT_VCPU_EXIT].count, 4060);
	EXPECT_INT(h->vcpus[1].lat[REPORT_VCPU_EXIT].sum_ns, 308 * MS);
	EXPECT_INT(h->vcpus[1].lat[REPORT_VCPU_EXIT].max_ns, 8 * MS);
	EXPECT_INT(h->vcpus[0].lat[REPORT_VCPU_UEXIT].count, 5000);
	EXPECT_INT(h->vcpus[0].lat[REPORT_VCPU_VMM].sum_ns, 30 * MS);
	EXPECT_INT(h->vcpus[2].lat[REPORT_VCPU_EXIT].count, 300);
	/* The per-vCPU copies are not exits by reason. */
	EXPECT_INT(h->kvm[HVT_KVM_EXIT].n, 0);
	EXPECT_INT(h->lost, 0);
	h = r->total.host;
	EXPECT_INT(h->vcpus[0].lat[REPORT_VCPU_EXIT].count, 26000);
	EXPECT_INT(h->vcpus[0].lat[REPORT_VCPU_EXIT].sum_ns, 52 * MS);
	EXPECT_NEAR(h->vcpus[0].lat[REPORT_VCPU_EXIT].mean_ns, 2000, 1e-9);
	EXPECT_INT(h->lost, 7);
	EXPECT_INT(r->phases[1].host->lost, 7);
	report_free(r);
}

TEST(libvirt_stats_by_vm_group_and_device)
{
	const struct report_host *h;
	const struct report_vm *vm;
	struct fake f;
	struct report *r;

	two_phases(&f);
	/* A merged recording keeps the host recording's meta as host.*. */
	add_meta(&f, "host.vm.0.name", "centos64");
	add_meta(&f, "host.vm.0.vcpus", "2");
	add_meta(&f, "vm.1.name", "other");
	add_row(&f, 0, "host", "vm.net.rx.bytes", 0, "vnet0", 4096, 0, -1, 0);
	add_row(&f, 0, "host", "vm.block.rd.reqs", 0, "vda", 1200, 0, -1, 0);
	add_row(&f, 0, "host", "vm.vcpu.time", 1, "vcpu1", 0, 700 * MS, -1, 0);
	add_row(&f, 0, "host", "vm.vcpu.time", 0, "vcpu0", 0, 900 * MS, -1, 0);
	add_row(&f, 0, "host", "vm.cpu.time", 0, "total", 0, 1900 * MS, -1, 0);
	add_row(&f, 0, "host", "vm.block.rd.bytes", 0, "vda", 9830400, 0, -1, 0);
	add_row(&f, 1, "host", "vm.cpu.time", 0, "total", 0, 2900 * MS, -1, 0);
	add_row(&f, 1, "host", "vm.cpu.time", 2LL << 32, "total", 0, 5 * MS, -1, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_TRUE(r->has_domains && !r->has_kvm);
	EXPECT_INT(r->n_vms, 3);
	vm = report_vm_find(r, 0);
	EXPECT_TRUE(vm && vm->name && !strcmp(vm->name, "centos64") && vm->vcpus == 2);
	vm = report_vm_find(r, 1);
	EXPECT_TRUE(vm && vm->name && !strcmp(vm->name, "other") && vm->vcpus == -1);
	vm = report_vm_find(r, 2);
	EXPECT_TRUE(vm && vm->name == NULL);
	h = r->phases[0].host;
	EXPECT_INT(h->n_vmstats, 6);
	/* cpu, vcpu, block, net; by index; by name. */
	EXPECT_STR(h->vmstats[0].stat, "cpu.time");
	EXPECT_STR(h->vmstats[1].device, "vcpu0");
	EXPECT_STR(h->vmstats[2].device, "vcpu1");
	EXPECT_STR(h->vmstats[3].stat, "block.rd.bytes");
	EXPECT_STR(h->vmstats[4].stat, "block.rd.reqs");
	EXPECT_STR(h->vmstats[5].stat, "net.rx.bytes");
	EXPECT_INT(h->vmstats[0].unit, REPORT_UNIT_NS);
	EXPECT_INT(h->vmstats[0].value, 1900 * MS);
	EXPECT_INT(h->vmstats[3].unit, REPORT_UNIT_BYTES);
	EXPECT_INT(h->vmstats[3].value, 9830400);
	EXPECT_INT(h->vmstats[4].unit, REPORT_UNIT_COUNT);
	EXPECT_INT(h->vmstats[4].value, 1200);
	h = r->total.host;
	EXPECT_INT(h->n_vmstats, 7);
	EXPECT_INT(h->vmstats[0].value, 4800 * MS);
	EXPECT_INT(h->vmstats[6].vm, 2);
	EXPECT_INT(h->vmstats[6].value, 5 * MS);
	report_free(r);
}

/* A merged recording's vmm view: the VMM process's figures, summed like the guest's. */
TEST(vmm_view_has_the_guest_views_figures)
{
	struct fake f;
	struct report *r;
	const struct report_phase *v;

	two_phases(&f);
	add_stat(&f, 0, "syscall", 0, "read", 100, 400000);
	add_row(&f, 0, "vmm", "syscall", 16, "ioctl", 5000, 1450 * MS, 18, 520000);
	add_row(&f, 0, "vmm", "syscall", 271, "ppoll", 1000, 2000 * MS, 20, 2 * MS);
	add_row(&f, 0, "vmm", "fault", HVT_FAULT_USER_WRITE, "user-write", 500, 0, -1, 0);
	add_row(&f, 1, "vmm", "syscall", 16, "ioctl", 1000, 300 * MS, 18, 500000);
	add_row(&f, 1, "vmm", "sched", HVT_SCHED_ONCPU, "oncpu", 0, 600 * MS, -1, 0);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_TRUE(r->has_vmm && !r->has_kvm);
	v = r->phases[0].vmm;
	EXPECT_TRUE(v != NULL);
	if (!v)
		goto out;
	EXPECT_INT(v->syscall_count, 6000);
	EXPECT_STR(v->syscalls[0].name, "ppoll");
	EXPECT_INT(v->faults, 500);
	EXPECT_INT(r->phases[0].syscall_count, 100);	/* the guest's own, apart */
	EXPECT_INT(r->phases[1].vmm->oncpu_ns, 600 * MS);
	v = r->total.vmm;
	EXPECT_INT(v->syscall_count, 7000);
	EXPECT_INT(v->syscall_ns, 3750 * MS);
	EXPECT_STR(v->syscalls[1].name, "ioctl");
	EXPECT_INT(v->syscalls[1].count, 6000);
	EXPECT_INT(r->total.syscall_count, 100);
out:
	report_free(r);
}

/* Host rows of a phase missing from the phase table get a phase, as guest rows do. */
TEST(host_rows_of_a_missing_phase_get_a_phase)
{
	struct fake f;
	struct report *r;

	two_phases(&f);
	add_row(&f, 7, "host", "exit", VMX(12), "HLT", 3, 30, -1, 10);
	r = report_build(&f.rec);
	if (!r) {
		FAIL("report_build failed");
		return;
	}
	EXPECT_INT(r->n_phases, 3);
	EXPECT_STR(r->phases[2].name, "phase-7");
	EXPECT_INT(r->phases[2].host->kvm[HVT_KVM_EXIT].count, 3);
	EXPECT_INT(r->phases[0].host->kvm[HVT_KVM_EXIT].count, 0);
	EXPECT_INT(r->total.host->kvm[HVT_KVM_EXIT].count, 3);
	report_free(r);
}
