// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Replays KVM event sequences through bpf/kvm_pair.h, the code that
 * bpf/host_kvm.bpf.c runs, and checks the aggregates exactly. The harness
 * stands in for the BPF side only where BPF needs helpers: per-thread state
 * (task storage there, a small table here) and the aggregate map.
 *
 * A sequence is one event per line: "TIME_NS TID EVENT ARGS...":
 *   exit ISA REASON VCPU     kvm_exit (ISA: vmx, svm or a number)
 *   entry VCPU               kvm_entry
 *   run VCPU                 KVM_RUN ioctl entered on that vCPU's fd (sys_enter)
 *   ioctl CMD VCPU           another ioctl entered on a vCPU fd (sys_enter)
 *   sysexit                  the thread's syscall returns (sys_exit)
 *   tracked                  the thread came into scope inside a syscall: the
 *                            guest view has no entry time for it
 * Before each KVM event the harness does what cur_thread() does
 * (bpf/kvm_host.bpf.h): a KVM_RUN whose entry the pairing has not seen is
 * replayed first with its entry time (hvt_kvm_run_pending()).
 *   uexit REASON ERRNO       kvm_userspace_exit (ERRNO 0 or negative)
 *   pio in|out PORT          kvm_pio
 *   mmio TYPE GPA            kvm_mmio (0 unsatisfied read, 1 read, 2 write)
 *   msr r|w MSR              kvm_msr
 *   phase N                  the recording's phase becomes N
 */
#include <stdint.h>
#include "unit.h"
#include "kvm_pair.h"
#include "exit_reason.h"
#include "host_view.h"

#define MAX_THREADS 8
#define MAX_AGGS 64
#define CLOCK_BASE 1000000000ULL

struct replay {
	struct {
		int tid;
		struct hvt_kvm_thread s;
		/* The guest view's struct hvt_task, and the ioctl's arguments. */
		long long nr;
		unsigned long long enter_ns;
		unsigned int cmd;
		int vcpu;
	} thr[MAX_THREADS];
	int nthr;
	struct {
		struct hvt_kvm_key k;
		struct hvt_agg a;
	} agg[MAX_AGGS];
	int nagg;
	unsigned int phase;
	int bad;		/* a line that did not parse, or a full table */
};

/* Task storage: zeroed state on first use, as BPF_LOCAL_STORAGE_GET_F_CREATE gives. */
static int thread(struct replay *r, int tid)
{
	int i;

	for (i = 0; i < r->nthr; i++)
		if (r->thr[i].tid == tid)
			return i;
	if (r->nthr == MAX_THREADS) {
		r->bad = 1;
		return -1;
	}
	r->thr[r->nthr].tid = tid;
	return r->nthr++;
}

static struct hvt_agg *agg_of(struct replay *r, unsigned int phase, int kind, int vcpu,
			      uint64_t key, int create)
{
	int i;

	for (i = 0; i < r->nagg; i++)
		if (r->agg[i].k.phase == phase && r->agg[i].k.kind == kind &&
		    r->agg[i].k.vcpu == vcpu && r->agg[i].k.key == key)
			return &r->agg[i].a;
	if (!create || r->nagg == MAX_AGGS)
		return NULL;
	r->agg[r->nagg].k = (struct hvt_kvm_key){ phase, kind, vcpu, key };
	return &r->agg[r->nagg++].a;
}

/* What host_kvm.bpf.c's commit() does with a record. */
static void commit(struct replay *r, int n, const struct hvt_kvm_rec *rec)
{
	struct hvt_agg *a;

	if (!n)
		return;
	a = agg_of(r, r->phase, rec->kind, rec->vcpu, rec->key, 1);
	if (a)
		hvt_kvm_apply(a, rec);
	else
		r->bad = 1;
}

static unsigned int parse_isa(const char *s)
{
	if (!strcmp(s, "vmx"))
		return HVT_KVM_ISA_VMX;
	if (!strcmp(s, "svm"))
		return HVT_KVM_ISA_SVM;
	return strtoul(s, NULL, 0);
}

