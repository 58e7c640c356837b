# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Test binaries: tests/unit/test_*.c link against the hvtrace modules (all of
# user/ but main.c); tests/prog/*.c are stand-alone ground-truth workloads;
# tests/helpers/*.c are programs the test scripts drive, linked like unit tests;
# `make fuzz` builds and runs the libFuzzer targets in tests/fuzz/.
OUT ?= build
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-format-truncation
CFLAGS ?= -O2 -g
CLANG ?= clang
LIBPERF_DIR ?= /var/cache/hvtrace/libperf
LIBPERF_LIBS := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a
LIBS := -lbpf -lelf -ldw -lz -lsqlite3 -lvirt -lvirt-qemu $(LIBPERF_LIBS) -lm -lpthread

MODULE_OBJS := $(filter-out $(OUT)/dyn/main.o $(OUT)/dyn/%_none.o,$(wildcard $(OUT)/dyn/*.o))
UNIT := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
PROGS := $(patsubst tests/prog/%.c,$(OUT)/tests/prog/%,$(wildcard tests/prog/*.c))
HELPERS := $(patsubst tests/helpers/%.c,$(OUT)/tests/helpers/%,$(wildcard tests/helpers/*.c))
BENCH := $(OUT)/bench/floor $(OUT)/bench/progcost $(OUT)/bench/kvm_replay \
	 $(OUT)/bench/kvm_proxy.bpf.o

.DELETE_ON_ERROR:
all: $(UNIT) $(PROGS) $(BENCH) $(HELPERS)

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

$(OUT)/tests/helpers/%: tests/helpers/%.c $(MODULE_OBJS)
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(MODULE_OBJS) $(LIBS)

# The host-side parsers under libFuzzer, built from source with ASan and UBSan.
# Each runs FUZZ_TIME seconds over its committed seeds (tests/fuzz/corpus/*,
# read only) and a working corpus in $(OUT)/fuzz; a crash is written to
# $(OUT)/fuzz/crashes/ and fails the target. Add a crash to the seeds once fixed.
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	      -D_GNU_SOURCE -Iuser
FUZZ_RUN := -max_total_time=$(FUZZ_TIME) -max_len=300000 -timeout=10 -rss_limit_mb=1024 \
	    -print_final_stats=1 -artifact_prefix=$(OUT)/fuzz/crashes/

$(OUT)/fuzz/fuzz_proto: tests/fuzz/fuzz_proto.c user/proto.c user/proto.h user/clocksync.c \
			user/clocksync.h
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' FUZZCC $@
	@$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_proto.c user/proto.c user/clocksync.c -lm

# The host's whole session code, fed through a socket; shares fuzz_proto's seeds.
AGENT_SRCS := user/agent.c user/channel.c user/proto.c user/clocksync.c user/detect.c \
	      user/recfile.c user/util.c
$(OUT)/fuzz/fuzz_agent_host: tests/fuzz/fuzz_agent_host.c $(AGENT_SRCS) $(wildcard user/*.h)
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' FUZZCC $@
	@$(FUZZ_CC) $(FUZZ_FLAGS) -Ibpf -DHVT_VERSION='"fuzz"' -o $@ $< $(AGENT_SRCS) \
		-lsqlite3 -lz -lm

fuzz: $(OUT)/fuzz/fuzz_proto $(OUT)/fuzz/fuzz_agent_host
	@mkdir -p $(OUT)/fuzz/crashes $(OUT)/fuzz/corpus-proto $(OUT)/fuzz/corpus-agent
	@printf '  %-8s %s, %s s\n' FUZZ fuzz_proto $(FUZZ_TIME)
	@$(OUT)/fuzz/fuzz_proto $(FUZZ_RUN) $(OUT)/fuzz/corpus-proto tests/fuzz/corpus/proto
	@printf '  %-8s %s, %s s\n' FUZZ fuzz_agent_host $(FUZZ_TIME)
	@$(OUT)/fuzz/fuzz_agent_host $(FUZZ_RUN) $(OUT)/fuzz/corpus-agent tests/fuzz/corpus/proto

# The benchmark's empty-program floor (bench/overhead.sh).
$(OUT)/bench/floor: bench/floor.c $(OUT)/floor.skel.h
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(CFLAGS) $(WARN) -I$(OUT) -o $@ $< -lbpf -lelf -lz

# In-process A/B of BPF objects on the syscall and fault paths (bench/progcost.c).
$(OUT)/bench/progcost: bench/progcost.c user/cpu_array.c user/cpu_array.h
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(CFLAGS) $(WARN) -Iuser -o $@ bench/progcost.c user/cpu_array.c -lbpf -lelf -lz

# The host view's pairing logic: in user space, and in the kernel on stand-in tracepoints.
$(OUT)/bench/kvm_replay: bench/kvm_replay.c bpf/kvm_pair.h bpf/agg.h bpf/hvtrace.h
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(CFLAGS) $(WARN) -Ibpf -o $@ $<

$(OUT)/bench/%.bpf.o: bench/%.bpf.c $(OUT)/vmlinux.h bpf/scope.bpf.h bpf/kvm_pair.h bpf/agg.h \
		      bpf/hvtrace.h
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' BPF $@
	@$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(OUT) -Ibpf -c $< -o $@

.PHONY: all fuzz
