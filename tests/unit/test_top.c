// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model behind `hvtrace top`, fed with made-up cumulative aggregates as
 * the BPF maps would hold them: interval deltas, vCPUs summed, the VMM's time
 * joined to its userspace exits, sorting, the KVM state; and the text and
 * JSON printers against their goldens (tests/fixtures/top/, run from the
 * source tree). UPDATE_GOLDEN=1 rewrites the goldens (review the diff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "top.h"

#define FIX "tests/fixtures/top/"
#define SVM_IO (2ULL << 32 | 0x7b)		/* HVT_KVM_ISA_SVM, SVM_EXIT_IOIO */
#define SVM_NPF (2ULL << 32 | 0x400)
#define SVM_HLT (2ULL << 32 | 0x78)
#define UEXIT_IO 2				/* KVM_EXIT_IO */
#define UEXIT_HLT 5
#define UEXIT_MMIO 6
#define PIO_OUT(port) (1ULL << 16 | (port))
#define MMIO_WRITE(gpa) ((gpa) | 2)

static struct hvt_agg sys[HVT_NR_SYSCALLS];
static struct hvt_counts counts;
static struct hvt_agg runq;

static void feed(struct top_model *m, enum hvt_kvm_kind kind, unsigned int vcpu, uint64_t key,
		 uint64_t count, uint64_t sum_ns)
{
	struct hvt_agg a = { .count = count, .sum_ns = sum_ns };

	top_model_kvm(m, kind, vcpu, key, &a);
}

static void guest_zero(void)
{
	memset(sys, 0, sizeof(sys));
	memset(&counts, 0, sizeof(counts));
	memset(&runq, 0, sizeof(runq));
}

static const struct top_row *find(const struct top_snap *s, enum hvt_kvm_kind kind, uint64_t key)
{
	size_t i;

	for (i = 0; i < s->n_rows; i++)
		if (s->rows[i].kind == kind && s->rows[i].key == key)
			return &s->rows[i];
	return NULL;
}

TEST(top_model_sums_vcpus_and_takes_deltas)
{
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };
	const struct top_row *r;

	top_model_begin(m);
	feed(m, HVT_KVM_EXIT, 0, SVM_IO, 10, 1000);
	feed(m, HVT_KVM_EXIT, 1, SVM_IO, 5, 500);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x10), 3, 0);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	r = find(&s, HVT_KVM_EXIT, SVM_IO);
	EXPECT_TRUE(r != NULL);
	if (r) {
		EXPECT_INT(r->count, 15);
		EXPECT_INT(r->sum_ns, 1500);
		EXPECT_STR(r->name, "io");
	}
	EXPECT_INT(s.n_rows, 2);
	EXPECT_INT(s.kvm, TOP_KVM_ACTIVE);
	EXPECT_TRUE(s.exits_seen);

	top_model_begin(m);
	feed(m, HVT_KVM_EXIT, 0, SVM_IO, 12, 1300);
	feed(m, HVT_KVM_EXIT, 1, SVM_IO, 5, 500);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x10), 3, 0);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	EXPECT_INT(s.n_rows, 1);	/* the port had nothing new */
	r = find(&s, HVT_KVM_EXIT, SVM_IO);
	EXPECT_TRUE(r && r->count == 2 && r->sum_ns == 300);
	top_snap_free(&s);
	top_model_free(m);
}

