/*
 * co_age.c - an idle program's held line must reach the file by the age
 * flush, cycle after cycle: write one line, then wait (without any call
 * the shim sees, which would write it out early) until the file holds it.
 * Each line makes the held bytes go from none to some, the moment the
 * worker thread is woken; a wake-up lost there leaves the line held until
 * the program ends.
 * usage: co_age PATH N [cred]
 * With "cred", each line is followed by a credential call that changes
 * nothing (setegid to the same group): the shim stops its worker thread
 * around such calls (wrap_cred.c), and must start it again.
 * Exits 0 after N lines, each seen in the file within 10 s; 1 naming the
 * line that was not.  The file's size is asked with a raw statx system
 * call, which the shim cannot see (a stat it sees writes held bytes out).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "co_line.h"

static long long
raw_size(const char *path)
{
	struct statx stx;

	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_SIZE, &stx) != 0)
		return -1;
	return (long long)stx.stx_size;
}

int
main(int argc, char **argv)
{
	char b[128];
	long long want = 0;
	int fd, i, n, len;
	time_t t0;

	if (argc != 3 && (argc != 4 || strcmp(argv[3], "cred") != 0))
		return 2;
	n = atoi(argv[2]);
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 2;
	for (i = 0; i < n; i++) {
		len = co_line(b, "m", i);
		if (write(fd, b, (size_t)len) != len)
			return 2;
		want += len;
		if (argc == 4 && setegid(getegid()) != 0)
			return 2;
		for (t0 = time(NULL); raw_size(argv[1]) < want; usleep(100))
			if (time(NULL) - t0 > 10) {
				fprintf(stderr, "co_age: line %d of %d held"
				    " for more than 10 s\n", i, n);
				return 1;
			}
	}
	printf("m:%d\n", n);
	return close(fd) != 0;
}
