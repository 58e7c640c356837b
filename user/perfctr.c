// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* perfctr: per-process-tree perf counters through libperf. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/evsel.h>
#include <perf/threadmap.h>

#include "perfctr.h"
#include "util.h"

struct perfctr_event {
	const char *name;
	__u32 type;
	__u64 config;
};

static const struct perfctr_event events[] = {
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "dTLB-load-misses", PERF_TYPE_HW_CACHE,
	  PERF_COUNT_HW_CACHE_DTLB | PERF_COUNT_HW_CACHE_OP_READ << 8 |
		  PERF_COUNT_HW_CACHE_RESULT_MISS << 16 },
};

#define NR_EVENTS ARRAY_SIZE(events)

struct perfctr {
	struct perf_thread_map *threads;
	/* NULL where the kernel refused the event; err[i] says why. */
	struct perf_evsel *evsel[NR_EVENTS];
	int err[NR_EVENTS];
};

/* libperf prints its own diagnostics to stderr by default; only the command layer may print. */
static int quiet_print(enum libperf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/*
 * Errors that say nothing about the event being supported, only about us or the target: they
 * fail the whole open rather than mark a hardware event unsupported.
 */
static bool is_resource_error(int err)
{
	return err == -ESRCH || err == -EMFILE || err == -ENFILE || err == -ENOMEM ||
	       err == -EINTR;
}

static int open_event(struct perfctr *pc, size_t i, unsigned int flags)
{
	struct perf_event_attr attr = {
		.type = events[i].type,
		.size = sizeof(attr),
		.config = events[i].config,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
		.inherit = 1,
		.disabled = !!(flags & PERFCTR_ON_EXEC),
		.enable_on_exec = !!(flags & PERFCTR_ON_EXEC),
	};
	struct perf_evsel *evsel;
	int err;

	evsel = perf_evsel__new(&attr);
	if (!evsel)
		return -ENOMEM;
	/* No cpu map: libperf opens on cpu -1, i.e. follow the task wherever it runs. */
	err = perf_evsel__open(evsel, NULL, pc->threads);
	if (err) {
		perf_evsel__delete(evsel);
		return err;
	}
	pc->evsel[i] = evsel;
	return 0;
}

struct perfctr *perfctr_open(pid_t pid, unsigned int flags)
{
	struct perfctr *pc;
	size_t i;
	int err;

	if (pid < 0 || (flags & ~PERFCTR_ON_EXEC)) {
		errno = EINVAL;
		return NULL;
	}
	libperf_init(quiet_print);

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->threads = perf_thread_map__new_array(1, &pid);
	if (!pc->threads) {
		err = -ENOMEM;
		goto out_close;
	}
	for (i = 0; i < NR_EVENTS; i++) {
		err = open_event(pc, i, flags);
		if (err && (events[i].type == PERF_TYPE_SOFTWARE || is_resource_error(err)))
			goto out_close;
		pc->err[i] = err;
	}
	return pc;

out_close:
	perfctr_close(pc);
	errno = -err;
	return NULL;
}

void perfctr_close(struct perfctr *pc)
{
	size_t i;

	if (!pc)
		return;
	for (i = 0; i < NR_EVENTS; i++) {
		if (!pc->evsel[i])
			continue;
		perf_evsel__close(pc->evsel[i]);
		perf_evsel__delete(pc->evsel[i]);
	}
	perf_thread_map__put(pc->threads);
	free(pc);
}

size_t perfctr_count(const struct perfctr *pc)
{
	return NR_EVENTS;
}

const char *perfctr_name(const struct perfctr *pc, size_t i)
{
	return i < NR_EVENTS ? events[i].name : NULL;
}

bool perfctr_supported(const struct perfctr *pc, size_t i)
{
	return i < NR_EVENTS && pc->evsel[i];
}

int perfctr_error(const struct perfctr *pc, size_t i)
{
	return i < NR_EVENTS ? pc->err[i] : -EINVAL;
}

int perfctr_read(struct perfctr *pc, struct perfctr_value *vals, size_t n)
{
	struct perf_counts_values c;
	size_t i;
	int err;

	if (n > NR_EVENTS)
		n = NR_EVENTS;
	for (i = 0; i < n; i++) {
		struct perfctr_value *v = &vals[i];

		memset(v, 0, sizeof(*v));
		if (!pc->evsel[i])
			continue;
		err = perf_evsel__read(pc->evsel[i], 0, 0, &c);
		if (err)
			return err;
		v->supported = true;
		v->raw = c.val;
		v->value = c.val;
		v->enabled_ns = c.ena;
		v->running_ns = c.run;
		if (c.run >= c.ena)
			continue;
		/* Multiplexed: extrapolate to the time enabled, as perf stat does. */
		if (c.run == 0) {
			v->value = 0;
			v->scaled = -1;
		} else {
			v->value = (unsigned __int128)c.val * c.ena / c.run;
			v->scaled = 1;
		}
	}
	return n;
}
