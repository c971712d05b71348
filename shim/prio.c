/*
 * prio.c - finds the IOSHIM_FLUSH_ON words in appended bytes.
 *
 * Every coalesced append is copied into its buffer and searched for the
 * priority words (ERROR, CRIT, ...) in the same pass: this is the hot
 * path of a log line, so it goes a vector at a time.  Each vector of bytes
 * is classified against the words' distinct first letters; only where a
 * first letter shows up is the next byte looked up in a table of the
 * words' first two letters, and only then are whole words compared.  A
 * line like "... INFO ..." thus costs one table lookup for its F.
 *
 * The default words are severity tokens of common log formats, so that an
 * access log's "GET /error" or a message saying "no error" does not
 * flush: nginx's bracketed levels ("[error]"), capitalised words before a
 * colon ("Error:"), all-capitals words standing alone ("ERROR", not
 * "ERRORS" or "NO_ERROR"), and python's "Traceback".  None starts with a
 * lower-case letter: those are in every line, and each would be a
 * candidate to look at.  The boundaries are
 * checked only where a whole word already matched, off the hot path.
 * Words of IOSHIM_FLUSH_ON match anywhere, as they are written.
 *
 * x86 uses nibble tables with pshufb (SSSE3, or AVX2 for 32 bytes a
 * step), chosen once by CPU; elsewhere (arm boards) GCC vector extensions
 * compare against each first letter, which the compiler maps to NEON where
 * there is NEON and to plain code where there is not.  The last step of a
 * copy is the vector that ends at the last byte, overlapping the one
 * before it: nothing is read or written past the n bytes.
 */
#include <string.h>

#include "shim.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PRIO_X86	1
/*
 * glibc >= 2.33 answers from the CPU features ld.so already read.  GCC's
 * __builtin_cpu_supports would link libgcc's constructor into the
 * library, which runs CPUID about twenty times in every process: in a VM
 * each one exits to the hypervisor, ~25 us per process start measured.
 */
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define HAS_SSSE3()	CPU_FEATURE_ACTIVE(SSSE3)
#define HAS_AVX2()	CPU_FEATURE_ACTIVE(AVX2)
#else
#define HAS_SSSE3()	(__builtin_cpu_init(), __builtin_cpu_supports("ssse3"))
#define HAS_AVX2()	(__builtin_cpu_init(), __builtin_cpu_supports("avx2"))
#endif
#endif

#define NWORD	24

typedef unsigned char v16 __attribute__((vector_size(16)));

/* how a word must stand: anywhere, after a non-word byte, or alone */
enum { AT_ANY, AT_LEFT, AT_WORD };

static const struct {
	const char	*w;
	int		at;
} defaults[] = {
	{ "[error]", AT_ANY }, { "[crit]", AT_ANY }, { "[alert]", AT_ANY },
	{ "[emerg]", AT_ANY },
	{ "ERROR", AT_WORD }, { "CRITICAL", AT_WORD }, { "CRIT", AT_WORD },
	{ "FATAL", AT_WORD }, { "PANIC", AT_WORD }, { "ALERT", AT_WORD },
	{ "EMERG", AT_WORD }, { "EMERGENCY", AT_WORD },
	{ "Error:", AT_LEFT }, { "Fatal:", AT_LEFT }, { "Critical:", AT_LEFT },
	{ "Panic:", AT_LEFT }, { "Alert:", AT_LEFT },
	{ "Traceback (most recent call last)", AT_ANY },
};

static const char *word[NWORD];
static size_t wlen[NWORD];
static int wat[NWORD];
static int nword;
static unsigned char is_first[256];	/* a word starts with this byte */
static SHIM_BIG uint8_t pair[256 * 256 / 8];	/* bit a << 8 | b: a word starts "ab" */
static v16 first[NWORD];		/* each distinct first letter, 16 times */
static int nfirst;
/* x86: byte c is a candidate when lo_tbl[c & 15] & hi_tbl[c >> 4] != 0
 * (one bit per distinct first letter, the ninth shares the first's bit) */
static unsigned char lo_tbl[16], hi_tbl[16];
static char store[CFG_FLUSH_ON_MAX];
HIDDEN int (*prio_copy)(char *, const char *, size_t);

