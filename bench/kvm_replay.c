// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kvm_replay: what the host view's pairing logic costs per event, in user
 * space, on the code that bpf/host_kvm.bpf.c runs (bpf/kvm_pair.h), as the
 * replay test drives it (tests/unit/test_kvm_replay.c).
 *
 *   kvm_replay [--events N] [--rounds N] [--threads N]
 *
 * A stream of N events is made up front, shaped like a busy vCPU: exit/entry
 * pairs (I/O, EPT violation, external interrupt, HLT), a PIO event inside each
 * I/O exit, and every fourth I/O exit going out to the VMM (userspace exit,
 * then KVM_RUN). Each round replays it twice, alternately:
 *   floor  read each event and dispatch on its type, nothing else
 *   pair   the same, plus per-thread state, the kvm_pair.h handler and the
 *          aggregate update in a hash keyed like the BPF map (phase, kind,
 *          vcpu, key)
 * and prints the medians in ns per event and per exit/entry pair. This is the
 * logic alone: in the kernel each event also pays the tracepoint's dispatch,
 * a task-storage lookup, a clock read and a BPF hash lookup (bench/progcost
 * with build/bench/kvm_proxy.bpf.o measures those).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_pair.h"

#define MAX_THREADS 64
#define HASH_SLOTS 4096		/* power of two, far above the keys a stream makes */
#define MAX_ROUNDS 101

enum ev_type { EV_EXIT, EV_ENTRY, EV_RUN, EV_UEXIT, EV_PIO };

struct ev {
	uint64_t now;
	uint32_t type;
	uint32_t tid;		/* index of the thread */
	uint32_t a, b;		/* reason/vcpu, port/write ... */
};

struct slot {
	struct hvt_kvm_key k;
	struct hvt_agg a;
	int used;
};

struct replay {
	struct hvt_kvm_thread thr[MAX_THREADS];
	struct slot agg[HASH_SLOTS];
	unsigned int phase;
	long lost;
};

