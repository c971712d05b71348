/*
 * clock.c - the shim's clocks: CLOCK_MONOTONIC and CLOCK_REALTIME in
 * nanoseconds, and the cheap tick counter that times writes.
 *
 * Every write to a file is timed, so its clock is read twice per call.
 * clock_gettime through the vDSO costs ~40 ns in a VM; reading the CPU's
 * counter directly costs about half of that.  The counter is used where it
 * runs at a constant rate and the same on every CPU: on x86 when the CPU
 * says its TSC is invariant (glibc's copy of CPUID, no instruction run
 * here), on arm64 always (the generic timer's virtual count, whose rate
 * cntfrq_el0 gives).  Elsewhere a tick is a nanosecond of CLOCK_MONOTONIC.
 *
 * Ticks are summed as they are; ticks_to_ns converts a sum when it is
 * reported.  The TSC's rate is not told to user space, so it is measured
 * against CLOCK_MONOTONIC from this image's start to the conversion:
 * the error is the few tens of ns the two reads straddle, over the time
 * since start, and the sum cannot exceed that time.  The rate is frozen
 * once a second has passed, so later sums convert with one rate and the
 * totals sent to the collector only grow.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"

#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define TICKS_X86	1
#endif

HIDDEN int tick_cpu;

#ifndef __aarch64__		/* arm64's counter tells its own rate */
static uint64_t cal_ticks, cal_ns;	/* one moment, in both clocks */
static uint64_t frozen_bits;		/* ns per tick (a double) once frozen */

#define FREEZE_NS	1000000000ull
#define PAIR_TIGHT	10000	/* ticks: a few µs, a pair without preemption */
#endif

uint64_t
shim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
shim_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The kernel's clock by a system call, not the vDSO: reading the vDSO's
 * clock the first time costs a process two or three page faults (its data
 * pages and libc's clock_gettime), more than the call, where a process
 * reads the clock only at start and exit.  The 64-bit time call on 32-bit
 * systems (whatever time_t this is built with).
 */
static uint64_t
sys_clock_ns(clockid_t id)
{
	struct { int64_t sec, nsec; } kts;
	struct timespec ts;
#if defined(SYS_clock_gettime64)
	long nr = SYS_clock_gettime64;
#else
	long nr = SYS_clock_gettime;	/* 64-bit: the same layout */
#endif

	if (syscall(nr, id, &kts) == 0)
		return (uint64_t)kts.sec * 1000000000u + (uint64_t)kts.nsec;
	clock_gettime(id, &ts);		/* seccomp, or an old kernel */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
shim_now_ns_sys(void)
{
	return sys_clock_ns(CLOCK_MONOTONIC);
}

uint64_t
shim_wall_ns_sys(void)
{
	return sys_clock_ns(CLOCK_REALTIME);
}

#ifndef __aarch64__
/*
 * The counter and CLOCK_MONOTONIC at one moment: the ns read between two
 * counter reads, paired with their middle.  A thread preempted between
 * them would pair times milliseconds apart (a large error in the rate of
 * a short-lived image), so the narrowest of a few tries is kept.
 */
static void
pair_now(uint64_t *ticks, uint64_t *ns)
{
	uint64_t a, b, t, best = UINT64_MAX;
	int i;

	for (i = 0; i < 4 && best > PAIR_TIGHT; i++) {
		a = shim_ticks();
		t = shim_now_ns_sys();	/* at start and at conversions */
		b = shim_ticks();
		if (b - a < best) {
			best = b - a;
			*ticks = a + (b - a) / 2;
			*ns = t;
		}
	}
}
#endif

/* Constructor: choose the counter and take the first pair. */
SHIM_ONCE void
clock_init(void)
{
#if defined(__aarch64__)
	tick_cpu = 1;
#else
#ifdef TICKS_X86
	tick_cpu = CPU_FEATURE_PRESENT(INVARIANT_TSC);
#endif
	pair_now(&cal_ticks, &cal_ns);
	__atomic_store_n(&frozen_bits, 0, __ATOMIC_RELAXED);
#endif
}

#ifndef __aarch64__
/* Nanoseconds per tick: measured since clock_init, frozen after FREEZE_NS. */
static double
ns_per_tick(void)
{
	uint64_t bits = __atomic_load_n(&frozen_bits, __ATOMIC_RELAXED);
	uint64_t t, ns;
	double r;

	if (bits != 0) {
		__builtin_memcpy(&r, &bits, sizeof(r));
		return r;
	}
	pair_now(&t, &ns);
	if (t <= cal_ticks || ns <= cal_ns)
		return 0;		/* no time has passed: nothing was timed */
	r = (double)(ns - cal_ns) / (double)(t - cal_ticks);
	if (ns - cal_ns >= FREEZE_NS) {
		__builtin_memcpy(&bits, &r, sizeof(r));
		__atomic_store_n(&frozen_bits, bits, __ATOMIC_RELAXED);
	}
	return r;
}
#endif

/* A sum of ticks in nanoseconds.  Async-signal-safe. */
uint64_t
ticks_to_ns(uint64_t ticks)
{
#ifdef __aarch64__
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	if (f == 0)
		return 0;
	return (ticks / f) * 1000000000u + (ticks % f) * 1000000000u / f;
#else
	if (!tick_cpu || ticks == 0)
		return ticks;
	return (uint64_t)((double)ticks * ns_per_tick());
#endif
}
