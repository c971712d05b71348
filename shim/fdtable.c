/*
 * fdtable.c - what each file descriptor is: its class, its per-file row,
 * its coalescing buffer.  Classified once (fstat, and fstatfs once per
 * filesystem), cached in a table that grows in chunks as fds appear, and
 * forgotten when the fd is closed or replaced.
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

static fdent_t *
chunk(unsigned u, int create)
{
	_Atomic(fdent_t *) *slot = &fdt_dir[u >> FDT_CHUNK_BITS];
	fdent_t *c = atomic_load(slot), *expect = NULL;

	if (c != NULL || !create || real.mmap == NULL)
		return c;
	c = real.mmap(NULL, FDT_CHUNK * sizeof(fdent_t), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	if (!atomic_compare_exchange_strong(slot, &expect, c)) {
		munmap(c, FDT_CHUNK * sizeof(fdent_t));
		c = expect;
	}
	return c;
}

void
fd_store(int fd, fdent_t e)
{
	unsigned u = (unsigned)fd;
	fdent_t *c = NULL;

	if (u >= FDT_CHUNK * FDT_CHUNKS || (c = chunk(u, 1)) == NULL)
		return;
	if (FDE_CLASS(__atomic_load_n(&c[u & (FDT_CHUNK - 1)], __ATOMIC_RELAXED)) <= IW_MEMFS)
		dir_forget(fd, fd);
	__atomic_store_n(&c[u & (FDT_CHUNK - 1)], e, __ATOMIC_RELAXED);
}

void
fd_forget(int fd)
{
	unsigned u = (unsigned)fd;
	fdent_t *c = NULL;

	if (u >= FDT_CHUNK * FDT_CHUNKS || (c = chunk(u, 0)) == NULL)
		return;
	if (FDE_CLASS(__atomic_load_n(&c[u & (FDT_CHUNK - 1)], __ATOMIC_RELAXED)) <= IW_MEMFS)
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
		__atomic_store_n(&c[u & (FDT_CHUNK - 1)], 0, __ATOMIC_RELAXED);
	}
}

/*
 * Filesystems whose files live in memory or in the kernel.  Everything
 * else that holds regular files (ext4, xfs, btrfs, f2fs, vfat, overlay,
 * nfs, ...) is storage: class disk.
 */
static int
memfs_type(long type)
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
	m = memfs_type(sf.f_type);
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
 * miss costs one readlink.
 */
#define DIRCACHE 8
static struct {
	int	fd;			/* -1 empty */
	size_t	len;
	char	path[PATH_MAX];
} dircache[DIRCACHE] = { [0 ... DIRCACHE - 1] = { .fd = -1 } };
static atomic_flag dir_lock = ATOMIC_FLAG_INIT;
static unsigned dir_next;

static int
dir_lock_try(void)
{
	return !atomic_flag_test_and_set(&dir_lock);	/* never wait: lossy */
}

static void
dir_forget(int lo, int hi)
{
	int i;

	if (!dir_lock_try())
		return;
	for (i = 0; i < DIRCACHE; i++)
		if (dircache[i].fd >= lo && dircache[i].fd <= hi)
			dircache[i].fd = -1;
	atomic_flag_clear(&dir_lock);
}

static void
dir_remember(int fd, const char *path, size_t len)
{
	unsigned i;

	if (!dir_lock_try())
		return;
	i = dir_next++ % DIRCACHE;
	memcpy(dircache[i].path, path, len + 1);
	dircache[i].len = len;
	dircache[i].fd = fd;
	atomic_flag_clear(&dir_lock);
}

/* dir's path + "/" + rel into buf; the length, 0 when unknown. */
static size_t
dir_join(int dirfd, const char *rel, char *buf, size_t size)
{
	size_t len = 0, rl;
	int i;

	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	rl = strlen(rel);
	if (!dir_lock_try())
		return 0;
	for (i = 0; i < DIRCACHE; i++)
		if (dircache[i].fd == dirfd && dircache[i].len + rl + 2 <= size) {
			len = dircache[i].len;
			memcpy(buf, dircache[i].path, len);
			if (len == 0 || buf[len - 1] != '/')
				buf[len++] = '/';
			memcpy(buf + len, rel, rl + 1);
			len += rl;
			break;
		}
	atomic_flag_clear(&dir_lock);
	return len;
}

/*
 * Classify fd and cache the result.  path is the name the program opened
 * it by (relative to dirfd), or NULL for an fd seen first in a read or
 * write (inherited, or made by socket(), pipe(), accept(), ...); oflags
 * its open flags, or -1 when not known.  errno is preserved.
 */
fdent_t
fd_classify_open(int fd, int dirfd, const char *path, int oflags)
{
	int saved = errno, fl = oflags;
	struct stat st;
	unsigned cls, flags = FD_KNOWN, file = FILE_NONE, buf = BUF_NONE;
	char pbuf[PATH_MAX];
	size_t len = 0;
	fdent_t e;

	if (!shim_ready || real.fstat == NULL || real.fstat(fd, &st) != 0) {
		errno = saved;
		return FDE_MAKE(IW_OTHER, 0, FILE_NONE, BUF_NONE);
	}
	cls = class_of(fd, &st);
	if (fl == -1)
		fl = real.fcntl(fd, F_GETFL);
	if (fl != -1 && (fl & O_APPEND))
		flags |= FD_APPEND;
	if (cls <= IW_MEMFS) {
		/* files and directories have names worth knowing */
		if (path != NULL && path[0] == '/') {
			len = strnlen(path, sizeof(pbuf) - 1);
			memcpy(pbuf, path, len);
			pbuf[len] = '\0';
		} else if (path != NULL && path[0] != '\0' && dirfd != AT_FDCWD)
			len = dir_join(dirfd, path, pbuf, sizeof(pbuf));
		if (len == 0)
			len = fd_path(fd, pbuf, sizeof(pbuf));
	}
	/* rows are for files: regular files and block devices */
	if (len > 0 && !S_ISDIR(st.st_mode))
		file = file_row_for(pbuf, len, cls);
	if ((flags & FD_APPEND) && S_ISREG(st.st_mode) && cls == IW_DISK)
		buf = (unsigned)co_eligible(fd, len ? pbuf : NULL, fl, &st);
	if (buf != BUF_NONE)
		flags |= FD_COALESCE;
	else if (S_ISREG(st.st_mode) && cls == IW_DISK)
		flags |= FD_PEER;
	e = FDE_MAKE(cls, flags, file, buf);
	if (flags & FD_PEER)
		e = FDE_WITH_IHASH(e, inode_hash(st.st_dev, st.st_ino));
	fd_store(fd, e);
	if (len > 0 && S_ISDIR(st.st_mode))
		dir_remember(fd, pbuf, len);
	worker_ensure();
	errno = saved;
	return e;
}

/* dup2(from, to) and friends: to becomes what from is, without the shim flag. */
void
fd_copy(int from, int to)
{
	fdent_t e = fd_peek(from);

	if (!(e & FD_KNOWN)) {
		fd_forget(to);
		return;
	}
	e &= ~(fdent_t)FD_SHIM;
	if (FDE_BUF(e) != BUF_NONE)
		co_ref(FDE_BUF(e));
	fd_store(to, e);
}
