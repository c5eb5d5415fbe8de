#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reclaim under pressure (issue 18, last bullet): how long the system takes
# to get memory back from a holder of cached data when a process needs it,
# for three holders of the same bytes: vcache (sealed videos nobody uses,
# loaded with vcachectl), the page cache (files on ext4) and tmpfs (which,
# without swap, cannot give anything back).
#
# usage: bench/reclaim-bench.sh [--reps R] [--fill-mb M] [--need-mb N]
#                               [--timeout S] OUTDIR    (defaults: 3, 300, 256, 180)
# Needs root, /dev/vcache (run it in the VM: scripts/vm-run -k 6.12 --mem
# 768M, as make bench-reclaim does), build/user/vcachectl,
# build/bench/reclaim_hog, mkfs.ext4 and the loop and ext4 modules. No swap.
#
# The ext4 file system is a loop device over a sparse image in OUTDIR,
# which must not be RAM (tmpfs/ramfs): in the VM OUTDIR is /mnt/out, a 9p
# share without caching (cache=none), so the image's own pages are not
# cached in the guest and the only copy of the data in the guest's memory is
# ext4's page cache; writeback goes to the host. The image is deleted at the
# end. tmpfs is a mount of its own, so its Shmem is the holder's.
#
# Method. Once, with every holder empty, after sync + drop_caches +
# compact_memory: MemAvailable (A0). The hog's size is A0 - M + N MiB, the
# same demand for every holder and repetition: with M MiB held, N MiB must
# come back from the holder (more, by the watermarks). Then R repetitions,
# the holders taking turns (none, vcache, ext4, tmpfs, none, ...; none holds
# nothing: the hog's time without reclaim, for reference); each turn:
# every holder empty, sync, drop_caches, compact_memory; fill the holder
# with M MiB in 20 MiB pieces (reclaim_hog gen: the same pseudo-random
# bytes for all; vcache: vcachectl load NAME - --capacity 20M, sealed and
# closed; files: written, then sync, so the page cache is clean as a sealed
# video is); nothing dropped; then reclaim_hog hog: a child that maps and
# touches the hog's size of anonymous memory (4 KiB pages, no THP), timed
# from fork to its last page touched, or to its death; oom_score_adj 1000,
# so if anyone is OOM-killed it is the hog (this script runs at -1000).
# What the holder gave back: vcache mem_used before-after (and the
# evictions by pressure, the shrinker's pages), ext4 and tmpfs the files'
# resident pages before-after (fincore), plus Cached and Shmem from
# /proc/meminfo; the work: /proc/vmstat pgscan/pgsteal (kswapd + direct;
# the LRU's: vcache's shrinker frees its pages outside them), slabs_scanned
# (the shrinkers' objects: vcache's are pages), allocstall, compact_stall
# and pgmajfault over the hog's run.
#
# Writes OUTDIR/reclaim-runs.csv (every run), reclaim.md (medians and
# min-max per holder, ratios vcache/ext4 of the hog's time per repetition)
# and prints reclaim.md. Before the first hog, a line in the kernel log
# says OOM kills are expected from here on (scripts/vm-stage2 then does not
# count the OOM killer's stack dump as a splat).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
reps=3 fill_mb=300 need_mb=256 timeout=180
while [ $# -gt 1 ]; do
	case $1 in
	--reps) reps=$2; shift 2 ;;
	--fill-mb) fill_mb=$2; shift 2 ;;
	--need-mb) need_mb=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '10,11p' "$0" >&2; exit 2; }
out=$1
me=reclaim-bench
die() { echo "$me: $*" >&2; exit 1; }
bench_whole_numbers $me reps fill_mb need_mb timeout
piece_mb=20
[ $((fill_mb % piece_mb)) = 0 ] || die "--fill-mb must be a multiple of $piece_mb"
[ "$need_mb" -lt "$fill_mb" ] || die "--need-mb must be less than --fill-mb"
pieces=$((fill_mb / piece_mb))
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

