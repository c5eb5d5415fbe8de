#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer's VOD HLS playlists end to end, in the VM (needs
# /dev/vcache and root):
#   scripts/vm-run -k 6.12 -- selftests/vcache/hls_test.sh
# The test media of scripts/make-test-media (build/media, made on the host:
# ffmpeg is slow under TCG) loaded with vcachectl, which indexes them; then
# /hls/NAME/{master,index,iframes}.m3u8 checked against RFC 8216 by
# build/selftests/hls_check (hls_test.c's checker), their byte ranges
# fetched through /v/NAME and put together again, ffmpeg decoding the
# master playlist over HTTP frame for frame as it decodes the file, each
# I-frame decoding alone at its time, ETag and 304, and the refusals.
# Prints kselftest-style TAP ending in "# Totals: ...".
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# $streamer, $ctl, $client; TAP (ok, skip, eq), hdr, get, finish, need,
# start_streamer and wait_up.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

check=$root/build/selftests/hls_check
media=$root/build/media
tmp=$(mktemp -d /tmp/hls_test.XXXXXX)
P=18101
URL=http://127.0.0.1:$P
curl_max_time=60
fail_lines=30
# HLS_KEEP=DIR keeps the playlists and logs, for a look (or a report).
keep_dir=${HLS_KEEP:-}
need "$streamer" "$ctl" "$check"
need_media() {
	if [ ! -f "$media/h264_aac_25.ts" ] || ! command -v ffmpeg >/dev/null ||
		! command -v ffprobe >/dev/null; then
		skip "HLS playlists" "no test media or no ffmpeg (make test-media on the host)"
		exit
	fi
}
need_media

clip=$media/h264_aac_25.ts	# H.264 + AAC, 20 s, a keyframe every 2 s
clip_size=$(stat -c %s "$clip")
"$ctl" load clip.ts "$clip" >/dev/null
"$ctl" load hevc.ts "$media/hevc_25.ts" >/dev/null
head -c 100000 /dev/urandom >"$tmp/rand"
"$ctl" load rand.ts "$tmp/rand" >/dev/null 2>&1	# not MPEG-TS: no index

start_streamer main "$tmp/stderr" --listen 127.0.0.1:$P --threads 2 --log "$tmp/access.log"
wait_up "$URL/v/"

# playlist URL FILE: a 200 with the playlist type, the body into FILE.
playlist() {
	eq "$(get "$1")" 200 || { cat "$tmp/body"; return 1; }
	eq "$(hdr "$tmp/head" Content-Type)" application/vnd.apple.mpegurl || return 1
	eq "$(hdr "$tmp/head" Content-Length)" "$(stat -c %s "$tmp/body")" || return 1
	cp "$tmp/body" "$2"
}

# --- the playlists, against RFC 8216 --------------------------------------

t_media() {
	playlist "$URL/hls/clip.ts/index.m3u8" "$tmp/media.m3u8" &&
	"$check" media "$clip_size" <"$tmp/media.m3u8" &&
	# Every segment a byte range of the video, relative to the playlist.
	eq "$(grep -v '^#' "$tmp/media.m3u8" | sort -u)" ../../v/clip.ts &&
	grep -qx '#EXT-X-PLAYLIST-TYPE:VOD' "$tmp/media.m3u8" &&
	grep -qx '#EXT-X-TARGETDURATION:6' "$tmp/media.m3u8" &&
	cat "$tmp/media.m3u8"
}
ok "media playlist: valid, contiguous byte ranges of ../../v/NAME covering it" t_media

