/*
 * debounce_hold.c - the bytes of a debounced save's temporary file, held
 * in memory that outlives the process (a mapped file in the spill
 * directory, common/dbhold.h) instead of written: a program that saves
 * its state by atomic replace many times a second makes no write system
 * call for the saves a window absorbs.  docs/debounce.md, "Held bytes".
 *
 * Held: a new regular file the program creates (O_CREAT with O_EXCL or
 * O_TRUNC, not O_APPEND, O_SYNC or O_DSYNC, writable, empty and with one
 * link once open) in the directory of a file it has saved by atomic
 * replace under IOSHIM_DEBOUNCE, whose name looks like a temporary of
 * such a file (debounce_tname.c).  Its fd is marked in the fd table as a
 * coalesced one whose buffer number is DBH_BUF0 + slot, so write, writev,
 * pwrite (wrap_io.c) and every flush point the coalescer has (reads, seeks, fsync, mmap,
 * ftruncate, dup, sendfile...) come here; an fd that is not held costs
 * nothing more than it did.  A write copies the bytes into the mapping:
 * no system call.
 *
 * The bytes are made real (written to the temporary file, at offset 0,
 * the fd's position set where the program's is) before anything could show that
 * they are not there: a read, a seek other than to the current end, an
 * fstat (when bytes are held), mmap, fsync, ftruncate, dup, a copy, the
 * path named by any call (debounce.c, db_path_slow), fork, exec, exit,
 * a fatal signal, a credential change, a rename that is not absorbed.
 * Then the file is no longer held.  A close keeps them held (the file
 * is empty on disk meanwhile).  An absorbed rename (debounce_rename.c)
 * unlinks the empty temporary file and commits the bytes as the target's
 * pending state (DBH_STATE, stored after the bytes), which the worker
 * writes once at the window's end (debounce.c).
 *
 * Slots are changed under the debounce lock and a per-slot spin (the
 * write path takes only the spin: no system call); a fatal-signal
 * handler's spin is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "debounce.h"
#include "dbhold.h"

struct slot {
	_Atomic int	lk;
	int		used;		/* 0 free, DBH_TEMP, DBH_STATE */
	int		fd;		/* DBH_TEMP: the program's fd, -1 closed */
	int		err;		/* a failed write of the held bytes */
	uint64_t	pos;		/* the fd's position as the program sees
					 * it (a pwrite moves none) */
	dev_t		dev;
	ino_t		ino;
	char		path[PATH_MAX];	/* DBH_TEMP: the temporary file */
	const char	*base;
	struct dbh_hdr	*h;		/* the mapping, NULL not made yet */
	char		mname[96];
};

static SHIM_BIG struct slot slots[DBH_N];
/* Set at the first mapping: until then no slot is in use, and the scans
 * at fork and exit touch none of the table's pages. */
static SHIM_HOT _Atomic int slots_live;
static uint64_t seq;
#define MAPSZ	((size_t)DBH_HDR + DBH_CAP)
#define DATA(s)	((char *)(s)->h + DBH_HDR)

/* Bounded: a fatal-signal handler may interrupt the holder. */
static int
spin(struct slot *s)
{
	int i, z;

	for (i = 0; i < 100000; i++) {
		z = 0;
		if (atomic_compare_exchange_weak(&s->lk, &z, 1))
			return 1;
		if (i > 100)
			sched_yield();
	}
	return 0;
}

static void
unspin(struct slot *s, int got)
{
	if (got)
		atomic_store(&s->lk, 0);
}

static struct slot *
slot_of(fdent_t e)
{
	unsigned b = FDE_BUF(e);

	return dbh_buf(b) ? &slots[b - DBH_BUF0] : NULL;
}

/* fd is no longer held: a plain file fd again. */
static void
unmark(int fd)
{
	fdent_t e = fd_raw(fd);

	if (!dbh_buf(FDE_BUF(e)))
		return;
	e &= ~((fdent_t)0xffff << 32 | FD_COALESCE);
	fd_store(fd, e | (fdent_t)BUF_NONE << 32);
}

