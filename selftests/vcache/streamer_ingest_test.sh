#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Who may publish live streams to vcache-streamer, and how much of the
# cache their rings may take (issue 23, item 1), in the VM:
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_ingest_test.sh
# A PUT without the token, with a wrong one, or from an address not
# allowed allocates nothing (no stream in the cache); the default takes
# publishers from the loopback only; a flood of authorised empty streams
# cannot push a video on demand out of the cache (--live-budget), and
# --live-max-streams bounds the streams being written at once.
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

tmp=$(mktemp -d /tmp/streamer_ingest_test.XXXXXX)
PT=18101	# tokens; 1 MiB rings, 2 writers, 4 MiB of rings
PA=18102	# --ingest-allow 192.0.2.0/24: not the loopback
PD=18103	# the defaults
TOKEN=tok-0123456789abcdef
NEWS_TOKEN=news-0123456789abcdef
need "$streamer" "$ctl"

# The limit in force (the module parameter reads as it), put back at the end.
old_mb=$(cat /sys/module/vcache/parameters/max_mb)
restore_limit() {
	echo "$old_mb" >/sys/module/vcache/parameters/max_mb ||
		echo "# cannot restore the cache's limit of $old_mb MiB"
}
cleanup() {
	local v

	for v in ing-vod1 ing-vod2 ing-vod3 ing-vod4 $(live_names); do
		"$ctl" rm "$v" >/dev/null 2>&1
	done
	restore_limit
}
trap 'cleanup; finish' EXIT

# Four videos on demand, 4 MiB each, in a cache of 24 MiB: what is left
# is 8 MiB, room for the 4 MiB of rings --live-budget gives, not for 40.
for v in ing-vod1 ing-vod2 ing-vod3 ing-vod4; do
	head -c 4194304 /dev/urandom >"$tmp/$v"
	"$ctl" load $v "$tmp/$v" >/dev/null || echo "# cannot load $v"
done
"$ctl" limit 24M >/dev/null || echo "# cannot set the cache's limit"

printf '# tokens of the test\n%s\nnews %s\n' "$TOKEN" "$NEWS_TOKEN" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
start_streamer tok "$tmp/stderr-tok" --listen 127.0.0.1:$PT --threads 2 --quiet \
	--ingest-token-file "$tmp/tokens" --live-capacity 1M --live-max-streams 2 \
	--live-budget 4M
start_streamer allow "$tmp/stderr-allow" --listen 127.0.0.1:$PA --threads 1 --quiet \
	--ingest-allow 192.0.2.0/24 --live-capacity 1M
start_streamer dflt "$tmp/stderr-dflt" --listen 127.0.0.1:$PD --threads 1 --quiet \
	--live-capacity 1M
wait_up "http://127.0.0.1:$PT/live/" "http://127.0.0.1:$PA/live/" \
	"http://127.0.0.1:$PD/live/"

# put PORT NAME [CURL ARGS...]: an empty live stream; the status echoed.
put() {
	local p=$1 name=$2

	shift 2
	curl -s -o "$tmp/put.out" -D "$tmp/put.head" -w '%{http_code}' -X PUT \
		-H 'Content-Length: 0' "$@" "http://127.0.0.1:$p/live/$name"
}

# live_names: the live streams (LIVE or ENDED) in the cache, one a line.
live_names() {
	"$ctl" ls -j | tr '{' '\n' | grep -E '"state": "(live|ended)"' |
		sed -E 's/.*"name": "([^"]*)".*/\1/' | sort
}

counter() {	# counter NAME PORT: a number from GET /live/
	curl -s "http://127.0.0.1:$2/live/" | sed -E "s/.*\"$1\": ([0-9]+).*/\1/"
}

t_no_token() {
	local i code bad=0

	for i in $(seq 20); do
		code=$(put $PT "flood$i")
		[ "$code" = 401 ] || { echo "PUT flood$i: $code"; bad=1; }
	done
	grep -qi '^WWW-Authenticate: Bearer realm="vcache-ingest"' "$tmp/put.head" ||
		{ echo "no Bearer challenge"; cat "$tmp/put.head"; bad=1; }
	eq "$(live_names | grep -c '^flood')" 0 || bad=1
	eq "$(counter refused_auth $PT)" 20 || bad=1
	return $bad
}

