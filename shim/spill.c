/*
 * spill.c - coalescing buffers that outlive the process: each is a file
 * on tmpfs in a directory only its user can enter, mapped MAP_SHARED,
 * whose fd is closed at once (the mapping keeps the file).  When the
 * process is killed without running any code (SIGKILL, the OOM killer),
 * its held bytes stay there with a header (common/spill.h) that says
 * whose they are and how far a flush got, and a salvager (`ioshim
 * salvage`) appends them to their file.  When the process ends any other
 * way the shim writes its bytes and removes its spills itself.
 *
 * The directory: /run/ioshim/UID (0700, owned by UID: made by ioshimd, or
 * here for root), else /dev/shm/ioshim-UID, made here 0700.  Either must
 * be a directory on tmpfs (a spill on a disk would be written to it),
 * owned by the user, mode 0700, reached without a symlink; it is checked
 * once per process.  None usable: the coalescer's buffers are anonymous
 * memory, as before, and the report says so.  logind removes a user's
 * /dev/shm files at their last logout (RemoveIPC=yes): spills there do
 * not survive it (docs/coalescing.md).
 *
 * Called with the coalescer's lock held, or from a fatal-signal handler:
 * raw system calls only, no allocation.  Making a spill opens a file for
 * a moment: a thread of the program opening a file in that instant gets
 * the next number (as for any short-lived fd a library opens).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "shim.h"
#include "salvage.h"
#include "spill.h"

static char dir[64];		/* the spill directory */
static SHIM_HOT _Atomic int dir_state;	/* 0 not looked at, 1 usable, -1 none;
				 * set after dir, read without the lock */
static uint64_t my_start, my_pidns;
static unsigned counter;
static _Atomic unsigned spills_now;	/* this process's spill files */

/* A directory we may keep spills in: ours, 0700, on tmpfs, no symlink. */
static int
dir_ok(const char *d, uid_t uid)
{
	struct stat st;
	struct statfs sf;
	int fd, ok;

	fd = shim_raw_open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ok = syscall(SYS_fstatfs, fd, &sf) == 0 &&
	    ((unsigned long)sf.f_type == TMPFS_MAGIC ||
	    (unsigned long)sf.f_type == RAMFS_MAGIC) &&
	    raw_stat(fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == uid &&
	    (st.st_mode & 07777) == 0700;
	syscall(SYS_close, fd);
	return ok;
}

static uid_t dir_uid;		/* whose the directory is */

/*
 * Find (or make) the spill directory: once per process, and again when
 * the process has taken another identity since (an nginx worker forked
 * by its root master drops to its own user: root's directory is not its
 * to write, and a spill there could not be made).
 */
static int
spill_dir(void)
{
	uid_t uid = (uid_t)syscall(SYS_geteuid);

	if (atomic_load(&dir_state) != 0 && uid == dir_uid)
		return atomic_load(&dir_state) > 0;
	dir_uid = uid;
	if (shim_secure) {
		atomic_store(&dir_state, -1);
		return 0;
	}
	if (uid == 0) {
		syscall(SYS_mkdirat, AT_FDCWD, "/run/ioshim", 0755);
		syscall(SYS_mkdirat, AT_FDCWD, "/run/ioshim/0", 0700);
	}
	snprintf(dir, sizeof(dir), "/run/ioshim/%u", (unsigned)uid);
	if (dir_ok(dir, uid)) {
		atomic_store(&dir_state, 1);
		return 1;
	}
	snprintf(dir, sizeof(dir), "/dev/shm/ioshim-%u", (unsigned)uid);
	syscall(SYS_mkdirat, AT_FDCWD, dir, 0700);
	atomic_store(&dir_state, dir_ok(dir, uid) ? 1 : -1);
	return atomic_load(&dir_state) > 0;
}

/* Where spills go ("" when none): for the report. */
const char *
spill_where(void)
{
	return atomic_load(&dir_state) > 0 ? dir : "";
}

/* The inode of our PID namespace, 0 when unknown. */
static uint64_t
pidns(void)
{
	char buf[64];
	ssize_t n;
	unsigned long long v = 0;

	n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/ns/pid", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	sscanf(buf, "pid:[%llu]", &v);
	return v;
}

/* fd's file's birth time in ns, 0 when the file system keeps none. */
static uint64_t
birth(int fd)
{
	struct statx st;

	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
	    STATX_BTIME, &st) != 0 || !(st.stx_mask & STATX_BTIME))
		return 0;
	return (uint64_t)st.stx_btime.tv_sec * 1000000000u + st.stx_btime.tv_nsec;
}