t_seg() {
	local s

	for s in 2 2.5 10 600; do
		playlist "$URL/hls/clip.ts/index.m3u8?seg=$s" "$tmp/media-$s.m3u8" || return 1
		"$check" media "$clip_size" <"$tmp/media-$s.m3u8" || return 1
	done
	# Keyframes every 2 s: a 2 s target is a segment a GOP, 10 s five GOPs.
	eq "$(grep -c '^#EXTINF' "$tmp/media-2.m3u8")" 10 &&
	eq "$(grep -c '^#EXTINF' "$tmp/media-10.m3u8")" 2 &&
	eq "$(grep -c '^#EXTINF' "$tmp/media-600.m3u8")" 1 &&
	grep -qx '#EXT-X-TARGETDURATION:2' "$tmp/media-2.m3u8" &&
	# Other parameters (cache busters) change nothing.
	playlist "$URL/hls/clip.ts/index.m3u8?x=1&seg=2&_=3" "$tmp/media-2b.m3u8" &&
	cmp "$tmp/media-2.m3u8" "$tmp/media-2b.m3u8" &&
	# The master names the media playlist of its own target.
	playlist "$URL/hls/clip.ts/master.m3u8?seg=2.50" "$tmp/master-2.5.m3u8" &&
	grep -qx 'index.m3u8?seg=2.5' "$tmp/master-2.5.m3u8"
}
ok "?seg=SECONDS: 2, 2.5, 10, 600 valid; 2 s GOPs make 10, 2 and 1 segments" t_seg

t_iframes() {
	local n

	playlist "$URL/hls/clip.ts/iframes.m3u8" "$tmp/iframes.m3u8" &&
	"$check" iframes "$clip_size" <"$tmp/iframes.m3u8" >"$tmp/iframes.txt" &&
	grep -qx '#EXT-X-I-FRAMES-ONLY' "$tmp/iframes.m3u8" &&
	n=$(awk -F, '$3 ~ /K/' "$media/h264_aac_25.csv" | wc -l) &&
	eq "$(wc -l <"$tmp/iframes.txt")" "$n" &&
	cat "$tmp/iframes.m3u8"
}
ok "I-frame playlist: valid, one entry per keyframe of the file" t_iframes

t_master() {
	local w h

	playlist "$URL/hls/clip.ts/master.m3u8" "$tmp/master.m3u8" &&
	"$check" master "$tmp/media.m3u8" "$clip_size" <"$tmp/master.m3u8" >"$tmp/m.txt" &&
	cat "$tmp/m.txt" "$tmp/master.m3u8" &&
	w=$(ffprobe -v error -select_streams v:0 -show_entries stream=width -of csv=p=0 "$clip") &&
	h=$(ffprobe -v error -select_streams v:0 -show_entries stream=height -of csv=p=0 "$clip") &&
	grep -q "RESOLUTION=${w}x$h " "$tmp/m.txt" &&
	grep -Eq 'CODECS=avc1\.64[0-9a-f]{4},mp4a\.40\.2 ' "$tmp/m.txt" &&
	grep -q 'URI=index.m3u8?seg=6 ' "$tmp/m.txt" &&
	# HEVC: hvc1 codecs.
	playlist "$URL/hls/hevc.ts/master.m3u8" "$tmp/hevc-master.m3u8" &&
	grep -q 'CODECS="hvc1\.' "$tmp/hevc-master.m3u8"
}
ok "master playlist: BANDWIDTH from the segments, CODECS and RESOLUTION of the stream" t_master

# The segments, fetched as a player does: ranges of /v/NAME, back to back.
t_ranges() {
	local off len

	: >"$tmp/joined"
	playlist "$URL/hls/clip.ts/index.m3u8?seg=2" "$tmp/r.m3u8" || return 1
	# (A file, not <(...): the VM has no /dev/fd.)
	awk -F'[:@]' '/^#EXT-X-BYTERANGE:/ { print $3, $2 }' "$tmp/r.m3u8" >"$tmp/ranges"
	while read -r off len; do
		eq "$(curl -s -o "$tmp/part" -w '%{http_code}' -r "$off-$((off + len - 1))" \
			"$URL/v/clip.ts")" 206 || return 1
		cat "$tmp/part" >>"$tmp/joined"
	done <"$tmp/ranges"
	eq "$(wc -l <"$tmp/ranges")" 10 &&
	cmp "$tmp/joined" "$clip"
}
ok "the media playlist's ranges, fetched from /v/NAME, are the whole file" t_ranges

