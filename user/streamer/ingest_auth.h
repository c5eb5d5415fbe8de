/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may publish a live stream to vcache-streamer (PUT/POST /live/NAME).
 *
 * Two checks, both made before anything is allocated for the stream:
 *
 *  - the address: with --ingest-allow NET[/BITS] (repeatable) the peer must
 *    be in one of the networks, as nginx-rtmp's "allow publish". Without
 *    it, a server that has tokens takes publishers from anywhere, and one
 *    that has none takes them from the loopback only: an open ingest on a
 *    public port is never the default. Refused: 403.
 *  - the token: with --ingest-token-file, the request must carry
 *    "Authorization: Bearer TOKEN" (RFC 6750) with a token the file gives
 *    for the stream's name or for every name. Refused: 401, with a
 *    WWW-Authenticate challenge.
 *
 * The token file: one entry a line, "TOKEN" (any stream) or "NAME TOKEN"
 * (that stream only); blank lines and lines starting with '#' are skipped.
 * A token is 16 to 256 characters of RFC 6750's b64token alphabet (letters,
 * digits and -._~+/ with trailing '='): anything shorter is refused as too
 * easy to guess. Tokens are compared in time that does not depend on
 * where they differ.
 *
 * Pure code, as http.c: no I/O, no global state (user/tests/ingest_auth_test.c).
 */
#ifndef VCACHE_INGEST_AUTH_H
#define VCACHE_INGEST_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/vcache.h>
#include "http.h"

#define INGEST_TOKEN_MIN	16
#define INGEST_TOKEN_MAX	256
#define INGEST_TOKENS_MAX	4096
#define INGEST_NETS_MAX		64

struct ingest_token {
	char name[VCACHE_NAME_MAX];	/* "" for every stream */
	char token[INGEST_TOKEN_MAX + 1];
	size_t len;
};

struct ingest_net {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network byte order, host bits zero */
	unsigned int bits;
};

struct ingest_auth {
	struct ingest_token *tokens;
	size_t ntokens;
	struct ingest_net nets[INGEST_NETS_MAX];
	size_t nnets;
};

enum ingest_verdict {
	INGEST_OK,
	INGEST_FORBIDDEN,	/* 403: the address may not publish */
	INGEST_UNAUTHORIZED,	/* 401: no token, or not one for this stream */
};

/*
 * ingest_auth_add_net() - "10.0.0.0/8", "192.0.2.7", "::1", "2001:db8::/32".
 * Returns 0, or -EINVAL with *why saying what is wrong (host bits set
 * included: "10.0.0.1/8" is more likely a typo than a network), -ENOSPC
 * past INGEST_NETS_MAX.
 */
int ingest_auth_add_net(struct ingest_auth *a, const char *cidr, const char **why);

/*
 * ingest_auth_parse_tokens() - the token file's text, @len bytes. Returns
 * 0, or -EINVAL/-ENOMEM with "line N: ..." in @why; on error @a keeps no
 * token of the file. Free with ingest_auth_free().
 */
int ingest_auth_parse_tokens(struct ingest_auth *a, const char *text, size_t len,
			     char *why, size_t size);

void ingest_auth_free(struct ingest_auth *a);

/*
 * ingest_auth_check() - may @peer publish the stream @name with the
 * Authorization field @authorization (len 0: none)? The address is checked
 * first: a refused address learns nothing about tokens.
 */
enum ingest_verdict ingest_auth_check(const struct ingest_auth *a,
				      const struct sockaddr_storage *peer,
				      const char *name, struct http_span authorization);

#endif /* VCACHE_INGEST_AUTH_H */
