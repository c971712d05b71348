/*
 * wrap_fd.c - the calls that make, copy and end file descriptors (the
 * open family, close, close_range, closefrom, dup*, fcntl) and the calls
 * that must see a file's coalesced bytes (lseek, ftruncate, fallocate,
 * the stat family, mmap).
 *
 * Opens count the new fd and leave it to be classified lazily (fdtable.c),
 * from the program's own fstat when it makes one; closes forget it.  The shim's
 * own fds are protected: closing one answers EBADF and leaves it open,
 * dup2 onto one takes it away from the shim (it reopens elsewhere).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

/* An open with O_SYNC or O_DSYNC (O_SYNC holds O_DSYNC's bit) while
 * saves are debounced: its file's saves go straight through. */
static inline int
db_opened(int fd, int flags)
{
	if (unlikely(flags & O_DSYNC) && unlikely(db_on))
		db_opened_sync(fd);
	return fd;
}

/* The same, and a new temporary file of a debounced save's may be held
 * (debounce_hold.c). */
static inline int
db_created(int fd, int dirfd, const char *path, int flags)
{
	if (unlikely(db_on)) {
		if (flags & O_DSYNC)
			db_opened_sync(fd);
		else if (flags & O_CREAT)
			dbh_opened(fd, dirfd, path, flags);
	}
	return fd;
}

/*
 * An O_TRUNC open of a debounced file may be answered with an fd on its
 * pending state (debounce_trunc.c): counted and classified as the open of
 * the path the program named.
 */
#define DB_TRUNC(dirfd, path, flags) do {				\
	int fd_;							\
									\
	if (unlikely(db_on) && db_open(dirfd, path, flags, &fd_))	\
		return opened(fd_, dirfd, path, flags);			\
} while (0)

#define NEEDS_MODE(fl) (((fl) & O_CREAT) || ((fl) & __O_TMPFILE) == __O_TMPFILE)

/* Count an open; the fd is classified later when it can be (fdtable.c). */
static int
opened(int fd, int dirfd, const char *path, int oflags)
{
	fdent_t e;
	unsigned f;

	if (fd < 0 || in_vfork_child())
		return fd;
	ctr_add(&tctr()->opens, 1);
	if (fd_defer(fd, dirfd, path, oflags))
		return fd;
	e = fd_classify_open(fd, dirfd, path, oflags);
	if ((f = FDE_FILE(e)) != FILE_NONE)
		row_open(f);
	return fd;
}

/* An open that ran out of descriptors while the shim keeps some of its
 * own for closed logs (co_close): they are given back, and it is made
 * again. */
#define AGAIN_EMFILE(call) ({						\
	int r_ = (call);						\
	if (unlikely(r_ < 0) && errno == EMFILE && co_unpark_all())	\
		r_ = (call);						\
	r_;								\
})

