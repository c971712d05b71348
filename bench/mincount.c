/*
 * mincount.c - a lower bound for counting tar per file: the least a
 * preloaded library can do to know, for the calls tar makes per file
 * (openat relative to a directory fd, fstat, fstatat, read, write,
 * close), each call's class, bytes and count, and per file its path,
 * opens, reads, writes, bytes, write time and write-size histogram.
 *
 * Not a shim: one thread, fds below 256, paths below 248 bytes, no
 * coalescer, no report, no collector, no fork or exec handling, no
 * errno care beyond making no failing call.  What it costs tar is what
 * libioshim could cost at best if it did nothing but the counting the
 * issue asks for (bench/run section 2, docs/PERFORMANCE.md).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../common/cpu_ticks.h"

#define EXPORT	__attribute__((visibility("default")))
#define NFD	256
#define ROWS	1024		/* row 0: (other) */
#define SLOTS	8192		/* hash slots, a power of two */

enum { C_DISK, C_MEMFS, C_SOCKET, C_PIPE, C_TTY, C_OTHER, NCLS };

struct row {
	uint64_t opens, reads, read_bytes, writes, write_bytes, write_ticks;
	uint64_t sizes[6];
	const char *path;
};

/* per fd: state, class, row, and a directory's or pending file's path */
struct fdslot {
	uint8_t known, dir, cls;
	uint16_t row, len;
	char path[248];
};

/* the next definitions, resolved in the constructor from names[] */
enum { N_OPENAT, N_OPENAT_2, N_FSTAT, N_FSTATAT, N_READ, N_WRITE, N_CLOSE, N_ };
static const char *const names[N_] = {
	"openat", "__openat_2", "fstat", "fstatat", "read", "write", "close"
};
static void *next[N_];
#define NEXT(i, type)	((type)next[i])

static struct fdslot fds[NFD];
static uint64_t cls_ctr[NCLS][4];	/* read bytes, write bytes, reads, writes */
static struct row rows[ROWS];
static struct { uint32_t tag; uint16_t row; } slot_row[SLOTS];
static unsigned rows_used = 1;
static char arena[ROWS * 64];
static size_t arena_used;
static dev_t memfs_dev[8], disk_dev[8];

__attribute__((constructor)) static void
resolve(void)
{
	unsigned i;

	for (i = 0; i < N_; i++)
		next[i] = dlsym(RTLD_NEXT, names[i]);
}

/* The cheapest clock there is, as libioshim's shim_ticks. */
static inline uint64_t
ticks(void)
{
#ifdef CPU_TICKS
	return cpu_ticks();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Is dev a RAM filesystem?  statfs once per device. */
static int
memfs(int fd, dev_t dev)
{
	struct statfs sf;
	unsigned i;

	for (i = 0; i < 8; i++) {
		if (memfs_dev[i] == dev)
			return 1;
		if (disk_dev[i] == dev)
			return 0;
	}
	if (fstatfs(fd, &sf) != 0)
		return 0;
	for (i = 0; i < 8; i++)
		if (!memfs_dev[i] && !disk_dev[i])
			break;
	if (i < 8) {
		if (sf.f_type == 0x01021994)	/* tmpfs */
			memfs_dev[i] = dev;
		else
			disk_dev[i] = dev;
	}
	return sf.f_type == 0x01021994;
}

/* The row of path (len bytes), made on first sight. */
static unsigned
row_for(const char *path, size_t len)
{
	uint64_t h = len, w;
	unsigned s, r;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, path + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	w = 0;
	memcpy(&w, path + i, len - i);
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	for (s = h & (SLOTS - 1);; s = (s + 1) & (SLOTS - 1)) {
		r = slot_row[s].row;
		if (r == 0)
			break;
		if (slot_row[s].tag == (uint32_t)(h >> 32) &&
		    memcmp(rows[r].path, path, len) == 0 && rows[r].path[len] == 0)
			return r;
	}
	if (rows_used == ROWS || arena_used + len + 1 > sizeof(arena))
		return 0;
	r = rows_used++;
	memcpy(arena + arena_used, path, len);
	arena[arena_used + len] = 0;
	rows[r].path = arena + arena_used;
	arena_used += len + 1;
	slot_row[s].tag = (uint32_t)(h >> 32);
	slot_row[s].row = (uint16_t)r;
	return r;
}

/* Classify fd from st (its own fstat when st is NULL). */
static void
resolve_fd(int fd, const struct stat *st)
{
	struct fdslot *f = &fds[fd];
	struct stat own;

	if (st == NULL) {
		if (NEXT(N_FSTAT, int (*)(int, struct stat *))(fd, &own) != 0)
			return;
		st = &own;
	}
	f->known = 1;
	f->row = 0xffff;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		f->cls = memfs(fd, st->st_dev) ? C_MEMFS : C_DISK;
		if (f->len) {
			f->row = (uint16_t)row_for(f->path, f->len);
			rows[f->row].opens++;
		}
		break;
	case S_IFDIR:
		f->cls = C_OTHER;
		f->dir = 1;
		break;
	case S_IFSOCK:
		f->cls = C_SOCKET;
		break;
	case S_IFIFO:
		f->cls = C_PIPE;
		break;
	default:
		f->cls = isatty(fd) ? C_TTY : C_OTHER;
	}
}