TEST(top_model_joins_vmm_time_to_userspace_exits)
{
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };
	const struct top_row *io, *hlt;
	size_t i;

	top_model_begin(m);
	feed(m, HVT_KVM_UEXIT, 0, UEXIT_IO, 4, 400);
	feed(m, HVT_KVM_VMM, 0, UEXIT_IO, 3, 9000);
	/* HLT's exit was in an earlier interval, the VMM's answer in this one. */
	feed(m, HVT_KVM_VMM, 0, UEXIT_HLT, 1, 100);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	io = find(&s, HVT_KVM_UEXIT, UEXIT_IO);
	hlt = find(&s, HVT_KVM_UEXIT, UEXIT_HLT);
	EXPECT_TRUE(io && io->count == 4 && io->sum_ns == 400 && io->vmm_count == 3 &&
		    io->vmm_ns == 9000);
	EXPECT_TRUE(hlt && hlt->count == 0 && hlt->vmm_count == 1 && hlt->vmm_ns == 100);
	EXPECT_INT(s.vmm_ns, 9100);
	for (i = 0; i < s.n_rows; i++)
		EXPECT_TRUE(s.rows[i].kind != HVT_KVM_VMM);
	EXPECT_TRUE(!s.exits_seen);
	top_snap_free(&s);
	top_model_free(m);
}

TEST(top_model_sorts_by_count_within_each_kind)
{
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };

	top_model_begin(m);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x70), 1, 0);
	feed(m, HVT_KVM_MMIO, 0, MMIO_WRITE(0xfee00000ULL), 9, 0);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x3f8), 50, 0);
	feed(m, HVT_KVM_EXIT, 0, SVM_NPF, 2, 10);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x80), 7, 0);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	EXPECT_INT(s.n_rows, 5);
	if (s.n_rows == 5) {
		EXPECT_INT(s.rows[0].kind, HVT_KVM_EXIT);
		EXPECT_INT(s.rows[1].key, PIO_OUT(0x3f8));
		EXPECT_INT(s.rows[2].key, PIO_OUT(0x80));
		EXPECT_INT(s.rows[3].key, PIO_OUT(0x70));
		EXPECT_INT(s.rows[4].kind, HVT_KVM_MMIO);
	}
	top_snap_free(&s);
	top_model_free(m);
}

TEST(top_model_says_idle_and_unavailable)
{
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };

	top_model_begin(m);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	EXPECT_INT(s.kvm, TOP_KVM_IDLE);
	EXPECT_INT(s.n_rows, 0);
	top_model_begin(m);
	EXPECT_INT(top_model_end(m, 1.0, 0, &s), 0);
	EXPECT_INT(s.kvm, TOP_KVM_UNAVAILABLE);
	/* Activity long ago keeps the state active in a quiet interval. */
	top_model_begin(m);
	feed(m, HVT_KVM_UEXIT, 0, UEXIT_IO, 1, 1);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	top_model_begin(m);
	feed(m, HVT_KVM_UEXIT, 0, UEXIT_IO, 1, 1);
	EXPECT_INT(top_model_end(m, 1.0, 1, &s), 0);
	EXPECT_INT(s.kvm, TOP_KVM_ACTIVE);
	EXPECT_INT(s.n_rows, 0);
	top_snap_free(&s);
	top_model_free(m);
}

TEST(top_model_takes_guest_view_deltas)
{
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };

	guest_zero();
	sys[110].count = 100;	/* getppid */
	sys[110].sum_ns = 5000;
	counts.fault[HVT_FAULT_USER_WRITE] = 4;
	counts.sched[HVT_SCHED_INVOLUNTARY] = 1;
	top_model_begin(m);
	top_model_guest(m, sys, &counts, &runq);
	EXPECT_INT(top_model_end(m, 1.0, 0, &s), 0);
	EXPECT_INT(s.syscalls, 100);
	sys[110].count = 150;
	sys[110].sum_ns = 7000;
	sys[16].count = 2;	/* ioctl */
	counts.fault[HVT_FAULT_USER_WRITE] = 6;
	counts.fault[HVT_FAULT_KERNEL_READ] = 1;
	counts.sched[HVT_SCHED_VOLUNTARY] = 3;
	counts.proc[HVT_PROC_FORK] = 1;
	runq.count = 2;
	runq.sum_ns = 800;
	top_model_begin(m);
	top_model_guest(m, sys, &counts, &runq);
	EXPECT_INT(top_model_end(m, 2.0, 0, &s), 0);
	EXPECT_INT(s.syscalls, 52);
	EXPECT_INT(s.n_sys, 2);
	if (s.n_sys == 2) {
		EXPECT_STR(s.sys[0].name, "getppid");
		EXPECT_INT(s.sys[0].count, 50);
		EXPECT_INT(s.sys[0].sum_ns, 2000);
		EXPECT_STR(s.sys[1].name, "ioctl");
	}
	EXPECT_INT(s.faults, 3);
	EXPECT_INT(s.faults_user, 2);
	EXPECT_INT(s.ctx_voluntary, 3);
	EXPECT_INT(s.ctx_involuntary, 0);
	EXPECT_INT(s.forks, 1);
	EXPECT_INT(s.runq_count, 2);
	EXPECT_INT(s.runq_ns, 800);
	top_snap_free(&s);
	top_model_free(m);
}

