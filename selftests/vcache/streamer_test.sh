#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer end to end, in the VM (needs /dev/vcache and root):
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_test.sh
# One server per send path (splice, sendfile, mmap, copy, aio), curl and
# build/selftests/streamer_client as clients. Prints kselftest-style TAP
# ending in "# Totals: ...", which scripts/run-tests adds up.
#
# Environment: STREAMER_IDLE (idle connections to hold, default 10000),
# STREAMER_CLIENTS (concurrent range clients, default 200),
# STREAMER_HANGUP_CLIENTS (clients of each kind per send path that hang up
# mid-body, default 3),
# STREAMER_THROUGHPUT_REPS (curls per send path for the throughput note,
# default 3; 0: none), STREAMER_PATHS (the send paths to serve, default all
# five), STREAMER_BIN
# (another build of the server, say with -fsanitize=address,undefined).
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# $streamer, $ctl, $client; TAP (ok, skip, eq), hdr, get, finish, need,
# start_streamer and wait_up.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

idle_conns=${STREAMER_IDLE:-10000}
clients=${STREAMER_CLIENTS:-200}
hangup_clients=${STREAMER_HANGUP_CLIENTS:-3}
tmp=$(mktemp -d /tmp/streamer_test.XXXXXX)
declare -A port=([splice]=18081 [mmap]=18082 [copy]=18083 [aio]=18084 [sendfile]=18085)
# scripts/check names fewer paths where two would ask the module the same.
paths=${STREAMER_PATHS:-splice sendfile mmap copy aio}
for m in $paths; do
	[ -n "${port[$m]:-}" ] || { echo "streamer_test: no send path '$m' (STREAMER_PATHS)" >&2; exit 1; }
done
P=${port[splice]}
URL=http://127.0.0.1:$P
need "$streamer" "$ctl" "$client"

# 10,000 idle connections are 20,000 descriptors here, server and client.
ulimit -n 65536 || echo "# cannot raise RLIMIT_NOFILE: idle connections limited to $(ulimit -n)"

# --- the videos ------------------------------------------------------------

start_s=$(date +%s)
head -c 8388608 /dev/urandom >"$tmp/rand"
# (Not MPEG-TS: vcachectl notes that it loads them without an index.)
"$ctl" load rand "$tmp/rand" >/dev/null 2>&1
head -c 1000 /dev/urandom >"$tmp/tiny"
"$ctl" load tiny "$tmp/tiny" >/dev/null 2>&1
head -c 4096 /dev/urandom >"$tmp/clip"
"$ctl" load clip.mp4 "$tmp/clip" >/dev/null 2>&1
"$ctl" load clip.mkv "$tmp/clip" >/dev/null 2>&1
"$ctl" load 'sp ace' "$tmp/tiny" >/dev/null 2>&1
# 32 MiB of pattern for the concurrent clients, which check it by itself.
big_size=33554432
"$client" mkvideo big $big_size 1
# 40 s at 25 fps, 4000 bytes a frame, a keyframe every 2 s.
"$client" mkvideo idx 4000000 7 --fps 25/1 --index 4000:50
"$ctl" cat idx >"$tmp/idx"
rand_sha=$(sha256sum <"$tmp/rand" | cut -d' ' -f1)
rand_size=8388608

# --- the servers -----------------------------------------------------------

for m in $paths; do
	start_streamer $m "$tmp/stderr-$m" --listen 127.0.0.1:${port[$m]} --send $m \
		--threads 2 --log "$tmp/access-$m.log" --header-timeout 2 --idle-timeout 60 \
		--max-conns 20000
done
for m in $paths; do
	wait_up "http://127.0.0.1:${port[$m]}/v/tiny"
done
echo "# setup took $(($(date +%s) - start_s)) s"

# --- whole video, HEAD -----------------------------------------------------

# raw EXPECTED [ARGS...] < BYTES: the statuses and whether the server closed.
raw() {
	local want=$1 got

	shift
	got=$("$client" raw $P "$@")
	eq "$got" "$want"
}

t_full() {
	eq "$(get $URL/v/rand)" 200 &&
	eq "$(sha256sum <"$tmp/body" | cut -d' ' -f1)" "$rand_sha" &&
	eq "$(hdr "$tmp/head" Content-Length)" $rand_size &&
	eq "$(hdr "$tmp/head" Content-Type)" video/mp2t &&
	eq "$(hdr "$tmp/head" Accept-Ranges)" bytes &&
	grep -qE '^ETag: "[0-9a-f]+-800000-[0-9a-f]+"' "$tmp/head" &&
	grep -qE '^Last-Modified: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' \
		"$tmp/head"
}
ok "GET whole video: 200, body and headers" t_full

