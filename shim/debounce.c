/*
 * debounce.c - debounced saves: the table of target files, its lock, and
 * the points where a pending state is made real.  A save of a file
 * IOSHIM_DEBOUNCE names (debounce_cfg.c) inside the window of its last
 * real state is held as a hidden pending file beside it
 * (debounce_rename.c: atomic replace; debounce_trunc.c: in-place
 * rewrite), and made real once, at the window's end (the worker), or
 * earlier when the program or its end needs it.  docs/debounce.md.
 *
 * fsync keeps its meaning (unless the pattern says nosync): a save whose
 * temporary file was fsynced or opened O_SYNC/O_DSYNC goes straight
 * through, and an fsync of the directory or of the pending file makes
 * the pending state real, synced, first.
 *
 * The program sees its own state: an open, stat, access, readlink,
 * rename, unlink... of a path whose last component is a pending target's
 * name makes that state real first (db_point, one load while nothing is
 * pending).  Exit, exec, fork and fatal signals make everything real.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"

#define DB_SYNCED	8	/* files recently fsynced, remembered */

HIDDEN SHIM_HOT _Atomic unsigned db_npend;	/* entries with a pending state */
static SHIM_BIG struct db_ent ents[DB_ENTS];
static unsigned nents;
static struct { dev_t dev; ino_t ino; } synced[DB_SYNCED];
static unsigned synced_at;
static unsigned seq;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
HIDDEN __thread int db_in;	/* this thread holds mu */
HIDDEN __thread int db_skip_hold;	/* db_path_slow leaves held temp files */
static __thread sigset_t db_mask;	/* its signal mask before */

/*
 * Signals wait while a thread holds the lock (two system calls beside
 * the rename's eight or so): a fatal one then finds the table whole and
 * writes the pending states (db_signal_flush) instead of leaving them.
 */
void
db_lock(void)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &db_mask, _NSIG / 8);
	pthread_mutex_lock(&mu);
	db_in = 1;
}

void
db_unlock(void)
{
	db_in = 0;
	pthread_mutex_unlock(&mu);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &db_mask, NULL, _NSIG / 8);
}

/* The pending file's absolute name into out. */
void
db_pend_path(const struct db_ent *e, char *out)
{
	size_t d = (size_t)(e->base - e->path);

	memcpy(out, e->path, d);
	strcpy(out + d, e->pend);
}

/*
 * A new hidden name for e's pending state: into name, and its absolute
 * path into p.  Not made here: its maker does so without replacing
 * anything (O_EXCL, RENAME_NOREPLACE), and tries another when taken.
 */
int
db_pend_name(const struct db_ent *e, char *name, char *p)
{
	size_t d = (size_t)(e->base - e->path);

	snprintf(name, NAME_MAX + 1, ".%.200s.ioshim-%d-%u", e->base,
	    (int)getpid(), seq++);
	memcpy(p, e->path, d);
	strcpy(p + d, name);
	return 0;
}

/* name, just made, is e's pending state, due at the window's end. */
void
db_pend_new(struct db_ent *e, const char *name)
{
	char d[PATH_MAX];
	struct stat st;
	size_t n = (size_t)(e->base - e->path);

	if (!e->swept) {
		e->swept = 1;
		db_sweep(e);
	}
	strcpy(e->pend, name);
	memcpy(d, e->path, n);
	d[n > 1 ? n - 1 : 1] = '\0';
	if (raw_stat(AT_FDCWD, d, &st, 0) == 0) {
		e->ddev = st.st_dev;
		e->dino = st.st_ino;
	}
	e->due_ns = e->last_ns + db_window_ns(e->pat);
	atomic_fetch_add(&db_npend, 1);
	worker_first_byte();
}

static void
pend_clear(struct db_ent *e)
{
	e->pend[0] = '\0';
	e->due_ns = 0;
	e->copied = 0;
	atomic_fetch_sub(&db_npend, 1);
}

