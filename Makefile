# SPDX-License-Identifier: GPL-2.0
#
# vcache: make (build everything), make check (every test), make demo.
# See README.md.

ROOT := $(CURDIR)
BUILD := $(ROOT)/build

# Every installed Debian amd64 kernel with headers, or one tree by KDIR=.
KVERS ?= $(sort $(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/*-amd64/build)))
KDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wshadow -Wno-unused-parameter -std=gnu11
CPPFLAGS += -I$(ROOT)/include/uapi -I$(ROOT)/include -D_GNU_SOURCE
# The harness's macros compare mixed signedness by design.
TEST_CFLAGS = -I$(KSFT) -Wno-sign-compare -Wno-clobbered
KSRC = $(shell $(ROOT)/scripts/ksrc)
KSFT = $(KSRC)/tools/testing/selftests

MOD_DEPS := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild \
	    include/uapi/linux/vcache.h $(wildcard include/vcache/*.h)
USER_PROGS := user/vcachectl
UNIT_TESTS := $(patsubst user/tests/%.c,$(BUILD)/unit/%,$(wildcard user/tests/*_test.c))
BENCHES := $(BUILD)/bench/chunk_bench
SELFTESTS := $(patsubst selftests/vcache/%.c,$(BUILD)/selftests/%,$(wildcard selftests/vcache/*_test.c))

.PHONY: all modules user selftests benches unit check demo style clean install deps \
	bench bench-chunk

all: modules user selftests benches

deps:
	@$(ROOT)/scripts/install-deps

ifneq ($(KDIR),)
modules:
	$(ROOT)/scripts/build-module $(KDIR)
else
modules: $(foreach k,$(KVERS),$(BUILD)/$(k)/vcache.ko)

$(BUILD)/%/vcache.ko: $(MOD_DEPS)
	$(ROOT)/scripts/build-module $*
endif

user: $(USER_PROGS)

user/vcachectl: user/vcachectl.c user/parse.c $(wildcard user/*.h) \
		include/uapi/linux/vcache.h $(wildcard include/vcache/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^)

selftests: $(SELFTESTS)

$(BUILD)/selftests/%: selftests/vcache/%.c selftests/vcache/*.h include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $(CFLAGS) -o $@ $< -lpthread

benches: $(BENCHES)

$(BUILD)/bench/%: bench/%.c include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

# Chunk access inside the VM: pread copy vs mmap vs pointer (issue: VOD cache).
bench-chunk: all
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G -- \
		$(BUILD)/bench/chunk_bench --tmpfs /tmp --reps 21

$(BUILD)/unit/%: user/tests/%.c $(wildcard include/vcache/*.h) $(wildcard user/*.h) $(wildcard user/*.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) -Iuser $(CFLAGS) -fsanitize=address,undefined -o $@ $<

# Host unit tests of the pure code: no VM, no module.
unit: $(UNIT_TESTS)
	@$(ROOT)/scripts/run-tests $(UNIT_TESTS)

# checkpatch --strict over the kernel code, W=1 + sparse builds on every kernel.
style:
	@$(ROOT)/scripts/check style

check:
	@$(ROOT)/scripts/check all

demo: all
	@$(ROOT)/scripts/demo

install: all
	install -D -m 0644 udev/99-vcache.rules $(DESTDIR)/etc/udev/rules.d/99-vcache.rules

clean:
	rm -rf $(BUILD)
