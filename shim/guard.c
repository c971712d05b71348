/*
 * guard.c - copying from the program's memory without ever faulting it.
 *
 * The coalescer copies an append into its buffer where the kernel would
 * have copied it into the page cache.  The kernel answers a bad pointer
 * with EFAULT (or a short count); a plain memcpy would kill the program
 * with SIGSEGV, or SIGBUS for a mapping of a file that was truncated.  So
 * the copy runs under a per-thread mark: the shim's fatal-signal handler
 * (lifecycle.c), when it sees a fault inside the marked source range,
 * jumps back here instead of ending the program, and the caller hands the
 * whole call to the kernel (after what it holds), which gives the exact
 * answer the program would have had without the shim.
 *
 * That needs the shim's handler to be the one the kernel runs: SIGSEGV
 * and SIGBUS at their default action (the shim's handler in place) and
 * not blocked on this thread (a blocked synchronous fault kills at once).
 * When either is not so, the copy is made by the kernel instead
 * (process_vm_readv of our own memory: a system call, but no fault), and
 * when even that is refused the call goes to the kernel as it is.
 *
 * The blocked state is kept per thread from the program's own calls to
 * sigprocmask and pthread_sigmask (wrapped here), and read from the
 * kernel once in a thread that has not made one.  A program signal
 * handler whose mask blocks SIGSEGV and which writes a bad pointer to a
 * log is the one case left to the kernel's default (docs/coalescing.md).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "shim.h"

struct guard {
	void		*env[5];	/* __builtin_setjmp's buffer */
	const char	*lo, *hi;	/* the source being copied */
	volatile int	on;
	sigset_t	mask;		/* the thread's mask at the fault */
};
static __thread struct guard g;

enum { MASK_UNKNOWN, MASK_OPEN, MASK_BLOCKS };
static __thread int fault_mask;	/* SIGSEGV or SIGBUS blocked here? */
HIDDEN __thread unsigned guard_seen;
HIDDEN __thread int guard_armed;

static int
blocks_fault(const sigset_t *s)
{
	return sigismember(s, SIGSEGV) == 1 || sigismember(s, SIGBUS) == 1;
}

/* The thread's mask changed (how, set) or is unknown: learn it. */
static void
mask_learn(void)
{
	sigset_t cur;

	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, _NSIG / 8) != 0)
		fault_mask = MASK_BLOCKS;	/* unknown: the safe answer */
	else
		fault_mask = blocks_fault(&cur) ? MASK_BLOCKS : MASK_OPEN;
}

/* Can a fault in this thread reach the shim's handler?  Cached. */
static int
armed_now(void)
{
	unsigned gen = atomic_load(&fault_gen);

	if (fault_mask == MASK_UNKNOWN)
		mask_learn();
	guard_armed = fault_mask == MASK_OPEN && fault_handler_ours();
	guard_seen = gen;
	return guard_armed;
}

/*
 * The fatal-signal handler asks first: a fault inside the marked copy of
 * this thread goes back to the copy, with the mask the thread had.
 */
void
guard_fault(int sig, const siginfo_t *si, const void *ucv)
{
	const ucontext_t *uc = ucv;
	const char *a;

	if (!g.on || si == NULL || si->si_code <= 0 ||
	    (sig != SIGSEGV && sig != SIGBUS))
		return;
	/*
	 * Only a fault in the range being copied: a program signal handler
	 * that ran inside the copy and faulted elsewhere is not ours.  For
	 * SIGBUS a page either side is taken too: qemu-arm reports its
	 * address a page off.
	 */
	a = si->si_addr;
	if (sig == SIGSEGV && (a < g.lo || a >= g.hi))
		return;
	if (sig == SIGBUS && (a + 65536 < g.lo || a >= g.hi + 65536))
		return;
	g.on = 0;
	if (uc != NULL)
		g.mask = uc->uc_sigmask;
	else
		sigemptyset(&g.mask);
	__builtin_longjmp(g.env, 1);
}

/*
 * One marked copy; -1 when it faulted.  Nothing it computes is used
 * after the jump back, so no variable of it need survive the jump.
 */
static int copy_by_kernel(char *, const char *, size_t, int *);

