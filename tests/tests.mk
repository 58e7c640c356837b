# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Test binaries: tests/unit/test_*.c link against the hvtrace modules (all of
# user/ but main.c); tests/prog/*.c are stand-alone ground-truth workloads.
OUT ?= build
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-format-truncation
CFLAGS ?= -O2 -g
LIBPERF_DIR ?= /var/cache/hvtrace/libperf
LIBPERF_LIBS := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a
LIBS := -lbpf -lelf -ldw -lz -lsqlite3 -lvirt -lvirt-qemu $(LIBPERF_LIBS) -lm -lpthread

MODULE_OBJS := $(filter-out $(OUT)/dyn/main.o $(OUT)/dyn/%_none.o,$(wildcard $(OUT)/dyn/*.o))
UNIT := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
PROGS := $(patsubst tests/prog/%.c,$(OUT)/tests/prog/%,$(wildcard tests/prog/*.c))

.DELETE_ON_ERROR:
all: $(UNIT) $(PROGS)

$(OUT)/tests/%: tests/unit/%.c tests/unit/unit.h $(MODULE_OBJS)
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Itests/unit -o $@ $< $(MODULE_OBJS) $(LIBS)

# Ground-truth programs are static and plain so that they run in a guest too
# and make no syscall that their source does not show.
$(OUT)/tests/prog/%: tests/prog/%.c
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) -O2 $(WARN) -static -o $@ $<

.PHONY: all
