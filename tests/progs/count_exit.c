/*
 * count_exit.c - ways for a program to end, for t-count-exit.sh.
 *
 * usage: count_exit return|exit|_exit|_Exit|raise|pause CODE
 * Writes 100 bytes to stdout with write(), then 50 bytes with stdio
 * (left in the FILE buffer), then ends: return CODE from main, exit(CODE),
 * _exit(CODE), _Exit(CODE), raise(SIGTERM), or fflush and pause() until
 * killed.  The stdio bytes reach the file only with return, exit and
 * pause.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[100];
	int code;

	if (argc != 3)
		return 2;
	code = atoi(argv[2]);
	memset(buf, 'w', sizeof(buf));
	if (write(1, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return 3;
	fputs("0123456789012345678901234567890123456789012345678\n", stdout);
	if (strcmp(argv[1], "return") == 0)
		return code;
	if (strcmp(argv[1], "exit") == 0)
		exit(code);
	if (strcmp(argv[1], "_exit") == 0)
		_exit(code);
	if (strcmp(argv[1], "_Exit") == 0)
		_Exit(code);
	if (strcmp(argv[1], "raise") == 0) {
		raise(SIGTERM);
		return 4;
	}
	fflush(stdout);
	for (;;)
		pause();
}
