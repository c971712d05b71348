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
 * The schema and its migrations are in schema.c, the hourly rollup and
 * retention in rollup.c.
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
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "log.h"
#include "sat.h"
#include "sqlsat.h"
#include "store_impl.h"
#include "ubound.h"

static double
now_ms(void)
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
move_aside(const char *path, const char *why)
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
static int
move_staged(struct store *s)
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
	    (rc = move_staged(s)) == SQLITE_OK &&
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
		move_aside(path, why);
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

static void
unpack(const void *blob, int len, uint64_t *v, int n)
{
	memset(v, 0, sizeof(uint64_t) * n);
	if (blob == NULL || len <= 0)
		return;
	if ((size_t)len > sizeof(uint64_t) * n)
		len = (int)(sizeof(uint64_t) * n);
	memcpy(v, blob, (size_t)len);
}

/*
 * The windows of table stored after a snapshot, as a WITH clause "w(ts)":
 * every distinct ts in (?2, ?3], found by one primary-key seek each (the
 * 1-minute tables have no (image, ts) index since schema 3).  Rows after a
 * snapshot are only written while images.last_ts (the snapshot's time) is
 * less than SNAP_EVERY old, and a window's ts is never after its flush
 * time, so ?3 = last_ts + 2 * SNAP_EVERY bounds them with a margin: an
 * image idle since an old snapshot costs a few seeks, not days of rows.
 */
static void
after_snap(char *sql, size_t sz, const char *table)
{
	snprintf(sql, sz, "WITH RECURSIVE w(ts) AS (SELECT (SELECT min(ts)"
	    " FROM %s WHERE ts > ?2) UNION ALL SELECT (SELECT min(ts) FROM %s"
	    " WHERE ts > w.ts) FROM w WHERE w.ts <= ?3) ", table, table);
}

int64_t
store_snap_until(int64_t last_ts)
{
	return last_ts + 2 * SNAP_EVERY;
}

int
store_replay_proc(struct store *s, int64_t image, int64_t base_ts,
    int64_t until, uint64_t v[NPC])
{
	char sql[4096];
	sqlite3_stmt *st;
	int c, rc;

	after_snap(sql, sizeof(sql), "proc_min");
	strlcat(sql, "SELECT count(*)", sizeof(sql));
	sql_cols(sql, sizeof(sql), pc_names, NPC, ", ssum(m.%s)");
	strlcat(sql, " FROM w JOIN proc_min m ON m.ts = w.ts AND"
	    " m.image = ?1", sizeof(sql));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, image);
	sqlite3_bind_int64(st, 2, base_ts);
	sqlite3_bind_int64(st, 3, until);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (c = 0; c < NPC; c++)
			v[c] = sat_add(v[c], sat_i64(sqlite3_column_int64(st,
			    1 + c)));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Add the rows stored after the snapshot (ts > base_ts) of image im to the
 * bases just loaded.  Every row's deltas were cur - base when stored, so
 * snapshot plus replay is the cumulative state the rows account for.
 */
