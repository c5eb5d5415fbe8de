#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Read-through fill (issue 17, item 7): on ext4 with the page cache dropped,
# the time to first byte of a miss (vcache-streamer --origin fills the video)
# against a hit, and the throughput and CPU of three ways to read a large
# file cold: the streamer's fill (kernel AIO + O_DIRECT into the video's
# mapping, user/lib/load.c), a plain buffered read(2) loop into a vcache video
# (bench/fill_read.c) and `cat FILE > /dev/null`.
#
# usage: bench/fill-bench.sh [--size-mb N] [--reps R] [--ttfb-mb M]
#                            [--ttfb-reps T] OUTDIR   (defaults: 1024, 3, 32, 7)
# Needs root, /dev/vcache (run it in the VM as make bench-fill does:
# scripts/vm-run -k 6.12 --mem 3G), build/user/{vcachectl,vcache-streamer},
# build/bench/{fill_read,reclaim_hog}, mkfs.ext4, curl, strace.
#
# The disk: a virtio block device whose serial is "fillbench" if the guest
# has one (make bench-fill gives QEMU a sparse image in build/ with
# cache=none, so the host's page cache is not in the way: a cold read in the
# guest is a read of the host's disk), ext4 made on it directly; without one,
# a loop device over a file on the guest's tmpfs (memory-speed "disk": then
# the comparison is of CPU cost and system call paths only). Fresh ext4,
# inode tables and journal initialised at mkfs (no lazy init writing during
# the runs), mounted noatime.
#
# Method. The files are pseudo-random bytes (reclaim_hog gen), written and
# synced once. Before every cold measurement: the videos of the earlier one
# deleted, sync, echo 3 > /proc/sys/vm/drop_caches.
#  TTFB: T repetitions of (delete the video, drop caches, GET /v/ttfb.bin:
#    a miss that fills, whole body; wait until vcachectl info says sealed;
#    GET it again: a hit), curl's time_starttransfer and time_total; the
#    access log must say cache=miss then cache=hit for each.
#  Throughput: R repetitions of the three methods, the order rotated each
#    repetition; each timed from its start (the fill: curl asks for the last
#    byte, which the streamer can answer only when the fill has committed it)
#    to the end (the fill: sealed, seen by vcachectl info). CPU: the worker
#    process's utime+stime (the streamer's from /proc/PID/stat, fill_read's
#    and cat's from bash's `time`), and the whole system's busy time from
#    /proc/stat (everything not idle or iowait, on both vCPUs: loop and
#    block-layer work in kernel threads, softirqs, the AIO completions that
#    run in interrupt context, and this script's own polling). Bytes read
#    from the device: /sys/block/DEV/stat. Then one more run of each under
#    strace -c -f (untimed): the system calls of each method.
#  The videos' first and last MiB are compared with the file (byte-exact).
#
# Writes OUTDIR/fill-runs.csv (every run), fill-ttfb.csv, fill-strace.txt,
# fill-setup.txt and fill.md (medians, min-max, RATIO lines); prints fill.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
size_mb=1024 reps=3 ttfb_mb=32 ttfb_reps=7
while [ $# -gt 1 ]; do
	case $1 in
	--size-mb) size_mb=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--ttfb-mb) ttfb_mb=$2; shift 2 ;;
	--ttfb-reps) ttfb_reps=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '11,12p' "$0" >&2; exit 2; }
out=$1
me=fill-bench
die() { echo "$me: $*" >&2; exit 1; }
bench_whole_numbers $me size_mb reps ttfb_mb ttfb_reps
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

ctl=$ROOT/build/user/vcachectl
streamer=$ROOT/build/user/vcache-streamer
reader=$ROOT/build/bench/fill_read
gen=$ROOT/build/bench/reclaim_hog
for f in "$ctl" "$streamer" "$reader" "$gen"; do
	[ -x "$f" ] || die "$f missing: make first"
done
[ -c /dev/vcache ] || die "no /dev/vcache (run it in the VM: make bench-fill)"
[ "$(id -u)" = 0 ] || die "needs root (mkfs, mount, drop_caches)"
for t in mkfs.ext4 curl strace losetup; do
	command -v $t >/dev/null || die "$t missing"