ctl=$ROOT/build/user/vcachectl
hogbin=$ROOT/build/bench/reclaim_hog
for f in "$ctl" "$hogbin"; do
	[ -x "$f" ] || die "$f missing: make first"
done
[ -c /dev/vcache ] || die "no /dev/vcache (run it in the VM: make bench-reclaim)"
[ "$(id -u)" = 0 ] || die "needs root (mounts, drop_caches)"
for t in mkfs.ext4 losetup fincore; do
	command -v $t >/dev/null || die "$t missing"
done
[ "$(awk '/^SwapTotal:/ { print $2 }' /proc/meminfo)" = 0 ] ||
	die "swap is on: tmpfs could give memory back by swapping, not the experiment"
outfs=$(findmnt -n -o FSTYPE -T "$out")
case $outfs in
tmpfs | ramfs) die "OUTDIR ($out) is in RAM: the ext4 image must live on a disk or a share" ;;
esac
modprobe loop 2>/dev/null || true
modprobe ext4 2>/dev/null || true

echo -1000 >/proc/self/oom_score_adj
tmp=$(mktemp -d /tmp/$me.XXXXXX)
img=$out/.reclaim-ext4.img
ext4=$tmp/ext4 shm=$tmp/tmpfs
mkdir -p "$ext4" "$shm"
limit0=""
cleanup() {
	local i
	for ((i = 0; i < pieces; i++)); do
		"$ctl" rm "reclaim-$i" >/dev/null 2>&1 || true
	done
	[ -z "$limit0" ] || echo "$limit0" >/sys/module/vcache/parameters/max_mb || true
	umount "$ext4" 2>/dev/null || true
	umount "$shm" 2>/dev/null || true
	rm -f "$img"
	rm -rf "$tmp"
}
trap cleanup EXIT

# vcachectl -j stats: one line of JSON; the value of key $1.
vstat() { jq -r ".$1" <<<"$stats"; }
meminfo() { awk -v k="$1:" '$1 == k { print int($2 / 1024) }' /proc/meminfo; }
# Resident MiB of the files in $1 (fincore: pages in memory), 0 if none.
resident() {
	local f
	f=$(find "$1" -type f)
	if [ -z "$f" ]; then
		echo 0
		return
	fi
	# shellcheck disable=SC2086  # our own names, no spaces
	fincore -b -n -o RES $f | awk '{ s += $1 } END { printf "%d\n", s / 1048576 }'
}
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
}
empty_all() {
	local i
	for ((i = 0; i < pieces; i++)); do
		"$ctl" rm "reclaim-$i" >/dev/null 2>&1 || true
	done
	rm -f "$ext4"/v* "$shm"/v*
}

# The cache's limit must hold the videos with room to spare.
stats=$("$ctl" -j stats)
limit0=$(cat /sys/module/vcache/parameters/max_mb)
want=$((fill_mb + 64))
[ "$(vstat mem_limit)" -ge $((want * 1048576)) ] || "$ctl" limit "${want}M" >/dev/null
truncate -s $((fill_mb + 160))M "$img"
mkfs.ext4 -q -F -m 0 -E lazy_itable_init=1,lazy_journal_init=1 "$img"
mount -o loop,noatime "$img" "$ext4"
mount -t tmpfs -o size=$((fill_mb + 32))m,mode=0700 tmpfs "$shm"
loopdev=$(findmnt -n -o SOURCE "$ext4")

fill() {
	local holder=$1 i
	for ((i = 0; i < pieces; i++)); do
		case $holder in
		vcache)
			# Its note "no MPEG-TS video stream" only when it fails.
			"$hogbin" gen $((piece_mb * 1048576)) "$i" |
				"$ctl" load "reclaim-$i" - --capacity "${piece_mb}M" \
				>/dev/null 2>"$tmp/load.err" || { cat "$tmp/load.err" >&2; exit 1; } ;;
		none) return ;;
		ext4) "$hogbin" gen $((piece_mb * 1048576)) "$i" >"$ext4/v$i" ;;
		tmpfs) "$hogbin" gen $((piece_mb * 1048576)) "$i" >"$shm/v$i" ;;
		esac
	done
	sync
}

