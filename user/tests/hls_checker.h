/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small RFC 8216 checker of media playlists, from the text alone: it
 * knows nothing of how they were made. Included by hls_test.c (the unit
 * tests of user/lib/hls.c) and by hls_check.c (the host tool the VM's
 * hls_test.sh runs on the playlists the streamer serves), each of which
 * defines what the checker needs first: struct __test_metadata and
 * TH_LOG(), the kselftest harness's or stand-ins.
 */
#ifndef VCACHE_HLS_CHECKER_H
#define VCACHE_HLS_CHECKER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum pl_kind { PL_VOD, PL_IFRAMES, PL_LIVE };

struct pl_seg {
	uint64_t off, len, us;
	uint64_t seq;
	int64_t pdt_ms;		/* -1: none */
};

struct pl {
	int version;
	long long target;
	uint64_t media_seq;
	bool endlist, vod_type, iframes, map;
	uint64_t map_off, map_len;
	uint64_t total_us;
	struct pl_seg *segs;
	size_t n;
	char uri[256];
};

static void pl_free(struct pl *p)
{
	free(p->segs);
	memset(p, 0, sizeof(*p));
}

/* "123.456789" to microseconds; false if not a decimal. */
static bool parse_dur(const char *s, uint64_t *us)
{
	uint64_t w = 0, f = 0, scale = 1000000;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true)
		w = w * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (scale > 1) {
				scale /= 10;
				f += (*s - '0') * scale;
			}
	*us = w * 1000000 + f;
	return digits && *s == ',';
}

static bool parse_range(const char *s, uint64_t *len, uint64_t *off, bool *has_off)
{
	unsigned long long l, o;
	int n = 0;

	if (sscanf(s, "%llu%n", &l, &n) != 1)
		return false;
	*len = l;
	*has_off = s[n] == '@';
	if (*has_off) {
		int m = 0;

		if (sscanf(s + n + 1, "%llu%n", &o, &m) != 1 || s[n + 1 + m])
			return false;
		*off = o;
	} else if (s[n]) {
		return false;
	}
	return true;
}

static int64_t parse_pdt(const char *s)
{
	struct tm tm = { 0 };
	int ms;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7 ||
	    strlen(s) != 24)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

#define BAD(...)	do { TH_LOG(__VA_ARGS__); bad++; } while (0)

/*
 * Reads @text as a media playlist of @kind and checks what RFC 8216 says
 * of it; @size (VOD, I-frames) is the resource's length. Returns the number
 * of rules broken (each logged); fills @p.
 */
static int check_media(struct __test_metadata *_metadata, const char *text,
		       enum pl_kind kind, uint64_t size, struct pl *p)
{
	char *copy = strdup(text), *save = NULL, *line;
	int bad = 0, need = 1, seen_version = 0, seen_target = 0;
	bool pending = false, have_range = false, float_extinf = false;
	bool range_tag = false, have_off = false;
	uint64_t us = 0, rlen = 0, roff = 0, next_off = 0, seq;
	int64_t pdt = -1;
	size_t cap = 0;

