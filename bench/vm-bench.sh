#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module experiments of `make bench`, in one boot: chunk access, timecode
# lookup, serving, timecode seek against nginx's mp4 module, scale (in that
# order: scale fills the memory). The seek experiment needs its media made
# first, on the host: bench/seek-bench.sh --make-media build/seek-media. Runs where
# /dev/vcache is: in the VM (bench/run-all starts it with scripts/vm-run), or
# on a real machine after `insmod build/$(uname -r)/vcache.ko`, as root:
#
#   bench/vm-bench.sh [OUTDIR]      (default: $VCACHE_OUT/bench, else bench/results)
#
# Environment: SERVE_DURATION (seconds a wrk run, default 3), SERVE_REPS
# (runs a cell, default 5), SCALE_MAX_MB
# (largest cache for the scale experiment; default MemTotal less 1 GiB),
# BENCH_QUICK=1 (a smoke run: fewer reps, 1 s cells, small caches).
# Each experiment's output goes to OUTDIR/NAME.txt (+ NAME.csv); env.txt
# says where it ran. A failed experiment does not stop the others; the exit
# status is 1 if any failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
B=$ROOT/build/bench
out=${1:-${VCACHE_OUT:+$VCACHE_OUT/bench}}
out=${out:-$ROOT/bench/results}
mkdir -p "$out"
cd "$ROOT" || exit 1

quick=${BENCH_QUICK:-0}
duration=${SERVE_DURATION:-3} reps=${SERVE_REPS:-5}
chunk_args=(--reps 21) lookup_args=() scale_args=() serve_args=() seek_args=()
if [ "$quick" = 1 ]; then
	duration=1 reps=1
	chunk_args=(--reps 3 --video-mb 64)
	lookup_args=(--sizes "1000,100000" --lookups 2000 --rounds 3)
	scale_args=(--max-mb 512 --chunks 5)
	serve_args=(--size-mb 64 --conns "8 64")
	seek_args=(--lengths "600 3600" --reps 1 --duration 1)
fi
[ -n "${SCALE_MAX_MB:-}" ] && scale_args+=(--max-mb "$SCALE_MAX_MB")

{
	echo "kernel: $(uname -r) ($(uname -v))"
	echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
	echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "virtualization: $(systemd-detect-virt 2>/dev/null || (grep -q hypervisor /proc/cpuinfo && echo yes) || echo none)"
	echo "vcache max_mb: $(cat /sys/module/vcache/parameters/max_mb 2>/dev/null)"
	echo "wrk: $(wrk -v 2>&1 | head -n 1)"
	echo "nginx: $(nginx -v 2>&1)"
	echo "pipe-max-size: $(cat /proc/sys/fs/pipe-max-size)"
	echo "quick: $quick"
} >"$out/env.txt"
cat "$out/env.txt"

status=0
# run NAME CMD...: stdout to OUTDIR/NAME.txt, stderr to the console.
run() {
	local name=$1 t0=$SECONDS
	shift
	echo "== $name: $*" >&2
	if "$@" >"$out/$name.txt"; then
		echo "== $name: done in $((SECONDS - t0)) s" >&2
	else
		echo "== $name: FAILED (status $?) after $((SECONDS - t0)) s" >&2
		status=1
	fi
	grep '^RATIO ' "$out/$name.txt" >&2
}

run chunk "$B/chunk_bench" --tmpfs /dev/shm --csv "$out/chunk.csv" "${chunk_args[@]}"
"$ROOT/build/user/vcachectl" rm chunk-bench >/dev/null 2>&1
run lookup "$B/lookup_bench" --csv "$out/lookup.csv" "${lookup_args[@]}"
run serve "$ROOT/bench/serve-bench.sh" --duration "$duration" --reps "$reps" \
	"${serve_args[@]}" "$out"
run seek "$ROOT/bench/seek-bench.sh" --media "$ROOT/build/seek-media" "${seek_args[@]}" "$out"
"$ROOT/build/user/vcachectl" rm seek-600 seek-3600 seek-14400 >/dev/null 2>&1
run scale "$B/scale_bench" --csv "$out/scale.csv" "${scale_args[@]}"
exit $status
