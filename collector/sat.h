/*
 * sat.h - the collector's counter arithmetic, in one place.
 *
 * Two rules (docs/collector.md, "Counters: one rule, bounded sums"):
 *
 * 1. A report moves a cumulative counter only up, and by at most
 *    SAT_RISE_MAX: a lower value counts nothing, a larger jump counts
 *    SAT_RISE_MAX now and the rest with the next reports.  The live table
 *    applies it (aggregate.c); the store's windows (cur - base) and
 *    /metrics (the movements of cur) count exactly what it let through,
 *    so the two always agree.
 * 2. Every sum saturates at SAT_MAX (2^63 - 1, SQLite's largest integer)
 *    instead of wrapping or failing: in C (sat_add), in SQL (ssum(),
 *    sadd(): sqlsat.c) and when a double is reported (sat_dbl).  A value
 *    of 9223372036854775807 means "that much or more".
 */
#ifndef IOSHIMD_SAT_H
#define IOSHIMD_SAT_H

#include <stdint.h>

#define SAT_MAX		((uint64_t)INT64_MAX)
#define SAT_RISE_MAX	((uint64_t)1 << 48)	/* per counter and report */

static inline uint64_t
sat_add(uint64_t a, uint64_t b)
{
	if (a >= SAT_MAX || b >= SAT_MAX - a)
		return SAT_MAX;
	return a + b;
}

/* v bounded to SAT_MAX (what SQLite can hold). */
static inline uint64_t
sat_of(uint64_t v)
{
	return v > SAT_MAX ? SAT_MAX : v;
}

/* A stored value read back: negative ones (damage) count as 0. */
static inline uint64_t
sat_i64(int64_t v)
{
	return v < 0 ? 0 : (uint64_t)v;
}

/* A sum kept as a double (total(), query sums), as a reported integer:
 * 0..SAT_MAX.  Converting a double >= 2^64 to uint64_t is undefined (x86
 * gives 0: an executable ranked first with 0 bytes). */
static inline uint64_t
sat_dbl(double v)
{
	if (!(v > 0))
		return 0;		/* also NaN */
	if (v >= 9223372036854775807.0)	/* 2^63 as a double */
		return SAT_MAX;
	return (uint64_t)v;
}

/* The new cumulative value of a counter at cur that a report says is v
 * (rule 1). */
static inline uint64_t
sat_rise(uint64_t cur, uint64_t v)
{
	if (v <= cur)
		return cur;
	return v - cur > SAT_RISE_MAX ? cur + SAT_RISE_MAX : v;
}

#endif
