/*
 * init.c - start-up of libioshim.so: resolve the real functions, read the
 * configuration from the environment, and hook the process's end.
 *
 * Resolution happens once, in the constructor (or the first wrapper call
 * if another library's constructor calls us earlier), through shim_init's
 * own once; a call that comes before looks its function up then (LAZY,
 * lazy.c).  Not at each function's first call instead: dlsym frees and
 * clears the calling thread's pending dlerror() message, which a program
 * may be about to print, and takes the loader's lock.  Until it completes, wrappers of system calls go straight
 * to the kernel with syscall(2): dlsym may allocate, and a wrapper must
 * never call a NULL pointer.
 *
 * In a secure-execution process (AT_SECURE: set-user-ID or set-group-ID,
 * or capabilities gained at exec) the environment is the caller's, not
 * the program's owner's: every setting is read with secure_getenv, so
 * none is taken and the defaults hold; coalescing is off (the caller may
 * SIGKILL the program, and its held log lines, an audit trail maybe,
 * would be lost); no report is written; counts go only to the system
 * collector's socket.  docs/shim.md, "Set-user-ID programs".
 *
 * Inert: with IOSHIM_DISABLE=1, or when a function the shim cannot do
 * without did not resolve, the shim does nothing but pass calls on.  The
 * check comes before any other work; the real functions are still
 * resolved (that makes no system call), because the wrappers of libc's
 * own functions (stdio, exec, exit) must reach them.  shim_ready then
 * stays 0, so every system-call wrapper goes straight to the kernel, the
 * configuration stays empty (no socket, no report, no coalescing), and no
 * signal handler, thread, socket or file is ever made.  docs/shim.md,
 * "Turning the shim off".
 */
#include <dlfcn.h>
#include <sys/auxv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"

HIDDEN SHIM_HOT struct shim_real real;
HIDDEN SHIM_HOT volatile int shim_ready;
HIDDEN SHIM_HOT struct shim_config cfg;
/* the long settings, when set (cfg points here; SHIM_BIG: untouched else) */
static SHIM_BIG struct {
	char	report[4096], include[1024], exclude[1024];
	char	flush_on[CFG_FLUSH_ON_MAX];
} cfg_text;
HIDDEN __thread int shim_busy;
HIDDEN SHIM_HOT int shim_secure;	/* AT_SECURE: nothing from the environment */
HIDDEN SHIM_HOT int shim_inert;	/* off: every wrapper passes straight through */

static SHIM_HOT int init_state;	/* 0 not begun, 1 under way, 2 done */

/* open(2) without passing through any wrapper. */
int
shim_raw_open(const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/*
 * pthread_atfork, without its stub: pthread_atfork is a few bytes of
 * libc_nonshared.a that the link puts at the end of the text, a page no
 * other start-up code touches, which passes this library's __dso_handle
 * to glibc's exported __register_atfork.  The same call made here costs
 * every process one page fault fewer.
 */
extern int __register_atfork(void (*)(void), void (*)(void), void (*)(void),
    void *);
extern void *__dso_handle;

SHIM_ONCE int
shim_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	return __register_atfork(prepare, parent, child, __dso_handle);
}

/* A number from the environment, or def when unset or not a number. */
SHIM_ONCE static uint64_t
env_num(const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *s = secure_getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return def;
	return v;
}

static void
env_str(char *dst, size_t size, const char *name, const char *def)
{
	const char *s = secure_getenv(name);

	if (s == NULL)
		s = def;
	if (strlen(s) >= size)
		s = "";			/* too long: ignored, never cut */
	strcpy(dst, s);
}

/* A long setting: copied into dst when set, else "" (dst untouched). */
static const char *
env_text(char *dst, size_t size, const char *name)
{
	const char *s = secure_getenv(name);

	if (s == NULL || *s == '\0' || strlen(s) >= size)
		return "";		/* too long: ignored, never cut */
	strcpy(dst, s);
	return dst;
}

