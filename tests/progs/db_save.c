/*
 * db_save.c - saves a small state file N times by atomic replace (a
 * temporary file, then rename), as programs that keep a JSON state do.
 *
 *   db_save TARGET N MODE
 *   MODE: plain (write, close, rename), fsync (fsync the temporary file
 *         before the rename), dirsync (fsync the directory after it),
 *         osync (the temporary file opened O_SYNC)
 *
 * Save i holds "{\"seq\": i}\n" padded to 200 bytes.  Exit 0, or 1 with a
 * message.
 */
#include <err.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char tmp[4096], buf[256], dcopy[4096];
	int i, n, fd, dfd = -1, len;
	const char *mode;

	if (argc != 4)
		errx(1, "usage: db_save TARGET N plain|fsync|dirsync|osync");
	n = atoi(argv[2]);
	mode = argv[3];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	snprintf(dcopy, sizeof(dcopy), "%s", argv[1]);
	if (strcmp(mode, "dirsync") == 0 &&
	    (dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY)) < 0)
		err(1, "open dir");
	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "{\"seq\": %d, \"pad\": \"%0*d\"}\n",
		    i, 160, 0);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC |
		    (strcmp(mode, "osync") == 0 ? O_SYNC : 0), 0644);
		if (fd < 0)
			err(1, "open %s", tmp);
		if (write(fd, buf, (size_t)len) != len)
			err(1, "write");
		if (strcmp(mode, "fsync") == 0 && fsync(fd) != 0)
			err(1, "fsync");
		if (close(fd) != 0)
			err(1, "close");
		if (rename(tmp, argv[1]) != 0)
			err(1, "rename");
		if (dfd >= 0 && fsync(dfd) != 0)
			err(1, "fsync dir");
	}
	return 0;
}
