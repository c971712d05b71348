/*
 * prio_probe.c - which lines make the coalescer write at once: appends
 * each argument as a line to LOG and prints, per line, whether an outside
 * reader (a raw statx) sees it right after the write.
 *
 *	prio_probe LOG LINE...
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int
main(int argc, char **argv)
{
	char line[4096];
	struct statx st;
	int fd, i;
	size_t n;

	if (argc < 3 || (fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return 2;
	for (i = 2; i < argc; i++) {
		n = (size_t)snprintf(line, sizeof(line), "%s\n", argv[i]);
		if (write(fd, line, n) != (ssize_t)n)
			return 3;
		syscall(SYS_statx, AT_FDCWD, argv[1], 0, STATX_SIZE, &st);
		/* all written so far is there: this line flushed it */
		printf("%s\t%s\n", st.stx_size > 0 ? "flushed" : "held", argv[i]);
		if (st.stx_size > 0 && ftruncate(fd, 0) != 0)
			return 4;
	}
	return 0;
}
