// SPDX-License-Identifier: GPL-2.0
/*
 * vcachectl: how a video prints, for people (aligned "key: value" lines)
 * and as one JSON object (info, ls and monitor print the same one).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "parse.h"

/* One "key:  value" line of human output, values aligned. */
void kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%*s", key, (int)(15 - strlen(key)), "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A byte count for humans: "3.0 MiB (3145735 bytes)", or "512 B". */
void kv_bytes(const char *key, uint64_t bytes)
{
	if (bytes < 1024)
		kv(key, "%s", hsize(bytes));
	else
		kv(key, "%s (%" PRIu64 " bytes)", hsize(bytes), bytes);
}

static void kv_time(const char *key, uint64_t ns)
{
	char buf[64];

	if (!ns) {
		kv(key, "-");
		return;
	}
	format_time(buf, sizeof(buf), ns);
	kv(key, "%s", buf);
}


bool is_live(const struct vcache_info *in)
{
	return in->state == VCACHE_STATE_LIVE || in->state == VCACHE_STATE_ENDED;
}

/*
 * One JSON object, on one line and without a newline, for info, ls and
 * monitor. A live stream's has a "live" object too.
 */
void put_info_json(const struct vcache_info *in, const struct vcnl_live *live)
{
	char name[6 * VCACHE_NAME_MAX + 1];

	json_escape(name, sizeof(name), in->name, strnlen(in->name, sizeof(in->name)));
	printf("{\"name\": \"%s\", \"id\": %" PRIu64 ", \"state\": \"%s\", "
	       "\"deleted\": %s, \"pinned\": %s, \"flags\": %" PRIu32 ", "
	       "\"size\": %" PRIu64 ", \"capacity\": %" PRIu64 ", "
	       "\"fps_num\": %" PRIu32 ", \"fps_den\": %" PRIu32 ", "
	       "\"open_count\": %" PRIu32 ", \"map_count\": %" PRIu32 ", "
	       "\"index_entries\": %" PRIu64 ", \"bytes_served\": %" PRIu64 ", "
	       "\"mem_bytes\": %" PRIu64 ", \"create_time_ns\": %" PRIu64 ", "
	       "\"seal_time_ns\": %" PRIu64 ", \"access_time_ns\": %" PRIu64 ", "
	       "\"duration\": %" PRIu64,
	       name, (uint64_t)in->id, state_name(in->state),
	       in->flags & VCACHE_INFO_DELETED ? "true" : "false",
	       in->flags & VCACHE_INFO_PINNED ? "true" : "false", (uint32_t)in->flags,
	       (uint64_t)in->size, (uint64_t)in->capacity,
	       (uint32_t)in->fps_num, (uint32_t)in->fps_den,
	       (uint32_t)in->open_count, (uint32_t)in->map_count,
	       (uint64_t)in->index_entries, (uint64_t)in->bytes_served,
	       (uint64_t)in->mem_bytes, (uint64_t)in->create_time_ns,
	       (uint64_t)in->seal_time_ns, (uint64_t)in->access_time_ns,
	       (uint64_t)in->duration);
	if (is_live(in))
		printf(", \"live\": {\"head\": %" PRIu64 ", \"tail\": %" PRIu64 ", "
		       "\"ring\": %" PRIu64 ", \"window\": %" PRIu64 ", "
		       "\"viewers\": %" PRIu32 ", \"behind\": %" PRIu64 "}",
		       (uint64_t)in->size, (uint64_t)in->tail, live->ring,
		       (uint64_t)in->window, (uint32_t)in->viewers, live->behind);
	putchar('}');
}

void print_info_json(const struct vcache_info *in, const struct vcnl_live *live)
{
	put_info_json(in, live);
	putchar('\n');
}

void print_info(const struct vcache_info *in, const struct vcnl_live *live)
{
	char name[VCACHE_NAME_MAX + 1], fps[64];

	memcpy(name, in->name, VCACHE_NAME_MAX);
	name[VCACHE_NAME_MAX] = '\0';
	format_fps(fps, sizeof(fps), in->fps_num, in->fps_den);
	kv("name", "%s", show(name));
	kv("id", "%" PRIu64, (uint64_t)in->id);
	kv("state", "%s%s%s", state_name(in->state),
	   in->flags & VCACHE_INFO_DELETED ? ", deleted" : "",
	   in->flags & VCACHE_INFO_PINNED ? ", pinned" : "");
	kv_bytes("size", in->size);
	kv_bytes("capacity", in->capacity);
	if (is_live(in)) {
		/* Offsets in the stream, and the ring that holds [tail, head). */
		kv_bytes("head", in->size);
		kv_bytes("tail", in->tail);
		kv_bytes("ring", live->ring);
		kv_bytes("window", in->window);
		kv("viewers", "%" PRIu32, (uint32_t)in->viewers);
		kv("fell behind", "%" PRIu64 " read%s", live->behind,
		   live->behind == 1 ? "" : "s");
	}
	kv_bytes("memory", in->mem_bytes);
	kv("fps", "%s", fps);
	kv("descriptors", "%" PRIu32, (uint32_t)in->open_count);
	kv("mappings", "%" PRIu32, (uint32_t)in->map_count);
	kv("index entries", "%" PRIu64, (uint64_t)in->index_entries);
	/* 90 kHz ticks, to the millisecond. */
	if (in->duration)
		kv("duration", "%" PRIu64 ".%03u s", (uint64_t)in->duration / 90000,
		   (unsigned int)(in->duration % 90000 / 90));
	else
		kv("duration", "-");
	kv_bytes("bytes served", in->bytes_served);
	kv_time("created", in->create_time_ns);
	kv_time(is_live(in) ? "ended" : "sealed", in->seal_time_ns);
	kv_time("accessed", in->access_time_ns);
}
