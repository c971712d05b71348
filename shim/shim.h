/*
 * shim.h - what the files of libioshim.so share.
 *
 * The shim is a set of wrappers (wrap_*.c) around libc's I/O entry points.
 * A wrapper asks the fd table (fdtable.c) what the descriptor is, calls the
 * real function (resolved once in init.c), and adds to the counters
 * (counters.c).  Appends to log files go through the coalescer
 * (coalesce.c).  The end of a program image is handled in lifecycle.c,
 * which writes the JSONL report (report.c) and the last message to the
 * collector (send.c).
 *
 * Nothing here may allocate with malloc, take a lock that a signal handler
 * could wait for, or change errno as seen by the program.
 */
#ifndef IOSHIM_SHIM_H
#define IOSHIM_SHIM_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <mqueue.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <ucontext.h>
#include <threads.h>
#include <time.h>
#include <utime.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdatomic.h>

#include "wire.h"
#include "cpu_ticks.h"

#define HIDDEN		__attribute__((visibility("hidden")))
#define EXPORT		__attribute__((visibility("default")))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
/*
 * A zero-filled table of a page or more.  Its pages cost nothing until
 * touched, but the small variables between such tables each cost a page
 * fault when first touched (every process touches some at start and at
 * exit): the link (--sort-section=name) puts these sections after all
 * the plain .bss, so the small variables share a few pages.
 */
#define SHIM_BIG	__attribute__((section(".bss.~big")))
/*
 * The few variables every process writes at start or exit: in .data,
 * whose page the loader has already copied (it relocates the GOT beside
 * it and zeroes the tail), instead of pages of .bss of their own.
 */
#define SHIM_HOT	__attribute__((section(".data.hot")))
/*
 * Code that runs once per process image (start-up, exit): the compiler
 * groups it (.text.unlikely) beside the constructor, so a process that
 * does nothing else faults in one window of text, not every one.
 */
#define SHIM_ONCE	__attribute__((cold))
/* not instrumented in a ThreadSanitizer build (runs before TSan can) */
#if defined(__SANITIZE_THREAD__)
#define NO_TSAN		__attribute__((no_sanitize_thread))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NO_TSAN		__attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef NO_TSAN
#define NO_TSAN
#endif

/*
 * The real functions, each resolved once with dlsym(RTLD_NEXT) so other
 * preloaded libraries stack.  X(name, return type, parameter list).
 */
