/*
 * co_flush.c - append some lines, then stay alive so another process can
 * look at the log.
 * usage: co_flush PATH READY HOLD_MS OP...
 * OP "w:TEXT" appends TEXT and a newline with one write(); "fsync" and
 * "fdatasync" call them (exit 3 if they fail).  Then READY is created,
 * and the program sleeps HOLD_MS before it exits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char b[512];
	int fd, r, i, len;

	if (argc < 4)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	for (i = 4; i < argc; i++) {
		if (strncmp(argv[i], "w:", 2) == 0) {
			len = snprintf(b, sizeof(b), "%s\n", argv[i] + 2);
			if (write(fd, b, (size_t)len) != len)
				return 1;
		} else if (strcmp(argv[i], "fsync") == 0) {
			if (fsync(fd) != 0)
				return 3;
		} else if (strcmp(argv[i], "fdatasync") == 0) {
			if (fdatasync(fd) != 0)
				return 3;
		} else
			return 2;
	}
	r = open(argv[2], O_WRONLY | O_CREAT, 0644);
	if (r >= 0)
		close(r);
	usleep((useconds_t)atoi(argv[3]) * 1000);
	return close(fd) != 0;
}
