#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# HLS segments (issue 16, item 5): vcache-streamer serving the segments of
# its VOD media playlist (/hls/NAME/index.m3u8?seg=6: EXT-X-BYTERANGE
# ranges of /v/NAME, spliced from the cache's pages) against nginx serving
# the same bytes as static byte-range HLS (the .ts on tmpfs, the same
# playlist with its URIs rewritten to the file's URL, sendfile on).
#
# usage: bench/hls-serve-bench.sh --make-media DIR
#        bench/hls-serve-bench.sh --media DIR [--duration S] [--reps R]
#                                 [--conns "8 64 256"] [--pl-conns C] OUTDIR
#                                 (defaults: 3, 7, "8 64 256", 16)
# The first form runs on the host (ffmpeg): 10 min of 320x180, 25 fps, a
# keyframe every 2 s, x264 ultrafast at a constant 3 Mbit/s (nal-hrd=cbr:
# the bitrate of a real stream at a small resolution; about 233 MB), no
# audio, kept in DIR (build/hls-media) until the recipe below changes. The
# second form needs /dev/vcache (the VM), root, nginx, wrk, curl and
# python3: it loads the TS into vcache (vcachectl load, which indexes it),
# copies it to tmpfs for nginx (2 workers, sendfile on, open_file_cache)
# and runs vcache-streamer (--threads 2, splice).
#
# Segments: wrk -t2 -cC with bench/wrk-hls.lua: C viewers, each starting at
# a random segment of the playlist and asking for the next one after each
# of its segments (a Range of exactly the playlist's bytes; the same
# sequence for both servers). Playlist: wrk -t2 -c(--pl-conns) GETting the
# media playlist (vcache: computed once per video from the kernel's index,
# then answered from the streamer's cache; nginx: a static .m3u8 file).
# After an uncounted 1 s run of each server in each cell, R repetitions;
# in each, every cell with both servers back to back for S seconds (who
# goes first alternates by repetition). CPU: the server's utime+stime (all
# threads; nginx master + workers, /proc/PID/stat) over the run. Writes
# OUTDIR/hls-serve.csv (medians), hls-serve-runs.csv (every run),
# hls-serve-raw.txt and hls-serve.md, and prints hls-serve.md with its
# RATIO lines: per cell vcache/nginx of GB/s (or requests/s) and of CPU per
# GB (or per request), medians of the per-repetition ratios with min-max.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
. "$ROOT/bench/lib.sh"
duration=3 reps=7 conns="8 64 256" pl_conns=16 media="" make_media=""
usage() { sed -n '10,13p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--make-media) make_media=$2; shift 2 ;;
	--media) media=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--pl-conns) pl_conns=$2; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done

# The recipe: when it changes, the media are made again.
recipe="v1 320x180 25fps g50 ultrafast cbr3M noaudio 600s"