#define SHIM_REAL_FUNCS(X) \
	X(open, int, (const char *, int, ...)) \
	X(open64, int, (const char *, int, ...)) \
	X(openat, int, (int, const char *, int, ...)) \
	X(openat64, int, (int, const char *, int, ...)) \
	X(creat, int, (const char *, mode_t)) \
	X(creat64, int, (const char *, mode_t)) \
	X(__open_2, int, (const char *, int)) \
	X(__open64_2, int, (const char *, int)) \
	X(__openat_2, int, (int, const char *, int)) \
	X(__openat64_2, int, (int, const char *, int)) \
	X(read, ssize_t, (int, void *, size_t)) \
	X(write, ssize_t, (int, const void *, size_t)) \
	X(pread, ssize_t, (int, void *, size_t, off_t)) \
	X(pread64, ssize_t, (int, void *, size_t, off64_t)) \
	X(pwrite, ssize_t, (int, const void *, size_t, off_t)) \
	X(pwrite64, ssize_t, (int, const void *, size_t, off64_t)) \
	X(readv, ssize_t, (int, const struct iovec *, int)) \
	X(writev, ssize_t, (int, const struct iovec *, int)) \
	X(preadv, ssize_t, (int, const struct iovec *, int, off_t)) \
	X(preadv64, ssize_t, (int, const struct iovec *, int, off64_t)) \
	X(pwritev, ssize_t, (int, const struct iovec *, int, off_t)) \
	X(pwritev64, ssize_t, (int, const struct iovec *, int, off64_t)) \
	X(preadv2, ssize_t, (int, const struct iovec *, int, off_t, int)) \
	X(preadv64v2, ssize_t, (int, const struct iovec *, int, off64_t, int)) \
	X(pwritev2, ssize_t, (int, const struct iovec *, int, off_t, int)) \
	X(pwritev64v2, ssize_t, (int, const struct iovec *, int, off64_t, int)) \
	X(send, ssize_t, (int, const void *, size_t, int)) \
	X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t)) \
	X(sendmsg, ssize_t, (int, const struct msghdr *, int)) \
	X(sendmmsg, int, (int, struct mmsghdr *, unsigned int, int)) \
	X(recv, ssize_t, (int, void *, size_t, int)) \
	X(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *)) \
	X(recvmsg, ssize_t, (int, struct msghdr *, int)) \
	X(recvmmsg, int, (int, struct mmsghdr *, unsigned int, int, struct timespec *)) \
	X(sendfile, ssize_t, (int, int, off_t *, size_t)) \
	X(sendfile64, ssize_t, (int, int, off64_t *, size_t)) \
	X(splice, ssize_t, (int, off64_t *, int, off64_t *, size_t, unsigned int)) \
	X(tee, ssize_t, (int, int, size_t, unsigned int)) \
	X(vmsplice, ssize_t, (int, const struct iovec *, size_t, unsigned int)) \
	X(copy_file_range, ssize_t, (int, off64_t *, int, off64_t *, size_t, unsigned int)) \
	X(fsync, int, (int)) \
	X(fdatasync, int, (int)) \
	X(sync, void, (void)) \
	X(syncfs, int, (int)) \
	X(sync_file_range, int, (int, off64_t, off64_t, unsigned int)) \
	X(msync, int, (void *, size_t, int)) \
	X(close, int, (int)) \
	X(close_range, int, (unsigned int, unsigned int, int)) \
	X(closefrom, void, (int)) \
	X(dup, int, (int)) \
	X(dup2, int, (int, int)) \
	X(dup3, int, (int, int, int)) \
	X(fcntl, int, (int, int, ...)) \
	X(fcntl64, int, (int, int, ...)) \
	X(lseek, off_t, (int, off_t, int)) \
	X(lseek64, off64_t, (int, off64_t, int)) \
	X(ftruncate, int, (int, off_t)) \
	X(ftruncate64, int, (int, off64_t)) \
	X(fallocate, int, (int, int, off_t, off_t)) \
	X(fallocate64, int, (int, int, off64_t, off64_t)) \
	X(posix_fallocate, int, (int, off_t, off_t)) \
	X(posix_fallocate64, int, (int, off64_t, off64_t)) \
	X(fstat, int, (int, struct stat *)) \
	X(fstat64, int, (int, struct stat64 *)) \
	X(stat, int, (const char *, struct stat *)) \
	X(stat64, int, (const char *, struct stat64 *)) \
	X(fstatat, int, (int, const char *, struct stat *, int)) \
	X(fstatat64, int, (int, const char *, struct stat64 *, int)) \
	X(lstat, int, (const char *, struct stat *)) \
	X(statx, int, (int, const char *, int, unsigned int, struct statx *)) \
	X(setrlimit, int, (__rlimit_resource_t, const struct rlimit *)) \
	X(setrlimit64, int, (__rlimit_resource_t, const struct rlimit64 *)) \
	X(prlimit, int, (pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *)) \
	X(prlimit64, int, (pid_t, __rlimit_resource_t, const struct rlimit64 *, struct rlimit64 *)) \
	X(pthread_sigmask, int, (int, const sigset_t *, sigset_t *)) \
	X(sigprocmask, int, (int, const sigset_t *, sigset_t *)) \
	X(siglongjmp, void, (struct __jmp_buf_tag *, int)) \
	X(longjmp, void, (struct __jmp_buf_tag *, int)) \
	X(__longjmp_chk, void, (struct __jmp_buf_tag *, int)) \
	X(setcontext, int, (const ucontext_t *)) \
	X(swapcontext, int, (ucontext_t *, const ucontext_t *)) \
	X(sysv_signal, sighandler_t, (int, sighandler_t)) \
	X(sigset, sighandler_t, (int, sighandler_t)) \
	X(ssignal, sighandler_t, (int, sighandler_t)) \
	X(flock, int, (int, int)) \
	X(lockf, int, (int, int, off_t)) \
	X(lockf64, int, (int, int, off64_t)) \
	X(lchmod, int, (const char *, mode_t)) \
	X(truncate, int, (const char *, off_t)) \
	X(truncate64, int, (const char *, off64_t)) \
	X(rename, int, (const char *, const char *)) \
	X(renameat, int, (int, const char *, int, const char *)) \
	X(renameat2, int, (int, const char *, int, const char *, unsigned int)) \
	X(unlink, int, (const char *)) \
	X(access, int, (const char *, int)) \
	X(faccessat, int, (int, const char *, int, int)) \
	X(euidaccess, int, (const char *, int)) \
	X(eaccess, int, (const char *, int)) \
	X(readlink, ssize_t, (const char *, char *, size_t)) \
	X(readlinkat, ssize_t, (int, const char *, char *, size_t)) \
	X(unlinkat, int, (int, const char *, int)) \
	X(link, int, (const char *, const char *)) \
	X(linkat, int, (int, const char *, int, const char *, int)) \
	X(utime, int, (const char *, const struct utimbuf *)) \
	X(utimes, int, (const char *, const struct timeval *)) \
	X(lutimes, int, (const char *, const struct timeval *)) \
	X(futimes, int, (int, const struct timeval *)) \
	X(futimesat, int, (int, const char *, const struct timeval *)) \
	X(utimensat, int, (int, const char *, const struct timespec *, int)) \
	X(futimens, int, (int, const struct timespec *)) \
	X(chmod, int, (const char *, mode_t)) \
	X(fchmod, int, (int, mode_t)) \
	X(fchmodat, int, (int, const char *, mode_t, int)) \
	X(chown, int, (const char *, uid_t, gid_t)) \
	X(lchown, int, (const char *, uid_t, gid_t)) \
	X(fchown, int, (int, uid_t, gid_t)) \
	X(fchownat, int, (int, const char *, uid_t, gid_t, int)) \
	X(posix_fadvise, int, (int, off_t, off_t, int)) \
	X(posix_fadvise64, int, (int, off64_t, off64_t, int)) \
	X(mmap, void *, (void *, size_t, int, int, int, off_t)) \
	X(mmap64, void *, (void *, size_t, int, int, int, off64_t)) \
	X(fopen, FILE *, (const char *, const char *)) \
	X(fopen64, FILE *, (const char *, const char *)) \
	X(fdopen, FILE *, (int, const char *)) \
	X(freopen, FILE *, (const char *, const char *, FILE *)) \
	X(freopen64, FILE *, (const char *, const char *, FILE *)) \
	X(fclose, int, (FILE *)) \
	X(fflush, int, (FILE *)) \
	X(fflush_unlocked, int, (FILE *)) \
	X(fwrite, size_t, (const void *, size_t, size_t, FILE *)) \
	X(fwrite_unlocked, size_t, (const void *, size_t, size_t, FILE *)) \
	X(fputs, int, (const char *, FILE *)) \
	X(fputs_unlocked, int, (const char *, FILE *)) \
	X(fputc, int, (int, FILE *)) \
	X(fputc_unlocked, int, (int, FILE *)) \
	X(putc, int, (int, FILE *)) \
	X(putc_unlocked, int, (int, FILE *)) \
	X(putchar, int, (int)) \
	X(putchar_unlocked, int, (int)) \
	X(puts, int, (const char *)) \
	X(putw, int, (int, FILE *)) \
	X(__overflow, int, (FILE *, int)) \
	X(vfprintf, int, (FILE *, const char *, va_list)) \
	X(__vfprintf_chk, int, (FILE *, int, const char *, va_list)) \
	X(vdprintf, int, (int, const char *, va_list)) \
	X(__vdprintf_chk, int, (int, int, const char *, va_list)) \
	X(fread, size_t, (void *, size_t, size_t, FILE *)) \
	X(fread_unlocked, size_t, (void *, size_t, size_t, FILE *)) \
	X(fgets, char *, (char *, int, FILE *)) \
	X(fgets_unlocked, char *, (char *, int, FILE *)) \
	X(fgetc, int, (FILE *)) \
	X(fgetc_unlocked, int, (FILE *)) \
	X(getc, int, (FILE *)) \
	X(getc_unlocked, int, (FILE *)) \
	X(getchar, int, (void)) \
	X(getchar_unlocked, int, (void)) \
	X(getdelim, ssize_t, (char **, size_t *, int, FILE *)) \
	X(__getdelim, ssize_t, (char **, size_t *, int, FILE *)) \
	X(getline, ssize_t, (char **, size_t *, FILE *)) \
	X(__uflow, int, (FILE *)) \
	X(__underflow, int, (FILE *)) \
	X(fseek, int, (FILE *, long, int)) \
	X(fseeko, int, (FILE *, off_t, int)) \
	X(fseeko64, int, (FILE *, off64_t, int)) \
	X(ftell, long, (FILE *)) \
	X(ftello, off_t, (FILE *)) \
	X(ftello64, off64_t, (FILE *)) \
	X(rewind, void, (FILE *)) \
	X(fgetpos, int, (FILE *, fpos_t *)) \
	X(fgetpos64, int, (FILE *, fpos64_t *)) \
	X(fsetpos, int, (FILE *, const fpos_t *)) \
	X(fsetpos64, int, (FILE *, const fpos64_t *)) \
	X(fork, pid_t, (void)) \
	X(vfork, pid_t, (void)) \
	X(setuid, int, (uid_t)) \
	X(seteuid, int, (uid_t)) \
	X(setreuid, int, (uid_t, uid_t)) \
	X(setresuid, int, (uid_t, uid_t, uid_t)) \
	X(setfsuid, int, (uid_t)) \
	X(setgid, int, (gid_t)) \
	X(setegid, int, (gid_t)) \
	X(setregid, int, (gid_t, gid_t)) \
	X(setresgid, int, (gid_t, gid_t, gid_t)) \
	X(setfsgid, int, (gid_t)) \
	X(setgroups, int, (size_t, const gid_t *)) \
	X(initgroups, int, (const char *, gid_t)) \
	X(capset, int, (void *, void *)) \
	X(_Fork, pid_t, (void)) \
	X(posix_spawn, int, (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const [], char *const [])) \
	X(posix_spawnp, int, (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const [], char *const [])) \
	X(system, int, (const char *)) \
	X(popen, FILE *, (const char *, const char *)) \
	X(pclose, int, (FILE *)) \
	X(execve, int, (const char *, char *const [], char *const [])) \
	X(execv, int, (const char *, char *const [])) \
	X(execvp, int, (const char *, char *const [])) \
	X(execvpe, int, (const char *, char *const [], char *const [])) \
	X(fexecve, int, (int, char *const [], char *const [])) \
	X(execveat, int, (int, const char *, char *const [], char *const [], int)) \
	X(exit, void, (int)) \
	X(_exit, void, (int)) \
	X(__libc_start_main, int, (int (*)(int, char **, char **), int, char **, \
	    void (*)(void), void (*)(void), void (*)(void), void *)) \
	X(_Exit, void, (int)) \
	X(quick_exit, void, (int)) \
	X(pthread_exit, void, (void *)) \
	X(pthread_create, int, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) \
	X(thrd_create, int, (thrd_t *, thrd_start_t, void *)) \
	X(timer_create, int, (clockid_t, struct sigevent *, timer_t *)) \
	X(mq_notify, int, (mqd_t, const struct sigevent *)) \
	X(sigaction, int, (int, const struct sigaction *, struct sigaction *)) \
	X(signal, sighandler_t, (int, sighandler_t)) \
	X(bsd_signal, sighandler_t, (int, sighandler_t))

