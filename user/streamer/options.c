// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the top, beside main.c. The command line: --help,
 * each option checked and put into cfg (streamer.h), the token file read.
 * A bad value is a one-line message and exit status 2, before any thread
 * or socket exists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "handler.h"
#include "parse.h"
#include "streamer.h"

#define DEFAULT_LISTEN	"127.0.0.1:8080"

static int usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n\n"
		"Serves the videos of /dev/vcache over HTTP/1.1: GET/HEAD /v/NAME (Range,\n"
		"If-Range, If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since),\n"
		"/v/NAME?t=HH:MM:SS:FF (from the keyframe at or before; HH:MM:SS;FF for\n"
		"drop-frame, or seconds \"12.5\", or 90 kHz ticks \"1125000t\", as vcachectl\n"
		"seek), /v/NAME?loop=N (N passes, 0 for ever, chunked), GET /v/ (a JSON list\n"
		"of the cache), /live/ (counters), /hls/NAME/{master,index,iframes}.m3u8[?seg=S].\n"
		"Live: PUT or POST /live/NAME[?fps=RATE] ingests (Content-Length or chunked);\n"
		"GET /live/NAME follows from the latest keyframe (?t=TC: a timecode); a Range\n"
		"bytes=A-B: 206 from the ring, 416 outside; /hls/NAME/index.m3u8 is its playlist.\n"
		"GET / is the player page, /web/FILE its files (--web DIR).\n\n"
		"Options:\n"
		"  --listen ADDR:PORT     where to listen (default " DEFAULT_LISTEN
		"; [::1]:8080 for IPv6)\n"
		"  --send PATH            splice (default), sendfile, mmap, copy or aio: how\n"
		"                         video bytes reach the socket\n"
		"  --threads N            worker threads, each with its own socket and epoll\n"
		"                         loop (default: one per CPU)\n"
		"  --device PATH          the vcache device (default " DEFAULT_DEVICE ")\n"
		"  --log FILE             access log to FILE (reopened on SIGHUP), not stdout\n"
		"  --quiet                no access log\n"
		"  --max-header-bytes N   largest request head (default 8K): 431 beyond\n"
		"  --header-timeout SEC   a request head must arrive within (default 10): 408\n"
		"  --idle-timeout SEC     a kept-alive connection may idle (default 60)\n"
		"  --send-timeout SEC     a response may make no progress (default 30)\n"
		"  --drain-timeout SEC    on SIGINT/SIGTERM, responses under way get (default 10)\n"
		"  --max-conns N          open connections, all threads (default 10000): 503\n"
		"  --live-capacity SIZE   ring of a live stream PUT /live/NAME creates\n"
		"                         (default 64M; the last quarter is the landing zone)\n"
		"  --live-fps RATE        its frame rate unless the PUT says ?fps= (default\n"
		"                         30000/1001): timecodes of ?t= count in it\n"
		"  --live-sndbuf SIZE     socket send buffer of live viewers (default: the\n"
		"                         kernel's autotuning); bounds their lag\n"
		"  --live-max-streams N   live streams being written at once (default 8): 503\n"
		"  --live-budget SIZE     live rings, written or ended, kept in the cache\n"
		"                         (default: --live-max-streams rings); ended streams\n"
		"                         are deleted oldest first to make room, so live\n"
		"                         rings never push videos on demand out: 507 if full\n"
		"  --ingest-allow NET     who may publish: an address or NET/BITS, repeatable\n"
		"                         (default: the loopback only, unless tokens are set)\n"
		"  --ingest-token-file F  publishing needs Authorization: Bearer TOKEN, the\n"
		"                         tokens in F: lines TOKEN (any stream) or NAME TOKEN\n"
		"                         (16+ characters; 401 without)\n"
		"  --web DIR              serve DIR's files at /web/FILE and DIR/player.html\n"
		"                         at / (the player page; read once, at start)\n"
		"  --origin DIR           a GET/HEAD of /v/NAME that misses the cache fills it\n"
		"                         from DIR/NAME (regular files beneath DIR only) and\n"
		"                         is served as it fills; repeatable, first match wins;\n"
		"                         counters at GET /origin/\n"
		"  --node-name NAME       this node's name in an X-Vcache-Node header on every\n"
		"                         response and in GET /health (200 when the device\n"
		"                         answers, else 503: for a load balancer's checks)\n"
		"  --origin-ttl SECONDS   re-check a filled file's size and times at most this\n"
		"                         often (default 60; 0: at every request); a changed\n"
		"                         file is deleted from the cache and filled again\n"
		"  -h, --help             this help\n\n"
		"SIGINT/SIGTERM: finish the responses under way, then exit 0. SIGHUP: reopen\n"
		"the log. On exit, the bytes sent by each send path go to stderr.\n");
	return f == stderr ? 2 : 0;
}

