# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the bench scripts that pit vcache-streamer against nginx
# (serve-bench.sh, hls-serve-bench.sh, seek-bench.sh, serve-count.sh):
# nginx's configuration, starting it, and a server's CPU time; and by the
# scripts that summarise runs (fill-bench.sh, reclaim-bench.sh): bench_med.
# Sourced.

# bench_whole_numbers ME VAR...: each VAR (an option's value, named as
# the option is with - for _) a positive whole number, or a one-line error
# "ME: --OPTION wants ..." and exit 1.
bench_whole_numbers() {
	local me=$1 v

	shift
	for v; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] ||
			{ echo "$me: --${v//_/-} wants a positive whole number, not '${!v}'" >&2; exit 1; }
	done
}

# bench_med CSV COL KEYCOL KEY: "median (min-max)" of column COL (by its
# header name) over the rows whose column KEYCOL is KEY; "-" when none.
bench_med() {
	awk -F, -v col="$2" -v kc="$3" -v key="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == kc) k = i } next }
		$k == key { v[n++] = $c }
		END {
			if (!n) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
			if (n == 1) printf "%s\n", v[0]
			else printf "%s (%s-%s)\n", v[int(n / 2)], v[0], v[n - 1]
		}' "$1"
}

# bench_nginx_conf DIR ROOT PORT [HTTP_EXTRA [SERVER_EXTRA]]: DIR/nginx.conf
# for nginx -p DIR: 2 workers in the foreground, as root, no access log,
# sendfile and tcp_nopush on, serving ROOT on 127.0.0.1:PORT; HTTP_EXTRA
# and SERVER_EXTRA are added to the http and server blocks.
bench_nginx_conf() {
	local dir=$1 root=$2 port=$3 http_extra=${4:-} server_extra=${5:-}
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<EOF2
daemon off;
master_process on;
worker_processes 2;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
$http_extra
	default_type application/octet-stream;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$port reuseport;
		root $root;
$server_extra
	}
}
EOF2
}

# bench_nginx DIR ERRFILE: nginx with DIR/nginx.conf, in the background;
# its master's pid in BENCH_NGINX_PID.
bench_nginx() {
	nginx -p "$1" -e "$1/error.log" -c "$1/nginx.conf" 2>"$2" &
	# shellcheck disable=SC2034 # for the caller
	BENCH_NGINX_PID=$!
}

# cpu_ticks PID: CPU ticks (utime + stime) of a server: the process (all
# its threads) and its children (nginx's workers).
cpu_ticks() {
	local p t=0 v
	for p in $1 $(pgrep -P "$1" || true); do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo $t
}

# bench_wait_range NAME PORT PATH FILE ERRFILE: waits (BENCH_WAIT_TRIES
# tries 0.2 s apart, default 100: 20 s and more) until
# the server on PORT answers a Range of PATH with FILE's bytes there; else
# says so with ERRFILE's tail and fails.
bench_wait_range() {
	local want got i
	want=$(dd if="$4" bs=4096 skip=1000 count=64 2>/dev/null | sha256sum)
	for i in $(seq "${BENCH_WAIT_TRIES:-100}"); do
		got=$(curl -s --max-time 20 -r 4096000-4358143 "http://127.0.0.1:$2$3" |
			sha256sum) || true
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "$1 does not serve the right bytes (after $i tries)" >&2
	tail -5 "$5" >&2 2>/dev/null
	return 1
}

# bench_need PROG STREAMER CTL TOOL...: the tools on PATH, the streamer and
# vcachectl built, /dev/vcache there; else says which is missing, as PROG,
# and exits.
bench_need() {
	local prog=$1 f t
	for t in "${@:4}"; do
		command -v "$t" >/dev/null ||
			{ echo "$prog: $t missing (scripts/install-deps)" >&2; exit 1; }
	done
	for f in "$2" "$3"; do
		[ -x "$f" ] || { echo "$prog: $f missing: make first" >&2; exit 1; }
	done
	[ -c /dev/vcache ] || { echo "$prog: no /dev/vcache" >&2; exit 1; }
}

# bench_cpu_run PROG SERVER PID CMD...: runs the client CMD against the
# server PID; prints "ticks JSON": the server's CPU ticks over the run and
# the client's "WRK {json}" line. Fails (saying so, as PROG) when the
# server died or the client gave no such line.
bench_cpu_run() {
	local prog=$1 s=$2 pid=$3 c0 c1 line
	shift 3
	c0=$(cpu_ticks "$pid")
	line=$("$@" | grep "^WRK " || true)
	c1=$(cpu_ticks "$pid")
	kill -0 "$pid" 2>/dev/null || { echo "$prog: $s died" >&2; return 1; }
	[ -n "$line" ] || { echo "$prog: $(basename "$1") failed against $s" >&2; return 1; }
	echo "$((c1 - c0)) ${line#WRK }"
}