/*
 * A new file of size bytes in the spill directory, named KIND.PID.N (its
 * name into name[nsz]), mapped MAP_SHARED; its fd is closed at once.
 * NULL when none can be made.  Also for debounce_hold.c ('d').
 */
void *
spill_map_new(char kind, size_t size, char *name, size_t nsz)
{
	int sfd = -1, i, saved = errno;
	void *p;

	if (!spill_dir())
		goto none;
	for (i = 0; i < 8 && sfd < 0; i++) {
		snprintf(name, nsz, "%s/%c.%d.%u", dir, kind, (int)getpid(),
		    counter++);
		sfd = shim_raw_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (sfd < 0 && errno != EEXIST)
			break;
	}
	if (sfd < 0)
		goto none;
	if (syscall(SYS_ftruncate, sfd, (off_t)size) != 0 ||
	    (p = RAW_MMAP(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    sfd, 0)) == MAP_FAILED) {
		syscall(SYS_close, sfd);
		syscall(SYS_unlinkat, AT_FDCWD, name, 0);
		goto none;
	}
	syscall(SYS_close, sfd);
	atomic_fetch_add(&spills_now, 1);
	errno = saved;
	return p;
none:
	name[0] = '\0';
	errno = saved;
	return NULL;
}

/* A file of spill_map_new's is no longer needed. */
void
spill_map_free(void *p, size_t size, const char *name)
{
	int saved = errno;

	syscall(SYS_unlinkat, AT_FDCWD, name, 0);
	atomic_fetch_sub(&spills_now, 1);
	munmap(p, size);
	errno = saved;
}

/* The spill directory, found (or made) now; NULL when there is none. */
const char *
spill_dir_now(void)
{
	return spill_dir() ? dir : NULL;
}

/*
 * A new spill of room for cap bytes, for the file dev/ino appended to
 * through fd.  The header's address (the data follow at SP_HDR), its file
 * name in name[size]; NULL when none can be made (the caller takes
 * anonymous memory).
 */
struct spill_hdr *
spill_new(int fd, dev_t dev, ino_t ino, uint32_t cap, char *name, size_t size)
{
	struct spill_hdr *h;
	char link[32];
	int saved = errno;
	ssize_t n;

	if ((h = spill_map_new('s', SP_HDR + cap, name, size)) == NULL)
		return NULL;
	if (my_start == 0)
		my_start = proc_stat_field(22, NULL);
	if (my_pidns == 0)
		my_pidns = pidns();
	memcpy(h->magic, SP_MAGIC, sizeof(h->magic));
	h->version = SP_VERSION;
	h->hdr_size = SP_HDR;
	h->cap = cap;
	h->uid = (uint32_t)syscall(SYS_geteuid);
	h->pid = (int32_t)getpid();
	h->start_ticks = my_start;
	h->pidns = my_pidns;
	h->dev = (uint64_t)dev;
	h->ino = (uint64_t)ino;
	h->btime = birth(fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, h->path, sizeof(h->path) - 1);
	h->path[n > 0 ? n : 0] = '\0';
	errno = saved;
	return h;
}