/* "10", "0.5", "2.25": seconds, to the millisecond, > 0. */
static int parse_secs(const char *s, uint64_t *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && whole < 10000000)
		whole = whole * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && scale > 1) {
			scale /= 10;
			frac += (*p++ - '0') * scale;
		}
	}
	if (*p || whole >= 10000000 || !(whole * 1000 + frac))
		return -1;
	*ms = whole * 1000 + frac;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_size(s, &v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080", ":8080" (every address), "localhost:0". */
static int parse_listen(const char *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	char host[256];
	const char *colon, *port;
	int err;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon || (size_t)(colon - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, colon - s - 1);
		host[colon - s - 1] = '\0';
		port = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
		port = colon + 1;
	}
	if (!*port)
		return -1;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": --listen %s: %s\n", s, gai_strerror(err));
		return -1;
	}
	memcpy(&cfg.addr, ai->ai_addr, ai->ai_addrlen);
	cfg.addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* --ingest-token-file: read once at start; a bad line is a startup error. */
static int read_tokens(const char *path)
{
	char *text, why[128];
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > (1 << 20)) {
		fprintf(stderr, PROG ": --ingest-token-file %s: larger than 1 MiB\n", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 0044)
		fprintf(stderr, PROG ": warning: --ingest-token-file %s is readable by other "
			"users\n", path);
	text = malloc(st.st_size + 1);
	n = text ? read(fd, text, st.st_size) : -1;
	close(fd);
	if (n < 0) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, strerror(errno));
		free(text);
		return -1;
	}
	err = ingest_auth_parse_tokens(&cfg.ingest, text, n, why, sizeof(why));
	memset(text, 0, n);
	free(text);
	if (err) {
		fprintf(stderr, PROG ": --ingest-token-file %s: %s\n", path, why);
		return -1;
	}
	if (!cfg.ingest.ntokens) {
		fprintf(stderr, PROG ": --ingest-token-file %s: no token in it\n", path);
		return -1;
	}
	return 0;
}

enum {
	OPT_MAX_HEADER = 256,
	OPT_HEADER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_LIVE_CAPACITY,
	OPT_LIVE_FPS,
	OPT_LIVE_SNDBUF,
	OPT_LIVE_MAX_STREAMS,
	OPT_LIVE_BUDGET,
	OPT_INGEST_ALLOW,
	OPT_INGEST_TOKEN_FILE,
	OPT_WEB,
	OPT_ORIGIN,
	OPT_NODE_NAME,
	OPT_ORIGIN_TTL,
};

/*
 * --origin DIR: the directory opened once (O_PATH), every lookup relative
 * to it. openat2() is tried here, so that a kernel without it (before
 * 5.6) is an error at start, not a 403 for every miss.
 */