if [ -n "$make_media" ]; then
	[ $# -eq 0 ] || usage
	command -v ffmpeg >/dev/null || { echo "hls-serve-bench: ffmpeg missing (scripts/install-deps)" >&2; exit 1; }
	mkdir -p "$make_media"
	cd "$make_media"
	if [ "$(cat recipe 2>/dev/null)" != "$recipe" ] || [ ! -s hls.ts ]; then
		rm -f hls.ts hls.ts.part recipe
		ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=25 \
			-t 600 -pix_fmt yuv420p -c:v libx264 -preset ultrafast \
			-b:v 3M -minrate 3M -maxrate 3M -bufsize 3M -x264-params nal-hrd=cbr \
			-g 50 -keyint_min 50 -sc_threshold 0 -threads 1 -f mpegts hls.ts.part
		mv hls.ts.part hls.ts
		echo "$recipe" >recipe
	fi
	ls -l "$PWD/hls.ts" >&2
	exit 0
fi

if [ $# -ne 1 ] || [ -z "$media" ]; then usage; fi
out=$1
mkdir -p "$out"
streamer=$ROOT/build/user/vcache-streamer
ctl=$ROOT/build/user/vcachectl
lua=$ROOT/bench/wrk-hls.lua
bench_need hls-serve-bench "$streamer" "$ctl" wrk nginx curl python3
if [ "$(cat "$media/recipe" 2>/dev/null)" != "$recipe" ] || [ ! -s "$media/hls.ts" ]; then
	echo "hls-serve-bench: no media: bench/hls-serve-bench.sh --make-media $media" >&2
	exit 1
fi

ulimit -n 65536
name=hls-bench
tmp=$(mktemp -d /dev/shm/hls-serve-bench.XXXXXX)
[ "$(stat -f -c %T "$tmp")" = tmpfs ] || { echo "hls-serve-bench: $tmp is not tmpfs" >&2; exit 1; }
declare -A port=([vcache]=18381 [nginx]=18382)
declare -A pid=()

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

t0=$SECONDS
mkdir -p "$tmp/www/hls/$name" "$tmp/nginx"
cp "$media/hls.ts" "$tmp/www/$name.ts"
"$ctl" rm "$name" >/dev/null 2>&1 || true
if ! "$ctl" load "$name" "$tmp/www/$name.ts" --fps 25 >"$tmp/load.out" 2>&1; then
	echo "hls-serve-bench: vcachectl load failed" >&2
	tail -c 500 "$tmp/load.out" >&2
	exit 1
fi
size=$(stat -c %s "$tmp/www/$name.ts")
echo "hls-serve-bench: $size bytes loaded in $((SECONDS - t0)) s" >&2

"$streamer" --listen "127.0.0.1:${port[vcache]}" --send splice --threads 2 --quiet \
	--max-conns 20000 --idle-timeout 120 --send-timeout 120 2>"$tmp/stderr-vcache" &
pid[vcache]=$!

# Descriptors of open files kept, as a static HLS origin would be set up
# (and as the streamer keeps its videos open): no open() a request.
bench_nginx_conf "$tmp/nginx" "$tmp/www" "${port[nginx]}" "$(printf '\t%s\n' \
	'keepalive_requests 1000000;' 'keepalive_timeout 120s;' \
	'open_file_cache max=100 inactive=300s;' 'open_file_cache_valid 300s;' \
	'types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }')"
bench_nginx "$tmp/nginx" "$tmp/stderr-nginx"
pid[nginx]=$BENCH_NGINX_PID

# vcache's playlist (the first request makes it: wait for it), then the
# same playlist for nginx, its URIs (../../v/NAME, relative to
# /hls/NAME/) pointing at the file instead: ../../NAME.ts.
vpl="/hls/$name/index.m3u8?seg=6"
npl=/hls/$name/index.m3u8
ok=0
for _ in $(seq 300); do
	code=$(curl -s --max-time 20 -o "$tmp/vcache.m3u8" -w '%{http_code}' \
		"http://127.0.0.1:${port[vcache]}$vpl") || code=000
	[ "$code" = 200 ] && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || { echo "hls-serve-bench: no playlist from vcache (HTTP $code)" >&2;
		 tail -5 "$tmp/stderr-vcache" >&2; exit 1; }
grep -q "^\.\./\.\./v/$name\$" "$tmp/vcache.m3u8" ||
	{ echo "hls-serve-bench: the playlist's segments are not ../../v/$name" >&2; exit 1; }
sed -e "s|^\.\./\.\./v/$name\$|../../$name.ts|" \
	-e "s|URI=\"\.\./\.\./v/$name\"|URI=\"../../$name.ts\"|" \
	"$tmp/vcache.m3u8" >"$tmp/www/hls/$name/index.m3u8"
# "LENGTH OFFSET" of every segment, in order.
awk -F'[:@]' '/^#EXT-X-BYTERANGE:/ { print $2, $3 }' "$tmp/vcache.m3u8" >"$tmp/ranges"
nseg=$(wc -l <"$tmp/ranges")
[ "$nseg" -gt 0 ] || { echo "hls-serve-bench: no segments in the playlist" >&2; exit 1; }
seg_bytes=$(awk '{ s += $1 } END { print s }' "$tmp/ranges")

# Both servers up and right: each gives its playlist, and the first, a
# middle and the last segment are the file's bytes there, with a 206.
for s in vcache nginx; do
	ok=0
	for _ in $(seq 100); do
		if [ $s = vcache ]; then p=$vpl want=$tmp/vcache.m3u8 u=/v/$name
		else p=$npl want=$tmp/www/hls/$name/index.m3u8 u=/$name.ts; fi
		curl -s --max-time 20 -o "$tmp/got" "http://127.0.0.1:${port[$s]}$p" &&
			cmp -s "$tmp/got" "$want" && { ok=1; break; }
		sleep 0.2
	done
	[ $ok = 1 ] || { echo "hls-serve-bench: $s does not serve the playlist" >&2;
			 cat "$tmp/stderr-$s" "$tmp/nginx/error.log" 2>/dev/null | tail -5 >&2; exit 1; }
	for i in 1 $(((nseg + 1) / 2)) "$nseg"; do
		# (No process substitution: the VM has no /dev/fd.)
		read -r len off <<<"$(sed -n "${i}p" "$tmp/ranges")"
		code=$(curl -s --max-time 20 -o "$tmp/got" -w '%{http_code}' \
			-r "$off-$((off + len - 1))" "http://127.0.0.1:${port[$s]}$u") || code=000
		dd if="$tmp/www/$name.ts" iflag=skip_bytes,count_bytes skip="$off" count="$len" \
			status=none >"$tmp/want"
		if [ "$code" != 206 ] || ! cmp -s "$tmp/got" "$tmp/want"; then
			echo "hls-serve-bench: $s: segment $i ($len@$off): HTTP $code, not the file's bytes" >&2
			exit 1
		fi
	done
done
echo "hls-serve-bench: $nseg segments of $seg_bytes bytes (file: $size)," \
	"playlist $(stat -c %s "$tmp/vcache.m3u8") bytes" >&2

# measure CELL SERVER SECONDS: one run; prints "ticks WRK-json". CELL is a
# connection count (segments) or "pl" (the playlist).
measure() {
	local c=$1 path ranges=$tmp/ranges
	if [ "$c" = pl ]; then
		c=$pl_conns ranges=""
		if [ "$2" = vcache ]; then path=$vpl; else path=$npl; fi
	elif [ "$2" = vcache ]; then
		path=/v/$name
	else
		path=/$name.ts
	fi
	bench_cpu_run hls-serve-bench "$2" "${pid[$2]}" \
		env BENCH_PATH="$path" BENCH_RANGES="$ranges" BENCH_VIEWERS="$c" BENCH_THREADS=2 \
		wrk -t2 -c"$c" -d"${3}s" --timeout 60s -s "$lua" "http://127.0.0.1:${port[$2]}"
}

cells="$conns pl"
t0=$SECONDS
# An uncounted run of each first: the first runs of a boot pay for TCG
# translating the code paths.
for c in $cells; do
	for s in vcache nginx; do
		measure "$c" "$s" 1 >/dev/null || exit 1
		sleep 0.5
	done
done
raw=$out/hls-serve-raw.txt
: >"$raw"
for rep in $(seq "$reps"); do
	if [ $((rep % 2)) = 1 ]; then order="vcache nginx"; else order="nginx vcache"; fi
	for c in $cells; do
		for s in $order; do
			r=$(measure "$c" "$s" "$duration") || exit 1
			echo "$c $s $rep $r" | tee -a "$raw" >&2
			# Let the server finish with the connections wrk dropped.
			sleep 0.5
		done
	done
done
echo "hls-serve-bench: the runs took $((SECONDS - t0)) s" >&2

python3 - "$raw" "$out" "$duration" "$reps" "$pl_conns" "$(getconf CLK_TCK)" \
	"$nseg" "$seg_bytes" "$(stat -c %s "$tmp/vcache.m3u8")" <<'PY'
import json, statistics, sys
raw, out, duration, reps, pl_conns, hz, nseg, seg_bytes, pl_bytes = sys.argv[1:]
runs = []
for line in open(raw):
    c, s, rep, ticks, js = line.split(" ", 4)
    w = json.loads(js)
    sec = w["duration_us"] / 1e6
    gb = w["bytes"] / 1e9
    n = w["requests"]
    cpu = int(ticks) / int(hz)
    runs.append({"cell": c, "server": s, "rep": int(rep), "requests": n, "bytes": w["bytes"],
                 "seconds": sec, "req_per_s": n / sec, "gb_per_s": gb / sec,
                 "p50_ms": w["p50_us"] / 1000 if n else None,
                 "p99_ms": w["p99_us"] / 1000 if n else None,
                 "cpu_s": cpu, "cpu_s_per_gb": cpu / gb if gb else None,
                 "cpu_ms_per_req": 1000 * cpu / n if n else None,
                 "errors": sum(v for k, v in w.items() if k.startswith("err_"))})
cols = ["cell", "server", "rep", "requests", "bytes", "seconds", "req_per_s", "gb_per_s",
        "p50_ms", "p99_ms", "cpu_s", "cpu_s_per_gb", "cpu_ms_per_req", "errors"]


def fmt(v, f="%.2f"):
    return "-" if v is None else f % v


with open(out + "/hls-serve-runs.csv", "w") as f:
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


cells = []
for r in runs:
    if r["cell"] not in cells:
        cells.append(r["cell"])
servers = ["vcache", "nginx"]
cell = {(c, s): [r for r in runs if r["cell"] == c and r["server"] == s]
        for c in cells for s in servers}
keys = ["req_per_s", "gb_per_s", "p50_ms", "p99_ms", "cpu_s_per_gb", "cpu_ms_per_req"]
m = {k: {x: med([r[x] for r in rs]) for x in keys} for k, rs in cell.items()}


def label(c):
    return "playlist, %s conns" % pl_conns if c == "pl" else "segments, %s viewers" % c


lines = ["| cell | server | GB/s (min-max) | req/s (min-max) | p50 ms | p99 ms |"
         " CPU s/GB (min-max) | CPU ms/req | completed | errors |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
with open(out + "/hls-serve.csv", "w") as f:
    f.write("cell,server,gb_per_s,req_per_s,p50_ms,p99_ms,cpu_s_per_gb,cpu_ms_per_req,"
            "gb_per_s_min,gb_per_s_max,req_per_s_min,req_per_s_max,cpu_s_per_gb_min,"
            "cpu_s_per_gb_max,requests,errors\n")
    for c in cells:
        for s in servers:
            rs, x = cell[(c, s)], m[(c, s)]
            g = [r["gb_per_s"] for r in rs]
            q = [r["req_per_s"] for r in rs]
            u = [r["cpu_s_per_gb"] for r in rs]
            gf = "%.4f" if c == "pl" else "%.3f"
            lines.append("| %s | %s | %s (%s) | %s (%s) | %s | %s | %s (%s) | %s | %d | %d |" % (
                label(c), s, fmt(x["gb_per_s"], gf), spread(g, gf),
                fmt(x["req_per_s"], "%.0f"), spread(q, "%.0f"), fmt(x["p50_ms"], "%.1f"),
                fmt(x["p99_ms"], "%.1f"), fmt(x["cpu_s_per_gb"]), spread(u),
                fmt(x["cpu_ms_per_req"], "%.3f"), sum(r["requests"] for r in rs),
                sum(r["errors"] for r in rs)))
            f.write("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d\n" % (
                c, s, fmt(x["gb_per_s"], "%.4f"), fmt(x["req_per_s"], "%.1f"),
                fmt(x["p50_ms"], "%.2f"), fmt(x["p99_ms"], "%.2f"),
                fmt(x["cpu_s_per_gb"], "%.3f"), fmt(x["cpu_ms_per_req"], "%.4f"),
                fmt(min(g), "%.4f"), fmt(max(g), "%.4f"), fmt(min(q), "%.1f"),
                fmt(max(q), "%.1f"), fmt(min(u) if None not in u else None, "%.3f"),
                fmt(max(u) if None not in u else None, "%.3f"),
                sum(r["requests"] for r in rs), sum(r["errors"] for r in rs)))
lines += ["", "wrk -t2, %s runs of %s s per cell in one boot, the two servers back to back"
          " in each repetition (who goes first alternating), after one uncounted 1 s run"
          " of each; medians of the runs, (min-max) of the runs. Segments: %s of a 6 s"
          " target, %s bytes in all; viewers walk the playlist from random segments."
          " Playlist: %s bytes. CPU: the server's utime+stime; CPU ms/req: per completed"
          " request. Every run is in hls-serve-runs.csv." % (
              reps, duration, nseg, seg_bytes, pl_bytes), ""]


def ratios(c, k):
    # Per repetition (the two runs of a repetition ran back to back).
    a = {r["rep"]: r[k] for r in cell[(c, "vcache")]}
    b = {r["rep"]: r[k] for r in cell[(c, "nginx")]}
    return [a[i] / b[i] for i in a if i in b and a[i] and b[i]]


def verdict(v):
    if not v:
        return "no runs"
    if min(v) > 1:
        return "above 1 in every repetition"
    if max(v) < 1:
        return "below 1 in every repetition"
    return "the spread includes 1"


method = "(wrk -t2, %s s runs, %s reps interleaved, one boot; median of the" \
         " per-repetition ratios, min-max)" % (duration, reps)
lines += ["| cell | vcache / nginx GB/s | vcache / nginx CPU per GB |",
          "|---|---:|---:|"]
for c in cells:
    # For the playlist GB/s is requests/s times the same bytes, and CPU per
    # GB is CPU per request: the same ratios.
    g, u = ratios(c, "gb_per_s"), ratios(c, "cpu_s_per_gb")
    lines.append("| %s | %s (%s; %s) | %s (%s; %s) |" % (
        label(c), fmt(med(g)), spread(g), verdict(g), fmt(med(u)), spread(u), verdict(u)))
lines += ["", "Ratios: per repetition (the two servers' runs back to back), median of"
          " the %s, (min-max) of them; \"above/below 1 in every repetition\": the"
          " difference is larger than the spread. For the playlist (the same bytes"
          " each time) they are, within the partial responses at a run's end, the"
          " ratios of requests/s and of CPU per request." % reps, ""]
for c in cells:
    tag = "playlist" if c == "pl" else "segments_c%s" % c
    for k, what in ((("req_per_s", "reqs"), ("cpu_ms_per_req", "cpu_per_req")) if c == "pl"
                    else (("gb_per_s", "gbps"), ("cpu_s_per_gb", "cpu_per_gb"))):
        v = ratios(c, k)
        lines.append("RATIO hls_%s_vcache_over_nginx_%s %s (%s; %s) %s" % (
            tag, what, fmt(med(v)), spread(v), verdict(v), method))
with open(out + "/hls-serve.md", "w") as f:
    f.write("\n".join(lines) + "\n")
PY
cat "$out/hls-serve.md"
