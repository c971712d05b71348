/*
 * co_conc.c - K concurrent writers append N lines each to one log.
 * usage: co_conc PATH threads|procs K N
 * Writer k tags its lines "tK" (threads) or "pK" (processes); writers with
 * an even k use the descriptor opened before they started, odd ones open
 * their own.  The main program writes "m" lines before and after.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "co_line.h"

static const char *path;
static int shared_fd, nlines;

static int
put(int fd, const char *tag, int seq)
{
	char line[256];
	int len = co_line(line, tag, seq);

	return write(fd, line, (size_t)len) == len ? 0 : -1;
}

static void *
writer(void *arg)
{
	long k = (long)arg;
	char tag[16];
	int fd = shared_fd, i;

	snprintf(tag, sizeof(tag), "t%ld", k);
	if (k % 2 && (fd = open(path, O_WRONLY | O_APPEND)) < 0)
		return (void *)1;
	for (i = 0; i < nlines; i++)
		if (put(fd, tag, i) != 0)
			return (void *)1;
	if (fd != shared_fd && close(fd) != 0)
		return (void *)1;
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[64];
	void *ret;
	int k, n, i, st, bad = 0, m = 0;
	pid_t pid[64];

	if (argc != 5)
		return 2;
	path = argv[1];
	n = atoi(argv[3]);
	nlines = atoi(argv[4]);
	if (n < 1 || n > 64)
		return 2;
	shared_fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (shared_fd < 0)
		return 1;
	for (i = 0; i < 10; i++)
		bad |= put(shared_fd, "m", m++);
	if (strcmp(argv[2], "threads") == 0) {
		for (k = 0; k < n; k++)
			if (pthread_create(&t[k], NULL, writer, (void *)(long)k) != 0)
				return 1;
		for (k = 0; k < n; k++) {
			pthread_join(t[k], &ret);
			bad |= ret != NULL;
		}
	} else {
		for (k = 0; k < n; k++) {
			pid[k] = fork();
			if (pid[k] < 0)
				return 1;
			if (pid[k] == 0) {
				char tag[16];
				int fd = shared_fd;

				snprintf(tag, sizeof(tag), "p%d", k);
				if (k % 2 && (fd = open(path, O_WRONLY | O_APPEND)) < 0)
					_exit(1);
				for (i = 0; i < nlines; i++)
					if (put(fd, tag, i) != 0)
						_exit(1);
				exit(0);
			}
		}
		for (k = 0; k < n; k++) {
			if (waitpid(pid[k], &st, 0) != pid[k] || st != 0)
				bad = 1;
		}
	}
	for (i = 0; i < 10; i++)
		bad |= put(shared_fd, "m", m++);
	return bad;
}
