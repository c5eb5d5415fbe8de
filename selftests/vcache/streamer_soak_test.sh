#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Issue 23's acceptance soak, in the VM (needs /dev/vcache and root):
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_soak_test.sh
# One vcache-streamer (--threads 2, an ingest token file), a catalogue of
# VOD videos, and build/selftests/soak_client, which first measures a
# well-behaved client's latency alone (the unloaded run), then again while
# 2,000 idle connections, 200 slow readers, 50 slowloris heads, a ?loop=0
# fast reader and an unauthorised PUT flood all run at once. Both runs in
# one VM boot, so that the ratio compares like with like under TCG.
#
# Checks: p99 under load within SOAK_P99_RATIO (5) times the unloaded p99,
# overall and on every worker; the server's RSS, sampled every second,
# under SOAK_RSS_MAX_MB (32: 2,300 connections' 8 KiB heads are 18 MiB at
# most; today's server peaks at 7 MiB with splice); no VOD video evicted; every unauthorised PUT
# a 401 and no live stream created; still serving; exit 0 on SIGTERM.
# The checks marked [ingest auth] need --ingest-token-file (issue 23,
# item 1): without it they fail, and say so.
#
# Environment: SOAK_SECONDS (60), SOAK_BASE_SECONDS (10), SOAK_IDLE (2000),
# SOAK_SLOW (200), SOAK_LORIS (50), SOAK_P99_RATIO (5), SOAK_MIN_PROBES (1000),
# SOAK_RSS_MAX_MB (32),
# SOAK_SEND (the server's --send, splice), STREAMER_BIN (another build of
# the server).
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# $streamer, $ctl, $client; TAP (ok, skip, eq), finish, need, start_streamer.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

soak_secs=${SOAK_SECONDS:-60}
base_secs=${SOAK_BASE_SECONDS:-10}
n_idle=${SOAK_IDLE:-2000}
n_slow=${SOAK_SLOW:-200}
n_loris=${SOAK_LORIS:-50}
ratio_max=${SOAK_P99_RATIO:-5}
# Probe requests the loaded run must have made (a request every 5 ms).
min_probes=${SOAK_MIN_PROBES:-1000}
rss_max_mb=${SOAK_RSS_MAX_MB:-32}
send=${SOAK_SEND:-splice}
threads=2
tmp=$(mktemp -d /tmp/streamer_soak.XXXXXX)
P=18095
URL=http://127.0.0.1:$P
token=soak-good-token-0123456789
soak=$root/build/selftests/soak_client
need "$streamer" "$ctl" "$client" "$soak"
fail_lines=40

# 2,300 connections at once: both ends' descriptors, and splice's pipes.
ulimit -n 65536 || echo "# cannot raise RLIMIT_NOFILE: soak_client says if it is too low"

# kv FILE KEY: the value of KEY=... in soak_client's summary line.
kv() {
	sed -n "s/^soak .* $2=\([^ ]*\).*/\1/p" "$1"
}

# --- the catalogue ------------------------------------------------------------

# 113 MiB of VOD against the cache's default limit, a quarter of the VM's
# 1 GiB: room for all of it, but not for it and two 64 MiB live rings.
start_s=$(date +%s)
vods="soak-big soak-probe vod1 vod2 vod3 vod4 tiny"
"$client" mkvideo soak-big 50331648 2
"$client" mkvideo soak-probe 1048576 3
for i in 1 2 3 4; do
	"$client" mkvideo vod$i 16777216 $((10 + i))
done
"$client" mkvideo tiny 1000 4

# snapshot FILE: "name id size state" of every video, sorted.
snapshot() {
	"$ctl" ls -j | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    print(v["name"], v["id"], v["size"], v["state"])
' | sort >"$1"
}
evictions() {
	"$ctl" stats -j | python3 -c 'import json, sys; print(json.load(sys.stdin)["evictions"])'
}
snapshot "$tmp/before"
evict0=$(evictions)
echo "# cache limit $(cat /sys/module/vcache/parameters/max_mb 2>/dev/null) MiB" \
	"(0: a quarter of RAM), evictions so far: $evict0"

# --- the server ---------------------------------------------------------------

printf '# every stream name\n%s\n' "$token" >"$tmp/tokens"
auth=()
if "$streamer" --help 2>&1 | grep -q -- '--ingest-token-file'; then
	auth=(--ingest-token-file "$tmp/tokens")
	has_auth=1
else
	has_auth=0
	echo "# this vcache-streamer has no --ingest-token-file: the [ingest auth] checks fail"
fi
start_streamer soak "$tmp/stderr" --listen 127.0.0.1:$P --threads $threads --quiet \
	--send "$send" "${auth[@]}"
spid=${pid[soak]}
wait_up $URL/v/tiny
echo "# setup took $(($(date +%s) - start_s)) s"

