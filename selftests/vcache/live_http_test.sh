#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer's live streams end to end, in the VM (needs /dev/vcache
# and root):
#   scripts/vm-run -k 6.12 -- scripts/run-tests selftests/vcache/live_http_test.sh
# PUT/POST /live/NAME ingest (curl, ffmpeg), GET /live/NAME viewers (curl,
# ffprobe, build/selftests/live_client), end of stream, re-joins, errors;
# torn bytes (a writer lapping a small ring under slow viewers) and idle
# viewers (their memory, and their clients' close at a quiet head).
# The 29.97 fps clip comes from scripts/make-test-media build/media, made
# on the host ("make test-media"): ffmpeg is slow under TCG. Prints
# kselftest-style TAP ending in "# Totals: ...".
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# $streamer, $ctl, $client; TAP (ok, skip, eq), hdr, finish, need,
# start_streamer and wait_up.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

lclient=$root/build/selftests/live_client
clip=$root/build/media/h264_2997.ts
clip_csv=$root/build/media/h264_2997.csv
tmp=$(mktemp -d /tmp/live_http_test.XXXXXX)
P=18091		# 64 MiB rings
PS=18092	# 256 KiB rings, 16 KiB viewer socket buffers: viewers fall behind
PC=18093	# idle viewers: this server's memory is measured
PT=18094	# torn bytes: two workers, 4 KiB viewer socket buffers
URL=http://127.0.0.1:$P
URLS=http://127.0.0.1:$PS
URLC=http://127.0.0.1:$PC
URLT=http://127.0.0.1:$PT
curl_max_time=90
fail_lines=30
# LIVE_KEEP=DIR keeps the logs and bodies, for a look after a failure.
keep_dir=${LIVE_KEEP:-}
idle_viewers=${LIVE_IDLE_VIEWERS:-200}
need "$streamer" "$ctl" "$client" "$lclient"

start_streamer big "$tmp/stderr" --listen 127.0.0.1:$P --threads 2 \
	--log "$tmp/access.log" --live-capacity 64M
start_streamer small "$tmp/stderr-small" --listen 127.0.0.1:$PS --threads 1 \
	--log "$tmp/access-small.log" --live-capacity 256K --live-sndbuf 16K
start_streamer crowd "$tmp/stderr-crowd" --listen 127.0.0.1:$PC --threads 1 --quiet \
	--live-sndbuf 16K
start_streamer torn "$tmp/stderr-torn" --listen 127.0.0.1:$PT --threads 2 --quiet \
	--live-sndbuf 4K
wait_up "$URL/live/" "$URLS/live/" "$URLC/live/" "$URLT/live/"

# counter NAME [URL]: a number from GET /live/.
counter() {
	curl -s "${2:-$URL}/live/" | sed -E "s/.*\"$1\": ([0-9]+).*/\1/"
}

# wait_live NAME [URL]: until HEAD /live/NAME is a 200 (the PUT got going).
wait_live() {
	local i

	for i in $(seq 300); do
		[ "$(curl -s -o /dev/null -I -w '%{http_code}' "${2:-$URL}/live/$1")" = 200 ] &&
			return 0
		sleep 0.05
	done
	echo "live stream $1 never appeared"
	return 1
}

# same_tail FILE OFFSET BODY: BODY is FILE from OFFSET on.
same_tail() {
	local want got

	want=$(tail -c +$(($2 + 1)) "$1" | sha256sum | cut -d' ' -f1)
	got=$(sha256sum <"$3" | cut -d' ' -f1)
	eq "$got" "$want"
}

head -c 8388608 /dev/urandom >"$tmp/rand"

# note TEXT: a TAP comment now, whether the test passes or not (ok() shows
# a test's own output only when it fails).
exec 3>&1
note() {
	echo "# $*" >&3
}

# --- errors ------------------------------------------------------------------

