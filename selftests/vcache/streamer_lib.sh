# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the vcache script tests (*_test.sh) share: the tree and the programs
# they drive, kselftest-style TAP ending in "# Totals: ...", which
# scripts/run-tests adds up, and their servers, started, waited for and
# killed at the end. Not a test itself: each test sources it from its own
# directory, where it is in every layout (selftests/vcache/ in the tree;
# build/selftests/, where the Makefile installs the tests; a kselftest
# install, as TEST_FILES). It sets
#   root  the vcache tree, whose build/ has the programs, and cds into it:
#         VCACHE_PROJECT (scripts/vm-run sets it; run_kselftest.sh runs a
#         test from its own directory), else two levels above the test.
#         Outside any tree the test is one skip, and ends here.
# The test then sets
#   tmp   its scratch directory, removed at the end
# and, if it wants other than the defaults,
#   curl_max_time  seconds a curl may take (60)
#   fail_lines     lines of a failed test's output to show (20)
#   keep_dir       a directory to copy $tmp into at the end (none)
# STREAMER_BIN in the environment: another build of the server (say with
# -fsanitize=address,undefined).
# shellcheck disable=SC2154  # tmp is the test's

root=${VCACHE_PROJECT:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ ! -f "$root/selftests/vcache/streamer_lib.sh" ]; then
	printf 'TAP version 13\n1..0 # SKIP not run in a vcache tree (VCACHE_PROJECT)\n'
	echo '# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0'
	exit 4
fi
cd "$root" || exit 1

streamer=${STREAMER_BIN:-$root/build/user/vcache-streamer}
# shellcheck disable=SC2034  # the tests' to use
ctl=$root/build/user/vcachectl client=$root/build/selftests/streamer_client
curl_max_time=${curl_max_time:-60}
fail_lines=${fail_lines:-20}
keep_dir=${keep_dir:-}
# The servers by name: finish() kills what is left of them.
declare -A pid=()

n=0 pass=0 fail=0 skip=0
echo "TAP version 13"

# A hung server must fail tests, not hang them.
curl() {
	command curl --max-time "$curl_max_time" "$@"
}

# ok NAME CMD...: one test, passing when CMD does; its time in a comment.
# TESTS_MATCH=REGEX runs only the tests whose title matches (the others
# are reported skipped): for a look at one test in the VM. TESTS_SKIP=REGEX
# skips the tests whose title matches: the debug kernel's run leaves out
# tests of the streamer's own scale that its slower syscalls only stretch.
ok() {
	local name=$1 t0

	if [ -n "${TESTS_MATCH:-}" ] && ! [[ $name =~ $TESTS_MATCH ]]; then
		: >"$tmp/out"	# what follows a test may read its output
		skip "$name" "not in TESTS_MATCH"
		return 0
	fi
	if [ -n "${TESTS_SKIP:-}" ] && [[ $name =~ $TESTS_SKIP ]]; then
		: >"$tmp/out"
		skip "$name" "in TESTS_SKIP"
		return 0
	fi
	t0=${EPOCHREALTIME//[!0-9]/}	# microseconds, without starting date(1)
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok $n $name # $(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000)) ms"
	else
		fail=$((fail + 1))
		echo "not ok $n $name"
		sed 's/^/#   /' "$tmp/out" | head -n "$fail_lines"
	fi
}

skip() {
	n=$((n + 1))
	skip=$((skip + 1))
	echo "ok $n $1 # SKIP $2"
}

# wait_text FILE TEXT: until FILE has the line TEXT (60 s at most).
wait_text() {
	wait_for 600 grep -qx -- "$2" "$1" 2>/dev/null && return 0
	echo "no \"$2\" from $1:"
	cat "$1"
	return 1
}

# wait_for TENTHS CMD...: until CMD succeeds, tried every 0.1 s, TENTHS
# times at most; its status is the last try's. A wait on state, not a sleep.
wait_for() {
	local i tries=$1

	shift
	for ((i = 1; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# count_at_least N FILE ERE: FILE has N lines matching ERE.
count_at_least() {
	[ "$(grep -cE -- "$3" "$2" 2>/dev/null)" -ge "$1" ]
}

# wait_grep FILE ERE [N]: until FILE has N lines (default 1) matching ERE,
# 10 s at most. For what a server writes after it answers (its access
# log's line is written at the end of the loop turn), instead of a sleep.
wait_grep() {
	wait_for 100 count_at_least "${3:-1}" "$1" "$2" && return 0
	echo "no ${3:-1} line(s) /$2/ in $1 after 10 s; its last lines:"
	tail -n 5 "$1"
	return 1
}

# eq GOT WANT: for ok(); says what differs.
eq() {
	[ "$1" = "$2" ] && return 0
	echo "got:  $1"
	echo "want: $2"
	return 1
}

# hdr FILE NAME: the value of header NAME in a curl -D dump: the first
# such line's text after its first space, without its CR. In bash alone: a
# process started in the guest is 0.1-0.3 s of TCG (four a call before),
# and the suites read a header some hundred times.
hdr() {
	local line want=${2,,}:

	while IFS= read -r line || [ -n "$line" ]; do
		[[ ${line,,} == "$want"* ]] || continue
		[[ $line == *" "* ]] && line=${line#* }
		printf '%s\n' "${line//$'\r'/}"
		return 0
	done <"$1"
}

# get [CURL ARGS...] URL: body to $tmp/body, head to $tmp/head, status
# echoed. Both files exist after it, empty when curl had nothing to put in
# them (it creates neither then).
get() {
	: >"$tmp/head"
	: >"$tmp/body"
	curl -s -D "$tmp/head" -o "$tmp/body" -w '%{http_code}' "$@"
	return 0	# the status is the answer; curl's exit is not the test's
}

finish() {
	local m

	for m in "${!pid[@]}"; do
		kill -9 "${pid[$m]}" 2>/dev/null
	done
	[ -n "$keep_dir" ] && mkdir -p "$keep_dir" && cp -r "$tmp"/. "$keep_dir"/
	rm -rf "$tmp"
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	# A bare exit in a trap keeps the status from before it: the script's
	# last command's, which says nothing of the tests.
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT

# need PROGRAM...: each of them built, and /dev/vcache; or one failure, the end.
need() {
	local f

	for f in "$@"; do
		if [ ! -x "$f" ]; then
			echo "# $f is missing: run make first"
			fail=$((fail + 1))
			exit
		fi
	done
	if [ ! -c /dev/vcache ]; then
		echo "# no /dev/vcache: run me in the VM (scripts/vm-run)"
		fail=$((fail + 1))
		exit
	fi
}

# start_streamer NAME STDERR ARGS...: $streamer ARGS in the background,
# its standard error into the file STDERR, its pid in pid[NAME].
start_streamer() {
	local name=$1 err=$2

	shift 2
	"$streamer" "$@" 2>"$err" &
	pid[$name]=$!
}

# wait_up URL...: until each answers (5 s at most each, as the tests then
# tell what does not work).
wait_up() {
	local u

	for u in "$@"; do
		for _ in $(seq 50); do
			curl -s -o /dev/null "$u" && break
			sleep 0.1
		done
	done
}