/* The same steps as the BPF programs, per event. */
static void replay(struct replay *r, const char *text)
{
	char line[256], ev[16], a1[32], a2[32], a3[32];
	struct hvt_kvm_thread *t;
	struct hvt_kvm_rec rec;
	unsigned long long now;
	const char *p = text;
	int tid, n, i;

	while (*p) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		a1[0] = a2[0] = a3[0] = '\0';
		n = sscanf(line, "%llu %d %15s %31s %31s %31s", &now, &tid, ev, a1, a2, a3);
		if (n < 3) {
			if (line[strspn(line, " \t")])
				r->bad = 1;
			continue;
		}
		i = thread(r, tid);
		if (i < 0)
			return;
		t = &r->thr[i].s;
		/* A clock that never reads 0: 0 is the guest view's "not in a syscall". */
		now += CLOCK_BASE;
		if (!strcmp(ev, "run") || !strcmp(ev, "ioctl")) {
			r->thr[i].nr = HVT_NR_IOCTL;
			r->thr[i].enter_ns = now;
			r->thr[i].cmd = !strcmp(ev, "run") ? HVT_KVM_RUN : strtoul(a1, NULL, 0);
			r->thr[i].vcpu = atoi(!strcmp(ev, "run") ? a1 : a2);
			continue;
		}
		if (!strcmp(ev, "sysexit") || !strcmp(ev, "tracked")) {
			r->thr[i].enter_ns = 0;
			r->thr[i].nr = !strcmp(ev, "tracked") ? HVT_NR_IOCTL : 0;
			continue;
		}
		if (!strcmp(ev, "phase")) {
			r->phase = atoi(a1);
			continue;
		}
		/* cur_thread(): a KVM_RUN not yet seen is entered first, at its own time. */
		if (hvt_kvm_run_pending(t, r->thr[i].nr, r->thr[i].enter_ns) &&
		    r->thr[i].cmd == HVT_KVM_RUN)
			commit(r, hvt_kvm_on_run(t, r->thr[i].enter_ns,
						 hvt_kvm_vcpu(r->thr[i].vcpu), &rec), &rec);
		if (!strcmp(ev, "exit"))
			commit(r, hvt_kvm_on_exit(t, now, parse_isa(a1), strtoul(a2, NULL, 0),
						  hvt_kvm_vcpu(atoi(a3)), &rec), &rec);
		else if (!strcmp(ev, "entry"))
			commit(r, hvt_kvm_on_entry(t, now, hvt_kvm_vcpu(atoi(a1)), &rec), &rec);
		else if (!strcmp(ev, "uexit"))
			commit(r, hvt_kvm_on_uexit(t, now, strtoul(a1, NULL, 0), atoi(a2), &rec),
			       &rec);
		else if (!strcmp(ev, "pio"))
			commit(r, hvt_kvm_count(&rec, HVT_KVM_PIO, hvt_kvm_cur_vcpu(t),
						hvt_kvm_pio_key(!strcmp(a1, "out"),
								strtoul(a2, NULL, 0))), &rec);
		else if (!strcmp(ev, "mmio"))
			commit(r, hvt_kvm_count(&rec, HVT_KVM_MMIO, hvt_kvm_cur_vcpu(t),
						hvt_kvm_mmio_key(atoi(a1), strtoull(a2, NULL, 0))),
			       &rec);
		else if (!strcmp(ev, "msr"))
			commit(r, hvt_kvm_count(&rec, HVT_KVM_MSR, hvt_kvm_cur_vcpu(t),
						hvt_kvm_msr_key(!strcmp(a1, "w"),
								strtoul(a2, NULL, 0), 0)), &rec);
		else
			r->bad = 1;
	}
}

/* An aggregate as the recording shows it: one vCPU, or all summed (vcpu -1). */
static struct hvt_agg get(struct replay *r, unsigned int phase, int kind, int vcpu, uint64_t key)
{
	struct hvt_agg sum = { 0 };
	int i;

	for (i = 0; i < r->nagg; i++)
		if (r->agg[i].k.phase == phase && r->agg[i].k.kind == kind &&
		    r->agg[i].k.key == key && (vcpu < 0 || r->agg[i].k.vcpu == vcpu))
			hvt_agg_merge(&sum, &r->agg[i].a);
	return sum;
}

