/*
 * impstore.c - imported exit-report records into the database (import.c
 * parses them): the image, its totals spread evenly over the windows from
 * its start to its end (1-minute rows where the rollup has not passed yet,
 * hourly rows before), per executable and per file; and the parse
 * position of each file, in the same transaction as the records it
 * covers.  docs/collector.md, "Importing exit reports".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "impbase.h"
#include "impbatch.h"
#include "import.h"
#include "log.h"
#include "sat.h"
#include "store_impl.h"

enum {
	I_HOST_SEL, I_HOST_INS, I_LIVE, I_IMG, I_PMIN, I_EMIN, I_FMIN, I_PHOUR,
	I_EHOUR, I_FHOUR, I_POS_GET, I_POS_PUT, I_PATH_TOUCH, I_POS_COUNT, NISTMT
};

struct impstore {
	sqlite3_stmt	*st[NISTMT];
	struct imp_batch b;		/* impbatch.c */
	char		 host[IMP_HOST_MAX];	/* the last host looked up */
	uid_t		 host_uid;
	int64_t		 host_id;		/* 0: none */
	int		 page;			/* page_size; 0 not known yet */
};


/* An upsert into an hourly table: n and sums add, maxima take the max. */
static void
hour_upsert(char *sql, size_t sz, const char *table, const char *keys,
    int nkeys, const char *pk, const char *const *names, int n)
{
	int i;

	snprintf(sql, sz, "INSERT INTO %s(%s, n", table, keys);
	sql_cols(sql, sz, names, n, ", %s");
	sql_cols(sql, sz, names, n, ", %s_max");
	strlcat(sql, ") VALUES(?", sz);
	for (i = 1; i < nkeys + 1 + 2 * n; i++)
		strlcat(sql, ", ?", sz);
	snprintf(sql + strlen(sql), sz - strlen(sql), ") ON CONFLICT(%s) DO"
	    " UPDATE SET n = n + excluded.n", pk);
	sql_cols(sql, sz, names, n, ", %s = sadd(%s, excluded.%s)");
	sql_cols(sql, sz, names, n, ", %s_max = max(%s_max, excluded.%s_max)");
}