#define OPEN(name)							\
EXPORT int								\
name(const char *path, int flags, ...)					\
{									\
	mode_t mode = 0;						\
	va_list ap;							\
									\
	if (NEEDS_MODE(flags)) {					\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
	if (unlikely(!shim_ready))					\
		return shim_raw_open(path, flags, mode);		\
	if (unlikely(flags & O_TRUNC)) {				\
		DB_TRUNC(AT_FDCWD, path, flags);			\
		co_before_trunc(AT_FDCWD, path, flags);			\
	}								\
	db_point(path);							\
	return db_created(opened(AGAIN_EMFILE(LAZY(name)(path, flags, mode)), \
	    AT_FDCWD, path, flags), AT_FDCWD, path, flags);		\
}
OPEN(open)
OPEN(open64)

#define OPENAT(name)							\
EXPORT int								\
name(int dirfd, const char *path, int flags, ...)			\
{									\
	mode_t mode = 0;						\
	va_list ap;							\
									\
	if (NEEDS_MODE(flags)) {					\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
	if (unlikely(!shim_ready))					\
		return (int)syscall(SYS_openat, dirfd, path, flags, mode); \
	if (unlikely(flags & O_TRUNC)) {				\
		DB_TRUNC(dirfd, path, flags);				\
		co_before_trunc(dirfd, path, flags);			\
	}								\
	db_point(path);							\
	return db_created(opened(AGAIN_EMFILE(LAZY(name)(dirfd, path, flags, \
	    mode)), dirfd, path, flags), dirfd, path, flags);		\
}
OPENAT(openat)
OPENAT(openat64)

#define CREAT(name)							\
EXPORT int								\
name(const char *path, mode_t mode)					\
{									\
	if (unlikely(!shim_ready))					\
		return shim_raw_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); \
	DB_TRUNC(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC);		\
	co_before_trunc(AT_FDCWD, path, O_TRUNC);			\
	db_point(path);							\
	return db_created(opened(AGAIN_EMFILE(LAZY(name)(path, mode)),	\
	    AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC), AT_FDCWD, path, \
	    O_CREAT | O_WRONLY | O_TRUNC);				\
}
CREAT(creat)
CREAT(creat64)

/* The fortified forms, called by programs built with _FORTIFY_SOURCE. */
#define OPEN2(name)							\
EXPORT int								\
name(const char *path, int flags)					\
{									\
	if (unlikely(!shim_ready))					\
		return shim_raw_open(path, flags, 0);			\
	if (unlikely(flags & O_TRUNC)) {				\
		DB_TRUNC(AT_FDCWD, path, flags);			\
		co_before_trunc(AT_FDCWD, path, flags);			\
	}								\
	db_point(path);							\
	return db_opened(opened(AGAIN_EMFILE(LAZY(name)(path, flags)),	\
	    AT_FDCWD, path, flags), flags);				\
}
OPEN2(__open_2)
OPEN2(__open64_2)

#define OPENAT2(name)							\
EXPORT int								\
name(int dirfd, const char *path, int flags)				\
{									\
	if (unlikely(!shim_ready))					\
		return (int)syscall(SYS_openat, dirfd, path, flags, 0);	\
	if (unlikely(flags & O_TRUNC)) {				\
		DB_TRUNC(dirfd, path, flags);				\
		co_before_trunc(dirfd, path, flags);			\
	}								\
	db_point(path);							\
	return db_opened(opened(AGAIN_EMFILE(LAZY(name)(dirfd, path, flags)), \
	    dirfd, path, flags), flags);				\
}
OPENAT2(__openat_2)
OPENAT2(__openat64_2)

/*
 * Closing.  A coalesced fd's bytes reach the file first; a flush error
 * kept for the fd is reported by close, after the fd is closed, as the
 * kernel reports writeback errors.
 */
EXPORT int
close(int fd)
{
	fdent_t e;
	int err = 0, r;

	if (unlikely(!shim_ready) || in_vfork_child())
		return (int)syscall(SYS_close, fd);
	e = fd_peek(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && !own_fd_still(fd))
		e = fd_peek(fd);	/* the program's now */
	if (unlikely(FDE_FLAGS(e) & (FD_SHIM | FD_COALESCE))) {
		if (FDE_FLAGS(e) & FD_SHIM) {
			errno = EBADF;
			return -1;
		}
		err = co_close(fd);
	}
	if (unlikely(e & (FD_PENDING | FD_DIR)))
		fd_forget(fd);
	else if (e)
		fd_clear(fd);
	r = LAZY(close)(fd);
	if (r == 0 && err) {
		errno = err;
		r = -1;
	}
	return r;
}

/* Close [lo, hi] around the shim's own fds, flushing coalesced ones. */
static int
close_span(unsigned lo, unsigned hi, int flags)
{
	unsigned fd;
	fdent_t e;

	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		for (fd = lo; fd <= hi && fd < FDT_CHUNK * FDT_CHUNKS; fd++) {
			if ((fd & (FDT_CHUNK - 1)) == 0 &&
			    atomic_load(&fdt_dir[fd >> FDT_CHUNK_BITS]) == NULL) {
				fd |= FDT_CHUNK - 1;	/* nothing cached here */
				if (fd == ~0u)
					break;
				continue;
			}
			e = fd_peek((int)fd);
			if ((FDE_FLAGS(e) & FD_SHIM) && own_fd_still((int)fd)) {
				if (fd > lo && close_span(lo, fd - 1, flags) != 0)
					return -1;
				return fd < hi ? close_span(fd + 1, hi, flags) : 0;
			}
			if (FDE_FLAGS(e) & FD_COALESCE)
				(void)co_close((int)fd);
			if (fd == ~0u)
				break;
		}
		fd_forget_range(lo, hi);
	}
	return LAZY(close_range)(lo, hi, flags);
}

