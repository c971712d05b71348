/*
 * co_lines.c - append N lines "TAG SEQ xxx...\n" to a log, one call each.
 * usage: co_lines PATH|- TAG N [write|stdio|writev|dprintf]
 * PATH "-" is fd 1 (for `>>` redirections).  Exits 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "co_line.h"

int
main(int argc, char **argv)
{
	char line[256];
	const char *how = argc > 4 ? argv[4] : "write";
	int fd = 1, i, n, len;
	FILE *f = NULL;

	if (argc < 4) {
		fprintf(stderr, "usage: co_lines PATH|- TAG N [how]\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (strcmp(how, "stdio") == 0) {
		f = strcmp(argv[1], "-") ? fopen(argv[1], "a") : stdout;
		if (f == NULL) {
			perror("fopen");
			return 1;
		}
	} else if (strcmp(argv[1], "-") != 0) {
		fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd < 0) {
			perror("open");
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		len = co_line(line, argv[2], i);
		if (f != NULL) {
			if (fprintf(f, "%.*s", len, line) != len || fflush(f) != 0) {
				perror("fprintf");
				return 1;
			}
		} else if (strcmp(how, "writev") == 0) {
			struct iovec iov[2] = { { line, 10 }, { line + 10, (size_t)len - 10 } };

			if (writev(fd, iov, 2) != len) {
				perror("writev");
				return 1;
			}
		} else if (strcmp(how, "dprintf") == 0) {
			if (dprintf(fd, "%.*s", len, line) != len) {
				perror("dprintf");
				return 1;
			}
		} else if (write(fd, line, (size_t)len) != len) {
			perror("write");
			return 1;
		}
	}
	if (f != NULL && fclose(f) != 0) {
		perror("fclose");
		return 1;
	}
	if (f == NULL && fd != 1 && close(fd) != 0) {
		perror("close");
		return 1;
	}
	return 0;
}
