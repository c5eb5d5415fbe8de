#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Timecode seek (issue 20, item 1): vcache-streamer's /v/NAME?t=SECONDS
# (the kernel's keyframe index, VCACHE_IOC_LOOKUP) against nginx's mp4
# module, /NAME.mp4?start=SECONDS (which parses the file's moov and builds a
# new one for every request), on the same content at several lengths.
#
# usage: bench/seek-bench.sh --make-media DIR [--lengths "600 3600 14400"]
#        bench/seek-bench.sh --media DIR [--lengths L] [--duration S] [--reps R]
#                            [--conns C] OUTDIR   (defaults: all three, 3, 7, 4)
#        bench/seek-bench.sh --plot SEEK.CSV PNG        (gnuplot)
# The first form runs on the host (ffmpeg; in the VM it would take ages):
# 160x90, 25 fps, a keyframe every 2 s (every 50th frame), libx264
# ultrafast at about 40 kbit/s, no audio; one 10 min MPEG-TS, concatenated
# (-c copy) into each length, each remuxed (-c copy) to MP4 with
# -movflags +faststart. Kept in DIR (build/seek-media) until the recipe
# below changes. The second form needs /dev/vcache (the VM), root, nginx
# with ngx_http_mp4_module and build/bench/seek_client: it loads the TS
# files into vcache (vcachectl load, which indexes the keyframes), copies
# the MP4 files to tmpfs for nginx (2 workers, sendfile on) and runs
# vcache-streamer (--threads 2, splice).
#
# After a run of each not counted, R repetitions; in each, every length and
# every server in turn (vcache, nginx, vcache, ...): seek_client -cC for S
# seconds, each request a new connection asking for a random whole second
# in 0..LENGTH-300 (the same sequence for both; 300 s of the MP4 is still
# more than 1 MiB) and reading the first 1 MiB of the body. The server's CPU (utime+stime of
# all its threads; nginx master + workers, /proc/PID/stat) over the run is
# divided by the completed requests. Writes OUTDIR/seek.csv (medians),
# seek-runs.csv (every run), seek-raw.txt, seek.md, and prints seek.md with
# its RATIO lines: per length vcache/nginx requests/s and nginx/vcache CPU
# per request (medians of the per-run ratios, with their min-max), and each
# server's growth from the shortest to the longest video.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
. "$ROOT/bench/lib.sh"
lengths="600 3600 14400" duration=3 reps=7 conns=4 media="" make_media="" plot=""
while [ $# -gt 0 ]; do
	case $1 in
	--make-media) make_media=$2; shift 2 ;;
	--media) media=$2; shift 2 ;;
	--lengths) lengths=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--plot) plot=$2; shift 2 ;;
	-*) sed -n '9,12p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done