t_head() {
	eq "$(curl -s -I -o /dev/null -D "$tmp/head" -w '%{http_code}' $URL/v/rand)" 200 &&
	eq "$(hdr "$tmp/head" Content-Length)" $rand_size &&
	grep -q '^ETag: ' "$tmp/head" &&
	# No body: the second head follows the first at once.
	printf 'HEAD /v/tiny HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v/rand HTTP/1.1\r\nHost: x\r\n\r\n' |
		raw "200 200 open" --head --wait 0.5
}
ok "HEAD: headers only" t_head

t_types() {
	get -I $URL/v/clip.mp4 >/dev/null &&
	eq "$(hdr "$tmp/head" Content-Type)" video/mp4 &&
	get -I $URL/v/clip.mkv >/dev/null &&
	eq "$(hdr "$tmp/head" Content-Type)" application/octet-stream &&
	eq "$(get $URL/v/sp%20ace)" 200 &&
	cmp "$tmp/body" "$tmp/tiny"
}
ok "Content-Type by extension, percent-encoded names" t_types

# --- ranges ----------------------------------------------------------------

# range SPEC FIRST LAST: a 206 with exactly those bytes.
range() {
	eq "$(get -H "Range: bytes=$1" $URL/v/rand)" 206 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes $2-$3/$rand_size" &&
	eq "$(hdr "$tmp/head" Content-Length)" $(($3 - $2 + 1)) &&
	tail -c +$(($2 + 1)) "$tmp/rand" | head -c $(($3 - $2 + 1)) | cmp - "$tmp/body"
}
ok "Range bytes=a-b" range 1000-1999 1000 1999
ok "Range bytes=a-" range 8000000- 8000000 $((rand_size - 1))
ok "Range bytes=-n" range -1234 $((rand_size - 1234)) $((rand_size - 1))
ok "Range past the end is cut" range 8388000-99999999 8388000 $((rand_size - 1))
ok "Range bytes=0-0" range 0-0 0 0

t_416() {
	eq "$(get -H "Range: bytes=$rand_size-" $URL/v/rand)" 416 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes */$rand_size" &&
	eq "$(get -H "Range: bytes=-0" $URL/v/rand)" 416
}
ok "unsatisfiable range: 416 with bytes */SIZE" t_416

t_multi() {
	local b

	eq "$(get -H "Range: bytes=0-9,100-109" $URL/v/rand)" 206 &&
	hdr "$tmp/head" Content-Type | grep -q '^multipart/byteranges; boundary=' &&
	eq "$(hdr "$tmp/head" Content-Length)" "$(stat -c %s "$tmp/body")" &&
	b=$(hdr "$tmp/head" Content-Type | sed 's/.*boundary=//') &&
	eq "$(grep -ac "^--$b" "$tmp/body")" 3 &&
	grep -aq "^Content-Range: bytes 0-9/$rand_size" "$tmp/body" &&
	grep -aq "^Content-Range: bytes 100-109/$rand_size" "$tmp/body" &&
	# Overlapping ranges are ignored: the whole video.
	eq "$(get -H "Range: bytes=0-99,50-149" $URL/v/rand)" 200 &&
	eq "$(stat -c %s "$tmp/body")" $rand_size
}
ok "multiple ranges: multipart/byteranges; overlapping: 200" t_multi

t_bad_range() {
	eq "$(get -H "Range: bytes=5-1" $URL/v/tiny)" 200 &&
	eq "$(get -H "Range: items=0-1" $URL/v/tiny)" 200 &&
	cmp "$tmp/body" "$tmp/tiny"
}
ok "invalid Range is ignored: 200" t_bad_range

# --- validators ------------------------------------------------------------

get -I $URL/v/rand >/dev/null
etag=$(hdr "$tmp/head" ETag)
[ -n "$etag" ] || echo "# no ETag: the validator tests will fail"
lastmod=$(hdr "$tmp/head" Last-Modified)

t_if_range() {
	eq "$(get -H "Range: bytes=0-9" -H "If-Range: $etag" $URL/v/rand)" 206 &&
	eq "$(get -H "Range: bytes=0-9" -H 'If-Range: "nope"' $URL/v/rand)" 200 &&
	eq "$(stat -c %s "$tmp/body")" $rand_size &&
	eq "$(get -H "Range: bytes=0-9" -H "If-Range: $lastmod" $URL/v/rand)" 206 &&
	eq "$(get -H "Range: bytes=0-9" -H "If-Range: Thu, 01 Jan 1970 00:00:00 GMT" \
		$URL/v/rand)" 200 &&
	eq "$(get -H "Range: bytes=0-9" -H "If-Range: W/$etag" $URL/v/rand)" 200
}
ok "If-Range: entity tag (strong) and date" t_if_range

