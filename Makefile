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
PREFIX ?= /usr/local
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wshadow -Wno-unused-parameter -std=gnu11
CPPFLAGS += -I$(ROOT)/include/uapi -I$(ROOT)/include -D_GNU_SOURCE
# The harness's macros compare mixed signedness by design.
TEST_CFLAGS = -I$(KSFT) -Wno-sign-compare -Wno-clobbered
KSRC = $(shell $(ROOT)/scripts/ksrc)
KSFT = $(KSRC)/tools/testing/selftests

MOD_DEPS := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild \
	    include/uapi/linux/vcache.h $(wildcard include/vcache/*.h)
USER_PROGS := user/vcachectl user/vcache-streamer
UNIT_TESTS := $(patsubst user/tests/%.c,$(BUILD)/unit/%,$(wildcard user/tests/*_test.c))
BENCHES := $(BUILD)/bench/chunk_bench $(BUILD)/bench/aio_bench
SELFTESTS := $(patsubst selftests/vcache/%.c,$(BUILD)/selftests/%,$(wildcard selftests/vcache/*_test.c))
# Script tests (TAP, kselftest totals) and the programs they drive.
SELFTESTS += $(patsubst selftests/vcache/%.sh,$(BUILD)/selftests/%,$(wildcard selftests/vcache/*_test.sh))
SELFTEST_HELPERS := $(BUILD)/selftests/streamer_client

.PHONY: all modules user selftests benches unit check demo style clean install deps \
	bench bench-chunk fuzz-tsindex fuzz-http

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

# info, ls, rm, stats, limit and monitor speak generic netlink through libnl.
NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0)

# load indexes MPEG-TS (tsindex.c, vindex.c); seek and cat --at take timecodes.
user/vcachectl: user/vcachectl.c user/parse.c user/nl.c user/tsindex.c user/vindex.c \
		user/tcparse.c $(wildcard user/*.h) \
		include/uapi/linux/vcache.h $(wildcard include/vcache/*.h)
	$(CC) $(CPPFLAGS) $(NL_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(NL_LIBS)

# The HTTP server; GET /v/ lists the cache over netlink.
STREAMER_SRCS := user/streamer.c user/stream_http.c user/stream_send.c user/stream_video.c \
	user/http.c user/range.c user/parse.c user/aio.c user/nl.c

user/vcache-streamer: $(STREAMER_SRCS) $(wildcard user/*.h) \
		include/uapi/linux/vcache.h $(wildcard include/vcache/*.h)
	$(CC) $(CPPFLAGS) $(NL_CFLAGS) $(CFLAGS) -o $@ $(STREAMER_SRCS) -lpthread $(NL_LIBS)

selftests: $(SELFTESTS) $(SELFTEST_HELPERS) test-media

# Two-minute videos for selftests/vcache/timecode_test.c, made here on the
# host before the VM boots: ffmpeg under TCG takes fifteen times as long
# (20 s here, 5.5 min there). A stamp makes it a no-op once made; without
# ffmpeg or libx264 the script exits 77 and the test skips.
TEST_MEDIA := $(BUILD)/media-long

.PHONY: test-media
test-media:
	@$(ROOT)/scripts/make-test-media -d 120 $(TEST_MEDIA) || [ $$? -eq 77 ]

$(BUILD)/selftests/%: selftests/vcache/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

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

# Kernel AIO (user/aio.c) against blocking reads, a thread pool, POSIX AIO,
# libaio and io_uring: the seed's AIO table, in C.
$(BUILD)/bench/aio_bench: bench/aio_bench.c user/aio.c user/aio.h \
		include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ bench/aio_bench.c user/aio.c \
		-luring -laio -lrt -lpthread

.PHONY: bench-aio bench-aio-quick

# In the VM (tmpfs and /dev/vcache), then on the host (tmpfs), into
# bench/results/aio.md; bench-aio-quick runs 200 ticks once, as a smoke test.
bench-aio: modules $(BUILD)/bench/aio_bench
	$(ROOT)/bench/aio-bench.sh

bench-aio-quick: modules $(BUILD)/bench/aio_bench
	$(ROOT)/bench/aio-bench.sh --quick

$(BUILD)/unit/%: user/tests/%.c $(wildcard include/vcache/*.h) $(wildcard user/*.h) $(wildcard user/*.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) -Iuser $(CFLAGS) -fsanitize=address,undefined -o $@ $<

# tsindex_test makes its media (scripts/make-test-media) under build/media;
# vindex_test uses them if they are there.
$(BUILD)/unit/tsindex_test $(BUILD)/unit/vindex_test: CPPFLAGS += -DVCACHE_ROOT='"$(ROOT)"'

# Host unit tests of the pure code: no VM, no module.
unit: $(UNIT_TESTS)
	@$(ROOT)/scripts/run-tests $(UNIT_TESTS)

# libFuzzer on the TS indexer (clang): FUZZ_TIME seconds, new inputs kept in
# build/fuzz/corpus, crashes written to build/fuzz/ (see user/fuzz/README).
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS ?=

$(BUILD)/fuzz/tsindex_fuzz: user/fuzz/tsindex_fuzz.c user/tsindex.c user/tsindex.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/tsindex_fuzz.c user/tsindex.c

fuzz-tsindex: $(BUILD)/fuzz/tsindex_fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	$< -max_total_time=$(FUZZ_TIME) -max_len=32768 -print_final_stats=1 \
		-dict=user/fuzz/tsindex.dict -artifact_prefix=$(BUILD)/fuzz/ \
		$(FUZZ_FLAGS) $(BUILD)/fuzz/corpus user/fuzz/corpus

# libFuzzer on the HTTP request parser and the Range/If-Range/query code
# (user/fuzz/http_fuzz.c): FUZZ_TIME seconds; corpus in build/fuzz/http-corpus.
$(BUILD)/fuzz/http_fuzz: user/fuzz/http_fuzz.c user/http.c user/http.h user/range.c user/range.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/http_fuzz.c

fuzz-http: $(BUILD)/fuzz/http_fuzz
	@mkdir -p $(BUILD)/fuzz/http-corpus
	$< -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 \
		-dict=user/fuzz/http.dict -artifact_prefix=$(BUILD)/fuzz/http- \
		$(FUZZ_FLAGS) $(BUILD)/fuzz/http-corpus user/fuzz/http-corpus

# checkpatch --strict over the kernel code, W=1 + sparse builds on every kernel.
style:
	@$(ROOT)/scripts/check style

check:
	@$(ROOT)/scripts/check all

demo: all
	@$(ROOT)/scripts/demo

install: all
	install -D -m 0644 udev/99-vcache.rules $(DESTDIR)/etc/udev/rules.d/99-vcache.rules
	install -D -m 0755 user/vcachectl $(DESTDIR)$(PREFIX)/bin/vcachectl
	install -D -m 0644 user/vcachectl.8 $(DESTDIR)$(PREFIX)/share/man/man8/vcachectl.8

clean:
	rm -rf $(BUILD)
