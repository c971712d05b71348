/*
 * counters.c - the process's counters and its table of per-file rows.
 *
 * The hot counters (bytes and calls per class) are per thread: a block per
 * running thread, added to without a lock prefix (shim.h, ctr_add), summed
 * by the readers.  The rest are atomics added with relaxed order: a
 * wrapper, another thread and a signal handler may all count at once.  The per-file
 * table has a fixed bound (FILES_MAX rows, PATHS_BYTES of path text);
 * paths past it are folded into row 0, "(other)".  Rows never move, so an
 * fd entry can keep its row's index.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "shim.h"

HIDDEN struct proc_ctr pc;
HIDDEN SHIM_BIG struct file_row files[FILES_MAX];
HIDDEN SHIM_BIG struct file_name names[FILES_MAX];
HIDDEN const struct file_row row_zero;
HIDDEN _Atomic unsigned files_used;

#define PATHS_BYTES	(256 * 1024)
#define HASH_SLOTS	(2 * FILES_MAX)

static SHIM_BIG char paths[PATHS_BYTES];
static size_t paths_used;
/*
 * Open addressing: an entry is the row index + 1 (0 = empty) in its low
 * 16 bits and 16 other bits of the path's hash above, so a probe that
 * meets another path rarely has to touch that row and its path (past
 * 1024 rows every new path probes, and each touch is a cache miss).
 */
static SHIM_BIG uint32_t hash[HASH_SLOTS];
static uint64_t table_lock;		/* 1 while a row is added */
static __thread int in_table;	/* this thread holds table_lock */

static const char other_name[] = "(other)";

/*
 * Eight bytes a step: paths are hashed at every open.  The tail is the
 * path's last eight bytes (overlapping the last step), not a copy of a
 * variable length, which costs a call.
 */
static uint32_t
hash_path(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w = 0;
	size_t n = len;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 32;
	}
	if (n > 0 && len >= 8)
		memcpy(&w, p + n - 8, 8);
	else
		for (; n > 0; n--)
			w = w << 8 | (unsigned char)p[n - 1];
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ h >> 29);
}

static void
lock(void)
{
	while (!table_cas64(&table_lock, 0, 1))
		sched_yield();
}

static void
unlock(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
}

static void
init_other(void)
{
	names[0].path = other_name;
	names[0].path_len = sizeof(other_name) - 1;
	names[0].cls = IW_OTHER;
	atomic_store_explicit(&files_used, 1, memory_order_release);
}

/*
 * The row of a path with hash h, or NO_ROW with *slot the empty slot
 * where the probe ended.  Takes no lock: a slot is written once, after
 * its row is complete (release), so a reader sees whole rows only.
 */
#define NO_ROW	(~0u)

static inline unsigned
probe(uint32_t h, const char *path, size_t len, unsigned *slot)
{
	uint32_t v;
	unsigned i, row;

	for (i = h % HASH_SLOTS;; i = (i + 1) % HASH_SLOTS) {
		v = __atomic_load_n(&hash[i], __ATOMIC_ACQUIRE);
		if (v == 0)
			break;
		if ((v ^ h) >> 16 != 0)
			continue;		/* another path */
		row = (v & 0xffff) - 1;
		if (names[row].path_len == len &&
		    memcmp(names[row].path, path, len) == 0)
			return row;
	}
	*slot = i;
	return NO_ROW;
}

/*
 * The hash of a path about to be looked up, with its slot asked for now:
 * an open is looked up at the program's next look at the fd, and the
 * slot's line (a cache miss, 70 % of a lookup's time in tar) arrives
 * during the system call in between.
 */
uint32_t
file_row_hint(const char *path, size_t len)
{
	uint32_t h = hash_path(path, len);

	__builtin_prefetch(&hash[h % HASH_SLOTS]);
	return h;
}

/*
 * The row of path (cls is its class when new), creating it if there is
 * room; hint is file_row_hint's hash of it, or NULL.  Called at open and
 * first use of an fd, never per read or write.  Finding a row takes no
 * lock; adding one does.  A signal handler that opens a new file while
 * this thread holds the lock gets the "(other)" row instead of waiting.
 */