t_conditional() {
	eq "$(get -H "If-None-Match: $etag" $URL/v/rand)" 304 &&
	eq "$(stat -c %s "$tmp/body")" 0 &&
	! grep -qi '^Content-Length' "$tmp/head" &&
	eq "$(hdr "$tmp/head" ETag)" "$etag" &&
	eq "$(get -H 'If-None-Match: "x", W/'"$etag" $URL/v/rand)" 304 &&
	eq "$(get -H 'If-None-Match: *' -I $URL/v/rand)" 304 &&
	eq "$(get -H 'If-None-Match: "x"' -I $URL/v/rand)" 200 &&
	eq "$(get -H "If-Modified-Since: $lastmod" -I $URL/v/rand)" 304 &&
	eq "$(get -H "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT" -I $URL/v/rand)" 200 &&
	# If-None-Match wins over If-Modified-Since.
	eq "$(get -H 'If-None-Match: "x"' -H "If-Modified-Since: $lastmod" -I $URL/v/rand)" 200
}
ok "If-None-Match and If-Modified-Since: 304" t_conditional

# RFC 9110 13.2.2: If-Match (strong), else If-Unmodified-Since, before the
# 304 conditionals and Range.
t_precondition() {
	eq "$(get -H "If-Match: $etag" -I $URL/v/rand)" 200 &&
	eq "$(get -H 'If-Match: "x", '"$etag" -H "Range: bytes=0-9" $URL/v/rand)" 206 &&
	eq "$(get -H 'If-Match: *' -I $URL/v/rand)" 200 &&
	eq "$(get -H 'If-Match: "x"' $URL/v/rand)" 412 &&
	grep -q "its ETag is $etag" "$tmp/body" &&
	eq "$(get -H "If-Match: W/$etag" -I $URL/v/rand)" 412 &&
	eq "$(get -H 'If-Match: "x"' -H 'If-Match: '"$etag" -I $URL/v/rand)" 200 &&
	eq "$(get -H "If-Unmodified-Since: $lastmod" -I $URL/v/rand)" 200 &&
	eq "$(get -H "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT" -I $URL/v/rand)" 412 &&
	# If-Match wins over If-Unmodified-Since; a bad date is ignored.
	eq "$(get -H "If-Match: $etag" -H "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT" \
		-I $URL/v/rand)" 200 &&
	eq "$(get -H "If-Unmodified-Since: yesterday" -I $URL/v/rand)" 200 &&
	# A failed If-Match is 412 even where If-None-Match would be a 304.
	eq "$(get -H 'If-Match: "x"' -H "If-None-Match: $etag" -I $URL/v/rand)" 412
}
ok "If-Match and If-Unmodified-Since: 412" t_precondition

t_loading() {
	local lpid

	# Held until killed below (300 s at most): a slow kernel's curls
	# must not outlast the loader (it held 20 s; under KASAN a curl is 2 s).
	"$client" mkvideo growing 1048576 3 --loading 300 >"$tmp/loading" &
	lpid=$!
	wait_text "$tmp/loading" ready || { kill $lpid; return 1; }
	get $URL/v/growing >"$tmp/code"
	# It exists, without a tag yet: "*" matches it, a tag does not.
	get -I -H 'If-Match: *' $URL/v/growing >"$tmp/code-any"
	get -I -H 'If-Match: "x"' $URL/v/growing >"$tmp/code-tag"
	get $URL/v/growing >"$tmp/code"
	kill $lpid
	wait $lpid 2>/dev/null
	eq "$(cat "$tmp/code")" 200 &&
	eq "$(cat "$tmp/code-any") $(cat "$tmp/code-tag")" "200 412" &&
	eq "$(hdr "$tmp/head" Content-Length)" 1048576 &&
	eq "$(stat -c %s "$tmp/body")" 1048576 &&
	! grep -q '^ETag' "$tmp/head" && ! grep -q '^Last-Modified' "$tmp/head" &&
	# Its loader gone, the kernel deletes it: the server must not hold it.
	eq "$(get $URL/v/growing)" 404
}
ok "a loading video: its bytes so far, no validators, If-Match: * only" t_loading

