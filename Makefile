# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# hvtrace build. Every output goes to $(OUT); `make V=1` shows full commands.
#   make          deps (once), BPF objects, skeletons, hvtrace and hvtrace-static
#   make check    build, then every test (tests/run.sh)
#   make demo     the main job: a real build natively and in a guest, explained
#                 (VIA=libvirt: the guest as a libvirt domain, recorded by its name)
#   make deps     install what a fresh Debian 12 lacks (apt packages, libperf)

OUT        ?= build
LIBPERF_DIR ?= /var/cache/hvtrace/libperf
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
ARCH       := x86
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:
# Skeletons and BPF objects are made by pattern rules: keep them, they are outputs.
.SECONDARY:

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	    -Wno-format-truncation
CFLAGS   ?= -O2 -g
CPPFLAGS += -I$(OUT) -Iuser -Ibpf -I$(LIBPERF_DIR)/include -DHVT_VERSION='"$(VERSION)"' \
	    -D_GNU_SOURCE
DEPFLAGS  = -MMD -MP

# Modules that need libvirt are left out of the static binary, which links
# their *_none.c twin instead (same interface, says "built without libvirt").
VIRT_SRCS := $(wildcard user/*_virt.c)
NOVIRT_SRCS := $(patsubst %_virt.c,%_none.c,$(VIRT_SRCS))
COMMON_SRCS := $(filter-out $(VIRT_SRCS) $(NOVIRT_SRCS),$(wildcard user/*.c))
BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS    := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
GEN      := $(OUT)/vmlinux.h $(OUT)/syscall_names.h $(SKELS)

DYN_OBJS := $(patsubst user/%.c,$(OUT)/dyn/%.o,$(COMMON_SRCS) $(VIRT_SRCS))
STA_OBJS := $(patsubst user/%.c,$(OUT)/sta/%.o,$(COMMON_SRCS) $(NOVIRT_SRCS))

LIBPERF_LIBS := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a
DYN_LIBS := -lbpf -lelf -ldw -lz -lsqlite3 -lvirt -lvirt-qemu $(LIBPERF_LIBS) -lm -lpthread
STA_LIBS := -static -l:libbpf.a -l:libelf.a -l:libsqlite3.a $(LIBPERF_LIBS) -l:libz.a \
	    -l:libzstd.a -lm -lpthread

DEPS_STAMP := $(OUT)/.deps-ok

all: $(OUT)/hvtrace $(OUT)/hvtrace-static tests-build

# Installing packages needs root; the stamp makes a second run free.
$(DEPS_STAMP): mk/deps.sh
	$(call msg,DEPS,apt packages + libperf)
	$(Q)LIBPERF_DIR=$(LIBPERF_DIR) mk/deps.sh
	$(Q)mkdir -p $(OUT) && touch $@

deps:
	$(Q)LIBPERF_DIR=$(LIBPERF_DIR) mk/deps.sh
	$(Q)mkdir -p $(OUT) && touch $(DEPS_STAMP)

# vmlinux.h only changes (and so only rebuilds the BPF side) when the BTF does.
$(OUT)/vmlinux.h: /sys/kernel/btf/vmlinux | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)$(BPFTOOL) btf dump file $< format c > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; touch $@; else mv $@.tmp $@; fi

$(OUT)/syscall_names.h: mk/syscall_names.sh | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)mk/syscall_names.sh > $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -Ibpf $(DEPFLAGS) \
		-c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(OUT)/dyn/%.o: user/%.c | $(GEN)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(OUT)/sta/%.o: user/%.c | $(GEN)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(OUT)/hvtrace: $(DYN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(DYN_LIBS)

$(OUT)/hvtrace-static: $(STA_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(STA_LIBS)

# Tests bring their own sub-make so that adding a test touches no line here.
tests-build: $(OUT)/hvtrace
	$(Q)$(MAKE) --no-print-directory -f tests/tests.mk OUT=$(OUT) \
		LIBPERF_DIR=$(LIBPERF_DIR) CPPFLAGS='$(CPPFLAGS)'

check: all
	$(Q)OUT=$(abspath $(OUT)) tests/run.sh

demo: all
	$(Q)OUT=$(abspath $(OUT)) tools/demo.sh

fuzz: all
	$(Q)$(MAKE) --no-print-directory -f tests/tests.mk OUT=$(OUT) fuzz

clean:
	rm -rf $(OUT)

.PHONY: all deps check demo fuzz clean tests-build

-include $(DYN_OBJS:.o=.d) $(STA_OBJS:.o=.d) $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.d,$(BPF_SRCS))
