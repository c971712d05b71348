/*
 * probe.c - what a program can observe of the calls the shim wraps.
 *
 * Each case makes a few calls on files in DIR and prints, one line per
 * call, what came back (return value and errno), what a reader that
 * bypasses libc sees of the file at that moment (raw system calls: the
 * size, and the bytes at the end), and at the end of the case the file's
 * whole contents and any timestamp it set.  Run once without the shim and
 * once with it (tests/t-probe.sh): the two outputs must be identical.
 * Appends are written while the coalescer would hold them, so every call
 * that can observe or change a held file is put to the test.
 *
 *	probe DIR [CASE...]	run the named cases, or all
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sys/file.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

static char dir[PATH_MAX];
static char pbuf[4][PATH_MAX + 64];
/* the compiler must not see through these: the calls are meant to be bad */
static void *volatile bad = (void *)16;
static void *volatile null;
static volatile int minus_one = -1;

static const char *
path(int k, const char *name)
{
	snprintf(pbuf[k], sizeof(pbuf[k]), "%s/%s", dir, name);
	return pbuf[k];
}

static void
res(const char *what, long r)
{
	printf("  %s = %ld", what, r);
	if (r < 0)
		printf(" (%s)", strerrorname_np(errno));
	printf("\n");
	errno = 0;
}

/* The file as a reader outside this process sees it: raw system calls. */
static void
raw_view(const char *what, const char *p)
{
	struct statx st;
	char buf[64];
	long fd, n;
	size_t i;

	if (syscall(SYS_statx, AT_FDCWD, p, 0, STATX_SIZE, &st) != 0) {
		printf("  [%s] %s: absent\n", what, strrchr(p, '/') + 1);
		return;
	}
	printf("  [%s] %s: size %llu", what, strrchr(p, '/') + 1,
	    (unsigned long long)st.stx_size);
	fd = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* the last bytes: skip to them with raw reads */
		while (st.stx_size > sizeof(buf) &&
		    syscall(SYS_read, fd, buf, st.stx_size - sizeof(buf) < sizeof(buf) ?
		    st.stx_size - sizeof(buf) : sizeof(buf)) > 0)
			st.stx_size -= st.stx_size - sizeof(buf) < sizeof(buf) ?
			    st.stx_size - sizeof(buf) : sizeof(buf);
		n = syscall(SYS_read, fd, buf, sizeof(buf));
		printf(" tail \"");
		for (i = 0; n > 0 && i < (size_t)n; i++)
			putchar(buf[i] == '\n' ? '/' : buf[i]);
		printf("\"");
		syscall(SYS_close, fd);
	}
	printf("\n");
}

/*
 * The whole file, and its mtime when asked, at the end of a case, as this
 * program sees it (through libc: held bytes of a file closed last are
 * written before a read of it, as the shim promises; a reader outside
 * the process may see them up to IOSHIM_FLUSH_MS later, as for any held
 * bytes).
 */
static void
contents(const char *p, int mtime)
{
	struct statx st;
	char buf[4096];
	ssize_t n, i;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	printf("  %s:", strrchr(p, '/') + 1);
	if (fd < 0) {
		printf(" absent\n");
		return;
	}
	printf(" \"");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			putchar(buf[i] == '\n' ? '/' : buf[i]);
	printf("\"");
	if (mtime && syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MTIME, &st) == 0)
		printf(" mtime %lld.%09u", (long long)st.stx_mtime.tv_sec,
		    st.stx_mtime.tv_nsec);
	printf("\n");
	close(fd);
}

static int
log_open(const char *p)
{
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		perror(p);
		exit(2);
	}
	return fd;
}

static void
put(int fd, const char *s)
{
	res("write", (long)write(fd, s, strlen(s)));
}

/* --- bad pointers (issue 14, item 1) --- */

