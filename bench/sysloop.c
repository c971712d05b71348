/*
 * sysloop.c - a syscall-bound loop: the worst case for an interposer.
 *
 *   sysloop write N    N x write(64 bytes) to /dev/null
 *   sysloop read N     N x read(64 bytes) from /dev/zero
 *   sysloop send N     N x (send 64 bytes on a socketpair, recv them back):
 *                      2N intercepted calls
 *
 * Every call goes through libc's exported symbol, so LD_PRELOAD sees it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int
main(int argc, char **argv)
{
	char buf[64];
	long n, i;
	int fd, sv[2];

	if (argc != 3) {
		fprintf(stderr, "usage: sysloop write|read|send N\n");
		return 2;
	}
	n = atol(argv[2]);
	memset(buf, 'x', sizeof(buf));
	if (strcmp(argv[1], "write") == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) < 0)
			return perror("/dev/null"), 1;
		for (i = 0; i < n; i++)
			if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				return perror("write"), 1;
	} else if (strcmp(argv[1], "read") == 0) {
		if ((fd = open("/dev/zero", O_RDONLY)) < 0)
			return perror("/dev/zero"), 1;
		for (i = 0; i < n; i++)
			if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				return perror("read"), 1;
	} else if (strcmp(argv[1], "send") == 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return perror("socketpair"), 1;
		for (i = 0; i < n; i++) {
			if (send(sv[0], buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
				return perror("send"), 1;
			if (recv(sv[1], buf, sizeof(buf), MSG_WAITALL) !=
			    (ssize_t)sizeof(buf))
				return perror("recv"), 1;
		}
	} else {
		fprintf(stderr, "sysloop: unknown loop %s\n", argv[1]);
		return 2;
	}
	return 0;
}
