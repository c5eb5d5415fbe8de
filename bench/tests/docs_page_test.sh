#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/docs-page.py against the fixture results in bench/tests/docs-fixture
# (files in the formats the bench scripts write; no benchmark runs, about a
# second): every section is there, its numbers are the fixture's, the
# verdict words follow the numbers, nothing of a template is left, a missing
# section is kept from an older page with its date, and with nothing to
# keep the status says so. TAP, with the kselftest totals line that
# scripts/run-tests adds up (make unit).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
gen=$here/../docs-page.py
fix=$here/docs-fixture
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 n=0

ok() {	# ok NAME COMMAND...: one TAP test.
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		echo "not ok $n $name"
		sed 's/^/# /' "$tmp/out"
		fail=$((fail + 1))
	fi
}

has() { grep -qF -- "$2" "$1" || { echo "missing from $1: $2"; return 1; }; }
lacks() { ! grep -nE -- "$2" "$1" || { echo "found in $1: $2"; return 1; }; }

echo "TAP version 13"
echo "1..15"

cp -r "$fix" "$tmp/res"
python3 "$gen" "$tmp/res" "$tmp/docs/benchmarks.md" /dev/null 2>"$tmp/err"
rc=$?
page=$tmp/docs/benchmarks.md
ok "complete results: status 0" test "$rc" = 0

sections() {
	local s
	for s in chunk live aio serve lookup scale seek hls-playlists hls-serve reclaim fill; do
		grep -q "^<!-- section $s run=2026-12-01 10:20 UTC commit=abc1234 -->\$" "$1" &&
			grep -q "^<!-- end section $s -->\$" "$1" ||
			{ echo "section $s missing or unmarked"; return 1; }
	done
	[ "$(grep -c '^\*\*Headline:\*\* ' "$1")" = 11 ] || { echo "not 11 headlines"; return 1; }
}
ok "every section, marked with the run's date and commit" sections "$page"

where() {
	has "$1" "- Date: 2026-12-01 10:20 UTC; commit abc1234; \`make bench\` took 1850 s" &&
		has "$1" "- Host: 2 CPUs (AMD EPYC 7B13), 23.4 GiB, Linux 6.18.44" &&
		has "$1" "kernel: 6.12.118+deb12-amd64" &&
		has "$1" "\`scripts/vm-run -k 6.12 --mem 6G\`" &&
		has "$1" "| syscall | ns/call | 100 (90-110) | 5170 (4500-5500) | 51.7x |"
}
ok "machine, kernel, date, commit and calibration from env.txt, timing.txt, calibrate.md" where "$page"

# Every number the text states must be the fixture's, as it wrote it.
numbers() {
	has "$1" "pread(2) took 3.71 times as long as splice(2)" &&
		has "$1" "CPU per MiB with write(2) was 1.21 times the ring's (794 us/MiB)" &&
		has "$1" "With 24 files the thread pool spent 2.340 times kernel AIO's CPU" &&
		has "$1" "moved 1.01 times nginx's GB/s (geometric mean over 8/64 connections)" &&
		has "$1" "Its CPU per GB was 0.96 times nginx's" &&
		has "$1" "below nginx's in every repetition in 1 of 2 cells, above it in every repetition in 0, and a tie within the spread in the other 1" &&
		has "$1" "sendfile's CPU per GB was below nginx's in every repetition in 2 of 2 cells, above it in every repetition in 0, and a tie within the spread in the other 0" &&
		has "$1" "grew 2.40 times: within twice the log2 ratio 2.00, far below the linear 1000" &&
		has "$1" "took 1.10 times as long at the largest cache" &&
		has "$1" "from 64 MiB to 4096 MiB" &&
		has "$1" "At 10 min vcache served 1.39 times nginx's requests per second (0.94-2.78)" &&
		has "$1" "nginx spent 3.29 times vcache's CPU per request (2.80-3.48)" &&
		has "$1" "vcache's CPU per request 1.05 times" &&
		has "$1" "nginx's CPU per request 1.71 times" &&
		has "$1" "at 10 h was 1.13 times that at 10 min" &&
		has "$1" "64 viewers: vcache / nginx GB/s 1.08 (1.03-1.12)" &&
		has "$1" "the hog took 2.47 times as long as with ext4 (1.74-11.55)" &&
		has "$1" "tmpfs 4/4 OOM-killed" &&
		has "$1" "A miss took 6.6 times a hit's time to first byte (3.7-7.4)" &&
		has "$1" "System CPU, fill / read(2): 0.93 (0.88-0.97)"
}
ok "the text's numbers are the fixture's" numbers "$page"