done
modprobe virtio_blk 2>/dev/null || true
modprobe loop 2>/dev/null || true
modprobe ext4 2>/dev/null || true

tmp=$(mktemp -d /tmp/$me.XXXXXX)
mnt=$tmp/ext4
origin=$mnt/origin
mkdir -p "$mnt"
port=18190
url=http://127.0.0.1:$port
big=big.bin small=ttfb.bin plain=fillread-big.bin
spid="" limit0=""
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; } || true
	for n in $big $small $plain; do
		"$ctl" rm "$n" >/dev/null 2>&1 || true
	done
	[ -z "$limit0" ] || echo "$limit0" >/sys/module/vcache/parameters/max_mb || true
	umount "$mnt" 2>/dev/null || true
	[ -z "${loopdev:-}" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- the disk and the files ----------------------------------------------------

dev="" backing=""
for s in /sys/block/vd*/serial; do
	if [ ! -r "$s" ] || [ "$(cat "$s")" != fillbench ]; then
		continue
	fi
	d=${s%/serial}
	dev=/dev/${d##*/}
	backing="virtio-blk disk $dev (QEMU raw image, cache=none)"
done
loopdev=""
if [ -z "$dev" ]; then
	mkdir -p "$tmp/shm"
	mount -t tmpfs -o size=$((size_mb + ttfb_mb + 200))m tmpfs "$tmp/shm"
	truncate -s $((size_mb + ttfb_mb + 160))M "$tmp/shm/ext4.img"
	loopdev=$(losetup -f --show "$tmp/shm/ext4.img")
	dev=$loopdev
	backing="loop device $dev over a file on the guest's tmpfs (memory-speed)"
fi
disk=${dev##*/}
mkfs.ext4 -q -F -m 0 -E lazy_itable_init=0,lazy_journal_init=0 "$dev"
mount -o noatime "$dev" "$mnt"
mkdir -p "$origin"
"$gen" gen $((size_mb * 1048576)) 1 >"$origin/$big"
"$gen" gen $((ttfb_mb * 1048576)) 2 >"$origin/$small"
sync
size=$((size_mb * 1048576))

# The cache must take the large video twice (a deleted video stays in memory
# while the streamer still has it open), with room for the small one.
limit0=$(cat /sys/module/vcache/parameters/max_mb)
limit_mb=$((2 * size_mb + ttfb_mb + 64))
"$ctl" limit "${limit_mb}M" >/dev/null
for n in $big $small $plain; do
	"$ctl" rm "$n" >/dev/null 2>&1 || true
done

hz=$(getconf CLK_TCK)
kver=$(uname -r)
{
	echo "kernel=$kver"
	echo "memtotal_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) cpus=$(nproc)"
	echo "disk=$backing"
	echo "ext4 on $dev: $(findmnt -n -o OPTIONS "$mnt")"
	echo "logical_block_size=$(cat /sys/block/"$disk"/queue/logical_block_size)"
	echo "file=$big ${size_mb} MiB, ttfb file=$small ${ttfb_mb} MiB; reps=$reps ttfb_reps=$ttfb_reps"
	echo "vcache max_mb=$limit0 at start (0: a quarter of RAM), $limit_mb MiB for the run"
} | tee "$out/fill-setup.txt"

"$streamer" --listen 127.0.0.1:$port --threads 2 --log "$tmp/access.log" \
	--origin "$origin" 2>"$tmp/streamer.err" &
spid=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "$url/origin/" && break
	sleep 0.1
done
curl -s -o /dev/null "$url/origin/" || { cat "$tmp/streamer.err" >&2; die "the streamer did not come up"; }

# sealed NAME: until vcachectl info says NAME is sealed (60 s at most).
sealed() {
	local i

	for ((i = 0; i < 600; i++)); do
		[[ $("$ctl" info -j "$1" 2>/dev/null) == *'"state": "sealed"'* ]] && return 0
		sleep 0.1
	done
	die "$1 not sealed after 60 s"
}
cold() {
	local n

	for n in "$@"; do
		"$ctl" rm "$n" >/dev/null 2>&1 || true
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
}
# What is sampled around a run is read by bash builtins into globals, no
# process started (under TCG a fork + exec costs tens of ms of CPU, which
# the system-wide figures would count).
# Busy ticks of the whole system (all CPUs): SU user + nice, SK system + irq
# + softirq (idle, iowait and steal left out).
sys_busy() {
	local -a c

	read -r -a c </proc/stat	# cpu user nice system idle iowait irq softirq ...
	SU=$((c[1] + c[2])) SK=$((c[3] + c[6] + c[7]))
}
# A process's PU utime and PS stime in ticks, its threads included.
proc_cpu() {
	local -a p

	read -r -a p <"/proc/$1/stat"
	PU=${p[13]} PS=${p[14]}
}
# DR: bytes read from the disk so far.
disk_read() {
	local -a d

	read -r -a d <"/sys/block/$disk/stat"
	DR=$((d[2] * 512))
}
# ticks A0 A1: (A1 - A0) ticks in seconds.
ticks() { awk -v a="$1" -v b="$2" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# same NAME FILE: the video's first and last MiB are the file's (the guest
# has no /dev/fd: no process substitution).
same() {
	local n=$1 f=$2

	head -c 1048576 "$f" >"$tmp/want"
	curl -s -r 0-1048575 "$url/v/$n" | cmp -s - "$tmp/want" || die "video $n is not $f"
	tail -c 1048576 "$f" >"$tmp/want"
	curl -s -r $(($(stat -c %s "$f") - 1048576))- "$url/v/$n" | cmp -s - "$tmp/want" ||
		die "video $n is not $f"
}

# --- time to first byte: a miss that fills, then a hit -------------------------

tcsv=$out/fill-ttfb.csv
echo "rep,kind,code,ttfb_s,total_s" >"$tcsv"
w='%{http_code} %{time_starttransfer} %{time_total}'
for ((r = 1; r <= ttfb_reps; r++)); do
	cold $small
	read -r code tf tt <<<"$(curl -s -o /dev/null -w "$w" "$url/v/$small")"
	[ "$code" = 200 ] || die "miss: HTTP $code"
	echo "$r,miss,$code,$tf,$tt" >>"$tcsv"
	sealed $small
	read -r code tf tt <<<"$(curl -s -o /dev/null -w "$w" "$url/v/$small")"
	[ "$code" = 200 ] || die "hit: HTTP $code"
	echo "$r,hit,$code,$tf,$tt" >>"$tcsv"
done
same $small "$origin/$small"
for _ in $(seq 100); do
	[ "$(grep -c " /v/$small .*cache=hit" "$tmp/access.log")" -ge "$ttfb_reps" ] && break
	sleep 0.1
done
misses=$(grep -c " /v/$small .*cache=miss" "$tmp/access.log" || true)
hits=$(grep -c " /v/$small .*cache=hit" "$tmp/access.log" || true)
[ "$misses" -lt "$ttfb_reps" ] || [ "$hits" -lt "$ttfb_reps" ] &&
	die "the access log has $misses cache=miss and $hits cache=hit for $small, not $ttfb_reps each"

# --- fill throughput: three methods, cold, interleaved -------------------------

csv=$out/fill-runs.csv
echo "rep,method,secs,proc_user_s,proc_sys_s,proc_cpu_s,sys_user_s,sys_kernel_s,sys_cpu_s,disk_bytes" >"$csv"
TIMEFORMAT='%R %U %S'
methods=(fill read cat)
for ((r = 1; r <= reps; r++)); do
	for ((i = 0; i < 3; i++)); do
		m=${methods[$(((i + r - 1) % 3))]}
		cold $big $plain
		sys_busy
		su0=$SU sk0=$SK
		disk_read
		d0=$DR
		case $m in
		fill)
			proc_cpu $spid
			pu0=$PU ps0=$PS
			t0=$EPOCHREALTIME
			code=$(curl -s -o /dev/null -w '%{http_code}' -r $((size - 1))-$((size - 1)) "$url/v/$big")
			[ "$code" = 206 ] || die "fill: HTTP $code for the last byte"
			sealed $big
			t1=$EPOCHREALTIME
			proc_cpu $spid
			pu1=$PU ps1=$PS
			secs=$(sub "$t0" "$t1")
			u=$(ticks "$pu0" "$pu1") s=$(ticks "$ps0" "$ps1")
			;;
		read)
			if ! { time "$reader" "$origin/$big" $plain >"$tmp/reader.out"; } 2>"$tmp/time"; then
				cat "$tmp/time" >&2
				die "fill_read failed"
			fi
			read -r secs u s <"$tmp/time"
			;;
		cat)
			{ time cat "$origin/$big" >/dev/null; } 2>"$tmp/time"
			read -r secs u s <"$tmp/time"
			;;
		esac
		sys_busy
		su1=$SU sk1=$SK
		disk_read
		db=$((DR - d0))
		pcpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
		su=$(ticks "$su0" "$su1") sk=$(ticks "$sk0" "$sk1")
		scpu=$(awk -v u="$su" -v s="$sk" 'BEGIN { printf "%.3f", u + s }')
		echo "$r,$m,$secs,$u,$s,$pcpu,$su,$sk,$scpu,$db" >>"$csv"
		printf '%s: rep %d %-4s %7.3f s  process CPU %6.3f s (user %s)  system CPU %6.3f s (user %s)  disk read %d MiB\n' \
			"$me" "$r" "$m" "$secs" "$pcpu" "$u" "$scpu" "$su" $((db / 1048576)) >&2
		# After the measurement: the video holds the file's bytes.
		case $m in
		fill) same $big "$origin/$big" ;;
		read) same $plain "$origin/$big" ;;
		esac
	done