# --- players ---------------------------------------------------------------

# crcs SRC: the CRC of every decoded video frame of SRC, one a line.
crcs() {
	ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f framecrc - 2>>"$tmp/ffmpeg.err" |
		awk -F', *' '!/^#/ { print $NF }'
}

t_ffmpeg() {
	local want got n

	: >"$tmp/ffmpeg.err"
	n=$(ffprobe -v error -select_streams v:0 -count_frames \
		-show_entries stream=nb_read_frames -of csv=p=0 "$clip" | grep -m1 .)
	crcs "$clip" >"$tmp/want.crc"
	: >"$tmp/ffmpeg.err"	# only what the playlist's decode says counts
	crcs "$URL/hls/clip.ts/master.m3u8" >"$tmp/got.crc"
	want=$(wc -l <"$tmp/want.crc") got=$(wc -l <"$tmp/got.crc")
	echo "# file: $n frames (ffprobe -count_frames), $want decoded; HLS: $got decoded"
	[ ! -s "$tmp/ffmpeg.err" ] || { echo "ffmpeg said:"; head "$tmp/ffmpeg.err"; return 1; }
	eq "$want" "$n" && eq "$got" "$n" && cmp "$tmp/want.crc" "$tmp/got.crc" &&
	# The media playlist at 2 s too, and the whole stream (audio) without error.
	crcs "$URL/hls/clip.ts/index.m3u8?seg=2" | cmp - "$tmp/want.crc" &&
	ffmpeg -nostdin -v error -i "$URL/hls/clip.ts/master.m3u8" -map 0 -f null - \
		2>"$tmp/all.err" && [ ! -s "$tmp/all.err" ] && [ ! -s "$tmp/ffmpeg.err" ]
}
ok "ffmpeg plays master.m3u8 over HTTP: every frame, no error, same pictures as the file" \
	t_ffmpeg

