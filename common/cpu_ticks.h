/*
 * cpu_ticks.h - the CPU's own time counter, read in one instruction:
 * x86-64's TSC, arm64's virtual count.  CPU_TICKS is defined where there
 * is one.  Not ordered against the instructions around it: callers time
 * system calls, which lie between two reads.  Whether the counter runs
 * at one rate on every CPU is the caller's question (shim/clock.c).
 */
#ifndef IOSHIM_CPU_TICKS_H
#define IOSHIM_CPU_TICKS_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define CPU_TICKS	1

static inline uint64_t
cpu_ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#else
	uint64_t v;

	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#endif
}
#endif

#endif /* IOSHIM_CPU_TICKS_H */