# served NAME: the bytes the module has handed out of NAME (read or splice).
served() {
	"$ctl" info -j "$1" | sed -nE 's/.*"bytes_served": ([0-9]+).*/\1/p'
}

# A loading video may still be rewritten below its size. Bytes the server
# spliced into its pipe and socket before a rewrite must go out as they
# were: a pipe or socket holding the video's own pages by reference would
# send the new bytes in the old ones' place (issue 23, item 3). One client
# with a 4 KiB window stalls the response (the pipe and the socket fill:
# 1.8 MiB served), the loader rewrites everything, then the client reads:
# every byte served before the rewrite must be old, every byte after new.
# With the module of 0239a43^, which spliced a loading video's pages by
# reference: a_until=0 (even the bytes in the client's receive queue were
# the video's pages, over loopback), b_after=4194304.
t_loading_rewrite() {
	local lpid hpid s r=0

	"$client" mkvideo rewrite 4194304 11 --loading 300 \
		--rewrite-when "$tmp/rw-go" >"$tmp/rw-load" &
	lpid=$!
	wait_text "$tmp/rw-load" ready || { kill $lpid; return 1; }
	"$client" heldget $P /v/rewrite 11 "$tmp/rw-read" >"$tmp/rw-get" &
	hpid=$!
	# Until the server stalls: its pipe alone holds 256 KiB.
	for _ in $(seq 300); do
		s=$(served rewrite)
		[ "${s:-0}" -ge 262144 ] && break
		sleep 0.1
	done
	s=$(served rewrite)
	touch "$tmp/rw-go"
	wait_text "$tmp/rw-load" rewritten || r=1
	touch "$tmp/rw-read"
	wait $hpid || r=1
	kill $lpid
	wait $lpid 2>/dev/null
	echo "served before the rewrite: $s; client: $(cat "$tmp/rw-get")"
	[[ $(cat "$tmp/rw-get") =~ body=([0-9]+)\ a_until=([0-9]+)\ b_after=([0-9]+) ]] ||
		return 1
	eq "${BASH_REMATCH[1]}" 4194304 || r=1
	[ "${BASH_REMATCH[2]}" -ge "$s" ] || { echo "new bytes where old ones were served"; r=1; }
	eq "$((BASH_REMATCH[2] + BASH_REMATCH[3]))" 4194304 || r=1
	return $r
}
ok "a loading video rewritten under a stalled splice: served bytes stay as served" \
	t_loading_rewrite

# --- errors ----------------------------------------------------------------

t_errors() {
	eq "$(get $URL/v/nosuch)" 404 &&
	eq "$(get $URL/nowhere)" 404 &&
	eq "$(get $URL/v/a%2Fb)" 404 &&
	eq "$(get -X POST $URL/v/rand)" 405 &&
	eq "$(hdr "$tmp/head" Allow)" "GET, HEAD" &&
	eq "$(get -X DELETE $URL/v/rand)" 405 &&
	eq "$(get -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" $URL/v/tiny)" 431 &&
	eq "$(get "$URL/v/tiny?loop=x")" 400
}
ok "404, 405 with Allow, 431, 400" t_errors

t_keepalive() {
	curl -sv -o /dev/null -o /dev/null $URL/v/tiny $URL/v/clip.mp4 2>"$tmp/v" &&
	grep -qi 're-using existing connection' "$tmp/v" &&
	eq "$(grep -c '^< HTTP/1.1 200' "$tmp/v")" 2
}
ok "keep-alive: two requests, one connection" t_keepalive


t_pipelining() {
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\n\r\nGET /v/tiny HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\nGET /v/nosuch HTTP/1.1\r\nHost: x\r\n\r\n' |
		raw "200 206 404 open" --wait 1
}
ok "pipelining: three responses in order" t_pipelining

# --- ?t= -------------------------------------------------------------------