/* A newer state reached the target: the pending one is absorbed. */
void
db_discard(struct db_ent *e)
{
	char p[PATH_MAX];

	if (e->pend[0] == '\0')
		return;
	if (e->mslot >= 0) {	/* held in memory: no file to remove */
		dbh_free(e->mslot);
		e->mslot = -1;
	} else {
		db_pend_path(e, p);
		syscall(SYS_unlinkat, AT_FDCWD, p, 0);
	}
	if (!e->copied) {
		e->absorbed++;
		e->bytes_saved += e->psize;
	}
	pend_clear(e);
}

/*
 * Is the program's fd on e's in-place pending file still open?  Then its
 * rewrite may not be whole yet.
 */
int
db_fd_open(const struct db_ent *e)
{
	struct stat st;

	return e->inplace && e->pfd >= 0 &&
	    raw_stat(e->pfd, "", &st, AT_EMPTY_PATH) == 0 &&
	    st.st_dev == e->pdev && st.st_ino == e->pino;
}

/*
 * What e's target is now, as a pending state of it is made: a newer
 * state of another process's (or a delete) changes it, and the pending
 * one is then superseded (plain semantics: the later change wins).
 */
void
db_target_mark(struct db_ent *e)
{
	struct stat st;

	e->tknown = 0;
	if (raw_stat(AT_FDCWD, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		e->tdev = st.st_dev;
		e->tino = st.st_ino;
		e->tctime = st.st_ctim;
		e->tknown = 1;
	} else if (errno == ENOENT)
		e->tknown = 2;
}

/* Has another replaced, deleted, created or changed e's target since? */
static int
target_moved(const struct db_ent *e)
{
	struct stat st;
	int have = raw_stat(AT_FDCWD, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0;

	if (e->tknown == 2)
		return have;
	if (e->tknown != 1)
		return 0;
	return !have || st.st_dev != e->tdev || st.st_ino != e->tino ||
	    st.st_ctim.tv_sec != e->tctime.tv_sec ||
	    st.st_ctim.tv_nsec != e->tctime.tv_nsec;
}

/*
 * A pending state held in memory (debounce_hold.c) into its hidden file,
 * made now (never replacing a file: another name when taken), the mode
 * the program's temporary file had; then it is pending as any other.
 */
static int
materialize(struct db_ent *e, int sync)
{
	char p[PATH_MAX], name[NAME_MAX + 1];
	struct stat st;
	int k;

	for (k = 0; ; k++) {
		db_pend_path(e, p);
		if (dbh_write_state(e->mslot, p, sync, &st) == 0)
			break;
		if (errno != EEXIST || k == 8)
			return -1;
		db_pend_name(e, name, p);
		strcpy(e->pend, name);
	}
	e->pdev = st.st_dev;
	e->pino = st.st_ino;
	dbh_free(e->mslot);
	e->mslot = -1;
	return 0;
}

/*
 * Make the pending state real: renamed onto the target, or for an
 * in-place rewrite copied into it (its data synced first when sync).
 * An in-place rewrite whose fd is still open is copied in all the same,
 * once per window while it changes (at most a window old).  0, or
 * -1 with the error kept for the next save.
 */
int
db_flush_ent(struct db_ent *e, int sync, int force)
{
	char p[PATH_MAX];
	struct stat st;
	int fd, saved = errno, open_;

	if (e->pend[0] == '\0')
		return 0;
	if (e->mslot >= 0) {
		if (target_moved(e)) {	/* superseded: never written */
			e->superseded++;
			db_discard(e);
			errno = saved;
			return 0;
		}
		if (materialize(e, sync) != 0)
			goto failed;
	}
	db_pend_path(e, p);
	if (raw_stat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_dev != e->pdev || st.st_ino != e->pino) {
		/* gone or replaced by another: never use what is not ours */
		e->err = EIO;
		pend_clear(e);
		errno = saved;
		return -1;
	}
	if (target_moved(e)) {	/* superseded: never written */
		e->superseded++;
		db_discard(e);
		errno = saved;
		return 0;
	}
	open_ = db_fd_open(e);
	if (open_ && !force && e->copied &&
	    st.st_mtim.tv_sec == e->cmtime.tv_sec &&
	    st.st_mtim.tv_nsec == e->cmtime.tv_nsec) {
		/* its fd open, nothing new since the last copy */
		e->due_ns = shim_now_ns() + db_window_ns(e->pat);
		errno = saved;
		return 0;
	}
	if (e->inplace) {
		if (db_copy_in(e, p, sync) != 0)
			goto failed;
		if (sync)
			e->synced = 1;
		e->cmtime = st.st_mtim;
	} else {
		if (sync && (fd = (int)syscall(SYS_openat, AT_FDCWD, p,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			syscall(SYS_fsync, fd);
			syscall(SYS_close, fd);
		}
		if (syscall(SYS_renameat2, AT_FDCWD, p, AT_FDCWD, e->path, 0) != 0)
			goto failed;
	}
	if (!e->copied)
		e->written++;
	e->copied = open_;
	e->last_ns = shim_now_ns();
	if (open_) {	/* the program writes on: the same file stays pending */
		e->due_ns = e->last_ns + db_window_ns(e->pat);
		db_target_mark(e);
	} else {
		if (e->inplace)
			syscall(SYS_unlinkat, AT_FDCWD, p, 0);
		pend_clear(e);
	}
	errno = saved;
	return 0;
failed:
	e->err = errno;
	e->due_ns = shim_now_ns() + db_window_ns(e->pat) / 4 + 1;
	errno = saved;
	return -1;
}

/*
 * Under the lock: a failed write of e's last state is told now, at the
 * program's next save, as the coalescer tells its write errors: the lock
 * let go, errno set, 1.  Else 0.
 */
int
db_told_error(struct db_ent *e)
{
	int err = e->err;

	if (err == 0)
		return 0;
	e->err = 0;
	db_unlock();
	errno = err;
	return 1;
}

/* The entry of target abs (pattern pat), made if new; NULL when full. */
struct db_ent *
db_ent_for(const char *abs, int pat)
{
	struct db_ent *e;
	unsigned i;

	for (i = 0; i < nents; i++)
		if (strcmp(ents[i].path, abs) == 0)
			return &ents[i];
	if (nents == DB_ENTS)
		return NULL;
	e = &ents[nents];
	memset(e, 0, sizeof(*e));
	strcpy(e->path, abs);
	e->base = strrchr(e->path, '/') + 1;
	e->pat = pat;
	e->pfd = -1;
	e->mslot = -1;
	/* whole before db_path_slow's unlocked look can see it */
	__atomic_store_n(&nents, nents + 1, __ATOMIC_RELEASE);
	return e;
}

int
db_was_synced(const struct stat *st)
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

/* A path the program names, while something is pending (db_point). */
/*
 * /proc/self/fd/N, /proc/thread-self/fd/N, /dev/fd/N: another name of
 * the program's fd N; a held temporary file's bytes go in first
 * (debounce_hold.c), as for its own name.
 */
static void
fd_path(const char *path)
{
	static const char *const pre[] = { "/proc/self/fd/",
	    "/proc/thread-self/fd/", "/dev/fd/" };
	const char *p = NULL;
	char *end;
	unsigned i;
	long fd;

	if (path[0] != '/')
		return;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]) && p == NULL; i++)
		if (strncmp(path, pre[i], strlen(pre[i])) == 0)
			p = path + strlen(pre[i]);
	if (p == NULL || *p < '0' || *p > '9')
		return;
	fd = strtol(p, &end, 10);
	if (*end == '\0' && fd >= 0 && fd < INT_MAX)
		dbh_real_fd((int)fd, 0);
}

void
db_path_slow(const char *path)
{
	const char *base;
	unsigned i, n;

	if (path == NULL || db_in || in_vfork_child())
		return;
	fd_path(path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!db_skip_hold && dbh_named(base)) {
		db_lock();
		dbh_path(base);	/* a held temporary file: its bytes in */
		db_unlock();
	}
	/* first without the lock (a name, once made, never changes): the
	 * program's other paths cost no lock while a state is pending */
	n = __atomic_load_n(&nents, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++)
		if (strcmp(ents[i].base, base) == 0)
			break;
	if (i == n)
		return;
	db_lock();
	for (i = 0; i < nents; i++)
		if (ents[i].pend[0] != '\0' && strcmp(ents[i].base, base) == 0)
			db_flush_ent(&ents[i], 0, 1);
	db_unlock();
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
	db_lock();
	if (S_ISREG(st.st_mode))
		mark_synced(&st);
	for (i = 0; i < nents && atomic_load(&db_npend); i++) {
		e = &ents[i];
		if (e->pend[0] == '\0' || db_nosync(e->pat))
			continue;
		if ((S_ISDIR(st.st_mode) && st.st_dev == e->ddev &&
		    st.st_ino == e->dino) || (S_ISREG(st.st_mode) &&
		    st.st_dev == e->pdev && st.st_ino == e->pino))
			db_flush_ent(e, 1, 1);
	}
	db_unlock();
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
	db_lock();
	mark_synced(&st);
	db_unlock();
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
	db_lock();
	now = shim_now_ns();
	for (i = 0; i < nents; i++) {
		if (ents[i].pend[0] == '\0')
			continue;
		if (ents[i].due_ns <= now)
			db_flush_ent(&ents[i], 0, 0);
		if (ents[i].pend[0] != '\0' &&
		    (next == 0 || ents[i].due_ns < next))
			next = ents[i].due_ns;
	}
	db_unlock();
	return next;
}

/*
 * Exit, exec, fork, sync, a credential change: everything pending, now;
 * an in-place rewrite's fd still open becomes an fd on the target.
 */
void
db_flush_all_slow(void)
{
	unsigned i;

	if (db_in || in_vfork_child())
		return;
	db_lock();
	dbh_real_all();		/* temporary files first: a child may read them */
	for (i = 0; i < nents; i++) {
		if (db_flush_ent(&ents[i], 0, 1) == 0 && db_fd_open(&ents[i]))
			db_real_fd(&ents[i]);	/* a child may inherit it */
	}
	db_unlock();
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
	dbh_real_all();
	for (i = 0; i < nents; i++)	/* an open in-place fd: as at exit */
		if (db_flush_ent(&ents[i], 0, 1) == 0 && db_fd_open(&ents[i]))
			db_real_fd(&ents[i]);
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
	dbh_after_fork_child();
	atomic_store(&db_npend, 0);
}

/* Is any target followed?  (Unlocked: a count only grows.) */
int
db_have_ents(void)
{
	return __atomic_load_n(&nents, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Under the lock: is base, a new file in directory dir, a temporary file
 * of a save by atomic replace (debounce_hold.c holds its bytes)?  Only in
 * the directory of a target this process saved already, and only when
 * its name holds that target's name (state.json.tmp, .state.json.XXXXXX,
 * state.json~, state.json.1234.tmp) or is python tempfile's default
 * (tmp and 8 of [a-z0-9_]).  docs/debounce.md says why no more.
 */
int
db_temp_name(const char *dir, const char *base)
{
	size_t d, n = strlen(base), k;
	unsigned i;
	int py = n == 11 && strncmp(base, "tmp", 3) == 0;

	for (k = 3; py && k < n; k++)
		if (!((base[k] >= 'a' && base[k] <= 'z') || base[k] == '_' ||
		    (base[k] >= '0' && base[k] <= '9')))
			py = 0;
	for (i = 0; i < nents; i++) {
		d = (size_t)(ents[i].base - ents[i].path);
		d = d > 1 ? d - 1 : 1;
		if (strlen(dir) != d || memcmp(dir, ents[i].path, d) != 0)
			continue;
		if (py || (strstr(base, ents[i].base) != NULL &&
		    strcmp(base, ents[i].base) != 0))
			return 1;
	}
	return 0;
}

/* exec failed: the image goes on as a new one, its counts from zero (the
 * ended one reported them). */
void
db_counts_reset(void)
{
	unsigned i;

	if (!db_on)
		return;
	db_lock();
	for (i = 0; i < nents; i++) {
		ents[i].absorbed = ents[i].written = 0;
		ents[i].bytes_saved = ents[i].superseded = 0;
	}
	db_unlock();
	send_debounce_fork_child();	/* every row again, as for a child */
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
