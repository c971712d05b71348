/*
 * rawdup.c - a program that takes the number of the shim's own fd behind
 * libc's back (a raw dup3 system call) and writes there: its bytes must
 * reach its file, as without the shim (issue 15, item 3).  The shim's fd
 * is the one socket in /proc/self/fd (this program makes none); without
 * the shim, or when none appears within 10 s, a free number is used.
 *
 *	rawdup LOG
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static int
socket_fd(void)
{
	char p[64], l[64];
	struct dirent *d;
	DIR *dir;
	int fd = -1;
	ssize_t n;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		snprintf(p, sizeof(p), "/proc/self/fd/%s", d->d_name);
		n = readlink(p, l, sizeof(l) - 1);
		if (n > 0 && (l[n] = '\0', strncmp(l, "socket:", 7) == 0))
			fd = atoi(d->d_name);
	}
	closedir(dir);
	return fd;
}

int
main(int argc, char **argv)
{
	int log, n = -1, i;

	if (argc != 2)
		return 2;
	if ((log = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return 2;
	for (i = 0; i < 100 && (n = socket_fd()) < 0; i++)
		usleep(100000);
	if (n < 0)
		n = 900;
	printf("took fd: %s\n", n == 900 ? "a free one" : "the socket's");
	if (syscall(SYS_dup3, log, n, 0) != n)
		return 3;
	printf("write: %zd\n", write(n, "through the taken fd\n", 21));
	printf("fsync: %d\n", fsync(n));
	printf("close: %d\n", close(n));
	printf("write: %zd\n", write(log, "end\n", 4));
	return close(log) == 0 ? 0 : 4;
}
