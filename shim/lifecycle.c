/*
 * lifecycle.c - the life of a program image under the shim: its identity
 * at start, and its end by exit, _exit, exec or a fatal signal, each of
 * which writes the held bytes, one report record and a last message.
 * Also fork (counters start again in the child) and the signal
 * dispositions the shim takes over.
 *
 * Fatal signals: where the program leaves a terminating signal at its
 * default action, the shim installs a handler that flushes, reports,
 * restores the default and raises the signal again, so the program dies
 * exactly as it would have (same signal, core if any).  The program still
 * sees SIG_DFL when it asks, and its own handlers replace the shim's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "shim.h"

HIDDEN SHIM_HOT uint64_t image_start_ns, image_start_ticks;
HIDDEN SHIM_HOT char image_exe[IW_EXE_MAX];
HIDDEN SHIM_HOT uint64_t image_exe_dev, image_exe_ino;	/* of image_exe: 0 unknown */

static SHIM_HOT atomic_int ended;		/* this image has been reported */
static SHIM_HOT int end_async;			/* by _exit: maybe in a signal handler */
static SHIM_HOT int exit_code;			/* from exit() or main's return */

static const int fatal_sigs[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
	SIGSEGV, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGSYS, SIGPWR,
};
#define NSIG_MAX 65
static SHIM_HOT unsigned char fatal[NSIG_MAX];	/* 1: terminates by default */
static unsigned char ours[NSIG_MAX];	/* 1: the shim's handler is in place */
static atomic_flag sig_lock = ATOMIC_FLAG_INIT;
static void	set_ours(int sig, int v);

/*
 * A new image (or a forked child's).  Its start in clock ticks since boot
 * (/proc/self/stat), which only the collector needs, is read by send.c
 * when there is a collector: three system calls fewer per process and
 * per fork otherwise.
 */
static void
new_image(void)
{
	image_start_ns = shim_wall_ns_sys();
	image_start_ticks = 0;
	kio_start();
}

/* Write held bytes, report, and send the last message; once per image. */
SHIM_ONCE void
image_end(int reason, int code)
{
	if (!shim_ready || atomic_exchange(&ended, 1))	/* inert: nothing */
		return;
	/*
	 * Ending first, then the flush: an append another thread makes
	 * meanwhile is either flushed here or, seeing shim_ending under the
	 * coalescer's lock, written straight through; none is left held.
	 */
	shim_ending = 1;
	spill_salvage_end(reason == IW_END_SIGNAL || end_async);
	fd_resolve_all();	/* opens not yet classified, into their rows */
	if (reason == IW_END_SIGNAL) {
		co_signal_flush();
		db_signal_flush();
	} else {
		co_flush_all(reason == IW_END_EXEC ? IW_R_EXEC : IW_R_EXIT);
		db_flush_all();
	}
	dbh_end();		/* debounce hold files, what is written */
	co_spills_end();
	report_write(reason, code);
	send_tick(1, reason, code);
}

/* exec failed: the image goes on, as a new one for the counters. */
static void
image_resume(void)
{
	if (!shim_ready)
		return;
	counters_reset();
	db_counts_reset();
	new_image();
	shim_ending = 0;
	atomic_store(&ended, 0);
}

/* --- signals --- */

static void
fatal_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl;
	int saved = errno;

	guard_fault(sig, si, uc);	/* a bad pointer in the shim's copy */
	if (!in_vfork_child())		/* a vfork child's image is its parent's */
		image_end(IW_END_SIGNAL, sig);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	LAZY(sigaction)(sig, &dfl, NULL);
	set_ours(sig, 0);
	/*
	 * A fault (SIGSEGV from the kernel, ...) happens again when the
	 * handler returns; anything sent is raised again, and is delivered
	 * when the handler returns and the signal is unblocked.
	 */
	if (si == NULL || si->si_code <= 0 ||
	    !(sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL))
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	errno = saved;
	(void)uc;
}

/*
 * ours[] changes here only; guard.c caches per thread whether a fault
 * reaches fatal_handler, checked against fault_gen.
 */
HIDDEN _Atomic unsigned fault_gen = 1;

static void
set_ours(int sig, int v)
{
	__atomic_store_n(&ours[sig], (unsigned char)v, __ATOMIC_RELAXED);
	if (sig == SIGSEGV || sig == SIGBUS)
		atomic_fetch_add(&fault_gen, 1);
}

