// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hvtrace merge (user/merge.c) on fixture recordings written with recfile's
 * writer: a guest run of three phases on the guest's clock, a host recording
 * of the same time on the host's, the offset between them known exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "merge.h"
#include "recfile.h"
#include "unit.h"

#define MS 1000000LL
#define SEC 1000000000LL

/* The guest's run starts at G0 on its clock; the host's recording at H0 on its own. */
#define G0 (1000 * SEC)
#define H0 (100 * SEC)
#define REAL0 (1700000000 * SEC)

static char dir[64];
static char gpath[128], hpath[128], opath[128];

static void setup(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/hvt-merge.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(gpath, sizeof(gpath), "%s/guest.hvt", dir);
	snprintf(hpath, sizeof(hpath), "%s/host.hvt", dir);
	snprintf(opath, sizeof(opath), "%s/both.hvt", dir);
	unlink(opath);
}

__attribute__((destructor)) static void cleanup(void)
{
	char cmd[128];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

struct gopts {
	const char *boot_id, *run_id;
	int merged;
};

/* bench.sh [G0, G0+1s), tar [+1s, +3s), make [+3s, +6s): guest stats and series. */
static void make_guest(const struct gopts *o)
{
	static const char *const names[] = { "bench.sh", "tar", "make" };
	static const int64_t starts[] = { 0, 1 * SEC, 3 * SEC, 6 * SEC };
	uint64_t hist[HVT_HIST_SLOTS] = { 0 };
	struct recfile *rf;
	char err[256];
	int i;

	rf = recfile_create(gpath, err, sizeof(err));
	if (!rf)
		abort();
	recfile_begin(rf);
	recfile_set_meta(rf, "label", "kvm");
	recfile_set_meta(rf, "hostname", "guest1");
	recfile_set_meta_int(rf, "start_mono_ns", G0);
	recfile_set_meta_int(rf, "end_mono_ns", G0 + 6 * SEC);
	recfile_set_meta_int(rf, "start_real_ns", REAL0);
	recfile_set_meta_int(rf, "end_real_ns", REAL0 + 6 * SEC);
	recfile_set_meta_int(rf, "wall_ns", 6 * SEC);
	recfile_set_meta_int(rf, "complete", 1);
	if (o->boot_id)
		recfile_set_meta(rf, "boot_id", o->boot_id);
	if (o->run_id)
		recfile_set_meta(rf, "run_id", o->run_id);
	if (o->merged)
		recfile_set_meta_int(rf, "merged", 1);
	for (i = 0; i < 3; i++) {
		recfile_put_phase(rf, i, names[i], i ? "auto" : "start", G0 + starts[i],
				  REAL0 + starts[i], 10 + i);
		recfile_end_phase(rf, i, G0 + starts[i + 1], REAL0 + starts[i + 1], 0);
	}
	hist[10] = 7;
	hist[12] = 3;
	recfile_put_stat(rf, 1, "guest", "syscall", 0, "read", 10, 20000, 1024, 5000, hist);
	recfile_put_stat(rf, 2, "guest", "syscall", 1, "write", 5, 500, 0, 0, NULL);
	recfile_put_series(rf, 0, G0 + 2 * SEC, 1, "guest", "syscall", 0, 10, 20000);
	recfile_put_counter(rf, 2, "task-clock", 1, 123, 456, 456);
	recfile_put_calib(rf, "syscall", 80.5, 1.5, 1000);
	recfile_commit(rf);
	recfile_close(rf);
}

struct hopts {
	int sync;		/* clock_* meta */
	int64_t offset;		/* guest - host */
	const char *drift;
	const char *boot_id, *run_id;
	int host_view;
	int guest_phases;	/* the host applied the guest's phases as they came */
	int boot_phases;	/* ... as a recorder with --channel does: host phase 0 the
				   VM's boot, N + 1 guest phase N, then after-workload */
	int mixed;		/* per tick also 5 VMM syscalls, 10 exit_vcpu, 4096 disk bytes */
};

/*
 * The host recording [H0, H0+10s): exit 30 ten times a tick, every second,
 * in series and stats.
 */
static void make_host(const struct hopts *o)
{
	uint64_t hist[HVT_HIST_SLOTS] = { 0 };
	struct recfile *rf;
	char err[256];
	int64_t t;
	int tick = 0, i;

	rf = recfile_create(hpath, err, sizeof(err));
	if (!rf)
		abort();
	recfile_begin(rf);
	recfile_set_meta(rf, "label", "kvm-host");
	recfile_set_meta(rf, "hostname", "host1");
	recfile_set_meta_int(rf, "start_mono_ns", H0);
	recfile_set_meta_int(rf, "end_mono_ns", H0 + 10 * SEC);
	recfile_set_meta_int(rf, "start_real_ns", REAL0 + 5 * SEC);
	recfile_set_meta_int(rf, "interval_ms", 1000);
	if (o->sync) {
		recfile_set_meta_int(rf, "clock_offset_ns", o->offset);
		recfile_set_meta_int(rf, "clock_ref_host_mono_ns", H0);
		recfile_set_meta(rf, "clock_drift_ppm", o->drift ? o->drift : "0.000");
		recfile_set_meta_int(rf, "clock_uncertainty_ns", 1234);
		recfile_set_meta_int(rf, "clock_best_rtt_ns", 2400);
	}
	if (o->boot_id)
		recfile_set_meta(rf, "guest_boot_id", o->boot_id);
	if (o->run_id)
		recfile_set_meta(rf, "guest_run_id", o->run_id);
	if (o->boot_phases) {
		/* The guest's phases at H0 + 2, 3, 5 s; its end at H0 + 8 s. */
		static const char *const names[] = { "qemu-system-x86", "bench.sh", "tar", "make",
						     "after-workload" };
		static const int64_t starts[] = { 0, 2 * SEC, 3 * SEC, 5 * SEC, 8 * SEC };
		static const uint64_t exits[] = { 20, 10, 20, 30, 20 };

		recfile_set_meta_int(rf, "guest_phase_offset", 1);
		for (i = 0; i < 5; i++) {
			recfile_put_phase(rf, i, names[i], i ? "guest" : "start", H0 + starts[i],
					  0, 0);
			recfile_put_stat(rf, i, "host", "exit", 30, "IO_INSTRUCTION", exits[i],
					 exits[i] * 100, 0, 0, NULL);
		}
		recfile_put_stat(rf, 0, "guest", "syscall", 7, "ioctl", 7, 700, 0, 0, NULL);
		for (t = H0 + SEC; t <= H0 + 10 * SEC; t += SEC) {
			int ph = 0;

			while (ph < 4 && starts[ph + 1] < t - H0)
				ph++;
			recfile_put_series(rf, tick++, t, ph, "host", "exit", 30, 10, 1000);
		}
	} else if (o->guest_phases) {
		static const char *const names[] = { "bench.sh", "tar", "make" };

		for (i = 0; i < 3; i++)
			recfile_put_phase(rf, i, names[i], "auto", H0 + i * SEC, 0, 0);
		hist[8] = 4;
		recfile_put_stat(rf, 1, "host", "exit", 30, "IO_INSTRUCTION", 4, 1600, 256, 500,
				 hist);
	} else {
		recfile_put_phase(rf, 0, "qemu-system-x86", "start", H0, REAL0 + 5 * SEC, 4242);
	}
	if (o->host_view && !o->boot_phases) {
		if (!o->guest_phases)
			recfile_put_stat(rf, 0, "host", "exit", 30, "IO_INSTRUCTION", 100, 100000,
					 0, 0, NULL);
		for (t = H0 + SEC; t <= H0 + 10 * SEC; t += SEC, tick++) {
			recfile_put_series(rf, tick, t, 0, "host", "exit", 30, 10, 1000);
			if (!o->mixed)
				continue;
			recfile_put_series(rf, tick, t, 0, "guest", "syscall", 7, 5, 500);
			recfile_put_series(rf, tick, t, 0, "host", "exit_vcpu", 30, 10, 1000);
			recfile_put_series(rf, tick, t, 0, "host", "vm.block.rd.bytes", 0, 4096,
					   0);
		}
	}
	recfile_commit(rf);
	recfile_close(rf);
}

static const struct gopts gdef = { .boot_id = "boot-1", .run_id = "run-1" };

/* The guest's G0 lands at H0 + 2 s (+ SHIFT) on the host's clock. */
static struct hopts hdef(int64_t shift)
{
	return (struct hopts){ .sync = 1, .offset = G0 - H0 - 2 * SEC - shift,
			       .boot_id = "boot-1", .run_id = "run-1", .host_view = 1 };
}

static int do_merge(struct merge_opts *o, struct merge_result *r, char *err, size_t len)
{
	o->guest_path = gpath;
	o->host_path = hpath;
	o->out_path = opath;
	return merge_recordings(o, r, err, len);
}

static const struct rec_stat *find_stat(const struct recording *rec, int phase, const char *view,
					const char *kind, int64_t key)
{
	size_t i;

	for (i = 0; i < rec->n_stats; i++) {
		const struct rec_stat *s = &rec->stats[i];

		if (s->phase == phase && !strcmp(s->view, view) && !strcmp(s->kind, kind) &&
		    s->key == key)
			return s;
	}
	return NULL;
}

static int64_t stat_count(const struct recording *rec, int phase, const char *view)
{
	const struct rec_stat *s = find_stat(rec, phase, view, "exit", 30);

	return s ? (int64_t)s->count : -1;
}

static int64_t sql_int(const char *path, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL))
		return -2;
	if (!sqlite3_prepare_v2(db, q, -1, &st, NULL)) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

