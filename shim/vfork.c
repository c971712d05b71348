/*
 * vfork.c - vfork kept what it is, and what its child may touch.
 *
 * vfork's child runs in its parent's memory, on the parent thread's stack
 * and thread-local storage, until it calls exec or _exit; the parent's
 * thread waits meanwhile.  Turning vfork into fork would keep the shim's
 * state apart, but the program would see it: stores made by the child
 * vanish, and spawning from a large process gets ten times slower.
 *
 * So the real vfork runs, entered through a few instructions of assembly
 * (a C wrapper's frame would be returned from twice).  Before it, the
 * parent writes what it holds (as before fork, so output keeps its order)
 * and notes its pid in the thread's storage, which the child shares.  A
 * wrapper that would change the shim's state asks in_vfork_child() first:
 * the child has another pid.  In the child the shim stays out of the way:
 *
 *	- open, close, dup2/dup3, fcntl, close_range: the real call only; the
 *	  fd table (the parent's) is not changed;
 *	- writes to a coalesced log go straight to the kernel;
 *	- nothing is flushed, reported or sent; exec and _exit end no image
 *	  (the parent's image goes on) and a fatal signal only kills;
 *	- sigaction is the real one, with none of the shim's bookkeeping;
 *	- reads and writes of other fds are counted as the parent's (a few
 *	  calls at most before exec; the counters are plain adds to memory
 *	  the waiting parent thread owns).
 *
 * Where no entry is written for the machine, vfork is fork (as before).
 */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"

HIDDEN __thread pid_t vfork_pid;	/* the parent's pid during a vfork */

/* A forked child is no vfork child, whatever its parent last did. */
void
vfork_after_fork(void)
{
	vfork_pid = 0;
}

int
vfork_child_check(void)
{
	int saved = errno;
	pid_t me = (pid_t)syscall(SYS_getpid);

	errno = saved;
	if (me != vfork_pid)
		return 1;
	vfork_pid = 0;		/* the parent, back from its vfork */
	return 0;
}

#if defined(__x86_64__) || defined(__aarch64__) || defined(__arm__)

static pid_t
vfork_as_fork(void)
{
	return fork();
}

/* The entry below calls this, then jumps to what it returns. */
__attribute__((used)) HIDDEN void *
shim_vfork_prepare(void)
{
	int saved = errno;
	real_vfork_t f;

	if (unlikely(!shim_ready))
		shim_init();
	/* a vfork child that vforks again: the mark stays its parent's */
	if (shim_ready && !in_vfork_child()) {	/* inert: straight through */
		co_flush_all(IW_R_FORK);
		db_flush_all();	/* the child may write an in-place fd */
		vfork_pid = (pid_t)syscall(SYS_getpid);
	}
	errno = saved;
	f = LAZY(vfork);
	return f != NULL ? (void *)f : (void *)vfork_as_fork;
}

#if defined(__x86_64__)
__asm__(
	".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".p2align 4\n"
	"vfork:\n"
	"	sub $8, %rsp\n"			/* the call's 16-byte alignment */
	"	call shim_vfork_prepare\n"
	"	add $8, %rsp\n"
	"	jmp *%rax\n"			/* returns to our caller, twice */
	".size vfork, .-vfork\n");
#elif defined(__aarch64__)
__asm__(
	".text\n"
	".globl vfork\n"
	".type vfork, %function\n"
	".p2align 2\n"
	"vfork:\n"
	"	hint 34\n"			/* bti c */
	"	stp x29, x30, [sp, #-16]!\n"
	"	mov x29, sp\n"
	"	bl shim_vfork_prepare\n"
	"	ldp x29, x30, [sp], #16\n"
	"	br x0\n"
	".size vfork, .-vfork\n");
#else
/* in the instruction set the file is compiled for: no mode switch */
#if defined(__thumb__)
#define VFORK_MODE	".thumb\n.thumb_func\n"
#else
#define VFORK_MODE	".arm\n"
#endif
__asm__(
	".text\n"
	".syntax unified\n"
	VFORK_MODE
	".globl vfork\n"
	".type vfork, %function\n"
	".p2align 2\n"
	"vfork:\n"
	"	push {r4, lr}\n"
	"	bl shim_vfork_prepare\n"
	"	pop {r4, lr}\n"
	"	bx r0\n"
	".size vfork, .-vfork\n");
#endif

#else

EXPORT pid_t
vfork(void)
{
	return fork();
}

#endif
