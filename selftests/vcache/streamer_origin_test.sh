#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer --origin DIR (read-through fill), in the VM (needs
# /dev/vcache and root):
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_origin_test.sh
# A miss on a large origin file fetched by 8 concurrent clients with
# different ranges while it fills, one fill, the video sealed, then a hit
# that reads nothing from the origin; the fill's reads are io_submit(2),
# not read(2); names that would leave DIR (.., %2e%2e, %2f, symlinks out,
# a FIFO, a directory, a dotfile) are refused and the decoy outside DIR is
# never served. Waits on state (the server's /origin/ counters, vcachectl
# info), never on time. Prints kselftest-style TAP ending in "# Totals:".
#
# Environment: ORIGIN_MB (the large file's size, default 200), STREAMER_BIN.
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

tmp=$(mktemp -d /tmp/streamer_origin_test.XXXXXX)
P=18091
URL=http://127.0.0.1:$P
curl_max_time=120
media=$root/build/media
check=$root/build/selftests/hls_check
need "$streamer" "$ctl" "$check"

# --- the origin --------------------------------------------------------------

start_s=$(date +%s)
origin=$tmp/origin
mkdir -p "$origin/sub"
size=$((${ORIGIN_MB:-200} * 1048576))
# The files the mid-fill cuts make: large enough to be caught filling.
cut_size=67108864
# The large file: the 29.97 fps test clip (when there is test media), then
# TS null packets (PID 0x1fff) of random payload, which the indexer passes
# over: a ?t= on it has a keyframe to find, and every range random bytes.
# Made 8 MiB at a time: the guest has 1 GiB, the file and its video 400 MB.
ts_head=$media/h264_2997.ts
[ -f "$ts_head" ] || ts_head=/dev/null
python3 - "$ts_head" "$origin/big.bin" $size <<'PY' || exit 1
import os, sys
head = open(sys.argv[1], 'rb').read()
size = int(sys.argv[3])
with open(sys.argv[2], 'wb') as out:
    out.write(head[:size])
    left = size - min(len(head), size)
    while left:
        n = min(left, 188 * 44620)
        b = bytearray(os.urandom(n))
        for i, v in enumerate(b'\x47\x1f\xff\x10'):
            b[i::188] = bytes([v]) * len(range(i, n, 188))
        out.write(b)
        left -= n
PY
head -c 3000000 /dev/urandom >"$origin/small.bin"
head -c 12582912 /dev/urandom >"$origin/dead.bin"
head -c 16777216 /dev/urandom >"$origin/two.bin"
head -c 2000000 /dev/urandom >"$origin/fresh.bin"
# What an escape would reach: it must never come back in a body.
echo DECOY-OUTSIDE-THE-ORIGIN >"$tmp/decoy"
cp "$tmp/decoy" "$origin/../decoy.bin"
ln -s ../decoy "$origin/up"
ln -s "$tmp/decoy" "$origin/abs"
ln -s /proc/self/cwd/README.md "$origin/magic"	# a magic link, then a file
mkfifo "$origin/fifo"
cp "$tmp/decoy" "$origin/.hidden"
# Names of this run only: the cache is the machine's.
big=big.bin small=small.bin
for f in $big $small dead.bin two.bin fresh.bin bypass.bin cut.bin hls.ts cut2.bin seek.ts \
	fps.ts fpsload.ts full.bin hold.bin up abs magic fifo sub .hidden; do
	"$ctl" rm "$f" >/dev/null 2>&1
done

start_streamer origin "$tmp/stderr-bad" --listen 127.0.0.1:$P --threads 2 \
	--log "$tmp/access.log" --origin "$tmp/nothing-here-$$"
wait "${pid[origin]}"
bad_dir=$?
start_streamer origin "$tmp/stderr" --listen 127.0.0.1:$P --threads 2 \
	--log "$tmp/access.log" --origin "$origin"
wait_up "$URL/origin/"
echo "# setup took $(($(date +%s) - start_s)) s"

# counter NAME [URL]: the server's /origin/ counter NAME.
counter() {
	curl -s "${2:-$URL}/origin/" | sed -nE "s/.*\"$1\": ([0-9]+).*/\1/p"
}

# sealed NAME: vcachectl info says NAME is sealed (10 s at most: the fill
# ends within a few reaps of its last COMMIT, which the clients waited for).
sealed() {
	local i

	for i in $(seq 100); do
		"$ctl" info -j "$1" 2>/dev/null | grep -q '"state": "sealed"' && return 0
		sleep 0.1
	done
	"$ctl" info "$1"
	return 1
}

# logged REGEX N: until the access log (written by the server's log thread)
# has N lines matching REGEX (10 s at most).
logged() {
	local i

	for i in $(seq 100); do
		[ "$(grep -cE "$1" "$tmp/access.log")" -ge "$2" ] && break
		sleep 0.1
	done
	eq "$(grep -cE "$1" "$tmp/access.log")" "$2"
}

