/*
 * store.c - the SQLite database of ioshimd.
 *
 * One connection, WAL mode, synchronous=NORMAL, automatic checkpoints off:
 * store_maintain() runs PASSIVE checkpoints on its own schedule and
 * escalates to RESTART and TRUNCATE when the WAL grows past a bound.  Each
 * window is written in one transaction with prepared statements.  The
 * cumulative counters already stored are a snapshot per image (images.base)
 * and per file (file_state.base) covering the rows with ts <= images.base_ts,
 * plus the rows stored after it: store_lookup() adds those back, so after
 * kill -9 the next cumulative report of a still-running process yields
 * exactly the counts that were not stored yet.  The snapshot is rewritten
 * only when an image's row changes anyway, hourly, once after activity
 * stops, and when a window would reuse its ts; a steady window inserts its
 * rows and touches nothing else (docs/collector.md, "Its own writes").
 *
 * This file opens, attaches and closes the database and stores staged
 * windows; window.c writes windows, replay.c reads the snapshots back,
 * dbstate.c checkpoints and reports health, schema.c holds the schema and
 * its migrations, rollup.c the hourly rollup and retention.
 *
 * Tables (schema version in PRAGMA user_version, see schema_migrate()):
 *   images      one row per process image (pid, start_ticks, image_ns)
 *   paths       interned file paths (last_ts: last hour rolled up)
 *   file_state  stored cumulative file counters of live images
 *   proc_min    per window and image: deltas        (ts, image)
 *   file_min    per window, image and file: deltas  (ts, image, path)
 *   proc_hour   hourly rollup: n, sums, maxima
 *   file_hour   hourly rollup of file_min
 *   exe_min     per window, executable and uid: sums of proc_min
 *   exe_hour    hourly rollup of exe_min
 *   meta        key/value (rolled_upto)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bsd/string.h>

#include "log.h"
#include "sqlsat.h"
#include "store_impl.h"

double
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 1 = looks healthy, 0 = corrupt or not a database. */
static int
healthy(sqlite3 *db, char *why, size_t sz)
{
	sqlite3_stmt *s;
	const char *t;
	int rc, ok = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, sz, "%s", sqlite3_errmsg(db));
		return rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT ? -1 : 0;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(s, 0);
		if (t != NULL && strcmp(t, "ok") == 0)
			ok = 1;
		else
			snprintf(why, sz, "quick_check: %s", t ? t : "?");
	} else {
		snprintf(why, sz, "%s", sqlite3_errmsg(db));
		if (rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT)
			ok = -1;
	}
	sqlite3_finalize(s);
	return ok;
}

static void
move_aside(struct store *s, const char *path, const char *why)
{
	char aside[4096], a[4200], b[4200];
	time_t t = time(NULL);
	struct tm tm;
	size_t base;
	int n;

	localtime_r(&t, &tm);
	snprintf(aside, sizeof(aside), "%s.corrupt-", path);
	strftime(aside + strlen(aside), sizeof(aside) - strlen(aside),
	    "%Y%m%d-%H%M%S", &tm);
	/* Never overwrite an earlier one. */
	base = strlen(aside);
	for (n = 1; access(aside, F_OK) == 0 && n < 1000; n++)
		snprintf(aside + base, sizeof(aside) - base, "-%d", n);
	if (rename(path, aside) == -1) {
		logx(LOG_ERR, "database %s is corrupt (%s) and cannot be moved "
		    "aside: %s", path, why, strerror(errno));
		return;
	}
	snprintf(a, sizeof(a), "%s-wal", path);
	snprintf(b, sizeof(b), "%s-wal", aside);
	(void)rename(a, b);
	snprintf(a, sizeof(a), "%s-shm", path);
	(void)unlink(a);
	logx(LOG_ERR, "database %s is corrupt (%s): moved aside to %s, "
	    "starting a fresh one", path, why, aside);
	free(s->aside);
	s->aside = strdup(aside);
	s->aside_since = t;
}