/* ---- the printers against their goldens --------------------------------------- */

/* A busy interval of a 2-vCPU VMM, 2 s long, after a first read. */
static void busy_snapshot(struct top_snap *s)
{
	struct top_model *m = top_model_new();

	guest_zero();
	top_model_begin(m);
	feed(m, HVT_KVM_EXIT, 0, SVM_IO, 100, 100000);
	top_model_guest(m, sys, &counts, &runq);
	top_model_end(m, 1.0, 1, s);

	top_model_begin(m);
	feed(m, HVT_KVM_EXIT, 0, SVM_IO, 1100, 1300000);
	feed(m, HVT_KVM_EXIT, 1, SVM_IO, 1000, 1000000);
	feed(m, HVT_KVM_EXIT, 0, SVM_NPF, 300, 900000);
	feed(m, HVT_KVM_EXIT, 1, SVM_HLT, 4, 20000);
	feed(m, HVT_KVM_EXIT_UNPAIRED, 0, SVM_IO, 1, 0);
	feed(m, HVT_KVM_UEXIT, 0, UEXIT_IO, 2000, 3000000);
	feed(m, HVT_KVM_UEXIT, 1, UEXIT_MMIO, 300, 600000);
	feed(m, HVT_KVM_UEXIT, 1, UEXIT_HLT, 1, 1000);
	feed(m, HVT_KVM_VMM, 0, UEXIT_IO, 2000, 8000000);
	feed(m, HVT_KVM_VMM, 1, UEXIT_MMIO, 300, 1500000);
	feed(m, HVT_KVM_PIO, 0, PIO_OUT(0x10), 1990, 0);
	feed(m, HVT_KVM_PIO, 1, PIO_OUT(0x3f8), 10, 0);
	feed(m, HVT_KVM_MMIO, 1, MMIO_WRITE(0x10000ULL), 300, 0);
	feed(m, HVT_KVM_MSR, 0, 1ULL << 32 | 0x6e0, 6, 0);
	feed(m, HVT_KVM_PF, 0, 0x2 | 0x20, 300, 0);
	feed(m, HVT_KVM_PF, 0, 0x2 | 0x4 | 0x8 | 0x20, 2, 0);	/* a long name widens the table */
	feed(m, HVT_KVM_HALT, 1, 1, 4, 4000000);
	sys[16].count = 2301;	/* ioctl */
	sys[16].sum_ns = 12000000;
	sys[1].count = 20;	/* write */
	sys[1].sum_ns = 40000;
	counts.fault[HVT_FAULT_USER_READ] = 8;
	counts.sched[HVT_SCHED_VOLUNTARY] = 30;
	counts.sched[HVT_SCHED_INVOLUNTARY] = 2;
	counts.sched[HVT_SCHED_ONCPU] = 1500000000;
	runq.count = 32;
	runq.sum_ns = 320000;
	top_model_kvm_lost(m, 0);
	top_model_guest(m, sys, &counts, &runq);
	top_model_end(m, 2.0, 1, s);
	top_model_free(m);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Compares what print wrote with the golden at path (or writes it). */
static void golden(int *failed, const char *path, const char *got)
{
	char *want;
	FILE *f;

	if (getenv("UPDATE_GOLDEN")) {
		f = fopen(path, "we");
		if (!f || fputs(got, f) < 0)
			FAIL("cannot write %s", path);
		if (f)
			fclose(f);
		return;
	}
	want = slurp(path);
	if (!want)
		FAIL("no golden %s (UPDATE_GOLDEN=1 writes it)", path);
	else if (strcmp(want, got))
		FAIL("output differs from %s; got:\n%s", path, got);
	free(want);
}

enum fmt { TEXT, JSON };

static char *print(enum fmt fmt, const struct top_info *info, const struct top_snap *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (fmt == TEXT)
		top_print_text(f, info, s, NULL);
	else
		top_print_json(f, info, s);
	fclose(f);
	return buf;
}

TEST(top_text_matches_golden)
{
	struct top_info info = { .target = "pid 4242 (qemu-system-x86)", .probes_missing = "" };
	struct top_snap s = { 0 };
	char *out;

	busy_snapshot(&s);
	out = print(TEXT, &info, &s);
	golden(failed, FIX "busy.txt", out);
	free(out);
	top_snap_free(&s);
}

TEST(top_json_matches_golden)
{
	struct top_info info = { .target = "pid 4242 (qemu-system-x86)", .probes_missing = "" };
	struct top_snap s = { 0 };
	char *out;

	busy_snapshot(&s);
	s.ended = 1;
	out = print(JSON, &info, &s);
	golden(failed, FIX "busy.json", out);
	free(out);
	top_snap_free(&s);
}

TEST(top_text_limits_rows_per_table)
{
	struct top_info info = { .target = "pid 1", .probes_missing = "" };
	struct top_print_opts po = { .max_rows = 1, .title_extra = "12:00:00, q quits" };
	struct top_snap s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	busy_snapshot(&s);
	top_print_text(f, &info, &s, &po);
	fclose(f);
	EXPECT_TRUE(strstr(buf, "last 2.00 s, 12:00:00, q quits\n") != NULL);
	EXPECT_TRUE(strstr(buf, "  ... 2 more\n") != NULL);	/* exits: npf, hlt */
	EXPECT_TRUE(strstr(buf, "  npf ") == NULL);
	free(buf);
	top_snap_free(&s);
}

/* Each state without KVM events says so in words, in both formats. */
TEST(top_printers_say_why_there_is_no_table)
{
	struct top_info info = { .target = "pid 7 (sleep)", .probes_missing = "",
				 .kvm_why = "this kernel has no KVM tracepoints (no KVM, or the "
					    "kvm module is not loaded)" };
	struct top_model *m = top_model_new();
	struct top_snap s = { 0 };
	char *out;

	guest_zero();
	top_model_begin(m);
	top_model_guest(m, sys, &counts, &runq);
	top_model_end(m, 1.0, 1, &s);
	out = print(TEXT, &info, &s);
	EXPECT_TRUE(strstr(out, "no KVM activity from pid 7 (sleep) since top started") != NULL);
	free(out);
	out = print(JSON, &info, &s);
	EXPECT_TRUE(strstr(out, "\"state\": \"idle\"") != NULL);
	free(out);

	top_model_begin(m);
	top_model_guest(m, sys, &counts, &runq);
	top_model_end(m, 1.0, 0, &s);
	out = print(TEXT, &info, &s);
	EXPECT_TRUE(strstr(out, "no KVM view: this kernel has no KVM tracepoints") != NULL);
	free(out);

	top_model_begin(m);
	feed(m, HVT_KVM_UEXIT, 0, UEXIT_IO, 5, 50);
	top_model_guest(m, sys, &counts, &runq);
	top_model_end(m, 1.0, 1, &s);
	out = print(TEXT, &info, &s);
	EXPECT_TRUE(strstr(out, "no VM exits: kvm_exit did not fire") != NULL);
	EXPECT_TRUE(strstr(out, "Userspace exits") != NULL);
	free(out);
	top_snap_free(&s);
	top_model_free(m);
}