t_timecode() {
	eq "$(get "$URL/v/idx?t=00:00:05:10")" 200 &&
	eq "$(hdr "$tmp/head" X-Vcache-Offset)" 400000 &&
	eq "$(hdr "$tmp/head" X-Vcache-Timecode)" 00:00:04:00 &&
	eq "$(hdr "$tmp/head" X-Vcache-Frame)" 100 &&
	eq "$(hdr "$tmp/head" Content-Length)" 3600000 &&
	tail -c +400001 "$tmp/idx" | cmp - "$tmp/body" &&
	eq "$(get "$URL/v/idx?t=00:00:00:00")" 200 &&
	eq "$(stat -c %s "$tmp/body")" 4000000 &&
	eq "$(get "$URL/v/idx?t=00%3A00%3A39%3A24")" 200 &&
	eq "$(hdr "$tmp/head" X-Vcache-Offset)" 3800000 &&
	# Seconds and 90 kHz ticks from the first keyframe, as vcachectl seek.
	eq "$(get "$URL/v/idx?t=5.4")" 200 &&
	eq "$(hdr "$tmp/head" X-Vcache-Offset)" 400000 &&
	eq "$(hdr "$tmp/head" X-Vcache-Timecode)" 00:00:04:00 &&
	eq "$(get "$URL/v/idx?t=360000t")" 200 &&
	eq "$(hdr "$tmp/head" X-Vcache-Frame)" 100 &&
	eq "$(get "$URL/v/idx?t=1.99")" 200 &&
	eq "$(hdr "$tmp/head" X-Vcache-Offset)" 0
}
ok "?t=: from the LOOKUP keyframe to the end (label, seconds, ticks)" t_timecode

t_timecode_errors() {
	eq "$(get "$URL/v/idx?t=00:00:05:25")" 400 &&
	grep -q 'frames must be below 25' "$tmp/body" &&
	eq "$(get "$URL/v/idx?t=00:00:05;10")" 400 &&
	grep -q 'drop-frame timecode needs 29.97' "$tmp/body" &&
	eq "$(get "$URL/v/idx?t=5.4s%00")" 400 &&
	eq "$(get "$URL/v/idx?t=41")" 416 &&
	eq "$(get "$URL/v/idx?t=0:0:5:1")" 400 &&
	eq "$(get "$URL/v/idx?t=00:00:40:00")" 416 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes */4000000" &&
	eq "$(get "$URL/v/rand?t=00:00:01:00")" 409 &&
	grep -q 'no keyframe index' "$tmp/body"
}
ok "?t=: 400 bad timecode, 416 past the end, 409 no index" t_timecode_errors

if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null &&
   ffmpeg -hide_banner -encoders 2>/dev/null | grep -q ' libx264 '; then
	t_real_ts() {
		local off

		ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x90:rate=25 -t 6 \
			-c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p \
			-f mpegts "$tmp/real.ts" &&
		"$ctl" load real "$tmp/real.ts" &&
		eq "$(get "$URL/v/real?t=00:00:03:12")" 200 &&
		off=$(hdr "$tmp/head" X-Vcache-Offset) &&
		eq "$(hdr "$tmp/head" X-Vcache-Timecode)" 00:00:03:00 &&
		eq $((off % 188)) 0 &&
		tail -c +$((off + 1)) "$tmp/real.ts" | cmp - "$tmp/body" &&
		eq "$(head -c 1 "$tmp/body" | od -An -tx1 | tr -d ' ')" 47 &&
		ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$tmp/body" |
			grep -q h264
	}
	ok "?t= on real MPEG-TS (ffmpeg): a keyframe's packet, playable" t_real_ts
else
	skip "?t= on real MPEG-TS" "no ffmpeg with libx264"
fi

# --- ?loop= ------------------------------------------------------------------

t_loop() {
	eq "$(get "$URL/v/rand?loop=3")" 200 &&
	eq "$(hdr "$tmp/head" Transfer-Encoding)" chunked &&
	eq "$(stat -c %s "$tmp/body")" $((3 * rand_size)) &&
	cat "$tmp/rand" "$tmp/rand" "$tmp/rand" | cmp - "$tmp/body" &&
	eq "$(get "$URL/v/idx?t=00:00:38:00&loop=2")" 200 &&
	eq "$(stat -c %s "$tmp/body")" 400000 &&
	# loop=0 is for ever: take more than 3 passes and hang up.
	eq "$(curl -s "$URL/v/tiny?loop=0" | head -c 5500 | wc -c)" 5500 &&
	# HTTP/1.0 has no chunking: a length instead.
	eq "$(get -0 "$URL/v/tiny?loop=2")" 200 &&
	eq "$(hdr "$tmp/head" Content-Length)" 2000
}
ok "?loop=N: exactly N times the video, chunked" t_loop

# --- the list ----------------------------------------------------------------

t_list() {
	eq "$(get $URL/v/)" 200 &&
	eq "$(hdr "$tmp/head" Content-Type)" application/json &&
	python3 - "$tmp/body" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = {x["name"]: x for x in d["videos"]}
assert d["complete"] is True, d
assert v["rand"]["size"] == 8388608 and v["rand"]["state"] == "sealed", v["rand"]
assert v["idx"]["duration"] == 40.0 and v["idx"]["fps"] == 25, v["idx"]
assert v["sp ace"]["size"] == 1000, v
EOF
}
ok "GET /v/: JSON list with sizes, durations, rates, states" t_list

