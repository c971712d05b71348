/*
 * fdtable.c - what each file descriptor is: its class, its per-file row,
 * its coalescing buffer.  Classified once (fstat, often the program's own,
 * and fstatfs once per filesystem), cached in a table that grows in chunks
 * as fds appear, and forgotten when the fd is closed or replaced.
 *
 * The table is two-level: a fixed directory of FDT_CHUNKS pointers to
 * chunks of FDT_CHUNK entries, each mapped with mmap on first use, so its
 * size follows the fds in use, never RLIMIT_NOFILE.  Entries are 64-bit
 * words read and written atomically: lookups take no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "shim.h"

HIDDEN _Atomic(fdent_t *) fdt_dir[FDT_CHUNKS];

static void dir_forget(int lo, int hi);

static fdent_t *chunk_new(unsigned u);

/* The chunk holding fd u; made when create is set and it is missing. */
static inline fdent_t *
chunk(unsigned u, int create)
{
	fdent_t *c = atomic_load_explicit(&fdt_dir[u >> FDT_CHUNK_BITS],
	    memory_order_acquire);

	return likely(c != NULL) || !create ? c : chunk_new(u);
}

static fdent_t *
chunk_new(unsigned u)
{
	_Atomic(fdent_t *) *slot = &fdt_dir[u >> FDT_CHUNK_BITS];
	fdent_t *c, *expect = NULL;

	if (LAZY(mmap) == NULL)
		return NULL;
	c = LAZY(mmap)(NULL, FDT_CHUNK * sizeof(fdent_t), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	if (!atomic_compare_exchange_strong(slot, &expect, c)) {
		munmap(c, FDT_CHUNK * sizeof(fdent_t));
		c = expect;
	}
	return c;
}

static void pend_free(unsigned slot);

void
fd_store(int fd, fdent_t e)
{
	unsigned u = (unsigned)fd;
	fdent_t *c = NULL, old;

	if (u >= FDT_CHUNK * FDT_CHUNKS || (c = chunk(u, 1)) == NULL)
		return;
	old = __atomic_load_n(&c[u & (FDT_CHUNK - 1)], __ATOMIC_RELAXED);
	__atomic_store_n(&c[u & (FDT_CHUNK - 1)], e, __ATOMIC_RELEASE);
	if (unlikely(old & FD_PENDING))		/* stale: closed unseen */
		pend_free(FDE_FILE(old));
	if (unlikely(old & FD_DIR))
		dir_forget(fd, fd);
}

/* fd is closed or replaced: a pending open is counted first. */
void
fd_forget(int fd)
{
	unsigned u = (unsigned)fd;
	fdent_t *c = NULL, old;

	if (u >= FDT_CHUNK * FDT_CHUNKS || (c = chunk(u, 0)) == NULL)
		return;
	old = __atomic_load_n(&c[u & (FDT_CHUNK - 1)], __ATOMIC_RELAXED);
	if (unlikely(old & FD_PENDING))
		old = fd_resolve(fd, NULL);
	if (unlikely(old & FD_DIR))
		dir_forget(fd, fd);
	__atomic_store_n(&c[u & (FDT_CHUNK - 1)], 0, __ATOMIC_RELAXED);
}

void
fd_forget_range(unsigned lo, unsigned hi)
{
	unsigned u;
	fdent_t *c = NULL;

	dir_forget((int)(lo > INT_MAX ? INT_MAX : lo), (int)(hi > INT_MAX ? INT_MAX : hi));
	if (hi >= FDT_CHUNK * FDT_CHUNKS)
		hi = FDT_CHUNK * FDT_CHUNKS - 1;
	for (u = lo; u <= hi && u >= lo; u++) {
		if ((u & (FDT_CHUNK - 1)) == 0 || u == lo) {
			if ((c = chunk(u, 0)) == NULL) {
				/* skip the whole missing chunk */
				u |= FDT_CHUNK - 1;
				continue;
			}
		}
		if (unlikely(__atomic_load_n(&c[u & (FDT_CHUNK - 1)],
		    __ATOMIC_RELAXED) & FD_PENDING))
			fd_resolve((int)u, NULL);
		__atomic_store_n(&c[u & (FDT_CHUNK - 1)], 0, __ATOMIC_RELAXED);
	}
}

/*
 * Filesystems whose files live in memory or in the kernel.  Everything
 * else that holds regular files (ext4, xfs, btrfs, f2fs, vfat, overlay,
 * nfs, ...) is storage: class disk.
 */
int
fd_memfs_type(long type)
{
	switch ((unsigned long)type & 0xffffffffu) {
	case 0x01021994:	/* tmpfs, devtmpfs, shmem */
	case 0x858458f6:	/* ramfs */
	case 0x9fa0:		/* proc */
	case 0x62656572:	/* sysfs */
	case 0x1cd1:		/* devpts */
	case 0x27e0eb:		/* cgroup */
	case 0x63677270:	/* cgroup2 */
	case 0x64626720:	/* debugfs */
	case 0x74726163:	/* tracefs */
	case 0x73636673:	/* securityfs */
	case 0xcafe4a11:	/* bpf */
	case 0x958458f6:	/* hugetlbfs */
	case 0x19800202:	/* mqueue */
	case 0x62656570:	/* configfs */
	case 0xde5e81e4:	/* efivarfs */
	case 0x6165676c:	/* pstore */
	case 0xf97cff8c:	/* selinuxfs */
	case 0x6e736673:	/* nsfs */
	case 0x42494e4d:	/* binfmt_misc */
	case 0x65735543:	/* fusectl */
	case 0x09041934:	/* anon inodes */
		return 1;
	}
	return 0;
}

/* st_dev -> "is a memory filesystem", so fstatfs runs once per fs. */
#define DEVCACHE 32
static struct {
	_Atomic uint64_t dev1;		/* st_dev + 1, 0 = empty */
	_Atomic int	mem;
} devcache[DEVCACHE];

static int
dev_is_memfs(int fd, dev_t dev)
{
	unsigned h = (unsigned)(dev ^ (dev >> 17)) % DEVCACHE;
	uint64_t d = atomic_load(&devcache[h].dev1);
	int m = atomic_load(&devcache[h].mem);
	struct statfs sf;

	if (d == (uint64_t)dev + 1 && atomic_load(&devcache[h].dev1) == d)
		return m;
	if (fstatfs(fd, &sf) != 0)
		return 0;
	m = fd_memfs_type(sf.f_type);
	atomic_store(&devcache[h].dev1, 0);
	atomic_store(&devcache[h].mem, m);
	atomic_store(&devcache[h].dev1, (uint64_t)dev + 1);
	return m;
}

static unsigned
class_of(int fd, const struct stat *st)
{
	struct termios t;

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return dev_is_memfs(fd, st->st_dev) ? IW_MEMFS : IW_DISK;
	case S_IFBLK:
		return IW_DISK;
	case S_IFSOCK:
		return IW_SOCKET;
	case S_IFIFO:
		return IW_PIPE;
	case S_IFCHR:
		return ioctl(fd, TCGETS, &t) == 0 ? IW_TTY : IW_OTHER;
	case S_IFDIR:
		return dev_is_memfs(fd, st->st_dev) ? IW_MEMFS : IW_DISK;
	}
	return IW_OTHER;
}

