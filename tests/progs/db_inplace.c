/*
 * db_inplace.c - rewrites a state file in place N times, as programs that
 * open(O_TRUNC) their state file and write it again do, one save every
 * USEC microseconds.
 *
 *   db_inplace TARGET N USEC [fsync|readback|stdio]
 *
 * Save i is "{\"seq\": i, ...}" in two write calls (about 300 bytes).
 * fsync: each save is fsynced before its close.  readback: after each
 * save the file is read back by name and must be that save.  stdio: each
 * save is fopen(TARGET, "w"), two fputs, fclose (glibc opens inside libc).
 * Exit 0, or 1 with a message.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
save_stdio(const char *path, char *buf, int len)
{
	FILE *f;
	char c;

	if ((f = fopen(path, "w")) == NULL)
		err(1, "fopen %s", path);
	c = buf[len / 2];
	buf[len / 2] = '\0';
	if (fputs(buf, f) == EOF)
		err(1, "fputs");
	buf[len / 2] = c;
	if (fputs(buf + len / 2, f) == EOF || fclose(f) != 0)
		err(1, "fputs, fclose");
}

int
main(int argc, char **argv)
{
	char buf[512], got[512];
	const char *mode = argc > 4 ? argv[4] : "";
	int i, n, fd, len, half;
	ssize_t r;

	if (argc < 4)
		errx(1, "usage: db_inplace TARGET N USEC [fsync|readback|stdio]");
	n = atoi(argv[2]);
	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "{\"seq\": %d, \"pad\": \"%0*d\"}\n",
		    i, 260, i);
		if (strcmp(mode, "stdio") == 0) {
			save_stdio(argv[1], buf, len);
			if (atoi(argv[3]) > 0)
				usleep((useconds_t)atoi(argv[3]));
			continue;
		}
		if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0)
			err(1, "open %s", argv[1]);
		half = len / 2;
		if (write(fd, buf, (size_t)half) != half ||
		    write(fd, buf + half, (size_t)(len - half)) != len - half)
			err(1, "write");
		if (strcmp(mode, "fsync") == 0 && fsync(fd) != 0)
			err(1, "fsync");
		if (close(fd) != 0)
			err(1, "close");
		if (strcmp(mode, "readback") == 0) {
			if ((fd = open(argv[1], O_RDONLY)) < 0)
				err(1, "open to read back");
			r = read(fd, got, sizeof(got));
			close(fd);
			if (r != len || memcmp(got, buf, (size_t)len) != 0)
				errx(1, "save %d read back as %.20s", i, r > 0 ? got : "");
		}
		if (atoi(argv[3]) > 0)
			usleep((useconds_t)atoi(argv[3]));
	}
	return 0;
}
