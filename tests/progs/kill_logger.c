/*
 * kill_logger.c - a logger made to be killed (tests/t-coalesce-kill.sh):
 * THREADS threads (and, with "fork", a forked child as writer 9) append
 * numbered lines "w<writer> <seq> <filler>\n" to LOG for ever, each line
 * by one write(); after each write returns, the writer's count of
 * returned lines goes to slot <writer> of CTR, a file mapped MAP_SHARED
 * with raw system calls (never through the shim), so the test can read,
 * after a SIGKILL, which lines the program was told were written.
 *
 *	kill_logger LOG CTR THREADS [fork]
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static volatile uint64_t *ctr;
static int logfd;

static void *
writer(void *arg)
{
	int w = (int)(long)arg;
	unsigned seed = (unsigned)w * 7919u + (unsigned)getpid();
	char line[256];
	uint64_t i;
	int n, pad;

	for (i = 0;; i++) {
		pad = (int)(rand_r(&seed) % 120);
		n = snprintf(line, sizeof(line), "w%d %llu %.*s\n", w,
		    (unsigned long long)i, pad,
		    "................................................................"
		    "................................................................");
		if (write(logfd, line, (size_t)n) != n)
			_exit(3);
		__atomic_store_n(&ctr[w], i + 1, __ATOMIC_RELEASE);
		if (rand_r(&seed) % 64 == 0)
			usleep(rand_r(&seed) % 2000);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	long k, nt;
	int cfd;

	if (argc < 4)
		return 2;
	logfd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	cfd = (int)syscall(SYS_openat, AT_FDCWD, argv[2], O_RDWR | O_CLOEXEC);
	if (logfd < 0 || cfd < 0)
		return 2;
	ctr = (volatile uint64_t *)syscall(SYS_mmap, NULL, 4096L,
	    PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0L);
	if (ctr == MAP_FAILED)
		return 2;
	nt = atol(argv[3]);
	if (argc > 4 && strcmp(argv[4], "fork") == 0 && fork() == 0)
		writer((void *)9L);
	for (k = 1; k < nt; k++)
		pthread_create(&t, NULL, writer, (void *)k);
	writer((void *)0L);
	return 0;
}
