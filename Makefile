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
# The programs are build outputs like the rest: build/user/vcachectl and
# build/user/vcache-streamer (make install puts them in $(PREFIX)/bin).
UBUILD := $(BUILD)/user
VCACHECTL := $(UBUILD)/vcachectl
STREAMER := $(UBUILD)/vcache-streamer
USER_PROGS := $(VCACHECTL) $(STREAMER)
UNIT_TESTS := $(patsubst user/tests/%.c,$(BUILD)/unit/%,$(wildcard user/tests/*_test.c))
BENCHES := $(BUILD)/bench/chunk_bench $(BUILD)/bench/aio_bench $(BUILD)/bench/live_ingest \
	   $(BUILD)/bench/lookup_bench $(BUILD)/bench/scale_bench $(BUILD)/bench/calibrate \
	   $(BUILD)/bench/hls_bench $(BUILD)/bench/seek_client $(BUILD)/bench/reclaim_hog \
	   $(BUILD)/bench/fill_read
SELFTESTS := $(patsubst selftests/vcache/%.c,$(BUILD)/selftests/%,$(wildcard selftests/vcache/*_test.c))
# Script tests (TAP, kselftest totals) and the programs they drive.
SELFTESTS += $(patsubst selftests/vcache/%.sh,$(BUILD)/selftests/%,$(wildcard selftests/vcache/*_test.sh))
# What they source from their own directory (it finds the tree).
SELFTESTS += $(BUILD)/selftests/streamer_lib.sh
SELFTEST_HELPERS := $(BUILD)/selftests/streamer_client $(BUILD)/selftests/live_client \
		    $(BUILD)/selftests/soak_client $(BUILD)/selftests/hls_check \
		    $(BUILD)/selftests/failrealloc.so

.PHONY: all modules user selftests benches unit check check-debug fuzz demo style clean \
	install deps \
	bench bench-chunk bench-calibrate bench-seek bench-seek-quick fuzz-tsindex fuzz-http fuzz-tsprobe

all: modules user selftests benches

# "make build/bench/aio_bench" is the file that $(BUILD)/bench/aio_bench
# builds: without this, make finds it on disk and does nothing.
build/%: $(BUILD)/% ;

deps:
	@$(ROOT)/scripts/install-deps

# The debug kernel (scripts/build-debug-kernel), once built: its tree and
# release. make check-debug builds it when it is missing.
DEBUG_KTREE := $(shell $(ROOT)/scripts/build-debug-kernel --path 2>/dev/null)
DEBUG_KVER := $(if $(DEBUG_KTREE),$(shell cat $(DEBUG_KTREE)/kernelrelease))

ifneq ($(KDIR),)
modules:
	+$(ROOT)/scripts/build-module $(KDIR)
else
modules: $(foreach k,$(KVERS),$(BUILD)/$(k)/vcache.ko) \
	$(if $(DEBUG_KVER),$(BUILD)/$(DEBUG_KVER)/vcache.ko)

$(BUILD)/%/vcache.ko: $(MOD_DEPS)
	+$(ROOT)/scripts/build-module $(if $(filter $*,$(DEBUG_KVER)),debug,$*)

# A debug kernel built again (a new config fragment) has the same release.
ifneq ($(DEBUG_KVER),)
$(BUILD)/$(DEBUG_KVER)/vcache.ko: $(DEBUG_KTREE)/.complete
endif
endif

user: $(USER_PROGS)

# info, ls, rm, stats, limit and monitor speak generic netlink through libnl.
NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0)

# user/lib/ is the code both programs (and the unit tests) use, built once as
# a static library, as iproute2 builds lib/: HTTP parsing, ranges, chunked
# bodies, timecodes, the TS indexer, kernel AIO, the load path and netlink.
# Each program links it and takes only the objects it calls. Objects go
# under build/user/obj/; -MMD writes each one's header dependencies beside it.
LIBVCACHE := $(UBUILD)/libvcache-user.a
LIB_SRCS := $(wildcard user/lib/*.c)
USER_CPPFLAGS = $(CPPFLAGS) -I$(ROOT)/user/lib $(NL_CFLAGS)

$(UBUILD)/obj/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBVCACHE): $(patsubst user/%.c,$(UBUILD)/obj/%.o,$(LIB_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^

# user/vcachectl/: help and dispatch in vcachectl.c, each command (its
# record, options and handler) in a ctl_*.c.
VCACHECTL_SRCS := $(wildcard user/vcachectl/*.c)
VCACHECTL_OBJS := $(patsubst user/%.c,$(UBUILD)/obj/%.o,$(VCACHECTL_SRCS))

$(VCACHECTL): $(VCACHECTL_OBJS) $(LIBVCACHE)
	$(CC) $(CFLAGS) -o $@ $(VCACHECTL_OBJS) $(LIBVCACHE) $(NL_LIBS)

# user/streamer/: the HTTP server (see streamer.h for its files); GET /v/
# lists the cache over netlink.
STREAMER_SRCS := $(wildcard user/streamer/*.c)
STREAMER_OBJS := $(patsubst user/%.c,$(UBUILD)/obj/%.o,$(STREAMER_SRCS))

$(STREAMER): $(STREAMER_OBJS) $(LIBVCACHE)
	$(CC) $(CFLAGS) -o $@ $(STREAMER_OBJS) $(LIBVCACHE) -lpthread $(NL_LIBS)

-include $(patsubst %.o,%.d,$(VCACHECTL_OBJS) $(STREAMER_OBJS) \
	$(patsubst user/%.c,$(UBUILD)/obj/%.o,$(LIB_SRCS)))

selftests: $(SELFTESTS) $(SELFTEST_HELPERS) test-media

# Two-minute videos for selftests/vcache/timecode_test.c, made here on the
# host before the VM boots: ffmpeg under TCG takes fifteen times as long
# (20 s here, 5.5 min there). A stamp makes it a no-op once made; without
# ffmpeg or libx264 the script exits 77 and the test skips. The 20 s set in
# build/media (also the unit tests') feeds live_http_test.sh's ffmpeg PUT.
TEST_MEDIA := $(BUILD)/media-long

.PHONY: test-media
test-media:
	@$(ROOT)/scripts/make-test-media -d 120 $(TEST_MEDIA) || [ $$? -eq 77 ]
	@$(ROOT)/scripts/make-test-media $(BUILD)/media || [ $$? -eq 77 ]

$(BUILD)/selftests/%: selftests/vcache/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(BUILD)/selftests/streamer_lib.sh: selftests/vcache/streamer_lib.sh
	@mkdir -p $(dir $@)
	install -m 0644 $< $@

$(BUILD)/selftests/%: selftests/vcache/%.c selftests/vcache/*.h include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $(CFLAGS) -o $@ $< -lpthread

# An LD_PRELOAD shim: realloc() past a size fails (see the file), for the
# streamer's out-of-memory tests.
$(BUILD)/selftests/failrealloc.so: selftests/vcache/failrealloc.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

# hls_test.c's RFC 8216 checker as a tool, for the playlists hls_test.sh
# fetches from the streamer in the VM.
$(BUILD)/selftests/hls_check: user/tests/hls_check.c user/tests/hls_checker.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

benches: $(BENCHES)

$(BUILD)/bench/%: bench/%.c bench/bench_util.h include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/bench/lookup_bench: LDLIBS += -lm
$(BUILD)/bench/seek_client: LDLIBS += -lpthread

# Every experiment of issue 10 into bench/results/REPORT.md (bench/run-all):
# the module experiments in one VM boot, then bench-aio, bench-live,
# bench-hls-serve and bench-reclaim (each its own boot).
bench: modules user benches
	$(ROOT)/bench/run-all

# The same four micro-measurements (a null system call, a 1 MiB memcpy, a
# page fault, 64 MiB over loopback TCP) on the host, in the VM and on the
# host again, and how many times as long each takes in the VM:
# bench/results/calibrate.md, which make bench puts in its report's "Where
# it ran". One short VM boot (about 30 s in all).
bench-calibrate: $(BUILD)/bench/calibrate
	$(ROOT)/bench/calibrate

# Chunk access inside the VM: pread copy vs mmap vs pointer (issue: VOD cache).
bench-chunk: all
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G -- \
		$(BUILD)/bench/chunk_bench --tmpfs /tmp --reps 21

# HLS playlist generation time against index size (10 min to 10 h), with
# user/lib/hls.c as the streamer runs it: host-only, no module.
$(BUILD)/bench/hls_bench: bench/hls_bench.c $(LIBVCACHE) user/lib/hls.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iuser/lib $(CFLAGS) -o $@ bench/hls_bench.c $(LIBVCACHE)

# Kernel AIO (user/lib/aio.c) against blocking reads, a thread pool, POSIX AIO,
# libaio and io_uring: the seed's AIO table, in C.
$(BUILD)/bench/aio_bench: bench/aio_bench.c user/lib/aio.c user/lib/aio.h \
		include/uapi/linux/vcache.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ bench/aio_bench.c user/lib/aio.c \
		-luring -laio -lrt -lpthread

# Live ingest of 1 MiB chunks from loopback TCP: recv + write() vs recv into
# the mapped ring vs splice, receiver CPU per MiB (issue: live broadcast).
# Into bench/results/live_ingest.md; the RATIO line is for scripts.
.PHONY: bench-live
bench-live: modules $(BUILD)/bench/live_ingest
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G --timeout 1800 -- sh -c \
		'$(BUILD)/bench/live_ingest --label "VM (QEMU TCG), kernel 6.12" $(LIVE_BENCH_ARGS) \
		>"$$VCACHE_OUT/live_ingest.md"'
	@mkdir -p $(ROOT)/bench/results
	cp $(BUILD)/vm-out/live_ingest.md $(ROOT)/bench/results/live_ingest.md
	@cat $(ROOT)/bench/results/live_ingest.md

# Timecode seek against nginx's mp4 module (bench/seek-bench.sh): the media
# made on the host once (build/seek-media), the runs in one VM boot, into
# bench/results/seek.{md,csv} and seek.png; seek-host.txt has the host's load
# average before and after (other users of the machine slow the VM down:
# compare only the runs of one boot). bench-seek-quick: 10 min and
# 1 h, one run of 1 s each, as a smoke test.
SEEK_MEDIA := $(BUILD)/seek-media
SEEK_BENCH_ARGS ?=

bench-seek bench-seek-quick: modules user benches
	$(ROOT)/bench/seek-bench.sh --make-media $(SEEK_MEDIA)
	@mkdir -p $(ROOT)/bench/results
	@echo "host_load_start=$$(cut -d' ' -f1-3 /proc/loadavg)" >$(ROOT)/bench/results/seek-host.txt
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G --timeout 900 -- sh -c \
		'$(ROOT)/bench/seek-bench.sh --media $(SEEK_MEDIA) \
		$(if $(filter bench-seek-quick,$@),--lengths "600 3600" --reps 1 --duration 1) \
		$(SEEK_BENCH_ARGS) "$$VCACHE_OUT"'
	@echo "host_load_end=$$(cut -d' ' -f1-3 /proc/loadavg)" >>$(ROOT)/bench/results/seek-host.txt
	cp $(BUILD)/vm-out/seek.md $(BUILD)/vm-out/seek.csv $(BUILD)/vm-out/seek-runs.csv \
		$(BUILD)/vm-out/seek-raw.txt $(ROOT)/bench/results/
	$(ROOT)/bench/seek-bench.sh --plot $(ROOT)/bench/results/seek.csv $(ROOT)/bench/results/seek.png

# Serving against nginx alone (bench/serve-bench.sh), in one VM boot with
# the memory of make bench (6G): 5 repetitions a cell by default, the
# servers interleaved, into bench/results/serve.{md,csv}, serve-runs.csv
# and serve-raw.txt; serve-host.txt has the host's load average before and
# after. bench-serve-quick: one run of 1 s a cell, 64 MiB, 8 and 64
# connections, a smoke test. SERVE_BENCH_ARGS passes options (--servers
# "splice nginx", --reps N, ...). bench-serve-count (bench/serve-count.sh):
# syscalls per request of the streamer and of nginx under strace, and
# callgrind's instructions per request of the streamer, into
# bench/results/count.md, count-strace-*.txt and count-callgrind.txt.
SERVE_BENCH_ARGS ?=
SERVE_COUNT_ARGS ?=

.PHONY: bench-serve bench-serve-quick bench-serve-count
bench-serve bench-serve-quick: modules user
	@mkdir -p $(ROOT)/bench/results
	@echo "host_load_start=$$(cut -d' ' -f1-3 /proc/loadavg)" >$(ROOT)/bench/results/serve-host.txt
	$(ROOT)/scripts/vm-run -k 6.12 --mem 6G --timeout 1800 -- sh -c \
		'$(ROOT)/bench/serve-bench.sh \
		$(if $(filter bench-serve-quick,$@),--reps 1 --duration 1 --size-mb 64 --conns "8 64") \
		$(SERVE_BENCH_ARGS) "$$VCACHE_OUT"'
	@echo "host_load_end=$$(cut -d' ' -f1-3 /proc/loadavg)" >>$(ROOT)/bench/results/serve-host.txt
	cp $(BUILD)/vm-out/serve.md $(BUILD)/vm-out/serve.csv $(BUILD)/vm-out/serve-runs.csv \
		$(BUILD)/vm-out/serve-raw.txt $(ROOT)/bench/results/

bench-serve-count: modules user
	@mkdir -p $(ROOT)/bench/results
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G --timeout 1800 -- sh -c \
		'$(ROOT)/bench/serve-count.sh $(SERVE_COUNT_ARGS) "$$VCACHE_OUT"'
	cp $(BUILD)/vm-out/count.md $(BUILD)/vm-out/count-strace-*.txt $(ROOT)/bench/results/
	@# (none with --cg-seconds 0)
	[ ! -f $(BUILD)/vm-out/count-callgrind.txt ] || \
		cp $(BUILD)/vm-out/count-callgrind.txt $(ROOT)/bench/results/

# HLS segments against nginx serving the same bytes as static byte-range HLS
# from tmpfs (bench/hls-serve-bench.sh): the 10 min, 3 Mbit/s media made on
# the host once (build/hls-media), the runs in one VM boot, into
# bench/results/hls-serve.{md,csv}, hls-serve-runs.csv and hls-serve-raw.txt;
# hls-serve-host.txt has the host's load average before and after.
# bench-hls-serve-quick: one run of 1 s a cell, 8 and 64 viewers, a smoke test.
HLS_MEDIA := $(BUILD)/hls-media
HLS_BENCH_ARGS ?=

.PHONY: bench-hls-serve bench-hls-serve-quick
bench-hls-serve bench-hls-serve-quick: modules user
	$(ROOT)/bench/hls-serve-bench.sh --make-media $(HLS_MEDIA)
	@mkdir -p $(ROOT)/bench/results
	@echo "host_load_start=$$(cut -d' ' -f1-3 /proc/loadavg)" >$(ROOT)/bench/results/hls-serve-host.txt
	$(ROOT)/scripts/vm-run -k 6.12 --mem 2G --timeout 900 -- sh -c \
		'$(ROOT)/bench/hls-serve-bench.sh --media $(HLS_MEDIA) \
		$(if $(filter bench-hls-serve-quick,$@),--reps 1 --duration 1 --conns "8 64") \
		$(HLS_BENCH_ARGS) "$$VCACHE_OUT"'
	@echo "host_load_end=$$(cut -d' ' -f1-3 /proc/loadavg)" >>$(ROOT)/bench/results/hls-serve-host.txt
	cp $(BUILD)/vm-out/hls-serve.md $(BUILD)/vm-out/hls-serve.csv \
		$(BUILD)/vm-out/hls-serve-runs.csv $(BUILD)/vm-out/hls-serve-raw.txt \
		$(ROOT)/bench/results/

# Reclaim under pressure (issue 18): the time for a hog to get 256 MiB back
# from 300 MiB held by vcache, by ext4's page cache and by tmpfs, in one VM
# boot (bench/reclaim-bench.sh), into bench/results/reclaim.md (medians),
# reclaim-runs.csv (every run), reclaim-raw.txt and reclaim-setup.txt;
# reclaim-host.txt has the host's load average before and after (waiting
# for the VM lock included).
RECLAIM_BENCH_ARGS ?=

.PHONY: bench-reclaim
bench-reclaim: modules user $(BUILD)/bench/reclaim_hog
	@mkdir -p $(ROOT)/bench/results
	@echo "host_load_start=$$(cut -d' ' -f1-3 /proc/loadavg)" >$(ROOT)/bench/results/reclaim-host.txt
	$(ROOT)/scripts/vm-run -k 6.12 --mem 768M --timeout 900 -- sh -c \
		'$(ROOT)/bench/reclaim-bench.sh $(RECLAIM_BENCH_ARGS) "$$VCACHE_OUT"'
	@echo "host_load_end=$$(cut -d' ' -f1-3 /proc/loadavg)" >>$(ROOT)/bench/results/reclaim-host.txt
	cp $(BUILD)/vm-out/reclaim.md $(BUILD)/vm-out/reclaim-runs.csv \
		$(BUILD)/vm-out/reclaim-raw.txt $(BUILD)/vm-out/reclaim-setup.txt $(ROOT)/bench/results/

# Read-through fill (issue 17, item 7): time to first byte of a miss
# against a hit, and a 1 GiB file read cold by the streamer's fill (kernel
# AIO + O_DIRECT), a buffered read(2) loop and cat, with CPU per GiB and
# system calls, in one VM boot (bench/fill-bench.sh). The guest's disk is a
# sparse raw image in build/ given to QEMU as a virtio-blk device with
# cache=none (reads go to the host's disk, not its page cache), made afresh
# each run and deleted after. Into bench/results/fill.md, fill-runs.csv,
# fill-ttfb.csv, fill-strace.txt, fill-setup.txt; fill-host.txt has the host's
# load before and after. bench-fill-quick: a 128 MiB file, a smoke test.
FILL_BENCH_ARGS ?=
FILL_IMG := $(BUILD)/fill-bench.img

.PHONY: bench-fill bench-fill-quick
bench-fill bench-fill-quick: modules user $(BUILD)/bench/fill_read $(BUILD)/bench/reclaim_hog
	@mkdir -p $(ROOT)/bench/results
	@echo "host_load_start=$$(cut -d' ' -f1-3 /proc/loadavg)" >$(ROOT)/bench/results/fill-host.txt
	rm -f $(FILL_IMG)
	truncate -s $(if $(filter bench-fill-quick,$@),512M,1536M) $(FILL_IMG)
	VCACHE_VM_QEMU_ARGS="-drive file=$(FILL_IMG),if=none,id=fillbench,format=raw,cache=none \
		-device virtio-blk-pci,drive=fillbench,serial=fillbench" \
	$(ROOT)/scripts/vm-run -k 6.12 --mem 3G --timeout 1800 -- sh -c \
		'$(ROOT)/bench/fill-bench.sh \
		$(if $(filter bench-fill-quick,$@),--size-mb 128 --reps 3 --ttfb-mb 8 --ttfb-reps 5) \
		$(FILL_BENCH_ARGS) "$$VCACHE_OUT"' || { rm -f $(FILL_IMG); exit 1; }
	rm -f $(FILL_IMG)
	@echo "host_load_end=$$(cut -d' ' -f1-3 /proc/loadavg)" >>$(ROOT)/bench/results/fill-host.txt
	cp $(BUILD)/vm-out/fill.md $(BUILD)/vm-out/fill-runs.csv $(BUILD)/vm-out/fill-ttfb.csv \
		$(BUILD)/vm-out/fill-strace.txt $(BUILD)/vm-out/fill-setup.txt $(ROOT)/bench/results/

.PHONY: bench-aio bench-aio-quick

# In the VM (tmpfs and /dev/vcache), then on the host (tmpfs), into
# bench/results/aio.md; bench-aio-quick runs 200 ticks once, as a smoke test.
bench-aio: modules $(BUILD)/bench/aio_bench
	$(ROOT)/bench/aio-bench.sh

bench-aio-quick: modules $(BUILD)/bench/aio_bench
	$(ROOT)/bench/aio-bench.sh --quick

# The unit tests link the same library built again with ASan and UBSan
# (build/unit/libvcache-user.a), so the sanitizers watch the code under
# test, not only the test.
UNIT_SAN := -fsanitize=address,undefined
UNIT_LIB := $(BUILD)/unit/libvcache-user.a
UNIT_LIB_OBJS := $(patsubst user/%.c,$(BUILD)/unit/obj/%.o,$(LIB_SRCS))

$(BUILD)/unit/obj/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CPPFLAGS) $(CFLAGS) $(UNIT_SAN) -MMD -MP -c -o $@ $<

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# A test of one program's own file links that file's object too.
$(BUILD)/unit/ingest_auth_test: UNIT_OBJS = $(BUILD)/unit/obj/streamer/ingest_auth.o
$(BUILD)/unit/ingest_auth_test: UNIT_INC = -I$(ROOT)/user/streamer
$(BUILD)/unit/ingest_auth_test: $(BUILD)/unit/obj/streamer/ingest_auth.o

$(BUILD)/unit/origin_test: UNIT_OBJS = $(BUILD)/unit/obj/streamer/origin_open.o \
	$(BUILD)/unit/obj/streamer/origin_nofit.o
$(BUILD)/unit/origin_test: UNIT_INC = -I$(ROOT)/user/streamer
$(BUILD)/unit/origin_test: $(BUILD)/unit/obj/streamer/origin_open.o \
	$(BUILD)/unit/obj/streamer/origin_nofit.o

$(BUILD)/unit/%: user/tests/%.c $(UNIT_LIB) $(wildcard include/vcache/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CPPFLAGS) $(UNIT_INC) $(TEST_CFLAGS) $(CFLAGS) $(UNIT_SAN) -MMD -MP \
		-o $@ $< $(UNIT_OBJS) $(UNIT_LIB)

-include $(patsubst %.o,%.d,$(UNIT_LIB_OBJS) $(BUILD)/unit/obj/streamer/ingest_auth.o \
		$(BUILD)/unit/obj/streamer/origin_open.o $(BUILD)/unit/obj/streamer/origin_nofit.o) \
	$(addsuffix .d,$(UNIT_TESTS))

# The player page's directory, for vcache-streamer --web build/web/www:
# web/player/ and hls.js's build from build/web/node_modules (npm ci by
# scripts/install-deps, pinned in web/package-lock.json).
WWW := $(BUILD)/web/www
HLS_JS := $(BUILD)/web/node_modules/hls.js/dist/hls.min.js
.PHONY: web
web: $(WWW)/player.html $(WWW)/player.js $(WWW)/hls.min.js
$(WWW)/%: web/player/%
	@mkdir -p $(@D)
	cp $< $@
$(WWW)/hls.min.js: $(HLS_JS)
	@mkdir -p $(@D)
	cp $< $@
$(HLS_JS):
	$(ROOT)/scripts/install-deps

# The player page in chromium against the streamer in the VM (a port
# forwarded by vm-run): plays a video, seeks by timecode to its keyframe.
.PHONY: browser-player
browser-player: all web
	@$(ROOT)/scripts/browser-player

# Three vcache nodes (QEMU guests) behind HAProxy running deploy/haproxy.cfg:
# placement, node loss and return, live through the balancer (make check
# runs it).
.PHONY: check-cluster
check-cluster: all
	@$(ROOT)/scripts/cluster-test

# The browser tooling (issue 16): Debian's chromium, headless, driven by
# puppeteer-core, loads hls.js from build/web/node_modules (both installed by
# scripts/install-deps from web/package-lock.json) and prints its version.
.PHONY: browser-smoke
browser-smoke:
	@$(ROOT)/scripts/install-deps --check >/dev/null || $(ROOT)/scripts/install-deps
	node $(ROOT)/web/smoke.js

# user/lib/hls.c's playlists of the test media (written by hls_test into
# build/hls-samples, with the video at ../../v/video.ts) played by hls.js in
# chromium: 7 s in, then a seek to 13 s. No VM; the streamer is not involved.
HLS_PLAY := $(BUILD)/hls-play
.PHONY: browser-hls
browser-hls: $(BUILD)/unit/hls_test
	@$(ROOT)/scripts/install-deps --check >/dev/null || $(ROOT)/scripts/install-deps
	@$(BUILD)/unit/hls_test >/dev/null
	@set -e; for n in h264_25 h264_aac_25 h264_25-stripped; do \
		rm -rf $(HLS_PLAY); mkdir -p $(HLS_PLAY)/a/b $(HLS_PLAY)/v; \
		ln -s $(BUILD)/media/$${n%-stripped}.ts $(HLS_PLAY)/v/video.ts; \
		for k in media master iframes; do \
			cp $(BUILD)/hls-samples/$$n-$$k.m3u8 $(HLS_PLAY)/a/b/$$k.m3u8; done; \
		sed -i 's/^index.m3u8?seg=6$$/media.m3u8/' $(HLS_PLAY)/a/b/master.m3u8; \
		printf '%s: ' $$n; node $(ROOT)/web/play.js --secs 7 --seek 13 \
			--shot $(BUILD)/hls-$$n.png --root $(HLS_PLAY) a/b/master.m3u8; \
	done

# Host unit tests of the pure code: no VM, no module. Script tests too:
# bench/tests/docs_page_test.sh feeds bench/docs-page.py (what make bench
# writes docs/benchmarks.md with) a fixture results directory.
UNIT_SCRIPTS := $(ROOT)/bench/tests/docs_page_test.sh
unit: $(UNIT_TESTS)
	@$(ROOT)/scripts/run-tests $(UNIT_TESTS) $(UNIT_SCRIPTS)

# libFuzzer on the TS indexer (clang): FUZZ_TIME seconds, new inputs kept in
# build/fuzz/corpus, crashes written to build/fuzz/ (see user/fuzz/README).
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS ?=

$(BUILD)/fuzz/tsindex_fuzz: user/fuzz/tsindex_fuzz.c user/lib/tsindex.c user/lib/tsindex.h user/lib/parse.c \
		user/lib/sps.c user/lib/sps.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Iuser/lib -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/tsindex_fuzz.c user/lib/tsindex.c user/lib/parse.c user/lib/sps.c

fuzz-tsindex: $(BUILD)/fuzz/tsindex_fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	$< -max_total_time=$(FUZZ_TIME) -max_len=32768 -print_final_stats=1 \
		-dict=user/fuzz/tsindex.dict -artifact_prefix=$(BUILD)/fuzz/ \
		$(FUZZ_FLAGS) $(BUILD)/fuzz/corpus user/fuzz/corpus

# libFuzzer on the HTTP request parser and the Range/If-Range/query code
# (user/fuzz/http_fuzz.c): FUZZ_TIME seconds; corpus in build/fuzz/http-corpus.
HTTP_FUZZ_SRCS := user/lib/http.c user/lib/range.c user/lib/tcparse.c

$(BUILD)/fuzz/http_fuzz: user/fuzz/http_fuzz.c $(HTTP_FUZZ_SRCS) user/lib/http.h \
		user/lib/range.h user/lib/tcparse.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Iuser/lib -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/http_fuzz.c $(HTTP_FUZZ_SRCS)

fuzz-http: $(BUILD)/fuzz/http_fuzz
	@mkdir -p $(BUILD)/fuzz/http-corpus
	$< -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 \
		-dict=user/fuzz/http.dict -artifact_prefix=$(BUILD)/fuzz/http- \
		$(FUZZ_FLAGS) $(BUILD)/fuzz/http-corpus user/fuzz/http-corpus

# libFuzzer on what HLS reads from a video (user/lib/tsprobe.c, sps.c),
# seeded with the test media's heads.
TSPROBE_FUZZ_SRCS := user/lib/tsprobe.c user/lib/sps.c user/lib/parse.c

$(BUILD)/fuzz/tsprobe_fuzz: user/fuzz/tsprobe_fuzz.c $(TSPROBE_FUZZ_SRCS) user/lib/tsprobe.h \
		user/lib/sps.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Iuser/lib -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/tsprobe_fuzz.c $(TSPROBE_FUZZ_SRCS)

.PHONY: fuzz-tsprobe
fuzz-tsprobe: $(BUILD)/fuzz/tsprobe_fuzz test-media
	@mkdir -p $(BUILD)/fuzz/tsprobe-corpus
	@for f in $(BUILD)/media/*.ts; do \
		head -c 16384 $$f >$(BUILD)/fuzz/tsprobe-corpus/$$(basename $$f .ts); done
	$< -max_total_time=$(FUZZ_TIME) -max_len=32768 -print_final_stats=1 \
		-dict=user/fuzz/tsindex.dict -artifact_prefix=$(BUILD)/fuzz/tsprobe- \
		$(FUZZ_FLAGS) $(BUILD)/fuzz/tsprobe-corpus

# libFuzzer on the chunked body decoder of live ingest (user/lib/chunked.c).
$(BUILD)/fuzz/chunked_fuzz: user/fuzz/chunked_fuzz.c user/lib/chunked.c user/lib/chunked.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Iuser/lib -std=gnu11 -Wall -Wextra -Wshadow -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ user/fuzz/chunked_fuzz.c user/lib/chunked.c

.PHONY: fuzz-chunked
fuzz-chunked: $(BUILD)/fuzz/chunked_fuzz
	@mkdir -p $(BUILD)/fuzz/chunked-corpus
	$< -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/chunked- $(FUZZ_FLAGS) $(BUILD)/fuzz/chunked-corpus

# The upstream shape (issue 21), in a copy of linux-source-6.12
# (build/linux-6.12, scripts/ktree): vcache laid in as drivers/misc/vcache/,
# built with W=1 and checkpatch'ed as a patch series (in-tree); the
# selftests built and installed by the kernel's kselftest Makefiles
# (kselftest), and run by run_kselftest.sh in the VM (kselftest-run,
# KSFT_TESTS="dev_test aio_test" for some); the .rst and ABI docs checked
# without Sphinx (doc-check).
.PHONY: in-tree kselftest kselftest-run doc-check upstream
KSFT_TESTS ?=
in-tree:
	@$(ROOT)/scripts/in-tree-build

kselftest:
	@$(ROOT)/scripts/kselftest

kselftest-run: modules user selftests
	@$(ROOT)/scripts/kselftest --run $(KSFT_TESTS)

doc-check:
	@$(ROOT)/scripts/doc-check

upstream: doc-check in-tree kselftest

# checkpatch --strict over the kernel code, W=1 + sparse builds on every kernel.
style:
	@$(ROOT)/scripts/check style

check:
	@$(ROOT)/scripts/check all

# The selftests on the debug kernel (built once per machine, ~16 min).
check-debug:
	@$(ROOT)/scripts/check debug

# The device fuzzer for longer: make fuzz SEED=n OPS=n THREADS=n, on the
# debug kernel when it is built (else 6.12). A failing seed goes into
# fuzz_seeds[] in selftests/vcache/fuzz_test.c.
SEED ?= $(shell date +%s)
OPS ?= 1000000
THREADS ?= 4
FUZZ_KERNEL ?= $(if $(DEBUG_KVER),debug,6.12)

fuzz: modules $(BUILD)/selftests/fuzz_test
	$(ROOT)/scripts/vm-run -k $(FUZZ_KERNEL) --timeout 14400 -- env VCACHE_FUZZ_SEED=$(SEED) \
		VCACHE_FUZZ_OPS=$(OPS) VCACHE_FUZZ_THREADS=$(THREADS) \
		$(BUILD)/selftests/fuzz_test -r fuzz.random_ops

# What to build is read from the installed kernels, so on a fresh machine
# the packages go in first and a second make builds for them: the module
# and the two programs, all the demo runs (not the selftests' media).
demo:
	@$(ROOT)/scripts/install-deps
	@$(MAKE) -s modules user
	@$(ROOT)/scripts/demo

# The module's sources go where DKMS looks for them (/usr/src/NAME-VERSION,
# whatever PREFIX), laid out as kmod/Kbuild expects (include/ beside the .c
# files), with kmod/dkms.conf.in: "dkms install vcache/$(VCACHE_VERSION)"
# then builds vcache.ko for each kernel installed, now and later.
VCACHE_VERSION ?= 0.1
DKMS_SRC = $(DESTDIR)/usr/src/vcache-$(VCACHE_VERSION)

install: all
	install -D -m 0644 udev/99-vcache.rules $(DESTDIR)/etc/udev/rules.d/99-vcache.rules
	install -D -m 0755 $(VCACHECTL) $(DESTDIR)$(PREFIX)/bin/vcachectl
	install -D -m 0755 $(STREAMER) $(DESTDIR)$(PREFIX)/bin/vcache-streamer
	install -D -m 0644 user/vcachectl/vcachectl.8 $(DESTDIR)$(PREFIX)/share/man/man8/vcachectl.8
	install -D -m 0644 user/streamer/vcache-streamer.8 $(DESTDIR)$(PREFIX)/share/man/man8/vcache-streamer.8
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/include/uapi/linux $(DKMS_SRC)/include/vcache
	install -m 0644 $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild $(DKMS_SRC)/
	install -m 0644 include/uapi/linux/vcache.h $(DKMS_SRC)/include/uapi/linux/
	install -m 0644 $(wildcard include/vcache/*.h) $(DKMS_SRC)/include/vcache/
	sed 's/@VERSION@/$(VCACHE_VERSION)/' kmod/dkms.conf.in >$(DKMS_SRC)/dkms.conf

clean:
	rm -rf $(BUILD)