done

# --- system calls: one more run of each under strace -c -f ----------------------

st=$out/fill-strace.txt
: >"$st"
kill "$spid"
wait "$spid" 2>/dev/null || true
spid=""
cold $big $plain
strace -c -f -o "$tmp/strace-fill" "$streamer" --listen 127.0.0.1:$port --threads 2 \
	--quiet --origin "$origin" 2>"$tmp/streamer-strace.err" &
tpid=$!
for _ in $(seq 300); do
	curl -s -o /dev/null "$url/origin/" && break
	sleep 0.1
done
curl -s -o /dev/null -r $((size - 1))-$((size - 1)) "$url/v/$big"
sealed $big
kill "$(ps -o pid= --ppid $tpid)"
wait $tpid 2>/dev/null || true
cold $big $plain
strace -c -f -o "$tmp/strace-read" "$reader" "$origin/$big" $plain >/dev/null
cold $big $plain
strace -c -f -o "$tmp/strace-cat" cat "$origin/$big" >/dev/null
for m in fill read cat; do
	echo "== $m (strace -c -f)" >>"$st"
	cat "$tmp/strace-$m" >>"$st"
done
# strace -c columns: % time, seconds, usecs/call, calls, [errors,] syscall.
count() {
	awk -v s="$1" '$NF == s { print $4; found = 1 } END { if (!found) print 0 }' "$tmp/strace-$2"
}
total() { awk '$NF == "total" { print $4 }' "$tmp/strace-$1"; }

