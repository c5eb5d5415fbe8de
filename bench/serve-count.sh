#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a served request's cost goes (issue 20, item 2): the syscalls per
# request of vcache-streamer (--send splice and --send sendfile, 2 threads)
# and of nginx
# (2 workers, sendfile on, tcp_nopush on: serve-bench.sh's nginx), for the
# same Range requests (bench/wrk-range.lua, the same sequence for both), and
# callgrind's instruction count of the streamer's user-space part, all
# divided by the requests wrk completed.
#
# usage: bench/serve-count.sh [--seconds S] [--cg-seconds S] OUTDIR
#   (defaults: 5 s of wrk a server and range size under strace; 5 s of
#   256 KiB ranges under callgrind, 0 to skip it)
# Needs /dev/vcache (the VM), root, wrk, nginx, curl, strace, valgrind.
# Per server and range size (256 KiB, 20 MiB): the server started, checked
# with one curl, then `strace -f -c` attached to it (nginx: its workers),
# wrk -t2 -c8 -dS, strace detached: its table is of those requests only
# (with the 8 connections' accept and close). Writes OUTDIR/count-strace-SERVER-CHUNK.txt,
# count-callgrind.txt (callgrind_annotate) and count.md (per request).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
seconds=5 cg_seconds=5
while [ $# -gt 1 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--cg-seconds) cg_seconds=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '11,13p' "$0" >&2; exit 2; }
out=$1
mkdir -p "$out"
. "$ROOT/bench/lib.sh"

streamer=$ROOT/build/user/vcache-streamer
ctl=$ROOT/build/user/vcachectl
lua=$ROOT/bench/wrk-range.lua
bench_need serve-count "$streamer" "$ctl" wrk nginx curl strace valgrind python3

ulimit -n 65536
tmp=$(mktemp -d /dev/shm/serve-count.XXXXXX)
name=serve-count
size=$((64 * 1048576))
declare -A port=([splice]=18481 [nginx]=18482 [sendfile]=18483)
spid="" tpid=""
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	wait 2>/dev/null || true
	"$ctl" rm "$name" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/www/v"
head -c $size /dev/urandom >"$tmp/www/v/$name"
"$ctl" rm "$name" >/dev/null 2>&1 || true
"$ctl" load "$name" "$tmp/www/v/$name" >/dev/null
bench_nginx_conf "$tmp/nginx" "$tmp/www" "${port[nginx]}"

# start SERVER [WRAPPER...]: the server in the background, pid in spid.
start() {
	local s=$1
	shift
	if [ "$s" != nginx ]; then
		"$@" "$streamer" --listen "127.0.0.1:${port[$s]}" --send "$s" --threads 2 \
			--quiet --max-conns 20000 --idle-timeout 120 --send-timeout 120 \
			2>"$tmp/stderr-$s" &
	else
		"$@" nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
			2>"$tmp/stderr-nginx" &
	fi
	spid=$!
	bench_wait_range "$s" "${port[$s]}" "/v/$name" "$tmp/www/v/$name" "$tmp/stderr-$s"
}

stop() {
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
}

# drive CHUNK SECONDS PORT: wrk -t2 -c8; prints "requests bytes errors".
drive() {
	local line
	line=$(BENCH_PATH=/v/$name BENCH_SIZE=$size BENCH_CHUNK=$1 \
		wrk -t2 -c8 -d"${2}s" --timeout 60s -s "$lua" "http://127.0.0.1:$3" 2>&1 |
		grep "^WRK " || true)
	[ -n "$line" ] || { echo "serve-count: wrk failed" >&2; return 1; }
	python3 -c 'import json,sys; w=json.loads(sys.argv[1]); print(w["requests"], w["bytes"], sum(v for k, v in w.items() if k.startswith("err_")))' \
		"${line#WRK }"
}

: >"$tmp/summary"
for chunk in 262144 20971520; do
	for s in splice sendfile nginx; do
		start $s
		# The threads (streamer) or the workers (nginx) to trace.
		if [ $s != nginx ]; then pids=$spid; else pids=$(pgrep -P "$spid" | tr '\n' ' '); fi
		f=$out/count-strace-$s-$chunk.txt
		# shellcheck disable=SC2046,SC2086 # one -p per pid
		strace -f -c -o "$f" $(printf -- '-p %s ' $pids) 2>"$tmp/strace.err" &
		tpid=$!
		# Attached when every thread shows up as traced.
		for _ in $(seq 100); do
			grep -q "TracerPid:[[:space:]]*[1-9]" "/proc/${pids%% *}/status" && break
			sleep 0.1
		done
		sleep 1
		read -r reqs bytes errs <<<"$(drive "$chunk" "$seconds" "${port[$s]}")"
		kill -INT "$tpid"
		wait "$tpid" 2>/dev/null || true
		tpid=""
		stop
		echo "$s $chunk $reqs $bytes $errs $f" >>"$tmp/summary"
		echo "serve-count: $s, $reqs requests of $chunk bytes ($errs errors)" >&2
	done
done

if [ "$cg_seconds" -gt 0 ]; then
	BENCH_WAIT_TRIES=1500 start splice valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out"
	read -r reqs bytes errs <<<"$(drive 262144 "$cg_seconds" "${port[splice]}")"
	stop
	echo "callgrind $reqs" >>"$tmp/summary"
	# (Whole, then cut: head on a pipe would stop callgrind_annotate mid-write.)
	callgrind_annotate --inclusive=yes "$out/callgrind.out" >"$tmp/cg-incl" 2>&1 || true
	callgrind_annotate "$out/callgrind.out" >"$tmp/cg-self" 2>&1 || true
	{ sed -n '1,70p' "$tmp/cg-incl"; sed -n '18,50p' "$tmp/cg-self"; } >"$out/count-callgrind.txt"
fi

python3 - "$tmp/summary" "$out" <<'PY'
import re, sys
summary, out = sys.argv[1:]
lines = ["| server | range | requests | syscalls/req | top syscalls per request |",
         "|---|---:|---:|---:|---|"]
cg = None
for row in open(summary):
    p = row.split()
    if p[0] == "callgrind":
        cg = int(p[1])
        continue
    s, chunk, reqs, f = p[0], int(p[1]), int(p[2]), p[5]
    calls = {}
    for l in open(f):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)$", l)
        if m and m.group(3) != "total":
            calls[m.group(3)] = int(m.group(1))
    tot = sum(calls.values())
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
    lines.append("| %s | %s | %d | %.2f | %s |" % (
        s, "%d KiB" % (chunk >> 10) if chunk < 1 << 20 else "%d MiB" % (chunk >> 20), reqs,
        tot / reqs, ", ".join("%s %.2f" % (k, v / reqs) for k, v in top)))
if cg:
    # The requests callgrind saw: the calls of route_request() (wrk counts
    # only those it finished).
    names, routed, cur = {}, 0, None
    for l in open(out + "/callgrind.out"):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?$", l.strip())
        if m:
            if m.group(2):
                names[m.group(1)] = m.group(2)
            cur = names.get(m.group(1)) if l.startswith("cfn=") else None
            continue
        m = re.match(r"calls=(\d+)", l)
        if m and cur == "route_request":
            routed += int(m.group(1))
        if not l.startswith("calls="):
            cur = None
    cg = routed or cg
    tot = None
    for l in open(out + "/count-callgrind.txt"):
        m = re.match(r"\s*([\d,]+)\s.*PROGRAM TOTALS", l)
        if m:
            tot = int(m.group(1).replace(",", ""))
            break
    if tot:
        lines += ["", "callgrind: %d requests of 256 KiB, %d instructions in all (start-up"
                  " included), %.0f per request" % (cg, tot, tot / cg)]
open(out + "/count.md", "w").write("\n".join(lines) + "\n")
PY
cat "$out/count.md"
