/*
 * count_sig.c - write() from a signal handler while the program writes
 * too, for t-count-signal.sh.
 *
 * usage: count_sig DIR NLINES
 * An interval timer (SIGALRM, every 1 ms) and raise(SIGUSR1) run a
 * handler that appends "H\n" to DIR/log (O_APPEND, which the main loop
 * appends its lines to as well) and 18 bytes to DIR/handler (O_APPEND).
 * The main loop writes NLINES 40-byte lines to the log with write(),
 * and every 50 lines a line through stdio to DIR/data.  Prints
 *   handler_calls=N handler_bytes=N main_bytes=N stdio_bytes=N
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>

static int logfd, hfd;
static volatile long calls, hbytes;

static void
handler(int sig)
{
	int saved = errno;

	(void)sig;
	/* handlers nest (SIGALRM lands inside the SIGUSR1 one): atomic adds */
	if (write(logfd, "H\n", 2) == 2)
		__atomic_fetch_add(&hbytes, 2, __ATOMIC_RELAXED);
	if (write(hfd, "tick from handler\n", 18) == 18)
		__atomic_fetch_add(&hbytes, 18, __ATOMIC_RELAXED);
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	errno = saved;
}

int
main(int argc, char **argv)
{
	char path[4096], line[64];
	struct sigaction sa;
	struct itimerval it;
	long main_bytes = 0, stdio_bytes = 0;
	int n, i;
	FILE *data;

	if (argc != 3)
		return 2;
	n = atoi(argv[2]);
	snprintf(path, sizeof(path), "%s/log", argv[1]);
	logfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	snprintf(path, sizeof(path), "%s/handler", argv[1]);
	hfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	snprintf(path, sizeof(path), "%s/data", argv[1]);
	data = fopen(path, "w");
	if (logfd < 0 || hfd < 0 || data == NULL)
		return 3;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	it.it_interval.tv_sec = 0;
	/*
	 * Every 1 ms: under strace a handler's two writes cost ~100 us, so a
	 * faster timer can starve the main loop on a slow machine.  The loop
	 * runs on until enough signals came, however fast the writes are.
	 */
	it.it_interval.tv_usec = 1000;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < n || __atomic_load_n(&calls, __ATOMIC_RELAXED) < 300; i++) {
		snprintf(line, sizeof(line), "main line %08d ....................\n", i);
		if (write(logfd, line, 40) == 40)
			main_bytes += 40;
		if (i % 50 == 0) {
			stdio_bytes += fprintf(data, "stdio line %d\n", i);
			raise(SIGUSR1);
		}
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN);
	if (fclose(data) != 0)
		return 4;
	printf("handler_calls=%d handler_bytes=%d main_bytes=%ld stdio_bytes=%ld\n",
	    (int)calls, (int)hbytes, main_bytes, stdio_bytes);
	return 0;
}