static int
pwrite_all(int fd, const char *p, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = syscall(SYS_pwrite64, fd, p + off, n - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/*
 * Write slot i's held bytes into its temporary file (through the
 * program's fd when it is still that file's, else by name, never
 * following a link, only into that same inode) and let it go.  Debounce
 * lock held.  0, or -1 with the slot still holding (err kept).
 */
static int
real_slot(unsigned i)
{
	struct slot *s = &slots[i];
	struct stat st;
	int fd, own = 0, got, saved = errno, r = 0;
	size_t len;

	got = spin(s);
	if (s->used != DBH_TEMP) {
		unspin(s, got);
		return 0;
	}
	len = (size_t)s->h->len;
	fd = s->fd;
	if (fd < 0 || raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0 ||
	    st.st_dev != s->dev || st.st_ino != s->ino) {
		fd = (int)syscall(SYS_openat, AT_FDCWD, s->path, O_WRONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		own = 1;
		if (fd >= 0 && (raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0 ||
		    st.st_dev != s->dev || st.st_ino != s->ino)) {
			syscall(SYS_close, fd);
			fd = -1;
			errno = ENOENT;
		}
	}
	if (fd < 0) {
		/* the file is gone (or another's now): its bytes with it */
		if (errno != ENOENT) {
			s->err = errno;
			r = -1;
		}
	} else if (len != 0 && pwrite_all(fd, DATA(s), len) != 0) {
		s->err = errno;
		r = -1;
	} else if (!own)
		syscall(SYS_lseek, fd, (off_t)s->pos, SEEK_SET);
	if (own && fd >= 0)
		syscall(SYS_close, fd);
	if (r == 0) {
		if (s->fd >= 0)
			unmark(s->fd);
		s->h->state = DBH_FREE;
		s->h->len = 0;
		s->used = 0;
		atomic_fetch_sub(&db_npend, 1);
	}
	unspin(s, got);
	errno = saved;
	return r;
}

/* Is name, created in dir, a temporary file we hold (db lock held)? */
static int
wanted(const char *dir, const char *base, const char *abs)
{
	return strstr(base, ".ioshim-") == NULL && db_match(abs) < 0 &&
	    db_temp_name(dir, base);
}

/* The mapping of slot s, made on its first use. */
static int
slot_map(struct slot *s)
{
	struct dbh_hdr *h;

	if (s->h != NULL)
		return 0;
	h = spill_map_new('d', MAPSZ, s->mname, sizeof(s->mname));
	if (h == NULL)
		return -1;
	memcpy(h->magic, DBH_MAGIC, sizeof(h->magic));
	h->version = DBH_VERSION;
	h->hdr_size = DBH_HDR;
	h->cap = DBH_CAP;
	h->uid = (uint32_t)geteuid();
	h->pid = (int32_t)getpid();
	h->start_ticks = proc_stat_field(22, NULL);
	s->h = h;
	atomic_store(&slots_live, 1);
	return 0;
}

/*
 * An open the program made (wrap_fd.c): held when it created a
 * temporary file of a debounced target's directory.
 */
void
dbh_opened(int fd, int dirfd, const char *path, int flags)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	const char *base;
	struct stat st;
	struct slot *s = NULL;
	unsigned i;
	fdent_t e;
	int saved = errno;

	if (fd < 0 || path == NULL || !(flags & O_CREAT) ||
	    !(flags & (O_EXCL | O_TRUNC)) ||
	    (flags & (O_APPEND | O_DSYNC | O_PATH)) ||
	    (flags & __O_TMPFILE) == __O_TMPFILE ||
	    (flags & O_ACCMODE) == O_RDONLY || db_in || shim_ending ||
	    in_vfork_child() || !db_have_ents())
		return;
	if (db_resolve(dirfd, path, dir, &base) != 0 ||
	    db_join(abs, dir, base) != 0)
		goto out;
	db_lock();
	for (i = 0; i < DBH_N; i++)	/* fd was closed behind our back */
		if (slots[i].used == DBH_TEMP && slots[i].fd == fd)
			slots[i].fd = -1;
	if (!wanted(dir, base, abs) || raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size != 0 || st.st_nlink != 1)
		goto unlock;
	for (i = 0; i < DBH_N && s == NULL; i++)
		if (slots[i].used == 0)
			s = &slots[i];
	if (s == NULL || slot_map(s) != 0)
		goto unlock;
	e = fd_peek(fd);
	if (!(e & FD_KNOWN))
		e = fd_get(fd);
	if (!(e & FD_KNOWN) || (FDE_FLAGS(e) & (FD_SHIM | FD_COALESCE)))
		goto unlock;
	s->fd = fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->err = 0;
	s->pos = 0;
	strcpy(s->path, abs);
	s->base = strrchr(s->path, '/') + 1;
	s->h->state = DBH_FREE;
	s->h->len = 0;
	s->h->mode = st.st_mode & 07777;
	s->h->dev = st.st_dev;
	s->h->ino = st.st_ino;
	snprintf(s->h->path, sizeof(s->h->path), "%s", abs);
	__atomic_store_n(&s->h->state, DBH_TEMP, __ATOMIC_RELEASE);
	__atomic_store_n(&s->used, DBH_TEMP, __ATOMIC_RELEASE);	/* dbh_named */
	atomic_fetch_add(&db_npend, 1);
	/* a coalesced-like fd whose buffer is the slot; no peer flag */
	e &= ~((fdent_t)0xffffffff << 32 | FD_PEER);
	fd_store(fd, e | FD_COALESCE | (fdent_t)(DBH_BUF0 + (s - slots)) << 32);
unlock:
	db_unlock();
out:
	errno = saved;
}

/*
 * fd's held bytes are made real: always when force, else only when some
 * are held (an fstat, a read: an empty file is what the program wrote).
 * 0, or -1 with errno when they could not be written (told by fsync).
 */
int
dbh_real_fd(int fd, int force)
{
	struct slot *s = slot_of(fd_raw(fd));
	int r = 0, saved = errno;

	if (s == NULL || db_in || in_vfork_child())
		return 0;
	db_lock();
	if (s->used == DBH_TEMP && s->fd == fd && (force || s->h->len != 0))
		r = real_slot((unsigned)(s - slots));
	if (s->used == 0)
		unmark(fd);	/* a stale mark */
	db_unlock();
	errno = saved;
	return r;
}

/* The error a failed write of fd's held bytes left, or 0. */
int
dbh_take_error(int fd)
{
	struct slot *s = slot_of(fd_raw(fd));
	int err;

	if (s == NULL || s->used != DBH_TEMP || s->fd != fd)
		return 0;
	err = s->err;
	s->err = 0;
	return err;
}

/* lseek(fd, 0, SEEK_CUR or SEEK_END) of a held fd: answered from the
 * held bytes (the file on disk is empty). */
int
dbh_seek(int fd, int whence, off64_t *out)
{
	struct slot *s = slot_of(fd_raw(fd));
	int got;

	if (s == NULL || (whence != SEEK_CUR && whence != SEEK_END))
		return 0;
	got = spin(s);
	if (s->used == DBH_TEMP && s->fd == fd) {
		if (whence == SEEK_END)	/* the position moves there */
			s->pos = s->h->len;
		*out = (off64_t)s->pos;
		unspin(s, got);
		return 1;
	}
	unspin(s, got);
	return 0;
}

/* The program closes a held fd: its bytes stay held, by the file's name. */
int
dbh_close(int fd)
{
	struct slot *s = slot_of(fd_raw(fd));
	int got, err = 0;

	if (s == NULL)
		return 0;
	got = spin(s);
	if (s->used == DBH_TEMP && s->fd == fd) {
		s->fd = -1;
		err = s->err;
		s->err = 0;
	}
	unspin(s, got);
	return err;
}

/* A held fd goes (F_SETFL): its bytes first. */
void
dbh_release(int fd)
{
	dbh_real_fd(fd, 1);
}

/*
 * n bytes at p, gathered from the program's vectors (cnt > 0) or one
 * buffer, appended to fd's held bytes (a pwrite: only when off is their
 * end; -1 a write).  1 when held, 0 when the caller writes them to the
 * kernel (after the held bytes were made real).
 */
static int
hold_bytes(int fd, struct slot *s, const void *p, size_t n,
    const struct iovec *iov, int cnt, off64_t off)
{
	struct iovec v[64];
	size_t len, total = n;
	int got, i, ok = 0;

	if (in_vfork_child() || shim_ending || db_in)
		return 0;
	if (cnt > 0) {
		if (cnt > 64 || guard_copy((char *)v, (const char *)iov,
		    (size_t)cnt * sizeof(*v), NULL) != 0)
			goto real;
		for (total = 0, i = 0; i < cnt; i++) {
			if (v[i].iov_len > DBH_CAP)
				goto real;
			total += v[i].iov_len;
		}
	}
	got = spin(s);
	len = (size_t)s->h->len;
	if (s->used == DBH_TEMP && s->fd == fd && total <= DBH_CAP - len &&
	    (off < 0 ? s->pos == len : (uint64_t)off == len)) {
		ok = 1;
		if (cnt == 0)
			ok = guard_copy(DATA(s) + len, p, n, NULL) == 0;
		for (i = 0, n = 0; i < cnt && ok; n += v[i].iov_len, i++)
			ok = guard_copy(DATA(s) + len + n, v[i].iov_base,
			    v[i].iov_len, NULL) == 0;
		if (ok)	/* the bytes first, then their length */
			__atomic_store_n(&s->h->len, len + total, __ATOMIC_RELEASE);
		if (ok && off < 0)
			s->pos = len + total;
	}
	unspin(s, got);
	if (ok)
		return 1;
real:
	dbh_real_fd(fd, 1);
	return 0;
}

ssize_t
dbh_write(int fd, fdent_t e, const void *p, size_t n)
{
	struct slot *s = slot_of(e);
	ssize_t r;

	if (hold_bytes(fd, s, p, n, NULL, 0, -1)) {
		count_write(e, (ssize_t)n, 0);
		return (ssize_t)n;
	}
	e = fd_get(fd);
	r = LAZY(write)(fd, p, n);
	count_write(e, r, 0);
	return r;
}

ssize_t
dbh_writev(int fd, fdent_t e, const struct iovec *iov, int cnt)
{
	struct slot *s = slot_of(e);
	ssize_t r;
	size_t n = 0;
	int i;

	if (cnt > 0 && hold_bytes(fd, s, NULL, 0, iov, cnt, -1)) {
		for (i = 0; i < cnt; i++)
			n += iov[i].iov_len;
		count_write(e, (ssize_t)n, 0);
		return (ssize_t)n;
	}
	e = fd_get(fd);
	r = LAZY(writev)(fd, iov, cnt);
	count_write(e, r, 0);
	return r;
}

/*
 * pwrite on a held fd: held when off is the end of the held bytes (a
 * program writing its file in order by offset), 1 and *r; else 0, the
 * held bytes made real first, and the caller makes the call.
 */
int
dbh_pwrite(int fd, fdent_t e, const void *p, size_t n, off64_t off,
    ssize_t *r)
{
	if (off < 0 || !hold_bytes(fd, slot_of(e), p, n, NULL, 0, off))
		return 0;
	count_write(e, (ssize_t)n, 0);
	*r = (ssize_t)n;
	return 1;
}

/* --- for debounce.c and debounce_rename.c, under the debounce lock --- */

/* The slot holding the temporary file dev/ino, or -1. */
int
dbh_by_inode(dev_t dev, ino_t ino)
{
	unsigned i;

	for (i = 0; i < DBH_N; i++)
		if (slots[i].used == DBH_TEMP && slots[i].dev == dev &&
		    slots[i].ino == ino)
			return (int)i;
	return -1;
}

/*
 * Is slot i's fd still open on its file?  A program may close it behind
 * the shim's back (libuv closes with syscall(SYS_close)): then it is
 * held by name, as after a close.
 */
int
dbh_fd_open(int i)
{
	struct slot *s = &slots[i];
	struct stat st;
	int got, saved = errno;

	if (s->fd < 0)
		return 0;
	if (raw_stat(s->fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		return 1;
	errno = saved;
	got = spin(s);
	if (FDE_BUF(fd_raw(s->fd)) == DBH_BUF0 + (unsigned)i)
		unmark(s->fd);
	s->fd = -1;
	unspin(s, got);
	return 0;
}

uint64_t
dbh_len(int i)
{
	return slots[i].h->len;
}

void
dbh_real(int i)
{
	(void)real_slot((unsigned)i);
}

/* The path of the program names a held temporary file: made real. */
void
dbh_path(const char *base)
{
	unsigned i;

	for (i = 0; i < DBH_N; i++)
		if (slots[i].used == DBH_TEMP && strcmp(slots[i].base, base) == 0)
			(void)real_slot(i);
}

/*
 * Without the lock: may base be a held temporary file's name?  Racy reads
 * of a slot only decide whether to take the lock (dbh_path looks again).
 */
int
dbh_named(const char *base)
{
	unsigned i;

	if (!atomic_load(&slots_live))
		return 0;
	for (i = 0; i < DBH_N; i++)
		if (__atomic_load_n(&slots[i].used, __ATOMIC_ACQUIRE) == DBH_TEMP &&
		    slots[i].base != NULL && strcmp(slots[i].base, base) == 0)
			return 1;
	return 0;
}

/* Every temporary file's held bytes, into it. */
void
dbh_real_all(void)
{
	unsigned i;

	if (!atomic_load(&slots_live))
		return;
	for (i = 0; i < DBH_N; i++)
		if (slots[i].used == DBH_TEMP)
			(void)real_slot(i);
}

/*
 * Slot i's bytes (a closed temporary file's, just unlinked by an
 * absorbed rename) become the pending state of target: committed after
 * the bytes.  It no longer counts as a held temporary file.
 */
void
dbh_commit(int i, const char *target)
{
	struct slot *s = &slots[i];
	struct timespec now;
	int got = spin(s);

	clock_gettime(CLOCK_REALTIME, &now);
	__atomic_store_n(&s->h->state, DBH_FREE, __ATOMIC_RELEASE);
	snprintf(s->h->path, sizeof(s->h->path), "%s", target);
	s->h->mtime_sec = now.tv_sec;
	s->h->mtime_nsec = now.tv_nsec;
	s->h->seq = ++seq;
	__atomic_store_n(&s->h->state, DBH_STATE, __ATOMIC_RELEASE);
	s->used = DBH_STATE;
	s->fd = -1;
	unspin(s, got);
	atomic_fetch_sub(&db_npend, 1);
}

/* A pending state of slot i is written or absorbed: the slot is free. */
void
dbh_free(int i)
{
	struct slot *s = &slots[i];
	int got = spin(s);

	__atomic_store_n(&s->h->state, DBH_FREE, __ATOMIC_RELEASE);
	s->h->len = 0;
	s->used = 0;
	unspin(s, got);
}

/*
 * Slot i's pending state into a new file p (never replacing one: EEXIST),
 * mode as the program's temporary file had, its data synced when sync;
 * its identity into *st.  0, or -1 with errno (nothing left at p).
 */
int
dbh_write_state(int i, const char *p, int sync, struct stat *st)
{
	struct slot *s = &slots[i];
	int fd, err;

	fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (syscall(SYS_fchmod, fd, (mode_t)s->h->mode) != 0 ||
	    pwrite_all(fd, DATA(s), (size_t)s->h->len) != 0 ||
	    (sync && syscall(SYS_fdatasync, fd) != 0) ||
	    raw_stat(fd, "", st, AT_EMPTY_PATH) != 0) {
		err = errno;
		syscall(SYS_close, fd);
		syscall(SYS_unlinkat, AT_FDCWD, p, 0);
		errno = err;
		return -1;
	}
	syscall(SYS_close, fd);
	return 0;
}

/* A forked child: the parent's holds (made real before the fork) are not
 * its own; their mappings go. */
void
dbh_after_fork_child(void)
{
	unsigned i;

	if (!atomic_load(&slots_live))
		return;
	for (i = 0; i < DBH_N; i++) {
		if (slots[i].h != NULL)
			munmap(slots[i].h, MAPSZ);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
}

/* The image ends, everything written: the hold files go. */
SHIM_ONCE void
dbh_end(void)
{
	unsigned i;

	if (in_vfork_child() || !atomic_load(&slots_live))
		return;
	for (i = 0; i < DBH_N; i++)
		if (slots[i].h != NULL && slots[i].used == 0) {
			spill_map_free(slots[i].h, MAPSZ, slots[i].mname);
			slots[i].h = NULL;
		}
}
