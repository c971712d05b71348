/*
 * dbhsweep.c - the debounce hold files (common/dbhold.h) that killed
 * processes left in a spill directory: a complete state a save by atomic
 * replace committed (DBH_STATE) is written onto its target when the
 * target is absent or older (by mtime) than that save, the way the shim's
 * worker would have (a hidden file in the target's directory, O_EXCL, the
 * program's mode, one write, its mtime set to the save's, then rename),
 * else dropped; a temporary file's bytes (DBH_TEMP) go into that file
 * when it is still there, empty, the same inode; a hold whose directory
 * is gone is removed.  Only hold files of the caller's euid whose process
 * is gone; nothing in them is trusted (sizes checked against the file, no
 * link followed, every file opened with the caller's rights: a salvager
 * running as root calls this as the directory's owner).
 *
 * Built twice: into the shim (shim/debounce_hsweep.c, DBH_IN_SHIM: raw
 * system calls, neither counted nor held), where the next process
 * debouncing a target looks for its dead predecessors' states, and into
 * ioshimd (collector/salvager.c), which writes them with no next process.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "dbhold.h"
#include "dbhsweep.h"

#ifdef DBH_IN_SHIM
#define HS_OPENAT(d, p, f, m)	((int)syscall(SYS_openat, d, p, f, m))
#define HS_FSTAT(fd, st)	raw_stat(fd, "", st, AT_EMPTY_PATH)
#define HS_LSTAT(p, st)		raw_stat(AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW)
#define HS_STAT(p, st)		raw_stat(AT_FDCWD, p, st, 0)
#define HS_MMAP			RAW_MMAP
#define HS_WRITE(fd, p, n)	syscall(SYS_write, fd, p, n)
#define HS_PREAD(fd, p, n, o)	syscall(SYS_pread64, fd, p, n, o)
#define HS_CLOSE(fd)		syscall(SYS_close, fd)
#define HS_UNLINKAT(d, p)	syscall(SYS_unlinkat, d, p, 0)
#define HS_RENAME(a, b)		syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0)
#define HS_FCHMOD(fd, m)	syscall(SYS_fchmod, fd, m)
#define HS_FUTIMENS(fd, t)	syscall(SYS_utimensat, fd, NULL, t, 0)
#define HS_KILL(pid)		syscall(SYS_kill, pid, 0)
#else
#define HS_OPENAT		openat
#define HS_FSTAT		fstat
#define HS_LSTAT		lstat
#define HS_STAT			stat
#define HS_MMAP			mmap
#define HS_WRITE		write
#define HS_PREAD		pread
#define HS_CLOSE		close
#define HS_UNLINKAT(d, p)	unlinkat(d, p, 0)
#define HS_RENAME		rename
#define HS_FCHMOD		fchmod
#define HS_FUTIMENS		futimens
#define HS_KILL(pid)		kill(pid, 0)
#endif

static uint64_t nsweep;

/* One write of n bytes (at most a hold's 1 MiB, to a regular file: a
 * short one is a full disk, taken as a failure). */