# What the holder holds now, in MiB.
held() {
	case $1 in
	none) echo 0 ;;
	vcache) stats=$("$ctl" -j stats); echo $(($(vstat mem_used) / 1048576)) ;;
	ext4) resident "$ext4" ;;
	tmpfs) resident "$shm" ;;
	esac
}

empty_all
settle
avail0=$(meminfo MemAvailable)
hog_mb=$((avail0 - fill_mb + need_mb))
kver=$(uname -r)
{
	echo "kernel=$kver"
	echo "memtotal_mib=$(meminfo MemTotal) memavailable_empty_mib=$avail0"
	echo "fill_mib=$fill_mb need_mib=$need_mb hog_mib=$hog_mb reps=$reps"
	echo "ext4=$loopdev over $img ($outfs), loop direct I/O: $(losetup -n -O DIO "$loopdev" | tr -d ' ')"
	stats=$("$ctl" -j stats)
	echo "vcache max_mb=$limit0 at start (0: a quarter of RAM), limit $(($(vstat mem_limit) / 1048576)) MiB for the run"
} | tee "$out/reclaim-setup.txt"

echo "$me: OOM kills expected from here on (the tmpfs holder cannot give memory back)" >/dev/kmsg

csv=$out/reclaim-runs.csv
cols="rep holder result secs touched_mib hog_mib fill_secs held_before_mib held_after_mib"
cols+=" given_mib cached_before_mib cached_after_mib shmem_before_mib shmem_after_mib"
cols+=" memfree_before_mib memavail_before_mib evict_pressure shrink_mib"
cols+=" pgscan pgsteal pgscan_file pgscan_anon pgsteal_file pgsteal_anon allocstall"
cols+=" slabs_scanned compact_stall pgmajfault oom_kill"
echo "${cols// /,}" >"$csv"

