// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.1 request parsing and response text for vcache-streamer; see
 * http.h. The grammar is RFC 9110/9112's; every rule we enforce is named
 * where it is checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "http_internal.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* tchar, RFC 9110 section 5.6.2: what a method or a field name is made of. */
bool is_tchar(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return true;
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* field-vchar / SP / HTAB: VCHAR and obs-text; no other controls, no DEL. */
bool is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct http_span span(const char *p, size_t len)
{
	return (struct http_span){ p, len };
}

static struct http_span trim(struct http_span s)
{
	while (s.len && is_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

bool http_span_eq(struct http_span s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (!lit[i] || lower(s.p[i]) != lower(lit[i]))
			return false;
	return !lit[i];
}

bool http_has_token(struct http_span s, const char *token)
{
	size_t i = 0, start;

	while (i < s.len) {
		start = i;
		while (i < s.len && s.p[i] != ',')
			i++;
		if (http_span_eq(trim(span(s.p + start, i - start)), token))
			return true;
		i++;		/* the comma */
	}
	return false;
}

/* --- the request parser ------------------------------------------------ */

/*
 * How far the start of a line that is not whole yet got, one byte at a
 * time: a line that can no longer become valid is refused at once (a TLS
 * hello, a binary probe) rather than after the header timeout, and a line
 * that comes a byte per read is still looked at once per byte.
 */
enum line_phase {
	PH_START,	/* nothing yet */
	PH_CR_FIRST,	/* "\r": the empty line, or a leading one */
	PH_TOKEN,	/* the method, or the field name */
	PH_VALUE,	/* past the ' ' (request line) or the ':' (field) */
	PH_VALUE_CR,	/* ...and a CR, which must be the line's end */
	PH_BAD,		/* cannot be valid any more */
};

static enum line_phase line_step(enum line_phase ph, unsigned char c, bool reqline)
{
	switch (ph) {
	case PH_START:
		if (c == '\r')
			return PH_CR_FIRST;
		/* A field line starting with whitespace is obs-fold. */
		return is_tchar(c) ? PH_TOKEN : PH_BAD;
	case PH_TOKEN:
		if (is_tchar(c))
			return PH_TOKEN;
		return c == (reqline ? ' ' : ':') ? PH_VALUE : PH_BAD;
	case PH_VALUE:
		/* A CR may only be the last byte so far: it awaits its LF. */
		if (c == '\r')
			return PH_VALUE_CR;
		return is_field_char(c) ? PH_VALUE : PH_BAD;
	default:
		/* A CR not followed by its LF; or bad already. */
		return PH_BAD;
	}
}

/*
 * The request-target (RFC 9112 section 3.2): origin-form for GET and HEAD,
 * or absolute-form, which a server must accept too; its scheme and
 * authority are dropped (we serve one origin). Other methods get a 405
 * whatever the form, so any run of VCHARs is fine for them.
 */
static int parse_target(struct http_request *req)
{
	struct http_span t = req->target;
	size_t i = 0, q;

	for (i = 0; i < t.len; i++)
		if (t.p[i] == '#')	/* a fragment is never sent */
			return -400;
	i = 0;
	if (t.len && t.p[0] != '/') {
		size_t auth;

		if (req->method == HTTP_OTHER)
			return 0;
		if (t.len >= 7 && http_span_eq(span(t.p, 7), "http://"))
			i = 7;
		else if (t.len >= 8 && http_span_eq(span(t.p, 8), "https://"))
			i = 8;
		else
			return -400;
		auth = i;
		while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
			i++;
		if (i == auth)		/* no authority */
			return -400;
	}
	for (q = i; q < t.len && t.p[q] != '?'; q++)
		;
	req->path = span(t.p + i, q - i);
	if (!req->path.len)
		req->path = span("/", 1);
	if (q < t.len)
		req->query = span(t.p + q + 1, t.len - q - 1);
	return 0;
}

/* "GET /v/x HTTP/1.1", without its CRLF. */
int parse_request_line(const char *p, size_t len, struct http_request *req)
{
	const char *sp1, *sp2, *v;
	size_t i;

	sp1 = memchr(p, ' ', len);
	if (!sp1 || sp1 == p)
		return -400;
	for (i = 0; p + i < sp1; i++)
		if (!is_tchar(p[i]))
			return -400;
	req->method_name = span(p, sp1 - p);
	if (req->method_name.len == 3 && !memcmp(p, "GET", 3))
		req->method = HTTP_GET;		/* methods are case-sensitive */
	else if (req->method_name.len == 4 && !memcmp(p, "HEAD", 4))
		req->method = HTTP_HEAD;
	else if (req->method_name.len == 3 && !memcmp(p, "PUT", 3))
		req->method = HTTP_PUT;
	else if (req->method_name.len == 4 && !memcmp(p, "POST", 4))
		req->method = HTTP_POST;
	else
		req->method = HTTP_OTHER;

	sp2 = memchr(sp1 + 1, ' ', len - (sp1 + 1 - p));
	if (!sp2 || sp2 == sp1 + 1)
		return -400;
	for (v = sp1 + 1; v < sp2; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			return -400;
	req->target = span(sp1 + 1, sp2 - sp1 - 1);

	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive. */
	v = sp2 + 1;
	if (len - (v - p) != 8 || memcmp(v, "HTTP/", 5) || !is_digit(v[5]) ||
	    v[6] != '.' || !is_digit(v[7]))
		return -400;
	if (v[5] != '1')
		return -505;
	/* 1.x for x > 1 is to be treated as 1.1 (RFC 9110 section 2.5). */
	req->minor = v[7] == '0' ? 0 : 1;
	return parse_target(req);
}

/* Content-Length = 1*DIGIT; a list ("5, 5") is refused rather than judged. */
static int parse_length(struct http_span v, struct http_request *req)
{
	uint64_t n = 0;
	size_t i;

	if (!v.len)
		return -400;
	for (i = 0; i < v.len; i++) {
		if (!is_digit(v.p[i]))
			return -400;
		if (n > (UINT64_MAX - (v.p[i] - '0')) / 10)
			return -400;
		n = n * 10 + (v.p[i] - '0');
	}
	/* The same value twice is harmless; two values are a smuggling try. */
	if (req->has_length && req->length != n)
		return -400;
	req->has_length = true;
	req->length = n;
	return 0;
}

/* A singleton field that must not come twice (RFC 9110 section 5.3). */
static int set_once(struct http_span *field, struct http_span v)
{
	if (field->p)
		return -400;
	*field = v;
	return 0;
}

/* One field line, "Name: value", without its CRLF. */
int parse_field(const char *p, size_t len, struct http_request *req,
		struct http_framing *hs)
{
	struct http_span name, v;
	const char *colon;
	size_t i;

	/* A line starting with whitespace is obs-fold: 400 (RFC 9112 5.2). */
	colon = memchr(p, ':', len);
	if (!colon || colon == p)
		return -400;
	/* No whitespace between name and colon (RFC 9112 section 5.1). */
	for (i = 0; p + i < colon; i++)
		if (!is_tchar(p[i]))
			return -400;
	for (i = colon + 1 - p; i < len; i++)
		if (!is_field_char(p[i]))
			return -400;
	name = span(p, colon - p);
	v = trim(span(colon + 1, len - (colon + 1 - p)));

	if (http_span_eq(name, "host"))
		return set_once(&req->host, v);
	if (http_span_eq(name, "content-length"))
		return parse_length(v, req);
	if (http_span_eq(name, "transfer-encoding")) {
		/* Only a lone "chunked": a list of codings is not decoded here. */
		hs->te_twice |= hs->te;
		hs->te = true;
		hs->te_chunked = http_span_eq(v, "chunked");
		return 0;
	}
	if (http_span_eq(name, "connection")) {
		hs->close |= http_has_token(v, "close");
		hs->keep_alive |= http_has_token(v, "keep-alive");
		return 0;
	}
	if (http_span_eq(name, "expect")) {
		req->expect_continue |= http_span_eq(v, "100-continue");
		return 0;
	}
	if (http_span_eq(name, "range"))
		return set_once(&req->range, v);
	if (http_span_eq(name, "if-range"))
		return set_once(&req->if_range, v);
	if (http_span_eq(name, "if-modified-since"))
		return set_once(&req->if_modified_since, v);
	if (http_span_eq(name, "if-unmodified-since"))
		return set_once(&req->if_unmodified_since, v);
	if (http_span_eq(name, "authorization"))
		return set_once(&req->authorization, v);
	if (http_span_eq(name, "if-match")) {
		if (req->n_im == HTTP_MAX_INM)
			return -400;
		req->if_match[req->n_im++] = v;
		return 0;
	}
	if (http_span_eq(name, "if-none-match")) {
		if (req->n_inm == HTTP_MAX_INM)
			return -400;
		req->if_none_match[req->n_inm++] = v;
	}
	return 0;
}

/* The framing checks that need the whole head (RFC 9112 section 6). */
int finish_head(struct http_request *req, const struct http_framing *hs)
{
	if (hs->te) {
		/* Both: the classic smuggling shape. In 1.0, TE is faulty framing. */
		if (req->has_length || req->minor == 0 || hs->te_twice)
			return -400;
		if (!hs->te_chunked)
			return -501;
		req->chunked = true;
	}
	/* A 1.1 request without Host is a 400 (RFC 9112 section 3.2). */
	if (req->minor == 1 && !req->host.p)
		return -400;
	if (hs->close)
		req->keep_alive = false;
	else
		req->keep_alive = req->minor == 1 || hs->keep_alive;
	return 0;
}

void http_scan_init(struct http_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->reqline = true;
}

/* Ready for the next head; @work goes on counting. */
static ssize_t scan_end(struct http_scan *s, ssize_t ret)
{
	uint64_t work = s->work;

	http_scan_init(s);
	s->work = work;
	return ret;
}

ssize_t http_scan_request(struct http_scan *s, const char *buf, size_t len,
			  size_t max_head, struct http_request *req)
{
	size_t limit = len < max_head ? len : max_head;
	int err;

	if (buf != s->buf || limit < s->pos)
		scan_end(s, 0);
	s->buf = buf;
	for (;;) {
		const char *p = buf + s->line;
		const char *eol = memchr(buf + s->pos, '\n', limit - s->pos);
		size_t n;

		if (!eol) {
			/* Only the bytes not seen yet: the line's phase says the rest. */
			enum line_phase ph = s->phase;

			s->work += 2 * (limit - s->pos);	/* memchr(), then the phases */
			for (; s->pos < limit && ph != PH_BAD; s->pos++)
				ph = line_step(ph, buf[s->pos], s->reqline);
			s->phase = ph;
			if (ph == PH_BAD)
				return scan_end(s, -400);
			if (len >= max_head)
				return scan_end(s, s->reqline ? -414 : -431);
			return 0;
		}
		/* The line is whole: checked once, whatever came before. */
		n = eol - p;
		s->work += eol + 1 - (buf + s->pos) + n;
		s->pos = eol + 1 - buf;
		if (memchr(p, '\0', n))
			return scan_end(s, -400);
		/* Empty lines before the request line are ignored (RFC 9112 2.2). */
		if (s->reqline && n == 1 && p[0] == '\r') {
			s->line = s->pos;
			s->phase = PH_START;
			continue;
		}
		/* CRLF only: a bare LF, or a CR elsewhere, is refused. */
		if (!n || p[n - 1] != '\r' || memchr(p, '\r', n - 1))
			return scan_end(s, -400);
		n--;
		if (!s->reqline && !n) {
			/* The empty line: the head is whole. */
			err = finish_head(&s->req, &s->fr);
			if (err)
				return scan_end(s, err);
			*req = s->req;
			req->head_len = s->pos;
			return scan_end(s, req->head_len);
		}
		if (s->reqline)
			err = parse_request_line(p, n, &s->req);
		else
			err = parse_field(p, n, &s->req, &s->fr);
		if (err)
			return scan_end(s, err);
		s->reqline = false;
		s->line = s->pos;
		s->phase = PH_START;
	}
}

ssize_t http_parse_request(const char *buf, size_t len, size_t max_head,
			   struct http_request *req)
{
	struct http_scan s;

	http_scan_init(&s);
	memset(req, 0, sizeof(*req));
	return http_scan_request(&s, buf, len, max_head, req);
}

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* --- dates --------------------------------------------------------------- */

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's
 * algorithms): no timegm(), no locale, no time zone, nothing global.
 */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned int *m, unsigned int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

size_t http_format_date(char *buf, size_t size, time_t t)
{
	int64_t days, secs, y;
	unsigned int m, d;

	/* 253402300799 is 9999-12-31T23:59:59Z: four-digit years only. */
	if (t < 0 || (int64_t)t > 253402300799LL)
		t = 0;
	days = (int64_t)t / 86400;
	secs = (int64_t)t % 86400;
	civil_from_days(days, &y, &m, &d);
	return snprintf(buf, size, "%s, %02u %s %04d %02d:%02d:%02d GMT",
			wdays[(days + 4) % 7], d, months[m - 1], (int)y,
			(int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Reads exactly @n digits at *p. */
static bool digits(const char **p, const char *end, unsigned int n, unsigned int *out)
{
	unsigned int v = 0;

	if ((size_t)(end - *p) < n)
		return false;
	while (n--) {
		if (!is_digit(**p))
			return false;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return true;
}

static bool lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n))
		return false;
	*p += n;
	return true;
}

/* A three-letter month name, as 1-12. */
static bool month_of(const char **p, const char *end, unsigned int *m)
{
	unsigned int i;

	for (i = 0; i < 12; i++) {
		if (lit(p, end, months[i])) {
			*m = i + 1;
			return true;
		}
	}
	return false;
}

/* "08:49:37" */
static bool time_of_day(const char **p, const char *end, unsigned int *h,
			unsigned int *mi, unsigned int *s)
{
	return digits(p, end, 2, h) && lit(p, end, ":") && digits(p, end, 2, mi) &&
	       lit(p, end, ":") && digits(p, end, 2, s);
}

/* Back to the start, for the next form to try. */
static bool rewind_to(const char **p, const char *start)
{
	*p = start;
	return true;
}

static bool day_name(const char **p, const char *end, bool full)
{
	static const char * const full_names[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
	};
	unsigned int i;

	for (i = 0; i < 7; i++)
		if (lit(p, end, full ? full_names[i] : wdays[i]))
			return true;
	return false;
}

int http_parse_date(const char *s, size_t len, time_t *out)
{
	static const unsigned char mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct http_span v = trim(span(s, len));
	unsigned int d, m, y, h, mi, sec;
	const char *p, *end;
	bool leap;
	int64_t t;

	if (!v.p)
		return -EINVAL;	/* an absent field */
	p = v.p;
	end = v.p + v.len;
	if (day_name(&p, end, false) && lit(&p, end, ", ")) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!digits(&p, end, 2, &d) || !lit(&p, end, " ") ||
		    !month_of(&p, end, &m) || !lit(&p, end, " ") ||
		    !digits(&p, end, 4, &y) || !lit(&p, end, " ") ||
		    !time_of_day(&p, end, &h, &mi, &sec) || !lit(&p, end, " GMT"))
			return -EINVAL;
	} else if (rewind_to(&p, v.p) && day_name(&p, end, true) && lit(&p, end, ", ")) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		if (!digits(&p, end, 2, &d) || !lit(&p, end, "-") ||
		    !month_of(&p, end, &m) || !lit(&p, end, "-") ||
		    !digits(&p, end, 2, &y) || !lit(&p, end, " ") ||
		    !time_of_day(&p, end, &h, &mi, &sec) || !lit(&p, end, " GMT"))
			return -EINVAL;
		y += y < 70 ? 2000 : 1900;
	} else if (rewind_to(&p, v.p) && day_name(&p, end, false) && lit(&p, end, " ")) {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (!month_of(&p, end, &m) || !lit(&p, end, " "))
			return -EINVAL;
		if (lit(&p, end, " ")) {
			if (!digits(&p, end, 1, &d))
				return -EINVAL;
		} else if (!digits(&p, end, 2, &d)) {
			return -EINVAL;
		}
		if (!lit(&p, end, " ") || !time_of_day(&p, end, &h, &mi, &sec) ||
		    !lit(&p, end, " ") || !digits(&p, end, 4, &y))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (p != end)
		return -EINVAL;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	/* A leap second (60) is let through as the next minute's first. */
	if (!d || d > mdays[m - 1] || (m == 2 && d == 29 && !leap) || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
	if (t < 0)
		return -EINVAL;
	*out = (time_t)t;
	return 0;
}

/* --- entity tags --------------------------------------------------------- */

size_t http_format_etag(char *buf, size_t size, uint64_t id, uint64_t vsize,
			uint64_t seal_ns)
{
	return snprintf(buf, size, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
			id, vsize, seal_ns);
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

bool http_etag_match(struct http_span s, const char *etag, bool weak)
{
	size_t i = 0, elen = etag ? strlen(etag) : 0;
	struct http_span v = trim(s);
	bool matched = false;

	if (!etag || !v.p)
		return false;
	if (v.len == 1 && v.p[0] == '*')
		return true;
	for (;;) {
		bool is_weak = false;
		size_t start;

		while (i < v.len && is_ows(v.p[i]))
			i++;
		if (i + 2 <= v.len && v.p[i] == 'W' && v.p[i + 1] == '/') {
			is_weak = true;
			i += 2;
		}
		if (i >= v.len || v.p[i] != '"')
			return false;
		start = i++;
		while (i < v.len && is_etagc(v.p[i]))
			i++;
		if (i >= v.len || v.p[i] != '"')
			return false;
		i++;
		if ((weak || !is_weak) && i - start == elen &&
		    !memcmp(v.p + start, etag, elen))
			matched = true;
		while (i < v.len && is_ows(v.p[i]))
			i++;
		if (i == v.len)
			return matched;
		if (v.p[i++] != ',')
			return false;	/* a list that does not parse matches nothing */
		/* Empty list elements are allowed: "a, , b" (RFC 9110 5.6.1). */
		while (i < v.len && (is_ows(v.p[i]) || v.p[i] == ','))
			i++;
		if (i == v.len)
			return matched;
	}
}

/* --- names and types ----------------------------------------------------- */

/*
 * The cache holds MPEG-TS first of all, and names often carry no extension:
 * those are served as video/mp2t. An extension we do not know means the
 * name says what the bytes are and we do not: application/octet-stream.
 */
const char *http_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	struct http_span ext;

	if (!dot || dot == name)
		return "video/mp2t";
	ext = span(dot + 1, strlen(dot + 1));
	if (http_span_eq(ext, "ts") || http_span_eq(ext, "m2ts") || http_span_eq(ext, "mts"))
		return "video/mp2t";
	if (http_span_eq(ext, "mp4") || http_span_eq(ext, "m4v"))
		return "video/mp4";
	return "application/octet-stream";
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes @in into @out (at most @size bytes); -1 on a bad %XX or overflow. */
static ssize_t pct_decode(struct http_span in, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= in.len)
				return -1;
			hi = hexval(in.p[i + 1]);
			lo = hexval(in.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (n == size)
			return -1;
		out[n++] = c;
	}
	return n;
}

size_t http_decode_name(struct http_span seg, char *field, size_t size)
{
	ssize_t n;

	memset(field, 0, size);
	if (!size || memchr(seg.p, '/', seg.len))
		return 0;
	n = pct_decode(seg, field, size - 1);
	if (n <= 0 || memchr(field, '/', n) || memchr(field, '\0', n)) {
		memset(field, 0, size);
		return 0;
	}
	return n;
}

/* --- the query ------------------------------------------------------------ */

int http_parse_query(struct http_span query, struct http_query *q, const char **why)
{
	size_t i = 0;

	memset(q, 0, sizeof(*q));
	while (i < query.len) {
		char key[HTTP_QUERY_ITEM_MAX], val[HTTP_QUERY_ITEM_MAX];
		size_t start = i, end, eq;
		ssize_t kn, vn;

		while (i < query.len && query.p[i] != '&')
			i++;
		end = i++;	/* past the '&' */
		for (eq = start; eq < end && query.p[eq] != '='; eq++)
			;
		kn = pct_decode(span(query.p + start, eq - start), key, sizeof(key));
		/* A value too long to be one of ours decodes as an error (-1). */
		vn = eq < end ? pct_decode(span(query.p + eq + 1, end - eq - 1), val,
					   sizeof(val) - 1) : 0;
		val[vn > 0 ? vn : 0] = '\0';
		if (kn == 1 && key[0] == 't') {
			if (q->has_t) {
				*why = "t= given twice";
				return -EINVAL;
			}
			/* A %00 would end the string early: "1%00junk". */
			if (vn <= 0 || memchr(val, '\0', vn) || tc_parse(val, &q->t)) {
				*why = "bad t=: want HH:MM:SS:FF (HH:MM:SS;FF drop-frame), "
				       "seconds (t=12.5) or 90 kHz ticks (t=1125000t)";
				return -EINVAL;
			}
			memcpy(q->t_text, val, vn + 1);
			q->has_t = true;
		} else if (kn == 4 && !memcmp(key, "loop", 4)) {
			uint64_t n = 0;
			ssize_t k;

			if (q->has_loop) {
				*why = "loop= given twice";
				return -EINVAL;
			}
			for (k = 0; k < vn && is_digit(val[k]) && n <= HTTP_LOOP_MAX; k++)
				n = n * 10 + (val[k] - '0');
			if (vn <= 0 || k != vn || n > HTTP_LOOP_MAX) {
				*why = "bad loop=: want a count from 0 (forever) to 1000000";
				return -EINVAL;
			}
			q->has_loop = true;
			q->loop = n;
		}
	}
	return 0;
}
