/*
 * debounce.c - whole-file saves by atomic replace (a temporary file, then
 * rename onto the state file) reach the state file at most once per
 * window, the latest state only.  docs/debounce.md.
 *
 * A rename onto a file IOSHIM_DEBOUNCE names (debounce_cfg.c) that comes
 * within a window of the file's last real state is absorbed: the
 * program's temporary file is renamed instead to a hidden name of the
 * shim's in the same directory (".NAME.ioshim-PID-N", made with
 * RENAME_NOREPLACE, so no file of another's is ever taken for ours), and
 * that pending state is renamed onto the target once, at the window's
 * end (the worker), or earlier when the program or its end needs it.  A
 * newer save renames over the pending one, which is thereby absorbed.  So
 * the target only ever holds a complete state the program wrote, at most
 * one window old, and the pending file is the program's own file: its
 * mode, owner and extended attributes are the ones the program gave it.
 * A save after a quiet window goes straight through (leading edge).
 *
 * fsync keeps its meaning (unless the pattern says nosync): a save whose
 * temporary file was fsynced or opened O_SYNC/O_DSYNC goes straight
 * through, and an fsync of the directory or of the pending file writes
 * the pending state (synced) first.
 *
 * The program sees its own state: an open, stat, access, readlink,
 * rename, unlink... of a path whose last component is a pending target's
 * name writes that state first (db_point, one load while nothing is
 * pending).  Exit, exec, fork and fatal signals write everything pending.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif
#define DB_ENTS		32	/* targets followed per process */
#define DB_SYNCED	8	/* files recently fsynced, remembered */

struct db_ent {
	char		path[PATH_MAX];	/* the target, absolute */
	const char	*base;		/* its last component, in path */
	char		pend[NAME_MAX + 1];	/* pending state's name, "" none */
	dev_t		ddev, pdev;	/* the directory, the pending file */
	ino_t		dino, pino;
	uint64_t	psize;
	uint64_t	last_ns;	/* the target last got a state */
	uint64_t	due_ns;		/* pending: written then */
	int		pat, err;	/* err: a failed write, told at the next save */
	uint64_t	absorbed, written, bytes_saved;
};

HIDDEN _Atomic unsigned db_npend;	/* entries with a pending state */
static struct db_ent ents[DB_ENTS];
static unsigned nents;
static struct { dev_t dev; ino_t ino; } synced[DB_SYNCED];
static unsigned synced_at;
static unsigned seq;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread int db_in;	/* this thread holds mu */
static __thread sigset_t db_mask;	/* its signal mask before */

/*
 * Signals wait while a thread holds the lock (two system calls beside
 * the rename's eight or so): a fatal one then finds the table whole and
 * writes the pending states (db_signal_flush) instead of leaving them.
 */
static void
lock(void)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &db_mask, _NSIG / 8);
	pthread_mutex_lock(&mu);
	db_in = 1;
}

static void
unlock(void)
{
	db_in = 0;
	pthread_mutex_unlock(&mu);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &db_mask, NULL, _NSIG / 8);
}

/* The pending file's absolute name into out. */
static void
pend_path(const struct db_ent *e, char *out)
{
	size_t d = (size_t)(e->base - e->path);

	memcpy(out, e->path, d);
	strcpy(out + d, e->pend);
}

static int
sys_rename(int fd1, const char *a, int fd2, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, fd1, a, fd2, b, flags);
}

static void
pend_clear(struct db_ent *e)
{
	e->pend[0] = '\0';
	e->due_ns = 0;
	atomic_fetch_sub(&db_npend, 1);
}

/* A newer state reached the target: the pending one is absorbed. */
static void
discard(struct db_ent *e)
{
	char p[PATH_MAX];

	if (e->pend[0] == '\0')
		return;
	pend_path(e, p);
	syscall(SYS_unlinkat, AT_FDCWD, p, 0);
	e->absorbed++;
	e->bytes_saved += e->psize;
	pend_clear(e);
}

/*
 * Make the pending state real: renamed onto the target (its data synced
 * first when sync).  0, or -1 with the error kept for the next save.
 */