static void
read_config(void)
{
	const char *dir;

	shim_secure = getauxval(AT_SECURE) != 0;
	cfg.coalesce = shim_secure ? 0 : (int)env_num("IOSHIM_COALESCE", 1, 0, 1);
	cfg.buffer_bytes = env_num("IOSHIM_BUFFER_KB", 64, 1, 65536) * 1024;
	cfg.flush_ns = env_num("IOSHIM_FLUSH_MS", 1000, 1, 86400000) * 1000000;
	cfg.mem_bytes = env_num("IOSHIM_MEM_KB", 4096, 4, 1048576) * 1024;
	cfg.interval_ns = env_num("IOSHIM_INTERVAL_MS", 1000, 10, 86400000) * 1000000;
	cfg.report = env_text(cfg_text.report, sizeof(cfg_text.report), "IOSHIM_REPORT");
	env_str(cfg.sock, sizeof(cfg.sock), "IOSHIM_SOCKET", "");
	cfg.sock_explicit = cfg.sock[0] != '\0';
	if (!cfg.sock_explicit) {
		/* the collector's default socket, used when it exists */
		if (getuid() == 0 || shim_secure)
			strcpy(cfg.sock, "/run/ioshim/ioshimd.sock");
		else if ((dir = secure_getenv("XDG_RUNTIME_DIR")) != NULL &&
		    strlen(dir) + sizeof("/ioshim/ioshimd.sock") <= sizeof(cfg.sock))
			snprintf(cfg.sock, sizeof(cfg.sock), "%s/ioshim/ioshimd.sock", dir);
	}
	cfg.include = env_text(cfg_text.include, sizeof(cfg_text.include), "IOSHIM_COALESCE_INCLUDE");
	cfg.exclude = env_text(cfg_text.exclude, sizeof(cfg_text.exclude), "IOSHIM_COALESCE_EXCLUDE");
	/* unset: severity tokens of common formats (prio.c) */
	cfg.flush_default = secure_getenv("IOSHIM_FLUSH_ON") == NULL;
	cfg.flush_on = env_text(cfg_text.flush_on, sizeof(cfg_text.flush_on), "IOSHIM_FLUSH_ON");
	db_config();		/* IOSHIM_DEBOUNCE (debounce_cfg.c) */
}

HIDDEN void lifecycle_init(void);
HIDDEN void ready_signal(void);

/* IOSHIM_DISABLE=1 (secure_getenv: not from a set-user-ID caller). */
static int
disabled(void)
{
	const char *s = secure_getenv("IOSHIM_DISABLE");

	return s != NULL && strcmp(s, "1") == 0;
}

/*
 * The functions without which the shim cannot run safely; if libc did
 * not give one of them, start-up has failed and the shim stays inert.
 */
static int
resolved(void)
{
	return real.read != NULL && real.write != NULL && real.close != NULL &&
	    real.fstat != NULL && real.sigaction != NULL &&
	    real.exit != NULL && real.__libc_start_main != NULL &&
	    real.pthread_create != NULL && real._Fork != NULL;
}

static void
do_init(void)
{
	int saved = errno, off;

	shim_busy++;
	off = disabled();
#define X(name, ret, args) real.name = (real_##name##_t)real_find(#name);
	SHIM_REAL_FUNCS(X)
#undef X
	if (off || !resolved()) {
		shim_inert = 1;
		shim_busy--;
		errno = saved;
		return;
	}
	clock_init();
	read_config();
	report_init();
	lifecycle_init();
	shim_ready = 1;
	shim_busy--;
	errno = saved;
}

/*
 * Once, like pthread_once, whose completion wakes waiters with a futex
 * call in every process: an inert shim must make no system call the
 * program would not.  Another thread arriving meanwhile (a library's
 * constructor may start one) yields until start-up is done.
 */
SHIM_ONCE void
shim_init(void)
{
	int expect = 0;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&init_state, &expect, 1, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		do_init();
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

__attribute__((constructor)) static void
shim_constructor(void)
{
	shim_init();
	if (!shim_inert)
		ready_signal();
}

/*
 * "ioshim run" waits to hear that the shim started: one byte on the fd
 * named by IOSHIM_READY_FD, which is then closed and forgotten, so the
 * program never sees it.
 */
SHIM_ONCE HIDDEN void
ready_signal(void)
{
	const char *s = secure_getenv("IOSHIM_READY_FD");
	long fd;
	char *end;

	if (s == NULL)
		return;
	fd = strtol(s, &end, 10);
	unsetenv("IOSHIM_READY_FD");
	if (*end != '\0' || fd < 3 || fd > 65535)
		return;
	syscall(SYS_write, (int)fd, "1", 1);
	syscall(SYS_close, (int)fd);
}

/*
 * Field n (as numbered in proc(5), n >= 3) of /proc/self/stat, as a
 * number; *state gets field 3 (R, S, Z, ...) when not NULL.  0 when the
 * file cannot be read.  Raw system calls: safe anywhere.
 *
 * The start time (22) is read as /proc/thread-self/../../stat, the same
 * file by another name: qemu-user answers "/proc/self/stat" (and
 * "/proc/OWN-PID/stat") itself, with a start time of its own some ticks
 * after the kernel's, which no other process sees: the spill salvage of
 * every other process then took a live writer under qemu for a dead one
 * and wrote its held bytes twice.
 */
uint64_t
proc_stat_field(int n, char *state)
{
	char buf[1024], *p;
	ssize_t len;
	int fd = -1, field;

	if (n == 22)
		fd = shim_raw_open("/proc/thread-self/../../stat", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		fd = shim_raw_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	len = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* the command name (field 2) may hold spaces: start after its ")" */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	if (state != NULL)
		*state = p[2];
	for (field = 2; *p && field < n; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}
