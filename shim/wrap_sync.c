/*
 * wrap_sync.c - the fsync family.  fsync means what it meant: a
 * coalesced file's bytes are written before the real call, and a flush
 * error kept for the fd is returned here, as the kernel returns writeback
 * errors.  Every call is counted, and timed per file, as writes are: in
 * ticks of the CPU's counter, to this thread's share of the row (plain
 * adds; the call returns from a wait with cold caches, where a locked add
 * or a clock_gettime costs most).
 */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"

/*
 * Count an fsync-family call on fd that lasted ticks; timed: it reached
 * the kernel, and goes into the file's histogram of fsync times (an
 * atomic add in the row's shared part: next to an fsync's wait it costs
 * nothing a program notices, and no thread's share of every row grows).
 */
static void
count_fsync(int fd, uint64_t ticks, int timed)
{
	fdent_t e = fd >= 0 ? fd_get(fd) : 0;
	unsigned f = FDE_FILE(e);

	ctr_add(&tctr()->fsyncs, 1);
	if (!(e & FD_KNOWN) || f == FILE_NONE)
		return;
	row_fsync(f, ticks);
	if (timed)
		CTR_ADD(&row_shared(f)->fsync_times[iw_ftime_bucket(
		    ticks_to_ns(ticks))], 1);
}

/* Flush fd's coalesced bytes; -1 with errno set when a flush failed. */
static int
sync_prologue(int fd)
{
	fdent_t e = fd_peek(fd);
	int err;

	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && !own_fd_still(fd))
		e = fd_peek(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM)) {
		errno = EBADF;
		return -1;
	}
	if (likely(!(FDE_FLAGS(e) & FD_COALESCE)))
		return 0;
	co_flush_fd(fd, IW_R_SYNC);
	if ((err = co_take_error(fd)) != 0) {
		count_fsync(fd, 0, 0);
		errno = err;
		return -1;
	}
	return 0;
}

#define FSYNC(name, decl, args, nr)					\
EXPORT int								\
name decl								\
{									\
	uint64_t t0;							\
	int r, saved;							\
									\
	if (unlikely(!shim_ready))					\
		return (int)syscall args;				\
	if (sync_prologue(fd) != 0)					\
		return -1;						\
	if (unlikely(db_on))						\
		db_fsync(fd);		/* debounce.c */		\
	t0 = shim_ticks();						\
	r = LAZY(name) nr;						\
	saved = errno;							\
	count_fsync(fd, shim_ticks_since(t0), 1);			\
	errno = saved;							\
	return r;							\
}
FSYNC(fsync, (int fd), (SYS_fsync, fd), (fd))
FSYNC(fdatasync, (int fd), (SYS_fdatasync, fd), (fd))
#ifdef SYS_sync_file_range
#define SFR_EARLY	(SYS_sync_file_range, fd, off, n, fl)
#else	/* 32-bit arm: the flags moved ahead so the 64-bit halves pair up */
#define SFR_EARLY	(SYS_sync_file_range2, fd, fl, off, n)
#endif
FSYNC(sync_file_range, (int fd, off64_t off, off64_t n, unsigned int fl),
    SFR_EARLY, (fd, off, n, fl))

EXPORT int
syncfs(int fd)
{
	int r, saved;

	if (unlikely(!shim_ready))
		return (int)syscall(SYS_syncfs, fd);
	co_flush_all(IW_R_SYNC);
	db_flush_all();
	r = LAZY(syncfs)(fd);
	saved = errno;
	count_fsync(-1, 0, 0);
	errno = saved;
	return r;
}

EXPORT void
sync(void)
{
	if (unlikely(!shim_ready)) {
		syscall(SYS_sync);
		return;
	}
	co_flush_all(IW_R_SYNC);
	db_flush_all();
	LAZY(sync)();
	count_fsync(-1, 0, 0);
}

EXPORT int
msync(void *addr, size_t len, int flags)
{
	int r, saved;

	if (unlikely(!shim_ready))
		return (int)syscall(SYS_msync, addr, len, flags);
	r = LAZY(msync)(addr, len, flags);
	saved = errno;
	count_fsync(-1, 0, 0);
	errno = saved;
	return r;
}