# --- summary ---------------------------------------------------------------------

# per_gb METHOD COL: median (min-max) of COL per GiB read.
per_gb() {
	awk -F, -v m="$1" -v col="$2" -v sz="$size" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$2 == m { v[n++] = $c * 1073741824 / sz }
		END {
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%.2f (%.2f-%.2f)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$csv"
}
# per_gb1 METHOD COL: the median alone.
per_gb1() { per_gb "$1" "$2" | cut -d' ' -f1; }
mibs() {
	awk -F, -v m="$1" -v sz="$size" '
		NR > 1 && $2 == m && $3 > 0 { v[n++] = sz / 1048576 / $3 }
		END {
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%.0f (%.0f-%.0f)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$csv"
}
# ratio A B COL: per repetition, A's COL / B's; "median (min-max)".
ratio() {
	awk -F, -v a="$1" -v b="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$2 == a { x[$1] = $c }
		$2 == b { y[$1] = $c }
		END {
			for (r in x) if ((r in y) && y[r] > 0) v[n++] = x[r] / y[r]
			if (!n) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%.2f (%.2f-%.2f)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$csv"
}
ttfb_ratio() {
	awk -F, 'NR > 1 && $2 == "miss" { m[$1] = $4 } NR > 1 && $2 == "hit" { h[$1] = $4 }
		END {
			for (r in m) if ((r in h) && h[r] > 0) v[n++] = m[r] / h[r]
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%.1f (%.1f-%.1f)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$tcsv"
}
ms() { awk '{ printf "%.1f", $1 * 1000 }' <<<"$1"; }
msr() {
	local m lo hi
	read -r m lo hi <<<"$(bench_med "$tcsv" "$1" kind "$2" | tr '()-' '   ')"
	echo "$(ms "$m") ($(ms "${lo:-$m}")-$(ms "${hi:-$m}"))"
}

md=$out/fill.md
{
	echo "Read-through fill: kernel $kver, $(nproc) vCPUs, MemTotal $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) MiB;"
	echo "ext4 on a $backing; page cache dropped before every cold run."
	echo
	echo "Time to first byte, $ttfb_reps interleaved repetitions (a ${ttfb_mb} MiB file; miss: deleted, caches dropped, filled):"
	echo
	echo "| request | TTFB ms | whole body ms |"
	echo "|---|---:|---:|"
	echo "| miss (cache=miss, fills) | $(msr ttfb_s miss) | $(msr total_s miss) |"
	echo "| hit (cache=hit) | $(msr ttfb_s hit) | $(msr total_s hit) |"
	echo
	echo "A ${size_mb} MiB file read cold, $reps repetitions, the order rotated each:"
	echo
	echo "| method | s | MiB/s | process CPU s/GiB (user + sys) | system CPU s/GiB (user + kernel) | disk MiB read | syscalls (strace -c -f, one run) |"
	echo "|---|---:|---:|---:|---:|---:|---|"
	for m in fill read cat; do
		case $m in
		fill) label="streamer fill (AIO + O_DIRECT)"
			sc="io_submit $(count io_submit fill), io_getevents $(count io_getevents fill), read $(count read fill), total $(total fill)" ;;
		read) label="fill_read (buffered read(2) into the video)"
			sc="read $(count read read), total $(total read)" ;;
		cat) label="cat FILE > /dev/null"
			sc="read $(count read cat), write $(count write cat), total $(total cat)" ;;
		esac
		db=$(awk -F, -v m="$m" 'NR > 1 && $2 == m { v[n++] = $NF / 1048576 }
			END { for (i = 0; i < n; i++) { if (!i || v[i] < lo) lo = v[i]; if (!i || v[i] > hi) hi = v[i] }
				printf "%.0f-%.0f\n", lo, hi }' "$csv")
		echo "| $label | $(bench_med "$csv" secs method "$m") | $(mibs "$m") | $(per_gb "$m" proc_cpu_s) ($(per_gb1 "$m" proc_user_s) + $(per_gb1 "$m" proc_sys_s)) | $(per_gb "$m" sys_cpu_s) ($(per_gb1 "$m" sys_user_s) + $(per_gb1 "$m" sys_kernel_s)) | $db | $sc |"
	done
	echo
	echo "Medians (min-max); in parentheses the medians of the parts. Process CPU: the"
	echo "worker's utime + stime (the streamer, all its threads; fill_read; cat). System"
	echo "CPU: /proc/stat busy time of both vCPUs, user + nice and system + irq + softirq"
	echo "(kernel threads, interrupts, curl and this script's polling included). Ratios"
	echo "per repetition, median (min-max):"
	echo
	echo "RATIO fill_ttfb_miss_over_hit $(ttfb_ratio)"
	echo "RATIO fill_time_aio_over_read $(ratio fill read secs)"
	echo "RATIO fill_time_aio_over_cat $(ratio fill cat secs)"
	echo "RATIO fill_proc_cpu_aio_over_read $(ratio fill read proc_cpu_s)"
	echo "RATIO fill_sys_cpu_aio_over_read $(ratio fill read sys_cpu_s)"
	echo "RATIO fill_sys_cpu_aio_over_cat $(ratio fill cat sys_cpu_s)"
} >"$md"
cat "$md"
