/*
 * debounce_hsweep.c - the hold files (common/dbhold.h) that killed
 * processes left in the spill directory: a complete state a save by
 * atomic replace committed (DBH_STATE) is written onto its target when
 * the target is absent or older (by mtime) than that save, the way the
 * worker would have (a hidden file of ours in the target's directory,
 * O_EXCL, the program's mode, one write, its mtime set to the save's,
 * then rename), else dropped; a temporary file's bytes (DBH_TEMP) go into
 * that file when it is still there, empty, the same inode.  Called where
 * debounce_sweep.c looks for hidden pending files: at start-up for the
 * patterns whose directory is no pattern, and at a target's first held
 * state.  Only hold files of this user whose process is gone; nothing in
 * them is trusted (sizes checked against the file, no link followed).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"
#include "dbhold.h"

struct dirent64_ {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

static uint64_t nsweep;

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = syscall(SYS_write, fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Is the target (absent, or a regular file older than the save at t)? */
static int
target_older(const char *path, const struct timespec *t)
{
	struct stat st;

	if (raw_stat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT;
	return S_ISREG(st.st_mode) && (st.st_mtim.tv_sec < t->tv_sec ||
	    (st.st_mtim.tv_sec == t->tv_sec && st.st_mtim.tv_nsec < t->tv_nsec));
}

/* A dead process's committed state h onto its target. */
static void
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
		return;
	if (snprintf(p, sizeof(p), "%.*s/.%s.ioshim-%d-s%llu",
	    (int)(base - h->path), h->path, base + 1, (int)getpid(),
	    (unsigned long long)nsweep++) >= (int)sizeof(p))
		return;
	fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (syscall(SYS_fchmod, fd, (mode_t)(h->mode & 07777)) != 0 ||
	    write_all(fd, data, (size_t)h->len) != 0 ||
	    syscall(SYS_utimensat, fd, NULL, t, 0) != 0 ||
	    syscall(SYS_renameat2, AT_FDCWD, p, AT_FDCWD, h->path, 0) != 0)
		syscall(SYS_unlinkat, AT_FDCWD, p, 0);
	syscall(SYS_close, fd);
}

/* A dead process's temporary file's bytes into it, when it is as left. */
static void
put_temp(const struct dbh_hdr *h, const char *data)
{
	struct stat st;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, h->path, O_WRONLY |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	if (raw_stat(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0 && st.st_uid == geteuid() &&
	    (uint64_t)st.st_dev == h->dev && (uint64_t)st.st_ino == h->ino)
		(void)write_all(fd, data, (size_t)h->len);
	syscall(SYS_close, fd);
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
	return raw_stat(AT_FDCWD, d, &st, 0) != 0 && errno == ENOENT;
}

/*
 * Hold file name of directory dfd: a dead process's, for target (or a
 * target glob matches; a temporary file of the target's, or the glob's,
 * directory)?  Then written as above and removed.
 */
static void
sweep_hold(int dfd, const char *name, const char *target, const char *glob)
{
	struct dbh_hdr *h;
	struct stat st;
	const char *d = target ? target : glob;
	size_t dn = (size_t)(strrchr(d, '/') - d);
	long pid;
	char *end;
	int fd, mine = 0;
	uint32_t state;

	if (name[0] != 'd' || name[1] != '.' ||
	    (pid = strtol(name + 2, &end, 10)) <= 0 || *end != '.' ||
	    pid == (long)getpid())
		return;
	if (syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno != ESRCH)
		return;		/* alive, or not ours to know */
	fd = (int)syscall(SYS_openat, dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return;
	if (raw_stat(fd, "", &st, AT_EMPTY_PATH) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_size < (off_t)DBH_HDR ||
	    (h = RAW_MMAP(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		syscall(SYS_close, fd);
		return;
	}
	syscall(SYS_close, fd);
	state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	if (memcmp(h->magic, DBH_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != DBH_VERSION || h->hdr_size != DBH_HDR ||
	    h->len > h->cap || h->len > (uint64_t)st.st_size - DBH_HDR ||
	    memchr(h->path, '\0', sizeof(h->path)) == NULL || h->path[0] != '/')
		mine = 0;
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
		put_state(h, (const char *)h + DBH_HDR);
	else if (mine == 1 && state == DBH_TEMP)
		put_temp(h, (const char *)h + DBH_HDR);
	munmap(h, (size_t)st.st_size);
	if (mine)
		syscall(SYS_unlinkat, dfd, name, 0);
}

/*
 * Under the debounce lock (or at start-up): the spill directory's hold
 * files of dead processes for target (or, target NULL, for any file glob
 * matches).  Of one target's several, older ones are dropped against the
 * target's mtime, which each written one sets to its save's.
 */
void
dbh_sweep(const char *target, const char *glob)
{
	char buf[4096];
	struct dirent64_ *de;
	const char *dir;
	size_t off;
	long got;
	int dfd, saved = errno;

	if ((dir = spill_dir_now()) == NULL)
		return;
	dfd = (int)syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		errno = saved;
		return;
	}
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)got; off += de->d_reclen) {
			de = (struct dirent64_ *)(buf + off);
			sweep_hold(dfd, de->d_name, target, glob);
		}
	syscall(SYS_close, dfd);
	errno = saved;
}