/* Would a fault reach fatal_handler (guard.c)? */
int
fault_handler_ours(void)
{
	return __atomic_load_n(&ours[SIGSEGV], __ATOMIC_RELAXED) &&
	    __atomic_load_n(&ours[SIGBUS], __ATOMIC_RELAXED);
}

static int
install_ours(int sig, struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fatal_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (LAZY(sigaction)(sig, &sa, old) != 0)
		return -1;
	set_ours(sig, 1);
	return 0;
}

static void
sig_lock_take(void)
{
	while (atomic_flag_test_and_set(&sig_lock))
		;
}

/*
 * Until the constructor has run, a call goes to the next sigaction as it
 * is: it may come from another runtime's start-up (ThreadSanitizer's sets
 * its handlers before any constructor, through our sigaction), when no
 * shim code can run yet, not even instrumented code in a sanitizer build,
 * hence NO_TSAN.  signals_init() looks at every disposition when the shim
 * starts anyway.
 */
static int shim_sigaction(int, const struct sigaction *, struct sigaction *);

EXPORT NO_TSAN int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static real_sigaction_t early;

	if (likely(shim_ready))
		return shim_sigaction(sig, act, old);
	if (early == NULL &&
	    (early = (real_sigaction_t)dlsym(RTLD_NEXT, "sigaction")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return early(sig, act, old);
}

static __attribute__((noinline)) int
shim_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction prev;
	int r, was_ours, dfl;

	if (sig <= 0 || sig >= NSIG_MAX || !fatal[sig])
		return LAZY(sigaction)(sig, act, old);
	if (in_vfork_child()) {
		/* the real call; the parent's bookkeeping stays as it is */
		r = LAZY(sigaction)(sig, act, &prev);
		if (r == 0 && old != NULL) {
			*old = prev;
			if ((prev.sa_flags & SA_SIGINFO) &&
			    prev.sa_sigaction == fatal_handler) {
				memset(old, 0, sizeof(*old));
				old->sa_handler = SIG_DFL;
			}
		}
		return r;
	}
	sig_lock_take();
	was_ours = ours[sig];
	dfl = act != NULL && !(act->sa_flags & SA_SIGINFO) &&
	    act->sa_handler == SIG_DFL;
	if (dfl)
		r = install_ours(sig, &prev);
	else {
		r = LAZY(sigaction)(sig, act, &prev);
		if (r == 0 && act != NULL)
			set_ours(sig, 0);
	}
	atomic_flag_clear(&sig_lock);
	if (r == 0 && old != NULL) {
		*old = prev;
		if (was_ours) {
			memset(old, 0, sizeof(*old));
			old->sa_handler = SIG_DFL;
		}
	}
	return r;
}

static sighandler_t
do_signal(int sig, sighandler_t h)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (h != SIG_DFL && h != SIG_IGN)
		sigaddset(&sa.sa_mask, sig);
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

EXPORT sighandler_t
signal(int sig, sighandler_t h)
{
	return do_signal(sig, h);
}

EXPORT sighandler_t
bsd_signal(int sig, sighandler_t h)
{
	return do_signal(sig, h);
}

/*
 * The System V forms set the disposition inside libc, past the shim's
 * sigaction: after them the shim's record of its own handlers is read
 * again from the kernel (a fault's copy, guard.c, depends on it).
 */
static void
resync(int sig)
{
	struct sigaction cur;

	if (sig <= 0 || sig >= NSIG_MAX || !fatal[sig] || in_vfork_child())
		return;
	if (LAZY(sigaction)(sig, NULL, &cur) == 0)
		set_ours(sig, (cur.sa_flags & SA_SIGINFO) &&
		    cur.sa_sigaction == fatal_handler);
}

#define SYSV_SIGNAL(name)						\
EXPORT sighandler_t							\
name(int sig, sighandler_t h)						\
{									\
	sighandler_t r;							\
	int saved;							\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	r = LAZY(name)(sig, h);						\
	saved = errno;							\
	sig_lock_take();						\
	resync(sig);							\
	atomic_flag_clear(&sig_lock);					\
	errno = saved;							\
	return r;							\
}
SYSV_SIGNAL(sysv_signal)
SYSV_SIGNAL(sigset)
SYSV_SIGNAL(ssignal)