/* Room for cap bytes (more than now); the header's new address or NULL. */
struct spill_hdr *
spill_grow(struct spill_hdr *h, const char *name, uint32_t cap)
{
	int sfd, saved = errno;
	void *p = MAP_FAILED;

	sfd = shim_raw_open(name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
	if (sfd >= 0) {
		if (syscall(SYS_ftruncate, sfd, (off_t)(SP_HDR + cap)) == 0)
			p = mremap(h, SP_HDR + h->cap, SP_HDR + cap, MREMAP_MAYMOVE);
		syscall(SYS_close, sfd);
	}
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	h = p;
	h->cap = cap;
	return h;
}

/* The spill is no longer needed (its bytes are written or given up). */
void
spill_free(struct spill_hdr *h, const char *name)
{
	int saved = errno;
	uint32_t cap = h->cap;

	syscall(SYS_unlinkat, AT_FDCWD, name, 0);
	atomic_fetch_sub(&spills_now, 1);
	munmap(h, SP_HDR + cap);
	errno = saved;
}

/* A forked child: the parent's spills are not its own. */
void
spill_forget(struct spill_hdr *h)
{
	int saved = errno;

	munmap(h, SP_HDR + h->cap);
	errno = saved;
}

/*
 * The worker's first act in a process: the spills of its user's writers
 * that were killed (a restarted service's predecessor) are written to
 * their files, before this process's own held bytes.  Only when the
 * directory (known by now: the first held byte made a spill) has more
 * than our own entry; tmpfs counts 20 bytes of a directory's size for
 * each entry.  The files it opens are open for a moment on the worker
 * thread (docs/coalescing.md).
 */
static _Atomic int salvaged;	/* 0 not yet, 1 under way, 2 done */

/* DIR/kept is there (one more entry of the directory). */
static int
kept_exists(void)
{
	char k[sizeof(dir) + 8];
	struct statx st;

	snprintf(k, sizeof(k), "%s/kept", dir);
	return syscall(SYS_statx, AT_FDCWD, k, AT_SYMLINK_NOFOLLOW, STATX_TYPE,
	    &st) == 0;
}
HIDDEN uint64_t spill_salvaged_n, spill_salvaged_bytes;

void
spill_salvage_startup(void)
{
	struct salvage_stats ss;
	struct statx st;
	int z = 0, saved = errno;

	if (likely(atomic_load(&salvaged) == 2) || atomic_load(&dir_state) <= 0 ||
	    !atomic_compare_exchange_strong(&salvaged, &z, 1))
		return;
	/* entries beyond our own spills (and DIR/kept): others' */
	if (syscall(SYS_statx, AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_SIZE,
	    &st) == 0 && st.stx_size > 40 + 20 * (uint64_t)(spills_now +
	    kept_exists())) {
		memset(&ss, 0, sizeof(ss));
		ss.own_only = 1;
		ss.aside = 1;
		salvage_dir(dir, 0, &ss);
		__atomic_fetch_add(&spill_salvaged_n, ss.salvaged, __ATOMIC_RELAXED);
		__atomic_fetch_add(&spill_salvaged_bytes, ss.bytes, __ATOMIC_RELAXED);
	}
	atomic_store(&salvaged, 2);
	errno = saved;
}

/*
 * The image ends before its worker salvaged (a short-lived process): the
 * salvage is made now, here on a normal end; from _exit or a fatal
 * signal (perhaps in a signal handler, where nothing may allocate) by the
 * worker, woken for it.  Either way the end waits for it, at most 10 s
 * (a salvager that ends midway is followed by the next one, which goes
 * on from its last recorded 4 KiB).
 */
SHIM_ONCE void
spill_salvage_end(int in_handler)
{
	int i;

	if (atomic_load(&dir_state) <= 0 || atomic_load(&salvaged) == 2)
		return;
	if (!in_handler)
		spill_salvage_startup();
	else if (!worker_wake())
		return;		/* no worker: none is started here */
	for (i = 0; atomic_load(&salvaged) != 2 && i < 5000; i++)
		usleep(2000);
}

/* A forked child is another process: its own start time in new spills. */
void
spill_after_fork(void)
{
	my_start = 0;
	atomic_store(&spills_now, 0);	/* the parent's are let go */
	atomic_store(&salvaged, 2);	/* the parent looks */
	spill_salvaged_n = spill_salvaged_bytes = 0;
}