#define X(name, ret, args) typedef ret (*real_##name##_t) args;
SHIM_REAL_FUNCS(X)
#undef X

struct shim_real {
#define X(name, ret, args) real_##name##_t name;
	SHIM_REAL_FUNCS(X)
#undef X
};

HIDDEN extern struct shim_real real;
HIDDEN extern volatile int shim_ready;	/* real functions resolved */

/*
 * The next definition of NAME: resolved by the constructor (init.c); a
 * call that comes before it (another library's constructor, a
 * sanitizer's start-up) looks it up then (lazy.c).  NULL only where libc
 * has no such function.
 */
HIDDEN void	*real_next(const char *name);
HIDDEN void	*real_find(const char *name);	/* the same, faster (resolve.c) */
#define LAZY(name) __extension__ ({					\
	real_##name##_t f_ = __atomic_load_n(&real.name, __ATOMIC_RELAXED); \
	if (unlikely(f_ == NULL)) {					\
		f_ = (real_##name##_t)real_next(#name);			\
		__atomic_store_n(&real.name, f_, __ATOMIC_RELAXED);	\
	}								\
	f_;								\
})

/* init.c */
/* Small (SHIM_HOT): the strings a process rarely sets are elsewhere,
 * and "" when unset. */
#define CFG_FLUSH_ON_MAX	512
struct shim_config {
	int	coalesce;		/* IOSHIM_COALESCE */
	int	sock_explicit;		/* IOSHIM_SOCKET was set */
	int	flush_default;		/* unset: the default severity tokens */
	size_t	buffer_bytes;		/* IOSHIM_BUFFER_KB */
	uint64_t flush_ns;		/* IOSHIM_FLUSH_MS */
	size_t	mem_bytes;		/* IOSHIM_MEM_KB */
	uint64_t interval_ns;		/* IOSHIM_INTERVAL_MS */
	const char *report;		/* IOSHIM_REPORT, < 4096 bytes */
	const char *include;		/* IOSHIM_COALESCE_INCLUDE, < 1024 */
	const char *exclude;		/* IOSHIM_COALESCE_EXCLUDE, < 1024 */
	const char *flush_on;		/* IOSHIM_FLUSH_ON, ':' separated */
	char	sock[108];		/* IOSHIM_SOCKET, or the default path */
};
HIDDEN extern struct shim_config cfg;
HIDDEN extern int shim_secure;		/* AT_SECURE: no setting from the environment */
HIDDEN extern int shim_inert;		/* IOSHIM_DISABLE=1 or failed start-up (init.c) */
HIDDEN void	shim_init(void);
HIDDEN int	shim_atfork(void (*)(void), void (*)(void), void (*)(void));
HIDDEN int	shim_raw_open(const char *, int, mode_t);

/*
 * clock.c - CLOCK_MONOTONIC and CLOCK_REALTIME in ns, and the tick counter
 * that times writes: the CPU's own counter where it is constant-rate and
 * the same on every CPU (x86 invariant TSC, arm64 virtual count), else
 * CLOCK_MONOTONIC ns.  Write times are summed in ticks and converted with
 * ticks_to_ns where they are reported.
 */
HIDDEN uint64_t	shim_now_ns(void);		/* CLOCK_MONOTONIC */
HIDDEN uint64_t	shim_wall_ns(void);		/* CLOCK_REALTIME */
/* the same by a system call: for reads once per image or per send, which
 * through the vDSO would fault in its data pages in every process */
HIDDEN uint64_t	shim_now_ns_sys(void);
HIDDEN uint64_t	shim_wall_ns_sys(void);
HIDDEN void	clock_init(void);
HIDDEN uint64_t	ticks_to_ns(uint64_t ticks);	/* async-signal-safe */
HIDDEN extern int tick_cpu;			/* ticks are the CPU's counter */

static inline uint64_t
shim_ticks(void)
{
#if defined(__x86_64__)
	if (likely(tick_cpu))
		return cpu_ticks();
#elif defined(CPU_TICKS)
	return cpu_ticks();	/* arm64: one rate on every CPU */
#endif
	return shim_now_ns();
}

/* Ticks since t0; 0 if the counter went back (read on another CPU). */
static inline uint64_t
shim_ticks_since(uint64_t t0)
{
	uint64_t t = shim_ticks();

	return t > t0 ? t - t0 : 0;
}
HIDDEN uint64_t	proc_stat_field(int n, char *state);	/* /proc/self/stat */