static int
flush_ent(struct db_ent *e, int sync)
{
	char p[PATH_MAX];
	struct stat st;
	int fd, saved = errno;

	if (e->pend[0] == '\0')
		return 0;
	pend_path(e, p);
	if (raw_stat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_dev != e->pdev || st.st_ino != e->pino) {
		/* gone or replaced by another: never rename what is not ours */
		e->err = EIO;
		pend_clear(e);
		errno = saved;
		return -1;
	}
	if (sync) {
		fd = (int)syscall(SYS_openat, AT_FDCWD, p,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			syscall(SYS_fsync, fd);
			syscall(SYS_close, fd);
		}
	}
	if (sys_rename(AT_FDCWD, p, AT_FDCWD, e->path, 0) != 0) {
		e->err = errno;
		e->due_ns = shim_now_ns() + db_window_ns(e->pat) / 4 + 1;
		errno = saved;
		return -1;
	}
	e->written++;
	e->last_ns = shim_now_ns();
	pend_clear(e);
	errno = saved;
	return 0;
}

/* The entry of target abs (pattern pat), made if new; NULL when full. */
static struct db_ent *
ent_for(const char *abs, int pat)
{
	struct db_ent *e;
	unsigned i;

	for (i = 0; i < nents; i++)
		if (strcmp(ents[i].path, abs) == 0)
			return &ents[i];
	if (nents == DB_ENTS)
		return NULL;
	e = &ents[nents++];
	memset(e, 0, sizeof(*e));
	strcpy(e->path, abs);
	e->base = strrchr(e->path, '/') + 1;
	e->pat = pat;
	return e;
}

static int
was_synced(const struct stat *st)
{
	unsigned i;

	for (i = 0; i < DB_SYNCED; i++)
		if (synced[i].ino == st->st_ino && synced[i].dev == st->st_dev)
			return 1;
	return 0;
}

