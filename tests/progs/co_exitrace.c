/*
 * co_exitrace.c - threads append without pause while the main thread
 * ends the process (exit, _exit, or a SIGTERM it raises).
 * usage: co_exitrace PATH exit|_exit|signal K MS
 * K writer threads tag their lines w0..wK-1 (co_lib.sh format); each
 * thread's lines in the log must be a gapless prefix of what it wrote.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd;

static void *
writer(void *arg)
{
	char b[256], tag[16];
	int i, n, k;

	snprintf(tag, sizeof(tag), "w%ld", (long)arg);
	for (i = 0;; i++) {
		n = sprintf(b, "%s %06d ", tag, i % 1000000);
		k = 20 + i % 37;
		memset(b + n, 'x', (size_t)k);
		b[n + k] = '\n';
		if (write(fd, b, (size_t)(n + k + 1)) < 0)
			break;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	long k, n;

	if (argc != 5)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	n = atol(argv[3]);
	for (k = 0; k < n; k++)
		pthread_create(&t, NULL, writer, (void *)k);
	usleep((useconds_t)atoi(argv[4]) * 1000);
	if (strcmp(argv[2], "_exit") == 0)
		_exit(4);
	if (strcmp(argv[2], "signal") == 0)
		raise(SIGTERM);
	exit(3);
}