static int
prepare(struct store *s)
{
	char sql[8192];
	static const char *fixed[NSTMT] = {
		[S_IMG_FIND] = "SELECT id, seq, state, base, base_ts, last_ts"
		    " FROM images"
		    " WHERE pid = ?1 AND start_ticks = ?2 AND image_ns = ?3",
		[S_IMG_FILES] = "SELECT p.path, f.cls, f.seq, f.base, f.path"
		    " FROM file_state f JOIN paths p ON p.id = f.path"
		    " WHERE f.image = ?1",
		[S_IMG_INS] = "INSERT INTO images(pid, start_ticks, image_ns,"
		    " uid, gid, ppid, comm, exe, first_ts, last_ts, state,"
		    " end_reason, end_code, seq, base) VALUES(?1, ?2, ?3, ?4,"
		    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		    " ON CONFLICT(pid, start_ticks, image_ns) DO UPDATE SET"
		    " last_ts = excluded.last_ts RETURNING id",
		[S_IMG_UPD] = "UPDATE images SET ppid = ?1, comm = ?2,"
		    " exe = ?3, last_ts = ?4, state = ?5, end_reason = ?6,"
		    " end_code = ?7, seq = ?8, base = ?9, base_ts = ?11"
		    " WHERE id = ?10",
		[S_PATH_SEL] = "SELECT id FROM paths WHERE path = ?1",
		[S_PATH_INS] = "INSERT INTO paths(path, last_ts) VALUES(?1, ?2)",
		[S_FSTATE] = "INSERT INTO file_state(image, path, cls, seq,"
		    " base) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(image, path)"
		    " DO UPDATE SET cls = excluded.cls, seq = excluded.seq,"
		    " base = excluded.base",
		[S_FSTATE_DEL] = "DELETE FROM file_state WHERE image = ?1",
	};
	int i;

	for (i = 0; i < NSTMT; i++) {
		if (fixed[i] != NULL) {
			strlcpy(sql, fixed[i], sizeof(sql));
		} else if (i == S_PMIN || i == S_PMIN_T) {
			sql_upsert(sql, sizeof(sql), i == S_PMIN ? "proc_min" :
			    "proc_stage", PMIN_KEYS, 3, NULL, "ts, image",
			    "uid = excluded.uid", pc_names, NPC);
		} else if (i == S_FMIN || i == S_FMIN_T) {
			sql_upsert(sql, sizeof(sql), i == S_FMIN ? "file_min" :
			    "file_stage", FMIN_KEYS, 5, NULL, "ts, image, path",
			    "cls = excluded.cls", fc_names, NFC);
		} else {
			sql_upsert(sql, sizeof(sql), i == S_EMIN ? "exe_min" :
			    "exe_stage", EMIN_KEYS, 3, NULL, "ts, exe, uid",
			    "uid = excluded.uid", pc_names, NPC);
		}
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[i], NULL) != SQLITE_OK) {
			logx(LOG_ERR, "sqlite prepare: %s", sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

/* Move the staged rows to the 1-minute tables, inside a transaction. */
int
store_move_staged(struct store *s)
{
	char sql[8192];
	int rc;

	if (s->staged == 0)
		return SQLITE_OK;
	sql_upsert(sql, sizeof(sql), "proc_min", PMIN_KEYS, 3, "proc_stage",
	    "ts, image", "uid = excluded.uid", pc_names, NPC);
	if ((rc = sql_exec(s->db, sql)) != SQLITE_OK)
		return rc;
	sql_upsert(sql, sizeof(sql), "file_min", FMIN_KEYS, 5, "file_stage",
	    "ts, image, path", "cls = excluded.cls", fc_names, NFC);
	if ((rc = sql_exec(s->db, sql)) != SQLITE_OK)
		return rc;
	sql_upsert(sql, sizeof(sql), "exe_min", EMIN_KEYS, 3, "exe_stage",
	    "ts, exe, uid", "uid = excluded.uid", pc_names, NPC);
	if ((rc = sql_exec(s->db, sql)) != SQLITE_OK)
		return rc;
	return sql_exec(s->db, "DELETE FROM proc_stage; DELETE FROM file_stage;"
	    " DELETE FROM exe_stage;");
}

int
store_commit_staged(struct store *s)
{
	int rc;

	if (s->staged == 0)
		return 0;
	if ((rc = sql_exec(s->db, "BEGIN IMMEDIATE")) == SQLITE_OK &&
	    (rc = store_move_staged(s)) == SQLITE_OK &&
	    (rc = sql_exec(s->db, "COMMIT")) == SQLITE_OK) {
		s->staged = 0;
		s->staged_since = 0;
		return 0;
	}
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int64_t
meta_get(sqlite3 *db, const char *key, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return dflt;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
is_wal(sqlite3 *db)
{
	sqlite3_stmt *st;
	const char *t;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL)
		ok = strcmp(t, "wal") == 0;
	sqlite3_finalize(st);
	return ok;
}

static sqlite3 *
opendb(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		logx(LOG_ERR, "cannot open database %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlsat_register(db) != 0) {
		logx(LOG_ERR, "database %s: cannot register ssum(), sadd(): %s",
		    path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * Make path the store's database: open it (aside: a database that fails
 * its check is moved aside and a fresh one made, as at start; else it is
 * refused), the settings, the schema, the staging tables, the statements,
 * and watch the file (dbfile.c).  0 ok; -1 with s->db NULL.
 */
int
store_attach(struct store *s, const char *path, int aside)
{
	char why[512], sql[128];
	int h, tries;

	for (tries = 0; ; tries++) {
		if ((s->db = opendb(path)) == NULL)
			return -1;
		why[0] = '\0';
		h = healthy(s->db, why, sizeof(why));
		if (h == 1)
			break;
		sqlite3_close(s->db);
		s->db = NULL;
		if (h == -1 || tries > 0 || !aside) {
			logx(LOG_ERR, "cannot use database %s: %s", path, why);
			return -1;
		}
		move_aside(s, path, why);
	}
	/* Settings: see docs/collector.md.  Small pages: a window touches
	 * few rows on many pages, and WAL frames are whole pages (only
	 * takes effect on a new database). */
	(void)sql_exec(s->db, "PRAGMA page_size=1024");
	if (sql_exec(s->db, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
	    sql_exec(s->db, "PRAGMA synchronous=NORMAL") != SQLITE_OK ||
	    sql_exec(s->db, "PRAGMA wal_autocheckpoint=0") != SQLITE_OK ||
	    sql_exec(s->db, "PRAGMA journal_size_limit=1048576") != SQLITE_OK ||
	    sql_exec(s->db, "PRAGMA cache_size=-2048") != SQLITE_OK ||
	    sql_exec(s->db, "PRAGMA temp_store=MEMORY") != SQLITE_OK)
		goto fail;
	if (s->o.max_pages > 0) {
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%d",
		    s->o.max_pages);
		sql_exec(s->db, sql);
	}
	if (!is_wal(s->db)) {
		logx(LOG_ERR, "database %s: cannot switch to WAL mode (is it on "
		    "a local file system?)", path);
		goto fail;
	}
	if (schema_migrate(s->db) != 0 || schema_stage_tables(s->db) != 0 ||
	    prepare(s) != 0 || dbfile_watch(s, path) != 0)
		goto fail;
	s->page_size = pragma_int(s->db, "PRAGMA page_size");
	s->rolled_upto = meta_get(s->db, "rolled_upto", time(NULL) / 3600 * 3600);
	return 0;
fail:
	store_detach(s);
	return -1;
}

/* Close the database (its staged rows must be stored already); s->db is
 * NULL afterwards. */
void
store_detach(struct store *s)
{
	int i, one = 1;

	for (i = 0; i < NSTMT; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	impstore_free(s);
	if (s->db != NULL) {
		/* A file that is not at its path any more: SQLite must not
		 * delete "PATH-wal" and "PATH-shm" by name when it closes, they
		 * may be another database's (dbfile.c removes ours). */
		if (s->recover)
			(void)sqlite3_file_control(s->db, "main",
			    SQLITE_FCNTL_PERSIST_WAL, &one);
		sqlite3_close(s->db);
		s->db = NULL;
	}
	/* Only now: closing a descriptor of the file drops every POSIX lock
	 * this process holds on it, SQLite's too. */
	dbfile_unwatch(s);
}

struct store *
store_open(const struct store_opts *o)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = *o;
	s->ok = 1;
	s->dbfd = -1;
	if ((s->path = strdup(o->path)) == NULL ||
	    (s->conf_path = strdup(o->path)) == NULL)
		goto fail;
	s->o.path = s->conf_path;
	if (store_attach(s, s->path, 1) != 0)
		goto fail;
	s->last_ckpt_time = time(NULL);
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL) {
		/* A database found gone and not saved yet: now or never. */
		if (s->recover && dbfile_recover(s, time(NULL)) != 0)
			logx(LOG_ERR, "exiting with the data of database %s "
			    "unsaved: %s", s->conf_path, s->gone_err);
		if (store_commit_staged(s) != 0)
			logx(LOG_ERR, "cannot store the staged windows: %s",
			    sqlite3_errmsg(s->db));
		/* A last PASSIVE checkpoint keeps the WAL short for the next
		 * start; closing the last connection does the rest. */
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	}
	store_detach(s);
	free(s->path);
	free(s->conf_path);
	free(s->recovered);
	free(s->aside);
	free(s);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_ok(const struct store *s)
{
	return s->ok;
}

uint64_t
store_windows(const struct store *s)
{
	return s->windows;
}

int64_t
store_rolled_upto(const struct store *s)
{
	return s->rolled_upto;
}
