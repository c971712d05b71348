/*
 * tsan_mix.c - threads meeting in every shared part of the shim at once,
 * for tests/tsan/run (built with -fsanitize=thread, run under the TSan
 * build of the shim).
 * usage: tsan_mix DIR K N
 *
 * K writer threads; writer k, for i < N:
 *   - appends "wK i xxx\n" to DIR/log (O_APPEND, coalesced): through the
 *     shared fd, or every 7th through its own open of the log, every 11th
 *     through a dup2 of the shared fd onto a high fd number (a fd table
 *     chunk of its own where the limit allows), closed again at once;
 *   - fprintf "fK i xxx\n" to DIR/slog, one FILE opened "a" shared by all;
 *   - writes a block of its own file DIR/own.K (not coalesced);
 *   - every 64th: fstat of the log; every 128th: pread of the log through
 *     a read-only fd (the held bytes must be there); every 256th: fsync;
 *   - every 200th: a short-lived thread that writes its own file
 *     DIR/short.K.J and ends (counter blocks folded, file rows made).
 * Line format: tests/progs/co_lib.sh (lines_check).  Then the main
 * thread reads every own.K back, prints the spec "w0:N ... f0:N ..." and
 * exits: 1 on any error or wrong byte.  (Not pthread_exit: under TSan its
 * background thread would keep the process alive.)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../progs/co_line.h"

#define KMAX	16

static const char *dir;
static int logfd, nlines, bad;
static FILE *slog;
static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fail(const char *what, long k, long i)
{
	pthread_mutex_lock(&bad_lock);
	fprintf(stderr, "tsan_mix: writer %ld line %ld: %s: %s\n", k, i, what,
	    strerror(errno));
	bad = 1;
	pthread_mutex_unlock(&bad_lock);
}

static void
path_of(char *p, size_t size, const char *name, long a, long b)
{
	if (b < 0)
		snprintf(p, size, "%s/%s.%ld", dir, name, a);
	else
		snprintf(p, size, "%s/%s.%ld.%ld", dir, name, a, b);
}

/* Block i of writer k's own file: its bytes are a function of (k, i). */
static size_t
block(char *b, long k, long i)
{
	size_t n = (size_t)(i * 37 % 300) + 1;

	memset(b, 'a' + (int)(k + i) % 26, n);
	return n;
}

/*
 * A high fd number for writer k: a fd table chunk (4096 fds) of its own
 * where the fd limit allows, never the shim's socket (fd 1000).
 */
static int
high_fd(long k, long i)
{
	struct rlimit rl;
	long fd = 4096 * (k % 4 + 1) + 16 * (k / 4) + i % 13;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rlim_t)fd >= rl.rlim_cur)
		fd = 200 + 16 * k + i % 13;
	return (int)fd;
}

static void *
short_lived(void *arg)
{
	long id = (long)arg;
	char p[4096], b[100];
	int fd;

	path_of(p, sizeof(p), "short", id / 1000, id % 1000);
	memset(b, 's', sizeof(b));
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    write(fd, b, sizeof(b)) != (ssize_t)sizeof(b) || close(fd) != 0)
		fail("short-lived thread", id / 1000, id % 1000);
	return NULL;
}

static void *
writer(void *arg)
{
	long k = (long)arg, i;
	char line[256], tag[16], ftag[16], p[4096], rb[64], b[300];
	int fd, own, rd, len;
	struct stat st;
	pthread_t t;

	snprintf(tag, sizeof(tag), "w%ld", k);
	snprintf(ftag, sizeof(ftag), "f%ld", k);
	path_of(p, sizeof(p), "own", k, -1);
	if ((own = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		fail("open own", k, 0);
		return NULL;
	}
	snprintf(p, sizeof(p), "%s/log", dir);
	if ((rd = open(p, O_RDONLY)) < 0) {
		fail("open log read-only", k, 0);
		return NULL;
	}
	for (i = 0; i < nlines; i++) {
		len = co_line(line, tag, (int)i);
		fd = logfd;
		if (i % 7 == 3 && (fd = open(p, O_WRONLY | O_APPEND)) < 0)
			fail("open log", k, i);
		else if (i % 11 == 5 &&
		    (fd = dup2(logfd, high_fd(k, i))) < 0)
			fail("dup2", k, i);
		if (fd >= 0 && write(fd, line, (size_t)len) != len)
			fail("write log", k, i);
		if (fd >= 0 && fd != logfd && close(fd) != 0)
			fail("close", k, i);
		line[co_line(line, ftag, (int)i)] = '\0';
		if (fprintf(slog, "%s", line) != len)
			fail("fprintf", k, i);
		len = (int)block(b, k, i);
		if (write(own, b, (size_t)len) != len)
			fail("write own", k, i);
		if (i % 64 == 0 && fstat(logfd, &st) != 0)
			fail("fstat", k, i);
		if (i % 128 == 0 && pread(rd, rb, sizeof(rb), 0) < 0)
			fail("pread", k, i);
		if (i % 256 == 0 && fsync(logfd) != 0)
			fail("fsync", k, i);
		if (i % 200 == 0) {
			if (pthread_create(&t, NULL, short_lived, (void *)(k * 1000 + i / 200)) != 0)
				fail("pthread_create", k, i);
			else
				pthread_join(t, NULL);
		}
	}
	if (close(own) != 0 || close(rd) != 0)
		fail("close own", k, i);
	return NULL;
}

/* Writer k's own file holds exactly its blocks, in order. */
static void
check_own(long k)
{
	char p[4096], want[300], got[300];
	long i;
	size_t n;
	FILE *f;

	path_of(p, sizeof(p), "own", k, -1);
	if ((f = fopen(p, "r")) == NULL) {
		fail("fopen own", k, 0);
		return;
	}
	for (i = 0; i < nlines; i++) {
		n = block(want, k, i);
		if (fread(got, 1, n, f) != n || memcmp(got, want, n) != 0) {
			fail("own file content", k, i);
			break;
		}
	}
	if (i == nlines && fgetc(f) != EOF)
		fail("own file too long", k, i);
	fclose(f);
}

int
main(int argc, char **argv)
{
	pthread_t t[KMAX];
	char p[4096];
	long k, n;

	if (argc != 4)
		return 2;
	dir = argv[1];
	n = atol(argv[2]);
	nlines = atoi(argv[3]);
	if (n < 1 || n > KMAX || nlines < 1 || nlines > 999999)
		return 2;
	snprintf(p, sizeof(p), "%s/log", dir);
	if ((logfd = open(p, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/slog", dir);
	if ((slog = fopen(p, "a")) == NULL)
		return 1;
	for (k = 0; k < n; k++)
		if (pthread_create(&t[k], NULL, writer, (void *)k) != 0)
			return 1;
	for (k = 0; k < n; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < n; k++)
		check_own(k);
	if (fclose(slog) != 0)
		bad = 1;
	for (k = 0; k < n; k++)
		printf("w%ld:%d ", k, nlines);
	for (k = 0; k < n; k++)
		printf("f%ld:%d%s", k, nlines, k + 1 < n ? " " : "\n");
	return bad;
}