# CPU per request and p50 latency against the video's length, per server,
# the bars from the slowest to the fastest run.
if [ -n "$plot" ]; then
	[ $# -eq 1 ] || { sed -n '9,12p' "$0" >&2; exit 2; }
	command -v gnuplot >/dev/null || { echo "seek-bench: no gnuplot: no plot" >&2; exit 0; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for s in vcache nginx; do
		awk -F, -v s=$s '$2 == s { print $1 / 3600, $7, $10, $11, $4 }' "$plot" >"$tmp/$s.dat"
	done
	gnuplot <<EOF
set terminal pngcairo noenhanced size 1000,420
set output "$1"
set multiplot layout 1,2 title "Seek to a random second, first 1 MiB (QEMU TCG guest: compare the lines, not the numbers)"
set logscale x 2
set xlabel "video length (hours)"
set xtics ("10 min" 0.1667, "1 h" 1, "4 h" 4)
set xrange [0.12:5.5]
set key top left
set yrange [0:*]
set ylabel "server CPU ms per request"
set title "CPU per request (median; bars: min-max of the runs)"
plot "$tmp/vcache.dat" using 1:2:3:4 with yerrorlines pt 7 title "vcache ?t=", \
     "$tmp/nginx.dat" using 1:2:3:4 with yerrorlines pt 5 title "nginx mp4 ?start="
set ylabel "ms"
set title "p50 latency to the first 1 MiB (median of the runs)"
plot "$tmp/vcache.dat" using 1:5 with linespoints pt 7 title "vcache ?t=", \
     "$tmp/nginx.dat" using 1:5 with linespoints pt 5 title "nginx mp4 ?start="
unset multiplot
EOF
	exit 0
fi

# The recipe: when it changes, the media are made again.
recipe="v1 160x90 25fps g50 ultrafast 40k noaudio base600"

if [ -n "$make_media" ]; then
	[ $# -eq 0 ] || { sed -n '9,12p' "$0" >&2; exit 2; }
	command -v ffmpeg >/dev/null || { echo "seek-bench: ffmpeg missing (scripts/install-deps)" >&2; exit 1; }
	mkdir -p "$make_media"
	make_media=$(cd "$make_media" && pwd -P)
	cd "$make_media"
	if [ "$(cat recipe 2>/dev/null)" != "$recipe" ]; then
		rm -f ./*.ts ./*.mp4 ./*.txt recipe
		ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=160x90:rate=25 \
			-t 600 -c:v libx264 -preset ultrafast -b:v 40k -maxrate 48k -bufsize 96k \
			-g 50 -keyint_min 50 -sc_threshold 0 -threads 1 -f mpegts base600.ts
		echo "$recipe" >recipe
	fi
	for l in $lengths; do
		[ $((l % 600)) = 0 ] || { echo "seek-bench: length $l is not a multiple of 600 s" >&2; exit 2; }
		[ -s "seek-$l.ts" ] && [ -s "seek-$l.mp4" ] && continue
		for _ in $(seq $((l / 600))); do echo "file 'base600.ts'"; done >"list-$l.txt"
		ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "list-$l.txt" -c copy \
			-f mpegts "seek-$l.ts.part"
		mv "seek-$l.ts.part" "seek-$l.ts"
		ffmpeg -nostdin -loglevel error -y -i "seek-$l.ts" -c copy -movflags +faststart \
			-f mp4 "seek-$l.mp4.part"
		mv "seek-$l.mp4.part" "seek-$l.mp4"
	done
	ls -l "$make_media" >&2
	exit 0
fi

if [ $# -ne 1 ] || [ -z "$media" ]; then
	sed -n '9,12p' "$0" >&2
	exit 2
fi
out=$1
mkdir -p "$out"
streamer=$ROOT/build/user/vcache-streamer
ctl=$ROOT/build/user/vcachectl
client=$ROOT/build/bench/seek_client
for t in nginx curl python3; do
	command -v $t >/dev/null || { echo "seek-bench: $t missing (scripts/install-deps)" >&2; exit 1; }
done
for f in "$streamer" "$ctl" "$client"; do
	[ -x "$f" ] || { echo "seek-bench: $f missing: make first" >&2; exit 1; }
done
nginx -V 2>&1 | grep -q -- --with-http_mp4_module ||
	{ echo "seek-bench: this nginx has no ngx_http_mp4_module" >&2; exit 1; }
[ -c /dev/vcache ] || { echo "seek-bench: no /dev/vcache" >&2; exit 1; }
for l in $lengths; do
	if [ ! -s "$media/seek-$l.ts" ] || [ ! -s "$media/seek-$l.mp4" ]; then
		echo "seek-bench: $media/seek-$l.{ts,mp4} missing: bench/seek-bench.sh --make-media $media" >&2
		exit 1
	fi
done

ulimit -n 65536
tmp=$(mktemp -d /tmp/seek-bench.XXXXXX)
declare -A port=([vcache]=18281 [nginx]=18282)
declare -A pid=()
servers="vcache nginx"

cleanup() {
	local s l
	for s in "${!pid[@]}"; do
		kill "${pid[$s]}" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for l in $lengths; do
		"$ctl" rm "seek-$l" >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/www"
t0=$SECONDS
for l in $lengths; do
	"$ctl" rm "seek-$l" >/dev/null 2>&1 || true
	"$ctl" load "seek-$l" "$media/seek-$l.ts" --fps 25 >/dev/null ||
		{ echo "seek-bench: vcachectl load seek-$l failed" >&2; exit 1; }
	cp "$media/seek-$l.mp4" "$tmp/www/"
done
echo "seek-bench: media loaded in $((SECONDS - t0)) s" >&2
t0=$SECONDS

"$streamer" --listen "127.0.0.1:${port[vcache]}" --send splice --threads 2 --quiet \
	--max-conns 20000 2>"$tmp/stderr-vcache" &
pid[vcache]=$!

bench_nginx_conf "$tmp/nginx" "$tmp/www" "${port[nginx]}" "" "$(printf '\t\t%s\n' \
	'location ~ \.mp4$ { mp4; mp4_buffer_size 1m; mp4_max_buffer_size 64m; }')"
bench_nginx "$tmp/nginx" "$tmp/stderr-nginx"
pid[nginx]=$BENCH_NGINX_PID

# Both up, and both seeking: vcache says which keyframe it started from;
# nginx's answer must be an MP4 shorter than the file (the moov rebuilt).
l0=${lengths%% *}
ok=0
for _ in $(seq 100); do
	kf=$(curl -s --max-time 20 -o /dev/null -D - \
		"http://127.0.0.1:${port[vcache]}/v/seek-$l0?t=101" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "x-vcache-timecode" {print $2}')
	len=$(curl -s --max-time 20 -o /dev/null -w '%{http_code} %{size_download}' \
		"http://127.0.0.1:${port[nginx]}/seek-$l0.mp4?start=101" || true)
	if [ "$kf" = "00:01:40:00" ] && [ "${len%% *}" = 200 ] &&
	   [ "${len#* }" -lt "$(stat -c %s "$tmp/www/seek-$l0.mp4")" ]; then
		ok=1
		break
	fi
	sleep 0.2
done
if [ $ok = 0 ]; then
	echo "seek-bench: a server does not seek (vcache keyframe '$kf', nginx '$len')" >&2
	cat "$tmp/stderr-vcache" "$tmp/stderr-nginx" "$tmp/nginx/error.log" 2>/dev/null | tail -5 >&2
	exit 1
fi

declare -A path=([vcache]='/v/seek-%s?t=%%u' [nginx]='/seek-%s.mp4?start=%%u')
# measure LENGTH SERVER SECONDS: one run; prints "ticks WRK-json".
measure() {
	local p
	# shellcheck disable=SC2059 # the format is ours
	p=$(printf "${path[$2]}" "$1")
	bench_cpu_run seek-bench "$2" "${pid[$2]}" \
		"$client" --port "${port[$2]}" --path "$p" --max-start $(($1 - 300)) \
		--conns "$conns" --duration "$3" --bytes 1048576
}

# A run of each server on each length first, not counted: the first runs
# of a boot pay for TCG translating the code paths (a first smoke run had
# the 10 min video, measured first, the slowest for vcache). Then the
# lengths and the servers take turns within each repetition, so that a
# drift of the machine over the boot does not look like an effect of the
# video's length.
for l in $lengths; do
	for s in $servers; do
		measure "$l" "$s" 1 >/dev/null || exit 1
	done
done
raw=$out/seek-raw.txt
: >"$raw"
for rep in $(seq "$reps"); do
	for l in $lengths; do
		for s in $servers; do
			r=$(measure "$l" "$s" "$duration") || exit 1
			echo "$l $s $rep $r" | tee -a "$raw" >&2
			sleep 0.5
		done
	done
done

python3 - "$raw" "$out" "$duration" "$reps" "$conns" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
raw, out, duration, reps, conns, hz = sys.argv[1:]
runs = []
for line in open(raw):
    l, s, rep, ticks, js = line.split(" ", 4)
    w = json.loads(js)
    sec = w["duration_us"] / 1e6
    n = w["requests"]
    cpu = int(ticks) / int(hz)
    runs.append({"length_s": int(l), "server": s, "rep": int(rep), "requests": n,
                 "seconds": sec, "req_per_s": n / sec,
                 "p50_ms": w["p50_us"] / 1000 if n else None,
                 "p90_ms": w["p90_us"] / 1000 if n else None,
                 "p99_ms": w["p99_us"] / 1000 if n else None,
                 "cpu_s": cpu, "cpu_ms_per_req": 1000 * cpu / n if n else None,
                 "errors": sum(v for k, v in w.items() if k.startswith("err_"))})
cols = ["length_s", "server", "rep", "requests", "seconds", "req_per_s", "p50_ms",
        "p90_ms", "p99_ms", "cpu_s", "cpu_ms_per_req", "errors"]


def fmt(v, f="%.2f"):
    return "-" if v is None else f % v


with open(out + "/seek-runs.csv", "w") as f:
    f.write(",".join(cols) + "\n")
    for r in runs:
        f.write(",".join(fmt(r[k], "%.4f") if isinstance(r[k], float) or r[k] is None
                         else str(r[k]) for k in cols) + "\n")


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def spread(v, f="%.2f"):
    v = [x for x in v if x is not None]
    return (f + "-" + f) % (min(v), max(v)) if v else "-"


lengths = sorted({r["length_s"] for r in runs})
servers = []
for r in runs:
    if r["server"] not in servers:
        servers.append(r["server"])
cell = {(l, s): [r for r in runs if r["length_s"] == l and r["server"] == s]
        for l in lengths for s in servers}
keys = ["req_per_s", "p50_ms", "p90_ms", "p99_ms", "cpu_ms_per_req"]
m = {k: {x: med([r[x] for r in rs]) for x in keys} for k, rs in cell.items()}


def name(l):
    return "%d min" % (l // 60) if l < 3600 else "%g h" % (l / 3600)


lines = ["| video | server | req/s (min-max) | p50 ms | p90 ms | p99 ms |"
         " CPU ms/req (min-max) | completed | errors |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
with open(out + "/seek.csv", "w") as f:
    f.write("length_s,server,req_per_s,p50_ms,p90_ms,p99_ms,cpu_ms_per_req,"
            "req_per_s_min,req_per_s_max,cpu_min,cpu_max,requests,errors\n")
    for l in lengths:
        for s in servers:
            rs, x = cell[(l, s)], m[(l, s)]
            rq = [r["req_per_s"] for r in rs]
            cp = [r["cpu_ms_per_req"] for r in rs if r["cpu_ms_per_req"] is not None]
            lines.append("| %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %d | %d |" % (
                name(l), s, fmt(x["req_per_s"], "%.1f"), spread(rq, "%.1f"),
                fmt(x["p50_ms"], "%.1f"), fmt(x["p90_ms"], "%.1f"), fmt(x["p99_ms"], "%.1f"),
                fmt(x["cpu_ms_per_req"]), spread(cp), sum(r["requests"] for r in rs),
                sum(r["errors"] for r in rs)))
            f.write("%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d\n" % (
                l, s, fmt(x["req_per_s"]), fmt(x["p50_ms"]), fmt(x["p90_ms"]),
                fmt(x["p99_ms"]), fmt(x["cpu_ms_per_req"], "%.3f"),
                fmt(min(rq)), fmt(max(rq)), fmt(min(cp) if cp else None, "%.3f"),
                fmt(max(cp) if cp else None, "%.3f"),
                sum(r["requests"] for r in rs), sum(r["errors"] for r in rs)))
lines += ["", "seek_client -c%s, %s runs of %s s per cell in one boot, every length and"
          " server taking turns within each repetition, after one uncounted run of"
          " each; medians of the runs, (min-max) of the runs. Each"
          " request: a new connection, a random whole second in 0..length-300, the"
          " first 1 MiB of the body. CPU: the server's utime+stime per completed"
          " request. Every run is in seek-runs.csv." % (conns, reps, duration), ""]


def ratios(l, k, num, den):
    # Per repetition (the two runs of a repetition ran back to back).
    a = {r["rep"]: r[k] for r in cell[(l, num)]}
    b = {r["rep"]: r[k] for r in cell[(l, den)]}
    return [a[i] / b[i] for i in a if i in b and a[i] and b[i]]


method = "(seek_client -c%s, %s s runs, %s reps interleaved, one boot; median, min-max)" % (
    conns, duration, reps)
if "vcache" in servers and "nginx" in servers:
    for l in lengths:
        q = ratios(l, "req_per_s", "vcache", "nginx")
        c = ratios(l, "cpu_ms_per_req", "nginx", "vcache")
        lines.append("RATIO seek_vcache_over_nginx_reqs_%ds %s (%s) %s" % (
            l, fmt(med(q)), spread(q), method))
        lines.append("RATIO seek_nginx_over_vcache_cpu_per_req_%ds %s (%s) %s" % (
            l, fmt(med(c)), spread(c), method))
lo, hi = lengths[0], lengths[-1]
if lo != hi:
    for s in servers:
        for k, what in (("cpu_ms_per_req", "cpu_per_req"), ("p50_ms", "p50")):
            a, b = m[(hi, s)][k], m[(lo, s)][k]
            lines.append("RATIO seek_%s_%s_%ds_over_%ds %s (medians; %s)" % (
                s, what, hi, lo, fmt(a / b if a and b else None), method))
with open(out + "/seek.md", "w") as f:
    f.write("\n".join(lines) + "\n")
PY
cat "$out/seek.md"
echo "seek-bench: the runs took $((SECONDS - t0)) s" >&2
