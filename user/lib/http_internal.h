/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request parser's building blocks, for http.c and its unit test only
 * (user/tests/http_test.c checks the resumable parser against a reference
 * made of these). The programs use http.h. Errors are negative HTTP status
 * codes, as http_parse_request()'s are.
 */
#ifndef VCACHE_HTTP_INTERNAL_H
#define VCACHE_HTTP_INTERNAL_H

#include "http.h"

bool is_tchar(unsigned char c);
bool is_field_char(unsigned char c);
bool is_ows(char c);
int parse_request_line(const char *p, size_t len, struct http_request *req);
int parse_field(const char *p, size_t len, struct http_request *req,
		struct http_framing *hs);
int finish_head(struct http_request *req, const struct http_framing *hs);

#endif
