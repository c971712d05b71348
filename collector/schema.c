/*
 * schema.c - the database schema of ioshimd: the SQL text of its tables
 * and counter upserts, the TEMP staging tables, and schema_migrate(), which
 * upgrades an older database step by step (PRAGMA user_version).
 *
 * The table list is in store.c; docs/collector.md says why each table is
 * keyed as it is.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "log.h"
#include "store_impl.h"

int
sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		logx(LOG_ERR, "sqlite: %s: %.80s", msg ? msg : sqlite3_errstr(rc),
		    sql);
		sqlite3_free(msg);
	}
	return rc;
}

/* Append fmt (", %s" and the like) for each counter name. */
void
sql_cols(char *buf, size_t sz, const char *const *names, int n, const char *fmt)
{
	size_t len = strlen(buf);
	int i;

	for (i = 0; i < n && len < sz; i++) {
		snprintf(buf + len, sz - len, fmt, names[i], names[i], names[i]);
		len = strlen(buf);
	}
}

/* "CREATE [TEMP] TABLE head, counter columns, PRIMARY KEY(pk)". */
void
sql_table(char *sql, size_t sz, const char *head, const char *const *names,
    int n, const char *pk)
{
	strlcat(sql, head, sz);
	sql_cols(sql, sz, names, n, ", %s INTEGER NOT NULL DEFAULT 0");
	strlcat(sql, ", PRIMARY KEY(", sz);
	strlcat(sql, pk, sz);
	strlcat(sql, ")) WITHOUT ROWID;", sz);
}

/*
 * An upsert that adds counters: INSERT INTO table(keys, counters) VALUES
 * (?, ...) or, with src, SELECT keys, counters FROM src; on a conflict on
 * pk, set1 and counter = sadd(counter, excluded.counter) (saturating).
 */
void
sql_upsert(char *sql, size_t sz, const char *table, const char *keys,
    int nkeys, const char *src, const char *pk, const char *set1,
    const char *const *names, int n)
{
	int i;

	snprintf(sql, sz, "INSERT INTO %s(%s", table, keys);
	sql_cols(sql, sz, names, n, ", %s");
	if (src == NULL) {
		strlcat(sql, ") VALUES(?", sz);
		for (i = 1; i < nkeys + n; i++)
			strlcat(sql, ", ?", sz);
	} else {
		strlcat(sql, ") SELECT ", sz);
		strlcat(sql, keys, sz);
		sql_cols(sql, sz, names, n, ", %s");
		strlcat(sql, " FROM ", sz);
		strlcat(sql, src, sz);
		strlcat(sql, " WHERE 1", sz);	/* else ON parses as a join */
	}
	strlcat(sql, src == NULL ? ") ON CONFLICT(" : " ON CONFLICT(", sz);
	strlcat(sql, pk, sz);
	strlcat(sql, ") DO UPDATE SET ", sz);
	strlcat(sql, set1, sz);
	sql_cols(sql, sz, names, n, ", %s = sadd(%s, excluded.%s)");
}

/*
 * The rows of proc_min or proc_hour (from) matching where, summed per
 * executable, uid and ts (tsexpr: "x.ts" or an hour), as a subquery with
 * the columns of exe_min and exe_hour.
 */
void
sql_exe_src(char *buf, size_t sz, const char *tsexpr, const char *from,
    const char *where)
{
	snprintf(buf, sz, "(SELECT %s AS ts, coalesce(i.exe, '') AS exe,"
	    " x.uid AS uid", tsexpr);
	sql_cols(buf, sz, pc_names, NPC, ", ssum(x.%s) AS %s");
	snprintf(buf + strlen(buf), sz - strlen(buf), " FROM %s x JOIN images"
	    " i ON i.id = x.image WHERE %s GROUP BY 1, 2, 3)", from, where);
}

/* Add the rows of from matching where to exe table to, per executable. */
int
sql_exe_fill(sqlite3 *db, const char *to, const char *tsexpr, const char *from,
    const char *where)
{
	char sql[16384], src[8192];

	sql_exe_src(src, sizeof(src), tsexpr, from, where);
	sql_upsert(sql, sizeof(sql), to, EMIN_KEYS, 3, src, "ts, exe, uid",
	    "uid = excluded.uid", pc_names, NPC);
	return sql_exec(db, sql);
}

