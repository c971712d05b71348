/*
 * counters.c - the process's counters and its table of per-file rows.
 *
 * Counters are atomics added with relaxed order: a wrapper, another thread
 * and a signal handler may all count at once without a lock.  The per-file
 * table has a fixed bound (FILES_MAX rows, PATHS_BYTES of path text);
 * paths past it are folded into row 0, "(other)".  Rows never move, so an
 * fd entry can keep its row's index.
 */
#include <string.h>

#include "shim.h"

HIDDEN struct proc_ctr pc;
HIDDEN struct file_row files[FILES_MAX];
HIDDEN _Atomic unsigned files_used;

#define PATHS_BYTES	(256 * 1024)
#define HASH_SLOTS	(2 * FILES_MAX)

static char paths[PATHS_BYTES];
static size_t paths_used;
static uint16_t hash[HASH_SLOTS];	/* row index + 1; 0 = empty */
static atomic_flag table_lock = ATOMIC_FLAG_INIT;
static __thread int in_table;	/* this thread holds table_lock */

static const char other_name[] = "(other)";

static uint32_t
hash_path(const char *p, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (len--)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
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
		row = hash[i];
		if (row == 0)
			break;
		row--;
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
	hash[i] = (uint16_t)(row + 1);
	atomic_store(&files_used, row + 1);
out:
	unlock();
	in_table = 0;
	return row;
}

/* A new image or a forked child starts from zero. */
void
counters_reset(void)
{
	unsigned n = atomic_load(&files_used), i;

	memset((void *)&pc, 0, sizeof(pc));
	for (i = 0; i < n; i++) {
		atomic_store(&files[i].opens, 0);
		atomic_store(&files[i].read_bytes, 0);
		atomic_store(&files[i].write_bytes, 0);
		atomic_store(&files[i].reads, 0);
		atomic_store(&files[i].writes, 0);
		atomic_store(&files[i].fsyncs, 0);
		atomic_store(&files[i].write_ns, 0);
		atomic_store(&files[i].fsync_ns, 0);
		atomic_store(&files[i].absorbed, 0);
		atomic_store(&files[i].flushes, 0);
		memset((void *)files[i].write_sizes, 0, sizeof(files[i].write_sizes));
		files[i].sent_sum = 0;
	}
}