HIDDEN int prio_on;

static int copy_vec(char *, const char *, size_t);
#ifdef PRIO_X86
static int copy_ssse3(char *, const char *, size_t);
static int copy_avx2(char *, const char *, size_t);
#endif

static void
add_word(const char *p, int at)
{
	unsigned a, b, k;

	if (nword == NWORD || p[0] == '\0')
		return;
	word[nword] = p;
	wlen[nword] = strlen(p);
	wat[nword] = at;
	a = (unsigned char)p[0];
		if (!is_first[a]) {
			is_first[a] = 1;
			lo_tbl[a & 15] |= (unsigned char)(1u << (nfirst % 8));
			hi_tbl[a >> 4] |= (unsigned char)(1u << (nfirst % 8));
			memset(&first[nfirst++], (int)a, sizeof(v16));
		}
	/* a one-letter word matches whatever follows it */
	for (b = 0; b < 256; b++)
		if (wlen[nword] == 1 || b == (unsigned char)p[1]) {
			k = a << 8 | b;
			pair[k >> 3] |= (uint8_t)(1u << (k & 7));
		}
	nword++;
}

/*
 * The words, once, before the first coalesced append: the defaults while
 * IOSHIM_FLUSH_ON is unset, else its words.
 */
void
prio_init(void)
{
	char *p, *save = NULL;
	size_t i;

	if (cfg.flush_default) {
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			add_word(defaults[i].w, defaults[i].at);
	} else {
		strcpy(store, cfg.flush_on);
		for (p = strtok_r(store, ":", &save); p != NULL;
		    p = strtok_r(NULL, ":", &save))
			add_word(p, AT_ANY);
	}
	prio_copy = copy_vec;
#ifdef PRIO_X86
	if (HAS_SSSE3())
		prio_copy = copy_ssse3;
	if (HAS_AVX2())
		prio_copy = copy_avx2;
#endif
	prio_on = nword > 0;
}

/*
 * Of the candidate positions in bits (counted from src + off), those
 * where the next byte can follow the first letter: usually none, without
 * a call.  The last byte of the append has no next byte and stays.
 */
static inline uint32_t
pairs(const char *src, size_t n, size_t off, uint32_t bits)
{
	uint32_t left = bits;
	const unsigned char *q;
	unsigned k;

	for (; bits != 0; bits &= bits - 1) {
		q = (const unsigned char *)src + off + __builtin_ctz(bits);
		if (q + 1 == (const unsigned char *)src + n)
			continue;
		k = (unsigned)q[0] << 8 | q[1];
		if (!(pair[k >> 3] & (1u << (k & 7))))
			left &= ~(1u << __builtin_ctz(bits));
	}
	return left;
}

/* A byte that continues a word: a letter, a digit, '_'. */
static inline int
wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * Word i matched at q (in src..end): does it stand as it must?  The
 * append's edges count as boundaries (a line starts with its first byte).
 */
static inline int
stands(const char *src, const char *end, const char *q, int i)
{
	if (wat[i] == AT_ANY)
		return 1;
	if (q > src && wordch((unsigned char)q[-1]))
		return 0;
	return wat[i] == AT_LEFT || q + wlen[i] == end ||
	    !wordch((unsigned char)q[wlen[i]]);
}

/* Is a word at one of the positions in bits (counted from src + off)? */
static int
check(const char *src, size_t n, size_t off, uint32_t bits)
{
	const char *q, *end = src + n;
	int i;

	for (; bits != 0; bits &= bits - 1) {
		q = src + off + __builtin_ctz(bits);
		for (i = 0; i < nword; i++)
			if (wlen[i] <= (size_t)(end - q) && word[i][0] == q[0] &&
			    memcmp(q, word[i], wlen[i]) == 0 &&
			    stands(src, end, q, i))
				return 1;
	}
	return 0;
}

/* Appends shorter than a vector: byte by byte. */
static int
copy_short(char *dst, const char *src, size_t n)
{
	size_t i;

	memcpy(dst, src, n);
	for (i = 0; i < n; i++)
		if (unlikely(is_first[(unsigned char)src[i]]) &&
		    check(src, n, i, 1))
			return 1;
	return 0;
}