/*
 * fdtable.c - what each descriptor is, cached.  An entry packs the class,
 * flags, the per-file row and the coalescing buffer into 64 bits.
 */
#define FD_KNOWN	0x01	/* entry is filled in */
#define FD_APPEND	0x02	/* opened with O_APPEND */
#define FD_COALESCE	0x04	/* appends go through the coalescer */
#define FD_SHIM		0x08	/* one of the shim's own descriptors */
#define FD_PEER		0x10	/* a regular disk file fd not coalesced: its
				 * file may have bytes in the coalescer */
#define FD_DIR		0x20	/* a directory: its path may be cached */
#define FD_PENDING	0x40	/* opened, not yet classified (FD_KNOWN is
				 * clear; FDE_FILE is its pending slot) */

typedef uint64_t fdent_t;
#define FDE_CLASS(e)	((unsigned)((e) >> 8) & 0xff)
#define FD_VEND		0x80	/* a coalesced O_APPEND fd whose position the
				 * shim answered as the end of the file with
				 * its held bytes (co_seek_held): the kernel's
				 * is set there at the next flush point */
#define FDE_FLAGS(e)	((unsigned)(e) & 0xff)
#define FDE_FILE(e)	((unsigned)((e) >> 16) & 0xffff)
#define FDE_BUF(e)	((unsigned)((e) >> 32) & 0xffff)
#define FDE_IHASH(e)	((unsigned)((e) >> 48) & 0xffff)	/* FD_PEER: file id hash */
#define FDE_WITH_IHASH(e, h)	((e) | (fdent_t)((h) & 0xffff) << 48)

/* A 16-bit hash of a file's identity, to skip files with nothing held. */
static inline unsigned
inode_hash(dev_t dev, ino_t ino)
{
	uint64_t x = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (unsigned)(x >> 48) & 0xffff;
}
#define FDE_MAKE(cls, flags, file, buf) \
	((fdent_t)(flags) | (fdent_t)(cls) << 8 | (fdent_t)(file) << 16 | \
	 (fdent_t)(buf) << 32)
#define FILE_NONE	0xffff
#define BUF_NONE	0xffff

HIDDEN fdent_t	fd_classify_open(int fd, int dirfd, const char *path, int oflags);
HIDDEN int	fd_memfs_type(long f_type);	/* statfs f_type lives in memory */
HIDDEN int	fd_defer(int fd, int dirfd, const char *path, int oflags);
HIDDEN fdent_t	fd_resolve(int fd, const struct stat *st);
HIDDEN void	fd_resolve_all(void);		/* before a report */
HIDDEN void	fd_pending_reset(void);		/* counts start again */
#define fd_classify(fd, path)	fd_classify_open(fd, -100 /* AT_FDCWD */, path, -1)
HIDDEN void	fd_store(int fd, fdent_t e);
HIDDEN void	fd_forget(int fd);
HIDDEN void	fd_forget_range(unsigned lo, unsigned hi);
HIDDEN void	fd_copy(int from, int to);

#define FDT_CHUNK_BITS	12
#define FDT_CHUNK	(1u << FDT_CHUNK_BITS)
#define FDT_CHUNKS	256		/* fds below 1M are cached */
HIDDEN extern _Atomic(fdent_t *) fdt_dir[FDT_CHUNKS];

/* The entry for fd, classifying it on first use. */
static inline fdent_t
fd_get(int fd)
{
	unsigned u = (unsigned)fd;
	fdent_t *c, e;

	if (likely(u < FDT_CHUNK * FDT_CHUNKS)) {
		c = atomic_load_explicit(&fdt_dir[u >> FDT_CHUNK_BITS],
		    memory_order_acquire);
		if (likely(c != NULL)) {
			e = __atomic_load_n(&c[u & (FDT_CHUNK - 1)],
			    __ATOMIC_RELAXED);
			if (likely(e & FD_KNOWN))
				return e;
		}
	}
	return fd_classify(fd, NULL);
}

/* The table's word for fd, NULL when its chunk was never made. */
static inline fdent_t *
fd_slot(int fd)
{
	unsigned u = (unsigned)fd;
	fdent_t *c;

	if (u >= FDT_CHUNK * FDT_CHUNKS)
		return NULL;
	c = atomic_load_explicit(&fdt_dir[u >> FDT_CHUNK_BITS],
	    memory_order_acquire);
	return c ? &c[u & (FDT_CHUNK - 1)] : NULL;
}

/* The table's word for fd as it is, 0 when none. */
static inline fdent_t
fd_raw(int fd)
{
	fdent_t *p = fd_slot(fd);

	return p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
}

/*
 * fd is closed: its entry, read by the caller and neither pending nor a
 * directory's (fd_forget handles those), is cleared.
 */
static inline void
fd_clear(int fd)
{
	fdent_t *p = fd_slot(fd);

	if (p != NULL)
		__atomic_store_n(p, 0, __ATOMIC_RELAXED);
}

/*
 * The cached entry for fd, 0 when unknown; never classifies an fd it has
 * not seen, but finishes one opened and not yet classified.
 */
static inline fdent_t
fd_peek(int fd)
{
	fdent_t e = fd_raw(fd);

	return unlikely(e & FD_PENDING) ? fd_resolve(fd, NULL) : e;
}

/* counters.c - per process and per file counters. */

/*
 * The counts of a file row that change at every call: kept per thread
 * (struct tfiles) and added to without a lock prefix.  On x86 a locked
 * instruction next to a system call costs 40-50 ns: the kernel's copy is
 * still in the store buffer.  The row itself holds the share of threads
 * that ended and of calls that found no memory for a thread's share.
 */
struct tfile {
	uint64_t	opens, reads, read_bytes, write_bytes;
	uint64_t	write_ns;	/* in ticks (shim_ticks): ticks_to_ns */
	uint64_t	write_sizes[IW_NSIZES];	/* their sum is the write calls */
	uint64_t	fsyncs, fsync_ns;	/* fsync_ns in ticks, as write_ns */
	uint64_t	syscalls;	/* write system calls that reached the
					 * kernel, stdio's flushes included (not
					 * the coalescer's: file_row.flushes) */
};
#define TFILE_WORDS	(sizeof(struct tfile) / sizeof(uint64_t))

/*
 * A row's counters that belong to no thread: the shares of threads that
 * ended and the counts made under a lock or with atomics (the
 * coalescer's).  Untouched until the first of those (row_shared), so a
 * program with one thread never writes these pages.
 */
struct file_row {
	struct tfile	c;		/* atomic adds */
	_Atomic uint64_t absorbed, flushes;
	_Atomic uint64_t fsync_times[IW_NFTIMES];	/* fsync calls by
					 * duration (wire.h), wrap_sync.c */
};