static int
replay(struct store *s, struct image *im, int64_t base_ts, int64_t until)
{
	char sql[4096];
	sqlite3_stmt *st;
	uint32_t i;
	int64_t pid;
	int c, rc;

	if (store_replay_proc(s, im->db_id, base_ts, until, im->base) != 0)
		return -1;
	after_snap(sql, sizeof(sql), "file_min");
	strlcat(sql, "SELECT f.path", sizeof(sql));
	sql_cols(sql, sizeof(sql), fc_names, NFC, ", ssum(f.%s)");
	strlcat(sql, " FROM w JOIN file_min f ON f.ts = w.ts AND"
	    " f.image = ?1 GROUP BY f.path", sizeof(sql));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, im->db_id);
	sqlite3_bind_int64(st, 2, base_ts);
	sqlite3_bind_int64(st, 3, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pid = sqlite3_column_int64(st, 0);
		for (i = 0; i < im->nfiles; i++)
			if (im->files[i].path_id == pid)
				break;
		if (i == im->nfiles)
			continue;	/* over the bound on files */
		for (c = 0; c < NFC; c++)
			im->files[i].base[c] = sat_add(im->files[i].base[c],
			    sat_i64(sqlite3_column_int64(st, 1 + c)));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_lookup(void *ctx, struct agg *a, struct image *im)
{
	struct store *s = ctx;
	sqlite3_stmt *st = s->st[S_IMG_FIND], *fs = s->st[S_IMG_FILES];
	struct afile *f;
	const char *p;
	int found = 0;
	int64_t base_ts = -1, until = 0;
	uint32_t i;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, im->pid);
	sqlite3_bind_int64(st, 2, (int64_t)im->start_ticks);
	sqlite3_bind_int64(st, 3, (int64_t)im->image_ns);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		im->db_id = sqlite3_column_int64(st, 0);
		im->id_gen = 0;
		im->proc_seq = (uint32_t)sqlite3_column_int64(st, 1);
		im->state = (uint16_t)sqlite3_column_int(st, 2);
		unpack(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3),
		    im->base, NPC);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			base_ts = sqlite3_column_int64(st, 4);
		until = store_snap_until(sqlite3_column_int64(st, 5));
	}
	sqlite3_reset(st);
	if (!found)
		return 0;
	/* Its rows may wait in the staging tables (only fakes come back). */
	if (store_commit_staged(s) != 0)
		return -1;
	sqlite3_reset(fs);
	sqlite3_bind_int64(fs, 1, im->db_id);
	while (sqlite3_step(fs) == SQLITE_ROW) {
		if ((p = (const char *)sqlite3_column_text(fs, 0)) == NULL)
			continue;
		/* img_file_add() enforces the bound on files. */
		f = img_file_add(a, im, p, strlen(p), sqlite3_column_int(fs, 1));
		if (f == NULL)
			break;
		f->seq = (uint32_t)sqlite3_column_int64(fs, 2);
		unpack(sqlite3_column_blob(fs, 3), sqlite3_column_bytes(fs, 3),
		    f->base, NFC);
		f->path_id = sqlite3_column_int64(fs, 4);
		f->loaded = 1;
		f->stored = 1;
	}
	sqlite3_reset(fs);
	if (base_ts >= 0 && replay(s, im, base_ts, until) != 0) {
		logx(LOG_ERR, "cannot read the windows of image pid %d: %s",
		    (int)im->pid, sqlite3_errmsg(s->db));
		return -1;
	}
	memcpy(im->cur, im->base, sizeof(im->cur));
	for (i = 0; i < im->nfiles; i++)
		memcpy(im->files[i].cur, im->files[i].base,
		    sizeof(im->files[i].cur));
	im->kio_init = im->base[C_KREAD_BYTES] != 0 ||
	    im->base[C_KWRITE_BYTES] != 0;
	im->snap_ts = base_ts;
	im->unsnap = 1;		/* write a fresh snapshot at the next flush */
	logx(LOG_DEBUG, "resumed image pid %d (id %" PRId64 ", %u files)",
	    (int)im->pid, im->db_id, im->nfiles);
	return 0;
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/*
 * f's paths.id; a path new to the database is added if uid's bound on new
 * path bytes allows (ubound.c), else f->path_id stays 0 (its row is not
 * stored).
 */
static int
path_id(struct store *s, struct afile *f, uid_t uid, time_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (f->path_id != 0)
		return SQLITE_OK;
	st = s->st[S_PATH_SEL];
	sqlite3_bind_text(st, 1, f->path, f->plen, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->path_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return SQLITE_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	if (ub_path(uid, f->plen, now) != 0)
		return SQLITE_OK;
	st = s->st[S_PATH_INS];
	sqlite3_bind_text(st, 1, f->path, f->plen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = step_done(st)) != SQLITE_OK)
		return rc;
	f->path_id = sqlite3_last_insert_rowid(s->db);
	f->id_gen = s->gen;
	return SQLITE_OK;
}

/*
 * 1 = this window rewrites the image's snapshot (images row, file_state).
 * early: seconds before the hourly one is due that it is taken anyway (a
 * window that goes to the database brings the hourly snapshots due before
 * the next such window forward, so that they do not each need one).
 */
static int
need_snapshot(const struct image *im, int64_t ts, time_t now, int early)
{
	uint32_t i;

	if (im->meta_dirty || im->state == IW_END || im->db_last_ts == 0 ||
	    now < im->db_last_ts || now - im->db_last_ts >= SNAP_EVERY - early ||
	    ts <= im->snap_ts)
		return 1;
	if (!img_has_delta(im))
		return im->unsnap;	/* activity stopped: settle it */
	for (i = 0; i < im->nfiles; i++)
		if (!im->files[i].stored && file_has_delta(&im->files[i]))
			return 1;	/* a new file needs its file_state row */
	return 0;
}