TEST(guest_phases_land_on_the_host_time_line)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	if (err[0])
		FAIL("merge said: %s", err);
	EXPECT_STR(r.clock_source, "sync");
	EXPECT_INT(r.clock.uncertainty_ns, 1234);
	EXPECT_INT(r.phases, 3);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load the merged recording: %s", err);
		return;
	}
	EXPECT_INT(rec->n_phases, 3);
	EXPECT_STR(rec->phases[1].name, "tar");
	EXPECT_STR(rec->phases[1].source, "auto");
	EXPECT_INT(rec->phases[0].start_mono, H0 + 2 * SEC);
	EXPECT_INT(rec->phases[1].start_mono, H0 + 3 * SEC);
	EXPECT_INT(rec->phases[2].end_mono, H0 + 8 * SEC);
	/* Real time on the host's clock too: its start_real - start_mono, plus the time. */
	EXPECT_INT(rec->phases[1].start_real, REAL0 + 5 * SEC + 3 * SEC);
	EXPECT_INT(rec->phases[2].pid, 12);
	EXPECT_INT(recording_meta_int(rec, "start_mono_ns", 0), H0 + 2 * SEC);
	EXPECT_INT(recording_meta_int(rec, "guest_start_mono_ns", 0), G0);
	EXPECT_INT(recording_meta_int(rec, "wall_ns", 0), 6 * SEC);
	EXPECT_STR(recording_meta(rec, "label"), "kvm");
	EXPECT_STR(recording_meta(rec, "host.label"), "kvm-host");
	EXPECT_STR(recording_meta(rec, "host.hostname"), "host1");
	EXPECT_STR(recording_meta(rec, "clock_source"), "sync");
	EXPECT_INT(recording_meta_int(rec, "clock_offset_ns", 0), h.offset);
	EXPECT_INT(recording_meta_int(rec, "clock_uncertainty_ns", 0), 1234);
	EXPECT_STR(recording_meta(rec, "timeline"), "host");
	EXPECT_STR(recording_meta(rec, "merged"), "1");
	recording_free(rec);
}

