/*
 * co_nospc.c - append 100-byte lines to a log on a filesystem that fills.
 * usage: co_nospc PATH N stop|retry [FILLER]
 * stop:  append until a write fails, then fsync and close; every error is
 *        noted.
 * retry: on ENOSPC (from write or fsync) remove FILLER once to make room
 *        and go on with the same bytes, as a careful program does; all N
 *        lines must end up in the file.
 * fork:  like retry, but the room is made by a forked child, which
 *        removes FILLER and exits (exit(0)).
 * Short writes are completed.  Prints "lines=L werr=E fsync=E close=E
 * freed=F" (errno values, 0 for none; L lines fully accepted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
	char line[128];
	int fd, i, n, retry, werr = 0, ferr = 0, cerr = 0, freed = 0;
	size_t off;
	ssize_t r;

	if (argc < 4)
		return 2;
	n = atoi(argv[2]);
	retry = strcmp(argv[3], "stop") != 0;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%08d %090d\n", i, i);
		for (off = 0; off < 100; off += (size_t)r) {
			r = write(fd, line + off, 100 - off);
			if (r >= 0)
				continue;
			if (!werr)
				werr = errno;
			if (retry && errno == ENOSPC && !freed && argc > 4) {
				if (strcmp(argv[3], "fork") == 0) {
					pid_t pid = fork();
					int st;

					if (pid == 0) {
						unlink(argv[4]);
						exit(0);
					}
					if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
						return 1;
				} else
					unlink(argv[4]);
				freed = i + 1;
				r = 0;
				continue;
			}
			goto out;
		}
	}
out:
	if (fsync(fd) != 0) {
		ferr = errno;
		if (retry && ferr == ENOSPC && !freed && argc > 4) {
			unlink(argv[4]);
			freed = i + 1;
			if (fsync(fd) != 0)
				ferr = 1000 + errno;
		}
	}
	if (close(fd) != 0)
		cerr = errno;
	printf("lines=%d werr=%d fsync=%d close=%d freed=%d\n", i, werr, ferr, cerr, freed);
	return 0;
}
