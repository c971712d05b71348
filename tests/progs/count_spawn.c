/*
 * count_spawn.c - children made with vfork+exec, posix_spawn, system()
 * and popen(), for t-count-spawn.sh.
 *
 * usage: count_spawn DIR
 * Each child is /bin/sh writing a known number of bytes to a file of its
 * own in DIR (vfork.out 1000, spawn.out 2000, system.out 3000) or, for
 * popen, 4000 bytes to the pipe, which the parent reads.  Checks every
 * status and prints "ok" when all went as expected.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

static char *
cmd(const char *dir, const char *name, int n, int code)
{
	static char buf[3][8192];
	static int k;
	char *b = buf[k++ % 3];

	snprintf(b, sizeof(buf[0]),
	    "head -c %d /dev/zero | tr '\\0' x > '%s/%s'; exit %d", n, dir, name, code);
	return b;
}

int
main(int argc, char **argv)
{
	char *av[4], buf[8192];
	pid_t pid;
	int st;
	static int bad;
	static size_t got;
	size_t r;
	FILE *p;

	if (argc != 2)
		return 2;
	av[0] = "sh";
	av[1] = "-c";
	av[3] = NULL;

	av[2] = cmd(argv[1], "vfork.out", 1000, 3);
	if ((pid = vfork()) == 0) {
		execv("/bin/sh", av);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 3)
		bad |= 1;

	av[2] = cmd(argv[1], "spawn.out", 2000, 4);
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, av, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 4)
		bad |= 2;

	st = system(cmd(argv[1], "system.out", 3000, 5));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 5)
		bad |= 4;

	if ((p = popen("head -c 4000 /dev/zero", "r")) == NULL)
		bad |= 8;
	else {
		while ((r = fread(buf, 1, sizeof(buf), p)) > 0)
			got += r;
		if (pclose(p) != 0 || got != 4000)
			bad |= 16;
	}
	printf("%s bad=%d popen_bytes=%zu\n", bad ? "FAILED" : "ok", bad, got);
	return bad;
}