static int
prepare(struct store *s, struct impstore *is)
{
	static const char *fixed[NISTMT] = {
		[I_HOST_SEL] = "SELECT id FROM import_hosts WHERE host = ?1"
		    " AND uid = ?2",
		[I_HOST_INS] = "INSERT INTO import_hosts(host, uid)"
		    " VALUES(?1, ?2)",
		[I_LIVE] = "SELECT 1 FROM images WHERE pid = ?1 AND"
		    " start_ticks >= 0 AND image_ns >= ?2 AND image_ns < ?3"
		    " AND uid = ?4 AND host IS NULL LIMIT 1",
		[I_IMG] = "INSERT INTO images(pid, start_ticks, image_ns, uid,"
		    " gid, ppid, comm, exe, first_ts, last_ts, state,"
		    " end_reason, end_code, seq, base, host) VALUES(?1, ?2,"
		    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, 0, ?13, ?14)"
		    " ON CONFLICT(pid, start_ticks, image_ns) DO NOTHING",
		[I_PATH_TOUCH] = "UPDATE paths SET last_ts = ?2 WHERE id = ?1"
		    " AND coalesce(last_ts, 0) < ?2",
		[I_POS_COUNT] = "SELECT count(*) FROM import_pos",
		[I_POS_GET] = "SELECT off, line, size, head, tail FROM"
		    " import_pos WHERE uid = ?1 AND dev = ?2 AND ino = ?3",
		[I_POS_PUT] = "INSERT INTO import_pos(uid, dev, ino, path, off,"
		    " line, size, head, tail, records, bad, ts) VALUES(?1, ?2,"
		    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		    " ON CONFLICT(uid, dev, ino) DO UPDATE SET"
		    " path = excluded.path, off = excluded.off,"
		    " line = excluded.line, size = excluded.size,"
		    " head = excluded.head, tail = excluded.tail,"
		    " records = records + excluded.records,"
		    " bad = bad + excluded.bad, ts = excluded.ts",
	};
	char sql[16384];
	int i;

	for (i = 0; i < NISTMT; i++) {
		sql[0] = '\0';
		if (fixed[i] != NULL)
			strlcpy(sql, fixed[i], sizeof(sql));
		else if (i == I_PMIN)
			sql_upsert(sql, sizeof(sql), "proc_min", PMIN_KEYS, 3,
			    NULL, "ts, image", "uid = excluded.uid", pc_names,
			    NPC);
		else if (i == I_EMIN)
			sql_upsert(sql, sizeof(sql), "exe_min", EMIN_KEYS, 3,
			    NULL, "ts, exe, uid", "uid = excluded.uid",
			    pc_names, NPC);
		else if (i == I_FMIN)
			sql_upsert(sql, sizeof(sql), "file_min", FMIN_KEYS, 5,
			    NULL, "ts, image, path", "cls = excluded.cls",
			    fc_names, NFC);
		else if (i == I_PHOUR)
			hour_upsert(sql, sizeof(sql), "proc_hour", PMIN_KEYS, 3,
			    "ts, image", pc_names, NPC);
		else if (i == I_EHOUR)
			sql_upsert(sql, sizeof(sql), "exe_hour", EMIN_KEYS, 3,
			    NULL, "ts, exe, uid", "uid = excluded.uid",
			    pc_names, NPC);
		else
			hour_upsert(sql, sizeof(sql), "file_hour", FMIN_KEYS, 5,
			    "ts, image, path", fc_names, NFC);
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &is->st[i], NULL) != SQLITE_OK) {
			logx(LOG_ERR, "sqlite prepare: %s", sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

static struct impstore *
get(struct store *s)
{
	struct impstore *is = s->imp;

	if (is != NULL)
		return is;
	if (s->db == NULL || (is = calloc(1, sizeof(*is))) == NULL)
		return NULL;
	s->imp = is;
	if (prepare(s, is) != 0) {
		impstore_free(s);
		return NULL;
	}
	return is;
}

void
impstore_free(struct store *s)
{
	struct impstore *is = s->imp;
	int i;

	if (is == NULL)
		return;
	for (i = 0; i < NISTMT; i++)
		sqlite3_finalize(is->st[i]);
	impbatch_free(&is->b);
	free(is);
	s->imp = NULL;
}

static int done(sqlite3_stmt *);

/* The batch's exe_min and exe_hour rows. */
static int
exe_write(struct impstore *is)
{
	sqlite3_stmt *st;
	size_t i;
	int c, rc;

	for (i = 0; i < is->b.nex; i++) {
		struct imp_exe *e = &is->b.ex[i];

		st = is->st[e->hourly ? I_EHOUR : I_EMIN];
		sqlite3_bind_int64(st, 1, e->ts);
		sqlite3_bind_text(st, 2, e->exe, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, e->uid);
		for (c = 0; c < NPC; c++)
			sqlite3_bind_int64(st, 4 + c, (int64_t)sat_of(e->v[c]));
		if ((rc = done(st)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int
done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int
impstore_pos_get(struct store *s, uid_t uid, int64_t dev, int64_t ino,
    struct imp_pos *p, int *found)
{
	struct impstore *is = get(s);
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (is == NULL)
		return SQLITE_ERROR;
	st = is->st[I_POS_GET];
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, dev);
	sqlite3_bind_int64(st, 3, ino);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->dev = dev;
		p->ino = ino;
		p->off = sqlite3_column_int64(st, 0);
		p->line = sqlite3_column_int64(st, 1);
		p->size = sqlite3_column_int64(st, 2);
		p->head = (uint64_t)sqlite3_column_int64(st, 3);
		p->tail = (uint64_t)sqlite3_column_int64(st, 4);
		*found = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
impstore_files(struct store *s, int64_t *n)
{
	struct impstore *is = s != NULL ? get(s) : NULL;
	sqlite3_stmt *st;
	int rc;

	*n = -1;
	if (is == NULL)
		return -1;
	st = is->st[I_POS_COUNT];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Positions of files not imported for longer than the hourly retention go,
 * once an hour: their records are gone too (a file imported again is
 * read from its start, and what it holds then is older than retention
 * or stored already).
 */
static int
pos_expire(struct store *s, time_t now)
{
	static time_t last;
	char sql[128];

	if (now - last < 3600)
		return SQLITE_OK;
	last = now;
	snprintf(sql, sizeof(sql), "DELETE FROM import_pos WHERE ts < %lld",
	    (long long)(now - (int64_t)s->o.keep_hours * 86400));
	return sql_exec(s->db, sql);
}

int
impstore_pos_put(struct store *s, uid_t uid, const struct imp_pos *p,
    const char *path, uint64_t records, uint64_t bad, time_t now)
{
	struct impstore *is = get(s);
	sqlite3_stmt *st;
	int rc;

	if (is == NULL)
		return SQLITE_ERROR;
	if ((rc = pos_expire(s, now)) != SQLITE_OK)
		return rc;
	st = is->st[I_POS_PUT];
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, p->dev);
	sqlite3_bind_int64(st, 3, p->ino);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, p->off);
	sqlite3_bind_int64(st, 6, p->line);
	sqlite3_bind_int64(st, 7, p->size);
	sqlite3_bind_int64(st, 8, (int64_t)p->head);
	sqlite3_bind_int64(st, 9, (int64_t)p->tail);
	sqlite3_bind_int64(st, 10, (int64_t)sat_of(records));
	sqlite3_bind_int64(st, 11, (int64_t)sat_of(bad));
	sqlite3_bind_int64(st, 12, now);
	return done(st);
}

int
impstore_begin(struct store *s)
{
	if (get(s) == NULL)
		return SQLITE_ERROR;
	return sql_exec(s->db, "BEGIN IMMEDIATE");
}

/* The WAL's frames after a commit (sqlite3_wal_hook). */
static int
wal_frames(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	*(int *)arg = frames;
	return SQLITE_OK;
}

/*
 * A batch commits more pages than the collector's windows write in an
 * hour: checkpoint once the WAL holds wal_bound bytes, not at the next
 * window.  A WAL of hundreds of MB (an import of a million records in a
 * minute) slows every page lookup (the WAL index is searched a 4096-frame
 * segment at a time) and its checkpoint stalls a window for seconds; a
 * short one is restarted from its start by the next write, in pages the
 * kernel still caches.  PASSIVE: nothing waits on a reader.
 */
static int
commit(struct store *s, struct impstore *is)
{
	int frames = 0, rc;
	sqlite3_stmt *st;

	sqlite3_wal_hook(s->db, wal_frames, &frames);
	rc = sql_exec(s->db, "COMMIT");
	sqlite3_wal_hook(s->db, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (is->page == 0 && sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1,
	    &st, NULL) == SQLITE_OK) {
		is->page = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int(st, 0) : 1024;
		sqlite3_finalize(st);
	}
	if ((uint64_t)frames * (uint64_t)is->page > s->o.wal_bound)
		(void)store_checkpoint(s, "passive", NULL);
	return SQLITE_OK;
}

int
impstore_end(struct store *s, int commit_it)
{
	struct impstore *is = s->imp;
	int rc = is != NULL ? SQLITE_OK : SQLITE_ERROR;

	if (commit_it && is != NULL)
		rc = exe_write(is);
	if (is != NULL)
		impbatch_reset(&is->b);
	if (commit_it && rc == SQLITE_OK && (rc = commit(s, is)) == SQLITE_OK)
		return SQLITE_OK;
	if (is != NULL)
		is->host_id = 0;
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return commit_it ? rc : SQLITE_OK;
}

/* import_hosts.id of (host, uid), made if new. */
static int
host_id(struct store *s, struct impstore *is, const char *host, uid_t uid,
    int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if (is->host_id != 0 && is->host_uid == uid &&
	    strcmp(is->host, host) == 0) {
		*id = is->host_id;
		return SQLITE_OK;
	}
	st = is->st[I_HOST_SEL];
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (*id == 0) {
		st = is->st[I_HOST_INS];
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uid);
		if ((rc = done(st)) != SQLITE_OK)
			return rc;
		*id = sqlite3_last_insert_rowid(s->db);
	}
	/* impstore_end() forgets it if the transaction rolls back. */
	is->host_id = *id;
	strlcpy(is->host, host, sizeof(is->host));
	is->host_uid = uid;
	return SQLITE_OK;
}

/* 1 if the collector stored this image when its process reported live. */
static int
seen_live(struct impstore *is, const struct imp_who *w,
    const struct imp_rec *r)
{
	sqlite3_stmt *st = is->st[I_LIVE];
	int rc;

	if (!w->match_live)
		return 0;
	sqlite3_bind_int64(st, 1, r->pid);
	sqlite3_bind_int64(st, 2, r->start_ms * 1000000);
	sqlite3_bind_int64(st, 3, (r->start_ms + 1) * 1000000);
	sqlite3_bind_int64(st, 4, w->uid);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW;
}

static int
image_row(struct store *s, struct impstore *is, const struct imp_who *w,
    const struct imp_rec *r, int64_t *id)
{
	sqlite3_stmt *st = is->st[I_IMG];
	unsigned char base[IMPBASE_MAX];
	int64_t hid;
	int rc;

	*id = 0;
	if ((rc = host_id(s, is, w->host, w->uid, &hid)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, r->pid);
	sqlite3_bind_int64(st, 2, -hid);
	sqlite3_bind_int64(st, 3, r->start_ms * 1000000);
	sqlite3_bind_int64(st, 4, w->uid);
	sqlite3_bind_int64(st, 5, w->gid);
	sqlite3_bind_int64(st, 6, r->ppid);
	sqlite3_bind_text(st, 7, r->comm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->exe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, r->start_ms / 1000);
	sqlite3_bind_int64(st, 10, r->end_ms / 1000);
	sqlite3_bind_int(st, 11, r->end_reason);
	sqlite3_bind_int64(st, 12, r->end_code);
	/* packed: impbase.c */
	sqlite3_bind_blob(st, 13, base, (int)impbase_pack(r->pc, base),
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 14, w->host, -1, SQLITE_STATIC);
	if ((rc = done(st)) == SQLITE_OK && sqlite3_changes(s->db) == 1)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

/*
 * The windows a record covers and how its totals are shared: k windows
 * from w0, window i gets T / k, and the first T % k of them one more, so
 * the shares add up to T exactly.
 */
struct spread {
	int64_t		 w0, k, win;
};

/* The share of T of windows [a, a + cnt): their sum and the largest. */
static void
share(uint64_t t, const struct spread *sp, int64_t a, int64_t cnt,
    uint64_t *sum, uint64_t *max)
{
	uint64_t k = (uint64_t)sp->k, q = t / k, r = t % k;
	int64_t extra = (int64_t)r - a;

	if (extra < 0)
		extra = 0;
	if (extra > cnt)
		extra = cnt;
	*sum = q * (uint64_t)cnt + (uint64_t)extra;
	*max = q + (extra > 0);
}

/* proc_min or proc_hour, exe_min or exe_hour, for windows [a, a + cnt). */
static int
proc_rows(struct impstore *is, const struct imp_who *w,
    const struct imp_rec *r, int64_t id, const struct spread *sp,
    int64_t a, int64_t cnt, int64_t ts, int hourly, struct imp_tally *t)
{
	uint64_t sum[NPC], max[NPC], any = 0;
	sqlite3_stmt *st;
	int c, rc, n;

	for (c = 0; c < NPC; c++) {
		share(r->pc[c], sp, a, cnt, &sum[c], &max[c]);
		any |= sum[c];
	}
	if (any == 0)
		return SQLITE_OK;
	st = is->st[hourly ? I_PHOUR : I_PMIN];
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, w->uid);
	n = 4;
	if (hourly)
		sqlite3_bind_int64(st, n++, cnt);
	for (c = 0; c < NPC; c++)
		sqlite3_bind_int64(st, n++, (int64_t)sum[c]);
	for (c = 0; hourly && c < NPC; c++)
		sqlite3_bind_int64(st, n++, (int64_t)max[c]);
	if ((rc = done(st)) != SQLITE_OK)
		return rc;
	t->rows++;
	switch (impbatch_exe_add(&is->b, ts, hourly, w->uid, r->exe, sum)) {
	case 1:
		t->rows++;	/* an exe_min/exe_hour row, written at the end */
		return SQLITE_OK;
	case 0:
		return SQLITE_OK;
	default:
		return SQLITE_NOMEM;
	}
}

static int path_lookup(struct store *, const char *, size_t, time_t,
    int64_t *, uint64_t *);

/* paths.id of a file's path, made if new (its bytes added to *added). */
static int
path_id(struct store *s, const char *path, size_t plen, time_t now,
    int64_t *id, uint64_t *added)
{
	struct impstore *is = s->imp;
	int rc;

	if (impbatch_path_get(&is->b, path, id))
		return SQLITE_OK;
	if ((rc = path_lookup(s, path, plen, now, id, added)) == SQLITE_OK)
		impbatch_path_put(&is->b, path, *id);
	return rc;
}

static int
path_lookup(struct store *s, const char *path, size_t plen, time_t now,
    int64_t *id, uint64_t *added)
{
	sqlite3_stmt *st = s->st[S_PATH_SEL];
	int rc;

	sqlite3_bind_text(st, 1, path, (int)plen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (*id != 0)
		return SQLITE_OK;
	st = s->st[S_PATH_INS];
	sqlite3_bind_text(st, 1, path, (int)plen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = done(st)) != SQLITE_OK)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	*added += plen;
	return SQLITE_OK;
}

static int
file_rows(struct impstore *is, const struct imp_who *w,
    const struct imp_file *f, int64_t id, int64_t pid,
    const struct spread *sp, int64_t a, int64_t cnt, int64_t ts, int hourly,
    struct imp_tally *t)
{
	uint64_t sum[NFC], max[NFC], any = 0;
	sqlite3_stmt *st;
	int c, n;

	for (c = 0; c < NFC; c++) {
		share(f->v[c], sp, a, cnt, &sum[c], &max[c]);
		any |= sum[c];
	}
	if (any == 0)
		return SQLITE_OK;
	st = is->st[hourly ? I_FHOUR : I_FMIN];
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, pid);
	sqlite3_bind_int64(st, 4, w->uid);
	sqlite3_bind_int(st, 5, f->cls);
	n = 6;
	if (hourly)
		sqlite3_bind_int64(st, n++, cnt);
	for (c = 0; c < NFC; c++)
		sqlite3_bind_int64(st, n++, (int64_t)sum[c]);
	for (c = 0; hourly && c < NFC; c++)
		sqlite3_bind_int64(st, n++, (int64_t)max[c]);
	t->rows++;
	return done(st);
}

/*
 * Hourly rows written here, not by the rollup: their paths' last_ts (the
 * end of the last hour rolled up with them) must cover them, or the
 * retention takes a path that rows still name (rollup.c).
 */
static int
touch_paths(struct impstore *is, const int64_t *pids, size_t n, int64_t end)
{
	sqlite3_stmt *st = is->st[I_PATH_TOUCH];
	size_t f;
	int rc;

	for (f = 0; f < n; f++) {
		sqlite3_bind_int64(st, 1, pids[f]);
		sqlite3_bind_int64(st, 2, end);
		if ((rc = done(st)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/*
 * The record's rows, an hour at a time: windows of an hour the rollup has
 * passed (or older than the minute retention) go to one hourly row each,
 * the others to 1-minute rows.
 */
static int
spread_rows(struct store *s, struct impstore *is, const struct imp_who *w,
    const struct imp_rec *r, int64_t id, const struct spread *sp,
    struct imp_tally *t)
{
	int64_t minutes_cut = w->now - (int64_t)s->o.keep_minutes * 86400;
	int64_t i, j, cnt, ts, h, pids[IMP_FILES_MAX], touched = 0;
	size_t f, npid = r->nfiles < IMP_FILES_MAX ? r->nfiles :
	    IMP_FILES_MAX;
	int rc, hourly;

	for (f = 0; f < npid; f++)
		if ((rc = path_id(s, imp_path(r, &r->files[f]),
		    r->files[f].plen, w->now, &pids[f], &t->path_bytes)) !=
		    SQLITE_OK)
			return rc;
	for (i = 0; i < sp->k; i += cnt) {
		ts = sp->w0 + i * sp->win;
		h = ts / 3600 * 3600;
		cnt = (h + 3600 - ts + sp->win - 1) / sp->win;
		if (cnt > sp->k - i)
			cnt = sp->k - i;
		hourly = h < s->rolled_upto || ts < minutes_cut;
		if (hourly)
			touched = h + 3600;
		for (j = i; j < i + cnt; j += hourly ? cnt : 1) {
			int64_t n = hourly ? cnt : 1;
			int64_t at = hourly ? h : sp->w0 + j * sp->win;

			if ((rc = proc_rows(is, w, r, id, sp, j, n, at, hourly,
			    t)) != SQLITE_OK)
				return rc;
			for (f = 0; f < npid; f++)
				if ((rc = file_rows(is, w, &r->files[f], id,
				    pids[f], sp, j, n, at, hourly, t)) !=
				    SQLITE_OK)
					return rc;
		}
	}
	return touched ? touch_paths(is, pids, npid, touched) : SQLITE_OK;
}

int
impstore_record(struct store *s, const struct imp_who *w,
    const struct imp_rec *r, struct imp_tally *t)
{
	struct impstore *is = get(s);
	/* The first whole hour the hourly retention keeps: an hourly row
	 * is stamped with its hour's start, and one before the cut would go
	 * with the next retention step. */
	int64_t hours_cut = (w->now - (int64_t)s->o.keep_hours * 86400 +
	    3599) / 3600 * 3600;
	int64_t start = r->start_ms / 1000, end = r->end_ms / 1000, id;
	struct spread sp;
	int rc, c;

	if (is == NULL)
		return SQLITE_ERROR;
	if (end < hours_cut) {
		t->expired++;
		return SQLITE_OK;
	}
	if (seen_live(is, w, r)) {
		t->known++;
		return SQLITE_OK;
	}
	if ((rc = image_row(s, is, w, r, &id)) != SQLITE_OK)
		return rc;
	if (id == 0) {			/* stored by an earlier import */
		t->known++;
		return SQLITE_OK;
	}
	if (start < hours_cut)
		start = hours_cut;
	sp.win = w->window;
	sp.w0 = start / sp.win * sp.win;
	sp.k = (end / sp.win * sp.win - sp.w0) / sp.win + 1;
	if ((rc = spread_rows(s, is, w, r, id, &sp, t)) != SQLITE_OK)
		return rc;
	t->stored++;
	t->files_over += r->files_over;
	for (c = 0; c < NPC; c++)
		t->pc[c] = sat_add(t->pc[c], r->pc[c]);
	return SQLITE_OK;
}
