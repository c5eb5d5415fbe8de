// SPDX-License-Identifier: GPL-2.0
/*
 * hls_check: the RFC 8216 checker of hls_test.c (hls_checker.h) as a host
 * tool, for the playlists vcache-streamer serves (selftests/vcache/
 * hls_test.sh runs it in the VM on what curl fetched):
 *
 *   hls_check media SIZE < PLAYLIST         a VOD media playlist of a
 *                                           SIZE-byte video
 *   hls_check iframes SIZE < PLAYLIST       its I-frame playlist; prints
 *                                           "OFFSET LENGTH MICROSECONDS"
 *                                           for each I-frame
 *   hls_check master MEDIA SIZE < MASTER    the master playlist against
 *                                           the media playlist in file MEDIA
 *   hls_check live < PLAYLIST               a live media playlist; prints
 *                                           "SEQ N TARGET TOTAL_US FIRST_OFF
 *                                           END_OFF ENDLIST" (ENDLIST 0|1)
 *
 * Prints a summary line and exits 0, or prints every rule broken and
 * exits 1 (2: bad usage).
 */
#include <inttypes.h>
#include <stdarg.h>

struct __test_metadata {
	int unused;
};

#define TH_LOG(fmt, ...)	printf("hls_check: " fmt "\n", ##__VA_ARGS__)

#include "hls_checker.h"

static char *slurp(FILE *f)
{
	size_t len = 0, cap = 1 << 16, n;
	char *s = malloc(cap);

	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			s = realloc(s, cap);
		}
	}
	if (s)
		s[len] = '\0';
	return s;
}

static const char * const master_tags[] = {
	"#EXTM3U", "#EXT-X-VERSION:", "#EXT-X-INDEPENDENT-SEGMENTS",
	"#EXT-X-STREAM-INF:", "#EXT-X-I-FRAME-STREAM-INF:",
};

/* The master playlist: its two streams, BANDWIDTH against @media's segments. */
static int check_master(const char *text, const char *media, uint64_t size)
{
	struct __test_metadata md, *_metadata = &md;
	unsigned long long bw = 0, avg = 0, ibw = 0, peak = 0, want;
	char *copy = strdup(text), *save = NULL, *line, *inf, uri[256] = "";
	char codecs[128] = "", res[32] = "";
	bool after_inf = false;
	int bad = 0, streams = 0, iframes = 0;
	struct pl p;
	size_t i;

	if (check_media(_metadata, media, PL_VOD, size, &p))
		BAD("its media playlist is not valid");
	if (strncmp(text, "#EXTM3U\n", 8))
		BAD("does not start with #EXTM3U");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool known = false;

		if (after_inf) {
			if (line[0] == '#' || !line[0])
				BAD("no URI after EXT-X-STREAM-INF");
			snprintf(uri, sizeof(uri), "%s", line);
			after_inf = false;
			continue;
		}
		if (line[0] != '#') {
			BAD("URI without EXT-X-STREAM-INF: %s", line);
			continue;
		}
		for (i = 0; i < sizeof(master_tags) / sizeof(master_tags[0]); i++)
			known |= !strncmp(line, master_tags[i], strlen(master_tags[i]));
		if (!known && !strncmp(line, "#EXT", 4))
			BAD("not a master playlist tag: %s", line);
		if (!strncmp(line, "#EXT-X-STREAM-INF:", 18)) {
			streams++;
			after_inf = true;
			if (sscanf(line, "#EXT-X-STREAM-INF:BANDWIDTH=%llu,AVERAGE-BANDWIDTH=%llu",
				   &bw, &avg) != 2)
				BAD("STREAM-INF without BANDWIDTH, AVERAGE-BANDWIDTH: %s", line);
			inf = strstr(line, ",CODECS=\"");
			if (inf)
				sscanf(inf, ",CODECS=\"%127[^\"]\"", codecs);
			inf = strstr(line, ",RESOLUTION=");
			if (inf)
				sscanf(inf, ",RESOLUTION=%31[0-9x]", res);
		} else if (!strncmp(line, "#EXT-X-I-FRAME-STREAM-INF:", 26)) {
			iframes++;
			if (sscanf(line, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%llu", &ibw) != 1 ||
			    !ibw)
				BAD("I-FRAME-STREAM-INF without BANDWIDTH: %s", line);
			if (!strstr(line, ",URI=\"iframes.m3u8\""))
				BAD("I-FRAME-STREAM-INF without URI=\"iframes.m3u8\": %s", line);
		}
	}
	if (streams != 1 || iframes != 1)
		BAD("%d STREAM-INF and %d I-FRAME-STREAM-INF, want 1 and 1", streams, iframes);
	if (strncmp(uri, "index.m3u8", 10))
		BAD("the variant's URI is \"%s\", not the media playlist's", uri);
	/* 4.3.4.2: BANDWIDTH the peak segment bit rate, AVERAGE the mean */
	for (i = 0; i < p.n; i++) {
		want = (p.segs[i].len * 8 * 1000000 + p.segs[i].us - 1) / p.segs[i].us;
		peak = want > peak ? want : peak;
	}
	if (bw != peak)
		BAD("BANDWIDTH %llu, the peak segment's rate is %llu", bw, peak);
	want = p.total_us ? (size * 8 * 1000000 + p.total_us - 1) / p.total_us : 0;
	if (avg != want)
		BAD("AVERAGE-BANDWIDTH %llu, size over duration is %llu", avg, want);
	if (!bad)
		printf("master ok: BANDWIDTH=%llu AVERAGE-BANDWIDTH=%llu CODECS=%s "
		       "RESOLUTION=%s URI=%s I-FRAME-BANDWIDTH=%llu\n",
		       bw, avg, codecs, res, uri, ibw);
	pl_free(&p);
	free(copy);
	return bad;
}

