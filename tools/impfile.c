/*
 * impfile.c - read an exit-report file for `ioshim import`: where to
 * resume (the collector's stored position checked against the file), and
 * whole lines from there.  A partial last line is left for later; a line
 * longer than IMPF_LINE_MAX is passed over without holding it in memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impfile.h"

#define READ_CHUNK	(1u << 20)

int
impf_open(struct impfile *f, const char *path)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		int e = errno;

		if (fstat(fd, &st) == 0)
			e = EINVAL;	/* not a regular file */
		close(fd);
		errno = e;
		return -1;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	f->skipping = -1;
	return 0;
}

void
impf_close(struct impfile *f)
{
	if (f->fd != -1)
		close(f->fd);
	free(f->buf);
	f->fd = -1;
	f->buf = NULL;
	f->len = f->cap = 0;
}

int64_t
impf_size(const struct impfile *f)
{
	struct stat st;

	return fstat(f->fd, &st) == -1 ? -1 : (int64_t)st.st_size;
}

static uint64_t
fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static int
hash_at(int fd, int64_t at, size_t n, uint64_t *h)
{
	unsigned char b[IMPF_HASH_SPAN];
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, b + got, n - got, (off_t)at + (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;	/* shorter than it was: not the same */
		got += (size_t)r;
	}
	*h = fnv(b, n);
	return 0;
}

int
impf_hashes(struct impfile *f, int64_t to, uint64_t *head, uint64_t *tail)
{
	int64_t span = IMPF_HASH_SPAN;

	if (hash_at(f->fd, 0, (size_t)(to < span ? to : span), head) != 0)
		return -1;
	return hash_at(f->fd, to < span ? 0 : to - span,
	    (size_t)(to < span ? to : span), tail);
}

int
impf_resume(struct impfile *f, const struct impf_pos *p)
{
	uint64_t head, tail;
	int64_t size = impf_size(f);

	f->off = f->line = f->done = 0;
	f->len = f->start = 0;
	f->skipping = -1;
	if (size < 0)
		return -1;
	if (!p->found || p->off <= 0 || p->off > size)
		return 0;
	if (impf_hashes(f, p->off, &head, &tail) != 0 || head != p->head ||
	    tail != p->tail)
		return 0;
	f->off = f->done = p->off;
	f->line = p->line;
	return 1;
}

/* Read more after the buffered bytes; bytes read, 0 at EOF, -1 error. */
static ssize_t
fill(struct impfile *f)
{
	ssize_t r;
	char *nb;

	if (f->cap - f->len < READ_CHUNK) {
		size_t ncap = f->len + READ_CHUNK;

		if ((nb = realloc(f->buf, ncap)) == NULL)
			return -1;
		f->buf = nb;
		f->cap = ncap;
	}
	do
		r = pread(f->fd, f->buf + f->len, f->cap - f->len,
		    (off_t)(f->off + (int64_t)f->len));
	while (r == -1 && errno == EINTR);
	if (r > 0)
		f->len += (size_t)r;
	return r;
}

/* Consume n bytes of the buffer (a line and its newline). */
static void
consume(struct impfile *f, size_t n)
{
	f->off += (int64_t)n;
	f->len -= n;
	f->line++;
	f->done = f->off;
}

int
impf_next(struct impfile *f, const char **p, size_t *n, int64_t *lno,
    size_t *toolong)
{
	char *nl;
	ssize_t r;

	*toolong = 0;
	if (f->start > 0) {	/* drop the line returned last time */
		memmove(f->buf, f->buf + f->start, f->len);
		f->start = 0;
	}
	for (;;) {
		if (f->len > 0 && (nl = memchr(f->buf, '\n', f->len)) != NULL) {
			size_t l = (size_t)(nl - f->buf);

			*lno = f->line + 1;
			if (f->skipping >= 0) {
				*toolong = (size_t)(f->off - f->skipping) + l;
				*n = 0;
				*p = f->buf;
				f->skipping = -1;
			} else {
				*p = f->buf;
				*n = l;
			}
			consume(f, l + 1);
			f->start = l + 1;
			return 1;
		}
		if (f->len >= IMPF_LINE_MAX) {
			/* Too long: forget it, remember where it began. */
			if (f->skipping < 0)
				f->skipping = f->off;
			f->off += (int64_t)f->len;
			f->len = 0;
		}
		if ((r = fill(f)) <= 0)
			return r == 0 ? 0 : -1;
	}
}
