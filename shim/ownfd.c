/*
 * ownfd.c - the shim's own descriptors, and whether an fd number still
 * is one.
 *
 * The fd table marks the shim's fds (FD_SHIM) so that the program cannot
 * close, read, write or dup them: such calls answer EBADF, as if the fd
 * were not open.  But the program can take the number behind libc's back
 * (a raw dup2/dup3 or close system call, then an open that lands there);
 * answering EBADF then would lose what it writes.  So each own fd is
 * recorded with the identity of what it refers to (device and inode), and
 * before a wrapper answers EBADF it asks own_fd_still(): when the fd now
 * refers to something else the shim gives the number up (forgets it in
 * the table, and its owner finds it gone before its next use) and the
 * call goes on as for any fd of the program's.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

#define OWN_MAX	4

static struct {
	_Atomic int	fd;		/* -1: free */
	uint32_t	dev_major, dev_minor;
	uint64_t	ino;
} own[OWN_MAX] = { { -1, 0, 0, 0 }, { -1, 0, 0, 0 }, { -1, 0, 0, 0 },
    { -1, 0, 0, 0 } };

/* What fd refers to now; -1 when it is not open.  Raw: safe anywhere. */
static int
identity(int fd, struct statx *st)
{
	int saved = errno, r;

	r = (int)syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
	    STATX_INO, st);
	errno = saved;
	return r;
}

/* fd (made by the shim) becomes one of its own; 0 on success. */
int
own_fd_add(int fd, unsigned cls)
{
	struct statx st;
	int i, none = -1;

	fd_store(fd, FDE_MAKE(cls, FD_KNOWN | FD_SHIM, FILE_NONE, BUF_NONE));
	if (identity(fd, &st) != 0)
		return -1;	/* marked, not recorded: taken as ours */
	for (i = 0; i < OWN_MAX; i++) {
		none = -1;
		if (atomic_compare_exchange_strong(&own[i].fd, &none, -2))
			break;
	}
	if (i == OWN_MAX)
		return -1;
	own[i].dev_major = st.stx_dev_major;
	own[i].dev_minor = st.stx_dev_minor;
	own[i].ino = st.stx_ino;
	atomic_store(&own[i].fd, fd);
	return 0;
}

/* The shim gives fd up (it closed it, or the program took it). */
void
own_fd_del(int fd)
{
	int i;

	for (i = 0; i < OWN_MAX; i++)
		if (atomic_load(&own[i].fd) == fd)
			atomic_store(&own[i].fd, -1);
}

/*
 * fd is marked as the shim's: is it still?  When it is not (or is no
 * longer open), its mark is dropped and 0 returned.  An fd marked but
 * not recorded here (made before the record existed) is taken as ours.
 */
int
own_fd_still(int fd)
{
	struct statx st;
	int i;

	for (i = 0; i < OWN_MAX; i++)
		if (atomic_load(&own[i].fd) == fd)
			break;
	if (i == OWN_MAX)
		return 1;
	if (identity(fd, &st) == 0 && st.stx_ino == own[i].ino &&
	    st.stx_dev_major == own[i].dev_major &&
	    st.stx_dev_minor == own[i].dev_minor)
		return 1;
	atomic_store(&own[i].fd, -1);
	fd_forget(fd);
	return 0;
}
