// SPDX-License-Identifier: GPL-2.0
/*
 * HLS playlists from the keyframe index; see hls.h. Every rule quoted is
 * from RFC 8216.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hls.h"
#include "tsprobe.h"

#define US		1000000ULL

/* ---- the growing string ---- */

int hls_printf(struct hls_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (b->err)
		return b->err;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->cap - b->len,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return b->err;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += n;
			return 0;
		}
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->err = -ENOMEM;
			return b->err;
		}
		b->s = s;
		b->cap = cap;
	}
}

void hls_buf_free(struct hls_buf *b)
{
	free(b->s);
	*b = (struct hls_buf){ 0 };
}

/* ---- arguments ---- */

int hls_parse_seg(const char *s, uint64_t *ticks)
{
	uint64_t whole = 0, frac = 0, scale = 1, t;
	const char *p = s;
	int idig = 0, fdig = 0;

	for (; *p >= '0' && *p <= '9'; p++, idig++) {
		if (whole > HLS_SEG_MAX)
			return -ERANGE;		/* no overflow, however long */
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fdig++) {
			if (fdig < 9) {		/* a nanosecond is plenty */
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
		}
		if (!fdig)
			return -EINVAL;
	}
	if (*p || !idig)
		return -EINVAL;
	if (whole > HLS_SEG_MAX)
		return -ERANGE;
	t = whole * HLS_HZ + (frac * HLS_HZ + scale / 2) / scale;
	if (!t || t > (uint64_t)HLS_SEG_MAX * HLS_HZ)
		return -ERANGE;
	*ticks = t;
	return 0;
}

size_t hls_escape_uri(char *buf, size_t size, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		char c[3] = { (char)*p };
		int k = 1;

		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-._~/", *p))) {
			c[0] = '%';
			c[1] = hex[*p >> 4];
			c[2] = hex[*p & 15];
			k = 3;
		}
		for (int i = 0; i < k; i++, n++)
			if (n + 1 < size)
				buf[n] = c[i];
	}
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

/* ---- keyframes ---- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sorts offsets that are nearly sorted already: in pts order, a stream's
 * offsets are out of order only where B-frames are, a frame or three. An
 * insertion sort is then linear; past 8 moves an entry on average the input
 * is not what a stream makes, and qsort() bounds the time at O(n log n).
 * (A sealed 10 h index: 900,000 entries, sorted in 2 ms, not 60.)
 */
static void sort_offsets(uint64_t *offs, size_t n)
{
	size_t moves = 0;

	for (size_t i = 1; i < n; i++) {
		uint64_t x = offs[i];
		size_t j = i;

		while (j && offs[j - 1] > x) {
			offs[j] = offs[j - 1];
			j--;
			if (++moves > 8 * n) {
				offs[j] = x;
				qsort(offs, n, sizeof(*offs), u64_cmp);
				return;
			}
		}
		offs[j] = x;
	}
}

