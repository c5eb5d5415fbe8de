// SPDX-License-Identifier: GPL-2.0
/*
 * A live viewer for live_http_test.sh that curl cannot be:
 *
 *   live_client slow PORT PATH PAUSE_MS OUT
 *	GET PATH with a 4 KiB receive buffer, then reads nothing for
 *	PAUSE_MS (so that the server's copy of the stream falls behind the
 *	ring), then reads the response to its end, undoing the chunked
 *	framing, into OUT. Prints "STATUS OFFSET complete" when the body
 *	ended with the last chunk, "STATUS OFFSET cut" otherwise.
 *
 * The server is on 127.0.0.1. Exit 0 when it could ask, 1 otherwise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 22];

static int cmd_slow(int port, const char *path, int pause_ms, const char *out_path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000 };
	char req[512], *hend, *p;
	int fd, rcv = 4096, status = 0;
	size_t len = 0, pos;
	unsigned long long offset = 0;
	bool complete = false;
	FILE *out;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	/* Before connect(), so that the window is small from the start. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, n) != n) {
		perror("write");
		return 1;
	}
	/* The head. */
	for (;;) {
		n = read(fd, buf + len, 4096);
		if (n <= 0) {
			fprintf(stderr, "no response head\n");
			return 1;
		}
		len += n;
		buf[len] = '\0';
		hend = strstr(buf, "\r\n\r\n");
		if (hend)
			break;
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	p = strcasestr(buf, "\r\nX-Vcache-Offset: ");
	if (p)
		offset = strtoull(p + 19, NULL, 10);
	nanosleep(&ts, NULL);
	/* All the rest, then the framing is undone. */
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += n;
	out = fopen(out_path, "w");
	if (!out) {
		perror(out_path);
		return 1;
	}
	pos = hend + 4 - buf;
	while (pos < len) {
		char *e;
		unsigned long long sz = strtoull(buf + pos, &e, 16);

		if (e == buf + pos || e + 2 > buf + len || memcmp(e, "\r\n", 2))
			break;
		pos = e + 2 - buf;
		if (!sz) {
			complete = pos + 2 <= len && !memcmp(buf + pos, "\r\n", 2);
			break;
		}
		if (pos + sz + 2 > len)
			break;
		fwrite(buf + pos, 1, sz, out);
		pos += sz + 2;
	}
	fclose(out);
	printf("%d %llu %s\n", status, offset, complete ? "complete" : "cut");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "slow"))
		return cmd_slow(atoi(argv[2]), argv[3], atoi(argv[4]), argv[5]);
	fprintf(stderr, "usage: see the comment at the top of live_client.c\n");
	return 2;
}
