#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcache-streamer's player page and its files (--web DIR, user/streamer/
# web.c), in the VM (the server needs /dev/vcache):
#   scripts/vm-run -k 6.12 -- selftests/vcache/player_test.sh
# What a browser fetches, byte for byte, with its ETag and 304; what a
# client must not get (paths out of DIR, links, names not in it); what a
# bad --web does at start. The page played in chromium: scripts/browser-player.
# Prints kselftest-style TAP ending in "# Totals: ...".
set -u

# streamer_lib.sh, beside this script wherever it is installed, finds the
# vcache tree (or skips) and makes it the working directory: $root.
# shellcheck source=selftests/vcache/streamer_lib.sh
. "$(dirname "$0")/streamer_lib.sh" || exit 1

www=$root/build/web/www
tmp=$(mktemp -d /tmp/player_test.XXXXXX)
P=18111
URL=http://127.0.0.1:$P
need "$streamer"
if [ ! -f "$www/player.html" ] || [ ! -f "$www/hls.min.js" ]; then
	skip "the player page" "no $www (make web on the host)"
	exit
fi

# A copy of the page's directory, with what must not be served beside it.
mkdir "$tmp/www" "$tmp/www/sub"
cp "$www"/* "$tmp/www/"
echo secret >"$tmp/secret.txt"
ln -s ../secret.txt "$tmp/www/link.txt"
echo hidden >"$tmp/www/.hidden"
echo inner >"$tmp/www/sub/inner.txt"

start_streamer main "$tmp/stderr" --listen 127.0.0.1:$P --threads 2 --quiet --web "$tmp/www"
start_streamer bare "$tmp/stderr-bare" --listen 127.0.0.1:$((P + 1)) --threads 1 --quiet
wait_up "$URL/" "http://127.0.0.1:$((P + 1))/v/"

# served URL FILE TYPE: a 200 of FILE's bytes with TYPE and a strong ETag.
served() {
	eq "$(get "$1")" 200 &&
	cmp "$tmp/body" "$2" &&
	eq "$(hdr "$tmp/head" Content-Type)" "$3" &&
	eq "$(hdr "$tmp/head" Content-Length)" "$(stat -c %s "$2")" &&
	hdr "$tmp/head" ETag | grep -Eq '^"[0-9a-f]{16}"$'
}

t_page() {
	served "$URL/" "$www/player.html" "text/html; charset=utf-8" &&
	grep -q 'src="/web/hls.min.js"' "$tmp/body" &&
	grep -q 'src="/web/player.js"' "$tmp/body"
}
ok "GET / is DIR/player.html" t_page

t_files() {
	served "$URL/web/hls.min.js" "$www/hls.min.js" "text/javascript; charset=utf-8" &&
	served "$URL/web/player.js" "$www/player.js" "text/javascript; charset=utf-8" &&
	served "$URL/web/player.html" "$www/player.html" "text/html; charset=utf-8"
}
ok "GET /web/FILE: DIR's files, byte for byte" t_files

t_head() {
	eq "$(curl -s -I -D "$tmp/head" -o /dev/null -w '%{http_code} %{size_download}' \
		"$URL/web/hls.min.js")" "200 0" &&
	eq "$(hdr "$tmp/head" Content-Length)" "$(stat -c %s "$www/hls.min.js")"
}
ok "HEAD: the head alone" t_head

t_304() {
	local etag

	get "$URL/web/player.js" >/dev/null
	etag=$(hdr "$tmp/head" ETag)
	eq "$(get -H "If-None-Match: $etag" "$URL/web/player.js")" 304 &&
	eq "$(stat -c %s "$tmp/body")" 0 &&
	eq "$(hdr "$tmp/head" ETag)" "$etag" &&
	eq "$(get -H 'If-None-Match: "0000000000000000"' "$URL/web/player.js")" 200
}
ok "If-None-Match of the ETag: 304; of another: 200" t_304

t_refused() {
	local u

	for u in /web/link.txt /web/.hidden /web/sub /web/sub/inner.txt /web/secret.txt \
		 /web/..%2Fsecret.txt /web/%2e%2e/secret.txt /web/ /web/nope.js /player.html; do
		eq "$(get --path-as-is "$URL$u")" 404 || { echo "$u"; return 1; }
		! grep -q secret "$tmp/body" || { echo "$u served the secret"; return 1; }
	done
	eq "$(get -X POST "$URL/web/player.js")" 405
}
ok "links, dot files, subdirectories, paths out of DIR: 404" t_refused

t_no_web() {
	eq "$(get "http://127.0.0.1:$((P + 1))/")" 404 &&
	grep -q -- '--web DIR' "$tmp/body" &&
	eq "$(get "http://127.0.0.1:$((P + 1))/web/hls.min.js")" 404
}
ok "without --web: / and /web/ are 404, saying why" t_no_web

t_bad_dir() {
	local out rc

	out=$("$streamer" --listen 127.0.0.1:$((P + 2)) --web "$tmp/missing" 2>&1)
	rc=$?
	eq "$rc" 2 && eq "$(echo "$out" | wc -l)" 1 && echo "$out" | grep -q "missing" &&
	out=$("$streamer" --listen 127.0.0.1:$((P + 2)) --web "$tmp/www" --web "$tmp/www" 2>&1)
	eq "$?" 2 && echo "$out" | grep -q "twice"
}
ok "--web of a missing directory, --web twice: exit 2, one line" t_bad_dir