TEST(guest_statistics_stay_whole_under_view_guest)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	const struct rec_stat *s;
	struct recording *rec;
	char err[512] = "";

	setup();
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	s = find_stat(rec, 1, "guest", "syscall", 0);
	EXPECT_TRUE(s != NULL);
	if (s) {
		EXPECT_INT(s->count, 10);
		EXPECT_INT(s->sum_ns, 20000);
		EXPECT_INT(s->max_ns, 5000);
		EXPECT_INT(s->hist[10], 7);
		EXPECT_INT(s->hist[12], 3);
	}
	EXPECT_INT(r.guest_stats, 2);
	EXPECT_INT(rec->n_counters, 1);
	EXPECT_INT(rec->n_calib, 1);
	/* The guest's series row, moved onto the host's clock. */
	EXPECT_INT(sql_int(opath, "SELECT t_mono_ns FROM series WHERE view = 'guest'"),
		   H0 + 4 * SEC);
	recording_free(rec);
}

TEST(host_counts_go_to_the_guest_phase_of_their_tick)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_TRUE(r.host_by_series);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	/* Ticks (H0+2, +3] -> bench.sh, (+3, +5] -> tar, (+5, +8] -> make; 4 outside. */
	EXPECT_INT(stat_count(rec, 0, "host"), 10);
	EXPECT_INT(stat_count(rec, 1, "host"), 20);
	EXPECT_INT(stat_count(rec, 2, "host"), 30);
	EXPECT_STR(find_stat(rec, 2, "host", "exit", 30)->name, "IO_INSTRUCTION");
	EXPECT_INT(find_stat(rec, 2, "host", "exit", 30)->sum_ns, 3000);
	EXPECT_STR(recording_meta(rec, "host_attribution"), "series");
	/* Ticks H0+1, +2 (before bench.sh) and +9, +10 (after make): 4 x 10 exits. */
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.exit", 0), 40);
	EXPECT_INT(recording_meta_int(rec, "host_outside_sum_ns.host.exit", 0), 4000);
	EXPECT_INT(recording_meta_int(rec, "host_outside_before_ns", -1), 2 * SEC);
	EXPECT_INT(recording_meta_int(rec, "host_outside_after_ns", -1), 2 * SEC);
	EXPECT_INT(r.host_outside_kinds, 1);
	/* Expected (the VM boots before the workload): a note, not a warning. */
	EXPECT_INT(r.n_warn, 0);
	EXPECT_INT(r.n_note, 1);
	EXPECT_STR(r.note[0], "2.0 s of the host recording before the guest's first phase and "
		   "2.0 s after its last are in no guest phase: what the host counted then is "
		   "left out of the phases' stats (40 VM exits; every kind in meta "
		   "host_outside_*)");
	EXPECT_INT(sql_int(opath, "SELECT COUNT(*) FROM series WHERE view = 'host'"), 10);
	EXPECT_INT(sql_int(opath, "SELECT phase FROM series WHERE view = 'host' AND "
			   "t_mono_ns = 104000000000"), 1);
	EXPECT_INT(sql_int(opath, "SELECT phase FROM series WHERE view = 'host' AND "
			   "t_mono_ns = 110000000000"), -1);
	recording_free(rec);
}

