#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The family spec against the loaded module, in the VM (needs /dev/vcache
# and root): the kernel's own YNL client, tools/net/ynl/cli.py of
# linux-source-6.12 (found as scripts/ksrc finds it), driven by
# Documentation/netlink/specs/vcache.yaml alone, must see what vcachectl
# (user/nl.c, the uapi header) sees: the dump and a do of video-get, a do of
# stats-get, and (through cli.py's library) an event of the events group. Prints kselftest-style TAP
# ending in "# Totals: ...". Without the kernel tree or python3-yaml every
# test is skipped, saying why.
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

tmp=$(mktemp -d /tmp/ynl_test.XXXXXX)
# VCACHE_YNL_SPEC, VCACHE_KSRC: another spec or kernel tree (to see the
# test fail on a wrong spec, or skip without a tree).
spec=${VCACHE_YNL_SPEC:-$root/Documentation/netlink/specs/vcache.yaml}

need "$ctl"

titles=("video-get dump = vcachectl -j ls" "video-get do = vcachectl -j info"
	"video-get do of an unknown name: ENOENT" "stats-get do = vcachectl -j stats"
	"events group: a delete's DELETED event")
why=""
if ! tree=${VCACHE_KSRC:-$("$root/scripts/ksrc" 2>&1)} ||
	[ ! -f "$tree/tools/net/ynl/cli.py" ]; then
	why="no kernel tree with tools/net/ynl ($tree)"
elif ! python3 -c 'import yaml, jsonschema' 2>/dev/null; then
	why="python3 lacks yaml or jsonschema (scripts/install-deps)"
fi
if [ -n "$why" ]; then
	for t in "${titles[@]}"; do
		skip "$t" "$why"
	done
	exit
fi

# ynl ARGS...: cli.py with the spec (its schema from the kernel tree, as
# the spec does not sit in one), one JSON document a line.
ynl() {
	python3 "$tree/tools/net/ynl/cli.py" --spec "$spec" \
		--schema "$tree/Documentation/netlink/genetlink-legacy.yaml" --output-json "$@"
}

# Two sealed videos; nothing reads them, so their counters hold still.
head -c 3000000 /dev/urandom >"$tmp/a"
head -c 1000 /dev/urandom >"$tmp/b"
if ! "$ctl" load ynl-a "$tmp/a" --fps 25 >/dev/null 2>&1 ||
	! "$ctl" load 'ynl b' "$tmp/b" >/dev/null 2>&1; then
	echo "# vcachectl load failed"
	fail=$((fail + 1))
	exit
fi

# same KIND YNL_JSON CTL_JSON: the videos (or counters) of the two agree,
# field by field; says what differs. The spec's names are vcachectl's with
# dashes, its times have no _ns, state and flags are decoded by name.
same() {
	python3 - "$@" <<'EOF'
import json, sys

kind, a, b = sys.argv[1], sys.argv[2], sys.argv[3]


def docs(text):
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return [json.loads(l) for l in text.splitlines() if l.strip()]


def from_ynl(v):
    out = {}
    for k, x in v.items():
        if k == 'flags':
            x = (1 if 'deleted' in x else 0) | (2 if 'pinned' in x else 0)
        k = k.replace('-', '_')
        if k.endswith('_time'):
            k += '_ns'
        if k.startswith('live_'):
            out.setdefault('live', {})[k[5:]] = x
        else:
            out[k] = x
    out.setdefault('seal_time_ns', 0)
    return out


def from_ctl(v):
    v = dict(v)
    v.pop('deleted', None)
    v.pop('pinned', None)
    return v


y, c = docs(a), docs(b)
if kind == 'videos':
    y = {v['name']: from_ynl(v) for v in (y if isinstance(y, list) else [y])}
    c = {v['name']: from_ctl(v) for v in (c if isinstance(c, list) else [c])}
else:
    y = {'stats': {k.replace('-', '_'): x for k, x in y.items()}}
    c = {'stats': c}
bad = 0
if sorted(y) != sorted(c):
    print('videos: cli.py', sorted(y), 'vcachectl', sorted(c))
    bad = 1
for n in sorted(set(y) & set(c)):
    for k in sorted(set(y[n]) | set(c[n])):
        if y[n].get(k) != c[n].get(k):
            print(f'{n}: {k}: cli.py {y[n].get(k)!r}, vcachectl {c[n].get(k)!r}')
            bad = 1
print(f'{len(y)} compared' if not bad else 'differ')
sys.exit(bad)
EOF
}

t_dump() {
	ynl --dump video-get >"$tmp/y" && "$ctl" -j ls >"$tmp/c" &&
		same videos "$(cat "$tmp/y")" "$(cat "$tmp/c")"
}
ok "${titles[0]}" t_dump

t_do() {
	ynl --do video-get --json '{"name": "ynl-a"}' >"$tmp/y" &&
		"$ctl" -j info ynl-a >"$tmp/c" &&
		same videos "$(cat "$tmp/y")" "$(cat "$tmp/c")"
}
ok "${titles[1]}" t_do

# cli.py prints the kernel's error and exits 1.
t_enoent() {
	! ynl --do video-get --json '{"name": "ynl-none"}' >"$tmp/y" 2>&1 &&
		cat "$tmp/y" && grep -q "error': -2\|No such file" "$tmp/y"
}
ok "${titles[2]}" t_enoent

t_stats() {
	ynl --do stats-get >"$tmp/y" && "$ctl" -j stats >"$tmp/c" &&
		same stats "$(cat "$tmp/y")" "$(cat "$tmp/c")"
}
ok "${titles[3]}" t_stats

# cli.py --subscribe reads the group only after its request, and on 6.12 a
# --do whose event comes before its ack makes it crash (the event resets
# the op it decodes the ack with); so this is its library, as cli.py uses
# it: subscribed, then vcachectl deletes, then the socket is read until the
# event comes (10 s at most).
t_event() {
	python3 - "$tree/tools/net/ynl" "$spec" "$ctl" <<'EOF'
import select, subprocess, sys, time

sys.path.insert(0, sys.argv[1])
from lib import YnlFamily  # noqa: E402

ynl = YnlFamily(sys.argv[2], sys.argv[1] + '/../../../Documentation/netlink/genetlink-legacy.yaml')
ynl.ntf_subscribe('events')
subprocess.run([sys.argv[3], 'rm', 'ynl b'], check=True)
deadline = time.monotonic() + 10
ev = []
while not ev and time.monotonic() < deadline:
    select.select([ynl.sock], [], [], max(0, deadline - time.monotonic()))
    ynl.check_ntf()
    ev = [n for n in ynl.async_msg_queue if n['name'] == 'event'
          and n['msg']['type'] == 'deleted' and n['msg']['video']['name'] == 'ynl b']
print(ynl.async_msg_queue)
assert ev, 'no deleted event for "ynl b" in 10 s'
assert 'deleted' in ev[0]['msg']['video']['flags'], ev[0]
assert ev[0]['msg']['seq'] > 0, ev[0]
EOF
}
ok "${titles[4]}" t_event

"$ctl" rm ynl-a >/dev/null 2>&1
