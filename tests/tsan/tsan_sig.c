/*
 * tsan_sig.c - signal handlers append to the log that K threads and the
 * main thread are appending to, for tests/tsan/run.  The main thread
 * (writer K) sends SIGUSR1 to each other writer between its own appends
 * and an interval timer sends SIGALRM to any of them, so handlers run on
 * every writer, often while it is inside the shim.
 * usage: tsan_sig PATH K N
 * Writer k appends N lines "wK SEQ xxx\n"; a handler running on writer k
 * appends "hK SEQ xxx\n" (all signals blocked inside handlers, so the
 * handler lines of one thread are in order).  Prints the lines_check
 * spec (tests/progs/co_lib.sh) of what was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>

#include "../progs/co_line.h"

#define KMAX	8

static int fd, nlines;
static __thread int my_k = -1, nh;
static int handled[KMAX + 1];

/* async-signal-safe: "TAG SEQ " and 20 + SEQ % 37 x's and a newline */
static void
put(char t, int k, int seq)
{
	char b[128];
	char tag[3] = { t, (char)('0' + k), '\0' };
	int n = co_line(b, tag, seq);

	if (write(fd, b, (size_t)n) != n)
		_exit(90);
}

static void
on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (my_k >= 0)
		put('h', my_k, nh++);
	errno = saved;
}

/* No handler runs on this thread from here on: its count is final. */
static void
done(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	handled[my_k] = nh;
}

static void *
writer(void *arg)
{
	int i;

	my_k = (int)(long)arg;
	for (i = 0; i < nlines; i++)
		put('w', my_k, i);
	done();
	return NULL;
}

int
main(int argc, char **argv)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	pthread_t t[KMAX];
	int k, n, left, i, j;

	if (argc != 4)
		return 2;
	n = atoi(argv[2]);
	nlines = atoi(argv[3]);
	if (n < 1 || n > KMAX)
		return 2;
	if ((fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return 1;
	sigfillset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	for (k = 0; k < n; k++)
		if (pthread_create(&t[k], NULL, writer, (void *)(long)k) != 0)
			return 1;
	setitimer(ITIMER_REAL, &it, NULL);
	/* the main thread is writer n (the shim may treat it specially) */
	my_k = n;
	for (i = 0, left = n; left > 0 || i < nlines;) {
		for (j = 0; j < 50 && i < nlines; j++, i++)
			put('w', n, i);
		for (k = 0; k < n; k++)
			if (t[k] != 0)
				pthread_kill(t[k], SIGUSR1);
		usleep(300);
		for (k = 0; k < n; k++)
			if (t[k] != 0 && pthread_tryjoin_np(t[k], NULL) == 0) {
				t[k] = 0;
				left--;
			}
	}
	setitimer(ITIMER_REAL, &off, NULL);
	done();
	for (k = 0; k <= n; k++)
		printf("w%d:%d h%d:%d%s", k, nlines, k, handled[k], k < n ? " " : "\n");
	return close(fd) != 0;
}
