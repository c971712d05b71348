/*
 * debounce_trunc.c - saves by in-place rewrite: open(O_TRUNC) of a file
 * IOSHIM_DEBOUNCE names, writes, close.  Inside the window of the file's
 * last real state the open gives the program an fd on a hidden pending
 * file beside it instead (made O_EXCL, never following a link, with the
 * target's mode and owner); a newer rewrite truncates that file again
 * (the older state is absorbed).  Once per window, when the program's fd
 * is closed, the pending state is copied into the target in place, as
 * the program would have written it (same inode, mode, owner, links), so
 * a reader may see a partial state during that one rewrite per window,
 * as it could during every rewrite before.  An fsync of the pending file
 * copies it in and syncs the target before it returns; from then on the
 * file's rewrites go straight through (unless nosync).  docs/debounce.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"

/*
 * The pending state p copied into e's target: truncated, written, synced
 * when sync.  0, or -1 with errno.
 */
int
db_copy_in(struct db_ent *e, const char *p, int sync)
{
	struct stat st;
	int in, out, err = 0;
	ssize_t n;

	if ((in = (int)syscall(SYS_openat, AT_FDCWD, p,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	/* never blocking on what another may have put there (a FIFO), and
	 * truncated only once known to be a regular file */
	if ((out = (int)syscall(SYS_openat, AT_FDCWD, e->path, O_WRONLY |
	    O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err = errno;
		syscall(SYS_close, in);
		errno = err;
		return -1;
	}
	if (raw_stat(out, "", &st, AT_EMPTY_PATH) != 0 || !S_ISREG(st.st_mode))
		err = EINVAL;
	else if (syscall(SYS_ftruncate, out, 0) != 0)
		err = errno;
	if (err) {
		syscall(SYS_close, in);
		syscall(SYS_close, out);
		errno = err;
		return -1;
	}
	while ((n = syscall(SYS_sendfile, out, in, NULL, 1 << 20)) > 0)
		;
	if (n < 0)
		err = errno;
	if (!err && sync && syscall(SYS_fsync, out) != 0)
		err = errno;
	syscall(SYS_close, in);
	syscall(SYS_close, out);
	errno = err;
	return err ? -1 : 0;
}

/*
 * e's pending state just copied in, its fd still open: that fd number
 * made an fd on the target (same offset, status flags and close-on-exec),
 * so a child or new image inheriting it writes the target, as without
 * the shim; the hidden file goes.  Left as it is when that cannot be.
 */
void
db_real_fd(struct db_ent *e)
{
	int fl, fdfl, t, saved = errno;
	off_t off;

	if ((fl = (int)syscall(SYS_fcntl, e->pfd, F_GETFL)) < 0 ||
	    (fdfl = (int)syscall(SYS_fcntl, e->pfd, F_GETFD)) < 0 ||
	    (off = (off_t)syscall(SYS_lseek, e->pfd, 0, SEEK_CUR)) < 0)
		goto out;
	t = (int)syscall(SYS_openat, AT_FDCWD, e->path, (fl & ~(O_CREAT |
	    O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (t < 0)
		goto out;
	if (syscall(SYS_lseek, t, off, SEEK_SET) == off &&
	    syscall(SYS_dup3, t, e->pfd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) ==
	    e->pfd) {
		db_discard(e);	/* (copied: counted written, not absorbed) */
		e->pfd = -1;
	}
	syscall(SYS_close, t);
out:
	errno = saved;
}

/* A new pending file for e with the target's mode and owner (st); its fd. */
static int
pend_create(struct db_ent *e, const struct stat *st, int cloexec)
{
	char p[PATH_MAX], name[NAME_MAX + 1];
	int fd, k;

	for (k = 0; ; k++) {
		db_pend_name(e, name, p);
		fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | cloexec, st->st_mode & 07777);
		if (fd >= 0)
			break;
		if (errno != EEXIST || k == 8)
			return -1;
	}
	/* the umask may have cut bits; the owner as the target's (a root
	 * program rewriting another user's file) */
	syscall(SYS_fchmod, fd, st->st_mode & 07777);
	if (st->st_uid != geteuid() || st->st_gid != getegid())
		(void)LAZY(fchown)(fd, st->st_uid, st->st_gid);	/* (SYS_fchown is 16-bit on some ABIs) */
	db_pend_new(e, name);
	e->inplace = 1;
	return fd;
}

/* The pending file of e truncated again for a newer rewrite; its fd. */
static int
pend_reuse(struct db_ent *e, int cloexec)
{
	char p[PATH_MAX];
	struct stat st;
	int fd;

	db_pend_path(e, p);
	if (raw_stat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    st.st_dev != e->pdev || st.st_ino != e->pino)
		return -1;
	fd = (int)syscall(SYS_openat, AT_FDCWD, p,
	    O_WRONLY | O_TRUNC | O_NOFOLLOW | cloexec);
	if (fd < 0)
		return -1;
	if (!e->copied) {		/* (else it reached the target) */
		e->absorbed++;
		e->bytes_saved += (uint64_t)st.st_size;
	}
	e->copied = 0;
	return fd;
}

/*
 * open/openat/creat with O_TRUNC (wrap_fd.c).  1 when the open was
 * answered here (*fd: the program's new fd on the pending file), 0 when
 * the caller makes it (after a state pending for the file is made real).
 * onto >= 0: the new fd is made that number (fopen's stand-in, stdio.c).
 */
static int
trunc_open(int dirfd, const char *path, int flags, int *fd, int onto)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	const char *base;
	struct db_ent *e;
	struct stat st, pst;
	uint64_t now;
	int pat, saved = errno, r = -1, cloexec = flags & O_CLOEXEC;

	if ((flags & O_ACCMODE) != O_WRONLY || path == NULL || db_in ||
	    (flags & (O_APPEND | O_EXCL | O_DIRECTORY | O_PATH)) ||
	    (flags & __O_TMPFILE) == __O_TMPFILE || shim_ending ||
	    in_vfork_child())
		return 0;
	if (db_resolve(dirfd, path, dir, &base) != 0 || db_join(abs, dir, base) != 0 ||
	    (pat = db_match(abs)) < 0 || !db_inplace(pat) ||
	    ((flags & O_DSYNC) && !db_nosync(pat)) ||
	    raw_stat(AT_FDCWD, abs, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		errno = saved;
		return 0;
	}
	db_lock();
	if ((e = db_ent_for(abs, pat)) == NULL)
		goto through;
	if (db_told_error(e)) {
		*fd = -1;
		return 1;
	}
	if (e->pend[0] != '\0' && (!e->inplace || db_fd_open(e) ||
	    (e->synced && !db_nosync(pat))))
		db_flush_ent(e, 0, 1);	/* another kind, its fd open, or synced */
	now = shim_now_ns();
	if (e->pend[0] == '\0' && ((e->synced && !db_nosync(pat)) ||
	    e->last_ns == 0 || now - e->last_ns >= db_window_ns(pat))) {
		e->written++;		/* a leading edge: this one goes through */
		e->last_ns = now;
		goto through;
	}
	/* the kernel's answer first: the program may not write the file */
	if ((r = (int)syscall(SYS_openat, AT_FDCWD, abs, O_WRONLY | O_NONBLOCK |
	    O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		db_unlock();
		*fd = -1;
		return 1;
	}
	syscall(SYS_close, r);
	r = e->pend[0] != '\0' ? pend_reuse(e, cloexec) : pend_create(e, &st, cloexec);
	if (r >= 0 && onto >= 0) {
		if (syscall(SYS_dup3, r, onto, cloexec) < 0) {
			syscall(SYS_close, r);
			r = -1;
		} else {
			syscall(SYS_close, r);
			r = onto;
		}
	}
	if (r < 0 || raw_stat(r, "", &pst, AT_EMPTY_PATH) != 0) {
		if (r >= 0)
			syscall(SYS_close, r);
		if (e->pend[0] != '\0')
			db_flush_ent(e, 0, 1);
		goto through;
	}
	db_target_mark(e);
	e->pfd = r;
	e->pdev = pst.st_dev;
	e->pino = pst.st_ino;
	e->psize = 0;
	db_unlock();
	*fd = r;
	errno = saved;
	return 1;
through:
	db_unlock();
	errno = saved;
	return 0;
}

int
db_open(int dirfd, const char *path, int flags, int *fd)
{
	return trunc_open(dirfd, path, flags, fd, -1);
}

int
db_open_onto(const char *path, int flags, int onto)
{
	int fd;

	if (!trunc_open(AT_FDCWD, path, flags, &fd, onto))
		return 0;
	return fd < 0 ? -1 : 1;
}

/* Does path name a file debounced in place (fopen's first look)? */
int
db_inplace_path(const char *path)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	const char *base;
	int pat, saved = errno, r;

	r = path != NULL && !db_in && db_resolve(AT_FDCWD, path, dir, &base) == 0 &&
	    db_join(abs, dir, base) == 0 && (pat = db_match(abs)) >= 0 &&
	    db_inplace(pat);
	errno = saved;
	return r;
}