tables() {
	local f l
	for f in chunk.txt serve.md seek.md lookup.txt scale.txt fill.md reclaim.md hls-serve.md \
		hls_playlists.md live_ingest.md aio.md; do
		while IFS= read -r l; do
			grep -qxF -- "$l" "$2" || { echo "$f's row not in the page: $l"; return 1; }
		done < <(grep '^| ' "$1/$f")
	done
}
ok "every table row of every result file, as written" tables "$fix" "$page"

verdicts() {
	has "$1" "(0.94-2.78): a tie within the spread of the repetitions" &&
		has "$1" "(2.80-3.48): vcache cheaper, in every repetition" &&
		has "$1" "(1.87-2.34): vcache faster, in every repetition" &&
		has "$1" "(1.01-1.30): the fill slower, in every repetition" &&
		has "$1" "(0.88-0.97): the fill cheaper, in every repetition" &&
		has "$1" "0.83 (0.78-0.90), nginx faster, in every repetition" &&
		has "$1" "8 viewers: vcache / nginx GB/s 1.01 (0.95-1.06), a tie within the spread" &&
		has "$1" "splice is the faster path" &&
		has "$1" "1.10 times as long at the largest cache as at the smallest: flat (within 25 %)" &&
		has "$1" "0.96 times nginx's: within 10 % (a tie at this table's resolution)"
}
ok "the verdict words follow the numbers" verdicts "$page"

# The same generator, the numbers turned the other way: the words follow.
cp -r "$fix" "$tmp/flip"
sed -i -e 's/^RATIO seek_vcache_over_nginx_reqs_14400s 2.18 (1.87-2.34)/RATIO seek_vcache_over_nginx_reqs_14400s 0.71 (0.60-0.80)/' \
	-e 's/^RATIO seek_vcache_over_nginx_reqs_600s 1.39 (0.94-2.78)/RATIO seek_vcache_over_nginx_reqs_600s 1.39 (1.10-2.78)/' \
	"$tmp/flip/seek.md"
sed -i 's/^RATIO vcache_pread_over_splice 3.71/RATIO vcache_pread_over_splice 0.52/' "$tmp/flip/chunk.txt"
sed -i 's/^RATIO scale_splice_largest_over_smallest 1.10/RATIO scale_splice_largest_over_smallest 3.20/' \
	"$tmp/flip/scale.txt"
sed -i 's/^\(RATIO lookup_search_largest_over_smallest\) 2.40/\1 9.00/' "$tmp/flip/lookup.txt"
python3 "$gen" "$tmp/flip" "$tmp/flip-docs/benchmarks.md" /dev/null 2>/dev/null
flipped() {
	has "$1" "At 4 h vcache served 0.71 times nginx's requests per second (0.60-0.80): nginx faster, in every repetition" &&
		has "$1" "At 10 min vcache served 1.39 times nginx's requests per second (1.10-2.78): vcache faster, in every repetition" &&
		has "$1" "pread(2) took 0.52 times as long as splice(2) into a pipe: splice is the slower path here" &&
		has "$1" "took 3.20 times as long at the largest cache as at the smallest: it grew" &&
		has "$1" "grew 9.00 times: more than twice the log2 ratio 2.00"
}
ok "other numbers, other verdict words" flipped "$tmp/flip-docs/benchmarks.md"