EXPORT int
close_range(unsigned int lo, unsigned int hi, int flags)
{
	if (unlikely(!shim_ready) || in_vfork_child())
		return (int)syscall(SYS_close_range, lo, hi, flags);
	if (lo > hi) {
		errno = EINVAL;
		return -1;
	}
	return close_span(lo, hi, flags);
}

EXPORT void
closefrom(int lo)
{
	int saved = errno;

	if (unlikely(!shim_ready) || in_vfork_child()) {
		syscall(SYS_close_range, lo, ~0u, 0);
		errno = saved;
		return;
	}
	if (lo < 0)
		lo = 0;
	close_span((unsigned)lo, ~0u, 0);
	errno = saved;
}

EXPORT int
dup(int fd)
{
	int r;

	if (unlikely(!shim_ready) || in_vfork_child())
		return (int)syscall(SYS_dup, fd);
	if (shim_fd(fd)) {
		errno = EBADF;
		return -1;
	}
	r = LAZY(dup)(fd);
	if (r >= 0)
		fd_copy(fd, r);
	return r;
}

/* to is about to be replaced: give up the shim's claim, flush its bytes. */
static void
replacing(int from, int to)
{
	fdent_t e = fd_peek(to);

	if (from == to || !(e & FD_KNOWN))
		return;
	if (FDE_FLAGS(e) & FD_SHIM) {
		send_drop_fd();
		co_park_taken(to);
	}
	if (FDE_FLAGS(e) & FD_COALESCE)
		(void)co_close(to);	/* dup2 tells no error of the close */
	fd_forget(to);
}

EXPORT int
dup2(int from, int to)
{
	int r;

	if (unlikely(!shim_ready) || in_vfork_child())
		return LAZY(dup2) ? LAZY(dup2)(from, to) :
		    (int)syscall(SYS_dup3, from, to, 0);
	if (shim_fd(from)) {
		errno = EBADF;
		return -1;
	}
	replacing(from, to);
	r = LAZY(dup2)(from, to);
	if (r >= 0 && from != to)
		fd_copy(from, to);
	return r;
}

EXPORT int
dup3(int from, int to, int flags)
{
	int r;

	if (unlikely(!shim_ready) || in_vfork_child())
		return (int)syscall(SYS_dup3, from, to, flags);
	if (shim_fd(from)) {
		errno = EBADF;
		return -1;
	}
	replacing(from, to);
	r = LAZY(dup3)(from, to, flags);
	if (r >= 0)
		fd_copy(from, to);
	return r;
}

/*
 * fcntl's third argument is an int or a pointer; like glibc, read it as a
 * pointer, which carries either in every ABI Linux runs on.
 */
static int
do_fcntl(real_fcntl_t fn, int fd, int cmd, void *arg)
{
	fdent_t e;
	int r;

	if (in_vfork_child())
		return fn(fd, cmd, arg);
	e = fd_peek(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && !own_fd_still(fd))
		e = fd_peek(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM)) {
		errno = EBADF;
		return -1;
	}
	/* a lock taken or given up: held lines first (wrap_path.c, flock) */
	if (unlikely(co_held != 0) && (cmd == F_SETLK || cmd == F_SETLKW ||
	    cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW))
		co_sync_point(fd, IW_R_SYNC);
	if (cmd == F_SETFL && (e & FD_KNOWN)) {
		/* O_APPEND may change: flush, and classify again later */
		if (FDE_FLAGS(e) & FD_COALESCE) {
			co_flush_fd(fd, IW_R_SYNC);
			co_release(fd);
		}
		fd_forget(fd);
	}
	r = fn(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		fd_copy(fd, r);
	return r;
}

EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (unlikely(!shim_ready))
		return (int)syscall(SYS_fcntl, fd, cmd, arg);
	return do_fcntl(LAZY(fcntl), fd, cmd, arg);
}

EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (unlikely(!shim_ready))
		return (int)syscall(SYS_fcntl, fd, cmd, arg);
	return do_fcntl(LAZY(fcntl64), fd, cmd, arg);
}

/*
 * Calls after which the program must see every byte it wrote to a file:
 * the file's coalesced bytes are written first.
 */
#define VISIBLE(ret, name, decl, args, raw)				\
EXPORT ret								\
name decl								\
{									\
	if (unlikely(!shim_ready))					\
		return raw;						\
	co_sync_point(fd, IW_R_READ);					\
	return LAZY(name) args;						\
}

/*
 * lseek: a query of the end or of the position of an appending fd whose
 * file has held bytes is answered without writing them (co_seek_held);
 * anything else writes them first.
 */
#define LSEEK(name, otype)						\
EXPORT otype								\
name(int fd, otype off, int whence)					\
{									\
	off64_t a;							\
									\
	if (unlikely(!shim_ready))					\
		return (otype)syscall(SYS_lseek, fd, off, whence);	\
	if (off == 0 && (whence == SEEK_END || whence == SEEK_CUR) &&	\
	    (unlikely(co_held != 0) ||					\
	    unlikely(fd_raw(fd) & FD_COALESCE)) &&			\
	    co_seek_held(fd, whence, &a)) {				\
		if ((otype)a != a) {					\
			errno = EOVERFLOW;				\
			return -1;					\
		}							\
		return (otype)a;					\
	}								\
	co_sync_point(fd, IW_R_READ);					\
	return LAZY(name)(fd, off, whence);				\
}
LSEEK(lseek, off_t)
LSEEK(lseek64, off64_t)

/* a < b, two times (as long long: statx's tv_nsec is a __u32, a
 * timespec's a long, which is 32 bits on 32-bit arm) */
#define TS_LT(a, b)	((long long)(a).tv_sec < (long long)(b).tv_sec ||	\
			    ((long long)(a).tv_sec == (long long)(b).tv_sec &&	\
			    (long long)(a).tv_nsec < (long long)(b).tv_nsec))

/*
 * A stat that found held bytes of its file (co_stat_held): the size, the
 * blocks and the times the kernel would give had they been written.
 */
#define HELD_STAT(st, h, mt) do {					\
	long long bs_ = (st)->st_blksize > 0 ? (st)->st_blksize : 4096;	\
	long long sz_ = (long long)(st)->st_size;			\
									\
	/* the blocks the appended bytes would add past the last one */	\
	(st)->st_blocks += ((sz_ + (long long)(h) + bs_ - 1) / bs_ -	\
	    (sz_ + bs_ - 1) / bs_) * (bs_ / 512);			\
	(st)->st_size += (h);						\
	if (TS_LT((st)->st_mtim, mt))					\
		(st)->st_mtim = (mt);					\
	if (TS_LT((st)->st_ctim, mt))					\
		(st)->st_ctim = (mt);					\
} while (0)

/* After a stat that succeeded: held bytes of its file, answered or
 * written (then the stat is asked again). */
#define HELD_AFTER(r, st, dev, ino, again) do {				\
	uint64_t h_;							\
	struct timespec mt_;						\
									\
	if (likely(co_held == 0))					\
		break;							\
	switch (co_stat_held((dev), (ino), &h_, &mt_)) {		\
	case 1: HELD_STAT(st, h_, mt_); break;				\
	case 2: r = (again); break;					\
	}								\
} while (0)
VISIBLE(int, ftruncate, (int fd, off_t len), (fd, len),
    (int)syscall(SYS_ftruncate, fd, len))
VISIBLE(int, ftruncate64, (int fd, off64_t len), (fd, len),
    (int)syscall(SYS_ftruncate, fd, len))
