#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Serving experiment (issue 10, item 4; issue 6's nginx comparison): wrk
# against vcache-streamer with each send path and against nginx (sendfile
# on, the same bytes in a file on tmpfs), all in this machine, the servers
# taking turns within each (range size, connections) cell.
#
# usage: bench/serve-bench.sh [--duration S] [--reps R] [--size-mb N]
#                             [--conns "8 64 512"] [--chunks "20971520 262144"]
#                             [--servers "splice sendfile mmap aio copy nginx"] OUTDIR
#   (defaults: 3 s, 5 repetitions, 256 MiB; --servers: the streamer's send
#   paths to run, and nginx, which every cell needs)
# Needs /dev/vcache (run it in the VM, or on a machine with vcache.ko loaded),
# root (nginx runs as root here, and the streamer may raise RLIMIT_NOFILE),
# wrk and nginx. Writes OUTDIR/serve.csv (medians), serve-runs.csv (every
# run), serve-raw.txt (wrk's numbers) and serve.md; prints the table and
# "RATIO name value" lines. The key line, RATIO serving_splice_over_nginx,
# is the geometric mean over the connection counts of splice/nginx GB/s on
# the largest ranges.
#
# Per cell, R runs (the servers taking turns run by run, who goes first
# alternating by repetition, after one uncounted 1 s run of each; medians
# and min-max reported) of
# wrk -t2 -cC -dS --timeout 60s with bench/wrk-range.lua (a Range
# of the chunk size at a random page-aligned offset per request). requests/s
# counts completed responses; GB/s counts every body byte wrk read (1 GB =
# 1e9 bytes), so a cell where few 20 MiB responses finish in S seconds still
# measures throughput; p50/p99 are of completed requests ("-" when none did).
# CPU s/GB: the server's utime+stime (all its threads; for nginx the master
# and its workers) over the cell, from /proc/PID/stat, per GB wrk read.
# Ratios to nginx are per repetition (the runs of one repetition are close
# in time), then their median and min-max; a difference is "larger than the
# spread" when the ratio is on the same side of 1 in every repetition.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
. "$ROOT/bench/lib.sh"
duration=3 reps=5 size_mb=256 conns="8 64 512" chunks="20971520 262144"
servers="splice sendfile mmap aio copy nginx"
while [ $# -gt 1 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--chunks) chunks=$2; shift 2 ;;
	--servers) servers=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '9,13p' "$0" >&2; exit 2; }
case " $servers " in *" nginx "*) ;; *) echo "serve-bench: --servers must include nginx" >&2; exit 2 ;; esac
for s in $servers; do
	case $s in splice | sendfile | mmap | aio | copy | nginx) ;; *) echo "serve-bench: unknown server $s" >&2; exit 2 ;; esac
done
out=$1
mkdir -p "$out"

streamer=$ROOT/build/user/vcache-streamer
ctl=$ROOT/build/user/vcachectl
lua=$ROOT/bench/wrk-range.lua
bench_need serve-bench "$streamer" "$ctl" wrk nginx curl

ulimit -n 65536
tmp=$(mktemp -d /tmp/serve-bench.XXXXXX)
declare -A port=([splice]=18181 [mmap]=18182 [aio]=18183 [copy]=18184 [nginx]=18185
	[sendfile]=18186)
declare -A pid=()
name=serve-bench
size=$((size_mb * 1048576))