# Each I-frame alone: one picture, a keyframe, at the time the playlist gives.
t_iframe_alone() {
	local off len us i=0 t=0 t0="" p p0="" r=0 got

	while read -r off len us; do
		curl -s -o "$tmp/if.ts" -r "$off-$((off + len - 1))" "$URL/v/clip.ts" || return 1
		# "KEY_FRAME,PTS" a frame (and its side data on lines of their own).
		got=$(ffprobe -v error -select_streams v:0 -show_frames \
			-show_entries frame=key_frame,pts -of csv=p=0 "$tmp/if.ts" 2>"$tmp/if.err" |
			grep -E '^[01],[0-9]+' | cut -d, -f1,2)
		if [ "$(echo "$got" | grep -c .)" != 1 ] || [ "${got%%,*}" != 1 ] ||
			[ -s "$tmp/if.err" ]; then
			echo "I-frame $i ($off+$len): '$got'"
			cat "$tmp/if.err"
			r=1
		fi
		# pts in 90 kHz against the EXTINFs before it, from the first.
		p=${got##*,}
		[ -z "$p0" ] && p0=$p t0=$t
		if [ $(((p - p0) * 100 / 9 - (t - t0))) -gt 1000 ] ||
			[ $(((p - p0) * 100 / 9 - (t - t0))) -lt -1000 ]; then
			echo "I-frame $i: pts $p, $(((p - p0) * 100 / 9)) us in; the playlist says $((t - t0))"
			r=1
		fi
		t=$((t + us)) i=$((i + 1))
	done <"$tmp/iframes.txt"
	echo "# $i I-frames, each one keyframe picture at its listed time"
	[ "$i" -gt 0 ] && return $r
}
ok "each I-frame range decodes alone to one keyframe at its listed time" t_iframe_alone

# A stream that does not repeat its PAT and PMT (every one after the first
# pair nulled, as some muxers leave it): its segments cannot start with
# their own, so the playlists point at the first pair with EXT-X-MAP
# (version 6; the I-frames' 5), and a player still decodes every frame.
t_no_psi() {
	local map="" off len

	python3 - "$media/h264_25.ts" "$tmp/stripped.ts" <<-'PY' || return 1
	import sys
	d = bytearray(open(sys.argv[1], 'rb').read())
	pmt, kept = None, 0
	for o in range(0, len(d) - 187, 188):
	    pid = (d[o + 1] & 0x1f) << 8 | d[o + 2]
	    if pid == 0 and pmt is None:
	        p = o + 5 + d[o + 4]
	        pmt = (d[p + 10] & 0x1f) << 8 | d[p + 11]
	    if pid == 0 or pid == pmt:
	        kept += 1
	        if kept > 2:
	            d[o + 1], d[o + 2] = (d[o + 1] & 0xe0) | 0x1f, 0xff
	open(sys.argv[2], 'wb').write(d)
	PY
	"$ctl" load stripped.ts "$tmp/stripped.ts" >/dev/null || return 1
	playlist "$URL/hls/stripped.ts/index.m3u8" "$tmp/s.m3u8" &&
	"$check" media "$(stat -c %s "$tmp/stripped.ts")" <"$tmp/s.m3u8" &&
	grep -qx '#EXT-X-VERSION:6' "$tmp/s.m3u8" &&
	map=$(sed -n 's/^#EXT-X-MAP:URI="..\/..\/v\/stripped.ts",BYTERANGE="\([0-9]*@[0-9]*\)"$/\1/p' \
		"$tmp/s.m3u8")
	if [ -z "$map" ]; then
		cat "$tmp/s.m3u8"
		return 1
	fi
	len=${map%@*} off=${map#*@}
	# The map: a PAT (PID 0), then the PMT it names.
	eq "$(curl -s -r "$off-$((off + len - 1))" "$URL/v/stripped.ts" | head -c 3 | od -An -tx1 |
		tr -d ' ')" 474000 &&
	playlist "$URL/hls/stripped.ts/iframes.m3u8" "$tmp/si.m3u8" &&
	"$check" iframes "$(stat -c %s "$tmp/stripped.ts")" <"$tmp/si.m3u8" >/dev/null &&
	grep -qx '#EXT-X-VERSION:5' "$tmp/si.m3u8" && grep -q '^#EXT-X-MAP:' "$tmp/si.m3u8" &&
	: >"$tmp/ffmpeg.err" &&
	crcs "$media/h264_25.ts" >"$tmp/s-want.crc" &&
	crcs "$URL/hls/stripped.ts/master.m3u8" | cmp - "$tmp/s-want.crc" &&
	[ ! -s "$tmp/ffmpeg.err" ] && echo "# EXT-X-MAP $map; $(wc -l <"$tmp/s-want.crc") frames"
}
ok "no PAT/PMT but the first: EXT-X-MAP to them, every frame still decoded" t_no_psi

# --- validators ------------------------------------------------------------

t_etag() {
	local e e2 ei

	get "$URL/hls/clip.ts/index.m3u8" >/dev/null
	e=$(hdr "$tmp/head" ETag)
	[[ $e =~ ^\"hls-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\"$ ]] || { echo "ETag $e"; return 1; }
	eq "$(get -H "If-None-Match: $e" "$URL/hls/clip.ts/index.m3u8")" 304 &&
	eq "$(stat -c %s "$tmp/body")" 0 &&
	eq "$(hdr "$tmp/head" ETag)" "$e" &&
	eq "$(get -H "If-None-Match: \"x\", $e" "$URL/hls/clip.ts/index.m3u8?seg=6")" 304 &&
	eq "$(get -H 'If-None-Match: "x"' "$URL/hls/clip.ts/index.m3u8")" 200 &&
	# Another target, another ETag; the I-frames' does not depend on it.
	get "$URL/hls/clip.ts/index.m3u8?seg=2" >/dev/null &&
	e2=$(hdr "$tmp/head" ETag) && [ "$e2" != "$e" ] &&
	eq "$(get -H "If-None-Match: $e" "$URL/hls/clip.ts/index.m3u8?seg=2")" 200 &&
	get "$URL/hls/clip.ts/iframes.m3u8?seg=2" >/dev/null && ei=$(hdr "$tmp/head" ETag) &&
	eq "$(get -H "If-None-Match: $ei" "$URL/hls/clip.ts/iframes.m3u8")" 304 &&
	# HEAD: the same head, no body.
	eq "$(get -I "$URL/hls/clip.ts/master.m3u8")" 200 &&
	eq "$(hdr "$tmp/head" Content-Length)" "$(stat -c %s "$tmp/master.m3u8")"
}
ok "ETag per generation and target, 304 to If-None-Match, HEAD" t_etag

# The same name loaded again is another generation: new playlists and ETag.
t_generation() {
	local e

	get "$URL/hls/clip.ts/index.m3u8" >/dev/null
	e=$(hdr "$tmp/head" ETag)
	"$ctl" rm clip.ts && "$ctl" load clip.ts "$media/h264_25.ts" >/dev/null || return 1
	eq "$(get -H "If-None-Match: $e" "$URL/hls/clip.ts/index.m3u8")" 200 &&
	"$check" media "$(stat -c %s "$media/h264_25.ts")" <"$tmp/body" &&
	[ "$(hdr "$tmp/head" ETag)" != "$e" ]
}
ok "the name loaded again: new ETag, playlists of the new bytes" t_generation

# --- refusals ----------------------------------------------------------------

# status WANT URL: the status, and a one-line text body.
status() {
	eq "$(get "$2")" "$1" || { cat "$tmp/body"; return 1; }
	eq "$(wc -l <"$tmp/body")" 1 && grep -q "^$1 " "$tmp/body"
}

t_bad_seg() {
	local s

	for s in 0 -1 NaN nan inf 0.0 601 600.5 1e3 0x10 '' 6s 99999999999999999999 \
		'6&seg=2' 2.; do
		status 400 "$URL/hls/clip.ts/index.m3u8?seg=$s" || { echo "seg=$s"; return 1; }
	done
	status 400 "$URL/hls/clip.ts/master.m3u8?seg" && cat "$tmp/body"
}
ok "bad ?seg= (0, -1, NaN, huge, twice...): 400, one line" t_bad_seg

t_not_found() {
	status 404 "$URL/hls/nosuch.ts/index.m3u8" &&
	status 404 "$URL/hls/clip.ts/other.m3u8" &&
	status 404 "$URL/hls/clip.ts/" &&
	status 404 "$URL/hls/clip.ts" &&
	status 404 "$URL/hls/" &&
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/hls/clip.ts/index.m3u8")" 405
}
ok "unknown video or playlist: 404; POST: 405" t_not_found

t_no_index() {
	status 409 "$URL/hls/rand.ts/master.m3u8" && grep -q 'no keyframe index' "$tmp/body" &&
	status 409 "$URL/hls/rand.ts/iframes.m3u8"
}
ok "a video without an index: 409" t_no_index

# state NAME WANT: until vcachectl shows video NAME in state WANT (10 s).
state() {
	local i

	for i in $(seq 100); do
		"$ctl" -j info "$1" 2>/dev/null | grep -q "\"state\": \"$2\"" && return 0
		sleep 0.1
	done
	echo "$1 never $2"
	return 1
}

t_loading_live() {
	local r=0

	mkfifo "$tmp/fifo" "$tmp/lfifo"
	# vcachectl load reads 4 MiB (VINDEX_PROBE) before it creates the video.
	"$ctl" load loading.ts "$tmp/fifo" --capacity 8M >"$tmp/load.out" 2>&1 &
	pid[load]=$!
	exec 7>"$tmp/fifo"
	head -c 5000000 /dev/urandom >&7
	state loading.ts loading && status 409 "$URL/hls/loading.ts/index.m3u8" &&
		grep -q 'still loading' "$tmp/body" || r=1
	exec 7>&-
	wait "${pid[load]}"
	unset 'pid[load]'
	"$ctl" live live.ts --capacity 4M <"$tmp/lfifo" >/dev/null 2>&1 &
	pid[live]=$!
	exec 7>"$tmp/lfifo"
	head -c 500000 "$clip" >&7
	state live.ts live && status 409 "$URL/hls/live.ts/master.m3u8" &&
		grep -q 'a live stream: its playlist is index.m3u8' "$tmp/body" || r=1
	exec 7>&-
	wait "${pid[live]}"
	unset 'pid[live]'
	state live.ts ended && status 409 "$URL/hls/live.ts/iframes.m3u8" || r=1
	[ "$r" = 0 ] || cat "$tmp/load.out"
	return "$r"
}
ok "a loading video: 409; a live stream's master and I-frames (live or ended): 409" \
	t_loading_live

# --- live playlists ----------------------------------------------------------

# A server of its own with a ring of 1280 KiB (a window of 960 KiB, about
# 20 s of the clip): the window slides while the test uploads 36 s of the
# 120 s clip at its own rate (curl --limit-rate: the stream's bytes are the
# file's, offset for offset). Playlists at ?seg=2 (2 s GOPs: a segment a
# GOP, a window of at least 6 s).
LP=18102
LURL=http://127.0.0.1:$LP
long=$root/build/media-long/h264_aac_25.ts
live_pl="$LURL/hls/cam.ts/index.m3u8?seg=2"
# Cut before the keyframe at 36 s (the 19th): no frame is cut short.
head -c "$(awk -F, '$3 ~ /K/ && ++k == 19 { print $2 }' "${long%.ts}.csv")" "$long" \
	>"$tmp/up.ts"
up_size=$(stat -c %s "$tmp/up.ts")
start_streamer live "$tmp/live.stderr" --listen 127.0.0.1:$LP --threads 2 \
	--live-capacity 1280K --log "$tmp/live.log"
wait_up "$LURL/v/"

# info NAME FIELD: a live stream's head, tail or state, from vcachectl.
live_info() {
	"$ctl" -j info "$1" 2>/dev/null | grep -oE "\"$2\": (\"[a-z]*\"|[0-9]*)" | head -n 1 |
		cut -d' ' -f2 | tr -d '"'
}

# lget: the live playlist into $tmp/lp.m3u8; "SEQ N TARGET US FIRST END ENDLIST" out.
lget() {
	[ "$(get "$live_pl")" = 200 ] || return 1
	cp "$tmp/body" "$tmp/lp.m3u8"
	"$check" live <"$tmp/lp.m3u8"
}

# The bytes [OFF, OFF + LEN) of the upload.
up_bytes() {
	tail -c +$(($1 + 1)) "$tmp/up.ts" | head -c "$2"
}

t_live_playlist() {
	local i r=0 seq=-1 n target us first end endl tail grown=0 lines=0 ffpid full=0

	curl -s -o "$tmp/put.out" -w '%{http_code}' -T "$tmp/up.ts" --limit-rate 47K \
		--max-time 120 "$LURL/live/cam.ts" >"$tmp/put.code" &
	pid[put]=$!
	# The first whole segment: 404 before the PUT, 503 (Retry-After) until then.
	for i in $(seq 200); do
		lget >/dev/null && break
		if grep -q '^HTTP/1.1 503' "$tmp/head" && [ -z "$(hdr "$tmp/head" Retry-After)" ]; then
			echo "503 without Retry-After"
			r=1
		fi
		sleep 0.1
	done
	lget >/dev/null || { echo "no live playlist:"; cat "$tmp/body"; return 1; }
	cat "$tmp/lp.m3u8"
	# ffmpeg follows the playlist as a player does, to its EXT-X-ENDLIST.
	ffmpeg -nostdin -v error -i "$live_pl" -map 0:v:0 -fps_mode passthrough -f framecrc \
		"$tmp/live.crc" 2>"$tmp/live-ffmpeg.err" &
	ffpid=$!
	# Each new playlist: valid, the sequence only grows, at least three
	# target durations once the stream has had them, every range still in
	# the ring (its tail read after).
	while kill -0 "${pid[put]}" 2>/dev/null; do
		lget >"$tmp/lp.txt" 2>/dev/null || : >"$tmp/lp.txt"
		read -r s n target us first end endl <"$tmp/lp.txt"
		[ -n "${s:-}" ] || { echo "bad playlist:"; cat "$tmp/body"; r=1; break; }
		tail=$(live_info cam.ts tail)
		[ "$us" -ge $((3 * target * 1000000)) ] && full=1
		if [ "$s" -lt "$seq" ] || { [ "$full" = 1 ] && [ "$us" -lt $((3 * target * 1000000)) ]; } ||
			[ "$first" -lt "$tail" ]; then
			echo "seq $s after $seq, $n segments of $us us (target $target),"\
				"from $first to $end, tail $tail"
			cat "$tmp/lp.m3u8"
			r=1
		fi
		[ "$s" -gt "$seq" ] && [ "$seq" -ge 0 ] && grown=$((grown + 1))
		seq=$s lines=$((lines + 1))
		# The next playlist when the stream has moved on (a GOP is 2 s).
		sleep 0.5
	done
	echo "# $lines playlists while live; the media sequence grew $grown times, to $seq"
	[ "$grown" -ge 3 ] && [ "$full" = 1 ] || r=1
	# Ended: EXT-X-ENDLIST.
	for i in $(seq 100); do
		lget >"$tmp/lp.txt" 2>/dev/null || : >"$tmp/lp.txt"
		read -r s n target us first end endl <"$tmp/lp.txt"
		[ "${endl:-0}" = 1 ] && break
		sleep 0.1
	done
	eq "$endl" 1 || r=1
	eq "$(cat "$tmp/put.code")" 201 || r=1
	grep -qx '#EXT-X-ENDLIST' "$tmp/lp.m3u8" || r=1
	[ "$s" -ge "$seq" ] || r=1
	echo "# ended: seq $s, $n segments, $end of $up_size bytes, $us us"
	eq "$end" "$up_size" || r=1
	# The last segment too is about a GOP (2 s), not a frame.
	[ "$(grep '^#EXTINF:' "$tmp/lp.m3u8" | tail -n 1 | cut -c9)" -ge 1 ] ||
		{ grep '^#EXTINF:' "$tmp/lp.m3u8" | tail -n 1; r=1; }
	# ffmpeg, at its end too: no error, every frame from where it joined, no gap.
	wait "$ffpid" || { echo "ffmpeg failed"; r=1; }
	[ ! -s "$tmp/live-ffmpeg.err" ] || { echo "ffmpeg said:"; head "$tmp/live-ffmpeg.err"; r=1; }
	awk -F', *' '!/^#/ { if (n && $3 != p + $4) { print "gap at pts " p " to " $3; bad = 1 }
		p = $3; n++ } END { print "# ffmpeg decoded " n " frames from the live playlist";
		exit bad || n < 100 }' "$tmp/live.crc" || r=1
	return $r
}
ok "live playlist while uploading: sequence grows, >= 3 targets, in the ring; ENDLIST; ffmpeg plays it" \
	t_live_playlist
unset 'pid[put]'

# Ranges of the ended stream: its ring holds the last 960 KiB.
t_live_range() {
	local tail head off len

	tail=$(live_info cam.ts tail) head=$(live_info cam.ts head)
	echo "# the ring holds $tail to $head"
	eq "$head" "$up_size" && [ "$tail" -gt 1000 ] || return 1
	# The playlist's first segment: 206, the upload's bytes at those offsets.
	awk -F'[:@]' '/^#EXT-X-BYTERANGE:/ { print $3, $2; exit }' "$tmp/lp.m3u8" >"$tmp/r1"
	read -r off len <"$tmp/r1"
	eq "$(get -r "$off-$((off + len - 1))" "$LURL/live/cam.ts")" 206 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes $off-$((off + len - 1))/$head" &&
	up_bytes "$off" "$len" | cmp - "$tmp/body" &&
	# At the window's first byte, and one before it.
	eq "$(get -r "$tail-$((tail + 99))" "$LURL/live/cam.ts")" 206 &&
	up_bytes "$tail" 100 | cmp - "$tmp/body" &&
	eq "$(get -r "$((tail - 1))-$((tail + 99))" "$LURL/live/cam.ts")" 416 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes */$head" &&
	grep -q "gone from the live window" "$tmp/body" &&
	eq "$(get -r 0-99 "$LURL/live/cam.ts")" 416 &&
	# Past the head: cut there; from the head on: 416.
	eq "$(get -r "$((head - 50))-$((head + 1000))" "$LURL/live/cam.ts")" 206 &&
	eq "$(hdr "$tmp/head" Content-Range)" "bytes $((head - 50))-$((head - 1))/$head" &&
	up_bytes $((head - 50)) 50 | cmp - "$tmp/body" &&
	eq "$(get -r "$head-$((head + 9))" "$LURL/live/cam.ts")" 416 &&
	grep -q "not written yet" "$tmp/body" &&
	# An open range (players send bytes=0-) is followed as before: 200.
	eq "$(get -I -r 0- "$LURL/live/cam.ts")" 200 &&
	eq "$(hdr "$tmp/head" Accept-Ranges)" none
}
ok "Range on /live/NAME: 206 from the ring, 416 before the window or past the head" t_live_range

# While live: a range in the window is the upload's bytes, one before it 416.
# The upload is the clip twice (bytes are what is checked here), so that
# the window moves for some 12 s before the stream ends.
t_live_range_live() {
	local tail head off i r=0

	cat "$tmp/up.ts" "$tmp/up.ts" >"$tmp/up2.ts"
	curl -s -o /dev/null -T "$tmp/up2.ts" --limit-rate 100K --max-time 60 \
		"$LURL/live/cam2.ts" &
	pid[put2]=$!
	for i in $(seq 300); do
		tail=$(live_info cam2.ts tail)
		[ "${tail:-0}" -gt 10000 ] && break
		sleep 0.1
	done
	head=$(live_info cam2.ts head)
	echo "# live: the ring holds $tail to $head"
	eq "$(live_info cam2.ts state)" live || { echo "the upload ended first"; r=1; }
	# The 100 KB before the head read above: 1 MB of the window moving at
	# 100 KiB/s must pass first (10 s), however slow the VM was between.
	off=$((head - 100000))
	eq "$(get -r "$off-$((head - 1))" "$LURL/live/cam2.ts")" 206 || { cat "$tmp/body"; r=1; }
	eq "$(hdr "$tmp/head" Content-Range)" "bytes $off-$((head - 1))/*" || r=1
	tail -c +$((off + 1)) "$tmp/up2.ts" | head -c 100000 | cmp - "$tmp/body" || r=1
	# The window only moves on: what was before its tail stays gone.
	eq "$(get -r "$((tail - 1000))-$((tail - 1))" "$LURL/live/cam2.ts")" 416 || r=1
	# Seen: the rest of the upload is not needed (the stream ends with it).
	kill "${pid[put2]}" 2>/dev/null
	wait "${pid[put2]}"
	unset 'pid[put2]'
	return $r
}
ok "Range on a stream being written: 206 with bytes A-B/*, 416 before the window" \
	t_live_range_live

cat "$tmp/live.stderr" >>"$tmp/stderr"
grep -q 'AddressSanitizer\|runtime error' "$tmp/stderr" &&
	{ echo "# the server's stderr:"; sed 's/^/#   /' "$tmp/stderr"; fail=$((fail + 1)); }
for v in clip.ts hevc.ts rand.ts stripped.ts loading.ts live.ts cam.ts cam2.ts; do
	"$ctl" rm "$v" 2>/dev/null
done