static int hist_total(const struct hvt_agg *a)
{
	int i, n = 0;

	for (i = 0; i < HVT_HIST_SLOTS; i++)
		n += a->hist[i];
	return n;
}

#define VMX(reason) hvt_kvm_exit_key(HVT_KVM_ISA_VMX, reason)
#define SVM(reason) hvt_kvm_exit_key(HVT_KVM_ISA_SVM, reason)

TEST(exit_entry_pair_gives_latency_and_bucket)
{
	struct replay r = { 0 };
	struct hvt_agg a;

	replay(&r, "1000 7 exit vmx 30 0\n"
		   "1600 7 entry 0\n"
		   "2000 7 exit vmx 30 0\n"
		   "3024 7 entry 0\n");
	EXPECT_INT(r.bad, 0);
	a = get(&r, 0, HVT_KVM_EXIT, 0, VMX(30));
	EXPECT_INT(a.count, 2);
	EXPECT_INT(a.sum_ns, 600 + 1024);
	EXPECT_INT(a.max_ns, 1024);
	EXPECT_INT(a.hist[9], 1);	/* 600 in [512, 1024) */
	EXPECT_INT(a.hist[10], 1);	/* 1024 in [1024, 2048) */
	EXPECT_INT(hist_total(&a), 2);
	EXPECT_INT(hvt_agg_min(&a), 512);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT_UNPAIRED, -1, VMX(30)).count, 0);
}

TEST(interleaved_vcpus_pair_per_thread)
{
	struct replay r = { 0 };
	struct hvt_agg v0, v1, all;

	/* Two vCPU threads; their events interleave in time. */
	replay(&r, "100 1 exit vmx 48 0\n"
		   "150 2 exit vmx 48 1\n"
		   "170 2 entry 1\n"
		   "300 1 entry 0\n"
		   "400 2 exit vmx 1 1\n"
		   "410 1 exit vmx 1 0\n"
		   "1400 2 entry 1\n"
		   "1420 1 entry 0\n");
	EXPECT_INT(r.bad, 0);
	v0 = get(&r, 0, HVT_KVM_EXIT, 0, VMX(48));
	v1 = get(&r, 0, HVT_KVM_EXIT, 1, VMX(48));
	all = get(&r, 0, HVT_KVM_EXIT, -1, VMX(48));
	EXPECT_INT(v0.count, 1);
	EXPECT_INT(v0.sum_ns, 200);
	EXPECT_INT(v1.count, 1);
	EXPECT_INT(v1.sum_ns, 20);
	EXPECT_INT(all.count, 2);
	EXPECT_INT(all.sum_ns, 220);
	EXPECT_INT(all.max_ns, 200);
	EXPECT_INT(all.hist[7], 1);	/* 200 */
	EXPECT_INT(all.hist[4], 1);	/* 20 */
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 0, VMX(1)).sum_ns, 1010);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 1, VMX(1)).sum_ns, 1000);
}

TEST(missing_entry_counts_the_exit_unpaired)
{
	struct replay r = { 0 };
	struct hvt_agg a;

	/* The entry after exit 30 was lost: the next exit must not inherit its start. */
	replay(&r, "100 3 exit vmx 30 0\n"
		   "200 3 exit vmx 12 0\n"
		   "260 3 entry 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, -1, VMX(30)).count, 0);
	a = get(&r, 0, HVT_KVM_EXIT_UNPAIRED, 0, VMX(30));
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 0);
	EXPECT_INT(hist_total(&a), 0);
	a = get(&r, 0, HVT_KVM_EXIT, 0, VMX(12));
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 60);
}

