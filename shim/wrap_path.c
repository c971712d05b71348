/*
 * wrap_path.c - calls that change or look at a file other than through
 * the fd that appends to it: by path (truncate, rename, unlink, link, the
 * utime family, chmod, chown) or by another fd (futimens, fchmod, fchown,
 * posix_fadvise).  The coalescer's held bytes of that file are written
 * first, so the file is what it would have been without the shim when
 * the call acts on it: a truncation removes them, a time the program sets
 * is not overwritten by a later flush, a renamed or linked file holds
 * them under its new name.  The open family with O_TRUNC is in
 * wrap_fd.c; reads, seeks, stats and copies of such a file are in
 * wrap_io.c and wrap_fd.c.  Locks (flock, lockf) come here too: writers
 * that take turns by a lock must find each other's lines in the file.
 * docs/coalescing.md lists them all.
 *
 * While nothing is held (almost always) each wrapper costs one load more
 * than the call; otherwise one stat of the path, without following a
 * last symlink where the call does not follow it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <utime.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>

#include "shim.h"

/* Write the coalesced bytes of the file dirfd/path names, if any. */
static void
co_path(int dirfd, const char *path, int atflags)
{
	struct statx st;
	int saved;

	if (likely(co_held == 0) || path == NULL || !shim_ready)
		return;
	saved = errno;
	if (path[0] == '\0')
		atflags |= AT_EMPTY_PATH;
	/* statx: the one stat system call every ABI has (32-bit arm has no
	 * newfstatat) */
	if (syscall(SYS_statx, dirfd, path, atflags | AT_STATX_DONT_SYNC,
	    STATX_TYPE | STATX_INO, &st) == 0 && S_ISREG(st.stx_mode))
		co_flush_inode(makedev(st.stx_dev_major, st.stx_dev_minor),
		    (ino_t)st.stx_ino);
	errno = saved;
}

/* The same, and a debounced state pending for that name made real. */
static void
held_path(int dirfd, const char *path, int atflags)
{
	db_point(path);
	co_path(dirfd, path, atflags);
}

/*
 * A rename's FROM: as held_path, but a temporary file whose bytes are
 * held (debounce_hold.c) is left for the rename to absorb; a rename that
 * is not absorbed makes them real after (db_point again) before the
 * kernel's.
 */
static void
held_from(int dirfd, const char *path)
{
	db_skip_hold = 1;
	held_path(dirfd, path, AT_SYMLINK_NOFOLLOW);
	db_skip_hold = 0;
}

/* The same for a file the program names by an fd of its own. */
static void
held_fd(int fd)
{
	if (unlikely(co_held != 0) && shim_ready)
		co_sync_point(fd, IW_R_READ);
}

/*
 * fchmod, fchown, futimens (and the *at forms on an fd): a debounced
 * save's temporary file whose bytes are held is let go first
 * (debounce_hold.c), so its own inode, with the mode, owner and times the
 * program gives it, becomes the state file.
 */
static inline void
meta_fd(int fd)
{
	held_fd(fd);
	if (unlikely(db_on))
		dbh_real_fd(fd, 1);
}

#define NOFOLLOW	AT_SYMLINK_NOFOLLOW

/* glibc declares some paths nonnull; Linux gives NULL a meaning all the same */
static int
no_path(const char *p)
{
	return p == NULL;
}

/*
 * The wrappers.  Each resolves nothing of its own: LAZY(NAME) is the next
 * definition (shim.h), and before start-up the shim is started first.
 */
#define REAL(name)	(unlikely(!shim_ready) ? (shim_init(), LAZY(name)) : LAZY(name))

EXPORT int
truncate(const char *path, off_t len)
{
	held_path(AT_FDCWD, path, 0);
	return REAL(truncate)(path, len);
}

EXPORT int
truncate64(const char *path, off64_t len)
{
	held_path(AT_FDCWD, path, 0);
	return REAL(truncate64)(path, len);
}

/*
 * A rename onto a debounced file may be answered by debounce.c (the
 * coalesced bytes of both files written first, as for any rename).  A
 * state pending for the name renamed FROM is made real before: the
 * rename moves the program's newest state, as without the shim.
 */
