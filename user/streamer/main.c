// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer: an HTTP/1.1 server for the videos of /dev/vcache.
 *
 * Layer: the top. Options, then the workers: one thread per CPU by
 * default, each an event loop of its own (loop.c) over non-blocking
 * sockets, no thread per connection. main() gives the loops the route
 * table (handlers.c) as worker->respond, so nothing below it names a
 * handler. The layers, each calling only those below it:
 *
 *   main.c, options.c      threads, signals; the command line
 *   loop.c                 a worker's epoll loop, accept, timeouts, stop
 *   conn.c                 a connection's state machine (knows no handler)
 *   handlers.c, route.c    the route table and the router
 *   vod.c hls_vod.c list.c live_view.c live_ingest.c live_stats.c web.c
 *   origin_stats.c health.c the handlers: a request -> a plan (plan.h)
 *   send.c                 executes a plan: splice, sendfile, mmap, aio or copy
 *   reply.c, live_ring.c, live_range.c, ingest_open.c, listing.c, video.c,
 *   playlists.c, live_playlists.c, seek.c, rings.c, jobs.c, log.c,
 *   origin.c (--origin fills), origin_open.c (its lookup), park.c (a
 *   request waiting for a loading video: routed again through worker->respond),
 *   ingest_auth.c, streamer.c (config; types in streamer.h)  what they stand on
 * The layers below call back up only through function pointers that the
 * layer above set: worker->resume (conn.c's, for jobs.c and send.c) and a
 * connection's ext_ops (a handler's, for conn.c, send.c and log.c).
 *
 * The main thread only waits for signals: SIGINT/SIGTERM stop the workers,
 * which finish the responses under way (for at most --drain-timeout) and
 * close everything else; SIGHUP reopens the --log file, for logrotate.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "handler.h"
#include "streamer.h"

static void print_totals(struct worker *workers)
{
	uint64_t bytes[SEND_NR] = { 0 }, requests = 0;
	unsigned int i, m;

	for (i = 0; i < cfg.threads; i++) {
		requests += workers[i].requests;
		for (m = 0; m < SEND_NR; m++)
			bytes[m] += workers[i].bytes[m];
	}
	fprintf(stderr, PROG ": %" PRIu64 " requests; video bytes sent by path:", requests);
	for (m = 0; m < SEND_NR; m++)
		fprintf(stderr, " %s %" PRIu64 "%s", send_mode_names[m], bytes[m],
			m + 1 < SEND_NR ? "," : "\n");
	live_totals();
	if (cfg.norigins)
		origin_totals();
}

int main(int argc, char **argv)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct worker *workers;
	sigset_t sigs;
	unsigned int i, started = 0;
	int ret, sig, fd;

	ret = options_parse(argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (budget_nofile())
		return 1;
	if (log_start() || jobs_start())
		return 1;
	fd = open(cfg.device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, PROG ": warning: open %s: %s (requests will get 503)\n",
			cfg.device, strerror(errno));
	else
		close(fd);

	/* Signals go to the main thread's sigwait() only: block them everywhere. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	workers = calloc(cfg.threads, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < cfg.threads; i++) {
		fd = open_listener(&cfg.addr, cfg.addrlen);
		if (fd < 0) {
			getnameinfo((struct sockaddr *)&cfg.addr, cfg.addrlen, host, sizeof(host),
				    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
			fprintf(stderr, PROG ": listen on %s port %s: %s\n", host, port,
				strerror(errno));
			return 1;
		}
		if (worker_init(&workers[i], i, fd, handlers_respond))
			return 1;
	}
	getnameinfo((struct sockaddr *)&cfg.addr, cfg.addrlen, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(stderr, PROG ": listening on %s%s%s:%s, %u thread%s, --send %s%s\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
		cfg.threads, cfg.threads == 1 ? "" : "s", send_mode_names[cfg.send],
		cfg.send != SEND_AIO ? "" : vaio_is_sync(&workers[0].aio) ?
		" (synchronous: no kernel AIO here)" : " (kernel AIO)");

	for (i = 0; i < cfg.threads; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
			fprintf(stderr, PROG ": cannot start worker %u\n", i);
			break;
		}
		started++;
	}
	for (;;) {
		if (started < cfg.threads)
			break;
		sig = sigwaitinfo(&sigs, NULL);
		if (sig == SIGHUP)
			log_reopen();
		else if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(workers[i].wakefd, &one, sizeof(one)) < 0)
			fprintf(stderr, PROG ": cannot wake worker %u\n", i);
	}
	for (i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	jobs_stop();
	pl_drop_all();
	log_stop();
	print_totals(workers);
	for (i = 0; i < cfg.threads; i++)
		worker_destroy(&workers[i]);
	free(workers);
	return started == cfg.threads ? 0 : 1;
}