leftovers() {
	lacks "$1" '\{|\}|@@|%s|%d|\bNone\b|\bnan\b|\*\*Missing|Traceback|\?\)' &&
		lacks "$1" '^\*\*Kept from'
}
ok "no template leftovers, nothing missing or kept" leftovers "$page"

outside() {
	# Bracketed, so that scripts/check self-contained's grep of the tree
	# does not find these names in this file.
	lacks "$1" '/wor[k]/|/hom[e]/|/tm[p]/|/roo[t]/|fil[e]://' &&
		lacks "$1" '\]\((/|\.\./)'
}
ok "no path outside the repository; links are relative" outside "$page"

# A run whose seek and fill sections failed: kept from the page above,
# marked with that page's date, the rest from the new run.
cp -r "$fix" "$tmp/part"
rm "$tmp/part/seek.md"
sed -i '/^RATIO fill_ttfb_miss_over_hit/d' "$tmp/part/fill.md"
sed -i -e 's/^run_date=.*/run_date=2026-12-09 08:00 UTC/' -e 's/^commit=.*/commit=def5678/' \
	"$tmp/part/timing.txt"
python3 "$gen" "$tmp/part" "$tmp/part-docs/benchmarks.md" "$page" 2>/dev/null
rc=$?
ok "a failed section kept from the older page: status 2" test "$rc" = 2
kept() {
	has "$1" "<!-- section seek run=2026-12-01 10:20 UTC commit=abc1234 -->" &&
		has "$1" "**Kept from the run of 2026-12-01 10:20 UTC (commit abc1234): the run of 2026-12-09 08:00 UTC did not produce this section.**" &&
		has "$1" "At 4 h vcache served 2.18 times" &&
		has "$1" "<!-- section fill run=2026-12-01 10:20 UTC commit=abc1234 -->" &&
		has "$1" "<!-- section chunk run=2026-12-09 08:00 UTC commit=def5678 -->" &&
		has "$1" "| at 4 h: vcache / nginx requests/s 2.18 (1.87-2.34), nginx / vcache CPU per request 3.29 (2.80-3.48) | 2026-12-01 10:20 UTC |" &&
		[ "$(grep -c '^\*\*Kept from the run of ' "$1")" = 2 ]
}
ok "kept sections hold the older date and numbers" kept "$tmp/part-docs/benchmarks.md"

# Kept twice: still one mark, still the first run's date.
python3 "$gen" "$tmp/part" "$tmp/part2/benchmarks.md" "$tmp/part-docs/benchmarks.md" 2>/dev/null
rc=$?
kept2() {
	test "$rc" = 2 && [ "$(grep -c '^\*\*Kept from the run of 2026-12-01 10:20 UTC' "$1")" = 2 ] &&
		cmp "$1" "$tmp/part-docs/benchmarks.md"
}
ok "kept again: one mark, the original date, the same page" kept2 "$tmp/part2/benchmarks.md"

python3 "$gen" "$tmp/part" "$tmp/none/benchmarks.md" /dev/null 2>/dev/null
rc=$?
ok "a failed section with nothing to keep: status 1" test "$rc" = 1

quick() {
	cp -r "$fix" "$tmp/quick"
	sed -i 's/^quick=0/quick=1/' "$tmp/quick/timing.txt"
	! python3 "$gen" "$tmp/quick" "$tmp/quick-docs/benchmarks.md" /dev/null 2>/dev/null &&
		[ ! -e "$tmp/quick-docs/benchmarks.md" ]
}
ok "a --quick run's results are refused" quick

pngs() {
	cp -r "$fix" "$tmp/png"
	printf '\x89PNG\r\n' >"$tmp/png/seek.png"
	python3 "$gen" "$tmp/png" "$tmp/png-docs/benchmarks.md" /dev/null 2>/dev/null &&
		cmp "$tmp/png/seek.png" "$tmp/png-docs/seek.png" &&
		has "$tmp/png-docs/benchmarks.md" "](seek.png)" &&
		has "$tmp/png-docs/benchmarks.md" "The plot lookup.png is missing from this run"
}
ok "the plots a section links are copied beside the page" pngs

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
