/*
 * rollup.c - the hourly rollup and retention of ioshimd's database.
 *
 * store_retain() does one small step per call (after each window, from
 * store_maintain()): roll up the next complete hour of 1-minute rows into
 * the hourly tables, or else delete a bounded batch of rows older than the
 * retention (never 1-minute rows not rolled up yet).  docs/collector.md,
 * "Retention and rollup".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "store_impl.h"

/* One small step of rollup and retention; returns rows changed. */
int
store_retain(struct store *s, time_t now)
{
	char sql[16384], buf[8192], where[128];
	int64_t w0 = now / 3600 * 3600, h, minutes_cut, hours_cut, first;
	int changes = 0;
	sqlite3_stmt *st;

	minutes_cut = now - (int64_t)s->o.keep_minutes * 86400;
	hours_cut = now - (int64_t)s->o.keep_hours * 86400;
	/* Rollup: the next complete hour that has minute rows (staged rows
	 * of it go to the database first). */
	if (s->rolled_upto < w0) {
		if (store_commit_staged(s) != 0)
			return -1;
		first = -1;
		if (sqlite3_prepare_v2(s->db, "SELECT min(ts) FROM proc_min"
		    " WHERE ts >= ?1", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, s->rolled_upto);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_type(st, 0) != SQLITE_NULL)
				first = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
		h = first < 0 || first / 3600 * 3600 >= w0 ? w0 :
		    first / 3600 * 3600;
		if (sql_exec(s->db, "BEGIN IMMEDIATE") != SQLITE_OK)
			return -1;
		if (h < w0) {
			snprintf(sql, sizeof(sql), "INSERT INTO proc_hour(ts,"
			    " image, uid, n");
			sql_cols(sql, sizeof(sql), pc_names, NPC, ", %s");
			sql_cols(sql, sizeof(sql), pc_names, NPC, ", %s_max");
			snprintf(buf, sizeof(buf), ") SELECT %lld, image,"
			    " min(uid), count(*)", (long long)h);
			strlcat(sql, buf, sizeof(sql));
			sql_cols(sql, sizeof(sql), pc_names, NPC, ", sum(%s)");
			sql_cols(sql, sizeof(sql), pc_names, NPC, ", max(%s)");
			snprintf(buf, sizeof(buf), " FROM proc_min WHERE ts >="
			    " %lld AND ts < %lld GROUP BY image"
			    " ON CONFLICT(ts, image) DO UPDATE SET n = n +"
			    " excluded.n", (long long)h, (long long)h + 3600);
			strlcat(sql, buf, sizeof(sql));
			buf[0] = '\0';
			sql_cols(buf, sizeof(buf), pc_names, NPC,
			    ", %s = %s + excluded.%s");
			strlcat(sql, buf, sizeof(sql));
			buf[0] = '\0';
			sql_cols(buf, sizeof(buf), pc_names, NPC,
			    ", %s_max = max(%s_max, excluded.%s_max)");
			strlcat(sql, buf, sizeof(sql));
			if (sql_exec(s->db, sql) != SQLITE_OK)
				goto fail;
			changes += sqlite3_changes(s->db);
			/* The same hour per executable (schema 3), from
			 * proc_min, as the queries join images. */
			snprintf(buf, sizeof(buf), "%lld", (long long)h);
			snprintf(where, sizeof(where), "x.ts >= %lld AND x.ts"
			    " < %lld", (long long)h, (long long)h + 3600);
			if (sql_exe_fill(s->db, "exe_hour", buf, "proc_min",
			    where) != SQLITE_OK)
				goto fail;
			snprintf(sql, sizeof(sql), "UPDATE paths SET last_ts ="
			    " %lld WHERE id IN (SELECT path FROM file_min WHERE"
			    " ts >= %lld AND ts < %lld) AND coalesce(last_ts, 0)"
			    " < %lld",
			    (long long)h + 3600, (long long)h, (long long)h + 3600,
			    (long long)h + 3600);
			if (sql_exec(s->db, sql) != SQLITE_OK)
				goto fail;
			snprintf(sql, sizeof(sql), "INSERT INTO file_hour(ts,"
			    " image, path, uid, cls, n");
			sql_cols(sql, sizeof(sql), fc_names, NFC, ", %s");
			sql_cols(sql, sizeof(sql), fc_names, NFC, ", %s_max");
			snprintf(buf, sizeof(buf), ") SELECT %lld, image, path,"
			    " min(uid), max(cls), count(*)", (long long)h);
			strlcat(sql, buf, sizeof(sql));
			sql_cols(sql, sizeof(sql), fc_names, NFC, ", sum(%s)");
			sql_cols(sql, sizeof(sql), fc_names, NFC, ", max(%s)");
			snprintf(buf, sizeof(buf), " FROM file_min WHERE ts >="
			    " %lld AND ts < %lld GROUP BY image, path"
			    " ON CONFLICT(ts, image, path) DO UPDATE SET n ="
			    " n + excluded.n", (long long)h,
			    (long long)h + 3600);
			strlcat(sql, buf, sizeof(sql));
			buf[0] = '\0';
			sql_cols(buf, sizeof(buf), fc_names, NFC,
			    ", %s = %s + excluded.%s");
			strlcat(sql, buf, sizeof(sql));
			buf[0] = '\0';
			sql_cols(buf, sizeof(buf), fc_names, NFC,
			    ", %s_max = max(%s_max, excluded.%s_max)");
			strlcat(sql, buf, sizeof(sql));
			if (sql_exec(s->db, sql) != SQLITE_OK)
				goto fail;
			changes += sqlite3_changes(s->db);
			h += 3600;
		}
		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES"
		    "('rolled_upto', %lld) ON CONFLICT(key) DO UPDATE SET"
		    " value = excluded.value", (long long)h);
		if (sql_exec(s->db, sql) != SQLITE_OK)
			goto fail;
		if (sql_exec(s->db, "COMMIT") != SQLITE_OK)
			goto fail;
		s->rolled_upto = h;
		return changes + 1;
	}
	/* Retention: at most ten minutes / one day of rows per step, and
	 * never minute rows that are not rolled up yet. */
	if (minutes_cut > s->rolled_upto)
		minutes_cut = s->rolled_upto;
	if (sql_exec(s->db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	snprintf(sql, sizeof(sql),
	    "DELETE FROM proc_min WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM proc_min) + 600);"
	    "DELETE FROM file_min WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM file_min) + 600);"
	    "DELETE FROM exe_min WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM exe_min) + 600);"
	    "DELETE FROM proc_hour WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM proc_hour) + 86400);"
	    "DELETE FROM file_hour WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM file_hour) + 86400);"
	    "DELETE FROM exe_hour WHERE ts < min(%lld,"
	    " (SELECT min(ts) FROM exe_hour) + 86400);"
	    "DELETE FROM file_state WHERE image IN (SELECT f.image FROM"
	    " file_state f JOIN images i ON i.id = f.image"
	    " WHERE i.last_ts < %lld LIMIT 1000);"
	    "DELETE FROM images WHERE id IN (SELECT id FROM images"
	    " WHERE last_ts < %lld LIMIT 500);"
	    /* Paths no row refers to any more: last used (rolled up) before
	     * both retention cuts, once no older rows are left, and not in
	     * file_state, the staged rows or the hours not rolled up yet. */
	    "DELETE FROM paths WHERE id IN (SELECT id FROM paths"
	    " WHERE last_ts < %lld AND last_ts < %lld"
	    " AND coalesce((SELECT min(ts) FROM file_hour), %lld) >= %lld"
	    " AND coalesce((SELECT min(ts) FROM file_min), %lld) >= %lld"
	    " AND id NOT IN (SELECT path FROM file_state)"
	    " AND id NOT IN (SELECT path FROM file_stage)"
	    " AND id NOT IN (SELECT path FROM file_min WHERE ts >= %lld)"
	    " ORDER BY last_ts LIMIT 100);",
	    (long long)minutes_cut, (long long)minutes_cut,
	    (long long)minutes_cut,
	    (long long)hours_cut, (long long)hours_cut, (long long)hours_cut,
	    (long long)minutes_cut, (long long)hours_cut,
	    (long long)hours_cut, (long long)minutes_cut,
	    (long long)hours_cut, (long long)hours_cut,
	    (long long)minutes_cut, (long long)minutes_cut,
	    (long long)s->rolled_upto);
	if (sql_exec(s->db, sql) != SQLITE_OK)
		goto fail;
	changes = sqlite3_changes(s->db);
	if (sql_exec(s->db, "COMMIT") != SQLITE_OK)
		goto fail;
	return changes;
fail:
	sql_exec(s->db, "ROLLBACK");
	return -1;
}