# --- every send path: the same bytes -----------------------------------------

for m in $paths; do
	t_path() {
		local u=http://127.0.0.1:${port[$1]}

		eq "$(get $u/v/rand)" 200 &&
		eq "$(sha256sum <"$tmp/body" | cut -d' ' -f1)" "$rand_sha" &&
		eq "$(get -H 'Range: bytes=12345-2345678' $u/v/rand)" 206 &&
		tail -c +12346 "$tmp/rand" | head -c $((2345678 - 12345 + 1)) | cmp - "$tmp/body" &&
		eq "$(get -H 'Range: bytes=1-2,3000-9000' $u/v/rand)" 206 &&
		grep -aq "^Content-Range: bytes 3000-9000/" "$tmp/body" &&
		eq "$(get "$u/v/tiny?loop=3")" 200 &&
		cat "$tmp/tiny" "$tmp/tiny" "$tmp/tiny" | cmp - "$tmp/body"
	}
	ok "--send $m: identical bodies (sha256, ranges, multipart, loop)" t_path $m
done

t_hangup() {
	local m u r=0 pids=()

	# Clients that go away mid-body, on every path, all at once: by
	# default three of each kind per path, 30 (one each on the debug
	# kernel, where a curl takes 1.5 s of the guest's CPU to start).
	for m in $paths; do
		u=http://127.0.0.1:${port[$m]}
		for ((i = 0; i < hangup_clients; i++)); do
			{ curl -s $u/v/big | head -c 100000 >/dev/null; } &
			pids+=($!)
			curl -s -m 0.3 --limit-rate 1M -o /dev/null $u/v/big &
			pids+=($!)
		done
	done
	wait "${pids[@]}"
	for m in $paths; do
		u=http://127.0.0.1:${port[$m]}
		eq "$(get $u/v/rand)" 200 &&
		eq "$(sha256sum <"$tmp/body" | cut -d' ' -f1)" "$rand_sha" || r=1
	done
	return $r
}
ok "clients hanging up mid-body on every path: all still serving" t_hangup

# Throughput, a quick ratio only (TCG, loopback): wall-clock MB/s to one
# curl, which is mostly curl's speed, and the server's own CPU time per GB,
# which is the send path's. STREAMER_THROUGHPUT_REPS=0 leaves it out (the
# debug kernel's run: KASAN's numbers say nothing of a send path).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
reps=${STREAMER_THROUGHPUT_REPS:-3}
for m in $paths; do
	[ "$reps" -gt 0 ] || break
	best=0
	c0=$(cpu_ticks "${pid[$m]}")
	for ((i = 0; i < reps; i++)); do
		s=$(curl -s -o /dev/null -w '%{speed_download}' \
			"http://127.0.0.1:${port[$m]}/v/big?loop=4" | cut -d. -f1)
		[ "$s" -gt "$best" ] && best=$s
	done
	c1=$(cpu_ticks "${pid[$m]}")
	# reps x 128 MiB = reps x 0.134 GB; ticks are 1/100 s.
	echo "# throughput --send $m: $((best / 1000000)) MB/s to curl (best of $reps);" \
		"server CPU $(((c1 - c0) * 3000 / (40 * reps))) ms per GB"
done

# --- load ------------------------------------------------------------------------

t_concurrent() {
	"$client" fetch $P big $big_size 1 "$clients" 1 20971520
}
ok "$clients concurrent clients, random ranges up to 20 MiB, all bodies correct" t_concurrent
cat "$tmp/out" | sed 's/^/# /'

# --- malformed input ---------------------------------------------------------------