VISIBLE(int, fallocate, (int fd, int mode, off_t off, off_t len),
    (fd, mode, off, len), (int)syscall(SYS_fallocate, fd, mode, off, len))
VISIBLE(int, fallocate64, (int fd, int mode, off64_t off, off64_t len),
    (fd, mode, off, len), (int)syscall(SYS_fallocate, fd, mode, off, len))
VISIBLE(int, posix_fallocate, (int fd, off_t off, off_t len), (fd, off, len),
    (int)syscall(SYS_fallocate, fd, 0, off, len) == 0 ? 0 : errno)
VISIBLE(int, posix_fallocate64, (int fd, off64_t off, off64_t len), (fd, off, len),
    (int)syscall(SYS_fallocate, fd, 0, off, len) == 0 ? 0 : errno)

/*
 * The stat an fd opened and not yet classified (fdtable.c) is classified
 * with: the program's own, copied so the 32-bit ABIs' struct stat64 fits.
 */
#define RESOLVE_FROM(fd, st) do {					\
	struct stat s_;		/* classify reads these three only */	\
									\
	s_.st_mode = (st)->st_mode;					\
	s_.st_dev = (st)->st_dev;					\
	s_.st_ino = (ino_t)(st)->st_ino;				\
	fd_resolve(fd, &s_);						\
} while (0)

/*
 * fstat of a pending fd: classify it from the program's answer (no stat
 * of the shim's own); held appends of its file are written before the
 * answer is returned, as co_sync_point does, and the stat taken again.
 */
#define FSTAT(name, sttype)						\
EXPORT int								\
name(int fd, sttype *st)						\
{									\
	fdent_t e;							\
	int r;								\
									\
	if (unlikely(!shim_ready))					\
		return RAW_FSTATAT(fd, "", st, AT_EMPTY_PATH);		\
	if (likely(!(fd_raw(fd) & FD_PENDING))) {			\
		e = fd_peek(fd);					\
		if (unlikely(dbh_buf(FDE_BUF(e))))			\
			dbh_real_fd(fd, 0);	/* held bytes */	\
		r = LAZY(name)(fd, st);					\
		if (r == 0 && unlikely(co_held != 0) &&			\
		    (FDE_FLAGS(e) & (FD_COALESCE | FD_PEER)))		\
			HELD_AFTER(r, st, st->st_dev, (ino_t)st->st_ino,	\
			    LAZY(name)(fd, st));				\
		return r;						\
	}								\
	r = LAZY(name)(fd, st);						\
	if (r == 0) {							\
		RESOLVE_FROM(fd, st);					\
		e = fd_raw(fd);						\
		if (unlikely(FDE_FLAGS(e) & FD_PEER) &&			\
		    unlikely(co_held != 0)) {				\
			co_flush_peer(fd, FDE_IHASH(e));		\
			r = LAZY(name)(fd, st);				\
		}							\
	}								\
	return r;							\
}
FSTAT(fstat, struct stat)
FSTAT(fstat64, struct stat64)

EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (unlikely(!shim_ready))
		return RAW_MMAP(addr, len, prot, flags, fd, off);
	if (fd >= 0)
		co_sync_point(fd, IW_R_READ);
	return LAZY(mmap)(addr, len, prot, flags, fd, off);
}

EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	if (unlikely(!shim_ready))
		return RAW_MMAP(addr, len, prot, flags, fd, off);
	if (fd >= 0)
		co_sync_point(fd, IW_R_READ);
	return LAZY(mmap64)(addr, len, prot, flags, fd, off);
}

/* fstatat(fd, "", st, AT_EMPTY_PATH) is fstat(fd): it can classify fd. */
/* glibc declares the path nonnull; a program may pass NULL all the same. */
static int
empty_path(const char *p)
{
	return p != NULL && p[0] == '\0';
}
#define EMPTY_AT(fd, path, st, fl)					\
	do {								\
		if (((fl) & AT_EMPTY_PATH) && empty_path(path) &&	\
		    (fd_raw(fd) & FD_PENDING))				\
			RESOLVE_FROM(fd, st);				\
	} while (0)