/*
 * The shim's handlers go in when the image first has something to lose
 * at a fatal signal: its first fd classified (fdtable.c: counts, held
 * bytes, a collector to tell), or at start when a report is asked for
 * (every ended image gets its record).  A program that never does I/O,
 * /bin/true in a shell loop, is spared the 24 system calls.  The set of
 * signals is known from the start (no system call): shim_sigaction
 * consults it, and a program's own SIG_DFL puts the shim's handler in.
 */
static atomic_int sigs_on;

static void
signals_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		fatal[fatal_sigs[i]] = 1;
	if (cfg.report[0] != '\0')
		signals_ensure();
}

void
signals_ensure(void)
{
	struct sigaction cur;
	sigset_t all, old;
	size_t i;
	int s, mt;

	if (likely(atomic_load_explicit(&sigs_on, memory_order_relaxed)) ||
	    !shim_ready || in_vfork_child())
		return;
	/*
	 * Signals wait meanwhile (none meets a handler that is there only
	 * for an instant, nor a program handler spins on sig_lock).  Alone,
	 * one call per signal: ours goes in and the old action comes back;
	 * where that was not the default (a handler, or SIG_IGN inherited
	 * across exec) it is put back.  With program threads, which may set
	 * actions past our wrapper (raw system calls), the action is read
	 * first and ours goes in only over SIG_DFL.
	 */
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	sig_lock_take();
	if (atomic_load(&sigs_on))
		goto out;
	mt = __atomic_load_n(&shim_mt, __ATOMIC_RELAXED);
	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		s = fatal_sigs[i];
		if (ours[s])
			continue;	/* the program's own SIG_DFL put it in */
		if (mt) {
			if (LAZY(sigaction)(s, NULL, &cur) == 0 &&
			    !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL)
				install_ours(s, NULL);
		} else if (install_ours(s, &cur) == 0 &&
		    ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)) {
			LAZY(sigaction)(s, &cur, NULL);
			set_ours(s, 0);
		}
	}
	atomic_store(&sigs_on, 1);
out:
	atomic_flag_clear(&sig_lock);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

/* --- fork --- */

static void
fork_prepare(void)
{
	worker_stop();		/* first: it may be waiting for the coalescer */
	db_flush_all();
	co_prepare_fork();
}

static void
fork_parent(void)
{
	co_parent_fork();
}

static void
fork_child(void)
{
	vfork_after_fork();
	co_after_fork_child();
	db_after_fork_child();
	counters_reset();
	new_image();
	send_after_fork_child();
	worker_after_fork_child();
}

EXPORT pid_t
_Fork(void)
{
	pid_t r;

	if (unlikely(!shim_ready))
		shim_init();
	co_flush_all(IW_R_FORK);
	db_flush_all();
	r = LAZY(_Fork)();
	if (r == 0)
		fork_child();
	return r;
}

#define SPAWN(name)							\
EXPORT int								\
name(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, \
    const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) \
{									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	co_flush_all(IW_R_FORK);					\
	db_flush_all();							\
	return LAZY(name)(pid, path, fa, attr, argv, envp);		\
}
SPAWN(posix_spawn)
SPAWN(posix_spawnp)

EXPORT int
system(const char *cmd)
{
	if (unlikely(!shim_ready))
		shim_init();
	co_flush_all(IW_R_FORK);
	db_flush_all();
	return LAZY(system)(cmd);
}

EXPORT FILE *
popen(const char *cmd, const char *mode)
{
	if (unlikely(!shim_ready))
		shim_init();
	co_flush_all(IW_R_FORK);
	db_flush_all();
	return LAZY(popen)(cmd, mode);
}

/* --- exec --- */

/* In a vfork child the image that ends is the parent's: none ends. */
#define EXEC_BEGIN()							\
	int r_, saved_, vf_ = in_vfork_child();				\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	if (!vf_)							\
		image_end(IW_END_EXEC, 0)
#define EXEC_END()							\
	saved_ = errno;							\
	if (!vf_)							\
		image_resume();						\
	errno = saved_;							\
	return r_

EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	EXEC_BEGIN();
	r_ = LAZY(execve)(path, argv, envp);
	EXEC_END();
}

EXPORT int
execv(const char *path, char *const argv[])
{
	EXEC_BEGIN();
	r_ = LAZY(execv)(path, argv);
	EXEC_END();
}

EXPORT int
execvp(const char *file, char *const argv[])
{
	EXEC_BEGIN();
	r_ = LAZY(execvp)(file, argv);
	EXEC_END();
}

EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	EXEC_BEGIN();
	r_ = LAZY(execvpe)(file, argv, envp);
	EXEC_END();
}