cleanup() {
	local s
	for s in "${!pid[@]}"; do
		kill "${pid[$s]}" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	"$ctl" rm "$name" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The same bytes for everyone: 16 MiB of random data, repeated.
mkdir -p "$tmp/www/v"
head -c 16777216 /dev/urandom >"$tmp/seed"
for _ in $(seq $((size_mb / 16))); do cat "$tmp/seed"; done >"$tmp/www/v/$name"
rm -f "$tmp/seed"
"$ctl" rm "$name" >/dev/null 2>&1 || true
"$ctl" load "$name" "$tmp/www/v/$name" >/dev/null 2>&1 ||
	{ echo "serve-bench: vcachectl load failed" >&2; exit 1; }

for s in $servers; do
	[ "$s" = nginx ] && continue
	"$streamer" --listen "127.0.0.1:${port[$s]}" --send "$s" --threads 2 --quiet \
		--max-conns 20000 --idle-timeout 120 --send-timeout 120 \
		2>"$tmp/stderr-$s" &
	pid[$s]=$!
done

bench_nginx_conf "$tmp/nginx" "$tmp/www" "${port[nginx]}" \
	"$(printf '\t%s\n' 'keepalive_requests 1000000;' 'keepalive_timeout 120s;')"
bench_nginx "$tmp/nginx" "$tmp/stderr-nginx"
pid[nginx]=$BENCH_NGINX_PID

# Every server up, and giving the right bytes for a range.
for s in $servers; do
	err=$tmp/stderr-$s
	[ "$s" = nginx ] && err=$tmp/nginx/error.log
	bench_wait_range "serve-bench: $s" "${port[$s]}" "/v/$name" "$tmp/www/v/$name" "$err" ||
		exit 1
done

# measure CHUNK CONNS SERVER SECONDS: one run; prints "ticks WRK-json".
measure() {
	bench_cpu_run serve-bench "$3" "${pid[$3]}" \
		env BENCH_PATH="/v/$name" BENCH_SIZE="$size" BENCH_CHUNK="$1" \
		wrk -t2 -c"$2" -d"${4}s" --timeout 60s -s "$lua" "http://127.0.0.1:${port[$3]}"
}

# An uncounted 1 s run of each server first: the first runs of a boot pay
# for TCG translating the code paths.
for s in $servers; do
	measure "${chunks%% *}" "${conns%% *}" "$s" 1 >/dev/null || exit 1
	sleep 0.5
done

raw=$out/serve-raw.txt
: >"$raw"
# shellcheck disable=SC2086 # a list
rev=$(printf '%s\n' $servers | tac | tr '\n' ' ')
for chunk in $chunks; do
	for c in $conns; do
		for rep in $(seq "$reps"); do
			# Who goes first alternates from one repetition to the next.
			order=$servers
			[ $((rep % 2)) = 0 ] && order=$rev
			for s in $order; do
				r=$(measure "$chunk" "$c" "$s" "$duration") || exit 1
				echo "$chunk $c $s $rep $r" | tee -a "$raw" >&2
				# Let the server finish with the connections wrk dropped.
				sleep 0.5
			done
		done
	done
done

# Every run to serve-runs.csv; the median of the runs per cell to serve.csv
# and serve.md, with the RATIO lines.
python3 - "$raw" "$out" "$duration" "$size_mb" "$reps" "$(getconf CLK_TCK)" <<'PY'
import csv, json, math, statistics, sys
raw, out, duration, size_mb, reps, hz = sys.argv[1:]
cols = ["chunk_bytes", "conns", "server", "requests", "bytes", "seconds", "req_per_s",
        "gb_per_s", "p50_ms", "p99_ms", "cpu_s", "cpu_s_per_gb", "errors"]
extra = ["gb_per_s_min", "gb_per_s_max", "cpu_s_per_gb_min", "cpu_s_per_gb_max"]
runs = []
for line in open(raw):
    chunk, c, s, rep, ticks, js = line.split(" ", 5)
    w = json.loads(js)
    sec = w["duration_us"] / 1e6
    gb = w["bytes"] / 1e9
    cpu = int(ticks) / int(hz)
    runs.append({"chunk_bytes": int(chunk), "conns": int(c), "server": s, "rep": int(rep),
                 "requests": w["requests"], "bytes": w["bytes"], "seconds": sec,
                 "req_per_s": w["requests"] / sec, "gb_per_s": gb / sec,
                 "p50_ms": w["p50_us"] / 1000 if w["p50_us"] >= 0 else None,
                 "p99_ms": w["p99_us"] / 1000 if w["p99_us"] >= 0 else None,
                 "cpu_s": cpu, "cpu_s_per_gb": cpu / gb if gb > 0 else None,
                 "errors": sum(v for k, v in w.items() if k.startswith("err_"))})


def fmt(v, f="%.3f"):
    return "-" if v is None else f % v


with open(out + "/serve-runs.csv", "w") as f:
    keys = cols[:3] + ["rep"] + cols[3:]
    f.write(",".join(keys) + "\n")
    for r in runs:
        f.write(",".join(fmt(r[k], "%.4f") if isinstance(r[k], float) or r[k] is None
                         else str(r[k]) for k in keys) + "\n")


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


order, cells = [], {}
for r in runs:
    key = (r["chunk_bytes"], r["conns"], r["server"])
    if key not in cells:
        order.append(key)
        cells[key] = []
    cells[key].append(r)
summary = {}
for key in order:
    rs = cells[key]
    m = {k: med([r[k] for r in rs]) for k in cols[3:]}
    for k in ("requests", "bytes", "seconds", "errors"):
        m[k] = sum(r[k] for r in rs)
    summary[key] = m
with open(out + "/serve.csv", "w") as f:
    f.write(",".join(cols + extra) + "\n")
    for key in order:
        m = summary[key]
        g = [r["gb_per_s"] for r in cells[key]]
        u = [r["cpu_s_per_gb"] for r in cells[key] if r["cpu_s_per_gb"] is not None]
        f.write("%d,%d,%s,%d,%d,%.2f,%s,%s,%s,%s,%s,%s,%d,%.3f,%.3f,%s,%s\n" % (key + (
                m["requests"], m["bytes"], m["seconds"], fmt(m["req_per_s"], "%.1f"),
                fmt(m["gb_per_s"]), fmt(m["p50_ms"], "%.1f"), fmt(m["p99_ms"], "%.1f"),
                fmt(m["cpu_s"], "%.2f"), fmt(m["cpu_s_per_gb"], "%.2f"), m["errors"],
                min(g), max(g), fmt(min(u) if u else None, "%.2f"),
                fmt(max(u) if u else None, "%.2f"))))


def size(ch, sep=" "):
    return "%d%sMiB" % (ch >> 20, sep) if ch >= 1 << 20 else "%d%sKiB" % (ch >> 10, sep)


def ratio(a, b, k):
    if a[k] is None or b[k] is None or b[k] == 0:
        return None
    return a[k] / b[k]


def gmean(vals):
    vals = [v for v in vals if v]
    return math.exp(sum(map(math.log, vals)) / len(vals)) if vals else float("nan")


def spread(v, f):
    v = [x for x in v if x is not None]
    return (f + "-" + f) % (min(v), max(v)) if v else "-"


def per_rep(key, k):
    # Per repetition: the runs of a repetition ran close together.
    a = {r["rep"]: r[k] for r in cells[key]}
    b = {r["rep"]: r[k] for r in cells[(key[0], key[1], "nginx")]}
    return [a[i] / b[i] for i in sorted(a) if i in b and a[i] and b[i]]


def verdict(v, lower_better=False):
    if not v:
        return "no runs"
    if min(v) > 1:
        return "above 1 in every repetition" + (": nginx better" if lower_better else "")
    if max(v) < 1:
        return "below 1 in every repetition" + ("" if lower_better else ": nginx better")
    return "the spread includes 1: a tie"


lines = ["| range | conns | server | req/s | GB/s (min-max) | p50 ms | p99 ms |"
         " CPU s/GB (min-max) | completed | errors |",
         "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
for key in order:
    m, rs = summary[key], cells[key]
    lines.append("| %s | %d | %s | %s | %s (%s) | %s | %s | %s (%s) | %d | %d |" % (
        size(key[0]), key[1], key[2], fmt(m["req_per_s"], "%.1f"), fmt(m["gb_per_s"]),
        spread([r["gb_per_s"] for r in rs], "%.3f"),
        fmt(m["p50_ms"], "%.1f"), fmt(m["p99_ms"], "%.1f"), fmt(m["cpu_s_per_gb"], "%.2f"),
        spread([r["cpu_s_per_gb"] for r in rs], "%.2f"), m["requests"], m["errors"]))
lines += ["", "wrk -t2, %s runs of %s s per cell (the servers taking turns run by run, who"
          " goes first alternating by repetition, after an uncounted 1 s run of each),"
          " medians of the runs, (min-max) of the runs; a %s MiB file; servers with 2"
          " threads (nginx: 2 workers). \"completed\": responses finished, all runs"
          " together. Every run is in serve-runs.csv." % (reps, duration, size_mb), ""]
lines += ["| range | conns | server | / nginx GB/s (min-max) | / nginx CPU per GB (min-max)"
          " | CPU per GB below nginx's |", "|---:|---:|---|---:|---:|---|"]
for key in order:
    if key[2] == "nginx" or (key[0], key[1], "nginx") not in summary:
        continue
    g, u = per_rep(key, "gb_per_s"), per_rep(key, "cpu_s_per_gb")
    lines.append("| %s | %d | %s | %s (%s; %s) | %s (%s; %s) | %s |" % (
        size(key[0]), key[1], key[2], fmt(med(g), "%.2f"), spread(g, "%.2f"), verdict(g),
        fmt(med(u), "%.2f"), spread(u, "%.2f"), verdict(u, True),
        "yes, in every repetition" if u and max(u) < 1 else
        "in the median only" if u and med(u) < 1 else "no"))
lines += ["", "Ratios: server / nginx per repetition (the runs of a repetition back to back),"
          " median of the %s, (min-max) of them; \"in every repetition\": the difference is"
          " larger than the spread of the runs." % reps, ""]
big = max(k[0] for k in order)
conns = sorted({k[1] for k in order if (big, k[1], "splice") in summary
                and (big, k[1], "nginx") in summary})
g = [ratio(summary[(big, c, "splice")], summary[(big, c, "nginx")], "gb_per_s") for c in conns]
u = [ratio(summary[(big, c, "splice")], summary[(big, c, "nginx")], "cpu_s_per_gb") for c in conns]
if conns:
    lines.append("RATIO serving_splice_over_nginx %.2f (GB/s, %s ranges, geometric mean over"
                 " %s connections; CPU s/GB splice/nginx %.2f)" % (
                     gmean(g), size(big), "/".join(map(str, conns)), gmean(u)))
for key in order:
    if key[2] == "nginx" or (key[0], key[1], "nginx") not in summary:
        continue
    a, b = summary[key], summary[(key[0], key[1], "nginx")]
    lines.append("RATIO serving_%s_over_nginx_%s_c%d %s (GB/s; CPU s/GB %s)" % (
        key[2], size(key[0], ""), key[1], fmt(ratio(a, b, "gb_per_s"), "%.2f"),
        fmt(ratio(a, b, "cpu_s_per_gb"), "%.2f")))
with open(out + "/serve.md", "w") as f:
    f.write("\n".join(lines) + "\n")
PY
cat "$out/serve.md"
