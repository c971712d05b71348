/*
 * count_exec.c - a chain of execs, for t-count-exec.sh.
 *
 * usage: count_exec N
 * Writes N * 10 bytes to stdout with write() and 7 bytes with stdio
 * (never flushed: an exec drops them), then, if N > 1, first tries to
 * exec a program that does not exist (when N is even) and then execs
 * itself with N - 1; the last image exits with status 7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[100], arg[16];
	int n;

	if (argc != 2)
		return 2;
	n = atoi(argv[1]);
	if (n < 1 || n > 9)
		return 2;
	memset(buf, '0' + n, sizeof(buf));
	if (write(1, buf, (size_t)n * 10) != n * 10)
		return 3;
	fputs("stdio\n", stdout);
	if (n == 1)
		_exit(7);
	if (n % 2 == 0)
		execl("/nonexistent/program", "x", (char *)NULL);
	snprintf(arg, sizeof(arg), "%d", n - 1);
	execl("/proc/self/exe", argv[0], arg, (char *)NULL);
	return 4;
}
