/*
 * stdio_seek.c - reads files through stdio with seeks between the reads,
 * as a linker reads the file it writes, for t-count-stdioseek.sh:
 *   stdio_seek BIG SMALL OUT
 * BIG (a few hundred KB, not a multiple of the buffer): small freads with
 * seeks backward and forward beyond the buffer and within it, an fread
 * larger than the buffer, a getc loop, fgets, fgetpos/fsetpos,
 * fseek(SEEK_END)/ftell/rewind.  SMALL (less than a buffer): read whole,
 * then fseek to its end (glibc reads its bytes again).  OUT: written
 * through a "w+" stream, then read back with seeks.  Prints a checksum of
 * every byte read, and the bytes the kernel delivered to the process's
 * reads meanwhile (rchar of /proc/self/io, read with raw system calls
 * the shim does not see; less the first look's own read).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* rchar now; *len gets the bytes this look read */
static long
rchar(long *len)
{
	char b[1024], *p;
	long n;
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/io", O_RDONLY);
	n = fd < 0 ? -1 : syscall(SYS_read, fd, b, sizeof(b) - 1);
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (n <= 0 || (p = strstr((b[n] = '\0', b), "rchar: ")) == NULL)
		return -1;
	*len = n;
	return strtol(p + 7, NULL, 10);
}

static unsigned long sum;

static void
take(const char *p, size_t n)
{
	while (n-- > 0)
		sum = sum * 31 + (unsigned char)*p++;
}

static void
at(FILE *f, long off, int wh, size_t n)
{
	char buf[512];
	size_t r;

	if (fseek(f, off, wh) != 0) {
		perror("fseek");
		exit(1);
	}
	r = fread(buf, 1, n, f);
	take(buf, r);
}

int
main(int argc, char **argv)
{
	static char big[100000];
	char line[200];
	fpos_t pos;
	FILE *f;
	long i, end, r0, r1, len0, len1;
	int c;

	r0 = rchar(&len0);
	if (argc != 4 || (f = fopen(argv[1], "r")) == NULL)
		return 2;
	at(f, 0, SEEK_SET, 100);
	at(f, 50000, SEEK_SET, 100);	/* forward, past the buffer */
	at(f, 10000, SEEK_SET, 100);	/* backward */
	at(f, 10200, SEEK_SET, 100);	/* within the buffer */
	at(f, 9000, SEEK_SET, 100);	/* backward, just before it */
	at(f, 300, SEEK_CUR, 100);	/* relative */
	at(f, 200001, SEEK_SET, 100);	/* not on a block boundary */
	at(f, -5000, SEEK_CUR, 100);
	take(big, fread(big, 1, sizeof(big), f));	/* larger than the buffer */
	for (i = 0; i < 5000 && (c = getc(f)) != EOF; i++)
		sum = sum * 31 + (unsigned)c;
	fgetpos(f, &pos);
	while (fgets(line, sizeof(line), f) != NULL && i++ < 5100)
		take(line, strlen(line));
	fsetpos(f, &pos);
	at(f, 0, SEEK_CUR, 100);
	fseek(f, 0, SEEK_END);
	end = ftell(f);
	rewind(f);
	at(f, 0, SEEK_CUR, 200);
	at(f, -300, SEEK_END, 300);	/* the tail, then EOF */
	fclose(f);

	if ((f = fopen(argv[2], "r")) == NULL)
		return 3;
	take(big, fread(big, 1, sizeof(big), f));
	fseek(f, 0, SEEK_END);		/* reads the same bytes again */
	fseek(f, 0, SEEK_CUR);
	at(f, 10, SEEK_SET, 20);
	fclose(f);

	if ((f = fopen(argv[3], "w+")) == NULL)
		return 4;
	memset(big, 'o', sizeof(big));
	fwrite(big, 1, 30000, f);
	at(f, 0, SEEK_SET, 100);
	at(f, 20000, SEEK_SET, 100);
	at(f, 4000, SEEK_SET, 100);
	fwrite(big, 1, 100, f);
	at(f, 25000, SEEK_SET, 500);
	fclose(f);
	r1 = rchar(&len1);
	printf("%lu %ld\nrchar %ld\n", sum, end, r1 - r0 - len0);
	return 0;
}