TEST(entry_of_another_vcpu_does_not_pair)
{
	struct replay r = { 0 };

	replay(&r, "100 4 exit vmx 30 2\n"
		   "500 4 entry 3\n"
		   "600 4 entry 2\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, -1, VMX(30)).count, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT_UNPAIRED, 2, VMX(30)).count, 1);
}

TEST(entry_without_exit_counts_nothing)
{
	struct replay r = { 0 };

	replay(&r, "100 4 entry 0\n200 4 entry 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(r.nagg, 0);
}

TEST(back_to_back_exits_land_in_low_buckets)
{
	struct replay r = { 0 };
	struct hvt_agg a;

	replay(&r, "10 5 exit vmx 52 0\n10 5 entry 0\n"
		   "10 5 exit vmx 52 0\n11 5 entry 0\n"
		   "11 5 exit vmx 52 0\n13 5 entry 0\n"
		   "13 5 exit vmx 52 0\n16 5 entry 0\n");
	EXPECT_INT(r.bad, 0);
	a = get(&r, 0, HVT_KVM_EXIT, 0, VMX(52));
	EXPECT_INT(a.count, 4);
	EXPECT_INT(a.sum_ns, 0 + 1 + 2 + 3);
	EXPECT_INT(a.hist[0], 2);	/* 0 and 1 */
	EXPECT_INT(a.hist[1], 2);	/* 2 and 3 */
	EXPECT_INT(a.max_ns, 3);
	EXPECT_INT(hvt_agg_min(&a), 0);
}

TEST(unknown_reason_is_kept_and_named_by_number)
{
	struct replay r = { 0 };
	char buf[64];

	replay(&r, "100 6 exit vmx 0x1234 0\n150 6 entry 0\n"
		   "200 6 exit svm 0x4ff 0\n300 6 entry 0\n"
		   "400 6 exit 7 0x63 0\n450 6 entry 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 0, VMX(0x1234)).sum_ns, 50);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 0, SVM(0x4ff)).sum_ns, 100);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 0, hvt_kvm_exit_key(7, 0x63)).sum_ns, 50);
	EXPECT_STR(host_view_key_name(HVT_KVM_EXIT, VMX(0x1234), buf, sizeof(buf)), "VMX 4660");
	EXPECT_STR(host_view_key_name(HVT_KVM_EXIT, SVM(0x4ff), buf, sizeof(buf)), "SVM 0x4ff");
	EXPECT_STR(host_view_key_name(HVT_KVM_EXIT, hvt_kvm_exit_key(7, 0x63), buf, sizeof(buf)),
		   "isa 7 reason 0x63");
}

TEST(same_code_on_vmx_and_svm_stays_apart)
{
	struct replay r = { 0 };
	char buf[64];

	replay(&r, "0 1 exit vmx 0x78 0\n5 1 entry 0\n0 2 exit svm 0x78 1\n9 2 entry 1\n");
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, -1, VMX(0x78)).sum_ns, 5);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, -1, SVM(0x78)).sum_ns, 9);
	EXPECT_STR(host_view_key_name(HVT_KVM_EXIT, SVM(0x78), buf, sizeof(buf)), "hlt");
	EXPECT_STR(host_view_key_name(HVT_KVM_EXIT, VMX(30), buf, sizeof(buf)),
		   "IO_INSTRUCTION");
}

TEST(userspace_exits_time_in_run_and_in_vmm)
{
	struct replay r = { 0 };
	struct hvt_agg a;

	/* The mini VMM's life: IO, MMIO, then HLT and no more KVM_RUN. */
	replay(&r, "0 9 run 0\n"
		   "500 9 pio out 0x10\n"
		   "510 9 uexit 2 0\n"
		   "800 9 run 0\n"
		   "900 9 mmio 2 0x10000\n"
		   "1000 9 uexit 6 0\n"
		   "1100 9 run 0\n"
		   "2000 9 uexit 5 0\n");
	EXPECT_INT(r.bad, 0);
	a = get(&r, 0, HVT_KVM_UEXIT, 0, 2);
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 510);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 6).sum_ns, 200);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 5).sum_ns, 900);
	a = get(&r, 0, HVT_KVM_VMM, 0, 2);
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 290);
	EXPECT_INT(a.hist[8], 1);	/* 290 in [256, 512) */
	EXPECT_INT(get(&r, 0, HVT_KVM_VMM, 0, 6).sum_ns, 100);
	EXPECT_INT(get(&r, 0, HVT_KVM_VMM, -1, 5).count, 0);	/* it never came back */
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, 0, hvt_kvm_pio_key(1, 0x10)).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_MMIO, 0, 0x10002).count, 1);
}