t_up() {
	local v

	eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-4095' \
		$URL/v/soak-probe)" 206 &&
	# Each of its own (other suites' videos may share the device).
	for v in $vods; do
		grep -q "^$v " "$tmp/before" || { echo "$v not loaded:"; cat "$tmp/before"; return 1; }
	done
}
ok "server up, $(echo $vods | wc -w) VOD videos loaded" t_up

probe_args=(--port $P --probe soak-probe --probe-seed 3 --probe-bytes 4096
	--probe-conns 4 --probe-interval-ms 5 --watch-pid "$spid" --workers $threads)

# --- unloaded ---------------------------------------------------------------------

t_base() {
	"$soak" "${probe_args[@]}" --duration "$base_secs" >"$tmp/base" 2>"$tmp/base.err"
	cat "$tmp/base" "$tmp/base.err"
	eq "$(kv "$tmp/base" probe_errors)" 0 &&
	eq "$(kv "$tmp/base" probe_workers)" $threads &&
	[ "$(kv "$tmp/base" probe_n)" -ge 500 ]
}
ok "unloaded: ${base_secs} s of probes on every worker, no errors" t_base
base_p99=$(kv "$tmp/base" probe_p99_us)
echo "# unloaded: n=$(kv "$tmp/base" probe_n) p50=$(kv "$tmp/base" probe_p50_us) us" \
	"p99=${base_p99:-?} us max=$(kv "$tmp/base" probe_max_us) us;" \
	"server RSS $(kv "$tmp/base" rss_max_kb) KiB"

# --- loaded -----------------------------------------------------------------------

soak_s=$(date +%s)
"$soak" "${probe_args[@]}" --duration "$soak_secs" --idle "$n_idle" --slow "$n_slow" \
	--slow-video soak-big --slowloris "$n_loris" --fast-loop soak-big --put-flood \
	--put-prefix f >"$tmp/soak" 2>"$tmp/soak.err"
soak_rc=$?
echo "# soak took $(($(date +%s) - soak_s)) s (exit $soak_rc)"
sed 's/^/# /' "$tmp/soak.err"
tr ' ' '\n' <"$tmp/soak" | sed 's/^/#   /' | grep -v '^#   soak$'

t_loads() {
	cat "$tmp/soak.err"
	eq "$soak_rc" 0 &&
	eq "$(kv "$tmp/soak" ramp_ok)" 1 &&
	eq "$(kv "$tmp/soak" server_alive)" 1 &&
	# The loads were there all along: the idle ones reopened when timed out.
	[ "$(kv "$tmp/soak" idle_avg)" -ge $((n_idle * 9 / 10)) ] &&
	[ "$(kv "$tmp/soak" slow_bytes)" -gt 0 ] &&
	[ "$(kv "$tmp/soak" fast_bytes)" -gt 0 ] &&
	[ "$(kv "$tmp/soak" put_sent)" -gt 0 ]
}
ok "loads: $n_idle idle, $n_slow slow, $n_loris slowloris, ?loop=0, PUT flood for $soak_secs s" \
	t_loads

t_probe_ok() {
	eq "$(kv "$tmp/soak" probe_errors)" 0 &&
	eq "$(kv "$tmp/soak" probe_workers)" $threads
}
ok "loaded: the probe's requests all answered right, on every worker" t_probe_ok

# p99 under load against the unloaded p99 of the same server, same boot:
# overall, and on each worker (named by its epoll descriptor, the same in
# both runs).
t_p99() {
	local r=0 key eps e lp

	[ -n "$base_p99" ] && [ "$base_p99" -gt 0 ] || { echo "no unloaded p99"; return 1; }
	# A request every 5 ms: a server that keeps up answers 200 a second.
	# Fewer than 1,000 in the whole soak: the probe was starved (and its
	# p99, the 10th worst, would say little).
	lp=$(kv "$tmp/soak" probe_n)
	echo "probe requests under load: ${lp:-0} in $soak_secs s (at least $min_probes wanted)"
	[ "${lp:-0}" -ge "$min_probes" ] || r=1
	eps=$(tr ' ' '\n' <"$tmp/soak" | sed -n 's/^probe_ep\([0-9]*\)_p99_us=.*/\1/p')
	for key in probe_p99_us probe_new_p99_us $(for e in $eps; do echo probe_ep${e}_p99_us; done); do
		lp=$(kv "$tmp/soak" $key)
		echo "$key: loaded ${lp:-?} us, unloaded p99 $base_p99 us:" \
			"x$(awk -v a="${lp:-0}" -v b="$base_p99" 'BEGIN { printf "%.2f", a / b }')"
		[ -n "$lp" ] && [ "$lp" -le $((ratio_max * base_p99)) ] || r=1
	done
	return $r
}
ok "p99 under load <= ${ratio_max}x unloaded, overall and on every worker" t_p99
sed 's/^/# /' "$tmp/out"