EXPORT int
fexecve(int fd, char *const argv[], char *const envp[])
{
	EXEC_BEGIN();
	r_ = LAZY(fexecve)(fd, argv, envp);
	EXEC_END();
}

EXPORT int
execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
    int flags)
{
	EXEC_BEGIN();
	r_ = LAZY(execveat)(dirfd, path, argv, envp, flags);
	EXEC_END();
}

/* The execl family: gather the arguments, then the execv form. */
#define ARGV_FROM_VA(arg0, ap, argv, extra)				\
	size_t n_ = 1;							\
	va_start(ap, arg0);						\
	while (va_arg(ap, char *) != NULL)				\
		n_++;							\
	va_end(ap);							\
	char *argv[n_ + 1];						\
	va_start(ap, arg0);						\
	argv[0] = (char *)arg0;						\
	for (size_t i_ = 1; i_ <= n_; i_++)				\
		argv[i_] = va_arg(ap, char *);				\
	extra;								\
	va_end(ap)

EXPORT int
execl(const char *path, const char *arg, ...)
{
	va_list ap;

	ARGV_FROM_VA(arg, ap, argv, (void)0);
	return execv(path, argv);
}

EXPORT int
execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	ARGV_FROM_VA(arg, ap, argv, (void)0);
	return execvp(file, argv);
}

EXPORT int
execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;

	ARGV_FROM_VA(arg, ap, argv, envp = va_arg(ap, char **));
	return execve(path, argv, envp);
}

/* --- exit --- */

EXPORT void
exit(int code)
{
	if (unlikely(!shim_ready))
		shim_init();
	exit_code = code;
	LAZY(exit)(code);
	__builtin_unreachable();
}

EXPORT void
_exit(int code)
{
	if (shim_ready && !in_vfork_child()) {
		end_async = 1;	/* _exit is async-signal-safe: nothing that allocates */
		image_end(IW_END_EXIT, code);
	}
	syscall(SYS_exit_group, code);
	__builtin_unreachable();
}

EXPORT void
_Exit(int code)
{
	_exit(code);
}

EXPORT void
quick_exit(int code)
{
	if (unlikely(!shim_ready))
		shim_init();
	if (!in_vfork_child())
		image_end(IW_END_EXIT, code);
	LAZY(quick_exit)(code);
	__builtin_unreachable();
}

/*
 * The main thread leaves with pthread_exit: the process ends when its last
 * thread does, and the worker must not be the one that keeps it alive.
 */
EXPORT void
pthread_exit(void *ret)
{
	if (shim_ready && syscall(SYS_gettid) == getpid())
		worker_main_gone();
	LAZY(pthread_exit)(ret);
	__builtin_unreachable();
}

static SHIM_HOT int (*program_main)(int, char **, char **);

SHIM_ONCE static int
main_hook(int argc, char **argv, char **envp)
{
	exit_code = program_main(argc, argv, envp);
	return exit_code;
}

SHIM_ONCE EXPORT int
__libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
    void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
    void *stack_end)
{
	if (unlikely(!shim_ready))
		shim_init();
	program_main = main;
	return LAZY(__libc_start_main)(main_hook, argc, argv, init, fini,
	    rtld_fini, stack_end);
}

/*
 * The normal end: exit() or return from main.  Destructors run after the
 * program's atexit handlers and before stdio's own flush, so stdio
 * buffers are written (and counted) here first.
 */
__attribute__((destructor)) static void
shim_destructor(void)
{
	if (!shim_ready || atomic_load(&ended) || in_vfork_child())
		return;
	stdio_flush_all();
	image_end(IW_END_EXIT, exit_code);
}

SHIM_ONCE void
lifecycle_init(void)
{
	ssize_t n;

	struct stat st;

	/* raw: the shim's own look, not the program's readlink */
	n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", image_exe,
	    sizeof(image_exe) - 1);
	image_exe[n > 0 ? n : 0] = '\0';
	/* The collector checks the name against /proc/PID/exe by these. */
	if (raw_stat(AT_FDCWD, "/proc/self/exe", &st, 0) == 0) {
		image_exe_dev = (uint64_t)st.st_dev;
		image_exe_ino = (uint64_t)st.st_ino;
	}
	new_image();
	counters_init();
	send_init();
	signals_init();
	shim_atfork(fork_prepare, fork_parent, fork_child);
}