int hls_keys(const struct vcache_index_entry *e, size_t n, uint64_t first_pos,
	     uint64_t end, struct hls_key **keys, size_t *nkeys)
{
	struct hls_key *k;
	uint64_t *offs;
	size_t nk = 0;

	for (size_t i = 0; i < n; i++)
		if (e[i].offset >= end)
			return -EINVAL;
	if (!n)
		return -ENOENT;
	/*
	 * Entries are in pts order, and with B-frames that is not stream
	 * order: the frame after a keyframe in the stream is the entry with
	 * the next offset, found in the offsets sorted.
	 */
	for (size_t i = 0; i < n; i++)
		nk += !!(e[i].flags & VCACHE_INDEX_KEY);
	if (!nk)
		return -ENOENT;
	offs = malloc(n * sizeof(*offs));
	k = malloc(nk * sizeof(*k));
	nk = 0;
	if (!offs || !k) {
		free(offs);
		free(k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		offs[i] = e[i].offset;
	sort_offsets(offs, n);
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = n;

		if (!(e[i].flags & VCACHE_INDEX_KEY))
			continue;
		if (nk && (e[i].pts <= k[nk - 1].pts ||
			   e[i].offset <= k[nk - 1].offset))
			continue;
		while (lo < hi) {	/* the first offset above it */
			size_t mid = lo + (hi - lo) / 2;

			if (offs[mid] <= e[i].offset)
				lo = mid + 1;
			else
				hi = mid;
		}
		k[nk++] = (struct hls_key){
			.pos = first_pos + i,
			.pts = e[i].pts,
			.offset = e[i].offset,
			.start = e[i].offset,
			.frame_end = lo < n ? offs[lo] : end,
		};
	}
	free(offs);
	if (!nk) {
		free(k);
		return -ENOENT;
	}
	*keys = k;
	*nkeys = nk;
	return 0;
}

int hls_keys_psi(struct hls_key *keys, size_t n, uint64_t lowest,
		 hls_read_fn rd, void *arg)
{
	uint8_t buf[HLS_PSI_LOOKBACK];

	for (size_t i = 0; i < n; i++) {
		struct hls_key *k = &keys[i];
		/* Not before the previous keyframe's first packet. */
		uint64_t lo = i ? keys[i - 1].offset + TS_PACKET : 0;
		uint64_t len;
		size_t back;
		int err;

		if (lo < lowest)
			lo = lowest;
		k->start = k->offset;
		k->psi = false;
		if (k->offset < lo + 2 * TS_PACKET)
			continue;
		len = k->offset - lo;
		if (len > sizeof(buf))
			len = sizeof(buf);
		len -= len % TS_PACKET;
		err = rd(arg, k->offset - len, buf, len);
		if (err == -ERANGE)
			continue;
		if (err)
			return err;
		if (!ts_psi_before(buf, len, &back)) {
			k->start = k->offset - back;
			k->psi = true;
		}
	}
	return 0;
}

uint64_t hls_index_duration(const struct vcache_index_entry *e, size_t n,
			    uint64_t frame)
{
	uint64_t steps[32];
	size_t ns = 0;

	if (!n)
		return 0;
	if (frame)
		return e[n - 1].pts + frame;
	for (size_t i = n - 1; i > 0 && ns < 32; i--)
		if (e[i].pts > e[i - 1].pts)
			steps[ns++] = e[i].pts - e[i - 1].pts;
	if (!ns)
		return e[n - 1].pts + HLS_HZ / 25;
	qsort(steps, ns, sizeof(*steps), u64_cmp);
	return e[n - 1].pts + steps[ns / 2];
}

/* ---- times ---- */

/* Ticks to microseconds, rounded, without overflow for any u64. */
static uint64_t to_us(uint64_t t)
{
	return t / 9 * 100 + ((t % 9) * 100 + 4) / 9;
}

/* The EXTINF of [t0, t1): rounded ends, so that EXTINFs add up exactly. */
static uint64_t extinf_us(uint64_t t0, uint64_t t1)
{
	return to_us(t1) - to_us(t0);
}

/* "Rounded to the nearest integer" (4.3.3.1): half up. */
static uint64_t round_s(uint64_t us)
{
	return (us + US / 2) / US;
}

static void put_extinf(struct hls_buf *b, uint64_t us)
{
	hls_printf(b, "#EXTINF:%llu.%06llu,\n", (unsigned long long)(us / US),
		   (unsigned long long)(us % US));
}

static void put_range(struct hls_buf *b, uint64_t off, uint64_t len,
		      const char *uri)
{
	hls_printf(b, "#EXT-X-BYTERANGE:%llu@%llu\n%s\n",
		   (unsigned long long)len, (unsigned long long)off, uri);
}

static void put_map(struct hls_buf *b, const struct hls_vod *v)
{
	hls_printf(b, "#EXT-X-MAP:URI=\"%s\",BYTERANGE=\"%llu@%llu\"\n",
		   v->uri, (unsigned long long)v->map_len,
		   (unsigned long long)v->map_off);
}

/* Bits a second of @len bytes in @us, rounded up. */
static uint64_t rate(uint64_t len, uint64_t us)
{
	if (!us)
		us = 1;
	return (uint64_t)(((__uint128_t)len * 8 * US + us - 1) / us);
}

/* ---- VOD ---- */

static int vod_check(const struct hls_vod *v)
{
	const struct hls_key *last;

	if (!v->nkeys)
		return -ENOENT;
	last = &v->keys[v->nkeys - 1];
	if (!v->keys || !v->uri || strchr(v->uri, '"') ||
	    strpbrk(v->uri, "\r\n") || v->duration <= last->pts ||
	    v->size <= last->offset || v->size < last->frame_end)
		return -EINVAL;
	return 0;
}

/* Whether a segment starting at key @i decodes on its own. */
static bool seg_psi(const struct hls_vod *v, size_t i)
{
	if (i || v->keys[0].psi)
		return v->keys[i].psi;
	/* The first segment starts at byte 0: the file's PAT+PMT, if early. */
	return v->map_len && v->map_off + v->map_len <= v->keys[0].offset;
}

/* Candidate segment ends: keys 1 .. nkeys-1, and nkeys for the end. */
static uint64_t end_time(const struct hls_vod *v, size_t j)
{
	return j == v->nkeys ? v->duration : v->keys[j].pts;
}

static uint64_t end_off(const struct hls_vod *v, size_t j)
{
	return j == v->nkeys ? v->size : v->keys[j].start;
}

/* How far a segment from @t0 to candidate @j misses @target. */
static uint64_t miss(const struct hls_vod *v, size_t j, uint64_t t0,
		     uint64_t target)
{
	uint64_t d = end_time(v, j) - t0;

	return d > target ? d - target : target - d;
}

int hls_vod_segments(const struct hls_vod *v, uint64_t target,
		     struct hls_seg **segs, size_t *n)
{
	size_t m = v->nkeys, a = 0, ns = 0;
	struct hls_seg *s;
	uint64_t ta = 0, oa = 0;
	int err = vod_check(v);

	if (err)
		return err;
	if (!target || target > (uint64_t)HLS_SEG_MAX * HLS_HZ)
		return -EINVAL;
	s = malloc((m + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (;;) {
		size_t best = a + 1;

		/* |duration - target| falls, then rises: stop at the turn. */
		while (best < m &&
		       miss(v, best + 1, ta, target) < miss(v, best, ta, target))
			best++;
		if (end_time(v, best) <= ta || end_off(v, best) <= oa) {
			free(s);
			return -EINVAL;
		}
		s[ns++] = (struct hls_seg){
			.off = oa, .len = end_off(v, best) - oa,
			.t0 = ta, .dur = end_time(v, best) - ta,
			.psi = seg_psi(v, a),
		};
		if (best == m)
			break;
		a = best;
		ta = end_time(v, a);
		oa = end_off(v, a);
	}
	*segs = s;
	*n = ns;
	return 0;
}

static uint64_t max_round(const struct hls_seg *s, size_t n)
{
	uint64_t td = 1;	/* a target of 0 s would be meaningless */

	for (size_t i = 0; i < n; i++) {
		uint64_t r = round_s(extinf_us(s[i].t0, s[i].t0 + s[i].dur));

		if (r > td)
			td = r;
	}
	return td;
}

/*
 * A VOD playlist of segments (or I-frames): EXT-X-MAP when one of them does
 * not start with its own PAT+PMT and the file's are known, and the
 * version its tags need (RFC 8216 7): 4 for BYTERANGE and I-FRAMES-ONLY, 5
 * for MAP in an I-frame playlist, 6 for MAP in any other.
 */
static int put_vod(struct hls_buf *out, const struct hls_vod *v,
		   const struct hls_seg *s, size_t n, bool iframes)
{
	bool map = false;

	for (size_t i = 0; i < n; i++)
		map |= !s[i].psi;
	map &= v->map_len != 0;
	hls_printf(out, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%llu\n"
		   "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n%s",
		   map ? (iframes ? 5 : 6) : 4,
		   (unsigned long long)max_round(s, n),
		   iframes ? "#EXT-X-I-FRAMES-ONLY\n" : "");
	if (map)
		put_map(out, v);
	for (size_t i = 0; i < n; i++) {
		put_extinf(out, extinf_us(s[i].t0, s[i].t0 + s[i].dur));
		put_range(out, s[i].off, s[i].len, v->uri);
	}
	hls_printf(out, "#EXT-X-ENDLIST\n");
	return out->err;
}

int hls_vod_media(const struct hls_vod *v, uint64_t target, struct hls_buf *out)
{
	struct hls_seg *s;
	size_t n;
	int err = hls_vod_segments(v, target, &s, &n);

	if (err)
		return err;
	err = put_vod(out, v, s, n, false);
	free(s);
	return err;
}

/* The I-frames as segments: [start, frame_end), [pts, next pts). */
static int vod_iframes(const struct hls_vod *v, struct hls_seg **segs)
{
	struct hls_seg *s;
	int err = vod_check(v);

	if (err)
		return err;
	s = malloc(v->nkeys * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < v->nkeys; i++) {
		const struct hls_key *k = &v->keys[i];
		uint64_t t0 = i ? k->pts : 0;
		uint64_t t1 = i + 1 < v->nkeys ? v->keys[i + 1].pts : v->duration;

		s[i] = (struct hls_seg){
			.off = k->start, .len = k->frame_end - k->start,
			.t0 = t0, .dur = t1 - t0, .psi = k->psi,
		};
	}
	*segs = s;
	return 0;
}

int hls_vod_iframes(const struct hls_vod *v, struct hls_buf *out)
{
	struct hls_seg *s;
	int err = vod_iframes(v, &s);

	if (err)
		return err;
	err = put_vod(out, v, s, v->nkeys, true);
	free(s);
	return err;
}

static uint64_t peak_rate(const struct hls_seg *s, size_t n)
{
	uint64_t peak = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rate(s[i].len,
				  extinf_us(s[i].t0, s[i].t0 + s[i].dur));

		if (r > peak)
			peak = r;
	}
	return peak;
}

static bool attr_ok(const char *s)
{
	return !s || (!strchr(s, '"') && !strpbrk(s, "\r\n,"));
}

int hls_vod_master(const struct hls_vod *v, uint64_t target,
		   const struct hls_master *m, struct hls_buf *out)
{
	struct hls_seg *s, *fr;
	uint64_t ibytes = 0;
	size_t n;
	int err;

	if (!m->media_uri || strpbrk(m->media_uri, "\r\n") ||
	    (m->iframes_uri && strpbrk(m->iframes_uri, "\"\r\n")) ||
	    !attr_ok(m->video_codec) || (m->codecs && strpbrk(m->codecs, "\"\r\n")))
		return -EINVAL;
	err = hls_vod_segments(v, target, &s, &n);
	if (err)
		return err;
	err = vod_iframes(v, &fr);
	if (err) {
		free(s);
		return err;
	}
	/*
	 * 4.3.4.2: BANDWIDTH is the peak segment bit rate (of any run of
	 * segments no longer than the target; one segment's is the most).
	 */
	hls_printf(out, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=%llu,AVERAGE-BANDWIDTH=%llu",
		   (unsigned long long)peak_rate(s, n),
		   (unsigned long long)rate(v->size, to_us(v->duration)));
	if (m->codecs && *m->codecs)
		hls_printf(out, ",CODECS=\"%s\"", m->codecs);
	if (m->width && m->height)
		hls_printf(out, ",RESOLUTION=%ux%u", m->width, m->height);
	hls_printf(out, "\n%s\n", m->media_uri);
	if (m->iframes_uri) {
		for (size_t i = 0; i < v->nkeys; i++)
			ibytes += fr[i].len;
		hls_printf(out, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%llu,AVERAGE-BANDWIDTH=%llu",
			   (unsigned long long)peak_rate(fr, v->nkeys),
			   (unsigned long long)rate(ibytes, to_us(v->duration)));
		if (m->video_codec && *m->video_codec)
			hls_printf(out, ",CODECS=\"%s\"", m->video_codec);
		if (m->width && m->height)
			hls_printf(out, ",RESOLUTION=%ux%u", m->width, m->height);
		hls_printf(out, ",URI=\"%s\"\n", m->iframes_uri);
	}
	free(s);
	free(fr);
	return out->err;
}

/* ---- live ---- */

int hls_live_init(struct hls_live *l, uint64_t target)
{
	if (!target || target > (uint64_t)HLS_SEG_MAX * HLS_HZ)
		return -EINVAL;
	*l = (struct hls_live){ .target = target };
	return 0;
}

void hls_live_free(struct hls_live *l)
{
	free(l->segs);
	l->segs = NULL;
	l->nsegs = 0;
	l->cap = 0;
}

static int live_close(struct hls_live *l, uint64_t end_off, uint64_t end_pts)
{
	const struct hls_key *o = &l->open_key;
	uint64_t r;

	if (l->nsegs == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct hls_lseg *s = realloc(l->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		l->segs = s;
		l->cap = cap;
	}
	l->segs[l->nsegs++] = (struct hls_lseg){
		.seq = l->next_seq++, .pos = o->pos, .pts = o->pts,
		.start = o->start, .len = end_off - o->start,
		.dur = end_pts - o->pts, .psi = o->psi,
	};
	r = round_s(extinf_us(o->pts, end_pts));
	if (r > l->max_round)
		l->max_round = r;
	return 0;
}

int hls_live_feed(struct hls_live *l, uint64_t first_pos, uint64_t end_pos,
		  const struct hls_key *keys, size_t n)
{
	if (l->ended)
		return -EINVAL;
	if (l->started && first_pos > l->next_pos) {
		/*
		 * Entries were lost: the open segment's end is unknown and
		 * the closed ones have most likely left the ring too.
		 */
		l->nsegs = 0;
		l->started = false;
		l->have_open = false;
		l->gaps++;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hls_key *k = &keys[i];
		uint64_t d, g;

		if (k->pos < l->next_pos && l->started)
			continue;
		if (!l->started) {
			/* Numbers stay at or below positions: see hls.h. */
			if (k->pos > l->next_seq)
				l->next_seq = k->pos;
			l->started = true;
			l->have_open = true;
			l->open_key = *k;
			l->last_key_pts = k->pts;
			continue;
		}
		if (k->pts <= l->last_key_pts || k->start <= l->open_key.start)
			continue;
		d = k->pts - l->open_key.pts;
		g = k->pts - l->last_key_pts;
		l->gop = g;
		l->last_key_pts = k->pts;
		/*
		 * Closing here misses the target by |d - T|, waiting for the
		 * next keyframe (one more GOP like this one) by |d + g - T|.
		 */
		if (d >= l->target || 2 * d + g >= 2 * l->target) {
			int err = live_close(l, k->start, k->pts);

			if (err)
				return err;
			l->open_key = *k;
		}
	}
	if (end_pos > l->next_pos)
		l->next_pos = end_pos;
	return 0;
}

int hls_live_end(struct hls_live *l, uint64_t end_off, uint64_t end_pts)
{
	int err = 0;

	if (l->ended)
		return 0;
	if (l->have_open && end_pts > l->open_key.pts &&
	    end_off > l->open_key.start)
		err = live_close(l, end_off, end_pts);
	l->have_open = false;
	l->ended = true;
	return err;
}

static void put_pdt(struct hls_buf *b, int64_t base_ms, uint64_t pts)
{
	int64_t ms = base_ms + (int64_t)(to_us(pts) / 1000);
	time_t sec = ms / 1000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	hls_printf(b, "#EXT-X-PROGRAM-DATE-TIME:%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\n",
		   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		   tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* The target duration a live playlist says, in seconds (at least 1). */
static uint64_t live_td(const struct hls_live *l)
{
	uint64_t td = round_s(to_us(l->target));

	if (td < l->max_round)
		td = l->max_round;
	return td ? td : 1;
}

uint64_t hls_live_avail(const struct hls_live *l, uint64_t tail, uint64_t window)
{
	uint64_t td = live_td(l) * HLS_HZ, want = window, cum = 0, keep3 = 0;
	uint64_t end, margin, avail;
	bool have3 = false;
	size_t i = l->nsegs;

	if (!l->nsegs)
		return tail;
	if (want < 3 * td)
		want = 3 * td;
	/* The newest segments back to a playlist and a segment of time... */
	while (i > 0 && cum < want + td) {
		cum += l->segs[--i].dur;
		if (!have3 && cum >= 3 * td) {
			keep3 = l->segs[i].start;
			have3 = true;
		}
	}
	end = l->segs[l->nsegs - 1].start + l->segs[l->nsegs - 1].len;
	/* ...are the bytes the writer will write in as long (or in proportion). */
	margin = end - l->segs[i].start;
	if (cum && cum < want + td)
		margin = (uint64_t)((unsigned __int128)margin * (want + td) / cum);
	avail = tail + margin < tail ? UINT64_MAX : tail + margin;
	/* 6.2.2's other rule first: three target durations while held. */
	if (!have3)
		return tail;
	if (avail > keep3)
		avail = keep3 > tail ? keep3 : tail;
	return avail;
}

int hls_live_media(struct hls_live *l, struct hls_live_view *view,
		   struct hls_buf *out)
{
	size_t drop = 0, first;
	uint64_t td, cum = 0, want;

	if (!view->uri || strpbrk(view->uri, "\r\n"))
		return -EINVAL;
	/* Segments whose bytes may leave the ring are gone for good. */
	while (drop < l->nsegs && l->segs[drop].start < view->avail_start)
		drop++;
	if (drop) {
		memmove(l->segs, l->segs + drop,
			(l->nsegs - drop) * sizeof(*l->segs));
		l->nsegs -= drop;
	}
	if (!l->nsegs)
		return -EAGAIN;
	td = live_td(l);
	/* 6.2.2: never less than three target durations. */
	want = view->window;
	if (want < 3 * td * HLS_HZ)
		want = 3 * td * HLS_HZ;
	first = l->nsegs;
	while (first > 0 && cum < want)
		cum += l->segs[--first].dur;
	view->short_window = cum < 3 * td * HLS_HZ && !l->ended;
	/*
	 * 6.2.1: a segment once removed never comes back, whatever window a
	 * later request asks for: the media sequence only grows.
	 */
	if (first) {
		memmove(l->segs, l->segs + first,
			(l->nsegs - first) * sizeof(*l->segs));
		l->nsegs -= first;
		first = 0;
	}

	hls_printf(out, "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:%llu\n"
		   "#EXT-X-MEDIA-SEQUENCE:%llu\n", (unsigned long long)td,
		   (unsigned long long)l->segs[first].seq);
	for (size_t i = first; i < l->nsegs; i++) {
		const struct hls_lseg *s = &l->segs[i];

		if (view->pdt_base_ms >= 0)
			put_pdt(out, view->pdt_base_ms, s->pts);
		put_extinf(out, extinf_us(s->pts, s->pts + s->dur));
		put_range(out, s->start, s->len, view->uri);
	}
	if (l->ended)
		hls_printf(out, "#EXT-X-ENDLIST\n");
	return out->err;
}