#define DEBOUNCED(fd1, a, fd2, b, fl) do {				\
	int r_;								\
									\
	if (unlikely(db_on) && shim_ready) {				\
		co_path(fd1, a, NOFOLLOW);				\
		co_path(fd2, b, NOFOLLOW);				\
		if (db_rename(fd1, a, fd2, b, fl, &r_))			\
			return r_;					\
	}								\
} while (0)

EXPORT int
rename(const char *from, const char *to)
{
	held_from(AT_FDCWD, from);
	DEBOUNCED(AT_FDCWD, from, AT_FDCWD, to, 0);
	db_point(from);
	held_path(AT_FDCWD, to, NOFOLLOW);
	return REAL(rename)(from, to);
}

EXPORT int
renameat(int fromdir, const char *from, int todir, const char *to)
{
	held_from(fromdir, from);
	DEBOUNCED(fromdir, from, todir, to, 0);
	db_point(from);
	held_path(todir, to, NOFOLLOW);
	return REAL(renameat)(fromdir, from, todir, to);
}

EXPORT int
renameat2(int fromdir, const char *from, int todir, const char *to,
    unsigned int flags)
{
	held_from(fromdir, from);
	DEBOUNCED(fromdir, from, todir, to, flags);
	db_point(from);
	held_path(todir, to, NOFOLLOW);
	return REAL(renameat2)(fromdir, from, todir, to, flags);
}

EXPORT int
unlink(const char *path)
{
	held_path(AT_FDCWD, path, NOFOLLOW);
	return REAL(unlink)(path);
}

EXPORT int
unlinkat(int dirfd, const char *path, int flags)
{
	if (!(flags & AT_REMOVEDIR))
		held_path(dirfd, path, NOFOLLOW);
	return REAL(unlinkat)(dirfd, path, flags);
}

EXPORT int
link(const char *from, const char *to)
{
	held_path(AT_FDCWD, from, NOFOLLOW);
	return REAL(link)(from, to);
}

EXPORT int
linkat(int fromdir, const char *from, int todir, const char *to, int flags)
{
	held_path(fromdir, from, (flags & AT_SYMLINK_FOLLOW) ? 0 : NOFOLLOW);
	return REAL(linkat)(fromdir, from, todir, to, flags);
}

/* --- looks at a path: a debounced state of that name is made real
 * first (debounce.c); nothing else to do.  Before start-up is done (or
 * when the shim is inert) libc's own function answers, looked up here if
 * start-up has not yet: these may be called while the shim starts, which
 * must not start it again, and an inert shim must make exactly the
 * program's own system calls (t-disable) --- */

#define EARLY(name)	LAZY(name)

EXPORT int
access(const char *path, int mode)
{
	if (unlikely(!shim_ready))
		return EARLY(access)(path, mode);
	db_point(path);
	return LAZY(access)(path, mode);
}

EXPORT int
faccessat(int dirfd, const char *path, int mode, int flags)
{
	if (unlikely(!shim_ready))
		return EARLY(faccessat)(dirfd, path, mode, flags);
	db_point(path);
	return LAZY(faccessat)(dirfd, path, mode, flags);
}

#define EACCESS(name)							\
EXPORT int								\
name(const char *path, int mode)					\
{									\
	if (unlikely(!shim_ready))					\
		return EARLY(name)(path, mode);				\
	db_point(path);							\
	return LAZY(name)(path, mode);					\
}
EACCESS(euidaccess)
EACCESS(eaccess)

EXPORT ssize_t
readlink(const char *path, char *buf, size_t size)
{
	if (unlikely(!shim_ready))
		return EARLY(readlink)(path, buf, size);
	db_point(path);
	return LAZY(readlink)(path, buf, size);
}

EXPORT ssize_t
readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	if (unlikely(!shim_ready))
		return EARLY(readlinkat)(dirfd, path, buf, size);
	db_point(path);
	return LAZY(readlinkat)(dirfd, path, buf, size);
}

/* --- times --- */

EXPORT int
utime(const char *path, const struct utimbuf *t)
{
	held_path(AT_FDCWD, path, 0);
	return REAL(utime)(path, t);
}

EXPORT int
utimes(const char *path, const struct timeval t[2])
{
	held_path(AT_FDCWD, path, 0);
	return REAL(utimes)(path, t);
}