static void
c_efault(void)
{
	const char *p = path(0, "efault.log");
	long pg = sysconf(_SC_PAGESIZE);
	struct iovec v[3];
	char *m;
	int fd = log_open(p);

	put(fd, "first\n");
	res("write (void *)16", (long)write(fd, bad, 10));
	res("write NULL", (long)write(fd, null, 5));
	res("write bad, 0 bytes", (long)write(fd, bad, 0));
	/* a page, then a hole: 5 readable bytes, then none */
	m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'x', (size_t)pg);
	m[pg - 1] = '\n';
	munmap(m + pg, (size_t)pg);
	res("write across a hole", (long)write(fd, m + pg - 5, 10));
	v[0].iov_base = "good\n";
	v[0].iov_len = 5;
	v[1].iov_base = bad;
	v[1].iov_len = 4;
	res("writev, second vector bad", (long)writev(fd, v, 2));
	v[0].iov_base = bad;
	v[1].iov_base = "ok\n";
	v[1].iov_len = 3;
	res("writev, first vector bad", (long)writev(fd, v, 2));
	res("writev, vector array bad", (long)writev(fd, bad, 2));
	put(fd, "last\n");
	res("close", close(fd));
	munmap(m, (size_t)pg);
	contents(p, 0);
}

/* A mapping of a file truncated under it: SIGBUS where memcpy reads it. */
static void
c_sigbus(void)
{
	const char *p = path(0, "sigbus.log"), *q = path(1, "sigbus.map");
	long pg = sysconf(_SC_PAGESIZE);
	int fd = log_open(p), mf;
	char *m;

	mf = open(q, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (mf < 0 || ftruncate(mf, pg) != 0)
		exit(2);
	m = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, mf, 0);
	if (m == MAP_FAILED)
		exit(2);
	res("ftruncate to 0", ftruncate(mf, 0));
	put(fd, "before\n");
	res("write from the truncated mapping", (long)write(fd, m, 16));
	put(fd, "after\n");
	res("close", close(fd));
	close(mf);
	munmap(m, (size_t)pg);
	contents(p, 0);
}

static void
on_segv(int sig)
{
	(void)sig;
	_exit(3);
}

/* The program has its own SIGSEGV handler: it must not be called. */
static void
c_efault_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	c_efault();
	sa.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &sa, NULL);
}