/* 1 = a steady window: only rows to insert, no snapshot, no new ids. */
static int
steady(struct agg *a, int64_t ts, time_t now)
{
	struct image *im;
	uint32_t i;

	for (im = agg_first(a); im != NULL; im = agg_next(im)) {
		if (!img_has_delta(im) && !im->meta_dirty && !im->unsnap)
			continue;
		if (im->db_id == 0 || need_snapshot(im, ts, now, 0))
			return 0;
		for (i = 0; i < im->nfiles; i++)
			if (im->files[i].path_id == 0 &&
			    file_has_delta(&im->files[i]))
				return 0;
	}
	return 1;
}

/* The window's file_min (stage: file_stage) row of f. */
static int
file_row(struct store *s, const struct image *im, const struct afile *f,
    int64_t ts, int stage)
{
	sqlite3_stmt *st = s->st[stage ? S_FMIN_T : S_FMIN];
	int n, rc;

	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, im->db_id);
	sqlite3_bind_int64(st, 3, f->path_id);
	sqlite3_bind_int64(st, 4, im->uid);
	sqlite3_bind_int(st, 5, f->cls);
	for (n = 0; n < NFC; n++)
		sqlite3_bind_int64(st, 6 + n, (int64_t)sat_of(dlt(f->cur[n],
		    f->base[n])));
	if ((rc = step_done(st)) == SQLITE_OK)
		s->rows++;
	return rc;
}

