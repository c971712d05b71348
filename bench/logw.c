/*
 * logw.c - a program that logs the way daemons do: one append per line.
 *
 *   logw [-L] [-k K] MODE PATH N
 *
 * Appends N lines of exactly 100 bytes to PATH (opened O_APPEND), or
 * round robin to PATH.0 .. PATH.K-1 with -k K.  MODE:
 *   write      one write(2) per line (what python logging, nginx do)
 *   buffered   the same lines gathered in a 64 KiB buffer by the program
 *              itself: the physical-limit reference for coalescing
 *   stdio      fopen("a") + fprintf + fflush per line (a C daemon)
 *   stdiobuf   fopen("a") + fprintf into a 64 KiB stdio buffer, no fflush
 *
 * -L times every append with clock_gettime and prints, on stdout,
 * p50_ns= p99_ns= p999_ns= max_ns= mean_ns= clock_ns= (the cost of an
 * empty timing pair, not subtracted).  Without -L it prints nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define LINE	100
#define BUFSZ	(64 * 1024)
#define LO	65536		/* 1 ns buckets below this */
#define HI	100000		/* then 1 us buckets up to 100 ms */

enum { M_WRITE, M_BUFFERED, M_STDIO, M_STDIOBUF };

struct out {
	int	fd;
	FILE	*f;
	char	*buf;
	size_t	len;
};

static uint32_t hist_lo[LO], hist_hi[HI];
static uint64_t over, max_ns, sum_ns, nsamples;
static char pad[LINE];

static inline uint64_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sample(uint64_t ns)
{
	if (ns < LO)
		hist_lo[ns]++;
	else if (ns / 1000 < HI)
		hist_hi[ns / 1000]++;
	else
		over++;
	if (ns > max_ns)
		max_ns = ns;
	sum_ns += ns;
	nsamples++;
}

/* The q-quantile (0..1) of the samples, in ns. */
static uint64_t
quantile(double q)
{
	uint64_t want = (uint64_t)(q * (double)nsamples), seen = 0;
	size_t i;

	if (want >= nsamples)
		want = nsamples - 1;
	for (i = 0; i < LO; i++)
		if ((seen += hist_lo[i]) > want)
			return i;
	for (i = 0; i < HI; i++)
		if ((seen += hist_hi[i]) > want)
			return i * 1000 + 500;
	return max_ns;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
full_write(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("write");
		p += r;
		n -= (size_t)r;
	}
}

/* Line i, 100 bytes with its newline, into line[]: the template with
 * the request number written in. */
static char tmpl[LINE];
#define PREFIX	"2025-01-01T12:00:00Z INFO bench: request "

static void
make_line(char *line, long i)
{
	char *d = line + sizeof(PREFIX) - 1 + 8;
	int k;

	memcpy(line, tmpl, LINE);
	for (k = 0; k < 8; k++, i /= 10)
		*--d = (char)('0' + i % 10);
}

static void
append(struct out *o, int mode, long i)
{
	char line[LINE + 1];

	switch (mode) {
	case M_WRITE:
		make_line(line, i);
		full_write(o->fd, line, LINE);
		break;
	case M_BUFFERED:
		if (o->len + LINE > BUFSZ) {
			full_write(o->fd, o->buf, o->len);
			o->len = 0;
		}
		make_line(o->buf + o->len, i);
		o->len += LINE;
		break;
	case M_STDIO:
	case M_STDIOBUF:
		if (fprintf(o->f, "2025-01-01T12:00:00Z INFO bench: request "
		    "%08ld handled status=200 %s\n", i, pad) != LINE)
			die("fprintf");
		if (mode == M_STDIO && fflush(o->f) != 0)
			die("fflush");
		break;
	}
}

int
main(int argc, char **argv)
{
	int c, lat = 0, mode;
	long k = 1, n, i, j;
	struct out *o;
	struct rlimit rl;
	char path[4096];
	uint64_t t0, t1, clk = 0;

	while ((c = getopt(argc, argv, "Lk:")) != -1) {
		switch (c) {
		case 'L': lat = 1; break;
		case 'k': k = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 3 || k < 1) {
usage:
		fprintf(stderr, "usage: logw [-L] [-k K] write|buffered|stdio|stdiobuf PATH N\n");
		return 2;
	}
	if (strcmp(argv[optind], "write") == 0)
		mode = M_WRITE;
	else if (strcmp(argv[optind], "buffered") == 0)
		mode = M_BUFFERED;
	else if (strcmp(argv[optind], "stdio") == 0)
		mode = M_STDIO;
	else if (strcmp(argv[optind], "stdiobuf") == 0)
		mode = M_STDIOBUF;
	else
		goto usage;
	n = atol(argv[optind + 2]);

	/* The fixed part is 66 bytes + 8 digits; pad the rest with text. */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[LINE - 1 - (int)strlen(PREFIX "00000000 handled status=200 ")] = '\0';
	memset(tmpl, 'x', sizeof(tmpl));
	memcpy(tmpl, PREFIX "00000000 handled status=200 ",
	    strlen(PREFIX "00000000 handled status=200 "));
	tmpl[LINE - 1] = '\n';

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)k + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((o = calloc((size_t)k, sizeof(*o))) == NULL)
		die("calloc");
	for (j = 0; j < k; j++) {
		if (k == 1)
			snprintf(path, sizeof(path), "%s", argv[optind + 1]);
		else
			snprintf(path, sizeof(path), "%s.%ld", argv[optind + 1], j);
		if (mode == M_STDIO || mode == M_STDIOBUF) {
			if ((o[j].f = fopen(path, "a")) == NULL)
				die(path);
			if (mode == M_STDIOBUF && setvbuf(o[j].f, NULL, _IOFBF, BUFSZ) != 0)
				die("setvbuf");
		} else {
			o[j].fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (o[j].fd < 0)
				die(path);
			if (mode == M_BUFFERED && (o[j].buf = malloc(BUFSZ)) == NULL)
				die("malloc");
		}
	}

	if (!lat) {
		for (i = 0; i < n; i++)
			append(&o[i % k], mode, i);
	} else {
		t0 = now();
		for (i = 0; i < 1000; i++)
			(void)now();
		clk = (now() - t0) / 1001;
		for (i = 0; i < n; i++) {
			t0 = now();
			append(&o[i % k], mode, i);
			t1 = now();
			sample(t1 - t0);
		}
	}
	for (j = 0; j < k; j++) {
		if (mode == M_BUFFERED && o[j].len)
			full_write(o[j].fd, o[j].buf, o[j].len);
		if (o[j].f != NULL) {
			if (fclose(o[j].f) != 0)
				die("fclose");
		} else if (close(o[j].fd) != 0)
			die("close");
	}
	if (lat)
		printf("p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu "
		    "mean_ns=%llu clock_ns=%llu over100ms=%llu\n",
		    (unsigned long long)quantile(0.50),
		    (unsigned long long)quantile(0.99),
		    (unsigned long long)quantile(0.999),
		    (unsigned long long)max_ns,
		    (unsigned long long)(nsamples ? sum_ns / nsamples : 0),
		    (unsigned long long)clk, (unsigned long long)over);
	return 0;
}