unsigned
file_row_for(const char *path, size_t len, unsigned cls, const uint32_t *hint)
{
	uint32_t h;
	unsigned i = 0, row, used;

	if (len == 0 || len > IW_PATH_MAX)
		return 0;
	h = hint != NULL ? *hint : hash_path(path, len);
	used = atomic_load_explicit(&files_used, memory_order_acquire);
	if (used > 0 && (row = probe(h, path, len, &i)) != NO_ROW)
		return row;
	if (used >= FILES_MAX ||
	    __atomic_load_n(&paths_used, __ATOMIC_RELAXED) + len + 1 > PATHS_BYTES)
		return 0;		/* full: no new row can be made */
	if (in_table)
		return 0;
	in_table = 1;
	lock();
	if (atomic_load_explicit(&files_used, memory_order_relaxed) == 0)
		init_other();
	if ((row = probe(h, path, len, &i)) != NO_ROW)
		goto out;
	row = atomic_load_explicit(&files_used, memory_order_relaxed);
	if (row >= FILES_MAX || paths_used + len + 1 > PATHS_BYTES) {
		row = 0;
		goto out;
	}
	memcpy(paths + paths_used, path, len);
	paths[paths_used + len] = '\0';
	names[row].path = paths + paths_used;
	names[row].path_len = (uint16_t)len;
	names[row].cls = (uint8_t)cls;
	__atomic_store_n(&paths_used, paths_used + len + 1, __ATOMIC_RELAXED);
	atomic_store_explicit(&files_used, row + 1, memory_order_release);
	__atomic_store_n(&hash[i], (h & 0xffff0000u) | (row + 1), __ATOMIC_RELEASE);
out:
	unlock();
	in_table = 0;
	return row;
}

static void tctr_reset(void);

/* A new image or a forked child starts from zero. */
void
counters_reset(void)
{
	unsigned n = atomic_load(&files_used), i, k;

	memset((void *)&pc, 0, sizeof(pc));
	tctr_reset();
	fd_pending_reset();
	for (i = 0; i < n; i++) {
		if (!names[i].shared)
			continue;	/* never written: still zero */
		for (k = 0; k < TFILE_WORDS; k++)
			__atomic_store_n(&((uint64_t *)&files[i].c)[k], 0,
			    __ATOMIC_RELAXED);
		atomic_store(&files[i].absorbed, 0);
		atomic_store(&files[i].flushes, 0);
		for (k = 0; k < IW_NFTIMES; k++)
			atomic_store(&files[i].fsync_times[k], 0);
		__atomic_store_n(&names[i].shared, 0, __ATOMIC_RELAXED);
	}
	send_reset_rows();
}

/* --- per-thread blocks --- */

HIDDEN __thread struct tctr *my_tctr;
HIDDEN int shim_mt;
static _Atomic unsigned attached;	/* program threads that counted */
static _Atomic(struct tctr *) tctr_all;	/* every block, newest first */
static struct tctr retired;		/* blocks of threads that ended */
static _Atomic unsigned fold_seq;	/* odd while a block is folded */
static atomic_flag fold_lock = ATOMIC_FLAG_INIT;
static SHIM_HOT pthread_key_t tkey;
static SHIM_HOT int tkey_ok;

#define STATIC_BLOCKS	32
static SHIM_BIG struct tctr static_blocks[STATIC_BLOCKS];
static _Atomic unsigned static_used;