/* stage: write the rows to the staging tables (a steady window). */
static int
flush_image(struct store *s, struct image *im, int64_t ts, time_t now,
    int stage)
{
	sqlite3_stmt *st;
	uint64_t newbase[NPC];
	int64_t snap_ts;
	uint32_t i;
	int rc, c, n, pdelta = 0, snap;

	snap = !stage && need_snapshot(im, ts, now, s->o.stage_secs);
	/* Never move base_ts back: rows up to the old one are in newbase. */
	snap_ts = ts > im->snap_ts ? ts : im->snap_ts;
	for (c = 0; c < NPC; c++) {
		newbase[c] = im->cur[c] > im->base[c] ? im->cur[c] : im->base[c];
		if (im->cur[c] > im->base[c])
			pdelta = 1;
	}
	if (im->db_id == 0 && ub_row(im->uid, now) != 0)
		return SQLITE_OK;	/* over the uid's rows: not stored */
	if (im->db_id == 0) {
		st = s->st[S_IMG_INS];
		sqlite3_bind_int64(st, 1, im->pid);
		sqlite3_bind_int64(st, 2, (int64_t)im->start_ticks);
		sqlite3_bind_int64(st, 3, (int64_t)im->image_ns);
		sqlite3_bind_int64(st, 4, im->uid);
		sqlite3_bind_int64(st, 5, im->gid);
		sqlite3_bind_int64(st, 6, im->ppid);
		sqlite3_bind_text(st, 7, im->comm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, im->exe, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, im->first_seen);
		sqlite3_bind_int64(st, 10, now);
		sqlite3_bind_int(st, 11, im->state);
		sqlite3_bind_int(st, 12, im->end_reason);
		sqlite3_bind_int(st, 13, im->end_code);
		sqlite3_bind_int64(st, 14, im->proc_seq);
		sqlite3_bind_blob(st, 15, newbase, sizeof(newbase), SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			im->db_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
		im->id_gen = s->gen;
	}
	if (snap) {
		/* The snapshot: base, seq, state, names, last_ts. */
		st = s->st[S_IMG_UPD];
		sqlite3_bind_int64(st, 1, im->ppid);
		sqlite3_bind_text(st, 2, im->comm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, im->exe, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int(st, 5, im->state);
		sqlite3_bind_int(st, 6, im->end_reason);
		sqlite3_bind_int(st, 7, im->end_code);
		sqlite3_bind_int64(st, 8, im->proc_seq);
		sqlite3_bind_blob(st, 9, newbase, sizeof(newbase),
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, im->db_id);
		sqlite3_bind_int64(st, 11, snap_ts);
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
	}
	/* Over the uid's rows of this hour: not stored (ubound.c). */
	if (pdelta && ub_row(im->uid, now) == 0) {
		st = s->st[stage ? S_PMIN_T : S_PMIN];
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_int64(st, 2, im->db_id);
		sqlite3_bind_int64(st, 3, im->uid);
		for (c = 0; c < NPC; c++)
			sqlite3_bind_int64(st, 4 + c,
			    (int64_t)sat_of(dlt(im->cur[c], im->base[c])));
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
		s->rows++;
		im->pmin_gen = s->gen;	/* flush_exes() sums it */
	}
	for (i = 0; i < im->nfiles; i++) {
		struct afile *f = &im->files[i];
		uint64_t fb[NFC];

		if (file_has_delta(f) && ub_row(im->uid, now) == 0) {
			if ((rc = path_id(s, f, im->uid, now)) != SQLITE_OK)
				return rc;
			if (f->path_id != 0 && (rc = file_row(s, im, f, ts,
			    stage)) != SQLITE_OK)
				return rc;
		}
		if (!snap || im->state == IW_END || f->path_id == 0)
			continue;
		for (n = 0; n < NFC; n++)
			fb[n] = f->cur[n] > f->base[n] ? f->cur[n] : f->base[n];
		st = s->st[S_FSTATE];
		sqlite3_bind_int64(st, 1, im->db_id);
		sqlite3_bind_int64(st, 2, f->path_id);
		sqlite3_bind_int(st, 3, f->cls);
		sqlite3_bind_int64(st, 4, f->seq);
		sqlite3_bind_blob(st, 5, fb, sizeof(fb), SQLITE_TRANSIENT);
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
		f->stored = 1;
	}
	if (im->state == IW_END) {
		st = s->st[S_FSTATE_DEL];
		sqlite3_bind_int64(st, 1, im->db_id);
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
	}
	/* forget_ids() undoes these if the transaction rolls back. */
	if (snap) {
		im->db_last_ts = now;
		im->snap_ts = snap_ts;
	}
	im->unsnap = !snap;
	return SQLITE_OK;
}

static int
cmp_exe_uid(const void *a, const void *b)
{
	const struct image *x = *(const struct image *const *)a;
	const struct image *y = *(const struct image *const *)b;
	int c = strcmp(x->exe, y->exe);

	return c != 0 ? c : x->uid < y->uid ? -1 : x->uid > y->uid;
}

/*
 * The window's exe_min rows: the proc_min rows flush_image() just wrote
 * (base is advanced only after the commit), summed per executable and
 * uid.
 */
static int
flush_exes(struct store *s, struct agg *a, int64_t ts, int stage)
{
	struct image *im, **v;
	sqlite3_stmt *st = s->st[stage ? S_EMIN_T : S_EMIN];
	uint64_t sum[NPC];
	size_t n = 0, i, k;
	int c, rc = SQLITE_OK;

	if ((v = reallocarray(NULL, agg_count(a) + 1, sizeof(*v))) == NULL)
		return SQLITE_NOMEM;
	for (im = agg_first(a); im != NULL; im = agg_next(im))
		if (im->db_id != 0 && im->pmin_gen == s->gen)
			v[n++] = im;	/* it has a proc_min row */
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp_exe_uid);
	for (i = 0; i < n && rc == SQLITE_OK; i = k) {
		memset(sum, 0, sizeof(sum));
		for (k = i; k < n && cmp_exe_uid(&v[i], &v[k]) == 0; k++)
			for (c = 0; c < NPC; c++)
				sum[c] = sat_add(sum[c], dlt(v[k]->cur[c],
				    v[k]->base[c]));
		if (ub_row(v[i]->uid, time(NULL)) != 0)
			continue;	/* over the uid's rows of this hour */
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_text(st, 2, v[i]->exe, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, v[i]->uid);
		for (c = 0; c < NPC; c++)
			sqlite3_bind_int64(st, 4 + c, (int64_t)sum[c]);
		rc = step_done(st);
	}
	free(v);
	return rc;
}

/* Undo ids handed out by a transaction that rolled back. */
static void
forget_ids(struct store *s, struct agg *a)
{
	struct image *im;
	uint32_t i;

	for (im = agg_first(a); im != NULL; im = agg_next(im)) {
		im->db_last_ts = 0;	/* next flush writes a snapshot */
		im->unsnap = 1;
		if (im->db_id != 0 && im->id_gen == s->gen)
			im->db_id = 0;
		for (i = 0; i < im->nfiles; i++)
			if (im->files[i].path_id != 0 &&
			    im->files[i].id_gen == s->gen) {
				im->files[i].path_id = 0;
				im->files[i].stored = 0;
			}
	}
}

int
store_flush(struct store *s, struct agg *a, int64_t ts, time_t now,
    time_t stale_after, int force)
{
	struct image *im;
	double t0, ms;
	uint64_t rows0 = s->rows;
	int rc = SQLITE_OK, any = 0, stage, due;
	int syserr;

	if (s->pending_since == 0 || ts < s->pending_since)
		s->pending_since = ts;
	/* The file deleted or replaced: save what it holds first, and keep
	 * the counts in memory until that worked (dbfile.c). */
	if (dbfile_check(s, now) && dbfile_recover(s, now) != 0) {
		snprintf(s->lasterr, sizeof(s->lasterr), "database file gone, "
		    "not saved yet: %.200s", s->gone_err);
		if (s->ok)
			logx(LOG_ERR, "cannot save database %s: %s; keeping "
			    "counts in memory", s->conf_path, s->gone_err);
		s->ok = 0;
		s->diskfull = 0;
		s->failures++;
		return -1;
	}
	for (im = agg_first(a); im != NULL; im = agg_next(im))
		if (img_has_delta(im) || im->meta_dirty || im->unsnap) {
			any = 1;
			break;
		}
	due = s->staged > 0 && (force || now < s->staged_since ||
	    now - s->staged_since >= s->o.stage_secs ||
	    s->staged >= STAGE_ROWS_MAX);
	if (!any) {
		/* Nothing to write: no transaction, no disk writes (but the
		 * staged windows when they are due). */
		if (due && store_commit_staged(s) != 0) {
			s->failures++;
			return -1;
		}
		agg_flushed(a, now, stale_after);
		s->pending_since = 0;
		s->ok = 1;
		s->diskfull = 0;
		return 0;
	}
	/* A steady window is staged (its own transaction, in memory, the
	 * database untouched) unless the staged rows are due. */
	stage = !force && !due && s->o.stage_secs > 0 &&
	    steady(a, s->pending_since, now);
	s->gen++;
	t0 = now_ms();
	rc = sqlite3_exec(s->db, stage ? "BEGIN" : "BEGIN IMMEDIATE", NULL,
	    NULL, NULL);
	if (rc == SQLITE_OK && !stage)
		rc = move_staged(s);
	for (im = agg_first(a); rc == SQLITE_OK && im != NULL;
	    im = agg_next(im))
		if (img_has_delta(im) || im->meta_dirty || im->unsnap)
			rc = flush_image(s, im, s->pending_since, now, stage);
	if (rc == SQLITE_OK)
		rc = flush_exes(s, a, s->pending_since, stage);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		syserr = sqlite3_system_errno(s->db);
		snprintf(s->lasterr, sizeof(s->lasterr), "%s%s%s",
		    sqlite3_errmsg(s->db), syserr ? ": " : "",
		    syserr ? strerror(syserr) : "");
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		forget_ids(s, a);
		if (s->ok)
			logx(LOG_ERR, "cannot store window %lld: %s; keeping "
			    "counts in memory", (long long)ts, s->lasterr);
		s->ok = 0;
		s->diskfull = (rc & 0xff) == SQLITE_FULL || syserr == ENOSPC ||
		    syserr == EDQUOT;
		s->failures++;
		s->rows = rows0;
		return -1;
	}
	if (stage) {
		if (s->staged == 0)
			s->staged_since = now;
		s->staged += s->rows - rows0;
	} else {
		s->staged = 0;
		s->staged_since = 0;
	}
	ms = now_ms() - t0;
	s->commit_last = ms;
	if (ms > s->commit_max)
		s->commit_max = ms;
	s->commit_sum += ms;
	s->windows++;
	if (!s->ok)
		logx(LOG_NOTICE, "storing again; counts kept since %lld written",
		    (long long)s->pending_since);
	s->ok = 1;
	s->diskfull = 0;
	s->pending_since = 0;
	agg_flushed(a, now, stale_after);
	return 0;
}

