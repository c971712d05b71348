/*
 * qbudget.c - the work one query of a client that is not an administrator
 * may do: SQLite's progress handler counts virtual-machine instructions
 * (one call per QB_TICK) and interrupts the query past --query-work
 * million of them; its reply is then an error (docs/collector.md,
 * "Security model").  This bounds how long such a query keeps the
 * collector's only loop from ingest and from other clients.  A write
 * transaction (staged windows being stored) is never interrupted.
 */
#include <sqlite3.h>
#include <stdint.h>

#include "query_impl.h"

#define QB_TICK	1000

static uint64_t ticks, limit;
static int tripped;

static int
tick(void *arg)
{
	sqlite3 *db = arg;

	if (++ticks <= limit || !sqlite3_get_autocommit(db))
		return 0;
	tripped = 1;
	return 1;
}

void
qb_start(sqlite3 *db, int million)
{
	ticks = 0;
	tripped = 0;
	limit = (uint64_t)million * (1000000 / QB_TICK);
	sqlite3_progress_handler(db, QB_TICK, tick, db);
}

int
qb_stop(sqlite3 *db)
{
	sqlite3_progress_handler(db, 0, NULL, NULL);
	return tripped;
}
