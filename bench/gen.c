/*
 * gen.c - deterministic input data for the benchmarks.
 *
 *   gen text BYTES          text lines of words and numbers on stdout
 *                           (compresses about 3:1, sorts like real data)
 *   gen tree DIR NFILES     NFILES files of 1-16 KiB of text under DIR,
 *                           in subdirectories of 100
 *   gen sql N PER [HEAD]    N transactions of PER inserts each (PER = 0:
 *                           N autocommit inserts, one transaction each)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const char *const words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
	"hotel", "india", "juliet", "kilo", "lima", "mike", "november",
	"oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
	"victor", "whiskey", "xray", "yankee", "zulu", "request", "served",
	"client", "server", "cache", "miss", "hit", "disk", "queue", "retry",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* One line of text into f; returns its length. */
static size_t
text_line(FILE *f)
{
	size_t len = 0;
	int i, nw = 4 + (int)(rnd() % 8);

	for (i = 0; i < nw; i++) {
		if (rnd() % 4 == 0)
			len += (size_t)fprintf(f, "%u ", rnd() % 100000);
		else
			len += (size_t)fprintf(f, "%s ", words[rnd() % NWORDS]);
	}
	fputc('\n', f);
	return len + 1;
}

static int
text(unsigned long long bytes, FILE *f)
{
	unsigned long long done = 0;

	while (done < bytes)
		done += text_line(f);
	return ferror(f) ? 1 : 0;
}

static int
tree(const char *dir, long nfiles)
{
	char path[4096];
	long i;
	FILE *f;
	unsigned long long want;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return perror(dir), 1;
	for (i = 0; i < nfiles; i++) {
		if (i % 100 == 0) {
			snprintf(path, sizeof(path), "%s/d%03ld", dir, i / 100);
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return perror(path), 1;
		}
		snprintf(path, sizeof(path), "%s/d%03ld/f%05ld.txt", dir, i / 100, i);
		if ((f = fopen(path, "w")) == NULL)
			return perror(path), 1;
		want = 1024 + rnd() % (15 * 1024);
		text(want, f);
		if (fclose(f) != 0)
			return perror(path), 1;
	}
	return 0;
}

static void
sql(long n, long per)
{
	long t, i, id = 0;

	printf("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);\n");
	for (t = 0; t < n; t++) {
		if (per > 0)
			printf("BEGIN;\n");
		for (i = 0; i < (per > 0 ? per : 1); i++, id++)
			printf("INSERT INTO t(v, n) VALUES('%s %s %u', %ld);\n",
			    words[rnd() % NWORDS], words[rnd() % NWORDS],
			    rnd() % 100000, id);
		if (per > 0)
			printf("COMMIT;\n");
	}
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "text") == 0)
		return text(strtoull(argv[2], NULL, 10), stdout);
	if (argc == 4 && strcmp(argv[1], "tree") == 0)
		return tree(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "sql") == 0) {
		sql(atol(argv[2]), atol(argv[3]));
		return ferror(stdout) ? 1 : 0;
	}
	fprintf(stderr, "usage: gen text BYTES | gen tree DIR NFILES | gen sql N PER\n");
	return 2;
}
