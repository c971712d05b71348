/*
 * stdio_cancel.c - a thread cancelled inside a stdio call: it writes a
 * line to a stream and flushes it with a cancellation request pending
 * (the write is a cancellation point: the thread ends there, glibc
 * unlocking the stream as it unwinds), then the main thread uses the same
 * stream, flushes it and closes it.  Prints how the thread ended and
 * "done"; under the shim it must do the same, not wait for ever on a lock
 * the cancelled thread kept.
 *
 *   stdio_cancel PATH
 */
#include <pthread.h>
#include <stdio.h>

static FILE *f;

static void *
cancelled(void *arg)
{
	(void)arg;
	pthread_cancel(pthread_self());	/* acted on at the next point */
	fputs("thread\n", f);
	fflush(f);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	void *r;

	if (argc != 2 || (f = fopen(argv[1], "w")) == NULL)
		return 2;
	if (pthread_create(&t, NULL, cancelled, NULL) != 0 ||
	    pthread_join(t, &r) != 0)
		return 2;
	printf("thread %s\n", r == PTHREAD_CANCELED ? "cancelled" : "returned");
	fputs("main\n", f);
	fflush(f);
	fprintf(f, "%s\n", "closing");
	if (fclose(f) != 0)
		return 1;
	printf("done\n");
	return 0;
}
