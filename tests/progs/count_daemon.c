/*
 * count_daemon.c - a daemon that closes every fd and keeps writing, for
 * t-count-daemon.sh.
 *
 * usage: count_daemon closefrom|close_range|loop LOG STATUS NLINES
 * Forks twice (setsid between), so the worker is an orphan; it closes
 * all descriptors the chosen way, checks that no fd below 4096 is still
 * visible (fcntl F_GETFD fails with EBADF on all of them), reopens
 * /dev/null on 0-2 and LOG (O_APPEND) on 3, writes NLINES lines with
 * write, dprintf and stdio, fsyncs, and writes its findings to STATUS:
 *   visible=N null_fd=N log_fd=N bytes=N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

int
main(int argc, char **argv)
{
	const char *mode, *logp, *statp;
	int n, i, fd, visible = 0, nullfd, logfd, st, len;
	long bytes = 0, maxfd;
	char line[128];
	FILE *f;
	pid_t pid;

	if (argc != 5)
		return 2;
	mode = argv[1];
	logp = argv[2];
	statp = argv[3];
	n = atoi(argv[4]);
	if (write(1, "starting\n", 9) != 9)
		return 3;
	if ((pid = fork()) < 0)
		return 4;
	if (pid > 0) {
		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 5;
	}
	setsid();
	if ((pid = fork()) < 0)
		_exit(6);
	if (pid > 0)
		_exit(0);

	if (strcmp(mode, "closefrom") == 0)
		closefrom(0);
	else if (strcmp(mode, "close_range") == 0) {
		if (close_range(0, ~0U, 0) != 0)
			_exit(7);
	} else {
		maxfd = sysconf(_SC_OPEN_MAX);
		if (maxfd < 0 || maxfd > 1 << 20)
			maxfd = 1 << 20;
		for (fd = 0; fd < maxfd; fd++)
			close(fd);
	}
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			visible++;
	nullfd = open("/dev/null", O_RDWR);
	dup2(nullfd, 1);
	dup2(nullfd, 2);
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line), "daemon line %d of %d\n", i, n);
		if (i % 2 == 0) {
			if (write(logfd, line, (size_t)len) == len)
				bytes += len;
		} else {
			if (dprintf(logfd, "%s", line) == len)
				bytes += len;
		}
		if (write(1, line, (size_t)len) != len)
			_exit(8);
		if (i % 10 == 9)
			usleep(3000);
	}
	if ((f = fdopen(dup(logfd), "a")) == NULL)
		_exit(9);
	for (i = 0; i < 10; i++)
		bytes += fprintf(f, "stdio line %d\n", i);
	fclose(f);
	if (fsync(logfd) != 0)
		_exit(10);
	close(logfd);
	if ((fd = open(statp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		_exit(11);
	dprintf(fd, "visible=%d null_fd=%d log_fd=%d bytes=%ld\n", visible,
	    nullfd, logfd, bytes);
	close(fd);
	return 0;
}