/*
 * The loop every variant shares: W bytes a step, CAND(x) the candidate
 * bits of the vector x; the last step ends at n and masks off the bytes
 * the step before it already looked at.
 */
#define COPY_LOOP(W, T, LOAD, STORE, CAND)				\
	do {								\
		size_t i_;						\
		uint32_t bits_;						\
		T x_;							\
									\
		if (n < (W))						\
			return copy_short(dst, src, n);			\
		for (i_ = 0; i_ + (W) <= n; i_ += (W)) {		\
			x_ = LOAD(src + i_);				\
			STORE(dst + i_, x_);				\
			bits_ = CAND(x_);				\
			if (unlikely(bits_ != 0) &&			\
			    (bits_ = pairs(src, n, i_, bits_)) != 0 &&	\
			    check(src, n, i_, bits_))			\
				goto hit;				\
		}							\
		if (i_ < n) {						\
			i_ = n - (W);					\
			x_ = LOAD(src + i_);				\
			STORE(dst + i_, x_);				\
			bits_ = CAND(x_) &				\
			    (uint32_t)(~0ull << ((W) - n % (W)));	\
			if (unlikely(bits_ != 0) &&			\
			    (bits_ = pairs(src, n, i_, bits_)) != 0 &&	\
			    check(src, n, i_, bits_))			\
				goto hit;				\
		}							\
		return 0;						\
	hit:								\
		memcpy(dst, src, n);	/* the rest, unlooked at */	\
		return 1;						\
	} while (0)

static inline v16
load16(const char *p)
{
	v16 x;

	memcpy(&x, p, sizeof(x));
	return x;
}

static inline void
store16(char *p, v16 x)
{
	memcpy(p, &x, sizeof(x));
}

/* Portable: compare with each first letter. */
static inline uint32_t
cand_vec(v16 x)
{
	v16 m = x == first[0];
	uint64_t lo, hi;
	uint32_t bits = 0;
	int i;

	for (i = 1; i < nfirst; i++)
		m |= x == first[i];
	memcpy(&lo, &m, 8);
	memcpy(&hi, (char *)&m + 8, 8);
	if ((lo | hi) == 0)
		return 0;
	for (i = 0; i < 16; i++)
		if (m[i])
			bits |= 1u << i;
	return bits;
}

static int
copy_vec(char *dst, const char *src, size_t n)
{
	COPY_LOOP(16, v16, load16, store16, cand_vec);
}

#ifdef PRIO_X86
#define LD128(p)	_mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST128(p, x)	_mm_storeu_si128((__m128i *)(void *)(p), x)
#define LD256(p)	_mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ST256(p, x)	_mm256_storeu_si256((__m256i *)(void *)(p), x)

/* Candidates by nibble tables: a few instructions for 8 first letters. */
#define CAND128(x)							\
	((uint32_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(	\
	    _mm_shuffle_epi8(lo, _mm_and_si128(x, f)),			\
	    _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(x, 4), f))), \
	    _mm_setzero_si128())) & 0xffff)
#define CAND256(x)							\
	((uint32_t)~_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256( \
	    _mm256_shuffle_epi8(lo, _mm256_and_si256(x, f)),		\
	    _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), f))), \
	    _mm256_setzero_si256())))

__attribute__((target("ssse3"))) static int
copy_ssse3(char *dst, const char *src, size_t n)
{
	__m128i lo = LD128(lo_tbl), hi = LD128(hi_tbl);
	__m128i f = _mm_set1_epi8(0x0f);

	COPY_LOOP(16, __m128i, LD128, ST128, CAND128);
}

__attribute__((target("avx2"))) static int
copy_avx2(char *dst, const char *src, size_t n)
{
	__m256i lo = _mm256_broadcastsi128_si256(LD128(lo_tbl));
	__m256i hi = _mm256_broadcastsi128_si256(LD128(hi_tbl));
	__m256i f = _mm256_set1_epi8(0x0f);

	if (n < 32)
		return copy_ssse3(dst, src, n);
	COPY_LOOP(32, __m256i, LD256, ST256, CAND256);
}
#endif
