#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Serving experiment (issue 10, item 4; issue 6's nginx comparison): wrk
# against vcache-streamer with each send path and against nginx (sendfile
# on, the same bytes in a file on tmpfs), all in this machine, the servers
# taking turns within each (range size, connections) cell.
#
# usage: bench/serve-bench.sh [--duration S] [--reps R] [--size-mb N]
#                             [--conns "8 64 512"] [--chunks "20971520 262144"] OUTDIR
# Needs /dev/vcache (run it in the VM, or on a machine with vcache.ko loaded),
# root (nginx runs as root here, and the streamer may raise RLIMIT_NOFILE),
# wrk and nginx. Writes OUTDIR/serve.csv (medians), serve-runs.csv (every
# run), serve-raw.txt (wrk's numbers) and serve.md; prints the table and
# "RATIO name value" lines. The key line, RATIO serving_splice_over_nginx,
# is the geometric mean over the connection counts of splice/nginx GB/s on
# the largest ranges.
#
# Per cell, R runs (the servers taking turns run by run; medians reported) of
# wrk -t2 -cC -dS --timeout 60s with bench/wrk-range.lua (a Range
# of the chunk size at a random page-aligned offset per request). requests/s
# counts completed responses; GB/s counts every body byte wrk read (1 GB =
# 1e9 bytes), so a cell where few 20 MiB responses finish in S seconds still
# measures throughput; p50/p99 are of completed requests ("-" when none did).
# CPU s/GB: the server's utime+stime (all its threads; for nginx the master
# and its workers) over the cell, from /proc/PID/stat, per GB wrk read.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
duration=3 reps=3 size_mb=256 conns="8 64 512" chunks="20971520 262144"
while [ $# -gt 1 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--chunks) chunks=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '5,7p' "$0" >&2; exit 2; }
out=$1
mkdir -p "$out"

streamer=$ROOT/build/user/vcache-streamer
ctl=$ROOT/build/user/vcachectl
lua=$ROOT/bench/wrk-range.lua
for t in wrk nginx curl; do
	command -v $t >/dev/null || { echo "serve-bench: $t missing (scripts/install-deps)" >&2; exit 1; }
done
for f in "$streamer" "$ctl"; do
	[ -x "$f" ] || { echo "serve-bench: $f missing: make first" >&2; exit 1; }
done
[ -c /dev/vcache ] || { echo "serve-bench: no /dev/vcache" >&2; exit 1; }

ulimit -n 65536
tmp=$(mktemp -d /tmp/serve-bench.XXXXXX)
declare -A port=([splice]=18181 [mmap]=18182 [aio]=18183 [copy]=18184 [nginx]=18185)
declare -A pid=()
servers="splice mmap aio copy nginx"
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

for s in splice mmap aio copy; do
	"$streamer" --listen "127.0.0.1:${port[$s]}" --send "$s" --threads 2 --quiet \
		--max-conns 20000 --idle-timeout 120 --send-timeout 120 \
		2>"$tmp/stderr-$s" &
	pid[$s]=$!
done

mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	default_type application/octet-stream;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:${port[nginx]} reuseport;
		root $tmp/www;
	}
}
EOF
nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
	2>"$tmp/stderr-nginx" &
pid[nginx]=$!

# Every server up, and giving the right bytes for a range.
want=$(dd if="$tmp/www/v/$name" bs=4096 skip=1000 count=64 2>/dev/null | sha256sum)
for s in $servers; do
	ok=0
	for _ in $(seq 100); do
		got=$(curl -s --max-time 20 -r 4096000-4358143 \
			"http://127.0.0.1:${port[$s]}/v/$name" | sha256sum) || true
		[ "$got" = "$want" ] && { ok=1; break; }
		sleep 0.2
	done
	if [ $ok = 0 ]; then
		echo "serve-bench: $s does not serve the right bytes" >&2
		cat "$tmp/stderr-$s" "$tmp/nginx/error.log" 2>/dev/null | tail -5 >&2
		exit 1
	fi
done

# CPU ticks (utime + stime) of a server: the process (all its threads) and
# its children (nginx's workers).
cpu_ticks() {
	local p t=0 v
	for p in $1 $(pgrep -P "$1" || true); do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo $t
}

raw=$out/serve-raw.txt
: >"$raw"
for chunk in $chunks; do
	for c in $conns; do
		for rep in $(seq "$reps"); do
			for s in $servers; do
				c0=$(cpu_ticks "${pid[$s]}")
				line=$(BENCH_PATH=/v/$name BENCH_SIZE=$size BENCH_CHUNK=$chunk \
					wrk -t2 -c"$c" -d"${duration}s" --timeout 60s -s "$lua" \
					"http://127.0.0.1:${port[$s]}" 2>&1 | grep '^WRK ' || true)
				c1=$(cpu_ticks "${pid[$s]}")
				kill -0 "${pid[$s]}" 2>/dev/null ||
					{ echo "serve-bench: $s died" >&2; exit 1; }
				[ -n "$line" ] || { echo "serve-bench: wrk failed against $s" >&2; exit 1; }
				echo "$chunk $c $s $rep $((c1 - c0)) ${line#WRK }" | tee -a "$raw" >&2
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
    f.write(",".join(cols) + "\n")
    for key in order:
        m = summary[key]
        f.write("%d,%d,%s,%d,%d,%.2f,%s,%s,%s,%s,%s,%s,%d\n" % (key + (
                m["requests"], m["bytes"], m["seconds"], fmt(m["req_per_s"], "%.1f"),
                fmt(m["gb_per_s"]), fmt(m["p50_ms"], "%.1f"), fmt(m["p99_ms"], "%.1f"),
                fmt(m["cpu_s"], "%.2f"), fmt(m["cpu_s_per_gb"], "%.2f"), m["errors"])))


def size(ch, sep=" "):
    return "%d%sMiB" % (ch >> 20, sep) if ch >= 1 << 20 else "%d%sKiB" % (ch >> 10, sep)


def ratio(a, b, k):
    if a[k] is None or b[k] is None or b[k] == 0:
        return None
    return a[k] / b[k]


def gmean(vals):
    vals = [v for v in vals if v]
    return math.exp(sum(map(math.log, vals)) / len(vals)) if vals else float("nan")


lines = ["| range | conns | server | req/s | GB/s | p50 ms | p99 ms | CPU s/GB | completed | errors |",
         "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
for key in order:
    m = summary[key]
    lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %d |" % (
        size(key[0]), key[1], key[2], fmt(m["req_per_s"], "%.1f"), fmt(m["gb_per_s"]),
        fmt(m["p50_ms"], "%.1f"), fmt(m["p99_ms"], "%.1f"), fmt(m["cpu_s_per_gb"], "%.2f"),
        m["requests"], m["errors"]))
lines += ["", "wrk -t2, %s runs of %s s per cell (the servers taking turns run by run),"
          " medians of the runs; a %s MiB file; servers with 2 threads (nginx: 2 workers)."
          " \"completed\": responses finished, all runs together. Every run is in"
          " serve-runs.csv." % (reps, duration, size_mb), ""]
big = max(k[0] for k in order)
conns = sorted({k[1] for k in order if (big, k[1], "splice") in summary
                and (big, k[1], "nginx") in summary})
g = [ratio(summary[(big, c, "splice")], summary[(big, c, "nginx")], "gb_per_s") for c in conns]
u = [ratio(summary[(big, c, "splice")], summary[(big, c, "nginx")], "cpu_s_per_gb") for c in conns]
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