/* fstatat(fd, "", AT_EMPTY_PATH) and statx alike of a held temporary
 * file: its bytes first, as for fstat (debounce_hold.c). */
static inline void
held_empty_at(int fd, const char *path, int fl)
{
	if (unlikely(db_on) && (fl & AT_EMPTY_PATH) && empty_path(path) &&
	    fd >= 0 && dbh_buf(FDE_BUF(fd_peek(fd))))
		dbh_real_fd(fd, 0);
}

/*
 * stat by name: when the coalescer holds bytes of the file named, write
 * them and ask again, so the size the program sees includes them.
 */
#define STATP(name, sttype, decl, args, raw, before, after)		\
EXPORT int								\
name decl								\
{									\
	int r;								\
									\
	if (unlikely(!shim_ready))					\
		return raw;						\
	db_point(path);							\
	before;								\
	r = LAZY(name) args;						\
	if (r == 0 && S_ISREG(st->st_mode))				\
		HELD_AFTER(r, st, st->st_dev, (ino_t)st->st_ino,	\
		    LAZY(name) args);					\
	if (r == 0)							\
		after;							\
	return r;							\
}
STATP(stat, struct stat, (const char *path, struct stat *st), (path, st),
    RAW_FSTATAT(AT_FDCWD, path, st, 0), (void)0, (void)0)
STATP(stat64, struct stat64, (const char *path, struct stat64 *st), (path, st),
    RAW_FSTATAT(AT_FDCWD, path, st, 0), (void)0, (void)0)
STATP(lstat, struct stat, (const char *path, struct stat *st), (path, st),
    RAW_FSTATAT(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW), (void)0, (void)0)
STATP(fstatat, struct stat, (int dirfd, const char *path, struct stat *st, int fl),
    (dirfd, path, st, fl), RAW_FSTATAT(dirfd, path, st, fl),
    held_empty_at(dirfd, path, fl), EMPTY_AT(dirfd, path, st, fl))
STATP(fstatat64, struct stat64, (int dirfd, const char *path, struct stat64 *st, int fl),
    (dirfd, path, st, fl), RAW_FSTATAT(dirfd, path, st, fl),
    held_empty_at(dirfd, path, fl), EMPTY_AT(dirfd, path, st, fl))

EXPORT int
statx(int dirfd, const char *path, int fl, unsigned int mask, struct statx *st)
{
	int r;

	if (unlikely(!shim_ready))
		return (int)syscall(SYS_statx, dirfd, path, fl, mask, st);
	uint64_t h;
	struct timespec mt;
	long long bs, sz;

	db_point(path);
	held_empty_at(dirfd, path, fl);
	r = LAZY(statx)(dirfd, path, fl, mask, st);
	if (r != 0 || likely(co_held == 0) || !S_ISREG(st->stx_mode))
		return r;
	switch (co_stat_held(makedev(st->stx_dev_major, st->stx_dev_minor),
	    (ino_t)st->stx_ino, &h, &mt)) {
	case 1:
		bs = st->stx_blksize > 0 ? st->stx_blksize : 4096;
		sz = (long long)st->stx_size;
		if (st->stx_mask & STATX_BLOCKS)
			st->stx_blocks += (uint64_t)(((sz + (long long)h + bs - 1) /
			    bs - (sz + bs - 1) / bs) * (bs / 512));
		st->stx_size += h;
		if (TS_LT(st->stx_mtime, mt)) {
			st->stx_mtime.tv_sec = mt.tv_sec;
			st->stx_mtime.tv_nsec = (uint32_t)mt.tv_nsec;
		}
		if (TS_LT(st->stx_ctime, mt)) {
			st->stx_ctime.tv_sec = mt.tv_sec;
			st->stx_ctime.tv_nsec = (uint32_t)mt.tv_nsec;
		}
		break;
	case 2:
		r = LAZY(statx)(dirfd, path, fl, mask, st);
		break;
	}
	return r;
}