__attribute__((noinline)) int
guard_copy_marked(char *dst, const char *src, size_t n, int *prio)
{
	if (unlikely(g.on))	/* a signal handler inside a marked copy */
		return copy_by_kernel(dst, src, n, prio);
	if (__builtin_setjmp(g.env)) {
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &g.mask, NULL, _NSIG / 8);
		return -1;
	}
	g.lo = src;
	g.hi = src + n;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	g.on = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (prio != NULL)
		*prio = prio_copy(dst, src, n);
	else
		memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	g.on = 0;
	return 0;
}

/* The kernel copies our own memory: EFAULT instead of a fault. */
static int
copy_by_kernel(char *dst, const char *src, size_t n, int *prio)
{
	struct iovec l = { dst, n }, r = { (void *)src, n };
	int saved = errno;
	ssize_t k;

	k = syscall(SYS_process_vm_readv, (long)getpid(), &l, 1UL, &r, 1UL, 0UL);
	errno = saved;
	if (k != (ssize_t)n)
		return -1;
	if (prio != NULL)
		*prio = prio_copy(dst, dst, n);	/* reads and writes the same bytes */
	return 0;
}

/*
 * guard_copy (shim.h) copies n bytes of the program's from src to dst;
 * with prio, it looks for the IOSHIM_FLUSH_ON words as well (*prio: 1
 * when there is one).  Here when the thread's state is not known or not
 * armed.
 */
int
guard_copy_slow(char *dst, const char *src, size_t n, int *prio)
{
	if (n == 0)
		return 0;
	if (armed_now())
		return guard_copy_marked(dst, src, n, prio);
	return copy_by_kernel(dst, src, n, prio);
}

/* --- the program's changes to its signal mask --- */

static void
mask_after(int how, const sigset_t *set)
{
	if (set == NULL)
		return;
	guard_seen = 0;		/* armed_now() again */
	if (how == SIG_SETMASK)
		fault_mask = blocks_fault(set) ? MASK_BLOCKS : MASK_OPEN;
	else if (how == SIG_BLOCK && blocks_fault(set))
		fault_mask = MASK_BLOCKS;
	else if (how == SIG_UNBLOCK && blocks_fault(set))
		fault_mask = MASK_UNKNOWN;	/* one may still be blocked */
}

EXPORT int
pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	int r;

	if (unlikely(LAZY(pthread_sigmask) == NULL))
		return syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8) ?
		    errno : 0;
	r = LAZY(pthread_sigmask)(how, set, old);
	if (r == 0 && !in_vfork_child())	/* its thread state is the parent's */
		mask_after(how, set);
	return r;
}

EXPORT int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int r;

	if (unlikely(LAZY(sigprocmask) == NULL))
		return (int)syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8);
	r = LAZY(sigprocmask)(how, set, old);
	if (r == 0 && !in_vfork_child())
		mask_after(how, set);
	return r;
}

/*
 * Calls that set the mask inside libc (a jump back to a context saved
 * with its mask): the thread's state is learnt again at the next copy.
 */
static void
mask_unknown(void)
{
	if (!in_vfork_child()) {
		fault_mask = MASK_UNKNOWN;
		guard_seen = 0;
	}
}

EXPORT void
siglongjmp(sigjmp_buf env, int val)
{
	mask_unknown();
	LAZY(siglongjmp)(env, val);
	__builtin_unreachable();
}

EXPORT void
longjmp(jmp_buf env, int val)
{
	mask_unknown();
	LAZY(longjmp)(env, val);
	__builtin_unreachable();
}

EXPORT void
__longjmp_chk(sigjmp_buf env, int val)
{
	mask_unknown();
	LAZY(__longjmp_chk)(env, val);
	__builtin_unreachable();
}

EXPORT int
setcontext(const ucontext_t *uc)
{
	mask_unknown();
	return LAZY(setcontext)(uc);
}

EXPORT int
swapcontext(ucontext_t *o, const ucontext_t *uc)
{
	int r;

	mask_unknown();
	r = LAZY(swapcontext)(o, uc);
	mask_unknown();		/* back here, with o's mask */
	return r;
}