TEST(a_tick_across_a_phase_change_is_split_by_time_keeping_the_total)
{
	struct hopts h = hdef(SEC / 2);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	/* Phases at +2.5, +3.5, +5.5, +8.5 s: half ticks at each edge. */
	EXPECT_INT(stat_count(rec, 0, "host"), 10);
	EXPECT_INT(stat_count(rec, 1, "host"), 20);
	EXPECT_INT(stat_count(rec, 2, "host"), 30);
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.exit", 0), 40);
	EXPECT_INT(recording_meta_int(rec, "host_outside_sum_ns.host.exit", 0), 4000);
	EXPECT_INT(recording_meta_int(rec, "host_outside_before_ns", -1), 2 * SEC + SEC / 2);
	EXPECT_INT(recording_meta_int(rec, "host_outside_after_ns", -1), SEC + SEC / 2);
	EXPECT_INT(find_stat(rec, 1, "host", "exit", 30)->sum_ns, 2000);
	recording_free(rec);
}

TEST(host_figures_outside_the_guest_phases_are_kept_per_kind_never_summed)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	h.mixed = 1;
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	/*
	 * Four ticks outside: calls, per-vCPU copies of the same exits and disk
	 * bytes are different things; their sum (16484 "events") means nothing.
	 */
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.exit", 0), 40);
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.exit_vcpu", 0), 40);
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.vm.block.rd.bytes", 0),
		   4 * 4096);
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.vmm.syscall", 0), 20);
	EXPECT_INT(recording_meta_int(rec, "host_outside_sum_ns.vmm.syscall", 0), 2000);
	EXPECT_TRUE(!recording_meta(rec, "host_outside_sum_ns.host.vm.block.rd.bytes"));
	EXPECT_TRUE(!recording_meta(rec, "host_unattributed_count"));
	EXPECT_INT(r.host_outside_kinds, 4);
	/* Inside, each kind keeps its own total. */
	EXPECT_INT(find_stat(rec, 0, "vmm", "syscall", 7)->count, 5);
	EXPECT_INT(find_stat(rec, 2, "host", "vm.block.rd.bytes", 0)->count, 3 * 4096);
	EXPECT_INT(r.n_warn, 0);
	EXPECT_INT(r.n_note, 1);
	EXPECT_STR(r.note[0], "2.0 s of the host recording before the guest's first phase and "
		   "2.0 s after its last are in no guest phase: what the host counted then is "
		   "left out of the phases' stats (the VMM's 20 syscalls and 0 page faults, "
		   "40 VM exits; every kind in meta host_outside_*)");
	recording_free(rec);
}