EXPORT int
lutimes(const char *path, const struct timeval t[2])
{
	held_path(AT_FDCWD, path, NOFOLLOW);
	return REAL(lutimes)(path, t);
}

EXPORT int
futimes(int fd, const struct timeval t[2])
{
	meta_fd(fd);
	return REAL(futimes)(fd, t);
}

EXPORT int
futimesat(int dirfd, const char *path, const struct timeval t[2])
{
	if (path == NULL)
		meta_fd(dirfd);
	else
		held_path(dirfd, path, 0);
	return REAL(futimesat)(dirfd, path, t);
}

EXPORT int
utimensat(int dirfd, const char *path, const struct timespec t[2], int flags)
{
	if (no_path(path) || (path[0] == '\0' && (flags & AT_EMPTY_PATH)))
		meta_fd(dirfd);		/* Linux: the file dirfd refers to */
	else
		held_path(dirfd, path, flags & (NOFOLLOW | AT_EMPTY_PATH));
	return REAL(utimensat)(dirfd, path, t, flags);
}

EXPORT int
futimens(int fd, const struct timespec t[2])
{
	meta_fd(fd);
	return REAL(futimens)(fd, t);
}

/* --- mode and owner (a write after them would change ctime, and may
 * clear set-user-ID bits the program has just set) --- */

EXPORT int
chmod(const char *path, mode_t mode)
{
	held_path(AT_FDCWD, path, 0);
	return REAL(chmod)(path, mode);
}

EXPORT int
fchmod(int fd, mode_t mode)
{
	meta_fd(fd);
	return REAL(fchmod)(fd, mode);
}

EXPORT int
fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	held_path(dirfd, path, flags & NOFOLLOW);
	return REAL(fchmodat)(dirfd, path, mode, flags);
}

EXPORT int
chown(const char *path, uid_t uid, gid_t gid)
{
	held_path(AT_FDCWD, path, 0);
	return REAL(chown)(path, uid, gid);
}

EXPORT int
lchown(const char *path, uid_t uid, gid_t gid)
{
	held_path(AT_FDCWD, path, NOFOLLOW);
	return REAL(lchown)(path, uid, gid);
}

EXPORT int
fchown(int fd, uid_t uid, gid_t gid)
{
	meta_fd(fd);
	return REAL(fchown)(fd, uid, gid);
}

EXPORT int
fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	held_path(dirfd, path, flags & (NOFOLLOW | AT_EMPTY_PATH));
	if ((flags & AT_EMPTY_PATH) && !no_path(path) && path[0] == '\0')
		meta_fd(dirfd);
	return REAL(fchownat)(dirfd, path, uid, gid, flags);
}

EXPORT int
lchmod(const char *path, mode_t mode)
{
	held_path(AT_FDCWD, path, NOFOLLOW);
	return REAL(lchmod)(path, mode);
}

/* --- locks: writers that take turns by a lock see each other's lines
 * in the file when the lock passes (fcntl's are in wrap_fd.c) --- */

EXPORT int
flock(int fd, int op)
{
	held_fd(fd);
	return REAL(flock)(fd, op);
}

EXPORT int
lockf(int fd, int cmd, off_t len)
{
	held_fd(fd);
	return REAL(lockf)(fd, cmd, len);
}

EXPORT int
lockf64(int fd, int cmd, off64_t len)
{
	held_fd(fd);
	return REAL(lockf64)(fd, cmd, len);
}

/* --- advice about the cache of a file: about its bytes, held ones too --- */

EXPORT int
posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	held_fd(fd);
	return REAL(posix_fadvise)(fd, off, len, advice);
}

EXPORT int
posix_fadvise64(int fd, off64_t off, off64_t len, int advice)
{
	held_fd(fd);
	return REAL(posix_fadvise64)(fd, off, len, advice);
}

/*
 * open(path, O_TRUNC) and creat: the held bytes of the file the path
 * names are written before it is truncated (wrap_fd.c calls this).
 */
void
co_before_trunc(int dirfd, const char *path, int oflags)
{
	if (oflags & O_TRUNC)		/* Linux truncates even read-only */
		held_path(dirfd, path, (oflags & O_NOFOLLOW) ? NOFOLLOW : 0);
}
