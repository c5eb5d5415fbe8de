#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a vcache-streamer node shows a load balancer (issue 19), in the VM:
#   scripts/vm-run -k 6.12 -- selftests/vcache/streamer_node_test.sh
# GET /health is 200 with the device's numbers while the device answers
# and 503 when it does not; --node-name puts X-Vcache-Node on every
# response; GET /v/ tells each video's id and memory, which add up to the
# device's mem_used. scripts/cluster-test runs three nodes behind HAProxy.
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

tmp=$(mktemp -d /tmp/streamer_node_test.XXXXXX)
PN=18121	# --node-name n-1.test
PA=18122	# no --node-name
need "$streamer" "$ctl"
# Its videos go with it: the suites after it share the device (the soak
# checks the catalogue it loads).
trap '"$ctl" rm node-a >/dev/null 2>&1; "$ctl" rm node-b >/dev/null 2>&1; finish' EXIT

head -c 300000 /dev/urandom >"$tmp/a"
head -c 5000 /dev/urandom >"$tmp/b"
"$ctl" load node-a "$tmp/a" >/dev/null 2>&1
"$ctl" load node-b "$tmp/b" >/dev/null 2>&1
start_streamer named "$tmp/stderr-named" --listen 127.0.0.1:$PN --threads 2 --quiet \
	--node-name n-1.test
start_streamer anon "$tmp/stderr-anon" --listen 127.0.0.1:$PA --threads 1 --quiet
wait_up "http://127.0.0.1:$PN/health" "http://127.0.0.1:$PA/health"

# field JSON-FILE EXPR: a python3 expression over the JSON j.
field() {
	python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"
}

t_bad_name() {
	local name bad=0 rc

	for name in "" "a b" "n/1" "$(printf 'x%.0s' $(seq 64))" 'n"1' $'n\r1'; do
		"$streamer" --listen 127.0.0.1:18129 --node-name "$name" 2>"$tmp/err" >/dev/null
		rc=$?
		[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'bad --node-name' "$tmp/err" ||
			{ echo "--node-name '$name': exit $rc:"; cat "$tmp/err"; bad=1; }
	done
	return $bad
}
ok "--node-name takes 1 to 63 of A-Z a-z 0-9 . _ -, else exit 2 with a line" t_bad_name

t_health() {
	local code

	code=$(curl -s -o "$tmp/h.json" -D "$tmp/h.head" -w '%{http_code}' \
		"http://127.0.0.1:$PN/health")
	eq "$code" 200 || return 1
	eq "$(hdr "$tmp/h.head" Content-Type)" application/json || return 1
	eq "$(field "$tmp/h.json" 'j["status"], j["node"], j["videos"] >= 2')" \
		"ok n-1.test True" || return 1
	# The device's own numbers: as vcachectl stats tells them.
	"$ctl" stats -j >"$tmp/stats.json" || return 1
	eq "$(field "$tmp/h.json" 'j["mem_limit"]')" \
		"$(field "$tmp/stats.json" 'j["mem_limit"]')"
}
ok "GET /health: 200, JSON with the node's name and the device's numbers" t_health

t_node_header() {
	local u bad=0

	for u in /v/node-b /v/ /v/nothing /health /live/ /origin/; do
		curl -s -o /dev/null -D "$tmp/h" "http://127.0.0.1:$PN$u"
		eq "$(hdr "$tmp/h" X-Vcache-Node)" n-1.test || { echo "on $u"; bad=1; }
	done
	curl -s -o /dev/null -X DELETE -D "$tmp/h" "http://127.0.0.1:$PN/v/node-b"
	eq "$(hdr "$tmp/h" X-Vcache-Node)" n-1.test || { echo "on a 405"; bad=1; }
	curl -s -o /dev/null -D "$tmp/h" "http://127.0.0.1:$PA/v/node-b"
	grep -qi '^X-Vcache-Node:' "$tmp/h" && { echo "a node without a name sent one"; bad=1; }
	curl -s -o "$tmp/h.json" "http://127.0.0.1:$PA/health"
	eq "$(field "$tmp/h.json" 'repr(j["node"])')" "''" || bad=1
	return $bad
}
ok "X-Vcache-Node on every response of a named node (200, 404, 405), none without" t_node_header

# The device gone (as a lost /dev node or an unloaded module would leave
# it): 503; back: 200. A HEAD answers the same without a body.
t_device_gone() {
	local code bad=0

	mv /dev/vcache "$tmp/vcache.dev" || return 1
	code=$(curl -s -o "$tmp/h.json" -w '%{http_code}' "http://127.0.0.1:$PN/health")
	eq "$code" 503 || bad=1
	eq "$(field "$tmp/h.json" 'j["status"], j["node"]')" "fail n-1.test" || bad=1
	grep -q 'No such file' "$tmp/h.json" || { cat "$tmp/h.json"; bad=1; }
	code=$(curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PN/health")
	eq "$code" 503 || bad=1
	mv "$tmp/vcache.dev" /dev/vcache || return 1
	code=$(curl -s -I -o "$tmp/h.head" -w '%{http_code}' "http://127.0.0.1:$PN/health")
	eq "$code" 200 || bad=1
	return $bad
}
ok "GET /health is 503 while the device cannot be opened, 200 once it can" t_device_gone

# GET /v/ names each video's id and memory, which add up to mem_used: what
# the cluster test counts copies by. The list is a snapshot at most a moment
# old; it is taken after the loads above.
t_list_mem() {
	local sum used

	curl -s -o "$tmp/v.json" "http://127.0.0.1:$PN/v/" || return 1
	"$ctl" info -j node-a >"$tmp/a.json" || return 1
	eq "$(field "$tmp/v.json" '[(v["id"], v["mem_bytes"]) for v in j["videos"] if v["name"] == "node-a"][0]')" \
		"$(field "$tmp/a.json" '(j["id"], j["mem_bytes"])')" || return 1
	sum=$(field "$tmp/v.json" 'sum(v["mem_bytes"] for v in j["videos"])')
	used=$(curl -s "http://127.0.0.1:$PN/health" | python3 -c 'import json, sys; print(json.load(sys.stdin)["mem_used"])')
	eq "$sum" "$used"
}
ok "GET /v/ gives each video's id and mem_bytes; they add up to mem_used" t_list_mem