int main(int argc, char **argv)
{
	struct __test_metadata md;
	char *text, *media = NULL;
	unsigned long long size;
	struct pl p;
	FILE *f;
	int bad;

	if (argc == 2 && !strcmp(argv[1], "live")) {
		text = slurp(stdin);
		if (!text)
			return 2;
		bad = check_media(&md, text, PL_LIVE, 0, &p);
		if (!bad)
			printf("%" PRIu64 " %zu %lld %" PRIu64 " %" PRIu64 " %" PRIu64 " %d\n",
			       p.media_seq, p.n, p.target, p.total_us, p.segs[0].off,
			       p.segs[p.n - 1].off + p.segs[p.n - 1].len, p.endlist);
		pl_free(&p);
		free(text);
		return bad ? 1 : 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "media") || !strcmp(argv[1], "iframes"))) {
		size = strtoull(argv[2], NULL, 10);
	} else if (argc == 4 && !strcmp(argv[1], "master")) {
		f = fopen(argv[2], "r");
		media = f ? slurp(f) : NULL;
		if (f)
			fclose(f);
		if (!media) {
			fprintf(stderr, "hls_check: cannot read %s\n", argv[2]);
			return 2;
		}
		size = strtoull(argv[3], NULL, 10);
	} else {
		fprintf(stderr, "usage: hls_check media|iframes SIZE < PLAYLIST\n"
			"       hls_check master MEDIA SIZE < MASTER\n"
			"       hls_check live < PLAYLIST\n");
		return 2;
	}
	text = slurp(stdin);
	if (!text)
		return 2;
	if (media) {
		bad = check_master(text, media, size);
	} else {
		bad = check_media(&md, text, argv[1][0] == 'm' ? PL_VOD : PL_IFRAMES, size, &p);
		if (!bad && argv[1][0] == 'i')
			for (size_t i = 0; i < p.n; i++)
				printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", p.segs[i].off,
				       p.segs[i].len, p.segs[i].us);
		if (!bad)
			fprintf(argv[1][0] == 'i' ? stderr : stdout,
				"%s ok: version %d, target %lld, %zu entries, %" PRIu64 " us%s\n",
				argv[1], p.version, p.target, p.n, p.total_us,
				p.map ? ", EXT-X-MAP" : "");
		pl_free(&p);
	}
	free(text);
	free(media);
	return bad ? 1 : 0;
}