/* What a row is: written once, when the row is made. */
struct file_name {
	const char	*path;		/* in the path arena, NUL-terminated */
	uint16_t	path_len;
	uint8_t		cls;
	uint8_t		shared;		/* files[] of this row was written */
	uint32_t	spare_;
};

/* Process counters changed rarely, or under the coalescer's lock. */
struct proc_ctr {
	_Atomic uint64_t co_syscalls, co_bytes, co_errors;
	_Atomic uint64_t co_reasons[IW_NREASON];
};
/*
 * Per class: bytes read and written, the program's read and write calls,
 * and the write system calls that reached the kernel (C_SYSW: counted for
 * disk and memfs files only, where calls and system calls differ: stdio
 * flushes its buffer in few of them; the coalescer's are pc.co_syscalls).
 */
enum { C_RBYTES, C_WBYTES, C_READS, C_WRITES, C_SYSW, C_NK };

#define FILES_MAX	1024		/* rows; row 0 is "(other)" */

/*
 * A thread's share of every file row, made (mmap) at its first count of
 * a file: about 104 KiB of address space, of which only the pages of the
 * rows it counts are touched.  Its block's tf_chunks has a bit for each
 * group of TF_CHUNK rows it counted in, set at the group's first count
 * (a word on the line the count reads anyway): readers and the fold at
 * thread exit visit those groups only, so they never touch (and fault
 * in) the pages of rows the thread never counted.
 */
#define TF_CHUNK	(FILES_MAX / 64)	/* rows per bit of tf_chunks */
struct tfiles {
	struct tfile	row[FILES_MAX];
};

/*
 * The hot counters live in one block per thread, so counting a call is a
 * plain add to memory no other thread writes.  Readers (report, send) sum
 * the blocks; a thread's block is folded into a "retired" one (its file
 * shares into the rows) when it exits, under a sequence counter the
 * readers check.
 */
struct tctr {
	/* first: a disk read or write touches this line and its row only */
	struct tfiles	*tf;			/* NULL until its first file count */
	uint64_t	opens;
	uint64_t	tf_chunks;		/* TF_CHUNK-row groups of tf counted in */
	uint64_t	cls[IW_NCLASS][C_NK];	/* C_RBYTES .. C_SYSW */
	uint64_t	co_absorbed;
	uint64_t	fsyncs;			/* the fsync family's calls */
	struct tctr	*next;			/* every block ever made */
	_Atomic int	live;			/* owned by a running thread */
} __attribute__((aligned(64)));
struct proc_totals {
	uint64_t	cls[IW_NCLASS][C_NK];
	uint64_t	co_absorbed;
	uint64_t	opens;
	uint64_t	fsyncs;
};
HIDDEN extern __thread struct tctr *my_tctr;
HIDDEN struct tctr *tctr_attach(void);
HIDDEN void	proc_totals(struct proc_totals *);

static inline struct tctr *
tctr(void)
{
	struct tctr *t = my_tctr;

	return likely(t != NULL) ? t : tctr_attach();
}

/*
 * Add to this thread's counter.  On x86-64 one add instruction: a signal
 * handler on this thread cannot split it, and no other thread writes the
 * word, so no lock prefix is needed.  Elsewhere (and under TSan, which
 * does not see inside asm) a relaxed atomic add.
 */
static inline void
ctr_add(uint64_t *p, uint64_t v)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	__asm__ volatile("addq %1, %0" : "+m"(*p) : "er"(v));
#else
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
#endif
}
#define CLS_ADD(c, k, v)	ctr_add(&tctr()->cls[c][k], (uint64_t)(v))

/*
 * Compare-and-swap atomic with respect to a signal handler on this
 * thread only: on x86 a cmpxchg without the lock prefix (one instruction:
 * a handler runs before or after it), elsewhere and under TSan the C11
 * one.  For words no other thread writes meanwhile.
 */
static inline int
cas_local64(uint64_t *p, uint64_t expect, uint64_t v)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	uint64_t prev = expect;

	__asm__ volatile("cmpxchgq %2, %1"
	    : "+a"(prev), "+m"(*(volatile uint64_t *)p)
	    : "r"(v)
	    : "memory", "cc");
	return prev == expect;
#else
	return __atomic_compare_exchange_n(p, &expect, v, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE);
#endif
}

/*
 * Set once the program may have a second thread (wrap_thread.c, and
 * tctr_attach for a thread made where the shim did not see it); cleared
 * in a forked child.  Until then the fd and path tables (pending opens,
 * fd entries, new file rows) change with cas_local: on x86 a locked
 * instruction next to a system call costs 40-50 ns, and with one thread
 * nothing else can write those words.  The shim's worker thread never
 * changes them.
 */
HIDDEN extern int shim_mt;
HIDDEN extern __thread int shim_worker;	/* worker.c: this is the worker */

static inline int
table_single(void)
{
	return likely(!__atomic_load_n(&shim_mt, __ATOMIC_RELAXED)) &&
	    likely(my_tctr != NULL);
}

/* CAS on a word of the fd and path tables; 1 when it was swapped. */
static inline int
table_cas64(uint64_t *p, uint64_t expect, uint64_t v)
{
	if (table_single())
		return cas_local64(p, expect, v);
	(void)tctr();		/* a thread new to the shim marks shim_mt */
	return __atomic_compare_exchange_n(p, &expect, v, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE);
}

HIDDEN extern struct proc_ctr pc;
HIDDEN extern struct file_row files[FILES_MAX];
HIDDEN extern struct file_name names[FILES_MAX];
HIDDEN extern _Atomic unsigned files_used;

/* Row f's shared counters, to add to: marked as written first. */
static inline struct file_row *
row_shared(unsigned f)
{
	if (!__atomic_load_n(&names[f].shared, __ATOMIC_RELAXED))
		__atomic_store_n(&names[f].shared, 1, __ATOMIC_RELEASE);
	return &files[f];
}

/* Row f's shared counters to read: all zero when never written. */
HIDDEN extern const struct file_row row_zero;
static inline const struct file_row *
row_shared_peek(unsigned f)
{
	return __atomic_load_n(&names[f].shared, __ATOMIC_ACQUIRE) ?
	    &files[f] : &row_zero;
}

/* A row's write calls: every one is in exactly one size bucket. */
static inline uint64_t
row_writes(const struct tfile *f)
{
	uint64_t n = 0;
	unsigned b;

	for (b = 0; b < IW_NSIZES; b++)
		n += f->write_sizes[b];
	return n;
}

HIDDEN unsigned	file_row_for(const char *path, size_t len, unsigned cls,
		    const uint32_t *hint);
HIDDEN uint32_t	file_row_hint(const char *path, size_t len);	/* hash, prefetch */
HIDDEN void	counters_reset(void);
HIDDEN void	counters_init(void);
HIDDEN void	rows_sum(unsigned lo, unsigned n, struct tfile *out);