/* A counter column added to table unless it has it; 0 done. */
static int
add_column(sqlite3 *db, const char *table, const char *col)
{
	char sql[256];
	sqlite3_stmt *s;
	int have = 0;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s')"
	    " WHERE name = '%s'", table, col);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	have = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (have)
		return 0;
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s INTEGER NOT"
	    " NULL DEFAULT 0", table, col);
	return sql_exec(db, sql) == SQLITE_OK ? 0 : -1;
}

/* Version 7's columns added to table (with their _max: hourly). */
static int
add_saves(sqlite3 *db, const char *table, int hourly)
{
	static const char *const cols[] = { "saves_absorbed",
	    "saves_written", "bytes_saved" };
	char col[64];
	size_t i;

	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		snprintf(col, sizeof(col), "%s_max", cols[i]);
		if (add_column(db, table, cols[i]) != 0 ||
		    (hourly && add_column(db, table, col) != 0))
			return -1;
	}
	return 0;
}

int
schema_migrate(sqlite3 *db)
{
	char sql[16384];
	sqlite3_stmt *s;
	int v = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v > STORE_SCHEMA) {
		logx(LOG_ERR, "database schema version %d is newer than this "
		    "ioshimd (%d)", v, STORE_SCHEMA);
		return -1;
	}
	if (v == STORE_SCHEMA)
		return 0;
	if (sql_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	if (v < 1) {
		/* Version 1: the first schema. */
		snprintf(sql, sizeof(sql),
		    "CREATE TABLE images(id INTEGER PRIMARY KEY,"
		    " pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL,"
		    " image_ns INTEGER NOT NULL, uid INTEGER NOT NULL,"
		    " gid INTEGER NOT NULL, ppid INTEGER, comm TEXT, exe TEXT,"
		    " first_ts INTEGER, last_ts INTEGER, state INTEGER,"
		    " end_reason INTEGER, end_code INTEGER, seq INTEGER,"
		    " base BLOB, UNIQUE(pid, start_ticks, image_ns));"
		    "CREATE INDEX images_pid ON images(pid);"
		    "CREATE INDEX images_exe ON images(exe);"
		    "CREATE INDEX images_last ON images(last_ts);"
		    "CREATE TABLE paths(id INTEGER PRIMARY KEY,"
		    " path TEXT NOT NULL UNIQUE);"
		    "CREATE TABLE file_state(image INTEGER NOT NULL,"
		    " path INTEGER NOT NULL, cls INTEGER, seq INTEGER, base BLOB,"
		    " PRIMARY KEY(image, path)) WITHOUT ROWID;"
		    "CREATE TABLE meta(key TEXT PRIMARY KEY, value)"
		    " WITHOUT ROWID;"
		    "CREATE TABLE proc_min(ts INTEGER NOT NULL,"
		    " image INTEGER NOT NULL, uid INTEGER NOT NULL");
		sql_cols(sql, sizeof(sql), pc_names, NPC,
		    ", %s INTEGER NOT NULL DEFAULT 0");
		strlcat(sql, ", PRIMARY KEY(ts, image)) WITHOUT ROWID;"
		    "CREATE INDEX proc_min_image ON proc_min(image, ts);"
		    "CREATE TABLE proc_hour(ts INTEGER NOT NULL,"
		    " image INTEGER NOT NULL, uid INTEGER NOT NULL,"
		    " n INTEGER NOT NULL DEFAULT 0", sizeof(sql));
		sql_cols(sql, sizeof(sql), pc_names, NPC,
		    ", %s INTEGER NOT NULL DEFAULT 0");
		sql_cols(sql, sizeof(sql), pc_names, NPC,
		    ", %s_max INTEGER NOT NULL DEFAULT 0");
		strlcat(sql, ", PRIMARY KEY(ts, image)) WITHOUT ROWID;"
		    "CREATE INDEX proc_hour_image ON proc_hour(image, ts);"
		    "CREATE TABLE file_min(ts INTEGER NOT NULL,"
		    " image INTEGER NOT NULL, path INTEGER NOT NULL,"
		    " uid INTEGER NOT NULL, cls INTEGER NOT NULL", sizeof(sql));
		sql_cols(sql, sizeof(sql), fc_names, NFC,
		    ", %s INTEGER NOT NULL DEFAULT 0");
		strlcat(sql, ", PRIMARY KEY(ts, image, path)) WITHOUT ROWID;"
		    "CREATE INDEX file_min_image ON file_min(image, ts);"
		    "CREATE TABLE file_hour(ts INTEGER NOT NULL,"
		    " image INTEGER NOT NULL, path INTEGER NOT NULL,"
		    " uid INTEGER NOT NULL, cls INTEGER NOT NULL,"
		    " n INTEGER NOT NULL DEFAULT 0", sizeof(sql));
		sql_cols(sql, sizeof(sql), fc_names, NFC,
		    ", %s INTEGER NOT NULL DEFAULT 0");
		sql_cols(sql, sizeof(sql), fc_names, NFC,
		    ", %s_max INTEGER NOT NULL DEFAULT 0");
		strlcat(sql, ", PRIMARY KEY(ts, image, path)) WITHOUT ROWID;"
		    "CREATE INDEX file_hour_image ON file_hour(image, ts);",
		    sizeof(sql));
		if (sql_exec(db, sql) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES"
		    "('rolled_upto', %lld)", (long long)(time(NULL) / 3600 * 3600));
		if (sql_exec(db, sql) != SQLITE_OK)
			goto fail;
	}
	if (v < 2) {
		/* Version 2: base covers rows with ts <= base_ts (NULL: all). */
		if (sql_exec(db, "ALTER TABLE images ADD COLUMN base_ts INTEGER")
		    != SQLITE_OK)
			goto fail;
	}
	if (v < 3) {
		/*
		 * Version 3: no (image, ts) indexes on the 1-minute tables:
		 * each window's rows landed on one index leaf per image,
		 * the pages a steady window dirtied most (replay() seeks
		 * the primary key instead).  exe_min and exe_hour: the
		 * process counters per window (hour) summed per executable
		 * and uid, so that top by=exe and history exe= over days
		 * read ~50 rows a window or hour, not one per image; filled
		 * here from the stored rows, then by store_flush() and
		 * store_retain().
		 */
		sql[0] = '\0';
		sql_table(sql, sizeof(sql), "DROP INDEX IF EXISTS proc_min_image;"
		    "DROP INDEX IF EXISTS file_min_image;"
		    "CREATE TABLE exe_min(ts INTEGER NOT NULL, exe TEXT NOT NULL,"
		    " uid INTEGER NOT NULL", pc_names, NPC, "ts, exe, uid");
		sql_table(sql, sizeof(sql), "CREATE TABLE exe_hour(ts INTEGER NOT"
		    " NULL, exe TEXT NOT NULL, uid INTEGER NOT NULL", pc_names,
		    NPC, "ts, exe, uid");
		/* paths.last_ts: the end of the last hour rolled up with the
		 * path (store_retain()); unknown paths count as used now. */
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "ALTER TABLE paths ADD COLUMN last_ts INTEGER;"
		    "UPDATE paths SET last_ts = %lld;"
		    "CREATE INDEX paths_last ON paths(last_ts);",
		    (long long)time(NULL));
		/* the fill reads every counter of today's tables: those that
		 * came later (versions 4, 7) first, as those add them */
		if (sql_exec(db, sql) != SQLITE_OK ||
		    add_column(db, "proc_min", "disk_write_syscalls") != 0 ||
		    add_column(db, "proc_hour", "disk_write_syscalls") != 0 ||
		    add_column(db, "proc_hour", "disk_write_syscalls_max") != 0 ||
		    add_saves(db, "proc_min", 0) != 0 ||
		    add_saves(db, "proc_hour", 1) != 0 ||
		    sql_exe_fill(db, "exe_min", "x.ts", "proc_min", "1") !=
		    SQLITE_OK || sql_exe_fill(db, "exe_hour", "x.ts", "proc_hour",
		    "1") != SQLITE_OK)
			goto fail;
	}
	if (v < 4) {
		/*
		 * Version 4: disk_write_syscalls, the write system calls to
		 * disk files that reached the kernel (the tables made above
		 * for an older version have it already).
		 */
		if (add_column(db, "proc_min", "disk_write_syscalls") != 0 ||
		    add_column(db, "proc_hour", "disk_write_syscalls") != 0 ||
		    add_column(db, "proc_hour", "disk_write_syscalls_max") != 0 ||
		    add_column(db, "exe_min", "disk_write_syscalls") != 0 ||
		    add_column(db, "exe_hour", "disk_write_syscalls") != 0)
			goto fail;
	}
	if (v < 5) {
		/*
		 * Version 5: imported exit reports (import.c, impstore.c).
		 * images.host: NULL for an image seen live here, else the
		 * host an imported record came from (imported, unverified);
		 * such an image's start_ticks is -(import_hosts.id), so
		 * UNIQUE(pid, start_ticks, image_ns) stores a record of a
		 * host and uid once.  import_pos: where `ioshim import`
		 * stopped in each file, per importing uid, committed with
		 * the records it covers.
		 */
		if (sql_exec(db, "ALTER TABLE images ADD COLUMN host TEXT;"
		    "CREATE TABLE import_hosts(id INTEGER PRIMARY KEY,"
		    " host TEXT NOT NULL, uid INTEGER NOT NULL,"
		    " UNIQUE(host, uid));"
		    "CREATE TABLE import_pos(uid INTEGER NOT NULL,"
		    " dev INTEGER NOT NULL, ino INTEGER NOT NULL, path TEXT,"
		    " off INTEGER NOT NULL, line INTEGER NOT NULL,"
		    " size INTEGER NOT NULL, head INTEGER NOT NULL,"
		    " tail INTEGER NOT NULL, records INTEGER NOT NULL DEFAULT 0,"
		    " bad INTEGER NOT NULL DEFAULT 0, ts INTEGER,"
		    " PRIMARY KEY(uid, dev, ino)) WITHOUT ROWID;") != SQLITE_OK)
			goto fail;
	}
	if (v < 6) {
		/*
		 * Version 6: write_syscalls per file, the write system calls
		 * to the file that reached the kernel (the shim's rows of
		 * type IW_FILES2; version 1 above makes the tables with it).
		 */
		if (add_column(db, "file_min", "write_syscalls") != 0 ||
		    add_column(db, "file_hour", "write_syscalls") != 0 ||
		    add_column(db, "file_hour", "write_syscalls_max") != 0)
			goto fail;
	}
	if (v < 7) {
		/*
		 * Version 7: debounced saves (the shim's IW_DEBOUNCE
		 * messages) per image, executable and file:
		 * saves_absorbed, saves_written, bytes_saved (the tables
		 * made above for an older version have them already).
		 */
		if (add_saves(db, "proc_min", 0) != 0 ||
		    add_saves(db, "proc_hour", 1) != 0 ||
		    add_saves(db, "exe_min", 0) != 0 ||
		    add_saves(db, "exe_hour", 0) != 0 ||
		    add_saves(db, "file_min", 0) != 0 ||
		    add_saves(db, "file_hour", 1) != 0)
			goto fail;
	}
	/* Later versions: if (v < 8) { ALTER TABLE ... } and so on. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA);
	if (sql_exec(db, sql) != SQLITE_OK || sql_exec(db, "COMMIT") != SQLITE_OK)
		goto fail;
	if (v != 0)
		logx(LOG_NOTICE, "database migrated from schema %d to %d", v,
		    STORE_SCHEMA);
	return 0;
fail:
	sql_exec(db, "ROLLBACK");
	return -1;
}

/*
 * The staging tables: steady windows are written here, in memory
 * (temp_store=MEMORY), and go to proc_min/file_min in one transaction with
 * the next window that needs the database anyway, at most stage_secs
 * later (docs/collector.md, "Its own writes").
 */
int
schema_stage_tables(sqlite3 *db)
{
	char sql[8192];

	sql[0] = '\0';
	sql_table(sql, sizeof(sql), "CREATE TEMP TABLE proc_stage(ts INTEGER"
	    " NOT NULL, image INTEGER NOT NULL, uid INTEGER NOT NULL",
	    pc_names, NPC, "ts, image");
	sql_table(sql, sizeof(sql), "CREATE TEMP TABLE file_stage(ts INTEGER"
	    " NOT NULL, image INTEGER NOT NULL, path INTEGER NOT NULL,"
	    " uid INTEGER NOT NULL, cls INTEGER NOT NULL", fc_names, NFC,
	    "ts, image, path");
	sql_table(sql, sizeof(sql), "CREATE TEMP TABLE exe_stage(ts INTEGER"
	    " NOT NULL, exe TEXT NOT NULL, uid INTEGER NOT NULL", pc_names,
	    NPC, "ts, exe, uid");
	return sql_exec(db, sql) == SQLITE_OK ? 0 : -1;
}