static int
write_once(int fd, const char *p, size_t n)
{
	return HS_WRITE(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* Is the target (absent, or a regular file older than the save at t)? */
static int
target_older(const char *path, const struct timespec *t)
{
	struct stat st;

	if (HS_LSTAT(path, &st) != 0)
		return errno == ENOENT;
	return S_ISREG(st.st_mode) && (st.st_mtim.tv_sec < t->tv_sec ||
	    (st.st_mtim.tv_sec == t->tv_sec && st.st_mtim.tv_nsec < t->tv_nsec));
}

/* A dead process's committed state h onto its target: 1 when written. */
static int
put_state(const struct dbh_hdr *h, const char *data)
{
	char p[PATH_MAX];
	struct timespec t[2];
	const char *base = strrchr(h->path, '/');
	int fd;

	t[0].tv_sec = t[1].tv_sec = h->mtime_sec;
	t[0].tv_nsec = t[1].tv_nsec = h->mtime_nsec;
	if (base == NULL || base[1] == '\0' || t[0].tv_nsec < 0 ||
	    t[0].tv_nsec >= 1000000000 || !target_older(h->path, &t[0]))
		return 0;
	if (snprintf(p, sizeof(p), "%.*s/.%s.ioshim-%d-s%llu",
	    (int)(base - h->path), h->path, base + 1, (int)getpid(),
	    (unsigned long long)nsweep++) >= (int)sizeof(p))
		return 0;
	fd = HS_OPENAT(AT_FDCWD, p, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	if (HS_FCHMOD(fd, (mode_t)(h->mode & 07777)) != 0 ||
	    write_once(fd, data, (size_t)h->len) != 0 ||
	    HS_FUTIMENS(fd, t) != 0 ||
	    HS_RENAME(p, h->path) != 0) {
		HS_UNLINKAT(AT_FDCWD, p);
		HS_CLOSE(fd);
		return 0;
	}
	HS_CLOSE(fd);
	return 1;
}

/* A dead process's temporary file's bytes into it, when it is as left. */
static void
put_temp(const struct dbh_hdr *h, const char *data)
{
	struct stat st;
	int fd = HS_OPENAT(AT_FDCWD, h->path, O_WRONLY |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);

	if (fd < 0)
		return;
	if (HS_FSTAT(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0 && st.st_uid == geteuid() &&
	    (uint64_t)st.st_dev == h->dev && (uint64_t)st.st_ino == h->ino)
		(void)write_once(fd, data, (size_t)h->len);
	HS_CLOSE(fd);
}

/* Is path's directory d (length n)? */
static int
in_dir(const char *path, const char *d, size_t n)
{
	const char *s = strrchr(path, '/');

	return s != NULL && (size_t)(s - path) == n && memcmp(path, d, n) == 0;
}

/* Is the directory of path gone?  (A hold for it is only removed.) */
static int
dir_gone(const char *path)
{
	char d[PATH_MAX];
	struct stat st;
	const char *s = strrchr(path, '/');

	if (s == NULL || s == path || (size_t)(s - path) >= sizeof(d))
		return 0;
	memcpy(d, path, (size_t)(s - path));
	d[s - path] = '\0';
	return HS_STAT(d, &st) != 0 && errno == ENOENT;
}

/*
 * Hold file name of directory dfd: a dead process's, for target (or a
 * target glob matches; a temporary file of the target's, or the glob's,
 * directory)?  Then written as above and removed.
 */
static int
sweep_hold(int dfd, const char *name, const char *target, const char *glob)
{
	struct dbh_hdr *h;
	struct stat st;
	const char *d = target ? target : glob;
	size_t dn = d ? (size_t)(strrchr(d, '/') - d) : 0;
	long pid;
	char *end;
	int fd, mine = 0, wrote = 0;
	uint32_t state;

	if (name[0] != 'd' || name[1] != '.' ||
	    (pid = strtol(name + 2, &end, 10)) <= 0 || *end != '.' ||
	    pid == (long)getpid())
		return 0;
	if (HS_KILL((pid_t)pid) == 0 || errno != ESRCH)
		return 0;		/* alive, or not ours to know */
	fd = HS_OPENAT(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	/* a copy, not a mapping of the file: one cut short meanwhile (its
	 * owner may truncate it) would raise SIGBUS in whoever reads it */
	if (HS_FSTAT(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_size < (off_t)DBH_HDR ||
	    st.st_size > (off_t)(DBH_HDR + 2 * DBH_CAP) ||
	    (h = HS_MMAP(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		HS_CLOSE(fd);
		return 0;
	}
	if (HS_PREAD(fd, h, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
		HS_CLOSE(fd);
		munmap(h, (size_t)st.st_size);
		return 0;
	}
	HS_CLOSE(fd);
	state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	if (memcmp(h->magic, DBH_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != DBH_VERSION || h->hdr_size != DBH_HDR ||
	    h->len > h->cap || h->len > (uint64_t)st.st_size - DBH_HDR ||
	    memchr(h->path, '\0', sizeof(h->path)) == NULL || h->path[0] != '/')
		mine = 0;
	else if (d == NULL)
		mine = 1;	/* a salvager's: every target */
	else if (state == DBH_STATE)
		mine = target ? strcmp(h->path, target) == 0 :
		    fnmatch(glob, h->path, FNM_PATHNAME) == 0;
	else if (state == DBH_TEMP)
		mine = in_dir(h->path, d, dn);
	else
		mine = 1;	/* nothing held: only removed */
	if (!mine && h->path[0] == '/' && memchr(h->path, '\0',
	    sizeof(h->path)) != NULL && dir_gone(h->path))
		mine = 2;	/* its directory is gone: nowhere to write */
	if (mine == 1 && state == DBH_STATE)
		wrote = put_state(h, (const char *)h + DBH_HDR);
	else if (mine == 1 && state == DBH_TEMP)
		put_temp(h, (const char *)h + DBH_HDR);
	munmap(h, (size_t)st.st_size);
	if (mine)
		HS_UNLINKAT(dfd, name);
	return wrote;
}

/*
 * The hold files in dir (a spill directory) of dead processes for target
 * (or, target NULL, for any file glob matches; both NULL: for any file).
 * Of one target's several, older ones are dropped against the target's
 * mtime, which each written one sets to its save's.  Returns the states
 * written onto targets; -1 when dir cannot be opened.
 */
int
dbh_sweep_dir(const char *dir, const char *target, const char *glob)
{
	char buf[4096];
	struct dbh_dirent *de;
	size_t off;
	long got;
	int dfd, n = 0;

	dfd = HS_OPENAT(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC, 0);
	if (dfd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)got; off += de->d_reclen) {
			de = (struct dbh_dirent *)(buf + off);
			n += sweep_hold(dfd, de->d_name, target, glob);
		}
	HS_CLOSE(dfd);
	return n;
}