# slice FIRST LEN: bytes [FIRST, FIRST + LEN) of the origin's big file.
slice() {
	tail -c +$(($1 + 1)) "$origin/$big" | head -c "$2"
}

t_bad_dir() {
	cat "$tmp/stderr-bad"
	eq "$bad_dir" 2 && eq "$(wc -l <"$tmp/stderr-bad")" 1 &&
	grep -q -- "--origin $tmp/nothing-here-$$: No such file" "$tmp/stderr-bad"
}

t_not_cached() {
	! "$ctl" info "$big" >/dev/null 2>&1 && eq "$(counter fills)" 0
}

# client I RANGE FIRST LEN: one of the concurrent clients. Its body is
# compared as it comes with bytes [FIRST, FIRST + LEN) of the origin file
# (cmp's verdict to $tmp/c$I), never kept: 200 MB bodies would not fit in
# the guest's tmpfs beside the file and its video. RANGE "t=TC" asks
# ?t=TC, whose body is hashed instead ($tmp/m$I), its offset being known
# from its headers only.
client_run() {
	local i=$1 range=$2 first=$3 len=$4

	local -a opt=()

	if [ "${range#t=}" != "$range" ]; then
		curl -s -D "$tmp/h$i" "$URL/v/$big?$range" | md5sum >"$tmp/m$i"
		return
	fi
	[ -n "$range" ] && opt=(-H "Range: bytes=$range")
	# A FIFO, not <(...): the guest has no /dev/fd.
	mkfifo "$tmp/f$i"
	slice "$first" "$len" >"$tmp/f$i" &
	curl -s "${opt[@]}" -D "$tmp/h$i" "$URL/v/$big" | cmp - "$tmp/f$i" >"$tmp/c$i" 2>&1
	echo $? >>"$tmp/c$i"
	wait
	rm -f "$tmp/f$i"
}

# status FILE: the status code of the response head in FILE.
status_of() {
	head -n 1 "$1" | cut -d' ' -f2
}

# Eight at once, on a name nobody has asked for: ranges across windows
# (8 MiB), the end, a suffix, the whole video, and a ?t= (drop-frame, of
# the 29.97 fps clip the file starts with: its body runs to the end). The
# ?t= answers the offset vcachectl seek gives on the sealed video.
t_concurrent_miss() {
	local tc='00:00:13;28'
	local -a spec=(
		"|0|$size|200"
		"0-1048575|0|1048576|206"
		"8388000-8389000|8388000|1001|206"
		"33554000-33555000|33554000|1001|206"
		"$((size - 5000000))-|$((size - 5000000))|5000000|206"
		"-1000|$((size - 1000))|1000|206"
		"20000000-29999999|20000000|10000000|206"
		"t=$tc|||200"
	)
	local i r first len st bad=0 off want
	local -a cpid=()

	[ -f "$media/h264_2997.ts" ] || spec[7]="|0|$size|200"	# no media: no index
	for i in "${!spec[@]}"; do
		IFS='|' read -r r first len st <<<"${spec[$i]}"
		client_run "$i" "$r" "$first" "$len" &
		cpid+=($!)
	done
	for i in "${!cpid[@]}"; do
		wait "${cpid[$i]}"
	done
	for i in "${!spec[@]}"; do
		IFS='|' read -r r first len st <<<"${spec[$i]}"
		if [ "$(status_of "$tmp/h$i")" != "$st" ]; then
			echo "client $i ($r): status $(status_of "$tmp/h$i"), want $st"
			bad=1
		elif [ "${r#t=}" != "$r" ]; then
			sealed "$big" || return 1
			off=$("$ctl" seek -j $big "$tc" | sed -nE 's/.*"offset": ([0-9]+).*/\1/p')
			want=$(slice "$off" $((size - off)) | md5sum)
			echo "client $i (?$r): offset $(hdr "$tmp/h$i" X-Vcache-Offset), vcachectl" \
			     "seek: $off"
			if [ "$(hdr "$tmp/h$i" X-Vcache-Offset)" != "$off" ] || [ "$off" -le 0 ] ||
			   [ "$(cat "$tmp/m$i")" != "$want" ]; then
				echo "client $i (?$r): body or offset differs"
				bad=1
			fi
		elif [ "$(tail -n 1 "$tmp/c$i")" != 0 ]; then
			echo "client $i ($r): body differs: $(head -n 1 "$tmp/c$i")"
			bad=1
		fi
	done
	[ $bad = 0 ] &&
	eq "$(hdr "$tmp/h0" Content-Length)" $size &&
	eq "$(counter fills)" 1 &&
	logged "GET /v/$big.* cache=(miss|fill)" 8 &&
	eq "$(grep -c "GET /v/$big.* cache=miss" "$tmp/access.log")" 1
}