for ((r = 1; r <= reps; r++)); do
	for holder in none vcache ext4 tmpfs; do
		empty_all
		settle
		t0=$(date +%s.%N)
		fill "$holder"
		t1=$(date +%s.%N)
		fill_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		stats=$("$ctl" -j stats)
		ep0=$(vstat evictions_pressure) sp0=$(vstat shrink_pages)
		hb=$(held "$holder")
		cb=$(meminfo Cached) sb=$(meminfo Shmem)
		fb=$(meminfo MemFree) ab=$(meminfo MemAvailable)
		line=$("$hogbin" hog $((hog_mb * 1048576)) "$timeout")
		ha=$(held "$holder")
		ca=$(meminfo Cached) sa=$(meminfo Shmem)
		stats=$("$ctl" -j stats)
		ep=$(($(vstat evictions_pressure) - ep0))
		sp=$((($(vstat shrink_pages) - sp0) * 4096 / 1048576))
		# result=... secs=... touched_mib=... pgscan_kswapd=... ...
		declare -A h=()
		for kv in $line; do h[${kv%%=*}]=${kv#*=}; done
		printf '%s %-6s %s\n' "$r" "$holder" "$line" >>"$out/reclaim-raw.txt"
		row=("$r" "$holder" "${h[result]}" "${h[secs]}" "${h[touched_mib]}" "$hog_mb"
			"$fill_secs" "$hb" "$ha" $((hb - ha)) "$cb" "$ca" "$sb" "$sa" "$fb" "$ab" "$ep" "$sp"
			$((h[pgscan_kswapd] + h[pgscan_direct])) $((h[pgsteal_kswapd] + h[pgsteal_direct]))
			"${h[pgscan_file]}" "${h[pgscan_anon]}" "${h[pgsteal_file]}" "${h[pgsteal_anon]}"
			$((h[allocstall_normal] + h[allocstall_movable])) "${h[slabs_scanned]}"
			"${h[compact_stall]}" "${h[pgmajfault]}" "${h[oom_kill]}")
		(IFS=,; echo "${row[*]}") >>"$csv"
		printf '%s: rep %d %-6s %-10s %7.3f s  touched %6.1f/%d MiB  held %d -> %d MiB  pgscan %d pgsteal %d oom_kill %d\n' \
			"$me" "$r" "$holder" "${h[result]}" "${h[secs]}" "${h[touched_mib]}" "$hog_mb" \
			"$hb" "$ha" $((h[pgscan_kswapd] + h[pgscan_direct])) \
			$((h[pgsteal_kswapd] + h[pgsteal_direct])) "${h[oom_kill]}" >&2
		unset h
	done
done
empty_all

# --- summary -----------------------------------------------------------------

# med COL HOLDER: "median (min-max)" of the column over the holder's runs.
med() { bench_med "$csv" "$1" holder "$2"; }
results() {
	awk -F, -v hd="$1" 'NR > 1 && $2 == hd { c[$3]++; n++ }
		END { s = ""; for (k in c) s = s (s ? ", " : "") c[k] "/" n " " k; print s }' "$csv"
}
# ratio A B [BASE]: per repetition, A's hog time / B's (with BASE, what each
# took over BASE's: the part reclaim added); "median (min-max)".
ratio() {
	awk -F, -v a="$1" -v b="$2" -v base="${3:-}" '
		NR > 1 && $2 == a { x[$1] = $4 }
		NR > 1 && $2 == b { y[$1] = $4 }
		NR > 1 && $2 == base { z[$1] = $4 }
		END {
			for (r in x) {
				if (!(r in y) || (base != "" && !(r in z)))
					continue
				d = base != "" ? z[r] : 0
				if (y[r] - d > 0)
					v[n++] = (x[r] - d) / (y[r] - d)
			}
			if (!n) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%.2f (%.2f-%.2f)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$csv"
}

md=$out/reclaim.md
{
	echo "Reclaim under pressure: kernel $kver, MemTotal $(meminfo MemTotal) MiB, no swap;"
	echo "$fill_mb MiB held, MemAvailable with nothing held $avail0 MiB, hog $hog_mb MiB"
	echo "(so $need_mb MiB must come back from the holder); $reps repetitions, interleaved."
	echo
	echo "| holder | hog result | hog time s | fill s | held before MiB | given back MiB | shrinker MiB | evictions (pressure) | pgscan | pgsteal | slabs_scanned | allocstall | Cached before→after MiB | Shmem before→after MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for holder in none vcache ext4 tmpfs; do
		echo "| $holder | $(results $holder) | $(med secs $holder) | $(med fill_secs $holder) | $(med held_before_mib $holder) | $(med given_mib $holder) | $(med shrink_mib $holder) | $(med evict_pressure $holder) | $(med pgscan $holder) | $(med pgsteal $holder) | $(med slabs_scanned $holder) | $(med allocstall $holder) | $(med cached_before_mib $holder) → $(med cached_after_mib $holder) | $(med shmem_before_mib $holder) → $(med shmem_after_mib $holder) |"
	done
	echo
	echo "Medians (min-max). Hog time: from fork to the last page touched, or to the"
	echo "hog's death (OOM kill). Per repetition, hog time ratios:"
	echo
	echo "RATIO reclaim_vcache_over_ext4 $(ratio vcache ext4)"
	echo "RATIO reclaim_added_vcache_over_ext4 $(ratio vcache ext4 none)"
	echo "RATIO reclaim_tmpfs_over_ext4 $(ratio tmpfs ext4)"
	echo
	echo "added: each hog time minus the same repetition's hog with nothing held"
	echo "(none), the time reclaim added. tmpfs: time to the OOM kill when it failed."
} >"$md"
cat "$md"
