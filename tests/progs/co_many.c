/*
 * co_many.c - append N lines to each of K logs in DIR, round robin, so
 * that many buffers are held at once.
 * usage: co_many DIR K N
 * Log k is DIR/log.k; its lines are "fK SEQ xxx\n" (co_lib.sh lines_check).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "co_line.h"

int
main(int argc, char **argv)
{
	char path[4096], line[256], tag[16];
	int fd[512], k, n, i, j, len;

	if (argc != 4)
		return 2;
	k = atoi(argv[2]);
	n = atoi(argv[3]);
	if (k < 1 || k > 512)
		return 2;
	for (j = 0; j < k; j++) {
		snprintf(path, sizeof(path), "%s/log.%d", argv[1], j);
		if ((fd[j] = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
			return 1;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < k; j++) {
			snprintf(tag, sizeof(tag), "f%d", j);
			len = co_line(line, tag, i);
			if (write(fd[j], line, (size_t)len) != len)
				return 1;
		}
	for (j = 0; j < k; j++)
		if (close(fd[j]) != 0)
			return 1;
	return 0;
}