static inline struct fdslot *
slot(int fd)
{
	if ((unsigned)fd >= NFD)
		return NULL;
	if (!fds[fd].known)
		resolve_fd(fd, NULL);
	return &fds[fd];
}

static void
opened(int fd, int dirfd, const char *path)
{
	struct fdslot *f;
	size_t n = strlen(path), d = 0;

	if ((unsigned)fd >= NFD)
		return;
	f = &fds[fd];
	f->known = f->dir = 0;
	f->len = 0;
	if (path[0] != '/' && (unsigned)dirfd < NFD && fds[dirfd].dir) {
		d = fds[dirfd].len;
		if (d + 1 + n < sizeof(f->path)) {
			memcpy(f->path, fds[dirfd].path, d);
			f->path[d++] = '/';
		} else
			d = n = 0;
	}	/* relative to the cwd: kept as given (the cwd join is left out) */
	if (d + n < sizeof(f->path)) {
		memcpy(f->path + d, path, n);
		f->len = (uint16_t)(d + n);
	}
}

/* The mode argument of open and openat, there only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, m)						\
	do {								\
		va_list ap_;						\
									\
		va_start(ap_, flags);					\
		m = ((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE ? \
		    va_arg(ap_, mode_t) : 0;				\
		va_end(ap_);						\
	} while (0)

static int
open_at(int dirfd, const char *path, int flags, mode_t m)
{
	int fd = NEXT(N_OPENAT, int (*)(int, const char *, int, ...))(dirfd,
	    path, flags, m);

	if (fd >= 0)
		opened(fd, dirfd, path);
	return fd;
}

EXPORT int
open(const char *path, int flags, ...)
{
	mode_t m;

	MODE_ARG(flags, m);
	return open_at(AT_FDCWD, path, flags, m);
}

EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t m;

	MODE_ARG(flags, m);
	return open_at(dirfd, path, flags, m);
}

EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	int fd = NEXT(N_OPENAT_2, int (*)(int, const char *, int))(dirfd, path,
	    flags);

	if (fd >= 0)
		opened(fd, dirfd, path);
	return fd;
}

EXPORT int
fstat(int fd, struct stat *st)
{
	int r = NEXT(N_FSTAT, int (*)(int, struct stat *))(fd, st);

	if (r == 0 && (unsigned)fd < NFD && !fds[fd].known)
		resolve_fd(fd, st);
	return r;
}

EXPORT int
fstatat(int d, const char *p, struct stat *st, int fl)
{
	int r = NEXT(N_FSTATAT, int (*)(int, const char *, struct stat *, int))(d, p, st, fl);

	if (r == 0 && p[0] == 0 && (fl & AT_EMPTY_PATH) && (unsigned)d < NFD &&
	    !fds[d].known)
		resolve_fd(d, st);
	return r;
}

EXPORT ssize_t
read(int fd, void *b, size_t n)
{
	struct fdslot *f = slot(fd);
	ssize_t r = NEXT(N_READ, ssize_t (*)(int, void *, size_t))(fd, b, n);

	if (f != NULL && f->known) {
		cls_ctr[f->cls][2]++;
		if (r > 0)
			cls_ctr[f->cls][0] += (uint64_t)r;
		if (f->row != 0xffff) {
			rows[f->row].reads++;
			if (r > 0)
				rows[f->row].read_bytes += (uint64_t)r;
		}
	}
	return r;
}

EXPORT ssize_t
write(int fd, const void *b, size_t n)
{
	struct fdslot *f = slot(fd);
	uint64_t t0 = 0;
	ssize_t r;

	if (f == NULL || !f->known || f->row == 0xffff) {
		r = NEXT(N_WRITE, ssize_t (*)(int, const void *, size_t))(fd, b, n);
		if (f != NULL && f->known) {
			cls_ctr[f->cls][3]++;
			if (r > 0)
				cls_ctr[f->cls][1] += (uint64_t)r;
		}
		return r;
	}
	t0 = ticks();
	r = NEXT(N_WRITE, ssize_t (*)(int, const void *, size_t))(fd, b, n);
	rows[f->row].write_ticks += ticks() - t0;
	cls_ctr[f->cls][3]++;
	if (r > 0) {
		cls_ctr[f->cls][1] += (uint64_t)r;
		rows[f->row].write_bytes += (uint64_t)r;
	}
	rows[f->row].sizes[r < 100 ? 0 : r < 1000 ? 1 : r < 10000 ? 2 :
	    r < 100000 ? 3 : r < 1000000 ? 4 : 5]++;
	return r;
}

EXPORT int
close(int fd)
{
	if ((unsigned)fd < NFD)
		fds[fd].known = fds[fd].dir = 0;
	return NEXT(N_CLOSE, int (*)(int))(fd);
}
