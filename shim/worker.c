/*
 * worker.c - the shim's background thread: writes coalesced bytes that
 * have waited IOSHIM_FLUSH_MS, retries failed flushes, and sends the
 * counters every IOSHIM_INTERVAL_MS.  Started on first need (the first
 * held byte, or the first fd when a collector is there); it blocks every
 * signal so the program's signals go to the program's threads, and sleeps
 * on a futex while there is nothing to do.
 *
 * A program must not see a thread it did not make where it counts them:
 * Python from 3.12 counts the threads right after fork() and warns about
 * forking a multi-threaded process.  So the worker is stopped before every
 * fork (joined, and gone from the kernel's thread list) and started again
 * only when it is next needed, never in fork's after-handlers.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "shim.h"

HIDDEN int send_wanted(void);

HIDDEN __thread int shim_worker;
static atomic_int started;
static atomic_int main_gone;	/* the main thread called pthread_exit */
static atomic_int stopping;	/* worker_stop: leave the loop */
static pthread_t worker_thread;
static atomic_int joinable;	/* worker_thread is set */
static _Atomic pid_t worker_tid;

/*
 * Live threads in the process, from field 20 of /proc/self/stat, less the
 * main thread once it is a zombie (field 3 is then Z); 0 when unknown.
 */
static long
nthreads(void)
{
	char state = 0;
	long n = (long)proc_stat_field(20, &state);

	return n - (state == 'Z');
}
static _Atomic uint32_t kicks;	/* futex word: bumped to wake the worker */
static atomic_int untimed;	/* the worker sleeps with no deadline */

static void
sleep_on(uint32_t seen, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	syscall(SYS_futex, &kicks, FUTEX_WAIT_PRIVATE, seen,
	    ns ? &ts : NULL, NULL, 0);
}

static void *
worker_main(void *arg)
{
	sigset_t all;
	uint64_t now, next_send = 0, wait, due, dbdue;
	uint32_t seen;
	int sending = send_wanted();

	(void)arg;
	shim_worker = 1;
	atomic_store(&worker_tid, (pid_t)syscall(SYS_gettid));
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	shim_busy = 0;
	spill_salvage_startup();	/* a killed predecessor's lines first */
	for (;;) {
		seen = atomic_load(&kicks);
		if (atomic_load(&stopping))
			return NULL;
		spill_salvage_startup();	/* once; or when the end asks */
		due = co_age_flush();
		dbdue = db_age_flush();		/* debounce.c */
		if (dbdue && (due == 0 || dbdue < due))
			due = dbdue;
		now = shim_now_ns();
		if (!sending)
			sending = send_wanted();
		if (sending && !shim_ending && now >= next_send) {
			send_tick(0, 0, 0);
			next_send = now + cfg.interval_ns;
		}
		/* until the next held byte comes of age, to the nanosecond */
		wait = 0;
		if (due)
			wait = due > now ? due - now : 1;
		if (sending && (wait == 0 || next_send - now < wait))
			wait = next_send > now ? next_send - now : 1;
		if (atomic_load(&main_gone)) {
			/* as glibc does when the last thread ends */
			if (nthreads() == 1)
				exit(0);
			if (wait == 0 || wait > 20000000)
				wait = 20000000;
		}
		atomic_store(&untimed, wait == 0);
		sleep_on(seen, wait);
		atomic_store(&untimed, 0);
	}
	return NULL;
}

static void
start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int saved = errno;

	if (atomic_exchange(&started, 1))
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024 > PTHREAD_STACK_MIN ?
	    64 * 1024 : PTHREAD_STACK_MIN);
	/* the thread starts with every signal blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* the real one: the worker is no program thread (shim_mt) */
	atomic_store(&worker_tid, 0);
	if (LAZY(pthread_create) == NULL ||
	    LAZY(pthread_create)(&t, &attr, worker_main, NULL) != 0)
		atomic_store(&started, 0);
	else {
		worker_thread = t;
		atomic_store(&joinable, 1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	errno = saved;
}

/* There is work: make sure the worker runs, and wake it. */
void
worker_kick(void)
{
	if (unlikely(!atomic_load(&started)))
		start();
	atomic_fetch_add(&kicks, 1);
	syscall(SYS_futex, &kicks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * A buffer got its first byte: a new deadline.  The worker's wait is
 * until its earliest deadline, which a later first byte cannot move
 * earlier, so it is woken only when it sleeps with none (or was never
 * started).  The bump comes first: a worker about to sleep compares the
 * word it read before looking at the buffers and does not sleep.
 */
void
worker_first_byte(void)
{
	if (unlikely(!atomic_load(&started))) {
		worker_kick();
		return;
	}
	atomic_fetch_add(&kicks, 1);
	if (atomic_load(&untimed))
		syscall(SYS_futex, &kicks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wake a running worker (nothing is started); 0 when there is none. */
int
worker_wake(void)
{
	if (!atomic_load(&started))
		return 0;
	atomic_fetch_add(&kicks, 1);
	syscall(SYS_futex, &kicks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return 1;
}

/* Periodic sends need the worker even where nothing is coalesced. */
void
worker_ensure(void)
{
	if (unlikely(!atomic_load(&started)) && send_wanted())
		start();
}

/*
 * Before fork: the worker ends and is gone from the process's threads
 * (pthread_join returns when its stack is free; the kernel may count the
 * thread a moment longer, until its tid no longer answers).  It starts
 * again at the next held byte or send.  1 when a running worker stopped.
 */
int
worker_stop(void)
{
	pid_t tid;
	int saved = errno, i;

	if (!atomic_load(&joinable) || shim_worker || atomic_load(&main_gone) ||
	    co_lock_mine())
		return 0;	/* (fork from a handler inside the coalescer:
				 * the worker may wait for the lock this
				 * thread holds) */
	atomic_store(&joinable, 0);
	atomic_store(&stopping, 1);
	atomic_fetch_add(&kicks, 1);
	syscall(SYS_futex, &kicks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(worker_thread, NULL);
	tid = atomic_load(&worker_tid);
	for (i = 0; tid > 0 && i < 100000 &&
	    syscall(SYS_tgkill, getpid(), tid, 0) == 0; i++)
		sched_yield();
	atomic_store(&stopping, 0);
	atomic_store(&started, 0);
	errno = saved;
	return 1;
}

/*
 * After a credential change that stopped it: the worker runs again, made
 * by the thread that now has the new ids (and capabilities, keep-caps
 * bit), so held bytes and pending saves still meet their deadlines.
 */
void
worker_restart(int stopped)
{
	if (stopped && !atomic_load(&started))
		worker_kick();
}

void
worker_after_fork_child(void)
{
	atomic_store(&started, 0);
	atomic_store(&joinable, 0);
	atomic_store(&main_gone, 0);
}

void
worker_main_gone(void)
{
	atomic_store(&main_gone, 1);
	if (atomic_load(&started))
		worker_kick();
}
