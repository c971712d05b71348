/*
 * ownfd.c - the shim's own long-lived descriptors in the program's fd
 * table (the collector socket, the report file kept across a privilege
 * drop): moved to a high number out of the program's way, marked as the
 * shim's (FD_SHIM: the program's close, dup, fcntl, read and write see
 * EBADF, close_range closes around them), and recorded with the identity
 * of what they refer to (device and inode).
 *
 * The program can still take such a number behind libc's back (a raw
 * dup2/dup3 or close system call, then an open that lands there);
 * answering EBADF then would lose what it writes.  So before a wrapper
 * answers EBADF it asks own_fd_still(): when the fd now refers to
 * something else the shim gives the number up (forgets it in the table;
 * its owner finds it gone before its next use, ownfd_valid) and the call
 * goes on as for any fd of the program's.
 *
 * Raw system calls only (statx: every ABI has it, 32-bit arm has no
 * newfstatat): these run in fatal-signal handlers too.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "shim.h"

/* the socket and report fds, and the coalescer's kept ones (KEEP_MAX) */
#define OWN_MAX	(4 + KEEP_MAX)

static struct {
	_Atomic int	fd;		/* -1: free, -2: being filled */
	dev_t		dev;
	ino_t		ino;
} own[OWN_MAX] = { [0 ... OWN_MAX - 1] = { -1, 0, 0 } };	/* GNU C */

/* What fd refers to now; -1 when it is not open.  errno is kept. */
static int
identity(int fd, dev_t *dev, ino_t *ino)
{
	struct statx st;
	int saved = errno, r;

	r = (int)syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
	    STATX_INO, &st);
	errno = saved;
	if (r != 0)
		return -1;
	*dev = makedev(st.stx_dev_major, st.stx_dev_minor);
	*ino = (ino_t)st.stx_ino;
	return 0;
}

static void
record(int fd, dev_t dev, ino_t ino)
{
	int i, none;

	for (i = 0; i < OWN_MAX; i++) {
		none = -1;
		if (atomic_compare_exchange_strong(&own[i].fd, &none, -2)) {
			own[i].dev = dev;
			own[i].ino = ino;
			atomic_store(&own[i].fd, fd);
			return;
		}
	}
}

static void
unrecord(int fd)
{
	int i;

	for (i = 0; i < OWN_MAX; i++)
		if (atomic_load(&own[i].fd) == fd)
			atomic_store(&own[i].fd, -1);
}

/*
 * Move fd to a high number (1000, or half the fd limit when that is below
 * 1024; where none is free there, fd stays where it is), close-on-exec,
 * and mark and record it as the shim's, of class cls.  Returns the new
 * fd and its identity in *st (st_dev and st_ino only), or -1 (fd closed)
 * when it cannot be looked at.
 */
int
ownfd_park(int fd, unsigned cls, struct stat *st)
{
	struct rlimit rl;
	long lo = 1000;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		lo = (long)rl.rlim_cur / 2;
	hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, lo);
	if (hi >= 0) {
		syscall(SYS_close, fd);
		fd = hi;
	}
	if (identity(fd, &st->st_dev, &st->st_ino) != 0) {
		syscall(SYS_close, fd);
		return -1;
	}
	fd_store(fd, FDE_MAKE(cls, FD_KNOWN | FD_SHIM, FILE_NONE, BUF_NONE));
	record(fd, st->st_dev, st->st_ino);
	return fd;
}

/*
 * A copy of the coalescer's fd, whose last descriptor the program is
 * closing while bytes of the file are held (coalesce.c, co_close): at a
 * high number, close-on-exec, the shim's.  Its file is dev/ino (known).
 * -1 when no number is free there.
 */
int
ownfd_keep(int fd, dev_t dev, ino_t ino)
{
	static long lo;
	struct rlimit rl;
	int hi;

	if (lo == 0) {
		lo = 1000;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
			lo = (long)rl.rlim_cur / 2;
	}
	hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, lo);
	if (hi < 0)
		return -1;
	fd_store(hi, FDE_MAKE(IW_DISK, FD_KNOWN | FD_SHIM, FILE_NONE, BUF_NONE));
	record(hi, dev, ino);
	return hi;
}

/*
 * Is fd still the shim's file dev/ino?  Not when the program took the
 * number (dup2 onto it clears FD_SHIM in the table) or closed it behind
 * libc's back (the inode differs, or none).
 */
int
ownfd_valid(int fd, dev_t dev, ino_t ino)
{
	dev_t d;
	ino_t i;

	return fd >= 0 && (FDE_FLAGS(fd_raw(fd)) & FD_SHIM) &&
	    identity(fd, &d, &i) == 0 && d == dev && i == ino;
}

/* Give fd up: closed when still ours, its table entry cleared then. */
void
ownfd_close(int fd, dev_t dev, ino_t ino)
{
	if (!ownfd_valid(fd, dev, ino))
		return;
	unrecord(fd);
	fd_forget(fd);
	syscall(SYS_close, fd);
}

/*
 * fd is marked as the shim's: is it still?  When it is not (or is no
 * longer open), its mark is dropped and 0 returned.  An fd marked but
 * not recorded (the record was full) is taken as ours.
 */
int
own_fd_still(int fd)
{
	dev_t d;
	ino_t ino;
	int i;

	for (i = 0; i < OWN_MAX; i++)
		if (atomic_load(&own[i].fd) == fd)
			break;
	if (i == OWN_MAX)
		return 1;
	if (identity(fd, &d, &ino) == 0 && d == own[i].dev && ino == own[i].ino)
		return 1;
	atomic_store(&own[i].fd, -1);
	fd_forget(fd);
	return 0;
}
