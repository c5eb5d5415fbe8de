#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer's workers stay fair and bounded (issue 23, items 5-7), in
# the VM:
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_bounds_test.sh
# Out of descriptors, a worker neither spins nor stops listening for good;
# a fast reader does not starve the other connections of its worker; a
# stalled access log does not stop the serving. A response that cannot
# grow its head for want of memory is a whole 503, not a head cut short.
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

tmp=$(mktemp -d /tmp/streamer_bounds_test.XXXXXX)
PF=18111	# 200 descriptors
PL=18112	# one worker: a fast reader and a probe share it
PG=18113	# the access log is a FIFO nobody reads
PV=18114	# GET /v/ of 10,000 videos
PC=18115	# 200 slow readers, by copy and by aio
PN=18116	# one worker: live streams created beside a probe
PO=18117	# realloc() past 1 KiB fails (failrealloc.so)
oom_shim=$root/build/selftests/failrealloc.so
need "$streamer" "$ctl" "$client" "$oom_shim"
ulimit -n 65536 || true

head -c 8388608 /dev/urandom >"$tmp/big"
"$ctl" load bounds-big "$tmp/big" >/dev/null 2>&1
head -c 1000 /dev/urandom >"$tmp/tiny"
"$ctl" load bounds-tiny "$tmp/tiny" >/dev/null 2>&1

# BOUNDS_ONLY="fds log list copy fast create oom": the tests to run (default:
# all).
want() {
	[ -z "${BOUNDS_ONLY:-}" ] || [[ " $BOUNDS_ONLY " == *" $1 "* ]]
}

# peak_kib PID FIELD: the largest FIELD (VmRSS, RssAnon) of PID's status,
# in KiB, sampled every 0.2 s for 4 s (a measured interval).
peak_kib() {
	local kib max=0

	for _ in $(seq 20); do
		kib=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
		[ "$kib" -gt "$max" ] && max=$kib
		sleep 0.2
	done
	echo "$max"
}