/* The path behind fd, from /proc; 0 when unknown. */
static size_t
fd_path(int fd, char *buf, size_t size)
{
	char link[40];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n <= 0 || (size_t)n >= size - 1)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/*
 * Paths of directory fds, so a file opened relative to one (openat, as tar
 * and find do) is named without asking the kernel.  Small and lossy: a
 * miss costs one readlink.  The fds are kept apart from the paths so a
 * lookup touches one page, and as fd + 1 so the table starts zeroed.
 * Writers take a lock they never wait for; readers take none: they check
 * a sequence number (odd while an entry changes) before and after.
 */
#define DIRCACHE 8
static int dir_fd1[DIRCACHE];		/* fd + 1; 0 empty */
static size_t dir_len[DIRCACHE];
static SHIM_BIG char dir_path[DIRCACHE][PATH_MAX];
static atomic_flag dir_lock = ATOMIC_FLAG_INIT;
static _Atomic unsigned dir_seq;
static unsigned dir_next;

/*
 * A copy into or out of dir_path, which a reader may read while a writer
 * changes it: the sequence number decides whether a read is kept.  TSan,
 * which has no fences, is told so byte by byte, each byte ordered as the
 * fences order the whole copy elsewhere (DIR_FENCE).
 */
#ifdef __SANITIZE_THREAD__
#define DIR_FENCE(order)	((void)0)
static void
dir_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		__atomic_store_n(&dst[i], __atomic_load_n(&src[i],
		    __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}
#else
#define DIR_FENCE(order)	atomic_thread_fence(order)
#define dir_copy		memcpy
#endif

static int
dir_write_begin(void)
{
	if (atomic_flag_test_and_set_explicit(&dir_lock, memory_order_acquire))
		return 0;		/* never wait: lossy */
	atomic_store_explicit(&dir_seq, atomic_load_explicit(&dir_seq,
	    memory_order_relaxed) + 1, memory_order_relaxed);
	DIR_FENCE(memory_order_release);
	return 1;
}

static void
dir_write_end(void)
{
	atomic_store_explicit(&dir_seq, atomic_load_explicit(&dir_seq,
	    memory_order_relaxed) + 1, memory_order_release);
	atomic_flag_clear_explicit(&dir_lock, memory_order_release);
}

static void
dir_forget(int lo, int hi)
{
	int i;

	if (!dir_write_begin())
		return;
	for (i = 0; i < DIRCACHE; i++)
		if (dir_fd1[i] - 1 >= lo && dir_fd1[i] - 1 <= hi)
			__atomic_store_n(&dir_fd1[i], 0, __ATOMIC_RELAXED);
	dir_write_end();
}

/* A free entry first (closed dirs leave one), else the oldest. */
static void
dir_remember(int fd, const char *path, size_t len)
{
	unsigned i;

	if (!dir_write_begin())
		return;
	for (i = 0; i < DIRCACHE && dir_fd1[i] != 0; i++)
		;
	if (i == DIRCACHE)
		i = dir_next++ % DIRCACHE;
	dir_copy(dir_path[i], path, len + 1);
	__atomic_store_n(&dir_len[i], len, __ATOMIC_RELAXED);
	__atomic_store_n(&dir_fd1[i], fd + 1, __ATOMIC_RELAXED);
	dir_write_end();
}

/* dir's path + "/" + rel into buf; the length, 0 when unknown. */
static size_t
dir_join(int dirfd, const char *rel, char *buf, size_t size)
{
	size_t len = 0, rl;
	unsigned seq;
	int i;

	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	rl = strlen(rel);
	seq = atomic_load_explicit(&dir_seq, memory_order_acquire);
	if (seq & 1)
		return 0;
	for (i = 0; i < DIRCACHE; i++)
		if ((unsigned)__atomic_load_n(&dir_fd1[i], __ATOMIC_RELAXED) ==
		    (unsigned)dirfd + 1)
			break;
	if (i == DIRCACHE)
		return 0;
	len = __atomic_load_n(&dir_len[i], __ATOMIC_RELAXED);
	if (len + rl + 2 > size)
		return 0;
	dir_copy(buf, dir_path[i], len);
	DIR_FENCE(memory_order_acquire);
	if (atomic_load_explicit(&dir_seq, memory_order_relaxed) != seq)
		return 0;		/* changed while read: a miss */
	if (len == 0 || buf[len - 1] != '/')
		buf[len++] = '/';
	memcpy(buf + len, rel, rl + 1);
	return len + rl;
}

/*
 * The entry of fd, whose stat is st, stored in the table.  pbuf (PATH_MAX
 * bytes) holds its absolute path when len > 0; otherwise the kernel's name
 * is read into it when the fd is a file.  fl: open flags, or -1.  Of st
 * only st_mode, st_dev and st_ino are read (RESOLVE_FROM sets no more).
 */
static fdent_t
classify(int fd, const struct stat *st, char *pbuf, size_t len, int fl,
    const uint32_t *hint)
{
	unsigned cls, flags = FD_KNOWN, file = FILE_NONE, buf = BUF_NONE;
	fdent_t e;

	cls = class_of(fd, st);
	if (fl == -1)
		fl = LAZY(fcntl)(fd, F_GETFL);
	if (fl != -1 && (fl & O_APPEND))
		flags |= FD_APPEND;
	/* files and directories have names worth knowing */
	if (cls > IW_MEMFS)
		len = 0;
	else if (len == 0)
		len = fd_path(fd, pbuf, PATH_MAX);
	/* rows are for files: regular files and block devices */
	if (len > 0 && !S_ISDIR(st->st_mode))
		file = file_row_for(pbuf, len, cls, hint);
	if ((flags & FD_APPEND) && S_ISREG(st->st_mode) && cls == IW_DISK)
		buf = (unsigned)co_eligible(fd, len ? pbuf : NULL, fl, st);
	if (buf != BUF_NONE)
		flags |= FD_COALESCE;
	else if (S_ISREG(st->st_mode) && cls == IW_DISK)
		flags |= FD_PEER;
	if (len > 0 && S_ISDIR(st->st_mode))
		flags |= FD_DIR;
	e = FDE_MAKE(cls, flags, file, buf);
	if (flags & FD_PEER)
		e = FDE_WITH_IHASH(e, inode_hash(st->st_dev, st->st_ino));
	fd_store(fd, e);
	if (flags & FD_DIR)
		dir_remember(fd, pbuf, len);
	send_maybe_connect(0);
	worker_ensure();
	signals_ensure();	/* now there is something to lose at a signal */
	return e;
}

/* path (relative to dirfd) made absolute in buf; 0 when unknown. */
static size_t
abs_path(int dirfd, const char *path, char *buf)
{
	size_t len = 0;

	if (path != NULL && path[0] == '/') {
		len = strnlen(path, PATH_MAX - 1);
		memcpy(buf, path, len);
		buf[len] = '\0';
	} else if (path != NULL && path[0] != '\0' && dirfd != AT_FDCWD) {
		fd_peek(dirfd);		/* a pending dir: learn its path */
		len = dir_join(dirfd, path, buf, PATH_MAX);
	}
	return len;
}

/*
 * Classify fd now and cache the result.  path is the name the program
 * opened it by (relative to dirfd), or NULL for an fd seen first in a read
 * or write (inherited, or made by socket(), pipe(), accept(), ...); oflags
 * its open flags, or -1 when not known.  errno is preserved.
 */
fdent_t
fd_classify_open(int fd, int dirfd, const char *path, int oflags)
{
	int saved = errno;
	struct stat st;
	char pbuf[PATH_MAX];
	fdent_t e;

	if (in_vfork_child())
		return FDE_MAKE(IW_OTHER, 0, FILE_NONE, BUF_NONE);
	if (path == NULL && (fd_raw(fd) & FD_PENDING))
		return fd_resolve(fd, NULL);
	if (!shim_ready || LAZY(fstat) == NULL || LAZY(fstat)(fd, &st) != 0) {
		errno = saved;
		return FDE_MAKE(IW_OTHER, 0, FILE_NONE, BUF_NONE);
	}
	e = classify(fd, &st, pbuf, abs_path(dirfd, path, pbuf), oflags, NULL);
	errno = saved;
	return e;
}

/*
 * Opens are classified lazily: most programs fstat or read what they
 * open (tar, cp, find do both), and the program's own fstat answers what
 * the shim would ask.  An fd opened and not yet classified is "pending":
 * its table word has FD_PENDING and the index of a slot that holds its
 * path and open flags.  The first of these finishes it (fd_resolve): the
 * program's fstat or fstatat(fd, ""), any read or write, close, dup,
 * anything that looks at the fd's entry, and the end of the image.  The
 * file row's open is counted then; the process's at the open itself.
 * O_APPEND opens (log files: the coalescer decides at once) and opens
 * when every slot is taken are classified at once.
 */
#define PEND_SLOTS	32
enum { SLOT_FREE, SLOT_FILLING, SLOT_PENDING };
static SHIM_HOT uint64_t pend_state[PEND_SLOTS];	/* apart: a scan reads 1 page */
static struct {
	int		fd, oflags;
	unsigned	gen;		/* pend_gen at the open */
	uint32_t	hash;		/* file_row_hint of path, when len > 0 */
	size_t		len;
	char		path[PATH_MAX];
} pend[PEND_SLOTS] SHIM_BIG;
static unsigned pend_gen;		/* new process or image */

static void
pend_free(unsigned slot)
{
	if (slot < PEND_SLOTS)
		__atomic_store_n(&pend_state[slot], SLOT_FREE, __ATOMIC_RELEASE);
}

/* fd was just opened: make it pending.  0 when it must be classified now. */
int
fd_defer(int fd, int dirfd, const char *path, int oflags)
{
	unsigned u = (unsigned)fd, i;

	if ((oflags & O_APPEND) || u >= FDT_CHUNK * FDT_CHUNKS ||
	    chunk(u, 1) == NULL)
		return 0;
	for (i = 0; i < PEND_SLOTS; i++)
		if (__atomic_load_n(&pend_state[i], __ATOMIC_RELAXED) ==
		    SLOT_FREE && table_cas64(&pend_state[i], SLOT_FREE,
		    SLOT_FILLING))
			break;
	if (i == PEND_SLOTS)
		return 0;
	pend[i].fd = fd;
	pend[i].oflags = oflags;
	pend[i].gen = pend_gen;
	pend[i].len = abs_path(dirfd, path, pend[i].path);
	if (pend[i].len > 0)
		pend[i].hash = file_row_hint(pend[i].path, pend[i].len);
	__atomic_store_n(&pend_state[i], SLOT_PENDING, __ATOMIC_RELEASE);
	fd_store(fd, FDE_MAKE(0, FD_PENDING, i, BUF_NONE));
	return 1;
}

/*
 * Finish a pending fd: classify it from st (the program's own fstat of
 * it) or, when st is NULL, from an fstat of the shim's, and count its
 * open in its file row.  Returns the entry.  A caller that finds another
 * finishing it (a thread, or the code a signal handler interrupted)
 * classifies it itself, without the slot's path.  errno is preserved.
 */
fdent_t
fd_resolve(int fd, const struct stat *st)
{
	unsigned u = (unsigned)fd, slot;
	fdent_t *c, old;
	struct stat sb;
	int saved = errno;
	fdent_t e = FDE_MAKE(IW_OTHER, 0, FILE_NONE, BUF_NONE);

	if (u >= FDT_CHUNK * FDT_CHUNKS || (c = chunk(u, 0)) == NULL ||
	    in_vfork_child())
		return e;
	old = __atomic_load_n(&c[u & (FDT_CHUNK - 1)], __ATOMIC_ACQUIRE);
	if (!(old & FD_PENDING))
		return (old & FD_KNOWN) ? old :
		    fd_classify_open(fd, AT_FDCWD, NULL, -1);
	if (!table_cas64(&c[u & (FDT_CHUNK - 1)], old, 0))
		return fd_classify_open(fd, AT_FDCWD, NULL, -1);
	slot = FDE_FILE(old);
	if (st == NULL && LAZY(fstat)(fd, &sb) == 0)
		st = &sb;
	if (st != NULL && slot < PEND_SLOTS) {
		e = classify(fd, st, pend[slot].path, pend[slot].len,
		    pend[slot].oflags, pend[slot].len ? &pend[slot].hash : NULL);
		if (pend[slot].gen == pend_gen && FDE_FILE(e) != FILE_NONE)
			row_open(FDE_FILE(e));
	}
	pend_free(slot);
	errno = saved;
	return e;
}

/* Every pending fd of this image, finished: its report counts them. */
SHIM_ONCE void
fd_resolve_all(void)
{
	unsigned i;
	int fd;

	for (i = 0; i < PEND_SLOTS; i++) {
		if (__atomic_load_n(&pend_state[i], __ATOMIC_ACQUIRE) !=
		    SLOT_PENDING)
			continue;
		fd = pend[i].fd;
		if ((fd_raw(fd) & FD_PENDING) && FDE_FILE(fd_raw(fd)) == i)
			fd_resolve(fd, NULL);
	}
}

/* A forked child or a new image: pending opens were counted before. */
void
fd_pending_reset(void)
{
	pend_gen++;
}

/* dup2(from, to) and friends: to becomes what from is, without the shim flag. */
void
fd_copy(int from, int to)
{
	/* classified now if not yet: a shell saving its stdout (dup, then
	 * dup2 back) would otherwise leave it to be looked at again each time */
	fdent_t e = fd_get(from);

	if (unlikely(dbh_buf(FDE_BUF(e)))) {
		/* a held temporary file (debounce_hold.c): real first */
		dbh_real_fd(from, 1);
		e = fd_get(from);
	}
	if (!(e & FD_KNOWN)) {
		fd_forget(to);
		return;
	}
	e &= ~(fdent_t)FD_SHIM;
	if (FDE_BUF(e) != BUF_NONE)
		co_ref(FDE_BUF(e));
	fd_store(to, e);
}