t_wrong_token() {
	local bad=0

	eq "$(put $PT w1 -H 'Authorization: Bearer tok-0123456789abcdeX')" 401 || bad=1
	grep -qi 'error="invalid_token"' "$tmp/put.head" || { echo "no invalid_token"; bad=1; }
	eq "$(put $PT w2 -H "Authorization: Basic $TOKEN")" 401 || bad=1
	# The news token is for "news" only.
	eq "$(put $PT w3 -H "Authorization: Bearer $NEWS_TOKEN")" 401 || bad=1
	eq "$(live_names | grep -c '^w[123]$')" 0 || bad=1
	return $bad
}

t_good_tokens() {
	local bad=0

	eq "$(put $PT news -H "Authorization: Bearer $NEWS_TOKEN")" 201 || bad=1
	eq "$(put $PT any1 -H "authorization: bearer $TOKEN")" 201 || bad=1
	live_names | grep -qx news || { echo "news not in the cache"; bad=1; }
	return $bad
}

t_allow_list() {
	local bad=0

	eq "$(put $PA a1)" 403 || bad=1
	eq "$(live_names | grep -c '^a1$')" 0 || bad=1
	return $bad
}

t_default_loopback() {
	eq "$(put $PD d1)" 201 && live_names | grep -qx d1
}

# 40 authorised empty streams of 1 MiB: 40 MiB of rings, where the cache
# has 8 MiB beside the videos. Ended streams make room for new ones.
t_flood_keeps_vod() {
	local i code bad=0 ev0 ev1

	ev0=$("$ctl" stats -j | sed -E 's/.*"evictions": ([0-9]+).*/\1/')
	for i in $(seq 40); do
		code=$(put $PT "e$i" -H "Authorization: Bearer $TOKEN")
		[ "$code" = 201 ] || { echo "PUT e$i: $code"; bad=1; }
	done
	ev1=$("$ctl" stats -j | sed -E 's/.*"evictions": ([0-9]+).*/\1/')
	# Other suites' leftovers may go; the videos on demand must not.
	echo "evictions during the flood: $((ev1 - ev0))"
	for v in ing-vod1 ing-vod2 ing-vod3 ing-vod4; do
		"$ctl" cat $v | cmp -s - "$tmp/$v" || { echo "$v lost or changed"; bad=1; }
	done
	# The newest ones are there: at most 4 MiB of rings, the last PUT's among them.
	live_names | grep -qx e40 || { echo "e40 missing"; bad=1; }
	[ "$(live_names | grep -c '^e')" -le 4 ] ||
		{ echo "rings: $(live_names | tr '\n' ' ')"; bad=1; }
	[ "$(counter rings_deleted $PT)" -ge 36 ] || bad=1
	return $bad
}

# Two streams being written; the third waits its turn: 503.
t_max_streams() {
	local bad=0 i w1 w2

	mkfifo "$tmp/f1" "$tmp/f2"
	curl -s -o /dev/null -T "$tmp/f1" -H "Authorization: Bearer $TOKEN" \
		-H 'Transfer-Encoding: chunked' "http://127.0.0.1:$PT/live/m1" &
	w1=$!
	exec 7>"$tmp/f1"
	curl -s -o /dev/null -T "$tmp/f2" -H "Authorization: Bearer $TOKEN" \
		-H 'Transfer-Encoding: chunked' "http://127.0.0.1:$PT/live/m2" 7>&- &
	w2=$!
	exec 8>"$tmp/f2"
	for i in $(seq 200); do
		[ "$(live_names | grep -c '^m[12]$')" = 2 ] && break
		sleep 0.05
	done
	eq "$(put $PT m3 -H "Authorization: Bearer $TOKEN")" 503 || bad=1
	grep -q 'live-max-streams' "$tmp/put.out" || { cat "$tmp/put.out"; bad=1; }
	eq "$(live_names | grep -c '^m3$')" 0 || bad=1
	# One writer done: room for the next.
	exec 7>&-
	wait $w1
	eq "$(put $PT m3 -H "Authorization: Bearer $TOKEN")" 201 || bad=1
	exec 8>&-
	wait $w2
	return $bad
}

ok "PUT without a token: 401, nothing allocated" t_no_token
ok "PUT with a wrong token or another stream's: 401" t_wrong_token
ok "PUT with the stream's or the general token: 201" t_good_tokens
ok "PUT from an address not allowed: 403" t_allow_list
ok "no token file, no allow-list: the loopback may publish" t_default_loopback
ok "a flood of authorised streams evicts no video on demand" t_flood_keeps_vod
ok "--live-max-streams: 503 for one more writer" t_max_streams