t_corpus() {
	local r=0

	printf 'BREW /v/tiny HTTP/1.1\r\nHost: x\r\n\r\n' | raw "405 open" --wait 0.5 || r=1
	printf 'get /v/tiny HTTP/1.1\r\nHost: x\r\n\r\n' | raw "405 open" --wait 0.5 || r=1
	printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\x00\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/ti\x00ny HTTP/1.1\r\nHost: x\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\nHost: x\n\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc' |
		raw "400 closed" || r=1
	# A chunked body is framing the parser knows (live ingest); a GET's is not read.
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' |
		raw "200 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n' |
		raw "501 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' |
		raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost : x\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\n\r\n' | raw "400 closed" || r=1
	printf 'GET /v/tiny HTTP/2.0\r\nHost: x\r\n\r\n' | raw "505 closed" || r=1
	{ printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nX: '; head -c 200000 /dev/zero | tr '\0' b; } |
		raw "431 closed" || r=1
	{ printf 'GET /'; head -c 30000 /dev/zero | tr '\0' c; } | raw "414 closed" || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nRange: bytes=zz\r\n\r\n' | raw "200 open" --wait 0.5 || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nRange: bytes=5000-\r\n\r\n' | raw "416 open" --wait 0.5 || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' | raw "200 closed" || r=1
	printf 'GET http://x/v/tiny HTTP/1.1\r\nHost: x\r\n\r\n' | raw "200 open" --wait 0.5 || r=1
	printf 'GET /v/tiny HTTP/1.0\r\n\r\n' | raw "200 closed" || r=1
	printf 'GET /v/tiny HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' | raw "200 open" --wait 0.5 || r=1
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw "200 closed" || r=1
	# Half-closed after a request: answered, then closed.
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\n\r\n' | raw "200 closed" --shut || r=1
	# Half-closed in the middle of a head: closed, nothing to answer.
	printf 'GET /v/tiny HTTP/1.1\r\nHo' | raw "closed" --shut || r=1
	# Slow client: no whole head within --header-timeout 2.
	printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\n' | raw "408 closed" --wait 5 || r=1
	return $r
}
ok "malformed input corpus: every request answered or closed" t_corpus

t_still_serving() {
	eq "$(get $URL/v/rand)" 200 &&
	eq "$(sha256sum <"$tmp/body" | cut -d' ' -f1)" "$rand_sha"
}
ok "server still serving after the corpus" t_still_serving

t_idle() {
	local opened alive

	"$client" idle $P "$idle_conns" 8 >"$tmp/idle" &
	local cpid=$!
	for i in $(seq 300); do
		grep -q opened "$tmp/idle" && break
		sleep 0.1
	done
	sleep 1
	# While they are held: still serving.
	eq "$(get $URL/v/rand)" 200 &&
	eq "$(sha256sum <"$tmp/body" | cut -d' ' -f1)" "$rand_sha" || return 1
	wait $cpid
	opened=$(sed -n 's/opened //p' "$tmp/idle")
	alive=$(sed -n 's/alive //p' "$tmp/idle")
	echo "# $opened idle connections opened, $alive still open after 8 s"
	eq "$opened" "$idle_conns" && eq "$alive" "$idle_conns"
}
ok "$idle_conns idle connections held while serving" t_idle
sed -n 's/^# /# /p' "$tmp/out" | grep 'idle connections' || true

# --- log, signals ----------------------------------------------------------------

t_log() {
	curl -s -o /dev/null -H 'Range: bytes=0-99' $URL/v/rand &&
	wait_grep "$tmp/access-splice.log" \
		'"GET /v/rand HTTP/1.1" 206 100 "bytes=0-99" [0-9.]+ms splice$' &&
	mv "$tmp/access-splice.log" "$tmp/access-splice.log.1" &&
	kill -HUP "${pid[splice]}" &&
	# The reopen creates the file (O_CREAT), then moves the log onto it.
	wait_for 100 test -e "$tmp/access-splice.log" &&
	curl -s -o /dev/null $URL/v/tiny &&
	wait_grep "$tmp/access-splice.log" '"GET /v/tiny HTTP/1.1" 200 1000'
}
ok "access log lines; SIGHUP reopens the log" t_log

t_term() {
	local cpid rc t0

	# A download still under way when SIGTERM comes (32 MiB at 8 MB/s:
	# more than the socket buffers hold): it completes, then the exit.
	"$ctl" cat big >"$tmp/big"
	curl -s --limit-rate 8M -o "$tmp/slow" $URL/v/big &
	cpid=$!
	# Under way: its first bytes are in (30 s at most).
	wait_for 300 test -s "$tmp/slow"
	t0=$(date +%s%N)
	kill -TERM "${pid[splice]}"
	wait "${pid[splice]}"
	rc=$?
	unset "pid[splice]"
	echo "# exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM"
	wait $cpid &&
	eq "$rc" 0 &&
	cmp "$tmp/slow" "$tmp/big" &&
	[ $(($(date +%s%N) - t0)) -gt 1000000000 ] &&
	grep -q 'video bytes sent by path: splice [1-9]' "$tmp/stderr-splice"
}
ok "SIGTERM: the response under way completes, exit 0" t_term
grep '^# exited' "$tmp/out" || true

# --- the connection limit --------------------------------------------------

# hold FD PORT: a connection the server answered on (not one it turned away
# while an earlier connection was still being counted), open on FD.
hold() {
	local line

	for _ in $(seq 50); do
		eval "exec $1<>/dev/tcp/127.0.0.1/$2" || return 1
		printf 'HEAD /v/tiny HTTP/1.1\r\nHost: x\r\n\r\n' >&"$1"
		read -r -t 5 line <&"$1"
		[ "${line%$'\r'}" = "HTTP/1.1 200 OK" ] && return 0
		eval "exec $1>&-"
	done
	echo "no connection held on port $2: $line"
	return 1
}

t_busy() {
	local p=18089 r=0

	start_streamer busy "$tmp/stderr-busy" --listen 127.0.0.1:$p --threads 1 \
		--max-conns 2 --quiet
	wait_up http://127.0.0.1:$p/v/tiny
	hold 5 $p && hold 6 $p || r=1
	# The third: the whole body, exactly as long as Content-Length says.
	eq "$(get http://127.0.0.1:$p/v/tiny)" 503 || r=1
	eq "$(cat "$tmp/body")" "503 Service Unavailable: too many connections" || r=1
	eq "$(wc -c <"$tmp/body")" "$(hdr "$tmp/head" Content-Length)" || r=1
	exec 5>&- 6>&-
	kill "${pid[busy]}"
	wait "${pid[busy]}"
	unset 'pid[busy]'
	return $r
}
ok "over --max-conns: 503 whose Content-Length is its body's" t_busy

# A ~60 KiB head a byte per send (TCP_NODELAY, 100 us apart), so that the
# server reads it about a byte per recv(): parsing from byte 0 after every
# read made that O(n^2), and the server busy for the whole trickle (17.7 s
# of CPU in an 18.5 s trickle, TCG). Resumed, it is O(n): its CPU time is
# the reads' (3.5 s). The bound: half of the trickle's time.
t_trickle() {
	local p=18090 r=0 i c0 c1 secs got

	start_streamer trickle "$tmp/stderr-trickle" --listen 127.0.0.1:$p --threads 1 \
		--max-header-bytes 1M --header-timeout 300 --quiet
	wait_up http://127.0.0.1:$p/v/tiny
	{
		printf 'GET /v/tiny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
		for i in $(seq 1000); do printf 'X-Pad-%04d: %048d\r\n' "$i" 0; done
		printf '\r\n'
	} >"$tmp/bighead"
	c0=$(cpu_ticks "${pid[trickle]}")
	got=$("$client" raw $p --trickle 100 --wait 60 <"$tmp/bighead" 2>"$tmp/trickle")
	c1=$(cpu_ticks "${pid[trickle]}")
	secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$tmp/trickle")
	echo "# $(wc -c <"$tmp/bighead")-byte head a byte per send: $(cat "$tmp/trickle");" \
		"server CPU $(((c1 - c0) * 10)) ms"
	eq "$got" "200 closed" || r=1
	# ticks are 1/100 s: CPU < trickle / 2.
	awk -v t="$secs" -v c=$((c1 - c0)) 'BEGIN { exit !(t > 0 && c / 100 < t / 2) }' || {
		echo "# server CPU $(((c1 - c0) * 10)) ms for a ${secs} s trickle: over half"
		r=1
	}
	kill "${pid[trickle]}"
	wait "${pid[trickle]}"
	unset 'pid[trickle]'
	return $r
}
ok "a 60 KiB head a byte per read: parsed in time linear in its size" t_trickle
grep 'byte head a byte per send' "$tmp/out" || true

t_counters() {
	local m r=0

	for m in sendfile mmap copy aio; do
		kill -TERM "${pid[$m]}"
		wait "${pid[$m]}" || r=1
		unset "pid[$m]"
		grep -q "$m [1-9]" "$tmp/stderr-$m" || { cat "$tmp/stderr-$m"; r=1; }
	done
	cat "$tmp"/stderr-* | grep 'bytes sent' | sed 's/^/# /'
	# A sanitizer build reports there.
	if grep -l 'Sanitizer\|runtime error' "$tmp"/stderr-*; then
		grep -h -A5 'Sanitizer\|runtime error' "$tmp"/stderr-* | head -n 30
		r=1
	fi
	return $r
}
ok "each path counted its bytes (printed on exit)" t_counters
grep 'bytes sent' "$tmp/out" || true

for v in rand tiny clip.mp4 clip.mkv 'sp ace' big idx real; do
	"$ctl" rm "$v" 2>/dev/null
done
echo "# took $(($(date +%s) - start_s)) s"