TEST(the_host_recorders_boot_and_after_workload_phases_map_to_no_guest_phase)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	h.boot_phases = 1;
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_INT(r.host_by_series, 0);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	EXPECT_INT(rec->n_phases, 3);
	EXPECT_INT(stat_count(rec, 0, "host"), 10);
	EXPECT_INT(stat_count(rec, 1, "host"), 20);
	EXPECT_INT(stat_count(rec, 2, "host"), 30);
	/* Host phase 0 (boot) and 4 (after-workload): 20 exits each, and 7 ioctls at boot. */
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.host.exit", 0), 40);
	EXPECT_INT(recording_meta_int(rec, "host_outside_sum_ns.host.exit", 0), 4000);
	EXPECT_INT(recording_meta_int(rec, "host_outside_count.vmm.syscall", 0), 7);
	EXPECT_INT(recording_meta_int(rec, "host_outside_before_ns", -1), 2 * SEC);
	EXPECT_INT(recording_meta_int(rec, "host_outside_after_ns", -1), 2 * SEC);
	/* Series rows of the host's own phases have phase -1, not a phase id the file lacks. */
	EXPECT_INT(sql_int(opath, "SELECT COUNT(*) FROM series WHERE view = 'host' AND "
			   "phase = -1"), 4);
	EXPECT_INT(sql_int(opath, "SELECT COUNT(*) FROM series WHERE view = 'host' AND "
			   "phase NOT IN (SELECT id FROM phase) AND phase != -1"), 0);
	EXPECT_INT(sql_int(opath, "SELECT phase FROM series WHERE view = 'host' AND "
			   "t_mono_ns = 103000000000"), 0);
	EXPECT_INT(r.n_warn, 0);
	EXPECT_INT(r.n_note, 1);
	EXPECT_STR(r.note[0], "2.0 s of the host recording before the guest's first phase and "
		   "2.0 s after its last are in no guest phase: what the host counted then is "
		   "left out of the phases' stats (the VMM's 7 syscalls and 0 page faults, "
		   "40 VM exits; every kind in meta host_outside_*)");
	recording_free(rec);
}

TEST(host_stats_recorded_per_guest_phase_are_copied_whole)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	const struct rec_stat *s;
	struct recording *rec;
	char err[512] = "";

	setup();
	h.guest_phases = 1;
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_INT(r.host_by_series, 0);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	s = find_stat(rec, 1, "host", "exit", 30);
	EXPECT_TRUE(s != NULL);
	if (s) {
		EXPECT_INT(s->count, 4);
		EXPECT_INT(s->hist[8], 4);
		EXPECT_INT(s->max_ns, 500);
	}
	EXPECT_STR(recording_meta(rec, "host_attribution"), "phases");
	recording_free(rec);
}

TEST(without_sync_data_merge_refuses_and_says_what_to_do)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	char err[512] = "";
	struct stat st;

	setup();
	h.sync = 0;
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "has no clock sync data") || !strstr(err, "--offset-ns") ||
	    !strstr(err, "--assume-same-clock"))
		FAIL("unclear refusal: %s", err);
	EXPECT_TRUE(stat(opath, &st) != 0);	/* nothing left behind */
}

