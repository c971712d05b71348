/*
 * passthru.c - the floor of tar's overhead: a preloaded library that
 * interposes the calls tar makes per file (the open family, fstat,
 * fstatat, read, write, close) and only forwards them, resolved with
 * dlsym(RTLD_NEXT) in a constructor as libioshim does.  What tar pays
 * under it is what any LD_PRELOAD interposer pays before it counts
 * anything (bench/run section 2, docs/PERFORMANCE.md).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT	__attribute__((visibility("default")))

static int (*next_open)(const char *, int, ...);
static int (*next_openat)(int, const char *, int, ...);
static int (*next_open_2)(const char *, int);
static int (*next_openat_2)(int, const char *, int);
static int (*next_fstat)(int, struct stat *);
static int (*next_fstatat)(int, const char *, struct stat *, int);
static ssize_t (*next_read)(int, void *, size_t);
static ssize_t (*next_write)(int, const void *, size_t);
static int (*next_close)(int);

__attribute__((constructor)) static void
resolve(void)
{
	next_open = dlsym(RTLD_NEXT, "open");
	next_openat = dlsym(RTLD_NEXT, "openat");
	next_open_2 = dlsym(RTLD_NEXT, "__open_2");
	next_openat_2 = dlsym(RTLD_NEXT, "__openat_2");
	next_fstat = dlsym(RTLD_NEXT, "fstat");
	next_fstatat = dlsym(RTLD_NEXT, "fstatat");
	next_read = dlsym(RTLD_NEXT, "read");
	next_write = dlsym(RTLD_NEXT, "write");
	next_close = dlsym(RTLD_NEXT, "close");
}

/* The mode argument is there only with O_CREAT or O_TMPFILE. */
static mode_t
mode_of(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ?
	    va_arg(ap, mode_t) : 0;
}

EXPORT int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_of(flags, ap);
	va_end(ap);
	return next_open(path, flags, m);
}

EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_of(flags, ap);
	va_end(ap);
	return next_openat(dirfd, path, flags, m);
}

EXPORT int __open_2(const char *p, int f) { return next_open_2(p, f); }
EXPORT int __openat_2(int d, const char *p, int f) { return next_openat_2(d, p, f); }
EXPORT int fstat(int fd, struct stat *st) { return next_fstat(fd, st); }
EXPORT int fstatat(int d, const char *p, struct stat *st, int f) { return next_fstatat(d, p, st, f); }
EXPORT ssize_t read(int fd, void *b, size_t n) { return next_read(fd, b, n); }
EXPORT ssize_t write(int fd, const void *b, size_t n) { return next_write(fd, b, n); }
EXPORT int close(int fd) { return next_close(fd); }