static void
mark_synced(const struct stat *st)
{
	synced[synced_at].dev = st->st_dev;
	synced[synced_at].ino = st->st_ino;
	synced_at = (synced_at + 1) % DB_SYNCED;
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
	struct stat dst;
	size_t d = (size_t)(e->base - e->path);
	int k;

	if (e->pend[0] != '\0') {
		pend_path(e, p);
		if (sys_rename(fromdir, from, AT_FDCWD, p, 0) != 0)
			return -1;
		e->absorbed++;
		e->bytes_saved += e->psize;
	} else {
		for (k = 0; ; k++) {
			snprintf(name, sizeof(name), ".%.200s.ioshim-%d-%u",
			    e->base, (int)getpid(), seq++);
			memcpy(p, e->path, d);
			strcpy(p + d, name);
			if (sys_rename(fromdir, from, AT_FDCWD, p,
			    RENAME_NOREPLACE) == 0)
				break;
			if (errno != EEXIST || k == 8)
				return -1;
		}
		strcpy(e->pend, name);
		p[d > 1 ? d - 1 : 1] = '\0';
		if (raw_stat(AT_FDCWD, p, &dst, 0) == 0) {
			e->ddev = dst.st_dev;
			e->dino = dst.st_ino;
		}
		atomic_fetch_add(&db_npend, 1);
	}
	e->pdev = fst->st_dev;
	e->pino = fst->st_ino;
	e->psize = (uint64_t)fst->st_size;
	e->due_ns = e->last_ns + db_window_ns(e->pat);
	worker_first_byte();
	return 0;
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
	int pat, saved = errno, r, err;

	if (flags != 0 || from == NULL || to == NULL || db_in ||
	    shim_ending || in_vfork_child())
		return 0;
	if (db_resolve(todir, to, dir, &base) != 0 || db_join(abs, dir, base) != 0 ||
	    (pat = db_match(abs)) < 0) {
		errno = saved;
		return 0;
	}
	lock();
	if ((e = ent_for(abs, pat)) == NULL) {
		unlock();
		errno = saved;
		return 0;
	}
	if (e->err) {			/* a failed write of the last state */
		err = e->err;
		e->err = 0;
		unlock();
		*res = -1;
		errno = err;
		return 1;
	}
	now = shim_now_ns();
	if (e->last_ns != 0 && now - e->last_ns < db_window_ns(pat) &&
	    raw_stat(fromdir, from, &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(fst.st_mode) && fst.st_nlink == 1 &&
	    strcmp(base, strrchr(from, '/') ? strrchr(from, '/') + 1 : from) != 0 &&
	    (db_nosync(pat) || !was_synced(&fst)) &&
	    same_dir(fromdir, from, todir, to, dir) &&
	    hold(e, fromdir, from, &fst) == 0) {
		unlock();
		*res = 0;
		errno = saved;
		return 1;
	}
	/* straight through: a leading edge, a synced save, or not ours to hold */
	errno = saved;
	r = sys_rename(fromdir, from, todir, to, 0);
	if (r == 0) {
		discard(e);
		e->written++;
		e->last_ns = now;
	}
	err = errno;
	unlock();
	*res = r;
	errno = r == 0 ? saved : err;
	return 1;
}

/* A path the program names, while something is pending (db_point). */
void
db_path_slow(const char *path)
{
	const char *base;
	unsigned i;

	if (path == NULL || db_in || in_vfork_child())
		return;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	lock();
	for (i = 0; i < nents; i++)
		if (ents[i].pend[0] != '\0' && strcmp(ents[i].base, base) == 0)
			flush_ent(&ents[i], 0);
	unlock();
}

/*
 * Before an fsync-family call on fd (wrap_sync.c): a regular file is
 * remembered (its rename onto a target goes straight through); a
 * directory's or a pending file's pending state is written and synced.
 */
void
db_fsync(int fd)
{
	struct stat st;
	unsigned i;
	struct db_ent *e;
	int saved = errno;

	if (db_in || in_vfork_child() || raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0) {
		errno = saved;
		return;
	}
	lock();
	if (S_ISREG(st.st_mode))
		mark_synced(&st);
	for (i = 0; i < nents && atomic_load(&db_npend); i++) {
		e = &ents[i];
		if (e->pend[0] == '\0' || db_nosync(e->pat))
			continue;
		if ((S_ISDIR(st.st_mode) && st.st_dev == e->ddev &&
		    st.st_ino == e->dino) || (S_ISREG(st.st_mode) &&
		    st.st_dev == e->pdev && st.st_ino == e->pino))
			flush_ent(e, 1);
	}
	unlock();
	errno = saved;
}

/* An open with O_SYNC or O_DSYNC: the file counts as fsynced. */
void
db_opened_sync(int fd)
{
	struct stat st;
	int saved = errno;

	if (fd < 0 || db_in || raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0 ||
	    !S_ISREG(st.st_mode)) {
		errno = saved;
		return;
	}
	lock();
	mark_synced(&st);
	unlock();
	errno = saved;
}

/* The worker: states whose window ended; the next due time, 0 none. */
uint64_t
db_age_flush(void)
{
	uint64_t now, next = 0;
	unsigned i;

	if (atomic_load(&db_npend) == 0)
		return 0;
	lock();
	now = shim_now_ns();
	for (i = 0; i < nents; i++) {
		if (ents[i].pend[0] == '\0')
			continue;
		if (ents[i].due_ns <= now)
			flush_ent(&ents[i], 0);
		if (ents[i].pend[0] != '\0' &&
		    (next == 0 || ents[i].due_ns < next))
			next = ents[i].due_ns;
	}
	unlock();
	return next;
}

/* Exit, exec, fork: everything pending, now. */
void
db_flush_all_slow(void)
{
	unsigned i;

	if (db_in || in_vfork_child())
		return;
	lock();
	for (i = 0; i < nents; i++)
		flush_ent(&ents[i], 0);
	unlock();
}

/* A fatal signal: as above unless the lock is taken (then the target
 * holds the state of the last window, and the pending file the newest). */
void
db_signal_flush(void)
{
	unsigned i, tries;

	if (atomic_load(&db_npend) == 0 || db_in)
		return;
	/* bounded: the holder (the worker, a rename long) may never let go */
	for (tries = 0; pthread_mutex_trylock(&mu) != 0; tries++) {
		if (tries == 100000)
			return;
		sched_yield();
	}
	db_in = 1;
	for (i = 0; i < nents; i++)
		flush_ent(&ents[i], 0);
	db_in = 0;
	pthread_mutex_unlock(&mu);
}

/* A forked child: the parent's pending states are the parent's. */
void
db_after_fork_child(void)
{
	pthread_mutex_init(&mu, NULL);
	db_in = 0;
	nents = 0;
	atomic_store(&db_npend, 0);
}

/* Row i of the report: 0 when there is none. */
int
db_row(unsigned i, const char **path, uint64_t *absorbed, uint64_t *written,
    uint64_t *saved)
{
	if (i >= nents)
		return 0;
	*path = ents[i].path;
	*absorbed = ents[i].absorbed;
	*written = ents[i].written;
	*saved = ents[i].bytes_saved;
	return 1;
}