t_sealed() {
	sealed "$big" &&
	"$ctl" info -j "$big" | grep -q "\"size\": $size" &&
	eq "$(counter fill_errors)" 0 &&
	eq "$(counter origin_bytes)" $size
}

t_hit() {
	local hits

	hits=$(counter hits)
	# Its last 16 MiB (the whole of it came byte-exact while it filled).
	eq "$(curl -s -D "$tmp/head" -H "Range: bytes=-16777216" -o "$tmp/body" \
		-w '%{http_code}' "$URL/v/$big")" 206 &&
	slice $((size - 16777216)) 16777216 | cmp -s - "$tmp/body" &&
	grep -q '^ETag: ' "$tmp/head" &&
	eq "$(counter hits)" $((hits + 1)) &&
	eq "$(counter fills)" 1 &&
	eq "$(counter origin_bytes)" $size &&
	logged "GET /v/$big .* cache=hit" 1
}

# The fill's bytes come by io_submit(2): strace the server for one fill.
t_io_submit() {
	local sp=18092 out=$tmp/strace

	if ! command -v strace >/dev/null; then
		echo "no strace here"
		return 4
	fi
	strace -f -y -e trace=read,pread64,readv,preadv,preadv2,io_submit -o "$out" \
		"$streamer" --listen 127.0.0.1:$sp --threads 1 --quiet --origin "$origin" \
		2>"$tmp/stderr-strace" &
	pid[strace]=$!
	wait_up "http://127.0.0.1:$sp/origin/"
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "http://127.0.0.1:$sp/v/$small")" 200 &&
	cmp -s "$tmp/body" "$origin/$small" &&
	sealed "$small" || return 1
	# The server, strace's child, stops; strace ends with it.
	kill "$(ps -o pid= --ppid "${pid[strace]}")"
	wait "${pid[strace]}"
	unset 'pid[strace]'
	echo "strace: io_submit of the file: $(grep -c "io_submit(.*$small" "$out")," \
	     "read(2) of it: $(grep -cE "^[0-9]+ +(p?readv?2?|pread64)\([0-9]+<[^>]*$small>" "$out")" |
		tee "$tmp/summary"
	[ "$(grep -c "io_submit(.*$small" "$out")" -ge 1 ] &&
	! grep -qE "^[0-9]+ +(p?readv?2?|pread64)\([0-9]+<[^>]*$small>" "$out"
}

# size_at_least NAME BYTES: until the cache's NAME holds BYTES (10 s at most).
size_at_least() {
	local i s

	for i in $(seq 100); do
		s=$("$ctl" info -j "$1" 2>/dev/null | sed -nE 's/.*"size": ([0-9]+).*/\1/p')
		[ -n "$s" ] && [ "$s" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1: size ${s:-none}, want $2 or more"
	return 1
}

# gone NAME: until the cache has no NAME (10 s at most).
gone() {
	local i

	for i in $(seq 100); do
		"$ctl" info "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	echo "$1 is still in the cache:"
	"$ctl" info "$1"
	return 1
}

# Someone else's fill (vcachectl load from a pipe we hold) is joined, then
# dies: the response, whose head is out, ends early with the connection
# closed; the kernel deletes the abandoned video, and the next request
# fills it from the origin.
t_filler_dies() {
	local name=dead.bin dsize=12582912 lpid cpid rc fills coalesced

	fills=$(counter fills)
	coalesced=$(counter coalesced)
	mkfifo "$tmp/feed"
	"$ctl" load --fps 25 --capacity $dsize $name - <"$tmp/feed" &
	lpid=$!
	exec 7>"$tmp/feed"
	head -c 2097152 "$origin/$name" >&7
	size_at_least $name 2097152 || return 1
	curl -s -D "$tmp/head" -o "$tmp/body" "$URL/v/$name" &
	cpid=$!
	# Its head and the bytes there are sent: then the loader dies.
	for _ in $(seq 100); do
		[ "$(stat -c %s "$tmp/body" 2>/dev/null || echo 0)" -ge 2097152 ] && break
		sleep 0.1
	done
	kill -9 $lpid
	wait $lpid
	exec 7>&-
	wait $cpid
	rc=$?
	echo "curl exit $rc, $(stat -c %s "$tmp/body") bytes"
	eq "$(hdr "$tmp/head" Content-Length)" $dsize &&
	[ "$rc" -ne 0 ] &&
	[ "$(stat -c %s "$tmp/body")" -ge 2097152 ] &&
	[ "$(stat -c %s "$tmp/body")" -lt $dsize ] &&
	head -c "$(stat -c %s "$tmp/body")" "$origin/$name" | cmp -s - "$tmp/body" &&
	eq "$(counter coalesced)" $((coalesced + 1)) &&
	gone $name &&
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "$URL/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name" &&
	eq "$(counter fills)" $((fills + 1)) &&
	sealed $name
}

# Two servers, one name, at once: one fill between them (the CREATE is the
# lock), the other serves from it; every body byte-exact.
t_two_servers() {
	local url2=http://127.0.0.1:18093 name=two.bin i bad=0 f1 f2
	local -a cpid=()

	f1=$(counter fills)
	start_streamer second "$tmp/stderr2" --listen 127.0.0.1:18093 --threads 2 --quiet \
		--origin "$origin"
	wait_up "$url2/origin/"
	for i in 0 1 2 3 4 5; do
		curl -s -o "$tmp/t$i" "$([ $((i % 2)) = 0 ] && echo "$URL" || echo "$url2")/v/$name" &
		cpid+=($!)
	done
	for i in "${!cpid[@]}"; do
		wait "${cpid[$i]}"
	done
	for i in 0 1 2 3 4 5; do
		cmp -s "$tmp/t$i" "$origin/$name" || { echo "client $i differs"; bad=1; }
	done
	f2=$(counter fills "$url2")
	echo "two servers: fills $f1->$(counter fills) here, $f2 there; coalesced there:" \
	     "$(counter coalesced "$url2")" | tee "$tmp/summary"
	kill "${pid[second]}" && wait "${pid[second]}"
	unset 'pid[second]'
	[ $bad = 0 ] && eq $(($(counter fills) - f1 + f2)) 1 && sealed $name
}

# An origin file replaced under a server with --origin-ttl 1: within a few
# checks (polled, bounded) the ETag changes, the new bytes are served
# byte-exact, and the counters say one stale copy was found and refilled.
t_revalidate() {
	local url3=http://127.0.0.1:18094 name=fresh.bin e1 e2='' rc end
	local nsize=2500001

	start_streamer fresh "$tmp/stderr3" --listen 127.0.0.1:18094 --threads 2 \
		--log "$tmp/access3.log" --origin "$origin" --origin-ttl 1
	wait_up "$url3/origin/"
	eq "$(curl -s -D "$tmp/h-f1" -o "$tmp/body" -w '%{http_code}' "$url3/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name" && sealed $name || return 1
	# Sealed (a loading video has no ETag): its ETag, the file unchanged.
	curl -s -I -o "$tmp/h-f1" "$url3/v/$name"
	e1=$(hdr "$tmp/h-f1" ETag)
	[ -n "$e1" ] || return 1
	# Another size and other bytes, written in place (the same inode).
	head -c $nsize /dev/urandom >"$origin/$name"
	# Within 20 s: the TTL is 1 s, and each poll may be the request that checks.
	end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		curl -s -I -o "$tmp/h-f2" "$url3/v/$name"
		e2=$(hdr "$tmp/h-f2" ETag)
		[ -n "$e2" ] && [ "$e2" != "$e1" ] && break
		sleep 0.1
	done
	echo "ETag $e1 -> $e2; $(curl -s "$url3/origin/")" | tee "$tmp/summary"
	[ -n "$e2" ] && [ "$e2" != "$e1" ] &&
	eq "$(curl -s -D "$tmp/h-f3" -o "$tmp/body" -w '%{http_code}' "$url3/v/$name")" 200 &&
	eq "$(hdr "$tmp/h-f3" Content-Length)" $nsize &&
	cmp -s "$tmp/body" "$origin/$name" &&
	eq "$(counter stale "$url3")" 1 &&
	[ "$(counter revalidated "$url3")" -ge 1 ] &&
	eq "$(counter fills "$url3")" 2 &&
	sealed $name &&
	eq "$(hdr "$tmp/h-f3" ETag)" "$e2"
	rc=$?
	kill "${pid[fresh]}" && wait "${pid[fresh]}"
	unset 'pid[fresh]'
	grep "origin:" "$tmp/stderr3" | tee -a "$tmp/summary"
	return $rc
}

# info_field NAME FIELD: vcachectl info's FIELD of NAME (a number or a word).
info_field() {
	"$ctl" info -j "$1" 2>/dev/null | sed -nE "s/.*\"$2\": \"?([a-z0-9]+).*/\1/p"
}

# cut_mid_fill NAME STATUS-FILE URL: up to 5 tries at a new random origin
# file NAME whose fill, started by a GET of URL (in the background: its body
# to $tmp/body, then curl's exit status and HTTP code, one per line, to
# STATUS-FILE), is caught under way: the server frozen (SIGSTOP) while the
# fill has more than 24 MiB still to read (LOAD_DEPTH reads in flight and
# a window read ahead are less), the file cut to 1 MiB, the server let go.
# Leaves the old bytes in $tmp/cut.orig, and sets caught (1 once caught),
# try, st and sz (the state and size seen), fills (the counter before).
cut_mid_fill() {
	local name=$1 status=$2 url=$3 cpid

	caught=0
	for try in 1 2 3 4 5; do
		"$ctl" rm "$name" >/dev/null 2>&1
		head -c $cut_size /dev/urandom >"$origin/$name"
		cp "$origin/$name" "$tmp/cut.orig"
		fills=$(counter fills)
		{
			curl -s -o "$tmp/body" -w '%{http_code}' "$url" >"$status.code"
			echo $? >"$status"
			cat "$status.code" >>"$status"
		} &
		cpid=$!
		for _ in $(seq 300); do
			st=$(info_field "$name" state)
			[ -n "$st" ] && break
		done
		if [ "$st" = loading ]; then
			kill -STOP "${pid[origin]}"
			st=$(info_field "$name" state)
			sz=$(info_field "$name" size)
			if [ "$st" = loading ] && [ "$sz" -lt $((cut_size - 25165824)) ]; then
				truncate -s 1048576 "$origin/$name"
				caught=1
			fi
			kill -CONT "${pid[origin]}"
		fi
		wait $cpid
		[ "$caught" = 1 ] && break
		echo "try $try: the fill was $st at ${sz:-?} bytes when seen: again"
	done
}

# The origin file is truncated while it fills (cut_mid_fill). The fill
# fails and leaves nothing, the response whose head was out is cut (a
# prefix of the old bytes), the next request fills the 1 MiB anew.
t_truncated() {
	local name=cut.bin fe fills try st sz rc caught got

	fe=$(counter fill_errors)
	cut_mid_fill $name "$tmp/st-cut" "$URL/v/$name"
	rc=$(head -n 1 "$tmp/st-cut")
	[ "$caught" = 1 ] || { echo "no fill caught under way"; return 4; }
	got=$(stat -c %s "$tmp/body")
	echo "truncated at $sz of $cut_size bytes (try $try): curl exit $rc, $got bytes" |
		tee "$tmp/summary"
	[ "$rc" -ne 0 ] && [ "$got" -lt $cut_size ] &&
	head -c "$got" "$tmp/cut.orig" | cmp -s - "$tmp/body" &&
	gone $name &&
	eq "$(counter fill_errors)" $((fe + 1)) &&
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "$URL/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name" &&
	eq "$(stat -c %s "$tmp/body")" 1048576 &&
	eq "$(counter fills)" $((fills + 2)) &&
	sealed $name
}

# With the cache's limit (max_mb) below the file's size, CREATE fails
# (EFBIG) and the file is sent from the origin, not cached: whole and in
# ranges that start and end off the O_DIRECT alignment, byte-exact.
t_bypass() {
	local name=bypass.bin bsize=12582913 by fills old r first len bad=0
	local lim=/sys/module/vcache/parameters/max_mb

	old=$(cat $lim)
	if ! echo 8 >$lim; then
		echo "cannot set max_mb"
		return 1
	fi
	by=$(counter bypassed)
	fills=$(counter fills)
	head -c $bsize /dev/urandom >"$origin/$name"
	eq "$(curl -s -D "$tmp/h-b" -o "$tmp/body" -w '%{http_code}' "$URL/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name" &&
	eq "$(hdr "$tmp/h-b" Content-Length)" $bsize &&
	grep -q '^ETag: ' "$tmp/h-b" || bad=1
	for r in "5000001-9000000|5000001|4000000" "-4097|$((bsize - 4097))|4097" \
		 "4095-4096|4095|2" "0-0|0|1"; do
		IFS='|' read -r r first len <<<"$r"
		if [ "$(curl -s -H "Range: bytes=$r" -o "$tmp/body" -w '%{http_code}' \
			"$URL/v/$name")" != 206 ] ||
		   ! tail -c +$((first + 1)) "$origin/$name" | head -c "$len" |
			cmp -s - "$tmp/body"; then
			echo "range $r: differs ($(stat -c %s "$tmp/body") bytes)"
			bad=1
		fi
	done
	echo "$old" >$lim
	echo "bypass ($(stat -f -c %T "$origin")): $(curl -s "$URL/origin/")" | tee "$tmp/summary"
	[ $bad = 0 ] &&
	eq "$(counter bypassed)" $((by + 5)) &&
	eq "$(counter fills)" "$fills" &&
	! "$ctl" info $name >/dev/null 2>&1 &&
	logged "GET /v/$name .* cache=bypass" 5
}

# The cache runs out of memory under a fill: max_mb 24, 16 MiB of it held
# by a pinned video, so the CREATE of a 12 MiB file succeeds but its pages
# do not all fit (ENOSPC as the fill writes them). The GET whose head was
# out is cut (or, come after the fill failed, sent whole from the origin
# file); a playlist request parked on the fill (nothing sent yet) is
# routed to the origin file (409: a bypassed file has no playlists), not
# 502; the next requests are sent from the origin file, byte-exact,
# counted as bypassed, and start no fill. Before: 502, and each next
# request filled it again, to fail the same way.
t_enospc_mid_fill() {
	local name=full.bin hold=hold.bin fsize=12582912 old by fills fe rc got bad=0 i cpid whole=0
	local lim=/sys/module/vcache/parameters/max_mb

	old=$(cat $lim)
	head -c $fsize /dev/urandom >"$origin/$name"
	head -c 16777216 /dev/urandom >"$tmp/hold"
	if ! echo 24 >$lim; then
		echo "cannot set max_mb"
		return 1
	fi
	if ! "$ctl" load --fps 25 $hold "$tmp/hold" >/dev/null 2>&1 || ! "$ctl" pin $hold; then
		echo "$old" >$lim
		return 1
	fi
	by=$(counter bypassed)
	fills=$(counter fills)
	fe=$(counter fill_errors)
	: >"$tmp/body"	# curl makes no file for an empty body
	curl -s -D "$tmp/h-full" -o "$tmp/body" "$URL/v/$name" &
	cpid=$!
	curl -s -D "$tmp/hh-full" -o "$tmp/hb-full" "$URL/hls/$name/index.m3u8"
	wait $cpid
	rc=$?
	got=$(stat -c %s "$tmp/body")
	echo "the GET: curl exit $rc, $got of $fsize bytes; the playlist:" \
	     "$(status_of "$tmp/hh-full"): $(head -c 100 "$tmp/hb-full")" | tee "$tmp/summary"
	# It joined the fill and was cut, or came after it failed: sent whole.
	if [ "$rc" = 0 ]; then
		whole=1
		cmp -s "$origin/$name" "$tmp/body" || bad=1
	else
		[ "$got" -lt $fsize ] || bad=1
	fi
	[ $bad = 0 ] &&
	head -c "$got" "$origin/$name" | cmp -s - "$tmp/body" &&
	eq "$(status_of "$tmp/hh-full")" 409 &&
	grep -q 'too large for the cache' "$tmp/hb-full" &&
	eq "$(counter fills)" $((fills + 1)) &&
	eq "$(counter fill_errors)" $((fe + 1)) || bad=1
	for i in 1 2; do
		if [ "$(curl -s -D "$tmp/h-full" -o "$tmp/body" -w '%{http_code}' \
			"$URL/v/$name")" != 200 ] || ! cmp -s "$tmp/body" "$origin/$name"; then
			echo "GET $i after: $(status_of "$tmp/h-full"), $(stat -c %s "$tmp/body") bytes"
			bad=1
		fi
	done
	"$ctl" unpin $hold
	"$ctl" rm $hold >/dev/null
	echo "$old" >$lim
	echo "after: $(curl -s "$URL/origin/")" | tee -a "$tmp/summary"
	[ $bad = 0 ] &&
	eq "$(counter bypassed)" $((by + 3 + whole)) &&
	eq "$(counter fills)" $((fills + 1)) &&
	! "$ctl" info $name >/dev/null 2>&1 &&
	logged "GET /v/$name .* cache=bypass" $((2 + whole))
}

# HLS playlists of a name only the origin has (the 25 fps test clip): the
# three playlists asked at once start one fill (or join it) and wait for
# the seal, then are answered as for a cached video: valid, covering it.
# Before: 404 (a playlist request never filled).
t_hls_miss() {
	local name=hls.ts f fills bad=0 n
	local -a cpid=() files=(index.m3u8 iframes.m3u8 master.m3u8)

	[ -f "$media/h264_aac_25.ts" ] || { echo "no test media (make test-media)"; return 4; }
	cp "$media/h264_aac_25.ts" "$origin/$name"
	n=$(stat -c %s "$origin/$name")
	fills=$(counter fills)
	for f in "${files[@]}"; do
		curl -s -D "$tmp/hh-$f" -o "$tmp/hb-$f" -w '%{http_code}' \
			"$URL/hls/$name/$f" >"$tmp/hs-$f" &
		cpid+=($!)
	done
	for f in "${!cpid[@]}"; do
		wait "${cpid[$f]}"
	done
	for f in "${files[@]}"; do
		if [ "$(cat "$tmp/hs-$f")" != 200 ]; then
			echo "$f: status $(cat "$tmp/hs-$f"): $(head -c 200 "$tmp/hb-$f")"
			bad=1
		fi
	done
	[ $bad = 0 ] &&
	"$check" media "$n" <"$tmp/hb-index.m3u8" &&
	"$check" iframes "$n" <"$tmp/hb-iframes.m3u8" >/dev/null &&
	"$check" master "$tmp/hb-index.m3u8" "$n" <"$tmp/hb-master.m3u8" >/dev/null &&
	eq "$(counter fills)" $((fills + 1)) &&
	sealed $name &&
	logged "GET /hls/$name/[a-z]+\.m3u8 .* cache=(miss|fill|hit)" 3 &&
	eq "$(grep -cE "GET /hls/$name/[a-z]+\.m3u8 .* cache=miss" "$tmp/access.log")" 1 &&
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "$URL/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name"
}

# A playlist request parked on a fill that fails (the origin file cut
# while the server is frozen, as in t_truncated): 502, since nothing of its
# response was sent; nothing is left in the cache, and the next request
# fills the 1 MiB anew (random bytes: no index, so a 409 then).
t_hls_fill_fails() {
	local name=cut2.bin fe fills try st sz caught

	fe=$(counter fill_errors)
	cut_mid_fill $name "$tmp/st-cut2" "$URL/hls/$name/index.m3u8"
	[ "$caught" = 1 ] || { echo "no fill caught under way"; return 4; }
	echo "truncated at $sz of $cut_size bytes (try $try): status $(tail -n 1 "$tmp/st-cut2"):" \
	     "$(head -c 100 "$tmp/body")" | tee "$tmp/summary"
	eq "$(tail -n 1 "$tmp/st-cut2")" 502 &&
	grep -q 'from the origin failed' "$tmp/body" &&
	gone $name &&
	eq "$(counter fill_errors)" $((fe + 1)) &&
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "$URL/hls/$name/index.m3u8")" 409 &&
	grep -q 'no keyframe index' "$tmp/body" &&
	eq "$(counter fills)" $((fills + 2)) &&
	sealed $name &&
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' "$URL/v/$name")" 200 &&
	cmp -s "$tmp/body" "$origin/$name"
}

# ?t= on a video still loading whose keyframe is not indexed yet: it waits
# for it (here the loader is vcachectl reading a pipe we feed, at 29.97
# fps, which indexes at the end), then answers what vcachectl seek does,
# byte-exact. The request is seen joining (coalesced) before the rest is
# fed. Before: 409 at once (no index yet).
t_seek_waits() {
	local name=seek.ts src=$media/h264_2997.ts n lpid cpid co off tc='00:00:15;00'

	[ -f "$src" ] || { echo "no test media (make test-media)"; return 4; }
	n=$(stat -c %s "$src")
	co=$(counter coalesced)
	mkfifo "$tmp/feed2"
	"$ctl" load --fps 30000/1001 --capacity "$n" $name - <"$tmp/feed2" >/dev/null &
	lpid=$!
	exec 8>"$tmp/feed2"
	# Its first packets: the video exists, loading, with no index yet.
	head -c 188000 "$src" >&8
	for _ in $(seq 100); do
		[ "$(info_field $name state)" = loading ] && break
		sleep 0.1
	done
	eq "$(info_field $name state)" loading || { exec 8>&-; wait $lpid; return 1; }
	# Not holding the pipe (8>&-): the loader must see its end.
	curl -s -D "$tmp/h-seek" -o "$tmp/b-seek" -w '%{http_code}' \
		"$URL/v/$name?t=$tc" >"$tmp/s-seek" 8>&- &
	cpid=$!
	for _ in $(seq 100); do
		[ "$(counter coalesced)" -gt "$co" ] && break
		sleep 0.1
	done
	eq "$(counter coalesced)" $((co + 1)) || { exec 8>&-; wait $lpid; wait $cpid; return 1; }
	tail -c +188001 "$src" >&8
	exec 8>&-
	wait $lpid
	wait $cpid
	sealed $name || return 1
	off=$("$ctl" seek -j $name "$tc" | sed -nE 's/.*"offset": ([0-9]+).*/\1/p')
	echo "?t=$tc: status $(cat "$tmp/s-seek"), offset $(hdr "$tmp/h-seek" X-Vcache-Offset);" \
	     "vcachectl seek: $off" | tee "$tmp/summary"
	eq "$(cat "$tmp/s-seek")" 200 &&
	[ -n "$off" ] && [ "$off" -gt 0 ] &&
	eq "$(hdr "$tmp/h-seek" X-Vcache-Offset)" "$off" &&
	tail -c +$((off + 1)) "$src" | cmp -s - "$tmp/b-seek"
}

# A 29.97 fps file filled from the origin is CREATEd at the rate its head
# tells (as vcachectl load picks it), not at 25: a drop-frame ?t= on the
# filled video answers the offset vcachectl seek gives for the same file
# loaded by vcachectl load, byte-exact. 13;28 is frame 418 (13.95 s, the
# keyframe of 12.01 s); read at 25 fps it is not a timecode at all (frame
# 28 of 25) or 14.12 s (the keyframe of 14.01 s). Before: they differed.
t_fill_fps() {
	local name=fps.ts loaded=fpsload.ts src=$media/h264_2997.ts fills off tc='00:00:13;28'

	[ -f "$src" ] || { echo "no test media (make test-media)"; return 4; }
	cp "$src" "$origin/$name"
	fills=$(counter fills)
	curl -s -D "$tmp/h-fps" -o "$tmp/b-fps" -w '%{http_code}' \
		"$URL/v/$name?t=$tc" >"$tmp/s-fps"
	sealed $name || return 1
	"$ctl" load $loaded "$src" >/dev/null || return 1
	off=$("$ctl" seek -j $loaded "$tc" | sed -nE 's/.*"offset": ([0-9]+).*/\1/p')
	echo "filled: ?t=$tc: status $(cat "$tmp/s-fps"), offset" \
	     "$(hdr "$tmp/h-fps" X-Vcache-Offset), fps $(info_field $name fps_num)/$(info_field \
	     $name fps_den); loaded: vcachectl seek: $off, fps $(info_field $loaded fps_num)/$(
	     info_field $loaded fps_den)" | tee "$tmp/summary"
	eq "$(cat "$tmp/s-fps")" 200 &&
	[ -n "$off" ] && [ "$off" -gt 0 ] &&
	eq "$(hdr "$tmp/h-fps" X-Vcache-Offset)" "$off" &&
	tail -c +$((off + 1)) "$src" | cmp -s - "$tmp/b-fps" &&
	eq "$(counter fills)" $((fills + 1)) &&
	eq "$("$ctl" seek -j $name "$tc" | sed -nE 's/.*"offset": ([0-9]+).*/\1/p')" "$off"
}

# get PATH: the status of GET PATH, as sent (no dot-segment removal by curl).
status() {
	curl -s --path-as-is -o "$tmp/body" -w '%{http_code}' "$URL$1"
}

t_escapes() {
	local p want bad=0 refused

	refused=$(counter refused)
	for p in "/v/..|404" "/v/%2e%2e|404" "/v/%2E%2E|404" "/v/..%2fdecoy|404" \
		 "/v/%2e%2e%2fdecoy|404" "/v/%2fetc%2fhostname|404" "/v/../decoy|404" \
		 "/v/up|403" "/v/abs|403" "/v/magic|403" "/v/fifo|403" "/v/sub|403" \
		 "/v/.hidden|403" "/v/missing.bin|404" "/v/decoy|404"; do
		want=${p#*|}
		p=${p%|*}
		if [ "$(status "$p")" != "$want" ]; then
			echo "GET $p: $(cat "$tmp/body")"
			echo "  status $(status "$p"), want $want"
			bad=1
		fi
		if grep -q DECOY "$tmp/body"; then
			echo "GET $p served the decoy"
			bad=1
		fi
	done
	[ $bad = 0 ] &&
	eq "$(counter refused)" $((refused + 6)) &&
	! "$ctl" info up >/dev/null 2>&1 && ! "$ctl" info fifo >/dev/null 2>&1
}

ok "--origin of a missing directory: exit 2, one line" t_bad_dir
ok "before the first request the video is not cached" t_not_cached
ok "a miss: 8 concurrent clients, byte-exact while it fills, one fill" t_concurrent_miss
ok "the fill ends sealed, every origin byte read once" t_sealed
echo "# after the miss: $(curl -s "$URL/origin/")"
ok "the next request is a hit: no origin read" t_hit
echo "# after the hit: $(curl -s "$URL/origin/")"
# The large file and its video are done with: their 400 MB back to the guest.
"$ctl" rm "$big" >/dev/null 2>&1
rm -f "$origin/$big"
# What the test before wrote there, once (none when TESTS_MATCH skipped it).
summary() {
	[ ! -f "$tmp/summary" ] || sed 's/^/# /' "$tmp/summary"
	rm -f "$tmp/summary"
}
ok "escapes, FIFO, directory, dotfile: refused, the decoy never served" t_escapes
ok "another's fill dies: the response is cut, the next request fills it" t_filler_dies
ok "two servers, one name at once: one fill between them" t_two_servers
summary
ok "origin file replaced: after --origin-ttl a new ETag, the new bytes" t_revalidate
summary
ok "the fill reads the origin with io_submit, never read(2)" t_io_submit
summary
ok "origin file truncated mid-fill: cut, nothing left, the next fills" t_truncated
summary
ok "larger than the cache (max_mb): sent from the origin, not cached" t_bypass
summary
ok "the cache full under a fill (ENOSPC): bypassed, not 502, not refilled" t_enospc_mid_fill
summary
ok "HLS playlists of an origin file: filled, answered once sealed" t_hls_miss
ok "a playlist parked on a fill that fails: 502, the next fills it" t_hls_fill_fails
summary
ok "?t= during a load waits for its keyframe, then is byte-exact" t_seek_waits
summary
ok "a 29.97 fps fill: ?t= (drop-frame) as vcachectl seek of it loaded" t_fill_fps
summary

kill "${pid[origin]}" && wait "${pid[origin]}"
unset 'pid[origin]'
grep "origin:" "$tmp/stderr" | sed 's/^/# /'
for f in $big $small dead.bin two.bin fresh.bin bypass.bin cut.bin hls.ts cut2.bin seek.ts \
	fps.ts fpsload.ts full.bin hold.bin; do
	"$ctl" rm "$f" >/dev/null 2>&1
done
