/*
 * prio_diff.c - shim/prio.c against a plain reference.
 *
 *   prio_diff [ROUNDS]
 *
 * Builds prio.c into itself and, for several IOSHIM_FLUSH_ON lists, feeds
 * every copy variant this CPU has (byte by byte, portable vectors, SSSE3,
 * AVX2) random appends of 0..300 bytes with words planted at random
 * places (line start and end, across vector boundaries, cut short at the
 * end).  Each answer must equal a memmem() search for every word (for the
 * default list: an occurrence with the boundaries its kind asks for), the
 * copy must equal the source, and the source ends at, and the copy is
 * followed by, a PROT_NONE page: a read or write past n kills the test.
 * Prints one line per variant and list; exits 1 on the first mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../shim/prio.c"

struct shim_config cfg;

static const char *lists[] = {
	NULL,					/* the default tokens */
	"ERROR:CRIT:FATAL:ALERT:EMERG:panic",	/* the old default, anywhere */
	"X:ab:WARN",				/* a one-letter word */
	"a1:b2:c3:d4:e5:f6:g7:h8:i9:j0",	/* more letters than buckets */
	"\xc3\xa9" "chec:ERROR",			/* bytes past 0x7f */
};

static int
alnum_(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
reference(const char *p, size_t n)
{
	const char *q, *from;
	int i;

	for (i = 0; i < nword; i++)
		for (from = p; (q = memmem(from, n - (size_t)(from - p), word[i],
		    wlen[i])) != NULL; from = q + 1) {
			if (wat[i] != AT_ANY && q > p && alnum_((unsigned char)q[-1]))
				continue;
			if (wat[i] == AT_WORD && q + wlen[i] < p + n &&
			    alnum_((unsigned char)q[wlen[i]]))
				continue;
			return 1;
		}
	return 0;
}

static void
reset(const char *list)
{
	static char flush_on[CFG_FLUSH_ON_MAX];

	nword = nfirst = 0;
	memset(is_first, 0, sizeof(is_first));
	memset(pair, 0, sizeof(pair));
	memset(lo_tbl, 0, sizeof(lo_tbl));
	memset(hi_tbl, 0, sizeof(hi_tbl));
	cfg.flush_default = list == NULL;
	snprintf(flush_on, sizeof(flush_on), "%s", list ? list : "");
	cfg.flush_on = flush_on;
	prio_init();
}

/* Random bytes drawn mostly from the words' own letters. */
static void
fill(char *p, size_t n)
{
	static const char filler[] = "INFO request handled status=200 \n\t_:[]";
	const char *w;
	size_t i, k;

	for (i = 0; i < n; i++) {
		switch (rand() % 4) {
		case 0:
			w = word[rand() % nword];
			p[i] = w[rand() % strlen(w)];
			break;
		case 1:
			p[i] = (char)(rand() % 256);
			break;
		default:
			p[i] = filler[rand() % (sizeof(filler) - 1)];
		}
	}
	/* sometimes a whole word, or its first letters at the very end */
	if (n > 0 && rand() % 3 == 0) {
		w = word[rand() % nword];
		k = strlen(w);
		i = (size_t)rand() % n;
		if (rand() % 2)
			i = n - (k < n ? k : n);
		memcpy(p + i, w, n - i < k ? n - i : k);
	}
}

int
main(int argc, char **argv)
{
	struct { const char *name; int (*fn)(char *, const char *, size_t); int ok; } v[] = {
		{ "short", copy_short, 1 },
		{ "vector", copy_vec, 1 },
#ifdef PRIO_X86
		{ "ssse3", copy_ssse3, 0 },
		{ "avx2", copy_avx2, 0 },
#endif
	};
	long pg = sysconf(_SC_PAGESIZE), rounds = argc > 1 ? atol(argv[1]) : 20000, r;
	char *src, *dst, *s, *d;
	size_t n, k, li;
	int got, want;

#ifdef PRIO_X86
	__builtin_cpu_init();
	v[2].ok = __builtin_cpu_supports("ssse3");
	v[3].ok = __builtin_cpu_supports("avx2");
#endif
	src = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED ||
	    mprotect(src + pg, pg, PROT_NONE) || mprotect(dst + pg, pg, PROT_NONE)) {
		perror("mmap");
		return 2;
	}
	srand(12345);
	for (li = 0; li < sizeof(lists) / sizeof(lists[0]); li++) {
		reset(lists[li]);
		for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			long hits = 0;

			if (!v[k].ok) {
				printf("%-7s skipped: not on this CPU\n", v[k].name);
				continue;
			}
			for (r = 0; r < rounds; r++) {
				n = (size_t)rand() % 301;
				s = src + pg - n;	/* ends at the guard page */
				d = dst + pg - n;
				fill(s, n);
				memset(dst, 0x55, (size_t)pg);
				want = reference(s, n);
				got = v[k].fn(d, s, n);
				if (got != want || memcmp(d, s, n) != 0) {
					printf("FAIL %s list %zu n %zu: got %d want %d%s\n",
					    v[k].name, li, n, got, want,
					    memcmp(d, s, n) ? " (copy differs)" : "");
					return 1;
				}
				hits += got;
			}
			printf("%-7s list %zu: %ld appends, %ld with a word, all equal\n",
			    v[k].name, li, rounds, hits);
		}
	}
	return 0;
}
