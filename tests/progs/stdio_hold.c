/*
 * stdio_hold.c - writes a file through stdio, then stays alive, for the
 * tests that look at a live process's files (t-top-files.sh):
 *   stdio_hold FILE N
 * N lines of 10 bytes to FILE with fputs (N program calls, the kernel
 * sees one write per full buffer), fflush, then "ready" on stdout, then
 * waits for end of input on stdin, and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[64];
	FILE *f;
	long n, i;

	if (argc != 3 || (n = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: stdio_hold FILE N\n");
		return 2;
	}
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%09ld\n", i);
		fputs(buf, f);
	}
	if (fflush(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	fclose(f);
	return 0;
}
