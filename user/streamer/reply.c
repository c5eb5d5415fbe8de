// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: making a response plan (plan.h), for the
 * handlers above and the connection's own errors. The status line, the
 * headers and any text go into conn->out; the body is a list of segments
 * that send.c sends. Nothing here touches the socket.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "streamer.h"

const char * const send_mode_names[SEND_NR] = {
	"splice", "mmap", "copy", "aio", "sendfile",
};

#define OUT_MIN		1024

/*
 * Room for @n more bytes and a NUL in conn->out. Without it the writers
 * below return false, and no caller checks each: conn->out_failed stays
 * set until the next resp_init(), and conn.c answers 503 instead.
 */
static bool out_reserve(struct conn *c, size_t n)
{
	size_t cap;
	char *p;

	if (c->out && c->out_cap - c->out_len > n)
		return true;
	cap = c->out_cap * 2 > c->out_len + n + 1 ? c->out_cap * 2 : c->out_len + n + 1;
	if (cap < OUT_MIN)
		cap = OUT_MIN;
	p = realloc(c->out, cap);
	if (!p) {
		c->out_failed = true;
		return false;
	}
	c->out = p;
	c->out_cap = cap;
	return true;
}

bool out_printf(struct conn *c, const char *fmt, ...)
{
	size_t room = c->out ? c->out_cap - c->out_len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? c->out + c->out_len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->out_failed = true;
		return false;
	}
	if ((size_t)n >= room) {
		/* Too long: again, with room for it. */
		if (!out_reserve(c, n))
			return false;
		va_start(ap, fmt);
		vsnprintf(c->out + c->out_len, c->out_cap - c->out_len, fmt, ap);
		va_end(ap);
	}
	c->out_len += n;
	return true;
}

/*
 * The head of a range response used to be 5 vsnprintf() calls, 60% of the
 * streamer's instructions per request (callgrind); these copy instead.
 */
bool out_put(struct conn *c, const char *s, size_t n)
{
	if (!out_reserve(c, n))
		return false;
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	c->out[c->out_len] = '\0';
	return true;
}

bool out_str(struct conn *c, const char *s)
{
	return out_put(c, s, strlen(s));
}

bool out_u64(struct conn *c, uint64_t v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	return out_put(c, buf + i, sizeof(buf) - i);
}

void plan_add_seg(struct conn *c, enum seg_kind kind, uint64_t first, uint64_t end)
{
	if (end > first && c->r.nseg < SEG_MAX)
		c->r.seg[c->r.nseg++] = (struct seg){ kind, first, end };
}

/* Starts a response: forgets any previous plan, keeps the video if set. */
void resp_init(struct conn *c)
{
	struct video *v = c->r.v;

	list_put(c->r.list);
	memset(&c->r, 0, sizeof(c->r));
	c->r.v = v;
	c->r.mode = cfg.send;
	c->out_len = 0;
	c->out_failed = false;
}

/* The status line and the fields every response has. */
void head_start(struct worker *w, struct conn *c, int status)
{
	char code[4] = { '0' + status / 100 % 10, '0' + status / 10 % 10, '0' + status % 10, ' ' };

	c->r.status = status;
	out_put(c, "HTTP/1.1 ", 9);
	out_put(c, code, sizeof(code));
	out_str(c, http_reason(status));
	out_str(c, "\r\nServer: " PROG "\r\nDate: ");
	out_str(c, w->date);
	out_put(c, "\r\n", 2);
	if (cfg.node_name)
		out_printf(c, "X-Vcache-Node: %s\r\n", cfg.node_name);
	if (c->close_after)
		out_printf(c, "Connection: close\r\n");
	else if (c->have_req && c->req.minor == 0)
		out_printf(c, "Connection: keep-alive\r\n");
}

/*
 * Ends the head that began at @start and plans it as the first segment,
 * then the text body at [@body, @body_end) of conn->out, if any.
 */
void head_end(struct conn *c, size_t start)
{
	out_put(c, "\r\n", 2);
	plan_add_seg(c, SEG_OUT, start, c->out_len);
	c->r.head_bytes = c->out_len - start;
}

bool plan_is_head(const struct conn *c)
{
	return c->have_req && c->req.method == HTTP_HEAD;
}

/*
 * A short text/plain response: "404 Not Found: no video named x\n". @extra
 * is more header lines, each ending in CRLF, or NULL.
 */
void respond_text(struct worker *w, struct conn *c, int status, const char *extra,
		  const char *fmt, ...)
{
	char body[512];
	va_list ap;
	int n;

	n = snprintf(body, sizeof(body), "%d %s: ", status, http_reason(status));
	va_start(ap, fmt);
	vsnprintf(body + n, sizeof(body) - n - 1, fmt, ap);
	va_end(ap);
	strcat(body, "\n");

	resp_init(c);
	head_start(w, c, status);
	out_printf(c, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n%s",
		   strlen(body), extra ? extra : "");
	head_end(c, 0);
	if (!plan_is_head(c)) {
		size_t off = c->out_len;

		out_printf(c, "%s", body);
		plan_add_seg(c, SEG_OUT, off, c->out_len);
	}
}

void respond_error(struct worker *w, struct conn *c, int status, const char *why)
{
	respond_text(w, c, status, NULL, "%s", why);
}

static const char *parse_error_text(int status)
{
	switch (status) {
	case 414:
		return "the request line is longer than --max-header-bytes";
	case 431:
		return "the request head is larger than --max-header-bytes";
	case 501:
		return "only the chunked Transfer-Encoding is taken";
	case 505:
		return "only HTTP/1.0 and HTTP/1.1 are served";
	default:
		return "malformed request";
	}
}

/* A request http_parse_request() refused with @status: why, in words. */
void respond_parse_error(struct worker *w, struct conn *c, int status)
{
	respond_error(w, c, status, parse_error_text(status));
}

const char *shown(const char *name, char *buf, size_t size)
{
	c_escape(buf, size, name, strlen(name));
	return buf;
}

bool plan_not_modified(struct worker *w, struct conn *c, const char *etag)
{
	unsigned int i;

	for (i = 0; i < c->req.n_inm; i++) {
		if (http_etag_match(c->req.if_none_match[i], etag, true)) {
			head_start(w, c, 304);
			out_printf(c, "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
			head_end(c, 0);
			return true;
		}
	}
	return false;
}

void plan_json(struct worker *w, struct conn *c, int status)
{
	size_t body = c->out_len;

	head_start(w, c, status);
	out_printf(c, "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-cache\r\n", body);
	head_end(c, body);
	if (c->req.method != HTTP_HEAD)
		plan_add_seg(c, SEG_OUT, 0, body);
}

bool plan_video_get(struct worker *w, struct conn *c, const char *name)
{
	char shown_name[4 * VCACHE_NAME_MAX + 1];
	int err;

	c->r.v = video_get(w, name, &err);
	if (c->r.v)
		return true;
	if (err == ENOENT)
		respond_text(w, c, 404, NULL, "no video named \"%s\"",
			     shown(name, shown_name, sizeof(shown_name)));
	else
		respond_text(w, c, 503, NULL, "cannot open %s: %s%s", cfg.device, strerror(err),
			     err == ENODEV ? " (is the module loaded?)" : "");
	return false;
}

void plan_drop_ext(struct worker *w, struct conn *c)
{
	if (!c->ext)
		return;
	if (c->ext_ops->release)
		c->ext_ops->release(w, c);
	if (c->ext_ops->free)
		c->ext_ops->free(c);
	c->ext = NULL;
	c->ext_ops = NULL;
}
