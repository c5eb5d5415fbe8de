// SPDX-License-Identifier: GPL-2.0
/*
 * vcache-streamer, layer: a handler (see handlers.c). GET|HEAD / (the
 * player page, DIR/player.html) and /web/FILE: the files of --web DIR.
 *
 * The directory is read once, at start (web_load()): a handful of small
 * files (the page, its script, hls.js) that then live as long as the
 * process, so a request costs no open(), no read() and no lock, and a file
 * replaced under a running server cannot be served half old, half new.
 * Only regular files directly in DIR are taken: no subdirectory, no
 * symbolic link, nothing whose name starts with a dot; a request names one
 * of them or gets a 404, so no path a client sends ever reaches the file
 * system. Each has a strong ETag (a hash of its bytes): a browser
 * revalidates with If-None-Match and gets a 304.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "handler.h"
#include "streamer.h"

#define WEB_FILES_MAX	64
#define WEB_FILE_MAX	(8u << 20)	/* hls.min.js is about 0.4 MiB */
#define WEB_NAME_MAX	64
#define WEB_INDEX	"player.html"

struct web_file {
	char name[WEB_NAME_MAX];
	const char *type;
	char *body;
	size_t len;
	char etag[24];
};

static struct web_file web_files[WEB_FILES_MAX];
static unsigned int web_nfiles;

static const char *web_type(const char *name)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* FNV-1a: the ETag only has to change when the bytes do. */
static uint64_t web_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static int web_read(int dirfd, const char *name, struct web_file *f)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	/* Not even opened unless a regular file (a FIFO, a device: no). */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? 0 : -errno;	/* replaced by a link meanwhile */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((uint64_t)st.st_size > WEB_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	f->body = malloc(st.st_size ? st.st_size : 1);
	if (!f->body) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, f->body + got, st.st_size - got);
		if (n <= 0) {
			close(fd);
			free(f->body);
			return n < 0 ? -errno : -EIO;	/* it shrank while read */
		}
		got += n;
	}
	close(fd);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = web_type(name);
	f->len = got;
	snprintf(f->etag, sizeof(f->etag), "\"%016" PRIx64 "\"", web_hash(f->body, got));
	return 1;
}

int web_load(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int dfd, err = 0;

	d = opendir(dir);
	if (!d) {
		fprintf(stderr, PROG ": --web %s: %s\n", dir, strerror(errno));
		return -1;
	}
	dfd = dirfd(d);
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) >= WEB_NAME_MAX) {
			fprintf(stderr, PROG ": --web %s: %s: name longer than %d bytes\n", dir,
				de->d_name, WEB_NAME_MAX - 1);
			err = -1;
			break;
		}
		if (web_nfiles == WEB_FILES_MAX) {
			fprintf(stderr, PROG ": --web %s: more than %d files\n", dir,
				WEB_FILES_MAX);
			err = -1;
			break;
		}
		err = web_read(dfd, de->d_name, &web_files[web_nfiles]);
		if (err > 0)
			web_nfiles++;
		if (err < 0)
			fprintf(stderr, PROG ": --web %s: %s: %s\n", dir, de->d_name,
				err == -EFBIG ? "larger than 8 MiB" : strerror(-err));
		err = err < 0 ? -1 : 0;
	}
	closedir(d);
	return err;
}

static const struct web_file *web_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < web_nfiles; i++)
		if (!strcmp(web_files[i].name, name))
			return &web_files[i];
	return NULL;
}

static void web_send(struct worker *w, struct conn *c, const struct web_file *f)
{
	if (plan_not_modified(w, c, f->etag))
		return;
	head_start(w, c, 200);
	out_printf(c, "Content-Type: %s\r\nContent-Length: %zu\r\nETag: %s\r\n"
		   "Cache-Control: no-cache\r\n", f->type, f->len, f->etag);
	head_end(c, 0);
	if (plan_is_head(c) || !f->len)
		return;
	c->r.blob = f->body;
	plan_add_seg(c, SEG_BLOB, 0, f->len);
}

void web_respond(struct worker *w, struct conn *c, const char *name)
{
	const struct web_file *f = name ? web_find(name) : NULL;

	if (!f && cfg.web_dir)
		respond_text(w, c, 404, NULL, "no such file in --web %s", cfg.web_dir);
	else if (!f)
		respond_text(w, c, 404, NULL, "no --web directory: nothing under /web/");
	else
		web_send(w, c, f);
}

void web_index_respond(struct worker *w, struct conn *c, const char *name)
{
	const struct web_file *f = web_find(WEB_INDEX);

	if (!f) {
		respond_text(w, c, 404, NULL, "no player page: start vcache-streamer with "
			     "--web DIR (DIR/" WEB_INDEX "); videos are at /v/NAME");
		return;
	}
	web_send(w, c, f);
}