static int add_origin(const char *dir)
{
	int fd, probe;

	if (cfg.norigins == ORIGIN_DIRS_MAX) {
		fprintf(stderr, PROG ": --origin: at most %d directories\n", ORIGIN_DIRS_MAX);
		return -1;
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG ": --origin %s: %s\n", dir, strerror(errno));
		return -1;
	}
	probe = origin_openat(fd, ".", O_RDONLY | O_DIRECTORY);
	if (probe < 0) {
		fprintf(stderr, PROG ": --origin %s: openat2: %s%s\n", dir, strerror(-probe),
			probe == -ENOSYS ? " (Linux 5.6 or later is needed to stay beneath DIR)" :
			"");
		close(fd);
		return -1;
	}
	close(probe);
	cfg.origin_fds[cfg.norigins++] = fd;
	return 0;
}

/*
 * A node's name goes into a header and into JSON as it is: letters,
 * digits and ". _ -" need no quoting in either.
 */
static bool node_name_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

	return n && n == strlen(s) && n <= NODE_NAME_MAX;
}

int options_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "send", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-header-bytes", required_argument, NULL, OPT_MAX_HEADER },
		{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "live-capacity", required_argument, NULL, OPT_LIVE_CAPACITY },
		{ "live-fps", required_argument, NULL, OPT_LIVE_FPS },
		{ "live-sndbuf", required_argument, NULL, OPT_LIVE_SNDBUF },
		{ "live-max-streams", required_argument, NULL, OPT_LIVE_MAX_STREAMS },
		{ "live-budget", required_argument, NULL, OPT_LIVE_BUDGET },
		{ "ingest-allow", required_argument, NULL, OPT_INGEST_ALLOW },
		{ "ingest-token-file", required_argument, NULL, OPT_INGEST_TOKEN_FILE },
		{ "web", required_argument, NULL, OPT_WEB },
		{ "origin", required_argument, NULL, OPT_ORIGIN },
		{ "node-name", required_argument, NULL, OPT_NODE_NAME },
		{ "origin-ttl", required_argument, NULL, OPT_ORIGIN_TTL },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *listen_at = DEFAULT_LISTEN;
	unsigned int u;
	uint64_t v;
	int opt, i;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_at = optarg;
			break;
		case 's':
			for (i = 0; i < SEND_NR && strcmp(optarg, send_mode_names[i]); i++)
				;
			if (i == SEND_NR) {
				fprintf(stderr, PROG ": bad --send %s: want splice, mmap, copy "
					"or aio\n", optarg);
				return 2;
			}
			cfg.send = i;
			break;
		case 't':
			if (parse_uint(optarg, 1, 1024, &cfg.threads)) {
				fprintf(stderr, PROG ": bad --threads %s: want 1 to 1024\n", optarg);
				return 2;
			}
			break;
		case 'd':
			cfg.device = optarg;
			break;
		case 'L':
			cfg.log_path = optarg;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case OPT_MAX_HEADER:
			if (parse_size(optarg, &v) || v < 256 || v > (1 << 20)) {
				fprintf(stderr, PROG ": bad --max-header-bytes %s: want 256 to 1M\n",
					optarg);
				return 2;
			}
			cfg.max_header = v;
			break;
		case OPT_HEADER_TIMEOUT:
		case OPT_IDLE_TIMEOUT:
		case OPT_SEND_TIMEOUT:
		case OPT_DRAIN_TIMEOUT:
			if (parse_secs(optarg, opt == OPT_HEADER_TIMEOUT ? &cfg.header_timeout_ms :
					       opt == OPT_IDLE_TIMEOUT ? &cfg.idle_timeout_ms :
					       opt == OPT_SEND_TIMEOUT ? &cfg.send_timeout_ms :
					       &cfg.drain_timeout_ms)) {
				fprintf(stderr, PROG ": bad %s %s: want seconds, such as 10 or 0.5\n",
					argv[optind - 1][1] == '-' ? argv[optind - 1] : "timeout",
					optarg);
				return 2;
			}
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(optarg, 1, 10000000, &u)) {
				fprintf(stderr, PROG ": bad --max-conns %s\n", optarg);
				return 2;
			}
			cfg.max_conns = u;
			break;
		case OPT_LIVE_CAPACITY:
			if (parse_size(optarg, &v) || v < 16384 || v > (1ULL << 40)) {
				fprintf(stderr, PROG ": bad --live-capacity %s: want 16K to 1T\n",
					optarg);
				return 2;
			}
			cfg.live_capacity = v;
			break;
		case OPT_LIVE_SNDBUF:
			if (parse_size(optarg, &v) || v < 4096 || v > (1 << 30)) {
				fprintf(stderr, PROG ": bad --live-sndbuf %s: want 4K to 1G\n",
					optarg);
				return 2;
			}
			cfg.live_sndbuf = v;
			break;
		case OPT_LIVE_FPS:
			if (parse_fps(optarg, &cfg.live_fps_num, &cfg.live_fps_den)) {
				fprintf(stderr, PROG ": bad --live-fps %s: want N, N/D or a decimal "
					"such as 29.97\n", optarg);
				return 2;
			}
			break;
		case OPT_LIVE_MAX_STREAMS:
			if (parse_uint(optarg, 1, 100000, &cfg.live_max_streams)) {
				fprintf(stderr, PROG ": bad --live-max-streams %s: want 1 to 100000\n",
					optarg);
				return 2;
			}
			break;
		case OPT_LIVE_BUDGET:
			if (parse_size(optarg, &cfg.live_budget) || cfg.live_budget < 16384) {
				fprintf(stderr, PROG ": bad --live-budget %s: want a size such as "
					"512M\n", optarg);
				return 2;
			}
			break;
		case OPT_INGEST_ALLOW: {
			const char *why = "?";

			if (ingest_auth_add_net(&cfg.ingest, optarg, &why)) {
				fprintf(stderr, PROG ": bad --ingest-allow %s: %s\n", optarg, why);
				return 2;
			}
			break;
		}
		case OPT_INGEST_TOKEN_FILE:
			if (read_tokens(optarg))
				return 2;
			break;
		case OPT_WEB:
			if (cfg.web_dir) {
				fprintf(stderr, PROG ": --web given twice\n");
				return 2;
			}
			cfg.web_dir = optarg;
			if (web_load(optarg))
				return 2;
			break;
		case OPT_ORIGIN:
			if (add_origin(optarg))
				return 2;
			break;
		case OPT_NODE_NAME:
			if (!node_name_ok(optarg)) {
				fprintf(stderr, PROG ": bad --node-name %s: want 1 to %d of A-Z a-z "
					"0-9 . _ -\n", optarg, NODE_NAME_MAX);
				return 2;
			}
			cfg.node_name = optarg;
			break;
		case OPT_ORIGIN_TTL:
			cfg.origin_ttl_ms = 0;
			if (strcmp(optarg, "0") && parse_secs(optarg, &cfg.origin_ttl_ms)) {
				fprintf(stderr, PROG ": bad --origin-ttl %s: want seconds, 0 or "
					"more\n", optarg);
				return 2;
			}
			break;
		case 'h':
			return usage(stdout) - 1;
		default:
			return usage(stderr);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument %s (see " PROG " --help)\n",
			argv[optind]);
		return 2;
	}
	if (parse_listen(listen_at)) {
		fprintf(stderr, PROG ": bad --listen %s: want ADDR:PORT\n", listen_at);
		return 2;
	}
	if (!cfg.live_budget)
		cfg.live_budget = cfg.live_capacity * cfg.live_max_streams;
	if (cfg.live_budget < cfg.live_capacity) {
		fprintf(stderr, PROG ": --live-budget is smaller than one --live-capacity ring\n");
		return 2;
	}
	if (!cfg.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.threads = n > 0 ? (n < 1024 ? n : 1024) : 1;
	}
	return 0;
}