t_errors() {
	local r=0

	eq "$(curl -s -o /dev/null -w '%{http_code}' $URL/live/)" 200 || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' $URL/live/nosuch)" 404 || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE $URL/live/x)" 405 || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT $URL/live/)" 405 || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT $URL/v/x)" 405 || r=1
	# A body without a length: 411.
	printf 'PUT /live/nolen HTTP/1.1\r\nHost: x\r\n\r\n' |
		"$client" raw $P --wait 1 >"$tmp/raw" && eq "$(cat "$tmp/raw")" "411 open" || r=1
	printf 'PUT /live/gz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx' |
		"$client" raw $P --wait 1 >"$tmp/raw" && eq "$(cat "$tmp/raw")" "501 closed" || r=1
	# A VOD video is not a live stream, either way.
	"$ctl" load vod "$tmp/rand" >/dev/null 2>&1
	eq "$(curl -s -o /dev/null -w '%{http_code}' $URL/live/vod)" 404 || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/rand" $URL/live/vod)" 409 || r=1
	"$ctl" rm vod >/dev/null
	return $r
}
ok "live errors: 404, 405, 411, 501, 409 on a VOD name" t_errors

t_malformed() {
	local r=0 body

	for body in 'zz\r\nab\r\n0\r\n\r\n' '2\r\nabc\r\n0\r\n\r\n' '2\nab\r\n0\r\n\r\n' \
		    '2\r\nab\r\n0\r\n\n' '2 x\r\nab\r\n0\r\n\r\n' '10000000000000000\r\n'; do
		printf "PUT /live/bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n$body" |
			"$client" raw $P --wait 2 >"$tmp/raw"
		eq "$(cat "$tmp/raw")" "400 closed" || { echo "body: $body"; r=1; }
	done
	# The refused stream ended (its writer is gone): a new PUT replaces it.
	eq "$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/rand" $URL/live/bad)" 201 || r=1
	"$ctl" rm bad >/dev/null || r=1
	return $r
}
ok "malformed chunked bodies: 400, the stream ends" t_malformed

# --- byte for byte -----------------------------------------------------------

# wait_viewers NAME N: until the kernel counts N viewers of NAME.
wait_viewers() {
	local i

	for i in $(seq 600); do
		[ "$("$ctl" info "$1" 2>/dev/null | sed -n 's/^viewers: *//p')" = "$2" ] &&
			return 0
		sleep 0.1
	done
	echo "# $1: never $2 viewers" >&2
	return 1
}

# feed NAME: the random file, held after its first MiB until both viewers
# are in. Joining is then never a race with the end of the upload, however
# slow the kernel (a debug kernel under TCG starts a curl in seconds).
feed() {
	head -c 1048576 "$tmp/rand"
	wait_viewers "$1" 2
	tail -c +1048577 "$tmp/rand"
}

# exact NAME CURL-UPLOAD-ARGS...: a paced upload, a fast and a slow viewer;
# each gets the stream from where it joined to the end, byte for byte.
exact() {
	local name=$1 up fast slow r=0 off
	shift

	feed $name | curl -s -o "$tmp/put.out" -w '%{http_code}' --limit-rate 2M -T - "$@" \
		$URL/live/$name >"$tmp/put.code" &
	up=$!
	wait_live $name || return 1
	curl -s -D "$tmp/fast.h" -o "$tmp/fast" $URL/live/$name &
	fast=$!
	curl -s -D "$tmp/slow.h" -o "$tmp/slow" --limit-rate 1M $URL/live/$name &
	slow=$!
	wait $up || r=1
	eq "$(cat "$tmp/put.code")" 201 || r=1
	wait $fast || { echo "fast viewer: curl failed (no end of stream?)"; r=1; }
	wait $slow || { echo "slow viewer: curl failed (no end of stream?)"; r=1; }
	for v in fast slow; do
		off=$(hdr "$tmp/$v.h" X-Vcache-Offset)
		eq "$(hdr "$tmp/$v.h" Transfer-Encoding)" chunked || r=1
		[ -n "$off" ] && [ "$off" -lt 8388608 ] || { echo "$v offset '$off'"; r=1; continue; }
		same_tail "$tmp/rand" "$off" "$tmp/$v" || { echo "$v viewer from $off"; r=1; }
	done
	echo "# $name: fast from $(hdr "$tmp/fast.h" X-Vcache-Offset), slow from" \
		"$(hdr "$tmp/slow.h" X-Vcache-Offset)"
	# Sent from the viewers' mappings of the ring, not read into a buffer.
	wait_grep "$tmp/access.log" "\"GET /live/$name HTTP/1.1\" 200 .* mmap from=" 2 ||
		{ echo "viewers not sent from the mapping:"; grep "/live/$name" "$tmp/access.log"; r=1; }
	"$ctl" rm $name >/dev/null || r=1
	return $r
}

