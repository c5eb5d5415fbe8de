// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: the bottom (the handlers' check, used alone by
 * its unit test). Who may publish a live stream: see ingest_auth.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vcache/name.h>
#include "ingest_auth.h"

int ingest_auth_add_net(struct ingest_auth *a, const char *cidr, const char **why)
{
	struct ingest_net n = { 0 };
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	size_t hlen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	unsigned int max, i;
	char *end;

	if (a->nnets == INGEST_NETS_MAX) {
		*why = "too many networks";
		return -ENOSPC;
	}
	if (!hlen || hlen >= sizeof(host)) {
		*why = "want an address, or NETWORK/BITS";
		return -EINVAL;
	}
	memcpy(host, cidr, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, n.addr) == 1) {
		n.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, n.addr) == 1) {
		n.family = AF_INET6;
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	n.bits = max;
	if (slash) {
		unsigned long b;

		errno = 0;
		b = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || b > max || slash[1] < '0' || slash[1] > '9') {
			*why = "bad prefix length";
			return -EINVAL;
		}
		n.bits = b;
	}
	/* Host bits set: "10.0.0.1/8" is a typo more often than a network. */
	for (i = n.bits; i < max; i++) {
		if (n.addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set after the prefix";
			return -EINVAL;
		}
	}
	a->nets[a->nnets++] = n;
	return 0;
}

static bool is_b64token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* RFC 6750's b64token: 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
static bool is_b64token(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && is_b64token_char(p[i]))
		i++;
	if (!i)
		return false;
	while (i < len && p[i] == '=')
		i++;
	return i == len;
}

static int add_token(struct ingest_auth *a, const char *name, size_t name_len,
		     const char *tok, size_t tok_len, const char **why)
{
	struct ingest_token *t;

	if (tok_len < INGEST_TOKEN_MIN || tok_len > INGEST_TOKEN_MAX) {
		*why = "a token is 16 to 256 characters";
		return -EINVAL;
	}
	if (!is_b64token(tok, tok_len)) {
		*why = "a token is letters, digits and -._~+/ (then '=' padding)";
		return -EINVAL;
	}
	if (name_len >= VCACHE_NAME_MAX) {
		*why = "stream name too long";
		return -EINVAL;
	}
	if (a->ntokens == INGEST_TOKENS_MAX) {
		*why = "too many tokens";
		return -EINVAL;
	}
	t = realloc(a->tokens, (a->ntokens + 1) * sizeof(*t));
	if (!t) {
		*why = "out of memory";
		return -ENOMEM;
	}
	a->tokens = t;
	t += a->ntokens;
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, name_len);
	if (name_len && !vcache_name_check(t->name, sizeof(t->name))) {
		*why = "not a valid stream name";
		return -EINVAL;
	}
	memcpy(t->token, tok, tok_len);
	t->len = tok_len;
	a->ntokens++;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int ingest_auth_parse_tokens(struct ingest_auth *a, const char *text, size_t len,
			     char *why, size_t size)
{
	size_t had = a->ntokens, pos = 0, line = 0;

	while (pos < len) {
		const char *p = text + pos, *eol = memchr(p, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - p) : len - pos;
		const char *f[3];
		size_t fl[3], nf = 0, i = 0;
		const char *msg = NULL;
		int err;

		pos += n + (eol != NULL);
		line++;
		if (n && p[n - 1] == '\r')
			n--;
		while (nf < 3) {
			while (i < n && is_space(p[i]))
				i++;
			if (i == n)
				break;
			f[nf] = p + i;
			while (i < n && !is_space(p[i]))
				i++;
			fl[nf] = p + i - f[nf];
			nf++;
		}
		if (!nf || f[0][0] == '#')
			continue;
		if (nf == 3) {
			msg = "want TOKEN or NAME TOKEN";
			err = -EINVAL;
		} else if (nf == 1) {
			err = add_token(a, "", 0, f[0], fl[0], &msg);
		} else {
			err = add_token(a, f[0], fl[0], f[1], fl[1], &msg);
		}
		if (err) {
			snprintf(why, size, "line %zu: %s", line, msg);
			a->ntokens = had;
			return err;
		}
	}
	return 0;
}

void ingest_auth_free(struct ingest_auth *a)
{
	if (a->tokens)
		memset(a->tokens, 0, a->ntokens * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = NULL;
	a->ntokens = 0;
	a->nnets = 0;
}

static bool net_match(const struct ingest_net *n, int family, const uint8_t *addr)
{
	unsigned int full = n->bits / 8, rest = n->bits % 8;

	if (n->family != family || memcmp(n->addr, addr, full))
		return false;
	return !rest || !((n->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

/* The peer as AF_INET or AF_INET6 bytes; a v4-mapped v6 address is v4. */
static int peer_addr(const struct sockaddr_storage *peer, uint8_t *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (peer->ss_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return AF_INET;
	}
	if (peer->ss_family == AF_INET6) {
		const uint8_t *a6 = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;

		if (!memcmp(a6, mapped, sizeof(mapped))) {
			memcpy(addr, a6 + 12, 4);
			return AF_INET;
		}
		memcpy(addr, a6, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

static bool is_loopback(int family, const uint8_t *addr)
{
	static const uint8_t one6[16] = { [15] = 1 };

	return (family == AF_INET && addr[0] == 127) ||
	       (family == AF_INET6 && !memcmp(addr, one6, 16));
}

/* Equal, in time that depends on the lengths only. */
static bool token_eq(const char *want, size_t want_len, const char *got, size_t got_len)
{
	unsigned char diff = want_len != got_len;
	size_t i;

	for (i = 0; i < want_len; i++)
		diff |= want[i] ^ (i < got_len ? got[i] : 0);
	return !diff;
}

enum ingest_verdict ingest_auth_check(const struct ingest_auth *a,
				      const struct sockaddr_storage *peer,
				      const char *name, struct http_span authorization)
{
	uint8_t addr[16];
	int family = peer_addr(peer, addr);
	struct http_span tok;
	bool ok = false;
	size_t i;

	if (a->nnets) {
		for (i = 0; i < a->nnets && !ok; i++)
			ok = family != AF_UNSPEC && net_match(&a->nets[i], family, addr);
		if (!ok)
			return INGEST_FORBIDDEN;
	} else if (!a->ntokens && !is_loopback(family, addr)) {
		return INGEST_FORBIDDEN;
	}
	if (!a->ntokens)
		return INGEST_OK;
	/* "Bearer" is case-insensitive (RFC 9110 11.1), then one or more spaces. */
	if (authorization.len < 7 || strncasecmp(authorization.p, "bearer ", 7))
		return INGEST_UNAUTHORIZED;
	tok.p = authorization.p + 7;
	tok.len = authorization.len - 7;
	while (tok.len && *tok.p == ' ') {
		tok.p++;
		tok.len--;
	}
	/* Every token is compared: which one matched must not show in the time. */
	for (i = 0, ok = false; i < a->ntokens; i++) {
		const struct ingest_token *t = &a->tokens[i];
		bool match = token_eq(t->token, t->len, tok.p, tok.len);

		ok |= match && (!t->name[0] || !strcmp(t->name, name));
	}
	return ok ? INGEST_OK : INGEST_UNAUTHORIZED;
}
