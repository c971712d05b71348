/*
 * co_readback.c - a program that reads back its own log while appending.
 * usage: co_readback PATH
 * After each batch of appends it checks, each way, that it sees every byte
 * it wrote: stat and fstat sizes, lseek(SEEK_END), pread on the append fd
 * (opened O_RDWR), read through a separate read-only fd (kept open across
 * batches, and opened anew), and stdio fopen("r").  Prints each failure;
 * exits 1 if any.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static char want[1 << 20];
static size_t nwant;
static int bad;

static void
check(const char *how, const char *got, ssize_t n)
{
	if (n != (ssize_t)nwant || memcmp(got, want, nwant) != 0) {
		printf("FAIL %s: saw %zd bytes, wrote %zu\n", how, n, nwant);
		bad = 1;
	}
}

static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	ssize_t r, n = 0;

	while ((size_t)n < cap && (r = read(fd, buf + n, cap - (size_t)n)) > 0)
		n += r;
	return n;
}

int
main(int argc, char **argv)
{
	static char got[1 << 20];
	char line[128], how[64];
	struct stat st;
	int fd, rfd, rfd2, batch, i, len;
	FILE *f;
	ssize_t n;
	off_t end;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_RDWR | O_APPEND | O_CREAT, 0644);
	rfd = open(argv[1], O_RDONLY);
	if (fd < 0 || rfd < 0)
		return 1;
	for (batch = 0; batch < 5; batch++) {
		for (i = 0; i < 50; i++) {
			len = snprintf(line, sizeof(line), "batch %d line %d\n", batch, i);
			if (write(fd, line, (size_t)len) != len)
				return 1;
			memcpy(want + nwant, line, (size_t)len);
			nwant += (size_t)len;
		}
		switch (batch) {
		case 0:		/* another fd opened before the appends */
			n = read_all(rfd, got, sizeof(got));
			check("read on a separate fd", got, n);
			break;
		case 1:		/* stat family */
			if (stat(argv[1], &st) != 0 || (size_t)st.st_size != nwant) {
				printf("FAIL stat: size %lld, wrote %zu\n", (long long)st.st_size, nwant);
				bad = 1;
			}
			if (fstat(fd, &st) != 0 || (size_t)st.st_size != nwant) {
				printf("FAIL fstat: size %lld, wrote %zu\n", (long long)st.st_size, nwant);
				bad = 1;
			}
			n = pread(fd, got, sizeof(got), 0);
			check("pread on the append fd", got, n);
			break;
		case 2:		/* a fresh read-only fd */
			rfd2 = open(argv[1], O_RDONLY);
			n = read_all(rfd2, got, sizeof(got));
			check("read on a new fd", got, n);
			end = lseek(rfd2, 0, SEEK_END);
			if (end != (off_t)nwant) {
				printf("FAIL lseek(SEEK_END) on a read fd: %lld, wrote %zu\n",
				    (long long)end, nwant);
				bad = 1;
			}
			close(rfd2);
			break;
		case 3:		/* stdio */
			f = fopen(argv[1], "r");
			n = f ? (ssize_t)fread(got, 1, sizeof(got), f) : -1;
			check("fread", got, n);
			if (f)
				fclose(f);
			break;
		case 4:		/* the old read fd again, from the start */
			lseek(rfd, 0, SEEK_SET);
			n = read_all(rfd, got, sizeof(got));
			snprintf(how, sizeof(how), "read on the first fd after lseek");
			check(how, got, n);
			break;
		}
	}
	close(rfd);
	if (close(fd) != 0)
		return 1;
	if (!bad)
		printf("ok: read back %zu bytes every way\n", nwant);
	return bad;
}