TEST(an_explicit_offset_or_one_clock_replaces_sync_data)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	h.sync = 0;
	make_guest(&gdef);
	make_host(&h);
	o.have_offset = 1;
	o.offset_ns = G0 - H0 - 3 * SEC;
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_STR(r.clock_source, "offset");
	EXPECT_INT(r.clock.uncertainty_ns, -1);
	rec = recording_load(opath, err, sizeof(err));
	if (rec) {
		EXPECT_INT(rec->phases[0].start_mono, H0 + 3 * SEC);
		EXPECT_INT(recording_meta_int(rec, "clock_uncertainty_ns", 0), -1);
		EXPECT_STR(recording_meta(rec, "clock_source"), "offset");
		recording_free(rec);
	}
	memset(&o, 0, sizeof(o));
	o.assume_same_clock = 1;
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_STR(r.clock_source, "same-clock");
	/* G0 on the host's clock is long after the host recording: said so. */
	EXPECT_TRUE(r.n_warn >= 1);
	if (r.n_warn)
		EXPECT_STR(r.warn[0], "the guest's run lies outside the host recording's time: "
			   "its phases get no host-view counts (wrong offset?)");
}

TEST(drift_stretches_the_guest_time_line)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	struct recording *rec;
	char err[512] = "";

	setup();
	/* The guest's clock gains 100 ppm: its 6 s are 5.9994 s of the host's. */
	h.offset = G0 - H0 - 2 * SEC - 200 * 1000;	/* at H0, offset(H0 + 2 s) is 2 s later */
	h.drift = "100.000";
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_NEAR(r.clock.drift_ppm, 100, 1e-9);
	rec = recording_load(opath, err, sizeof(err));
	if (!rec) {
		FAIL("cannot load: %s", err);
		return;
	}
	EXPECT_NEAR(rec->phases[0].start_mono, H0 + 2 * SEC, 1);
	EXPECT_NEAR(rec->phases[2].end_mono - rec->phases[0].start_mono, 6 * SEC / 1.0001, 1);
	recording_free(rec);
}

TEST(sync_data_of_another_guest_boot_is_refused)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	char err[512] = "";

	setup();
	h.boot_id = "boot-2";
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "is for guest boot boot-2, but") || !strstr(err, "in boot boot-1"))
		FAIL("unclear refusal: %s", err);
	o.have_offset = 1;	/* the user knows better */
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
}

TEST(another_run_of_the_same_boot_is_merged_with_a_warning)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	char err[512] = "";

	setup();
	h.run_id = "run-9";
	make_guest(&gdef);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), 0);
	EXPECT_TRUE(r.n_warn >= 1);
	if (r.n_warn && !strstr(r.warn[0], "followed another run of this guest (run run-9, not "
				"run-1)"))
		FAIL("warning: %s", r.warn[0]);
}

TEST(inputs_that_cannot_be_merged_are_refused)
{
	struct gopts g = gdef;
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	char err[512] = "";

	setup();
	g.merged = 1;
	make_guest(&g);
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "already has a host view (merged before?)"))
		FAIL("merged guest: %s", err);
	make_guest(&gdef);
	h.host_view = 0;
	make_host(&h);
	EXPECT_INT(do_merge(&o, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "has no data of the VM's host side"))
		FAIL("no host view: %s", err);
	make_host(&(struct hopts){ .sync = 1, .host_view = 1 });
	o.guest_path = gpath;
	o.host_path = hpath;
	o.out_path = gpath;
	EXPECT_INT(merge_recordings(&o, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "would replace an input"))
		FAIL("output over input: %s", err);
}

TEST(a_damaged_guest_file_is_refused_cleanly)
{
	struct hopts h = hdef(0);
	struct merge_opts o = { 0 };
	struct merge_result r;
	char err[512] = "", junk[4096];
	struct stat st;
	int fd;

	setup();
	make_guest(&gdef);
	make_host(&h);
	/* Scribble over a page in the middle: headers stay, b-trees break. */
	memset(junk, 0x5a, sizeof(junk));
	fd = open(gpath, O_WRONLY);
	if (fd < 0 || fstat(fd, &st) || pwrite(fd, junk, sizeof(junk), 4096) != sizeof(junk)) {
		FAIL("cannot damage %s", gpath);
		return;
	}
	close(fd);
	EXPECT_TRUE(do_merge(&o, &r, err, sizeof(err)) < 0);
	if (!strstr(err, gpath) || !strstr(err, "damaged"))
		FAIL("unclear refusal: %s", err);
	EXPECT_TRUE(stat(opath, &st) != 0);
	if (truncate(gpath, 100))
		FAIL("cannot truncate %s", gpath);
	EXPECT_TRUE(do_merge(&o, &r, err, sizeof(err)) < 0);
	if (!strstr(err, "truncated"))
		FAIL("truncated guest: %s", err);
}