# (-T - would send chunked: the empty header turns that off.)
ok "PUT with Content-Length: fast and slow viewers byte-exact to the end" \
	exact cl -H "Transfer-Encoding:" -H "Content-Length: 8388608"

t_chunked_exact() {
	local in0 cp0 in1 cp1

	in0=$(counter ingest_bytes)
	cp0=$(counter ingest_copied)
	exact ch -H "Transfer-Encoding: chunked" -X POST || return 1
	in1=$(counter ingest_bytes)
	cp1=$(counter ingest_copied)
	eq $((in1 - in0)) 8388608 || return 1
	# Zero-copy ingest: all but the framing's neighbours landed by recv().
	echo "# copied $((cp1 - cp0)) of $((in1 - in0)) bytes"
	[ $(((cp1 - cp0) * 100)) -lt $((in1 - in0)) ] || { echo "too many bytes copied"; return 1; }
}
ok "POST chunked: byte-exact viewers, under 1% of the bytes copied" t_chunked_exact

# --- one writer, and its death ----------------------------------------------

t_writer_killed() {
	local up view r=0 i

	# "command": $! must be curl's, for the kill.
	command curl -s -o /dev/null --max-time 90 --limit-rate 200K -T "$tmp/rand" $URL/live/k &
	up=$!
	wait_live k || return 1
	# A second broadcaster: the kernel's one writer says no.
	eq "$(curl -s -o "$tmp/409" -w '%{http_code}' -T "$tmp/rand" $URL/live/k)" 409 || r=1
	curl -s -D "$tmp/k.h" -o "$tmp/k.body" $URL/live/k &
	view=$!
	# Killed once the viewer has bytes, not a second after its curl was
	# started: on the debug kernel that is before it has even joined.
	wait_viewers k 1
	for i in $(seq 300); do
		[ -s "$tmp/k.body" ] && break
		sleep 0.1
	done
	kill -9 $up
	wait $up 2>/dev/null
	# The viewer's response ends properly: curl exits 0 on the last chunk.
	wait $view || { echo "viewer did not get the end of the stream"; r=1; }
	# (No <(...): the VM has no /dev/fd.)
	tail -c +$(($(hdr "$tmp/k.h" X-Vcache-Offset) + 1)) "$tmp/rand" |
		head -c $(stat -c %s "$tmp/k.body") >"$tmp/k.want"
	cmp "$tmp/k.body" "$tmp/k.want" || { echo "viewer bytes differ"; r=1; }
	[ -s "$tmp/k.body" ] || { echo "the viewer got nothing"; r=1; }
	# Ended: a new viewer gets what the ring holds and the end, at once.
	curl -s -o /dev/null --max-time 10 $URL/live/k || { echo "k did not end"; r=1; }
	"$ctl" rm k || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' $URL/live/k)" 404 || r=1
	wait_grep "$tmp/access.log" '"PUT /live/k HTTP/1.1" .* aborted in=' ||
		{ echo "no aborted ingest in the log"; r=1; }
	return $r
}
ok "second PUT 409; writer killed: viewers get the end, stream deletable" t_writer_killed