t_rss() {
	local kb

	kb=$(kv "$tmp/soak" rss_max_kb)
	echo "server VmRSS: unloaded $(kv "$tmp/base" rss_max_kb) KiB," \
		"loaded max $kb KiB (first $(kv "$tmp/soak" rss_first_kb)," \
		"last $(kv "$tmp/soak" rss_last_kb)); bound $((rss_max_mb * 1024)) KiB"
	[ -n "$kb" ] && [ "$kb" -gt 0 ] && [ "$kb" -le $((rss_max_mb * 1024)) ]
}
ok "server RSS sampled every second stays under $rss_max_mb MiB" t_rss
sed 's/^/# /' "$tmp/out"

snapshot "$tmp/after"
t_evict() {
	local v r=0

	for v in $vods; do
		grep "^$v " "$tmp/before" >"$tmp/b1"
		grep "^$v " "$tmp/after" >"$tmp/a1"
		cmp -s "$tmp/b1" "$tmp/a1" || {
			echo "$v: before \"$(cat "$tmp/b1")\", after \"$(cat "$tmp/a1")\""
			r=1
		}
	done
	eq "$(evictions)" "$evict0" || r=1
	return $r
}
ok "no VOD video evicted (same ids, sizes, sealed; the eviction counter unchanged)" t_evict

t_put_401() {
	local sent=$(kv "$tmp/soak" put_sent) n401=$(kv "$tmp/soak" put_401)

	[ $has_auth = 1 ] || echo "needs --ingest-token-file (issue 23 item 1)"
	echo "PUT: sent $sent, 401 $n401, 403 $(kv "$tmp/soak" put_403)," \
		"201 $(kv "$tmp/soak" put_201), other $(kv "$tmp/soak" put_other)" \
		"(last $(kv "$tmp/soak" put_other_code)), no answer $(kv "$tmp/soak" put_errors)"
	# The last few may be unanswered when the soak stops: --put-conns 4.
	[ $has_auth = 1 ] && [ "$n401" -gt 0 ] && [ "$n401" -ge $((sent - 4)) ] &&
	eq "$(kv "$tmp/soak" put_201) $(kv "$tmp/soak" put_other) $(kv "$tmp/soak" put_errors)" \
		"0 0 0"
}
ok "[ingest auth] every unauthorised PUT answered 401" t_put_401
sed 's/^/# /' "$tmp/out"

t_no_live() {
	local made

	[ $has_auth = 1 ] || echo "needs --ingest-token-file (issue 23 item 1)"
	made=$(awk '$1 ~ /^f[0-9]+$/' "$tmp/after" | wc -l)
	echo "live streams f* in the cache: $made; GET /live/: $(curl -s $URL/live/)"
	[ $has_auth = 1 ] && eq "$made" 0 &&
	curl -s $URL/live/ | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ingests"] == 0, d' && { grep -v '^f[0-9]* ' "$tmp/after" >"$tmp/after-f"; } &&
	diff "$tmp/after-f" "$tmp/before"
}
ok "[ingest auth] no live stream created (vcachectl ls, GET /live/ ingests 0)" t_no_live
sed 's/^/# /' "$tmp/out" | head -n 8

# The flood was refused for want of the token, not because ingest is off.
t_put_ok() {
	[ $has_auth = 1 ] || { echo "needs --ingest-token-file (issue 23 item 1)"; return 1; }
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
		-H 'Content-Length: 0' --data-binary '' $URL/live/soak-ok)" 201 &&
	eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Length: 0' \
		--data-binary '' $URL/live/soak-nok)" 401
}
ok "[ingest auth] a PUT with the token: 201; without: 401" t_put_ok

t_serving() {
	eq "$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Range: bytes=0-4095' \
		$URL/v/soak-probe)" 206 &&
	"$ctl" cat soak-probe --size 4096 | cmp - "$tmp/body"
}
ok "still serving after the soak" t_serving

t_term() {
	local rc t0

	t0=$(date +%s%N)
	kill -TERM "$spid"
	# --drain-timeout is 10 s: 30 s, then it is hung.
	for _ in $(seq 300); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$spid" 2>/dev/null && { echo "still running 30 s after SIGTERM"; return 1; }
	wait "$spid"
	rc=$?
	unset 'pid[soak]'
	echo "exited $rc, $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM"
	eq "$rc" 0 && ! grep -l 'Sanitizer\|runtime error' "$tmp/stderr"
}
ok "SIGTERM: exit 0" t_term
sed 's/^/# /' "$tmp/out"

for v in $vods soak-ok; do
	"$ctl" rm "$v" 2>/dev/null
done
awk '$1 ~ /^f[0-9]+$/ { print $1 }' "$tmp/after" | while read -r v; do
	"$ctl" rm "$v" 2>/dev/null
done
echo "# took $(($(date +%s) - start_s)) s"
