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
HIDDEN struct file_row files[FILES_MAX];
HIDDEN _Atomic unsigned files_used;

#define PATHS_BYTES	(256 * 1024)
#define HASH_SLOTS	(2 * FILES_MAX)

static char paths[PATHS_BYTES];
static size_t paths_used;
/*
 * Open addressing: an entry is the row index + 1 (0 = empty) in its low
 * 16 bits and 16 other bits of the path's hash above, so a probe that
 * meets another path rarely has to touch that row and its path (past
 * 1024 rows every new path probes, and each touch is a cache miss).
 */
static uint32_t hash[HASH_SLOTS];
static atomic_flag table_lock = ATOMIC_FLAG_INIT;
static __thread int in_table;	/* this thread holds table_lock */

static const char other_name[] = "(other)";

/* Eight bytes a step: paths are hashed at every open. */
static uint32_t
hash_path(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ h >> 29);
}

static void
lock(void)
{
	while (atomic_flag_test_and_set_explicit(&table_lock, memory_order_acquire))
		;
}

static void
unlock(void)
{
	atomic_flag_clear_explicit(&table_lock, memory_order_release);
}

static void
init_other(void)
{
	files[0].path = other_name;
	files[0].path_len = sizeof(other_name) - 1;
	files[0].cls = IW_OTHER;
	atomic_store(&files_used, 1);
}

/*
 * The row of path (cls is its class when new), creating it if there is
 * room.  Called at open and first use of an fd, never per read or write.
 * A signal handler that opens a file while this thread holds the lock
 * gets the "(other)" row instead of waiting.
 */
unsigned
file_row_for(const char *path, size_t len, unsigned cls)
{
	uint32_t h;
	unsigned i, row;

	if (len == 0 || len > IW_PATH_MAX)
		return 0;
	if (in_table)
		return 0;
	in_table = 1;
	lock();
	if (atomic_load(&files_used) == 0)
		init_other();
	h = hash_path(path, len);
	for (i = h % HASH_SLOTS;; i = (i + 1) % HASH_SLOTS) {
		if (hash[i] == 0)
			break;
		if ((hash[i] ^ h) >> 16 != 0)
			continue;		/* another path */
		row = (hash[i] & 0xffff) - 1;
		if (files[row].path_len == len && memcmp(files[row].path, path, len) == 0)
			goto out;
	}
	row = atomic_load(&files_used);
	if (row >= FILES_MAX || paths_used + len + 1 > PATHS_BYTES) {
		row = 0;
		goto out;
	}
	memcpy(paths + paths_used, path, len);
	paths[paths_used + len] = '\0';
	files[row].path = paths + paths_used;
	files[row].path_len = (uint16_t)len;
	files[row].cls = (uint8_t)cls;
	paths_used += len + 1;
	hash[i] = (h & 0xffff0000u) | (row + 1);
	atomic_store(&files_used, row + 1);
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
	unsigned n = atomic_load(&files_used), i;

	memset((void *)&pc, 0, sizeof(pc));
	tctr_reset();
	fd_pending_reset();
	for (i = 0; i < n; i++) {
		atomic_store(&files[i].opens, 0);
		atomic_store(&files[i].read_bytes, 0);
		atomic_store(&files[i].write_bytes, 0);
		atomic_store(&files[i].reads, 0);
		atomic_store(&files[i].fsyncs, 0);
		atomic_store(&files[i].write_ns, 0);
		atomic_store(&files[i].fsync_ns, 0);
		atomic_store(&files[i].absorbed, 0);
		atomic_store(&files[i].flushes, 0);
		memset((void *)files[i].write_sizes, 0, sizeof(files[i].write_sizes));
		files[i].sent_sum = 0;
	}
}

/* --- per-thread blocks --- */

HIDDEN __thread struct tctr *my_tctr;
static _Atomic(struct tctr *) tctr_all;	/* every block, newest first */
static struct tctr retired;		/* blocks of threads that ended */
static _Atomic unsigned fold_seq;	/* odd while a block is folded */
static atomic_flag fold_lock = ATOMIC_FLAG_INIT;
static pthread_key_t tkey;
static int tkey_ok;

#define STATIC_BLOCKS	32
static struct tctr static_blocks[STATIC_BLOCKS];
static _Atomic unsigned static_used;

/* A new block: from a small static pool, then from mmap (signal-safe). */
static struct tctr *
new_block(void)
{
	unsigned i = atomic_fetch_add(&static_used, 1);
	struct tctr *t;

	if (i < STATIC_BLOCKS)
		return &static_blocks[i];
	t = real.mmap ? real.mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
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
		for (k = 0; k < 4; k++) {
			if (atomic)
				__atomic_fetch_add(&to->cls[c][k], from->cls[c][k], __ATOMIC_RELAXED);
			else
				to->cls[c][k] += __atomic_load_n(&from->cls[c][k], __ATOMIC_RELAXED);
		}
	if (atomic)
		__atomic_fetch_add(&to->co_absorbed, from->co_absorbed, __ATOMIC_RELAXED);
	else
		to->co_absorbed += __atomic_load_n(&from->co_absorbed, __ATOMIC_RELAXED);
}

static void
zero_block(struct tctr *t)
{
	unsigned c, k;

	/* word by word, atomic: proc_totals may be reading (fold_seq) */
	for (c = 0; c < IW_NCLASS; c++)
		for (k = 0; k < 4; k++)
			__atomic_store_n(&t->cls[c][k], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->co_absorbed, 0, __ATOMIC_RELAXED);
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
}

void
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
	atomic_store(&fold_seq, 0);
	atomic_flag_clear(&fold_lock);
}
