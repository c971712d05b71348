/*
 * lone_thread.c - a process whose first thread has left (pthread_exit)
 * while another runs: /proc/PID/stat shows it as a zombie, yet it lives
 * (tests/t-salvage-exact.sh: its spills must wait).  Prints its pid, then
 * lives SECONDS seconds.
 *
 *	lone_thread SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *
stay(void *arg)
{
	sleep((unsigned)(long)arg);
	exit(0);
}

int
main(int argc, char **argv)
{
	pthread_t t;
	long secs = argc > 1 ? atol(argv[1]) : 10;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (pthread_create(&t, NULL, stay, (void *)secs) != 0)
		return 1;
	pthread_exit(NULL);
}
