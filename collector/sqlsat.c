/*
 * sqlsat.c - saturating sums for the collector's SQL: ssum(X), an
 * aggregate like sum() that stops at 2^63 - 1 instead of failing with
 * "integer overflow", and sadd(A, B), an addition that does the same (the
 * upserts that add a window's deltas to a stored row).  Registered on the
 * collector's own connection only; other readers of the database file
 * never need them.  The rule: sat.h.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "sat.h"
#include "sqlsat.h"

/* A counter value as stored: integers (negative ones count 0), reals
 * bounded, NULL 0. */
static uint64_t
val(sqlite3_value *v)
{
	switch (sqlite3_value_numeric_type(v)) {
	case SQLITE_INTEGER:
		return sat_i64(sqlite3_value_int64(v));
	case SQLITE_FLOAT:
		return sat_dbl(sqlite3_value_double(v));
	default:
		return 0;
	}
}

static void
ssum_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	uint64_t *acc;

	if ((acc = sqlite3_aggregate_context(cx, sizeof(*acc))) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	*acc = sat_add(*acc, val(argv[0]));
}

static void
ssum_final(sqlite3_context *cx)
{
	uint64_t *acc = sqlite3_aggregate_context(cx, 0);

	sqlite3_result_int64(cx, acc != NULL ? (int64_t)*acc : 0);
}

static void
sadd(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	sqlite3_result_int64(cx, (int64_t)sat_add(val(argv[0]), val(argv[1])));
}

int
sqlsat_register(sqlite3 *db)
{
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "ssum", 1, fl, NULL, NULL, ssum_step,
	    ssum_final) != SQLITE_OK ||
	    sqlite3_create_function(db, "sadd", 2, fl, NULL, sadd, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	return 0;
}