/* The thread blocks SIGSEGV and SIGBUS: a fault would kill it at once. */
static void
c_efault_blocked(void)
{
	sigset_t s, old;

	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigaddset(&s, SIGBUS);
	sigprocmask(SIG_BLOCK, &s, &old);
	c_efault();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The program's handler is set with the System V calls, inside libc. */
static void
c_efault_sysv(void)
{
	sysv_signal(SIGSEGV, on_segv);
	c_efault();
	sysv_signal(SIGSEGV, SIG_DFL);
	sigset(SIGBUS, on_segv);
	c_sigbus();
	sigset(SIGBUS, SIG_DFL);
}

/* A jump back to a context saved while SIGSEGV was blocked. */
static sigjmp_buf jb;

static void
c_efault_longjmp(void)
{
	sigset_t s, old;

	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, &old);
	if (sigsetjmp(jb, 1) == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		siglongjmp(jb, 1);	/* back, SIGSEGV blocked again */
	}
	c_efault();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* --- writes the kernel refuses (item 4) --- */

static void
c_badfd(void)
{
	const char *p = path(0, "badfd.log");
	struct iovec v[IOV_MAX + 1];
	int fd, i;

	close(log_open(p));
	fd = open(p, O_RDONLY | O_APPEND);
	res("write on O_RDONLY|O_APPEND", (long)write(fd, "ro\n", 3));
	res("close", close(fd));
	fd = open(p, O_PATH | O_APPEND);
	res("write on O_PATH|O_APPEND", (long)write(fd, "path\n", 5));
	res("close", close(fd));
	fd = log_open(p);
	for (i = 0; i <= IOV_MAX; i++) {
		v[i].iov_base = "v";
		v[i].iov_len = 1;
	}
	res("writev IOV_MAX+1", (long)writev(fd, v, IOV_MAX + 1));
	res("writev -1", (long)writev(fd, v, minus_one));
	res("writev 0", (long)writev(fd, v, 0));
	v[0].iov_len = (size_t)SSIZE_MAX + 1;
	res("writev negative length", (long)writev(fd, v, 1));
	v[0].iov_len = 1;
	res("writev 3 of 1", (long)writev(fd, v, 3));
	res("pwrite negative offset", (long)pwrite(fd, "n", 1, -1));
	res("lseek bad whence", (long)lseek(fd, 0, 42));
	put(fd, "\n");
	res("close", close(fd));
	res("close again", close(fd));
	res("write on closed fd", (long)write(fd, "c\n", 2));
	contents(p, 0);
}

/* --- calls that change or observe a held file (items 2, 3) --- */

static void
c_truncate(void)
{
	const char *p = path(0, "trunc.log");
	int fd = log_open(p);

	put(fd, "old\n");
	res("truncate(path, 0)", truncate(p, 0));
	raw_view("after truncate", p);
	put(fd, "new\n");
	res("close", close(fd));
	contents(p, 0);
}

static void
c_otrunc(void)
{
	const char *p = path(0, "otrunc.log");
	int fd = log_open(p), fd2;
	FILE *f;

	put(fd, "old\n");
	fd2 = open(p, O_WRONLY | O_TRUNC);
	res("open O_TRUNC", fd2 >= 0);
	res("write", (long)write(fd2, "new\n", 4));
	res("close", close(fd2));
	res("close", close(fd));
	contents(p, 0);
	fd = log_open(p);
	put(fd, "held\n");
	fd2 = creat(p, 0644);
	res("creat", fd2 >= 0);
	raw_view("after creat", p);
	res("close", close(fd2));
	res("close", close(fd));
	contents(p, 0);
	fd = log_open(p);
	put(fd, "held\n");
	fd2 = openat(AT_FDCWD, p, O_RDWR | O_TRUNC);
	res("openat O_TRUNC", fd2 >= 0);
	raw_view("after openat O_TRUNC", p);
	res("close", close(fd2));
	res("close", close(fd));
	contents(p, 0);
	fd = log_open(p);
	put(fd, "held\n");
	f = fopen(p, "w");
	res("fopen w", f != NULL);
	raw_view("after fopen w", p);
	fputs("by stdio\n", f);
	res("fclose", fclose(f));
	res("close", close(fd));
	contents(p, 0);
}

static void
c_utime(void)
{
	const char *p = path(0, "utime.log");
	struct timespec ts[2] = { { 1000000000, 5 }, { 1000000000, 7 } };
	struct timeval tv[2] = { { 1100000000, 0 }, { 1100000000, 0 } };
	struct utimbuf ub = { 1200000000, 1200000000 };
	int fd = log_open(p);

	put(fd, "a\n");
	res("utimensat", utimensat(AT_FDCWD, p, ts, 0));
	contents(p, 1);
	put(fd, "b\n");
	res("futimens", futimens(fd, ts));
	contents(p, 1);
	put(fd, "c\n");
	res("utimes", utimes(p, tv));
	contents(p, 1);
	put(fd, "d\n");
	res("utime", utime(p, &ub));
	contents(p, 1);
	put(fd, "e\n");
	res("lutimes", lutimes(p, tv));
	contents(p, 1);
	put(fd, "f\n");
	res("futimes", futimes(fd, tv));
	contents(p, 1);
	res("close", close(fd));
	contents(p, 1);
}

static void
c_rename(void)
{
	const char *a = path(0, "ren-a.log"), *b = path(1, "ren-b.log"),
	    *c = path(2, "ren-c.log");
	int fd = log_open(a), fd2;

	put(fd, "a1\n");
	res("rename a -> b", rename(a, b));
	raw_view("after rename", b);
	put(fd, "a2\n");
	fd2 = log_open(c);
	put(fd2, "c1\n");
	res("renameat c -> b (replaces)", renameat(AT_FDCWD, c, AT_FDCWD, b));
	raw_view("after renameat", b);
	put(fd, "a3\n");
	res("link b -> a", link(b, a));
	raw_view("after link", a);
	put(fd2, "c2\n");
	res("unlink b", unlink(b));
	raw_view("after unlink", a);
	put(fd2, "c3\n");
	res("unlinkat a", unlinkat(AT_FDCWD, a, 0));
	res("close", close(fd));
	res("close", close(fd2));
	contents(a, 0);
	contents(b, 0);
}

static void
c_fdcalls(void)
{
	const char *p = path(0, "fdcalls.log"), *q = path(1, "fdcalls.copy");
	int fd = log_open(p), in, out;
	off_t off = 0;

	put(fd, "one\n");
	res("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	raw_view("after fadvise", p);
	put(fd, "two\n");
	res("chmod", chmod(p, 0600));
	raw_view("after chmod", p);
	put(fd, "three\n");
	res("fchmod", fchmod(fd, 0644));
	raw_view("after fchmod", p);
	put(fd, "four\n");
	in = open(p, O_RDONLY);
	out = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	res("sendfile from it", (long)sendfile(out, in, &off, 4096));
	put(fd, "five\n");
	res("copy_file_range from it", (long)copy_file_range(in, NULL, out,
	    NULL, 4096, 0));
	close(in);
	close(out);
	res("close", close(fd));
	contents(p, 0);
	contents(q, 0);
}

/* Locks: a writer that gives a lock up has its lines in the file. */
static void
c_locks(void)
{
	const char *p = path(0, "locks.log");
	struct statx st;
	int fd = log_open(p);

	res("flock LOCK_EX", flock(fd, LOCK_EX));
	put(fd, "under flock\n");
	res("flock LOCK_UN", flock(fd, LOCK_UN));
	raw_view("after flock LOCK_UN", p);
	res("lockf F_LOCK", lockf(fd, F_LOCK, 0));
	put(fd, "under lockf\n");
	res("lockf F_ULOCK", lockf(fd, F_ULOCK, 0));
	raw_view("after lockf F_ULOCK", p);
	put(fd, "under fcntl\n");
	{
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

		res("fcntl F_SETLK F_UNLCK", fcntl(fd, F_SETLK, &fl));
	}
	raw_view("after fcntl F_UNLCK", p);
	put(fd, "then lchmod\n");
	res("lchmod 0640", lchmod(p, 0640));
	res("close", close(fd));
	syscall(SYS_statx, AT_FDCWD, p, 0, STATX_MODE, &st);
	printf("  mode %o\n", st.stx_mode & 07777);
	contents(p, 0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "efault", c_efault },
	{ "efault_handler", c_efault_handler },
	{ "efault_blocked", c_efault_blocked },
	{ "efault_sysv", c_efault_sysv },
	{ "efault_longjmp", c_efault_longjmp },
	{ "locks", c_locks },
	{ "sigbus", c_sigbus },
	{ "badfd", c_badfd },
	{ "truncate", c_truncate },
	{ "otrunc", c_otrunc },
	{ "utime", c_utime },
	{ "rename", c_rename },
	{ "fdcalls", c_fdcalls },
};

int
main(int argc, char **argv)
{
	size_t i;
	int j, any;

	if (argc < 2) {
		fprintf(stderr, "usage: probe DIR [CASE...]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		any = argc == 2;
		for (j = 2; j < argc; j++)
			any |= strcmp(argv[j], cases[i].name) == 0;
		if (!any)
			continue;
		printf("%s\n", cases[i].name);
		cases[i].fn();
	}
	return 0;
}
