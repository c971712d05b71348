/*
 * count_threadfiles.c - threads of every kind the shim must notice open,
 * fstat, read and close the same files while the main thread does too:
 * pthread_create, C11 thrd_create, and a SIGEV_THREAD timer whose
 * callbacks glibc runs on threads of its own.  Each thread also writes
 * its own output file.  The shim changes its fd and path tables without
 * a lock prefix only while a process has one thread (shim/shim.h,
 * shim_mt); this is the program that would lose or double counts if a
 * thread went unnoticed.
 *
 *   count_threadfiles DIR NFILES ROUNDS
 *
 * Prints "opens=N" (the opens of DIR/in* it made) on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *dir;
static int nfiles, rounds;
static atomic_long opens;
static atomic_int ticks, ticks_done;
#define TICKS	40

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* One pass: every input file opened, fstat'ed, read to its end, closed. */
static void
pass(int out)
{
	char path[4096], buf[3000];
	struct stat st;
	ssize_t n;
	int i, fd;

	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/in%03d", dir, i);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die("open");
		atomic_fetch_add(&opens, 1);
		if (fstat(fd, &st) != 0)
			die("fstat");
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			die("read");
		close(fd);
		if (write(out, buf, 100) != 100)
			die("write");
	}
}

static int
out_file(const char *who)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/out-%s", dir, who);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		die("open out");
	return fd;
}

static void *
worker(void *arg)
{
	int out = out_file(arg), r;

	for (r = 0; r < rounds; r++)
		pass(out);
	close(out);
	return NULL;
}

static int
c11_worker(void *arg)
{
	worker(arg);
	return 0;
}

/* Runs on a thread glibc makes, never through pthread_create's symbol. */
static void
tick(union sigval v)
{
	char who[32];
	int out, n = atomic_fetch_add(&ticks, 1);

	(void)v;
	if (n >= TICKS)
		return;
	snprintf(who, sizeof(who), "timer%d", n);
	out = out_file(who);
	pass(out);
	close(out);
	atomic_fetch_add(&ticks_done, 1);
}

int
main(int argc, char **argv)
{
	char path[4096], data[2500];
	struct sigevent ev;
	struct itimerspec its;
	timer_t timer;
	pthread_t p1, p2;
	thrd_t c1;
	int i, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: count_threadfiles DIR NFILES ROUNDS\n");
		return 2;
	}
	dir = argv[1];
	nfiles = atoi(argv[2]);
	rounds = atoi(argv[3]);
	memset(data, 'x', sizeof(data));
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/in%03d", dir, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			die("create");
		if (write(fd, data, 1000 + (size_t)i * 17 % 1500) < 0)
			die("write in");
		close(fd);
	}
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = tick;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0)
		die("timer_create");
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = its.it_interval.tv_nsec = 2000000;
	if (timer_settime(timer, 0, &its, NULL) != 0)
		die("timer_settime");
	if (pthread_create(&p1, NULL, worker, "p1") != 0 ||
	    pthread_create(&p2, NULL, worker, "p2") != 0)
		die("pthread_create");
	if (thrd_create(&c1, c11_worker, "c1") != thrd_success)
		die("thrd_create");
	worker("main");
	pthread_join(p1, NULL);
	pthread_join(p2, NULL);
	thrd_join(c1, NULL);
	while (atomic_load(&ticks_done) < TICKS)
		usleep(1000);
	timer_delete(timer);
	printf("opens=%ld\n", atomic_load(&opens));
	return 0;
}
