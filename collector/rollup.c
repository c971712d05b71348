/*
 * rollup.c - the hourly rollup and retention of ioshimd's database.
 *
 * store_retain() does one small step per call (after each window, from
 * store_maintain()): roll up the next complete hour of 1-minute rows into
 * the hourly tables, or else delete a bounded batch of rows older than the
 * retention (never 1-minute rows not rolled up yet).  docs/collector.md,
 * "Retention and rollup".
 *
 * Every sum is saturating (ssum(), sadd(): sqlsat.c), so no stored value
 * can make an hour fail.  A rollup that fails anyway (a full disk, a
 * damaged or tampered database) is a health state, rollup_failing
 * (store_reasons()), logged once when it starts and once when it ends; it
 * is retried after every window, and retention goes on meanwhile.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "log.h"
#include "store_impl.h"

/* sqlite3_exec() without a log line: the message goes to err. */
static int
quiet(sqlite3 *db, const char *sql, char *err, size_t esz)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK)
		snprintf(err, esz, "%s", msg != NULL ? msg :
		    sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

/*
 * Roll up the next complete hour before w0 that has minute rows (staged
 * rows go to the database first) in one transaction; rows changed + 1, or
 * -1 with the reason in err.
 */
static int
rollup(struct store *s, int64_t w0, char *err, size_t esz)
{
	char sql[16384], buf[8192], where[128], src[8192];
	int64_t h, first;
	int changes = 0;
	sqlite3_stmt *st;

	if (store_commit_staged(s) != 0) {
		snprintf(err, esz, "storing the staged windows: %s",
		    sqlite3_errmsg(s->db));
		return -1;
	}
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
	if (quiet(s->db, "BEGIN IMMEDIATE", err, esz) != SQLITE_OK)
		return -1;
	if (h < w0) {
		snprintf(sql, sizeof(sql), "INSERT INTO proc_hour(ts,"
		    " image, uid, n");
		sql_cols(sql, sizeof(sql), pc_names, NPC, ", %s");
		sql_cols(sql, sizeof(sql), pc_names, NPC, ", %s_max");
		snprintf(buf, sizeof(buf), ") SELECT %lld, image,"
		    " min(uid), count(*)", (long long)h);
		strlcat(sql, buf, sizeof(sql));
		sql_cols(sql, sizeof(sql), pc_names, NPC, ", ssum(%s)");
		sql_cols(sql, sizeof(sql), pc_names, NPC, ", max(%s)");
		snprintf(buf, sizeof(buf), " FROM proc_min WHERE ts >="
		    " %lld AND ts < %lld GROUP BY image"
		    " ON CONFLICT(ts, image) DO UPDATE SET n = n +"
		    " excluded.n", (long long)h, (long long)h + 3600);
		strlcat(sql, buf, sizeof(sql));
		buf[0] = '\0';
		sql_cols(buf, sizeof(buf), pc_names, NPC,
		    ", %s = sadd(%s, excluded.%s)");
		strlcat(sql, buf, sizeof(sql));
		buf[0] = '\0';
		sql_cols(buf, sizeof(buf), pc_names, NPC,
		    ", %s_max = max(%s_max, excluded.%s_max)");
		strlcat(sql, buf, sizeof(sql));
		if (quiet(s->db, sql, err, esz) != SQLITE_OK)
			goto fail;
		changes += sqlite3_changes(s->db);
		/* The same hour per executable (schema 3), from
		 * proc_min, as the queries join images. */
		snprintf(buf, sizeof(buf), "%lld", (long long)h);
		snprintf(where, sizeof(where), "x.ts >= %lld AND x.ts"
		    " < %lld", (long long)h, (long long)h + 3600);
		sql_exe_src(src, sizeof(src), buf, "proc_min", where);
		sql_upsert(sql, sizeof(sql), "exe_hour", EMIN_KEYS, 3, src,
		    "ts, exe, uid", "uid = excluded.uid", pc_names, NPC);
		if (quiet(s->db, sql, err, esz) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "UPDATE paths SET last_ts ="
		    " %lld WHERE id IN (SELECT path FROM file_min WHERE"
		    " ts >= %lld AND ts < %lld) AND coalesce(last_ts, 0)"
		    " < %lld",
		    (long long)h + 3600, (long long)h, (long long)h + 3600,
		    (long long)h + 3600);
		if (quiet(s->db, sql, err, esz) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "INSERT INTO file_hour(ts,"
		    " image, path, uid, cls, n");
		sql_cols(sql, sizeof(sql), fc_names, NFC, ", %s");
		sql_cols(sql, sizeof(sql), fc_names, NFC, ", %s_max");
		snprintf(buf, sizeof(buf), ") SELECT %lld, image, path,"
		    " min(uid), max(cls), count(*)", (long long)h);
		strlcat(sql, buf, sizeof(sql));
		sql_cols(sql, sizeof(sql), fc_names, NFC, ", ssum(%s)");
		sql_cols(sql, sizeof(sql), fc_names, NFC, ", max(%s)");
		snprintf(buf, sizeof(buf), " FROM file_min WHERE ts >="
		    " %lld AND ts < %lld GROUP BY image, path"
		    " ON CONFLICT(ts, image, path) DO UPDATE SET n ="
		    " n + excluded.n", (long long)h,
		    (long long)h + 3600);
		strlcat(sql, buf, sizeof(sql));
		buf[0] = '\0';
		sql_cols(buf, sizeof(buf), fc_names, NFC,
		    ", %s = sadd(%s, excluded.%s)");
		strlcat(sql, buf, sizeof(sql));
		buf[0] = '\0';
		sql_cols(buf, sizeof(buf), fc_names, NFC,
		    ", %s_max = max(%s_max, excluded.%s_max)");
		strlcat(sql, buf, sizeof(sql));
		if (quiet(s->db, sql, err, esz) != SQLITE_OK)
			goto fail;
		changes += sqlite3_changes(s->db);
		h += 3600;
	}
	snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES"
	    "('rolled_upto', %lld) ON CONFLICT(key) DO UPDATE SET"
	    " value = excluded.value", (long long)h);
	if (quiet(s->db, sql, err, esz) != SQLITE_OK ||
	    quiet(s->db, "COMMIT", err, esz) != SQLITE_OK)
		goto fail;
	s->rolled_upto = h;
	return changes + 1;
fail:
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Note a rollup that failed or worked (the rollup_failing state). */
static void
rollup_state(struct store *s, int ok, const char *err, time_t now)
{
	if (ok) {
		if (s->rollup_failures > 0)
			logx(LOG_NOTICE, "the hourly rollup works again after "
			    "%llu failed tries", (unsigned long long)
			    s->rollup_failures);
		s->rollup_failures = 0;
		s->rollup_since = 0;
		s->rollup_err[0] = '\0';
		return;
	}
	if (s->rollup_failures++ == 0) {
		s->rollup_since = now;
		logx(LOG_ERR, "the hourly rollup of hour %lld fails: %s; tried "
		    "again after every window (health: rollup_failing)",
		    (long long)s->rolled_upto, err);
	}
	strlcpy(s->rollup_err, err, sizeof(s->rollup_err));
}

/* Retention: at most ten minutes / one day of rows per step, and never
 * minute rows that are not rolled up yet; rows changed or -1. */
static int
retention(struct store *s, time_t now)
{
	char sql[16384];
	int64_t minutes_cut, hours_cut;
	int changes;

	minutes_cut = now - (int64_t)s->o.keep_minutes * 86400;
	hours_cut = now - (int64_t)s->o.keep_hours * 86400;
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


/* One small step: the rollup of the next hour when one is due, else (or
 * when it fails) retention; rows changed, or -1. */
int
store_retain(struct store *s, time_t now)
{
	char err[sizeof(s->rollup_err)];
	int64_t w0 = now / 3600 * 3600;
	int rc;

	if (s->rolled_upto < w0) {
		err[0] = '\0';
		rc = rollup(s, w0, err, sizeof(err));
		rollup_state(s, rc >= 0, err, now);
		if (rc >= 0)
			return rc;
	}
	return retention(s, now);
}

void
rollup_reasons(const struct store *s, struct jbuf *j, int full)
{
	if (s->rollup_failures == 0)
		return;
	jb_key(j, "rollup_failing");
	jb_obj(j);
	jb_kstr(j, "severity", "failing");
	jb_ki64(j, "since", s->rollup_since);
	jb_ku64(j, "failures", s->rollup_failures);
	jb_ki64(j, "rolled_upto", s->rolled_upto);
	if (full)
		jb_kstr(j, "detail", s->rollup_err);
	jb_endobj(j);
}
