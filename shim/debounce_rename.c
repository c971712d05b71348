/*
 * debounce_rename.c - saves by atomic replace: a rename onto a file
 * IOSHIM_DEBOUNCE names, inside the window of its last real state, is
 * absorbed.  The program's temporary file is renamed instead to a hidden
 * name of the shim's in the same directory (".NAME.ioshim-PID-N", made
 * with RENAME_NOREPLACE, so no file of another's is ever taken for
 * ours); a newer save renames over it (the older state is absorbed); the
 * worker renames it onto the target at the window's end (debounce.c).
 * The target only ever holds a complete state the program wrote, and the
 * pending file is the program's own: its mode, owner and extended
 * attributes are the ones the program gave it.  A save after a quiet
 * window, and one whose temporary file was synced (unless nosync), goes
 * straight through.  docs/debounce.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif

static int
sys_rename(int fd1, const char *a, int fd2, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, fd1, a, fd2, b, flags);
}

/* from (dirfd fromdir) is in directory dir: by the strings, else resolved. */
static int
same_dir(int fromdir, const char *from, int todir, const char *to,
    const char *dir)
{
	const char *fs = strrchr(from, '/'), *ts = strrchr(to, '/');
	char fdir[PATH_MAX];
	const char *fbase;

	if (fs == NULL && ts == NULL && fromdir == todir)
		return 1;
	if (fs != NULL && ts != NULL && fs - from == ts - to &&
	    memcmp(from, to, (size_t)(fs - from)) == 0 &&
	    (from[0] == '/' || fromdir == todir))
		return 1;
	return db_resolve(fromdir, from, fdir, &fbase) == 0 &&
	    strcmp(fdir, dir) == 0;
}

/*
 * Hide the program's new state as the pending one of e; 0, or -1 when it
 * cannot be (the caller renames as asked).
 */
static int
hold(struct db_ent *e, int fromdir, const char *from, const struct stat *fst)
{
	char p[PATH_MAX], name[NAME_MAX + 1];
	int k;

	if (e->pend[0] != '\0' && e->mslot < 0) {
		db_pend_path(e, p);
		if (sys_rename(fromdir, from, AT_FDCWD, p, 0) != 0)
			return -1;
		e->absorbed++;
		e->bytes_saved += e->psize;
	} else {
		for (k = 0; ; k++) {
			db_pend_name(e, name, p);
			if (sys_rename(fromdir, from, AT_FDCWD, p,
			    RENAME_NOREPLACE) == 0)
				break;
			if (errno != EEXIST || k == 8)
				return -1;
		}
		if (e->pend[0] != '\0') {
			/* the older state was held in memory: absorbed, its
			 * slot let go now that the newer is in its file */
			dbh_free(e->mslot);
			e->mslot = -1;
			strcpy(e->pend, name);
			e->absorbed++;
			e->bytes_saved += e->psize;
		} else
			db_pend_new(e, name);
	}
	db_target_mark(e);
	e->inplace = 0;
	e->pdev = fst->st_dev;
	e->pino = fst->st_ino;
	e->psize = (uint64_t)fst->st_size;
	return 0;
}

/*
 * The program's temporary file from, closed, its bytes held in memory
 * (slot i, debounce_hold.c): the held bytes become e's pending state,
 * and the empty file goes (the rename's effect on its name); no rename,
 * no write.  0, or -1 when it cannot be (the caller makes the bytes real
 * and goes on as for any file).
 */
static int
hold_mem(struct db_ent *e, int i, int fromdir, const char *from)
{
	char p[PATH_MAX], name[NAME_MAX + 1];
	int old = -1;

	if (syscall(SYS_unlinkat, fromdir, from, 0) != 0)
		return -1;
	if (e->pend[0] != '\0') {	/* a newer state: the older absorbed */
		if (e->mslot >= 0)
			old = e->mslot;
		else {
			db_pend_path(e, p);
			syscall(SYS_unlinkat, AT_FDCWD, p, 0);
		}
		e->absorbed++;
		e->bytes_saved += e->psize;
	} else {
		db_pend_name(e, name, p);
		db_pend_new(e, name);
	}
	dbh_commit(i, e->path);		/* the newer committed first, */
	if (old >= 0)
		dbh_free(old);		/* then the older let go */
	db_target_mark(e);
	e->mslot = i;
	e->inplace = 0;
	e->pdev = 0;
	e->pino = 0;
	e->psize = dbh_len(i);
	return 0;
}

