/*
 * reportfd.c - where an exit record goes: the report file opened without
 * ever blocking the program (O_NONBLOCK, O_NOFOLLOW, regular files only,
 * created 0600), kept open from the first privilege drop on (a process
 * that gives up root can no longer open a file root made), locked for
 * the record with a bounded wait, and the records that could not be
 * written counted: the next record written in the same process tree
 * carries the count ("dropped").
 *
 * The count lives in one shared page made at the image's first fork, so
 * a forked child's lost record is counted in its parent's (nginx's
 * workers and master); before any fork it is the process's own.
 *
 * Raw system calls only: this runs in fatal-signal handlers too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shim.h"

#define LOCK_WAIT_NS	500000000ull	/* give up the lock after 0.5 s */
#define LOCK_PAUSE_MAX	32000000l	/* longest pause between tries */

static int kept_fd = -1;		/* opened at a privilege drop */
static dev_t kept_dev;
static ino_t kept_ino;
static atomic_int keeping;		/* kept_fd is being made, or made */

static _Atomic uint64_t local_drops;	/* until the first fork */
static _Atomic uint64_t *shared_drops;	/* from then on: the tree's */

static _Atomic uint64_t *
drops(void)
{
	_Atomic uint64_t *p = shared_drops;

	return p != NULL ? p : &local_drops;
}

/* Before the first fork: the count goes to a page the children share. */
static void
share_drops(void)
{
	void *p;

	if (shared_drops != NULL)
		return;
	p = RAW_MMAP(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	*(_Atomic uint64_t *)p = atomic_exchange(&local_drops, 0);
	shared_drops = p;
}

/* The constructor: only an image that writes a report shares a count. */
SHIM_ONCE void
report_init(void)
{
	if (cfg.report[0] != '\0')
		shim_atfork(share_drops, NULL, NULL);
}

/*
 * Open the report: a regular file, or nothing.  Something else at the
 * path (a FIFO, a device, a symlink) is refused without being opened, and
 * looked at again after the open (it may have been swapped meanwhile):
 * opening a FIFO with no reader fails at once with O_NONBLOCK.
 */
static int
report_open(struct stat *st)
{
	int fd;

	if (raw_stat(AT_FDCWD, cfg.report, st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st->st_mode))
		return -1;
	fd = shim_raw_open(cfg.report, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (raw_stat(fd, "", st, AT_EMPTY_PATH) != 0 || !S_ISREG(st->st_mode)) {
		syscall(SYS_close, fd);
		return -1;
	}
	return fd;
}

/*
 * The process is about to give up privilege (wrap_cred.c): open the
 * report now, while it still can, and keep it for the image's record.
 */
void
report_keep(void)
{
	struct stat st;
	int saved = errno, fd;

	if (cfg.report[0] == '\0' || atomic_exchange(&keeping, 1))
		return;
	if ((fd = report_open(&st)) >= 0 &&
	    (fd = ownfd_park(fd, IW_OTHER, &st)) >= 0) {
		kept_dev = st.st_dev;
		kept_ino = st.st_ino;
		kept_fd = fd;
	} else
		atomic_store(&keeping, 0);	/* try again at the next drop */
	errno = saved;
}

/* The kept fd, when it is still ours. */
static int
kept_usable(void)
{
	if (kept_fd < 0)
		return 0;
	if (ownfd_valid(kept_fd, kept_dev, kept_ino))
		return 1;
	kept_fd = -1;		/* taken by the program: its fd now */
	atomic_store(&keeping, 0);
	return 0;
}

static void
pause_ns(long ns)
{
	struct timespec ts = { 0, ns };

	syscall(SYS_nanosleep, &ts, NULL);
}

/*
 * Lock the file for one record, waiting at most LOCK_WAIT_NS.  A kept fd
 * is shared with the children forked after the drop, and flock(2) locks
 * belong to the open file, so those take a POSIX lock (which belongs to
 * the process) first; a fd opened by path needs flock only, which is
 * what every writer of the file takes.
 */
static int
lock_record(int fd, int kept)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	uint64_t deadline = shim_now_ns() + LOCK_WAIT_NS;
	long pause = 1000000;

	for (;;) {
		if (!kept || syscall(SYS_fcntl, fd, F_SETLK, &fl) == 0) {
			if (syscall(SYS_flock, fd, LOCK_EX | LOCK_NB) == 0)
				return 0;
			if (kept)
				syscall(SYS_fcntl, fd, F_SETLK, &un);
		}
		if (errno != EWOULDBLOCK && errno != EAGAIN &&
		    errno != EACCES && errno != EINTR)
			return -1;
		if (shim_now_ns() >= deadline)
			return -1;
		pause_ns(pause);
		if (pause < LOCK_PAUSE_MAX)
			pause *= 2;
	}
}

static void
unlock_record(int fd, int kept)
{
	struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	syscall(SYS_flock, fd, LOCK_UN);
	if (kept)
		syscall(SYS_fcntl, fd, F_SETLK, &un);
}

/*
 * Open (or take the kept fd) and lock for one record.  0 and d filled in,
 * with the count of lost records the record carries; -1 when the record
 * cannot be written (counted).
 */
int
report_begin(struct report_dest *d)
{
	struct stat st;

	d->kept = kept_usable();
	d->fd = d->kept ? kept_fd : report_open(&st);
	if (d->fd < 0)
		goto lost;
	if (lock_record(d->fd, d->kept) != 0) {
		if (!d->kept)
			syscall(SYS_close, d->fd);
		goto lost;
	}
	/* where the record starts: a record cut short is taken back */
	d->start = raw_stat(d->fd, "", &st, AT_EMPTY_PATH) == 0 ?
	    st.st_size : -1;
	d->dropped = atomic_exchange(drops(), 0);
	return 0;
lost:
	atomic_fetch_add(drops(), 1);
	return -1;
}

/* The record is written (ok) or not: unlock, and count it when not. */
void
report_end(struct report_dest *d, int ok)
{
	if (!ok) {
		if (d->start >= 0)
			syscall(SYS_ftruncate, d->fd, (off_t)d->start);
		atomic_fetch_add(drops(), d->dropped + 1);
	}
	unlock_record(d->fd, d->kept);
	if (!d->kept)
		syscall(SYS_close, d->fd);
}
