/*
 * count_stdio_threads.c - threads share one FILE (not append, so it is
 * counted, not coalesced) and write through every kind of locked stdio
 * call at once: fputs, fwrite, fprintf, putc, fputc, puts-like fputs of
 * a long line that overflows the buffer.
 * usage: count_stdio_threads PATH THREADS LINES
 * Each thread writes LINES lines; the file's size is the truth.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *f;
static int lines;

static void *
writer(void *arg)
{
	char big[5000];
	long k = (long)arg;
	int i;

	memset(big, 'b', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < lines; i++) {
		switch (i % 5) {
		case 0:
			fputs("a line from fputs\n", f);
			break;
		case 1:
			fwrite("a line from fwrite\n", 1, 19, f);
			break;
		case 2:
			fprintf(f, "thread %ld line %d from fprintf\n", k, i);
			break;
		case 3:
			putc('p', f);
			fputc('\n', f);
			break;
		case 4:
			if (i % 100 == 4)
				fputs(big, f);
			else
				fputs("short\n", f);
			break;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[64];
	long n, k;

	if (argc != 4 || (n = atol(argv[2])) < 1 || n > 64)
		return 2;
	lines = atoi(argv[3]);
	if ((f = fopen(argv[1], "w")) == NULL)
		return 1;
	for (k = 0; k < n; k++)
		if (pthread_create(&t[k], NULL, writer, (void *)k) != 0)
			return 1;
	for (k = 0; k < n; k++)
		pthread_join(t[k], NULL);
	return fclose(f) != 0;
}