#define CTR_ADD(p, n)	atomic_fetch_add_explicit((p), (n), memory_order_relaxed)

static inline unsigned
size_bucket(size_t n)
{
	return n < 100 ? 0 : n < 1000 ? 1 : n < 10000 ? 2 :
	    n < 100000 ? 3 : n < 1000000 ? 4 : 5;
}

/*
 * Where this thread counts row f: its own share (*own = 1, plain adds),
 * or, when no memory could be had for one, the row's (atomic adds).
 * row_share_slow makes the thread's table at its first file count and
 * marks a group of rows at its first count.
 */
HIDDEN struct tfile *row_share_slow(unsigned f, int *own);

static inline struct tfile *
row_share(unsigned f, int *own)
{
	struct tctr *t = tctr();
	struct tfiles *b = t->tf;

	if (likely(b != NULL) && likely(t->tf_chunks >> (f / TF_CHUNK) & 1)) {
		*own = 1;
		return &b->row[f];
	}
	return row_share_slow(f, own);
}

static inline void
share_add(uint64_t *p, uint64_t v, int own)
{
	if (likely(own))
		ctr_add(p, v);
	else
		__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/* Count an open of row f. */
static inline void
row_open(unsigned f)
{
	int own;
	struct tfile *x = row_share(f, &own);

	share_add(&x->opens, 1, own);
}

/* Count an fsync-family call on row f that lasted ticks. */
static inline void
row_fsync(unsigned f, uint64_t ticks)
{
	int own;
	struct tfile *x = row_share(f, &own);

	share_add(&x->fsyncs, 1, own);
	if (ticks)
		share_add(&x->fsync_ns, ticks, own);
}

/* Count reads (calls) reading in bytes (in may be -1) on row f. */
static inline void
row_read(unsigned f, int calls, ssize_t in)
{
	int own;
	struct tfile *x = row_share(f, &own);

	if (calls)
		share_add(&x->reads, 1, own);
	if (in > 0)
		share_add(&x->read_bytes, (uint64_t)in, own);
}

/*
 * Count on row f: a write call of size bytes when call is set, out bytes
 * written (may be -1), ns ticks of write time.
 */
static inline void
row_write(unsigned f, int call, size_t size, ssize_t out, uint64_t ns)
{
	int own;
	struct tfile *x = row_share(f, &own);

	if (call)
		share_add(&x->write_sizes[size_bucket(size)], 1, own);
	if (out > 0)
		share_add(&x->write_bytes, (uint64_t)out, own);
	if (ns)
		share_add(&x->write_ns, ns, own);
}

/* Count one read call of r bytes (r may be -1) on the descriptor e. */
static inline void
count_read(fdent_t e, ssize_t r)
{
	unsigned c = FDE_CLASS(e), f = FDE_FILE(e);
	struct tctr *t = tctr();

	ctr_add(&t->cls[c][C_READS], 1);
	if (r > 0)
		ctr_add(&t->cls[c][C_RBYTES], (uint64_t)r);
	if (f != FILE_NONE)
		row_read(f, 1, r);
}

/*
 * n write system calls that reached the kernel on a file of class c, row
 * f (a file row: disk and memfs files have one); a failed call, or one the
 * shim answered itself, is not counted.
 */
static inline void
count_sysw(unsigned c, unsigned f, unsigned n)
{
	int own;

	if (c > IW_MEMFS)
		return;
	ctr_add(&tctr()->cls[c][C_SYSW], n);
	if (f != FILE_NONE)
		share_add(&row_share(f, &own)->syscalls, n, own);
}

/* Count one write call of r bytes, lasting ns ticks. */
static inline void
count_write(fdent_t e, ssize_t r, uint64_t ns)
{
	unsigned c = FDE_CLASS(e), f = FDE_FILE(e);
	struct tctr *t = tctr();

	ctr_add(&t->cls[c][C_WRITES], 1);
	if (r > 0)
		ctr_add(&t->cls[c][C_WBYTES], (uint64_t)r);
	if (f != FILE_NONE) {
		row_write(f, 1, r > 0 ? (size_t)r : 0, r, ns);
		if (r >= 0)
			count_sysw(c, f, 1);
	}
}

/* Only writes to files are timed: they are the ones that can be slow. */
static inline int
timed_class(fdent_t e)
{
	return FDE_CLASS(e) <= IW_MEMFS && FDE_FILE(e) != FILE_NONE;
}

/* prio.c - the IOSHIM_FLUSH_ON words in appended bytes. */

HIDDEN extern int prio_on;	/* there are words to look for */
HIDDEN void	prio_init(void);
/* copy n bytes from src to dst, reading and writing nothing past them;
 * 1 when they hold a word (the best variant for this CPU) */
HIDDEN extern int (*prio_copy)(char *dst, const char *src, size_t n);

/* coalesce.c - gathering appends to log files. */

HIDDEN int	co_eligible(int fd, const char *path, int flags, const struct stat *st);
HIDDEN ssize_t	co_write_ex(int fd, fdent_t e, const void *buf, size_t n, int calls);
#define co_write(fd, e, buf, n)	co_write_ex(fd, e, buf, n, 1)
HIDDEN ssize_t	co_writev(int fd, fdent_t e, const struct iovec *iov, int cnt);
HIDDEN int	co_flush_fd(int fd, int reason);	/* -1 + errno on a kept error */
HIDDEN void	co_flush_all(int reason);
HIDDEN void	co_release(int fd);			/* fd is going away: flush, unref */
HIDDEN int	co_close(int fd);			/* the program closes fd: error to tell */
HIDDEN int	co_seek_held(int fd, int whence, off64_t *out);	/* 1: answered */
HIDDEN void	co_park_taken(int fd);			/* dup2 onto a kept fd's number */
HIDDEN int	co_unpark_all(void);			/* EMFILE: give kept fds back */
HIDDEN int	co_stat_held(dev_t dev, ino_t ino, uint64_t *held,
		    struct timespec *mt);		/* 0 none, 1 answer, 2 flushed */
HIDDEN extern _Atomic int co_fsize;			/* RLIMIT_FSIZE: 0 unknown, 1 none, 2 set */
HIDDEN void	co_ref(unsigned buf);			/* one more fd uses buf */
HIDDEN int	co_take_error(int fd);			/* pending flush error or 0 */
HIDDEN void	co_after_fork_child(void);
HIDDEN void	co_signal_flush(void);			/* async-signal-safe */
HIDDEN void	co_prepare_fork(void);
HIDDEN void	co_parent_fork(void);
HIDDEN int	co_flush_inode_held(dev_t dev, ino_t ino);
HIDDEN uint64_t	co_age_flush(void);	/* worker: age and retries; next due time */
HIDDEN extern _Atomic uint64_t co_held;			/* bytes buffered now */
HIDDEN extern _Atomic int shim_ending;			/* image ended: no buffering */
HIDDEN void	co_flush_peer(int fd, unsigned ihash);	/* flush fd's file by inode */
HIDDEN void	co_spills_end(void);			/* image end: spill files go */
HIDDEN int	co_lock_mine(void);			/* inside the coalescer */

/*
 * debounce_cfg.c, debounce.c - whole-file saves by rename onto a file
 * IOSHIM_DEBOUNCE names, written at most once per window
 * (docs/debounce.md).
 */
HIDDEN extern int db_on;			/* patterns are set */
HIDDEN extern _Atomic unsigned db_npend;	/* states pending now */
HIDDEN void	db_config(void);		/* init.c */
HIDDEN int	db_match(const char *abs);	/* pattern index or -1 */
HIDDEN uint64_t	db_window_ns(int pat);
HIDDEN int	db_nosync(int pat);
HIDDEN int	db_inplace(int pat);
HIDDEN void	db_sweep_start(void);
HIDDEN int	db_resolve(int dirfd, const char *path, char *dir,
		    const char **base);
HIDDEN int	db_join(char *out, const char *dir, const char *base);
HIDDEN int	db_rename(int fromdir, const char *from, int todir,
		    const char *to, unsigned flags, int *res);
HIDDEN int	db_open(int dirfd, const char *path, int flags, int *fd);
HIDDEN int	db_open_onto(const char *path, int flags, int onto);
HIDDEN int	db_inplace_path(const char *path);
HIDDEN void	db_path_slow(const char *path);
HIDDEN void	db_fsync(int fd);		/* before an fsync of fd */
HIDDEN void	db_opened_sync(int fd);	/* opened O_SYNC or O_DSYNC */
HIDDEN uint64_t	db_age_flush(void);		/* worker: next due time */
HIDDEN void	db_flush_all_slow(void);
HIDDEN void	db_signal_flush(void);
HIDDEN void	db_after_fork_child(void);
HIDDEN void	db_counts_reset(void);	/* a failed exec's new image */
HIDDEN int	db_row(unsigned i, const char **path, uint64_t *absorbed,
		    uint64_t *written, uint64_t *saved);

/*
 * debounce_hold.c - a debounced save's temporary file whose bytes are
 * held in memory: its fd is marked FD_COALESCE with buffer number
 * DBH_BUF0 + slot, and the coalescer's entry points hand it there.
 */
#define DBH_BUF0	0xfff0u
#define DBH_N		4		/* temporary files held at once */
static inline int
dbh_buf(unsigned b)
{
	return b >= DBH_BUF0 && b < DBH_BUF0 + DBH_N;
}
HIDDEN void	dbh_opened(int fd, int dirfd, const char *path, int flags);
HIDDEN ssize_t	dbh_write(int fd, fdent_t e, const void *p, size_t n);
HIDDEN ssize_t	dbh_writev(int fd, fdent_t e, const struct iovec *iov, int cnt);
HIDDEN int	dbh_pwrite(int fd, fdent_t e, const void *p, size_t n,
		    off64_t off, ssize_t *r);
HIDDEN int	dbh_real_fd(int fd, int force);
HIDDEN int	dbh_seek(int fd, int whence, off64_t *out);
HIDDEN int	dbh_close(int fd);
HIDDEN void	dbh_release(int fd);
HIDDEN int	dbh_take_error(int fd);
HIDDEN void	dbh_end(void);
HIDDEN extern __thread int db_skip_hold;	/* rename's FROM: not yet */

/* The program names path: a pending state of that name is made real. */
static inline void
db_point(const char *path)
{
	if (unlikely(atomic_load_explicit(&db_npend, memory_order_relaxed)))
		db_path_slow(path);
}

/* Exit, exec, fork: every pending state is made real. */
static inline void
db_flush_all(void)
{
	if (unlikely(atomic_load_explicit(&db_npend, memory_order_relaxed)))
		db_flush_all_slow();
}

/* spill.c - buffers in files on tmpfs that outlive a killed process. */
struct spill_hdr;
HIDDEN struct spill_hdr *spill_new(int fd, dev_t dev, ino_t ino, uint32_t cap,
		    char *name, size_t size);
HIDDEN struct spill_hdr *spill_grow(struct spill_hdr *h, const char *name,
		    uint32_t cap);
HIDDEN void	spill_free(struct spill_hdr *h, const char *name);
HIDDEN void	spill_forget(struct spill_hdr *h);	/* forked child */
HIDDEN void	spill_after_fork(void);
HIDDEN const char *spill_where(void);
HIDDEN void	*spill_map_new(char kind, size_t size, char *name, size_t nsz);
HIDDEN void	spill_map_free(void *p, size_t size, const char *name);
HIDDEN const char *spill_dir_now(void);
HIDDEN void	spill_salvage_startup(void);	/* worker, once per process */
HIDDEN void	spill_salvage_end(int in_handler);	/* image end */
HIDDEN extern uint64_t spill_salvaged_n, spill_salvaged_bytes;
HIDDEN void	co_before_trunc(int dirfd, const char *path, int oflags); /* wrap_path.c */

/*
 * Another fd (read-only, or not O_APPEND) on a file whose appends may be
 * held: the held bytes reach the file before it is read, written or
 * looked at through this fd, so the program sees its own bytes.
 */
static inline void
co_peer_point(int fd, fdent_t e)
{
	if (unlikely(FDE_FLAGS(e) & FD_PEER) && unlikely(co_held != 0))
		co_flush_peer(fd, FDE_IHASH(e));
}

/*
 * Write the held bytes of the file dev/ino, if any, before the program
 * looks at it by name (stat); 1 when some were written.  Nothing held at
 * all (almost always) is one load here.
 */
static inline int
co_flush_inode(dev_t dev, ino_t ino)
{
	return unlikely(co_held != 0) && co_flush_inode_held(dev, ino);
}

/* Flush fd's buffered bytes before an operation that must see them. */
static inline void
co_sync_point(int fd, int reason)
{
	fdent_t e = fd_peek(fd);

	if (unlikely(FDE_FLAGS(e) & FD_COALESCE))
		co_flush_fd(fd, reason);
	else
		co_peer_point(fd, e);
}

/*
 * guard.c - copy from the program's memory: 0 when copied, -1 when the
 * source cannot be read (the caller lets the kernel answer the call).
 * Whether this thread's faults reach the shim's handler is cached per
 * thread and checked against fault_gen (lifecycle.c bumps it when the
 * SIGSEGV or SIGBUS disposition changes).
 */
HIDDEN extern _Atomic unsigned fault_gen;
HIDDEN extern __thread unsigned guard_seen;	/* fault_gen when known, 0 */
HIDDEN extern __thread int guard_armed;		/* the marked copy is safe */
HIDDEN int	guard_copy_marked(char *dst, const char *src, size_t n, int *prio);
HIDDEN int	guard_copy_slow(char *dst, const char *src, size_t n, int *prio);
HIDDEN void	guard_fault(int sig, const siginfo_t *si, const void *uc);
HIDDEN int	fault_handler_ours(void);	/* lifecycle.c */
HIDDEN void	signals_ensure(void);	/* lifecycle.c: the shim's fatal-signal handlers in */

static inline int
guard_copy(char *dst, const char *src, size_t n, int *prio)
{
	if (likely(guard_seen == atomic_load_explicit(&fault_gen,
	    memory_order_relaxed)) && likely(guard_armed))
		return guard_copy_marked(dst, src, n, prio);
	return guard_copy_slow(dst, src, n, prio);
}

/*
 * vfork.c - in a vfork child (the parent's memory, another pid) the shim
 * changes none of its state.  One thread-local load unless a vfork was
 * made on this thread since it last checked.
 */
HIDDEN extern __thread pid_t vfork_pid;
HIDDEN int	vfork_child_check(void);
HIDDEN void	vfork_after_fork(void);		/* in a forked child */

static inline __attribute__((always_inline)) int
in_vfork_child(void)
{
	return unlikely(vfork_pid != 0) && vfork_child_check();
}

/* stdio.c helpers used at exit */
HIDDEN void	stdio_flush_all(void);

/* report.c - one JSONL record per ended image. */
HIDDEN void	report_write(int reason, int code);

/* reportfd.c - the report file: opened, kept, locked; lost records counted. */
struct report_dest {
	int		fd;
	int		kept;		/* the fd kept since a privilege drop */
	int64_t		start;		/* the file's size before the record */
	uint64_t	dropped;	/* lost records this one reports */
};
HIDDEN void	report_init(void);		/* constructor */
HIDDEN void	report_keep(void);		/* before a privilege drop */
HIDDEN int	report_begin(struct report_dest *);
HIDDEN void	report_end(struct report_dest *, int ok);

/* ownfd.c - the shim's own fds in the program's table, with what they are. */
#define KEEP_MAX	32	/* files held past their last close */
HIDDEN int	ownfd_park(int fd, unsigned cls, struct stat *st);
HIDDEN int	ownfd_keep(int fd, dev_t dev, ino_t ino);
HIDDEN int	ownfd_valid(int fd, dev_t dev, ino_t ino);
HIDDEN void	ownfd_close(int fd, dev_t dev, ino_t ino);
HIDDEN int	own_fd_still(int fd);	/* marked: still ours? else dropped */

/* send.c - counters to the collector. */
HIDDEN void	send_tick(int final, int reason, int code);
HIDDEN void	send_after_fork_child(void);
HIDDEN void	send_reset_rows(void);		/* counters_reset: rows new again */
HIDDEN int	send_owns_fd(int fd);
HIDDEN void	send_drop_fd(void);
HIDDEN void	send_init(void);		/* constructor */
HIDDEN void	send_maybe_connect(int now);	/* program thread: find the collector */
HIDDEN char	*send_buffer(void);		/* send_db.c: under send_lock */
HIDDEN int	send_datagram(int type, size_t len);
HIDDEN void	send_debounce(int all);		/* send_db.c: IW_DEBOUNCE */
HIDDEN void	send_debounce_fork_child(void);

/* worker.c - the background thread: age flushes and periodic sends. */
HIDDEN void	worker_kick(void);
HIDDEN void	worker_ensure(void);		/* start it if sending */
HIDDEN int	worker_stop(void);		/* before fork */
HIDDEN void	worker_restart(int stopped);	/* after a cred call */
HIDDEN void	worker_first_byte(void);	/* a buffer's first held byte */
HIDDEN int	worker_wake(void);		/* a running one only */
HIDDEN void	worker_after_fork_child(void);
HIDDEN void	worker_main_gone(void);	/* main called pthread_exit */

/* kio.c - the image's own storage I/O as the kernel counts it. */
HIDDEN void	kio_start(void);		/* a new image: the base */
HIDDEN void	kio_own(uint64_t *read_bytes, uint64_t *write_bytes);

/* lifecycle.c */
HIDDEN void	image_end(int reason, int code);
HIDDEN extern uint64_t image_start_ns, image_start_ticks;
HIDDEN extern char image_exe[IW_EXE_MAX];
HIDDEN extern uint64_t image_exe_dev, image_exe_ino;

/* Is fd one of the shim's own? */
static inline int
shim_fd(int fd)
{
	return unlikely(FDE_FLAGS(fd_peek(fd)) & FD_SHIM) && own_fd_still(fd);
}

/*
 * System calls used before the real functions are resolved, where the
 * call differs between 64-bit and 32-bit ABIs.
 */
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <string.h>
#ifdef SYS_newfstatat
#define RAW_FSTATAT(d, p, s, f)	((int)syscall(SYS_newfstatat, d, p, s, f))
#else
#define RAW_FSTATAT(d, p, s, f)	(errno = ENOSYS, -1)
#endif
/*
 * A stat of what the shim itself reads of a file (type and mode, owner,
 * links, device, inode, size) by statx, which every ABI has (32-bit arm
 * has no newfstatat): RAW_FSTATAT's arguments.  errno as the call left it.
 */
static inline int
raw_stat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct statx x;

	if (syscall(SYS_statx, dirfd, path, flags | AT_STATX_DONT_SYNC,
	    STATX_BASIC_STATS, &x) != 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = x.stx_mode;
	st->st_uid = x.stx_uid;
	st->st_gid = x.stx_gid;
	st->st_nlink = x.stx_nlink;
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_ino = (ino_t)x.stx_ino;
	st->st_size = (off_t)x.stx_size;
	st->st_mtim.tv_sec = x.stx_mtime.tv_sec;	/* (debounce: whose */
	st->st_mtim.tv_nsec = x.stx_mtime.tv_nsec;	/* state is newer) */
	st->st_ctim.tv_sec = x.stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = x.stx_ctime.tv_nsec;
	return 0;
}
#ifdef SYS_mmap2
#define RAW_MMAP(a, l, p, f, fd, o) \
	((void *)syscall(SYS_mmap2, a, l, p, f, fd, (long)((o) >> 12)))
#else
#define RAW_MMAP(a, l, p, f, fd, o) ((void *)syscall(SYS_mmap, a, l, p, f, fd, o))
#endif

/* A guard for code that must not be re-entered from the same thread. */
HIDDEN extern __thread int shim_busy;

#endif /* IOSHIM_SHIM_H */