# --- ffmpeg in, ffprobe out --------------------------------------------------

t_ffmpeg() {
	local push frames r=0

	ffmpeg -nostdin -v error -re -i "$clip" -c copy -f mpegts -method PUT \
		$URL/live/tv 2>"$tmp/push.err" &
	push=$!
	wait_live tv || return 1
	sleep 1
	frames=$(ffprobe -v error -select_streams v:0 -count_frames \
		-show_entries stream=nb_read_frames -of csv=p=0 $URL/live/tv 2>"$tmp/probe.err" |
		head -n 1)
	wait $push || { echo "ffmpeg push failed:"; cat "$tmp/push.err"; r=1; }
	echo "# ffprobe decoded $frames frames from the live stream"
	[ -n "$frames" ] && [ "$frames" -gt 0 ] 2>/dev/null || { echo "no frames"; r=1; }
	[ ! -s "$tmp/probe.err" ] || { echo "ffprobe said:"; head "$tmp/probe.err"; r=1; }
	grep -q '"PUT /live/tv HTTP/1.1" 201 .* keys=[1-9]' "$tmp/access.log" ||
		{ echo "no keyframes indexed:"; grep 'live/tv' "$tmp/access.log"; r=1; }
	return $r
}

t_rewind() {
	local r=0 off0 want off last

	# ffmpeg re-muxed the clip: what the stream holds is the reference.
	# ?t=00:00:00:00 is all of it from the first keyframe on.
	eq "$(curl -s -D "$tmp/all.h" -o "$tmp/all.ts" -w '%{http_code}' \
		"$URL/live/tv?t=00:00:00:00")" 200 || return 1
	off0=$(hdr "$tmp/all.h" X-Vcache-Offset)
	ffprobe -v error -select_streams v:0 -show_packets -show_entries packet=pts,pos,flags \
		-of csv=p=0 "$tmp/all.ts" | awk -F, -v o="$off0" 'NF >= 3 { print $1 "," $2 + o "," $3 }' \
		>"$tmp/all.csv"
	# ?t=00:00:10:00 at 29.97: frame 300, 300 * 3003 ticks after the first keyframe.
	want=$(awk -F, '$3 ~ /K/ { if (b == "") b = $1; if ($1 - b <= 300 * 3003) p = $2 }
		END { print p }' "$tmp/all.csv")
	eq "$(curl -s -D "$tmp/t.h" -o "$tmp/t.body" -w '%{http_code}' \
		"$URL/live/tv?t=00:00:10:00")" 200 || r=1
	off=$(hdr "$tmp/t.h" X-Vcache-Offset)
	echo "# t=10 s: keyframe at $off (stream from $off0)"
	eq "$off" "$want" || r=1
	same_tail "$tmp/all.ts" $((off - off0)) "$tmp/t.body" || r=1
	# Without ?t=: the latest keyframe, the last of the stream.
	last=$(awk -F, '$3 ~ /K/ { p = $2 } END { print p }' "$tmp/all.csv")
	eq "$(curl -s -D "$tmp/l.h" -o "$tmp/l.body" -w '%{http_code}' $URL/live/tv)" 200 || r=1
	eq "$(hdr "$tmp/l.h" X-Vcache-Offset)" "$last" || r=1
	same_tail "$tmp/all.ts" $((last - off0)) "$tmp/l.body" || r=1
	# Seconds, as vcachectl seek takes them: t=0 is the first keyframe.
	eq "$(curl -s -D "$tmp/s.h" -o /dev/null -w '%{http_code}' "$URL/live/tv?t=0")" 200 ||
		r=1
	eq "$(hdr "$tmp/s.h" X-Vcache-Offset)" "$off0" || r=1
	# Past the newest keyframe: 416; a timecode that cannot be: 400.
	eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/live/tv?t=05:00:00:00")" 416 || r=1
	eq "$(curl -s -o "$tmp/400" -w '%{http_code}' "$URL/live/tv?t=00:00:00:45")" 400 || r=1
	grep -q 'frames must be below 30' "$tmp/400" || { cat "$tmp/400"; r=1; }
	# HEAD: the head only. A closed Range: those bytes (206, the stream's
	# length once ended); an open one is followed (200, Accept-Ranges: none).
	eq "$(curl -s -I -o "$tmp/h.h" -w '%{http_code}' $URL/live/tv)" 200 || r=1
	eq "$(hdr "$tmp/h.h" X-Vcache-Offset)" "$last" || r=1
	eq "$(curl -s -o "$tmp/rg" -D "$tmp/rg.h" -w '%{http_code}' -r "$off0-$((off0 + 99))" \
		$URL/live/tv)" 206 || r=1
	[[ $(hdr "$tmp/rg.h" Content-Range) =~ ^bytes\ $off0-$((off0 + 99))/[0-9]+$ ]] ||
		{ echo "Content-Range: $(hdr "$tmp/rg.h" Content-Range)"; r=1; }
	head -c 100 "$tmp/all.ts" | cmp - "$tmp/rg" || r=1
	eq "$(curl -s -I -o "$tmp/rg.h" -w '%{http_code}' -r 0- $URL/live/tv)" 200 || r=1
	eq "$(hdr "$tmp/rg.h" Accept-Ranges)" none || r=1
	return $r
}

if [ -f "$clip" ] && [ -f "$clip_csv" ] && command -v ffmpeg >/dev/null; then
	ok "ffmpeg -re PUT of a 29.97 fps TS, ffprobe decodes GET /live/tv" t_ffmpeg
	ok "?t= rewinds to the keyframe, latest keyframe join, HEAD, Range" t_rewind
	"$ctl" rm tv >/dev/null 2>&1
else
	skip "ffmpeg -re PUT of a 29.97 fps TS, ffprobe decodes GET /live/tv" "no $clip (make test-media)"
	skip "?t= rewinds to the keyframe, latest keyframe join, HEAD, Range" "no $clip"
fi

# --- falling behind ----------------------------------------------------------

t_rejoin() {
	local up r=0 res at size j0 j1

	j0=$(counter rejoins $URLS)
	curl -s -o /dev/null --limit-rate 200K -T "$clip" $URLS/live/slow &
	up=$!
	wait_live slow $URLS || return 1
	res=$("$lclient" slow $PS /live/slow 2500 "$tmp/slow.body")
	wait $up
	echo "# slow viewer: $res, $(stat -c %s "$tmp/slow.body") bytes"
	set -- $res
	eq "$1 $3" "200 complete" || r=1
	j1=$(counter rejoins $URLS)
	[ "$j1" -gt "$j0" ] || { echo "rejoins $j0 -> $j1"; r=1; }
	wait_grep "$tmp/access-small.log" '"GET /live/slow .*rejoined_at=' || r=1
	at=$(grep '"GET /live/slow' "$tmp/access-small.log" | tail -n 1 |
		sed -nE 's/.*rejoined_at=([0-9]+).*/\1/p')
	echo "# re-joined at $at"
	[ -n "$at" ] || { echo "no re-join in the log"; r=1; return $r; }
	# At a keyframe of the clip...
	awk -F, '$3 ~ /K/ { print $2 }' "$clip_csv" | grep -qx "$at" ||
		{ echo "$at is not a keyframe offset"; r=1; }
	# ...and from there on, the clip itself, byte for byte.
	size=$(stat -c %s "$clip")
	tail -c $((size - at)) "$tmp/slow.body" >"$tmp/slow.got"
	tail -c +$((at + 1)) "$clip" >"$tmp/slow.want"
	cmp "$tmp/slow.got" "$tmp/slow.want" ||
		{ echo "bytes after the re-join differ"; r=1; }
	"$ctl" rm slow >/dev/null || r=1
	return $r
}
if [ -f "$clip" ]; then
	ok "slow viewer falls behind a 256K ring: re-joined at a keyframe, counted" t_rejoin
else
	skip "slow viewer falls behind a 256K ring: re-joined at a keyframe, counted" "no $clip"
fi

# --- torn bytes --------------------------------------------------------------

# A writer laps a 64 KiB ring (48 KiB window) as fast as it can, straight
# through /dev/vcache, while 16 slow viewers (half HTTP/1.0, half 1.1, tiny
# receive buffers) keep being sent bytes from near the window's tail; the
# streamer has two workers, so writer and sends really run at once. Every
# byte a viewer gets must be the stream's at its offset, and a response may
# end cleanly only at the stream's end; a reset is allowed (live_client.c).
t_torn() {
	local r=0 res

	res=$("$lclient" torn $PT torn 64K 8 16 2>"$tmp/torn.err") || r=1
	note "$res"
	note "server: $(curl -s $URLT/live/)"
	head -n 8 "$tmp/torn.err"
	"$ctl" rm torn >/dev/null || r=1
	return $r
}
ok "writer laps a 64K ring under 16 slow viewers: no torn byte, no false end" t_torn

# --- idle viewers -------------------------------------------------------------

# kviewers NAME: the kernel's count of NAME's viewers (descriptors bound).
kviewers() {
	"$ctl" info "$1" 2>/dev/null | sed -n 's/^viewers: *//p'
}

# LIVE_IDLE_VIEWERS (200) viewers get 300 KiB each (more than their sockets
# take: the rest waits in the server), then idle at the head of a quiet
# stream: their memory is
# the server's anonymous memory (RssAnon; VmRSS also counts every viewer's
# mapping of the ring's pages, which are the module's, once each). Then
# the clients close: the server must notice at the quiet head.
t_idle_viewers() {
	local hold crowd r=0 i anon rss now kv n=$idle_viewers
	local bound=$((16 * 1024))	# KiB

	"$lclient" hold quiet 1M 300K >"$tmp/hold.out" 2>&1 &
	hold=$!
	wait_text "$tmp/hold.out" ready || return 1
	"$lclient" crowd $PC /live/quiet $n 300K >"$tmp/crowd.out" 2>&1 &
	crowd=$!
	if wait_text "$tmp/crowd.out" "ready $n"; then
		anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/${pid[crowd]}/status")
		rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${pid[crowd]}/status")
		now=$(counter viewers_now $URLC)
		note "$n idle viewers: RssAnon $anon KiB (bound $bound), VmRSS $rss KiB," \
			"viewers_now $now, kernel viewers $(kviewers quiet)"
		[ "$anon" -lt $bound ] || { echo "RssAnon $anon KiB >= $bound KiB"; r=1; }
		eq "$now" $n || r=1
	else
		r=1
	fi
	kill $crowd
	wait $crowd 2>/dev/null
	# Their clients are gone (a FIN each): reaped, at a head nothing moves.
	for i in $(seq 100); do
		now=$(counter viewers_now $URLC)
		kv=$(kviewers quiet)
		[ "$now" = 0 ] && [ "$kv" = 0 ] && break
		sleep 0.1
	done
	note "$((i / 10)).$((i % 10)) s after the clients closed: viewers_now $now," \
		"kernel viewers $kv"
	eq "$now $kv" "0 0" || r=1
	kill $hold
	wait $hold 2>/dev/null
	"$ctl" rm quiet >/dev/null || r=1
	return $r
}
ok "$idle_viewers idle viewers hold no buffers; their close at a quiet head is seen" \
	t_idle_viewers

t_clean_exit() {
	local p

	for p in "${pid[@]}"; do
		kill -TERM "$p"
	done
	for p in "${pid[@]}"; do
		wait "$p" || { echo "server exited $?"; return 1; }
	done
	pid=()
	grep -h "live:" "$tmp"/stderr* | sed 's/^/# /'
	! grep -qi 'sanitizer\|runtime error' "$tmp"/stderr*
}
ok "servers exit 0 on SIGTERM" t_clean_exit