static int64_t
wal_bytes(const struct store *s)
{
	char p[4200];
	struct stat sb;

	snprintf(p, sizeof(p), "%s-wal", s->path);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static int64_t
db_bytes(const struct store *s)
{
	struct stat sb;

	return stat(s->path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int
store_checkpoint(struct store *s, const char *mode, struct ckpt_info *ci)
{
	static const struct { const char *n; int m; } modes[] = {
		{ "passive", SQLITE_CHECKPOINT_PASSIVE },
		{ "full", SQLITE_CHECKPOINT_FULL },
		{ "restart", SQLITE_CHECKPOINT_RESTART },
		{ "truncate", SQLITE_CHECKPOINT_TRUNCATE },
	};
	size_t i;
	double t0;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(mode, modes[i].n) == 0)
			break;
	if (i == sizeof(modes) / sizeof(modes[0]))
		return -1;
	t0 = now_ms();
	s->last.log_frames = s->last.ckpt_frames = -1;
	s->last.rc = sqlite3_wal_checkpoint_v2(s->db, NULL, modes[i].m,
	    &s->last.log_frames, &s->last.ckpt_frames);
	s->last.ms = now_ms() - t0;
	s->last.mode = modes[i].n;
	s->last.at = time(NULL);
	s->last_ckpt_time = s->last.at;
	s->ckpts++;
	if (ci != NULL)
		*ci = s->last;
	return s->last.rc == SQLITE_OK || s->last.rc == SQLITE_BUSY ? 0 : -1;
}

void
store_maintain(struct store *s, time_t now)
{
	int64_t wal;
	const char *mode = NULL;

	if (!s->ok)
		return;		/* disk full: do not add writes */
	(void)store_retain(s, now);
	wal = wal_bytes(s);
	if (wal > (int64_t)s->o.wal_bound * 2)
		mode = "truncate";
	else if (wal > (int64_t)s->o.wal_bound)
		mode = "restart";
	else if (wal > 0 && now - s->last_ckpt_time >= s->o.ckpt_secs)
		mode = "passive";
	if (mode != NULL)
		(void)store_checkpoint(s, mode, NULL);
}

void
store_stats(struct store *s, struct store_stats *o)
{
	o->ok = s->ok;
	o->diskfull = s->diskfull;
	o->windows = s->windows;
	o->rows = s->rows;
	o->failures = s->failures;
	o->checkpoints = s->ckpts;
	o->db_bytes = db_bytes(s);
	o->wal_bytes = wal_bytes(s);
	o->commit_ms_last = s->commit_last;
}

const char *
store_state(const struct store *s)
{
	return s->ok ? "ok" : s->diskfull ? "disk_full" : "error";
}

void
store_reasons(struct store *s, struct jbuf *j, int full)
{
	(void)dbfile_check(s, time(NULL));
	dbfile_reasons(s, j, full);
	rollup_reasons(s, j, full);
}

void
store_health(struct store *s, struct jbuf *j)
{
	int64_t wal = wal_bytes(s);

	jb_kstr(j, "path", s->path);
	jb_kstr(j, "state", store_state(s));
	jb_kstr(j, "last_error", s->lasterr);
	jb_ku64(j, "schema", STORE_SCHEMA);
	jb_ku64(j, "windows_stored", s->windows);
	jb_ku64(j, "rows_stored", s->rows);
	jb_ku64(j, "flush_failures", s->failures);
	jb_ki64(j, "pending_since", s->pending_since);
	jb_ki64(j, "db_bytes", db_bytes(s));
	jb_ki64(j, "wal_bytes", wal);
	jb_ki64(j, "wal_frames", wal > 32 && s->page_size > 0 ?
	    (wal - 32) / (s->page_size + 24) : 0);
	jb_ki64(j, "page_size", s->page_size);
	jb_kdbl(j, "commit_ms_last", s->commit_last);
	jb_kdbl(j, "commit_ms_max", s->commit_max);
	jb_kdbl(j, "commit_ms_avg", s->windows ? s->commit_sum / s->windows :
	    0.0);
	jb_ki64(j, "rolled_upto", s->rolled_upto);
	jb_ku64(j, "staged_rows", s->staged);
	jb_ki64(j, "staged_since", s->staged_since);
	jb_ku64(j, "checkpoints", s->ckpts);
	jb_key(j, "last_checkpoint");
	jb_obj(j);
	jb_kstr(j, "mode", s->last.mode ? s->last.mode : "none");
	jb_ki64(j, "at", s->last.at);
	jb_kdbl(j, "ms", s->last.ms);
	jb_ki64(j, "log_frames", s->last.log_frames);
	jb_ki64(j, "checkpointed_frames", s->last.ckpt_frames);
	jb_ki64(j, "rc", s->last.rc);
	jb_endobj(j);
}