static volatile uint64_t sink;

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t key_hash(const struct hvt_kvm_key *k)
{
	uint64_t h = ((uint64_t)k->phase << 32 | (uint64_t)k->kind << 16 | k->vcpu) ^
		     k->key * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* What host_kvm.bpf.c's commit() does, with an open-addressing hash for the map. */
static void commit(struct replay *r, const struct hvt_kvm_rec *rec)
{
	struct hvt_kvm_key k = { .phase = r->phase, .kind = rec->kind, .vcpu = rec->vcpu,
				 .key = rec->key };
	uint64_t i = key_hash(&k), n;

	for (n = 0; n < HASH_SLOTS; n++, i++) {
		struct slot *s = &r->agg[i & (HASH_SLOTS - 1)];

		if (!s->used) {
			s->used = 1;
			s->k = k;
		} else if (memcmp(&s->k, &k, sizeof(k))) {
			continue;
		}
		hvt_kvm_apply(&s->a, rec);
		return;
	}
	r->lost++;
}

static void replay_pair(struct replay *r, const struct ev *e, long n)
{
	struct hvt_kvm_rec rec;
	long i;

	for (i = 0; i < n; i++, e++) {
		struct hvt_kvm_thread *t = &r->thr[e->tid];
		int got = 0;

		switch (e->type) {
		case EV_EXIT:
			got = hvt_kvm_on_exit(t, e->now, HVT_KVM_ISA_VMX, e->a, e->b, &rec);
			break;
		case EV_ENTRY:
			got = hvt_kvm_on_entry(t, e->now, e->b, &rec);
			break;
		case EV_RUN:
			got = hvt_kvm_on_run(t, e->now, e->b, &rec);
			break;
		case EV_UEXIT:
			got = hvt_kvm_on_uexit(t, e->now, e->a, 0, &rec);
			break;
		case EV_PIO:
			got = hvt_kvm_count(&rec, HVT_KVM_PIO, hvt_kvm_cur_vcpu(t),
					    hvt_kvm_pio_key(e->b, e->a));
			break;
		}
		if (got)
			commit(r, &rec);
	}
}

/* The same walk and dispatch, with nothing behind it. */
static void replay_floor(const struct ev *e, long n)
{
	uint64_t s = 0;
	long i;

	for (i = 0; i < n; i++, e++) {
		switch (e->type) {
		case EV_EXIT:
			s += e->a;
			break;
		case EV_ENTRY:
			s += e->b;
			break;
		case EV_RUN:
		case EV_UEXIT:
			s ^= e->now;
			break;
		case EV_PIO:
			s += e->a ^ e->b;
			break;
		}
	}
	sink += s;
}

/* A vCPU's events: 60 % I/O exits, 25 % EPT violations, 10 % interrupts, 5 % HLT. */
static long make_stream(struct ev *ev, long max, int threads, long *pairs)
{
	static const uint32_t reasons[20] = {
		30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 48, 48, 48, 48, 48, 1, 1, 12,
	};
	uint64_t now = 1000, seed = 42;
	long n = 0, io = 0;

	*pairs = 0;
	while (n + 6 <= max) {
		uint32_t tid, reason;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		tid = (seed >> 33) % threads;
		reason = reasons[(seed >> 40) % 20];
		now += 200 + (seed >> 50) % 3000;
		ev[n++] = (struct ev){ now, EV_EXIT, tid, reason, tid };
		if (reason == 30) {
			ev[n++] = (struct ev){ now + 50, EV_PIO, tid, 0x3f8, 1 };
			if (++io % 4 == 0) {
				ev[n++] = (struct ev){ now + 300, EV_UEXIT, tid, 2, 0 };
				ev[n++] = (struct ev){ now + 2300, EV_RUN, tid, 0, tid };
				now += 2000;
			}
		}
		now += 100 + (seed >> 20) % 1000;
		ev[n++] = (struct ev){ now, EV_ENTRY, tid, 0, tid };
		(*pairs)++;
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	long events = 2000000, pairs, n, i;
	int rounds = 21, threads = 4, r;
	double fl[MAX_ROUNDS], pr[MAX_ROUNDS];
	struct replay *rp;
	struct ev *ev;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc) {
			events = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			threads = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: kvm_replay [--events N] [--rounds N] [--threads N]\n");
			return 2;
		}
	}
	if (events < 6 || rounds < 1 || rounds > MAX_ROUNDS || threads < 1 ||
	    threads > MAX_THREADS) {
		fprintf(stderr, "kvm_replay: --events >= 6, --rounds 1..%d, --threads 1..%d\n",
			MAX_ROUNDS, MAX_THREADS);
		return 2;
	}
	ev = calloc(events, sizeof(*ev));
	rp = calloc(1, sizeof(*rp));
	if (!ev || !rp) {
		fprintf(stderr, "kvm_replay: out of memory\n");
		return 1;
	}
	n = make_stream(ev, events, threads, &pairs);
	for (r = 0; r < rounds; r++) {
		long long t0 = mono_ns();

		replay_floor(ev, n);
		fl[r] = (double)(mono_ns() - t0);
		memset(rp, 0, sizeof(*rp));
		t0 = mono_ns();
		replay_pair(rp, ev, n);
		pr[r] = (double)(mono_ns() - t0);
	}
	printf("%ld events (%ld exit/entry pairs) on %d threads, %d rounds; median ns\n", n, pairs,
	       threads, rounds);
	printf("floor  %6.2f per event  %6.2f per pair\n", median(fl, rounds) / n,
	       median(fl, rounds) / pairs);
	printf("pair   %6.2f per event  %6.2f per pair\n", median(pr, rounds) / n,
	       median(pr, rounds) / pairs);
	/* The last round's aggregates: every pair must have been counted once. */
	for (i = 0, n = 0; i < HASH_SLOTS; i++)
		if (rp->agg[i].used && rp->agg[i].k.kind == HVT_KVM_EXIT)
			n += rp->agg[i].a.count;
	printf("check: %ld exit/entry pairs aggregated of %ld, %ld updates lost\n", n, pairs,
	       rp->lost);
	if (n != pairs || rp->lost)
		return 1;
	free(rp);
	free(ev);
	return 0;
}
