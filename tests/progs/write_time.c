/*
 * write_time.c - an independent clock for the shim's write_ns and
 * fsync_ns: write N blocks of SIZE bytes to FILE with write(2), fwrite(3)
 * (each block larger than the stream's buffer, so it goes to the kernel)
 * or pwrite(2), timing each call itself with CLOCK_MONOTONIC around it,
 * sleeping PAUSE_MS half way; or (fsync) write each block untimed and
 * time an fsync(2) after it.  Prints "sum_ns=N": the shim's time for the
 * file lies inside.
 *
 *   write_time write|fwrite|pwrite|fsync FILE N SIZE PAUSE_MS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	unsigned long long sum = 0, t0;
	long n, size, pause, i;
	char *buf;
	FILE *f = NULL;
	int fd;

	if (argc != 6)
		return 2;
	n = atol(argv[3]);
	size = atol(argv[4]);
	pause = atol(argv[5]);
	if ((buf = malloc(size)) == NULL)
		return 1;
	memset(buf, 'w', size);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (strcmp(argv[1], "fwrite") == 0 &&
	    (f = fdopen(fd, "w")) == NULL))
		return 1;
	for (i = 0; i < n; i++) {
		if (i == n / 2 && pause > 0) {
			struct timespec ts = { pause / 1000, pause % 1000 * 1000000 };

			nanosleep(&ts, NULL);
		}
		if (strcmp(argv[1], "fsync") == 0) {
			if (write(fd, buf, size) != size)
				return 1;
			t0 = now();
			if (fsync(fd) != 0)
				return 1;
			sum += now() - t0;
			continue;
		}
		t0 = now();
		if (f != NULL) {
			if (fwrite(buf, 1, size, f) != (size_t)size)
				return 1;
		} else if (strcmp(argv[1], "pwrite") == 0) {
			if (pwrite(fd, buf, size, (off_t)i * size) != size)
				return 1;
		} else if (write(fd, buf, size) != size)
			return 1;
		sum += now() - t0;
	}
	if (f != NULL ? fclose(f) != 0 : close(fd) != 0)
		return 1;
	printf("sum_ns=%llu\n", sum);
	return 0;
}