cpu_ticks() {	# user + system time of PID, in 1/100 s
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# A thousand connections at a server with 200 descriptors: those past
# what the descriptors hold get the 503; the workers do not spin while
# the rest wait in the backlog, and serve again once they are gone.
t_out_of_fds() {
	local c0 c1 idle r=0

	(ulimit -n 200 && exec "$streamer" --listen 127.0.0.1:$PF --threads 2 --quiet \
		--idle-timeout 30 2>"$tmp/stderr-fds") &
	pid[fds]=$!
	wait_up "http://127.0.0.1:$PF/v/bounds-tiny"
	"$client" idle $PF 1000 6 >"$tmp/idle" &
	idle=$!
	for _ in $(seq 300); do
		grep -q opened "$tmp/idle" && break
		sleep 0.1
	done
	# The connects are done (answered, or waiting in the backlog): from
	# now on a server that does not spin has nothing to do. Under a debug
	# kernel the connects themselves cost seconds of CPU, so they are not
	# in the measured 3 s.
	c0=$(cpu_ticks "${pid[fds]}")
	sleep 3
	c1=$(cpu_ticks "${pid[fds]}")
	wait $idle
	echo "$(tr '\n' ' ' <"$tmp/idle"); server CPU $((c1 - c0))0 ms in 3 s held"
	# Spinning is 3 s of CPU or more.
	[ $((c1 - c0)) -lt 100 ] || { echo "the server spun"; r=1; }
	[ "$(grep alive "$tmp/idle" | cut -d' ' -f2)" -le 64 ] || r=1
	eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PF/v/bounds-tiny")" \
		200 || r=1
	return $r
}

# probe PORT: the p99 latency, in microseconds, of 200 small GETs.
probe() {
	"$client" probe "$1" /v/bounds-tiny 200 >"$tmp/probe" || return 1
	sed -E 's/.*p99_us=([0-9]+).*/\1/' "$tmp/probe"
}

# One worker; a reader that takes ?loop=0 as fast as it can; small GETs
# on the same worker keep their latency (within 5 times, and 20 ms).
# Before the per-turn budget the p99 beside the reader was 0.2 s (splice)
# to 11 s (copy), against 2-4 ms alone.
t_fast_reader() {
	local p0 p1 fast r=0

	start_streamer "one-$1" "$tmp/stderr-one-$1" --listen 127.0.0.1:$PL --threads 1 \
		--quiet --send "$1"
	wait_up "http://127.0.0.1:$PL/v/bounds-tiny"
	p0=$(probe $PL) || return 1
	curl -s -o /dev/null "http://127.0.0.1:$PL/v/bounds-big?loop=0" &
	fast=$!
	# Until the reader has its bytes coming.
	for _ in $(seq 100); do
		[ "$(ss -Htn state established "( sport = :$PL )" | wc -l)" -ge 1 ] && break
		sleep 0.05
	done
	p1=$(probe $PL) || r=1
	kill $fast
	wait $fast 2>/dev/null
	echo "--send $1: p99 alone ${p0} us, beside a ?loop=0 reader ${p1} us"
	[ "$p1" -le $((5 * p0 + 20000)) ] || r=1
	kill "${pid[one-$1]}"
	wait "${pid[one-$1]}" 2>/dev/null
	unset "pid[one-$1]"
	return $r
}

want fds && ok "out of descriptors: 503 past the limit, no spinning, serving after" t_out_of_fds
# The access log is a FIFO that nobody reads (a stalled terminal, a hung
# log shipper): after 64 KiB the pipe is full. Every request is still
# served; the lines that did not fit are dropped and counted.
t_log_stalled() {
	local out r=0

	mkfifo "$tmp/log.fifo"
	# The server's open(2) of the FIFO waits for a reader: this shell, which
	# never reads. Opened after the server started, so the server does not
	# inherit it and the reader goes away when this shell closes it.
	start_streamer log "$tmp/stderr-log" --listen 127.0.0.1:$PG --threads 1 \
		--log "$tmp/log.fifo"
	exec 9<"$tmp/log.fifo"
	wait_up "http://127.0.0.1:$PG/v/bounds-tiny"
	# 2000 lines of ~100 bytes: three times what the pipe holds.
	out=$(timeout 120 "$client" probe $PG /v/bounds-tiny 2000) || r=1
	echo "$out"
	grep -q 'n=2000 .* errors=0' <<<"$out" || r=1
	# SIGTERM with the log still stalled: out within the drain and the
	# log's 2 s, saying what it could not write.
	kill -TERM "${pid[log]}"
	for _ in $(seq 100); do
		kill -0 "${pid[log]}" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "${pid[log]}" 2>/dev/null && { echo "still running 10 s after SIGTERM"; r=1; }
	exec 9<&-			# the reader goes: a blocked writer gets EPIPE
	wait "${pid[log]}" || r=1
	unset 'pid[log]'
	grep 'access log' "$tmp/stderr-log"
	grep -q 'access log is stalled' "$tmp/stderr-log" || r=1
	return $r
}

want log && ok "a stalled access log does not stop the serving" t_log_stalled &&
	sed 's/^/# /' "$tmp/out"

# GET /v/ of 10,000 videos is ~1.5 MB of JSON. 60 clients that ask for it
# and read nothing: one shared snapshot, not 60 copies (before: 98 MB).
t_list_memory() {
	local max r=0 slow

	"$client" mkmany lst 10000 || return 1
	start_streamer list "$tmp/stderr-list" --listen 127.0.0.1:$PV --threads 1 --quiet
	wait_up "http://127.0.0.1:$PV/v/bounds-tiny"
	curl -s "http://127.0.0.1:$PV/v/" | grep -c '"name": "lst' >"$tmp/nlist"
	eq "$(cat "$tmp/nlist")" 10000 || r=1
	"$client" slowget $PV /v/ 60 6 >"$tmp/slowget" &
	slow=$!
	for _ in $(seq 100); do
		grep -q held "$tmp/slowget" && break
		sleep 0.1
	done
	cat "$tmp/slowget"
	max=$(peak_kib "${pid[list]}" VmRSS)
	wait $slow
	echo "server RSS at most $((max / 1024)) MiB with 60 readers of GET /v/ held"
	[ "$max" -lt $((24 * 1024)) ] || r=1
	"$client" mkmany lst 10000 --rm
	return $r
}

want list && ok "GET /v/ of 10,000 videos to 60 stalled clients: one shared list" \
	t_list_memory && sed 's/^/# /' "$tmp/out"

# 200 readers of 8 MiB that read nothing, by copy (or aio): each waits
# with what its socket could not take, not a 256 KiB buffer (before: 50 MB
# of buffers for 200 of them).
t_slow_copy_memory() {
	local max r=0 slow

	start_streamer "copy-$1" "$tmp/stderr-copy-$1" --listen 127.0.0.1:$PC --threads 1 \
		--quiet --send "$1"
	wait_up "http://127.0.0.1:$PC/v/bounds-tiny"
	"$client" slowget $PC /v/bounds-big 200 6 >"$tmp/slowget" &
	slow=$!
	for _ in $(seq 100); do
		grep -q held "$tmp/slowget" && break
		sleep 0.1
	done
	cat "$tmp/slowget"
	max=$(peak_kib "${pid[copy-$1]}" RssAnon)
	wait $slow
	echo "--send $1: server RssAnon at most $((max / 1024)) MiB with 200 slow readers"
	[ "$max" -lt $((16 * 1024)) ] || r=1
	kill "${pid[copy-$1]}"
	wait "${pid[copy-$1]}" 2>/dev/null
	unset "pid[copy-$1]"
	return $r
}

for m in copy aio; do
	want copy || continue
	ok "--send $m: 200 slow readers hold no 256 KiB buffers" t_slow_copy_memory $m
	sed 's/^/# /' "$tmp/out"
done

for m in splice sendfile mmap copy aio; do
	want fast || continue
	ok "--send $m: a ?loop=0 reader does not starve its worker's other clients" \
		t_fast_reader $m
	sed 's/^/# /' "$tmp/out"
done

# A live CREATE allocates and zeroes the whole ring (192 MiB here: 49,152
# pages, 0.1 s under TCG). One worker; a loop publishes short streams
# (PUT, 1000 bytes, then vcachectl rm) while 1000 small GETs probe the
# worker. A few CREATEs land among a thousand probes, so the p99 cannot see
# them: the slowest probe must keep within 5 times the unloaded p99 (and
# 30 ms). Before CREATE went to a job thread the request behind each one
# waited for the ring: 92-103 ms against 7-8 ms after, each PUT 0.11-0.13 s.
t_live_create() {
	local p0 p1 max loop i r=0

	start_streamer create "$tmp/stderr-create" --listen 127.0.0.1:$PN --threads 1 \
		--quiet --live-capacity 192M
	wait_up "http://127.0.0.1:$PN/v/bounds-tiny"
	p0=$(probe $PN) || return 1
	: >"$tmp/creates"
	(
		for i in $(seq 1000); do
			[ -e "$tmp/creates.stop" ] && break
			curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -T "$tmp/tiny" \
				"http://127.0.0.1:$PN/live/cr$i" >>"$tmp/creates"
			"$ctl" rm "cr$i" >/dev/null 2>&1
		done
	) &
	loop=$!
	# Until the first stream was made: the loop runs at full speed.
	for _ in $(seq 200); do
		[ -s "$tmp/creates" ] && break
		sleep 0.05
	done
	i=$(wc -l <"$tmp/creates")
	"$client" probe $PN /v/bounds-tiny 1000 >"$tmp/probe" || r=1
	p1=$(sed -E 's/.*p99_us=([0-9]+).*/\1/' "$tmp/probe")
	max=$(sed -E 's/.*max_us=([0-9]+).*/\1/' "$tmp/probe")
	i=$(($(wc -l <"$tmp/creates") - i))
	# The loop ends after its current stream, removed.
	touch "$tmp/creates.stop"
	wait $loop
	echo "p99 alone ${p0} us; beside $i live CREATEs of 192 MiB rings p99 ${p1} us," \
		"max ${max} us;" \
		"answers: $(cut -d' ' -f1 "$tmp/creates" | sort | uniq -c | tr -s ' \n' ' ')"
	echo "probe: $(cat "$tmp/probe"); PUT times: $(cut -d' ' -f2 "$tmp/creates" | tr '\n' ' ')"
	[ "$i" -ge 2 ] || { echo "too few CREATEs during the probe to tell"; r=1; }
	grep -qv '^201 ' "$tmp/creates" && r=1
	[ "$max" -le $((5 * p0 + 30000)) ] || r=1
	kill "${pid[create]}"
	wait "${pid[create]}" 2>/dev/null
	unset 'pid[create]'
	return $r
}

want create && ok "live CREATEs of 192 MiB rings do not stall their worker's other clients" \
	t_live_create && sed 's/^/# /' "$tmp/out"

# start_oom NAME: a one-thread streamer on $PO under the shim, realloc()
# past 1 KiB failing; stop_oom NAME ends it.
start_oom() {
	LD_PRELOAD=$oom_shim VCACHE_FAIL_REALLOC_OVER=1024 start_streamer "$1" \
		"$tmp/stderr-$1" --listen 127.0.0.1:$PO --threads 1 --quiet
	wait_up "http://127.0.0.1:$PO/v/bounds-tiny"
}

stop_oom() {
	kill "${pid[$1]}"
	wait "${pid[$1]}" 2>/dev/null
	unset "pid[$1]"
}

# whole_503 GOT: curl's "STATUS BODY-BYTES SECONDS" ($tmp/oom-head and
# oom-body) is the short 503, its Content-Length met, and the close.
whole_503() {
	eq "${1% *}" "503 $(hdr "$tmp/oom-head" Content-Length)" &&
	eq "$(hdr "$tmp/oom-head" Connection)" close &&
	eq "$(cat "$tmp/oom-body")" "503 Service Unavailable: out of memory"
}

# The head and text of a response are built in a buffer of 1 KiB that
# grows: here it cannot (realloc() past 1 KiB fails, the failrealloc.so
# shim). 16 one-byte ranges make ~1.5 KiB of multipart framing before the
# head. The client gets a whole 503 (its Content-Length met) and the
# close, then a new connection is served byte-exact. Before, the framing
# and head that did not fit were left out and the rest sent as if whole:
# curl got a 206 head missing its fields and waited for a body that never
# came, until its -m 10.
t_out_of_memory() {
	local ranges=0-0 i got r=0

	for i in $(seq 1 15); do
		ranges+=",$((2 * i))-$((2 * i))"
	done
	start_oom oom
	got=$(curl -s -m 10 -D "$tmp/oom-head" -o "$tmp/oom-body" -H "Range: bytes=$ranges" \
		-w '%{http_code} %{size_download} %{time_total}' \
		"http://127.0.0.1:$PO/v/bounds-tiny")
	i=$?
	echo "16 ranges: curl exit $i, status, body bytes, seconds: $got"
	head -n 3 "$tmp/oom-head"
	[ "$i" -eq 0 ] || r=1
	whole_503 "$got" || r=1
	# The same by hand: one response, then the server closes.
	got=$(printf 'GET /v/bounds-tiny HTTP/1.1\r\nHost: x\r\nRange: bytes=%s\r\n\r\n' \
		"$ranges" | "$client" raw $PO --wait 10)
	eq "$got" "503 closed" || r=1
	# What fits is served as ever, on a new connection.
	eq "$(curl -s -o "$tmp/oom-tiny" -w '%{http_code}' "http://127.0.0.1:$PO/v/bounds-tiny")" \
		200 || r=1
	cmp "$tmp/oom-tiny" "$tmp/tiny" || r=1
	eq "$(curl -s -o "$tmp/oom-tiny" -w '%{http_code}' -H 'Range: bytes=0-9,20-29' \
		"http://127.0.0.1:$PO/v/bounds-tiny")" 206 || r=1
	stop_oom oom
	return $r
}

want oom && ok "a response head that cannot grow (realloc fails): a whole 503, then served" \
	t_out_of_memory && sed 's/^/# /' "$tmp/out"

# The same for a text body: a media playlist of 1.3 KiB (a 63-byte name,
# ten 2 s segments; the playlist is made in its own 4 KiB buffer, which
# does not grow) cannot be copied after its head. Asked twice: the first
# answer comes back from the job that makes the playlist, the second from
# the playlists kept. Each a whole 503 and the close; a master playlist
# (short) is served. Before, the head said Content-Length: 1300-odd and
# no body came: curl waited until its -m 10.
t_out_of_memory_playlist() {
	local name got i r=0

	name=oom-$(printf 'x%.0s' $(seq 56)).ts
	"$ctl" load "$name" "$root/build/media/h264_aac_25.ts" >/dev/null || return 1
	start_oom oompl
	for i in 1 2; do
		got=$(curl -s -m 10 -D "$tmp/oom-head" -o "$tmp/oom-body" \
			-w '%{http_code} %{size_download} %{time_total}' \
			"http://127.0.0.1:$PO/hls/$name/index.m3u8?seg=2")
		echo "index.m3u8, $i: curl exit $?, status, body bytes, seconds: $got"
		whole_503 "$got" || r=1
	done
	got=$(curl -s -o "$tmp/oom-body" -w '%{http_code}' \
		"http://127.0.0.1:$PO/hls/$name/master.m3u8")
	eq "$got" 200 || r=1
	head -n 1 "$tmp/oom-body" | grep -qx '#EXTM3U' || r=1
	stop_oom oompl
	"$ctl" rm "$name" >/dev/null
	return $r
}

if ! want oom; then
	:
elif [ -f "$root/build/media/h264_aac_25.ts" ]; then
	ok "a playlist that cannot be copied after its head (realloc fails): a whole 503" \
		t_out_of_memory_playlist && sed 's/^/# /' "$tmp/out"
else
	skip "a playlist that cannot be copied after its head (realloc fails): a whole 503" \
		"no build/media (make test-media on the host)"
fi

"$ctl" rm bounds-big >/dev/null 2>&1
"$ctl" rm bounds-tiny >/dev/null 2>&1
