/*
 * db_inplace.c - rewrites a state file in place N times, as programs that
 * open(O_TRUNC) their state file and write it again do, one save every
 * USEC microseconds.
 *
 *   db_inplace TARGET N USEC [fsync|readback]
 *
 * Save i is "{\"seq\": i, ...}" in two write calls (about 300 bytes).
 * fsync: each save is fsynced before its close.  readback: after each
 * save the file is read back by name and must be that save.  Exit 0, or
 * 1 with a message.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[512], got[512];
	const char *mode = argc > 4 ? argv[4] : "";
	int i, n, fd, len, half;
	ssize_t r;

	if (argc < 4)
		errx(1, "usage: db_inplace TARGET N USEC [fsync|readback]");
	n = atoi(argv[2]);
	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "{\"seq\": %d, \"pad\": \"%0*d\"}\n",
		    i, 260, i);
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
