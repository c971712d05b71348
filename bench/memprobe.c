/*
 * memprobe.c - how much memory a small program uses, with K log files.
 *
 *   memprobe DIR K
 *
 * Opens K files DIR/m.0 .. DIR/m.K-1 with O_APPEND, appends one 100-byte
 * line to each (so under the shim each gets a coalescing buffer), keeps
 * them open and prints its own rss_kb= and hwm_kb= (VmRSS, VmHWM from
 * /proc/self/status) at that moment.  K = 0 is the "small program".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

static long
status_kb(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? atol(p + strlen(key)) : -1;
}

int
main(int argc, char **argv)
{
	char path[4096], line[101], status[8192];
	struct rlimit rl;
	long k, i;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: memprobe DIR K\n");
		return 2;
	}
	k = atol(argv[2]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)k + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(line, 'm', sizeof(line));
	line[99] = '\n';
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/m.%ld", argv[1], i);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || write(fd, line, 100) != 100) {
			perror(path);
			return 1;
		}
	}
	if ((fd = open("/proc/self/status", O_RDONLY)) < 0) {
		perror("/proc/self/status");
		return 1;
	}
	n = read(fd, status, sizeof(status) - 1);
	status[n > 0 ? n : 0] = '\0';
	close(fd);
	printf("rss_kb=%ld hwm_kb=%ld\n", status_kb(status, "VmRSS:"),
	    status_kb(status, "VmHWM:"));
	return 0;
}
