/*
 * window.c - writing a window of counts: store_flush() writes every image's
 * deltas (proc_min, file_min, exe_min) in one transaction with prepared
 * statements, or stages a steady window in memory (the TEMP *_stage tables)
 * until --stage seconds pass, a range query or a window that needs the
 * database stores it (store_commit_staged(), store.c).  An image's
 * snapshot is rewritten only when its row changes anyway, hourly, once
 * after activity stops, and when a window would reuse its ts.  A failed
 * window keeps its counts in memory and is retried.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sat.h"
#include "store_impl.h"
#include "ubound.h"

/* A window could not be stored: the run of failures begins or goes on. */
static void
note_failure(struct store *s, time_t now)
{
	if (s->ok || s->fail_run == 0)
		s->fail_since = now;
	s->ok = 0;
	s->fail_run++;
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
		note_failure(s, now);
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
		s->fail_run = 0;
		return 0;
	}
	/* A steady window is staged (its own transaction, in memory, the
	 * database untouched) unless the staged rows are due. */
	stage = !force && !due && s->o.stage_secs > 0 &&
	    steady(a, s->pending_since, now);
	s->gen++;
	t0 = store_now_ms();
	rc = sqlite3_exec(s->db, stage ? "BEGIN" : "BEGIN IMMEDIATE", NULL,
	    NULL, NULL);
	if (rc == SQLITE_OK && !stage)
		rc = store_move_staged(s);
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
		note_failure(s, now);
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
	ms = store_now_ms() - t0;
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
	s->fail_run = 0;
	s->pending_since = 0;
	agg_flushed(a, now, stale_after);
	return 0;
}
