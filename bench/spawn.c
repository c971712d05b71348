/*
 * spawn.c - the cost of starting a program from a process of a given
 * size: vfork + exec + wait of /bin/true (or of a path that does not
 * exist, where only the spawn is left), N times, after touching MB MiB of
 * memory.  Prints per_spawn_ns=... for bench/run section 8.
 *
 *	spawn MB N true|missing
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	const char *prog;
	size_t mb;
	char *mem;
	long long t0;
	int n, st;
	volatile int i;		/* kept in memory across vfork */
	pid_t pid;

	if (argc != 4)
		return 2;
	mb = strtoul(argv[1], NULL, 10);
	n = atoi(argv[2]);
	prog = strcmp(argv[3], "missing") == 0 ? "/nonexistent/true" : "/bin/true";
	if ((mem = malloc(mb << 20 | 1)) == NULL)
		return 1;
	memset(mem, 1, mb << 20);	/* resident: what a fork would copy */
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pid = vfork();
		if (pid == 0) {
			execl(prog, "true", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 1;
	}
	printf("per_spawn_ns=%lld mem_mb=%zu\n", (now_ns() - t0) / n, mb);
	return mem[mb << 19] == 1 ? 0 : 1;
}