TEST(userspace_exit_before_any_run_is_unpaired)
{
	struct replay r = { 0 };
	struct hvt_agg a;

	/* Recording began while the thread was inside KVM_RUN. */
	replay(&r, "100 2 uexit 2 0\n"
		   "150 2 run 1\n"
		   "300 2 uexit 2 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT_UNPAIRED, HVT_VCPU_UNKNOWN, 2).count, 1);
	a = get(&r, 0, HVT_KVM_UEXIT, 1, 2);
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 150);
	/* The VMM time after the unpaired exit is real, its vCPU unknown. */
	a = get(&r, 0, HVT_KVM_VMM, HVT_VCPU_UNKNOWN, 2);
	EXPECT_INT(a.count, 1);
	EXPECT_INT(a.sum_ns, 50);
}

TEST(interrupted_and_failed_runs_are_keyed_apart)
{
	struct replay r = { 0 };
	char buf[64];

	replay(&r, "0 1 run 0\n10 1 uexit 2 -4\n20 1 run 0\n30 1 uexit 2 -14\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 10).count, 1);	/* KVM_EXIT_INTR */
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, HVT_UEXIT_ERRNO + 14).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, -1, 2).count, 0);
	EXPECT_STR(host_view_key_name(HVT_KVM_UEXIT, 10, buf, sizeof(buf)), "INTR");
	EXPECT_STR(host_view_key_name(HVT_KVM_UEXIT, HVT_UEXIT_ERRNO + 14, buf, sizeof(buf)),
		   "error EFAULT");
}

TEST(io_counts_go_to_the_running_vcpu)
{
	struct replay r = { 0 };

	replay(&r, "0 1 run 3\n1 1 pio out 0x10\n2 1 pio out 0x10\n3 1 pio in 0x60\n"
		   "4 1 mmio 2 0xfee00b0\n5 1 msr w 0x6e0\n6 1 uexit 2 0\n"
		   "7 1 pio out 0x10\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, 3, hvt_kvm_pio_key(1, 0x10)).count, 2);
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, 3, hvt_kvm_pio_key(0, 0x60)).count, 1);
	/* Outside KVM_RUN no vCPU is running. */
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, HVT_VCPU_UNKNOWN, hvt_kvm_pio_key(1, 0x10)).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_MMIO, 3, 0xfee0000 | 2).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_MSR, 3, 1ULL << 32 | 0x6e0).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, -1, hvt_kvm_pio_key(1, 0x10)).sum_ns, 0);
}

TEST(latency_goes_to_the_phase_where_it_ends)
{
	struct replay r = { 0 };

	replay(&r, "0 1 exit vmx 30 0\n5 1 phase 2\n40 1 entry 0\n"
		   "50 1 run 0\n60 1 uexit 2 0\n70 1 phase 3\n75 1 run 0\n");
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, -1, VMX(30)).count, 0);
	EXPECT_INT(get(&r, 2, HVT_KVM_EXIT, 0, VMX(30)).sum_ns, 40);
	EXPECT_INT(get(&r, 2, HVT_KVM_UEXIT, 0, 2).sum_ns, 10);
	/* The VMM interval that KVM_RUN at 75 ends is committed at its first KVM event. */
	EXPECT_INT(get(&r, 3, HVT_KVM_VMM, 0, 2).count, 0);
	replay(&r, "90 1 phase 4\n95 1 pio out 0x10\n");
	EXPECT_INT(get(&r, 4, HVT_KVM_VMM, 0, 2).sum_ns, 15);
	EXPECT_INT(get(&r, 4, HVT_KVM_PIO, 0, hvt_kvm_pio_key(1, 0x10)).count, 1);
}

