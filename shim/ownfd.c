/*
 * ownfd.c - the shim's own long-lived descriptors in the program's fd
 * table (the collector socket, the report file kept across a privilege
 * drop): moved to a high number out of the program's way, marked as the
 * shim's (FD_SHIM: the program's close, dup, fcntl, read and write see
 * EBADF, close_range closes around them), and checked to still be the
 * same file before each use.
 *
 * Raw system calls only: these run in fatal-signal handlers too.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

/*
 * Move fd to a high number (1000, or half the fd limit when that is below
 * 1024; where none is free there, fd stays where it is), close-on-exec,
 * and mark it in the table as the shim's, of class cls.  Returns the new
 * fd and its identity in *st, or -1 (fd closed) when it cannot be
 * looked at.
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
	if (RAW_FSTATAT(fd, "", st, AT_EMPTY_PATH) != 0) {
		syscall(SYS_close, fd);
		return -1;
	}
	fd_store(fd, FDE_MAKE(cls, FD_KNOWN | FD_SHIM, FILE_NONE, BUF_NONE));
	return fd;
}

/*
 * Is fd still the shim's file dev/ino?  Not when the program took the
 * number (dup2 onto it clears FD_SHIM in the table) or closed it behind
 * libc's back (the inode differs, or none).
 */
int
ownfd_valid(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	return fd >= 0 && (FDE_FLAGS(fd_raw(fd)) & FD_SHIM) &&
	    RAW_FSTATAT(fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    st.st_dev == dev && st.st_ino == ino;
}

/* Give fd up: closed when still ours, its table entry cleared then. */
void
ownfd_close(int fd, dev_t dev, ino_t ino)
{
	if (!ownfd_valid(fd, dev, ino))
		return;
	fd_forget(fd);
	syscall(SYS_close, fd);
}
