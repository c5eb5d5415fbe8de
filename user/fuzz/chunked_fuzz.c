// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for user/lib/chunked.c (make fuzz-chunked): the input is
 * decoded twice, whole and cut in pieces whose sizes come from its first
 * byte, the way the streamer's ingest feeds it (framing parsed, data
 * taken). Both must agree on the outcome, the data and the bytes used, and
 * no call may claim bytes it was not given.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used = 0, pos = 0, glen = 0, step;
	char *whole, *got;
	struct chunked ck;
	ssize_t n;
	int err = 0;

	if (!size)
		return 0;
	step = 1 + data[0] % 13;
	data++;
	size--;
	whole = malloc(size ? size : 1);
	got = malloc(size ? size : 1);
	memcpy(whole, data, size);
	n = chunked_decode(whole, size, &used);
	assert(used <= size);
	assert(n <= (ssize_t)size);

	chunked_init(&ck);
	while (!chunked_done(&ck) && pos < size) {
		size_t end = pos + step < size ? pos + step : size;
		uint64_t left = chunked_data_left(&ck);
		ssize_t m;

		if (left) {
			size_t take = end - pos < left ? end - pos : left;

			memcpy(got + glen, data + pos, take);
			glen += take;
			pos += take;
			chunked_data(&ck, take);
			continue;
		}
		m = chunked_parse(&ck, (const char *)data + pos, end - pos);
		if (m < 0) {
			err = 1;
			assert(ck.why);
			break;
		}
		assert((size_t)m <= end - pos);
		pos += m;
		/* No progress only in data (taken above) or at the end. */
		assert(m || chunked_data_left(&ck) || chunked_done(&ck));
	}
	if (n < 0) {
		assert(err);
	} else if (used) {
		assert(!err && chunked_done(&ck));
		assert(pos == used && glen == (size_t)n);
		assert(!memcmp(got, whole, glen));
		assert(ck.body == glen);
	} else {
		assert(!err && !chunked_done(&ck));
	}
	free(whole);
	free(got);
	return 0;
}