	memset(p, 0, sizeof(*p));
	if (strncmp(text, "#EXTM3U\n", 8))
		BAD("does not start with #EXTM3U");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "#EXTM3U"))
			continue;
		if (!strncmp(line, "#EXT-X-VERSION:", 15)) {
			seen_version++;
			p->version = atoi(line + 15);
		} else if (!strncmp(line, "#EXT-X-TARGETDURATION:", 22)) {
			seen_target++;
			p->target = atoll(line + 22);
		} else if (!strncmp(line, "#EXT-X-MEDIA-SEQUENCE:", 22)) {
			if (p->n || pending)
				BAD("MEDIA-SEQUENCE after a segment");
			p->media_seq = strtoull(line + 22, NULL, 10);
		} else if (!strcmp(line, "#EXT-X-PLAYLIST-TYPE:VOD")) {
			p->vod_type = true;
		} else if (!strcmp(line, "#EXT-X-I-FRAMES-ONLY")) {
			p->iframes = true;
			need = need > 4 ? need : 4;	/* 7: I-FRAMES-ONLY */
		} else if (!strcmp(line, "#EXT-X-ENDLIST")) {
			p->endlist = true;
		} else if (!strncmp(line, "#EXT-X-MAP:URI=\"", 16)) {
			unsigned long long l, o;
			char *q = strchr(line + 16, '"');

			p->map = true;
			if (!q || sscanf(q, "\",BYTERANGE=\"%llu@%llu\"", &l, &o) != 2)
				BAD("bad MAP: %s", line);
			else
				p->map_len = l, p->map_off = o;
		} else if (!strncmp(line, "#EXTINF:", 8)) {
			if (pending)
				BAD("two EXTINF for one segment");
			if (!parse_dur(line + 8, &us))
				BAD("bad EXTINF: %s", line);
			float_extinf |= !!strchr(line, '.');
			pending = true;
		} else if (!strncmp(line, "#EXT-X-BYTERANGE:", 17)) {
			range_tag = true;
			if (!parse_range(line + 17, &rlen, &roff, &have_off))
				BAD("bad BYTERANGE: %s", line);
			have_range = true;
		} else if (!strncmp(line, "#EXT-X-PROGRAM-DATE-TIME:", 25)) {
			pdt = parse_pdt(line + 25);
			if (pdt < 0)
				BAD("bad PROGRAM-DATE-TIME: %s", line);
		} else if (line[0] == '#') {
			if (!strncmp(line, "#EXT", 4))
				BAD("unknown tag %s", line);
		} else {	/* a URI */
			struct pl_seg *s;

			if (!pending)
				BAD("URI without EXTINF: %s", line);
			if (!have_range)
				BAD("segment without BYTERANGE");
			/* 4.3.2.2: no offset means right after the last one */
			if (!have_off)
				roff = next_off;
			snprintf(p->uri, sizeof(p->uri), "%s", line);
			if (p->n == cap) {
				cap = cap ? 2 * cap : 64;
				p->segs = realloc(p->segs, cap * sizeof(*s));
			}
			s = &p->segs[p->n++];
			*s = (struct pl_seg){ roff, rlen, us, 0, pdt };
			next_off = roff + rlen;
			p->total_us += us;
			pending = false;
			have_range = false;
			have_off = false;
			pdt = -1;
		}
	}
	if (pending)
		BAD("EXTINF without URI at the end");
	/* 4.3.1.2, 7: the version the tags in use need */
	if (float_extinf)
		need = need > 3 ? need : 3;
	if (range_tag)
		need = need > 4 ? need : 4;
	if (p->map)
		need = need > (p->iframes ? 5 : 6) ? need : (p->iframes ? 5 : 6);
	if (seen_version != 1)
		BAD("%d EXT-X-VERSION tags", seen_version);
	else if (p->version != need)
		BAD("version %d, tags need %d", p->version, need);
	/* 4.3.3.1: every EXTINF rounded to the nearest second <= target */
	if (seen_target != 1 || p->target < 1)
		BAD("TARGETDURATION missing or < 1");
	for (size_t i = 0; i < p->n; i++) {
		p->segs[i].seq = p->media_seq + i;
		if ((long long)((p->segs[i].us + 500000) / 1000000) > p->target)
			BAD("segment %zu: EXTINF %llu us over the target %lld", i,
			    (unsigned long long)p->segs[i].us, p->target);
		if (!p->segs[i].us)
			BAD("segment %zu: EXTINF 0", i);
		if (!p->segs[i].len)
			BAD("segment %zu: empty range", i);
		if (kind != PL_LIVE && p->segs[i].off + p->segs[i].len > size)
			BAD("segment %zu: range past the end", i);
	}
	if (!p->n)
		BAD("no segment");
	seq = 0;
	switch (kind) {
	case PL_VOD:
		if (!p->vod_type || !p->endlist || p->iframes)
			BAD("VOD playlist without PLAYLIST-TYPE:VOD/ENDLIST");
		/* contiguous from byte 0 to the end */
		for (size_t i = 0; i < p->n; i++) {
			if (p->segs[i].off != seq)
				BAD("segment %zu at %llu, expected %llu", i,
				    (unsigned long long)p->segs[i].off,
				    (unsigned long long)seq);
			seq = p->segs[i].off + p->segs[i].len;
		}
		if (seq != size)
			BAD("segments end at %llu, file at %llu",
			    (unsigned long long)seq, (unsigned long long)size);
		break;
	case PL_IFRAMES:
		if (!p->iframes || !p->endlist)
			BAD("no I-FRAMES-ONLY/ENDLIST");
		for (size_t i = 1; i < p->n; i++)
			if (p->segs[i].off <= p->segs[i - 1].off)
				BAD("I-frame %zu does not move forward", i);
		break;
	case PL_LIVE:
		if (p->vod_type || p->iframes || p->map)
			BAD("live playlist with a VOD/I-frame/MAP tag");
		for (size_t i = 1; i < p->n; i++) {
			const struct pl_seg *a = &p->segs[i - 1], *b = &p->segs[i];

			if (a->off + a->len != b->off)
				BAD("live segment %zu not contiguous", i);
			if (a->pdt_ms >= 0 &&
			    llabs(b->pdt_ms - a->pdt_ms - (int64_t)(a->us / 1000)) > 1)
				BAD("PROGRAM-DATE-TIME %zu does not follow EXTINF", i);
		}
		break;
	}
	free(copy);
	return bad;
}

#endif /* VCACHE_HLS_CHECKER_H */