/* A new block: from a small static pool, then from mmap (signal-safe). */
static struct tctr *
new_block(void)
{
	unsigned i = atomic_fetch_add(&static_used, 1);
	struct tctr *t;

	if (i < STATIC_BLOCKS)
		return &static_blocks[i];
	t = LAZY(mmap) ? LAZY(mmap)(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
	return t == MAP_FAILED ? NULL : t;
}

/* The calling thread's first count: find a free block or make one. */
struct tctr *
tctr_attach(void)
{
	static struct tctr lost;	/* if memory runs out: counted, not per thread */
	struct tctr *t, *head;
	int zero;

	/* a second program thread, made where the shim did not see (shim.h) */
	if (!shim_worker && atomic_fetch_add(&attached, 1) > 0)
		__atomic_store_n(&shim_mt, 1, __ATOMIC_SEQ_CST);

	for (t = atomic_load(&tctr_all); t != NULL; t = t->next) {
		zero = 0;
		if (atomic_compare_exchange_strong(&t->live, &zero, 1))
			goto got;
	}
	if ((t = new_block()) == NULL)
		return &lost;
	atomic_store(&t->live, 1);
	head = atomic_load(&tctr_all);
	do
		t->next = head;
	while (!atomic_compare_exchange_weak(&tctr_all, &head, t));
got:
	my_tctr = t;
	if (tkey_ok)
		pthread_setspecific(tkey, t);
	return t;
}

static void
add_block(struct tctr *to, const struct tctr *from, int atomic)
{
	unsigned c, k;

	for (c = 0; c < IW_NCLASS; c++)
		for (k = 0; k < C_NK; k++) {
			if (atomic)
				__atomic_fetch_add(&to->cls[c][k], from->cls[c][k], __ATOMIC_RELAXED);
			else
				to->cls[c][k] += __atomic_load_n(&from->cls[c][k], __ATOMIC_RELAXED);
		}
	if (atomic) {
		__atomic_fetch_add(&to->co_absorbed, from->co_absorbed, __ATOMIC_RELAXED);
		__atomic_fetch_add(&to->opens, from->opens, __ATOMIC_RELAXED);
		__atomic_fetch_add(&to->fsyncs, from->fsyncs, __ATOMIC_RELAXED);
	} else {
		to->co_absorbed += __atomic_load_n(&from->co_absorbed, __ATOMIC_RELAXED);
		to->opens += __atomic_load_n(&from->opens, __ATOMIC_RELAXED);
		to->fsyncs += __atomic_load_n(&from->fsyncs, __ATOMIC_RELAXED);
	}
}

/*
 * Each row's share of t added to the row when fold is set, then zeroed,
 * word by word (rows_sum may be reading, under fold_seq), in the groups
 * of rows t counted in; their marks are cleared.
 */
static void
shares_fold(struct tctr *t, int fold)
{
	struct tfiles *b = t->tf;
	uint64_t *x, *to, v, chunks;
	unsigned f, k, end;

	if (b == NULL)
		return;
	chunks = __atomic_load_n(&t->tf_chunks, __ATOMIC_ACQUIRE);
	for (; chunks != 0; chunks &= chunks - 1) {
		f = (unsigned)__builtin_ctzll(chunks) * TF_CHUNK;
		for (end = f + TF_CHUNK; f < end; f++) {
			x = (uint64_t *)&b->row[f];
			to = NULL;
			for (k = 0; k < TFILE_WORDS; k++) {
				if ((v = __atomic_load_n(&x[k], __ATOMIC_RELAXED)) == 0)
					continue;
				if (fold) {
					if (to == NULL)
						to = (uint64_t *)&row_shared(f)->c;
					__atomic_fetch_add(&to[k], v, __ATOMIC_RELAXED);
				}
				__atomic_store_n(&x[k], 0, __ATOMIC_RELAXED);
			}
		}
	}
	__atomic_store_n(&t->tf_chunks, 0, __ATOMIC_RELEASE);
}

static void
zero_block(struct tctr *t)
{
	unsigned c, k;

	/* word by word, atomic: proc_totals may be reading (fold_seq) */
	for (c = 0; c < IW_NCLASS; c++)
		for (k = 0; k < C_NK; k++)
			__atomic_store_n(&t->cls[c][k], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->co_absorbed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->opens, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->fsyncs, 0, __ATOMIC_RELAXED);
	shares_fold(t, 0);
}

/* A thread ends: its counts move to the retired block. */
static void
tctr_retire(void *p)
{
	struct tctr *t = p;

	while (atomic_flag_test_and_set(&fold_lock))
		;
	atomic_fetch_add(&fold_seq, 1);
	add_block(&retired, t, 1);
	shares_fold(t, 1);
	zero_block(t);
	atomic_fetch_add(&fold_seq, 1);
	atomic_flag_clear(&fold_lock);
	my_tctr = NULL;
	atomic_store(&t->live, 0);
}

/* The process's totals; consistent with every thread's counts so far. */
void
proc_totals(struct proc_totals *out)
{
	struct tctr sum, *t;
	unsigned s, tries = 0;

	do {
		s = atomic_load(&fold_seq);
		memset(&sum, 0, sizeof(sum));
		add_block(&sum, &retired, 0);
		for (t = atomic_load(&tctr_all); t != NULL; t = t->next)
			if (atomic_load(&t->live))
				add_block(&sum, t, 0);
	} while (((s & 1) || atomic_load(&fold_seq) != s) && ++tries < 1000000 &&
	    (sched_yield(), 1));
	memcpy(out->cls, sum.cls, sizeof(out->cls));
	out->co_absorbed = sum.co_absorbed;
	out->opens = sum.opens;
	out->fsyncs = sum.fsyncs;
}

/*
 * Rows lo .. lo+n-1 as the process sees them: each row's own counts plus
 * every running thread's share, consistent with the threads that ended.
 */
void
rows_sum(unsigned lo, unsigned n, struct tfile *out)
{
	struct tctr *t;
	struct tfiles *b;
	const uint64_t *x;
	uint64_t *o, chunks;
	unsigned s, tries = 0, i, k;

	do {
		s = atomic_load(&fold_seq);
		for (i = 0; i < n; i++) {
			x = (const uint64_t *)&row_shared_peek(lo + i)->c;
			o = (uint64_t *)&out[i];
			for (k = 0; k < TFILE_WORDS; k++)
				o[k] = __atomic_load_n(&x[k], __ATOMIC_RELAXED);
		}
		for (t = atomic_load(&tctr_all); t != NULL; t = t->next) {
			if (!atomic_load(&t->live) ||
			    (b = __atomic_load_n(&t->tf, __ATOMIC_ACQUIRE)) == NULL)
				continue;
			chunks = __atomic_load_n(&t->tf_chunks, __ATOMIC_ACQUIRE);
			for (i = 0; i < n; i++) {
				if (!(chunks >> ((lo + i) / TF_CHUNK) & 1))
					continue;	/* never counted: zeros */
				x = (const uint64_t *)&b->row[lo + i];
				o = (uint64_t *)&out[i];
				for (k = 0; k < TFILE_WORDS; k++)
					o[k] += __atomic_load_n(&x[k], __ATOMIC_RELAXED);
			}
		}
	} while (((s & 1) || atomic_load(&fold_seq) != s) && ++tries < 1000000 &&
	    (sched_yield(), 1));
}

/*
 * The calling thread's first count of a file: its share table is made;
 * and its first count in a group of rows: the group is marked.  A signal
 * handler may do the same meanwhile: the first table stored wins, and a
 * mark is one instruction (x86) or an atomic or.
 */
struct tfile *
row_share_slow(unsigned f, int *own)
{
	struct tctr *t = tctr();
	struct tfiles *b = t->tf, *expect = NULL;
	uint64_t bit = 1ull << (f / TF_CHUNK);

	if (b == NULL) {
		b = LAZY(mmap) ? LAZY(mmap)(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
		if (b == MAP_FAILED) {
			*own = 0;
			return &row_shared(f)->c;
		}
		if (!__atomic_compare_exchange_n(&t->tf, &expect, b, 0,
		    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE)) {
			munmap(b, sizeof(*b));
			b = expect;
		}
	}
	if (!(t->tf_chunks & bit)) {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
		__asm__ volatile("orq %1, %0" : "+m"(t->tf_chunks) : "er"(bit));
#else
		__atomic_fetch_or(&t->tf_chunks, bit, __ATOMIC_RELEASE);
#endif
	}
	*own = 1;
	return &b->row[f];
}

SHIM_ONCE void
counters_init(void)
{
	tkey_ok = pthread_key_create(&tkey, tctr_retire) == 0;
}

/* After fork only this thread lives; its counts, and all, start again. */
static void
tctr_reset(void)
{
	struct tctr *t;

	for (t = atomic_load(&tctr_all); t != NULL; t = t->next) {
		zero_block(t);
		if (t != my_tctr)
			atomic_store(&t->live, 0);
	}
	zero_block(&retired);
	atomic_store(&attached, my_tctr != NULL);
	__atomic_store_n(&shim_mt, 0, __ATOMIC_RELAXED);
	atomic_store(&fold_seq, 0);
	atomic_flag_clear(&fold_lock);
}