TEST(a_run_is_learnt_once_however_many_events_it_has)
{
	struct replay r = { 0 };

	replay(&r, "0 1 run 0\n10 1 uexit 2 0\n20 1 sysexit\n"
		   "100 1 run 0\n110 1 exit vmx 30 0\n120 1 entry 0\n130 1 pio out 0x10\n"
		   "140 1 exit vmx 30 0\n150 1 entry 0\n200 1 uexit 2 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_VMM, 0, 2).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_VMM, 0, 2).sum_ns, 90);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 2).count, 2);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 2).sum_ns, 10 + 100);
	EXPECT_INT(get(&r, 0, HVT_KVM_EXIT, 0, VMX(30)).count, 2);
}

TEST(events_inside_another_ioctl_learn_no_run)
{
	struct replay r = { 0 };

	/* KVM_SET_REGS-like: an ioctl on the vCPU fd that is not KVM_RUN. */
	replay(&r, "0 1 ioctl 0xae82 0\n10 1 pio out 0x10\n20 1 uexit 2 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, HVT_VCPU_UNKNOWN, hvt_kvm_pio_key(1, 0x10)).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT_UNPAIRED, HVT_VCPU_UNKNOWN, 2).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, -1, 2).count, 0);
}

TEST(a_thread_tracked_inside_a_run_pairs_from_its_next_run)
{
	struct replay r = { 0 };

	/* In scope mid-ioctl: the guest view has no entry time for this KVM_RUN. */
	replay(&r, "0 1 tracked\n10 1 pio out 0x10\n20 1 uexit 2 0\n30 1 sysexit\n"
		   "50 1 run 1\n60 1 pio out 0x10\n80 1 uexit 2 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT_UNPAIRED, HVT_VCPU_UNKNOWN, 2).count, 1);
	EXPECT_INT(get(&r, 0, HVT_KVM_VMM, HVT_VCPU_UNKNOWN, 2).sum_ns, 30);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 1, 2).sum_ns, 30);
	EXPECT_INT(get(&r, 0, HVT_KVM_PIO, 1, hvt_kvm_pio_key(1, 0x10)).count, 1);
}

TEST(threads_learn_their_own_runs)
{
	struct replay r = { 0 };

	replay(&r, "0 1 run 0\n5 2 run 1\n10 2 uexit 2 0\n20 1 uexit 6 0\n");
	EXPECT_INT(r.bad, 0);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 0, 6).sum_ns, 20);
	EXPECT_INT(get(&r, 0, HVT_KVM_UEXIT, 1, 2).sum_ns, 5);
}

TEST(histogram_slots_are_log2_and_clamped)
{
	EXPECT_INT(hvt_hist_slot(0), 0);
	EXPECT_INT(hvt_hist_slot(1), 0);
	EXPECT_INT(hvt_hist_slot(2), 1);
	EXPECT_INT(hvt_hist_slot(3), 1);
	EXPECT_INT(hvt_hist_slot(4), 2);
	EXPECT_INT(hvt_hist_slot(1023), 9);
	EXPECT_INT(hvt_hist_slot(1024), 10);
	EXPECT_INT(hvt_hist_slot(0xffffffffULL), 31);
	EXPECT_INT(hvt_hist_slot(1ULL << 31), 31);
	EXPECT_INT(hvt_hist_slot(1ULL << 40), HVT_HIST_SLOTS - 1);
	EXPECT_INT(hvt_hist_slot(UINT64_MAX), HVT_HIST_SLOTS - 1);
}

TEST(merge_adds_counts_and_keeps_max)
{
	struct hvt_agg a = { 0 }, b = { 0 };

	hvt_agg_add(&a, 100);
	hvt_agg_add(&b, 5000);
	hvt_agg_add(&b, 7);
	hvt_agg_merge(&a, &b);
	EXPECT_INT(a.count, 3);
	EXPECT_INT(a.sum_ns, 5107);
	EXPECT_INT(a.max_ns, 5000);
	EXPECT_INT(a.hist[6] + a.hist[12] + a.hist[2], 3);
	EXPECT_INT(hvt_agg_min(&a), 4);
}

TEST(vcpu_ids_out_of_range_are_unknown)
{
	EXPECT_INT(hvt_kvm_vcpu(0), 0);
	EXPECT_INT(hvt_kvm_vcpu(0xfffe), 0xfffe);
	EXPECT_INT(hvt_kvm_vcpu(0xffff), HVT_VCPU_UNKNOWN);
	EXPECT_INT(hvt_kvm_vcpu(-1), HVT_VCPU_UNKNOWN);
}