/*
 * Would the kernel surely let the program replace target abs in
 * directory dir?  When the target is absent or a regular file, and the
 * directory is not sticky, or is the program's, or the target is (or it
 * is root).  Else the rename is the kernel's to answer (EISDIR, EPERM...).
 */
static int
replaceable(const char *dir, const char *abs)
{
	struct stat ts, ds;
	uid_t eu = geteuid();
	int have = raw_stat(AT_FDCWD, abs, &ts, AT_SYMLINK_NOFOLLOW) == 0;

	if (have && !S_ISREG(ts.st_mode))
		return 0;
	if (raw_stat(AT_FDCWD, dir, &ds, 0) != 0 || !S_ISDIR(ds.st_mode))
		return 0;
	return !have || !(ds.st_mode & S_ISVTX) || eu == 0 ||
	    ds.st_uid == eu || ts.st_uid == eu;
}

/* The last component of p. */
static const char *
base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/*
 * rename/renameat/renameat2 (wrap_path.c).  1 when the call was answered
 * here (*res, errno as the kernel's would be), 0 when the caller makes it.
 */
int
db_rename(int fromdir, const char *from, int todir, const char *to,
    unsigned flags, int *res)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	const char *base;
	struct db_ent *e;
	struct stat fst;
	uint64_t now;
	int pat, saved = errno, r, err, held = -1, have;

	if (flags != 0 || from == NULL || to == NULL || db_in ||
	    shim_ending || in_vfork_child())
		return 0;
	if (db_resolve(todir, to, dir, &base) != 0 || db_join(abs, dir, base) != 0 ||
	    (pat = db_match(abs)) < 0) {
		errno = saved;
		return 0;
	}
	db_lock();
	if ((e = db_ent_for(abs, pat)) == NULL) {
		db_unlock();
		errno = saved;
		return 0;
	}
	if (db_told_error(e)) {
		*res = -1;
		return 1;
	}
	if (e->pend[0] != '\0' && e->inplace)
		db_flush_ent(e, 0, 1);	/* an in-place rewrite first, as made */
	now = shim_now_ns();
	have = raw_stat(fromdir, from, &fst, AT_SYMLINK_NOFOLLOW) == 0;
	if (have && S_ISREG(fst.st_mode))	/* its bytes held in memory? */
		held = dbh_by_inode(fst.st_dev, fst.st_ino);
	if (!replaceable(dir, abs))	/* its error is the kernel's, on our */
		db_flush_ent(e, 0, 1);	/* state if one is pending */
	else if (e->last_ns != 0 && now - e->last_ns < db_window_ns(pat) &&
	    have && S_ISREG(fst.st_mode) && fst.st_nlink == 1 &&
	    strcmp(base, base_of(from)) != 0 &&
	    (db_nosync(pat) || !db_was_synced(&fst)) &&
	    same_dir(fromdir, from, todir, to, dir)) {
		if (held >= 0 && !dbh_fd_open(held) &&
		    hold_mem(e, held, fromdir, from) == 0)
			goto absorbed;
		if (held >= 0)
			dbh_real(held);	/* an fd still open: as a file */
		held = -1;
		if (hold(e, fromdir, from, &fst) == 0)
			goto absorbed;
	}
	if (held >= 0)
		dbh_real(held);	/* the kernel renames a complete file */
	/* straight through: a leading edge, a synced save, or not ours to hold */
	errno = saved;
	r = sys_rename(fromdir, from, todir, to, 0);
	err = errno;
	if (r == 0) {
		db_discard(e);
		e->written++;
		e->last_ns = now;
	}
	db_unlock();
	*res = r;
	errno = r == 0 ? saved : err;
	return 1;
absorbed:
	db_unlock();
	*res = 0;
	errno = saved;
	return 1;
}
