/*
 * qrange.c - the stored windows of a range [from, to): the FROM clause
 * that reads whole rolled-up hours from an hourly table and the edges from
 * the 1-minute table, its bindings, and the memory map while a range query
 * runs.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "ioshimd.h"
#include "query_impl.h"

/*
 * The FROM clause for rows in [from, to): whole rolled-up hours [h0, h1)
 * from the hourly table, the edges [from, h0) and [h1, to) from the
 * 1-minute table.  Each part is one range of the tables' (ts, ...) primary
 * key, so a 7-day range reads ~168 hourly rows per image and at most two
 * hours of minute rows, never the minute rows of the middle.  Binds
 * ?1..?4 = from, to, h0, h1.
 */
void
q_range_src(char *buf, size_t sz, const char *minute, const char *hour,
    const char *colsel)
{
	snprintf(buf, sz, "(SELECT %s FROM %s WHERE ts >= ?1 AND ts < ?3"
	    " UNION ALL SELECT %s FROM %s WHERE ts >= ?4 AND ts < ?2"
	    " UNION ALL SELECT %s FROM %s WHERE ts >= ?3 AND ts < ?4)",
	    colsel, minute, colsel, minute, colsel, hour);
}

/* PRAGMA mmap_size while a range query runs: no read(2) per 1 KiB page,
 * and nothing of the file stays mapped (nor in RSS) afterwards. */
void
q_range_mmap(int on)
{
	(void)sqlite3_exec(store_db(D.st), !on ? "PRAGMA mmap_size=0" :
	    sizeof(void *) >= 8 ? "PRAGMA mmap_size=2147418112" :
	    "PRAGMA mmap_size=268435456", NULL, NULL, NULL);
}

void
q_bind_range(sqlite3_stmt *st, int64_t from, int64_t to)
{
	int64_t h0 = (from + 3599) / 3600 * 3600, h1 = to / 3600 * 3600;
	int64_t r = store_rolled_upto(D.st);

	if (h1 > r)
		h1 = r;
	if (h0 >= h1)
		h0 = h1 = to;		/* no hourly part: all from minutes */
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, h0);
	sqlite3_bind_int64(st, 4, h1);
}

