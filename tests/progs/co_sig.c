/*
 * co_sig.c - signal handlers write() to the log the program is appending
 * to.  SIGALRM comes from a fast interval timer, SIGUSR1 from a second
 * thread (pthread_kill on the main thread), while the main thread and a
 * third writer thread append their own lines.
 * usage: co_sig PATH N [SLOW]
 * With SLOW, the writer thread appends one line every 200 us while the
 * main thread writes its N: the main thread mostly appends alone, and the
 * lock changes hands between its appends now and then.
 * Lines are "TAG SEQ xxx\n" (see co_lib.sh lines_check); tags m (main),
 * t (thread), a (SIGALRM handler), u (SIGUSR1 handler).  Prints the spec
 * "m:N t:N a:K u:K" of what was written.
 * The main thread starts appending only once both handlers have run (on a
 * loaded machine the kicker thread may not be scheduled before the appends,
 * a few ms under the shim, are over), and goes on past N until each handler
 * has run during its appends too (at most 10 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "co_line.h"

static int fd, n, slow, nt;
static volatile sig_atomic_t na, nu, stop;
static pthread_t main_thread;

static void
put(char tag, int seq)
{
	char b[128];
	char t[2] = { tag, '\0' };
	int len = co_line(b, t, seq);

	if (write(fd, b, (size_t)len) != len)
		_exit(90);
}

static void
on_alrm(int sig)
{
	int saved = errno;

	(void)sig;
	put('a', na);
	na++;
	errno = saved;
}

static void
on_usr1(int sig)
{
	int saved = errno;

	(void)sig;
	put('u', nu);
	nu++;
	errno = saved;
}

static void *
writer(void *arg)
{
	int i;

	if (slow) {
		for (nt = 0; !stop; nt++) {
			put('t', nt);
			usleep(200);
		}
		return arg;
	}
	for (i = 0; i < n; i++)
		put('t', i);
	nt = n;
	return arg;
}

static void *
kicker(void *arg)
{
	while (!stop) {
		pthread_kill(main_thread, SIGUSR1);
		usleep(100);
	}
	return arg;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 50 }, { 0, 50 } }, off = { { 0, 0 }, { 0, 0 } };
	pthread_t w, k;
	sigset_t set;
	sig_atomic_t na0, nu0;
	time_t t0;
	int i;

	if (argc != 3 && argc != 4)
		return 2;
	n = atoi(argv[2]);
	slow = argc == 4;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	main_thread = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* only the main thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&w, NULL, writer, NULL) != 0 ||
	    pthread_create(&k, NULL, kicker, NULL) != 0)
		return 1;
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (t0 = time(NULL); (na == 0 || nu == 0) && time(NULL) - t0 < 10;)
		usleep(100);
	na0 = na;
	nu0 = nu;
	for (i = 0; i < n || ((na == na0 || nu == nu0) && i < 999999 &&
	    time(NULL) - t0 < 20); i++)
		put('m', i);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	stop = 1;
	pthread_join(w, NULL);
	pthread_join(k, NULL);
	printf("m:%d t:%d a:%d u:%d\n", i, nt, (int)na, (int)nu);
	return close(fd) != 0;
}
