/*
 * query.c - answer the requests of the query protocol (docs/protocol.md):
 * parse, check who may ask, and dispatch; process, files, history and the
 * admin requests are answered here, health (health.c) and top (toplive.c,
 * toprange.c) in files of their own.
 *
 * "live" answers come from the in-memory table (the open window and the
 * cumulative counters of running images); ranges come from SQLite, hourly
 * rows for the whole rolled-up hours inside the range and 1-minute rows
 * for the rest (qrange.c).  A client that is not root sees only rows of
 * its own uid.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "counters.h"
#include "hreason.h"
#include "impbase.h"
#include "ioshimd.h"
#include "query.h"
#include "query_impl.h"
#include "request.h"
#include "sat.h"

static const char *const reason_names[IW_NREASON] = {
	"size", "age", "priority", "memory", "sync", "close", "read", "fork",
	"exec", "exit", "signal",
};

int
q_visible(uid_t client, uid_t owner)
{
	return client == 0 || client == owner;
}

void
q_error(struct jbuf *j, const char *msg)
{
	jb_reset(j);
	jb_obj(j);
	jb_kstr(j, "error", msg);
	jb_endobj(j);
	D.query_errors++;
}

static void
pc_obj(struct jbuf *j, const char *key, const uint64_t *v)
{
	int c;

	jb_key(j, key);
	jb_obj(j);
	for (c = 0; c < NPC; c++)
		jb_ku64(j, pc_names[c], v[c]);
	jb_endobj(j);
}

static void
fc_obj(struct jbuf *j, const char *key, const uint64_t *v)
{
	int c;

	jb_key(j, key);
	jb_obj(j);
	for (c = 0; c < NFC; c++)
		jb_ku64(j, fc_names[c], v[c]);
	jb_endobj(j);
}

/* ---- process / files ---- */

static struct image *
find_visible(pid_t pid, uid_t client)
{
	struct image *im = agg_find_pid(D.agg, pid);

	return im != NULL && q_visible(client, im->uid) ? im : NULL;
}

static void
a_process(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im = find_visible((pid_t)rq->pid, client);
	uint64_t d[NPC], base[NPC];
	sqlite3_stmt *st;
	int c, rc;

	if (im != NULL) {
		jb_obj(j);
		jb_kbool(j, "live", 1);
		jb_ki64(j, "pid", im->pid);
		jb_ki64(j, "ppid", im->ppid);
		jb_ki64(j, "uid", im->uid);
		jb_ki64(j, "gid", im->gid);
		jb_kstr(j, "comm", im->comm);
		jb_kstr(j, "exe", im->exe);
		jb_ku64(j, "start_ticks", im->start_ticks);
		jb_ku64(j, "image_ns", im->image_ns);
		jb_kstr(j, "state", im->state == IW_END ? "ended" : "running");
		jb_ki64(j, "end_reason", im->end_reason);
		jb_ki64(j, "end_code", im->end_code);
		jb_ku64(j, "seq", im->proc_seq);
		jb_ki64(j, "first_seen", im->first_seen);
		jb_ki64(j, "last_seen", im->last_seen);
		jb_ku64(j, "files", im->nfiles);
		pc_obj(j, "totals", im->cur);
		for (c = 0; c < NPC; c++)
			d[c] = dlt(im->cur[c], im->base[c]);
		pc_obj(j, "window", d);
		jb_key(j, "flush_reasons");
		jb_obj(j);
		for (c = 0; c < IW_NREASON; c++)
			jb_ku64(j, reason_names[c], im->reasons[c]);
		jb_endobj(j);
		jb_endobj(j);
		return;
	}
	(void)store_commit_staged(D.st);
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT pid, ppid, uid, gid,"
	    " comm, exe, start_ticks, image_ns, state, end_reason, end_code,"
	    " seq, first_ts, last_ts, base, id, base_ts, host FROM images"
	    " WHERE pid = ?1 AND"
	    " (?2 < 0 OR uid = ?2) ORDER BY image_ns DESC, start_ticks DESC"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->pid);
	sqlite3_bind_int64(st, 2, client == 0 ? -1 : (int64_t)client);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		q_error(j, rc == SQLITE_DONE ? "no such process" :
		    sqlite3_errmsg(store_db(D.st)));
		return;
	}
	memset(base, 0, sizeof(base));
	if (sqlite3_column_type(st, 17) == SQLITE_TEXT)	/* imported */
		impbase_unpack(sqlite3_column_blob(st, 14),
		    (size_t)sqlite3_column_bytes(st, 14), base);
	else if (sqlite3_column_bytes(st, 14) > 0)
		memcpy(base, sqlite3_column_blob(st, 14),
		    (size_t)sqlite3_column_bytes(st, 14) < sizeof(base) ?
		    (size_t)sqlite3_column_bytes(st, 14) : sizeof(base));
	/* base is a snapshot: add the windows stored after it. */
	if (sqlite3_column_type(st, 16) != SQLITE_NULL &&
	    store_replay_proc(D.st, sqlite3_column_int64(st, 15),
	    sqlite3_column_int64(st, 16),
	    store_snap_until(sqlite3_column_int64(st, 13)), base) != 0) {
		sqlite3_finalize(st);
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	jb_obj(j);
	jb_kbool(j, "live", 0);
	if (sqlite3_column_type(st, 17) == SQLITE_TEXT) {
		/* an imported record: a claim, not seen here */
		jb_kstr(j, "host", (const char *)sqlite3_column_text(st, 17));
		jb_kbool(j, "imported", 1);
		jb_kbool(j, "verified", 0);
	}
	jb_ki64(j, "pid", sqlite3_column_int64(st, 0));
	jb_ki64(j, "ppid", sqlite3_column_int64(st, 1));
	jb_ki64(j, "uid", sqlite3_column_int64(st, 2));
	jb_ki64(j, "gid", sqlite3_column_int64(st, 3));
	jb_kstr(j, "comm", (const char *)sqlite3_column_text(st, 4));
	jb_kstr(j, "exe", (const char *)sqlite3_column_text(st, 5));
	jb_ku64(j, "start_ticks", (uint64_t)sqlite3_column_int64(st, 6));
	jb_ku64(j, "image_ns", (uint64_t)sqlite3_column_int64(st, 7));
	jb_kstr(j, "state", sqlite3_column_int(st, 8) == IW_END ? "ended" :
	    "unknown");
	jb_ki64(j, "end_reason", sqlite3_column_int64(st, 9));
	jb_ki64(j, "end_code", sqlite3_column_int64(st, 10));
	jb_ki64(j, "seq", sqlite3_column_int64(st, 11));
	jb_ki64(j, "first_seen", sqlite3_column_int64(st, 12));
	jb_ki64(j, "last_seen", sqlite3_column_int64(st, 13));
	pc_obj(j, "totals", base);
	jb_endobj(j);
	sqlite3_finalize(st);
}

struct frow {
	const struct afile *f;
	uint64_t	 v[NFC];
};

static int fsortkey;

static int
cmp_frow(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;

	if (x->v[fsortkey] != y->v[fsortkey])
		return x->v[fsortkey] < y->v[fsortkey] ? 1 : -1;
	return strcmp(x->f->path, y->f->path);
}

static void
a_files(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im = find_visible((pid_t)rq->pid, client);
	struct frow *r;
	char sql[8192], src[4096], colsel[1024], tmp[128];
	sqlite3_stmt *st;
	uint32_t i;
	int c, rc, k;

	fsortkey = rq->sort >= 0 ? rq->sort : F_WRITE_BYTES;
	if (im != NULL) {
		if ((r = calloc(im->nfiles + 1, sizeof(*r))) == NULL) {
			q_error(j, "out of memory");
			return;
		}
		for (i = 0; i < im->nfiles; i++) {
			r[i].f = &im->files[i];
			memcpy(r[i].v, im->files[i].cur, sizeof(r[i].v));
		}
		if (im->nfiles > 1)	/* qsort(NULL, 0) is undefined */
			qsort(r, im->nfiles, sizeof(*r), cmp_frow);
		jb_obj(j);
		jb_kbool(j, "live", 1);
		jb_ki64(j, "pid", im->pid);
		jb_kstr(j, "exe", im->exe);
		jb_kstr(j, "sort", fc_names[fsortkey]);
		jb_key(j, "files");
		jb_arr(j);
		for (i = 0; i < im->nfiles && i < (uint32_t)rq->limit; i++) {
			const struct afile *f = r[i].f;
			uint64_t d[NFC];

			jb_obj(j);
			jb_kstr(j, "path", f->path);
			jb_kstr(j, "class", class_names[f->cls]);
			for (c = 0; c < NFC; c++) {
				jb_ku64(j, fc_names[c], f->cur[c]);
				d[c] = dlt(f->cur[c], f->base[c]);
			}
			jb_key(j, "write_sizes");
			jb_arr(j);
			for (c = 0; c < IW_NSIZES; c++)
				jb_u64(j, f->hist.sizes[c]);
			jb_endarr(j);
			jb_key(j, "fsync_times");
			jb_arr(j);
			for (c = 0; c < IW_NFTIMES; c++)
				jb_u64(j, f->hist.ftimes[c]);
			jb_endarr(j);
			fc_obj(j, "window", d);
			jb_endobj(j);
		}
		jb_endarr(j);
		jb_endobj(j);
		free(r);
		return;
	}
	/* Ended images: sum the stored rows of the newest image of PID. */
	(void)store_commit_staged(D.st);
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT 1 FROM images WHERE"
	    " pid = ?1 AND (?2 < 0 OR uid = ?2)", -1, &st, NULL) != SQLITE_OK) {
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->pid);
	sqlite3_bind_int64(st, 2, client == 0 ? -1 : (int64_t)client);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		q_error(j, "no such process");
		return;
	}
	colsel[0] = '\0';
	strlcpy(colsel, "image, uid, path, cls", sizeof(colsel));
	for (c = 0; c < NFC; c++) {
		snprintf(tmp, sizeof(tmp), ", %s", fc_names[c]);
		strlcat(colsel, tmp, sizeof(colsel));
	}
	q_range_src(src, sizeof(src), "file_min", "file_hour", colsel);
	strlcpy(sql, "SELECT p.path, max(x.cls)", sizeof(sql));
	for (c = 0; c < NFC; c++) {
		snprintf(tmp, sizeof(tmp), ", total(x.%s)", fc_names[c]);
		strlcat(sql, tmp, sizeof(sql));
	}
	strlcat(sql, " FROM ", sizeof(sql));
	strlcat(sql, src, sizeof(sql));
	strlcat(sql, " AS x JOIN paths p ON p.id = x.path WHERE"
	    " x.image = (SELECT id FROM images WHERE pid = ?5 AND (?6 < 0 OR"
	    " uid = ?6) ORDER BY image_ns DESC, start_ticks DESC LIMIT 1)",
	    sizeof(sql));
	snprintf(tmp, sizeof(tmp), " GROUP BY x.path ORDER BY total(x.%s) DESC"
	    " LIMIT ?7", fc_names[fsortkey]);
	strlcat(sql, tmp, sizeof(sql));
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	q_bind_range(st, 0, (int64_t)time(NULL) + 86400);
	sqlite3_bind_int64(st, 5, rq->pid);
	sqlite3_bind_int64(st, 6, client == 0 ? -1 : (int64_t)client);
	sqlite3_bind_int(st, 7, rq->limit);
	jb_obj(j);
	jb_kbool(j, "live", 0);
	jb_ki64(j, "pid", rq->pid);
	jb_kstr(j, "sort", fc_names[fsortkey]);
	jb_key(j, "files");
	jb_arr(j);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jb_obj(j);
		k = sqlite3_column_int(st, 1);
		jb_kstr(j, "path", (const char *)sqlite3_column_text(st, 0));
		jb_kstr(j, "class", k >= 0 && k < IW_NCLASS ? class_names[k] :
		    "other");
		for (c = 0; c < NFC; c++)
			jb_ku64(j, fc_names[c],
			    sat_dbl(sqlite3_column_double(st, 2 + c)));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		q_error(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
}

/* ---- history ---- */

static const int hist_default[] = {
	C_CLASS(IW_DISK, K_RB), C_CLASS(IW_DISK, K_WB), C_CLASS(IW_DISK, K_W),
	C_CLASS(IW_SOCKET, K_RB), C_CLASS(IW_SOCKET, K_WB), C_FSYNCS,
	C_ABSORBED, C_KWRITE_BYTES,
};

static void
a_history(struct jbuf *j, const struct request *rq, uid_t client)
{
	char sql[8192], tmp[256];
	const int *fields = rq->nfields ? rq->fields : hist_default;
	int nf = rq->nfields ? rq->nfields :
	    (int)(sizeof(hist_default) / sizeof(hist_default[0]));
	int hourly, c, rc;
	int64_t step = rq->step, npts;
	sqlite3_stmt *st;

	/* Hourly rows when asked for (step >= 1 h) or beyond minute rows. */
	hourly = step >= 3600 || rq->from < (int64_t)time(NULL) -
	    (int64_t)D.cfg.keep_minutes * 86400;
	if (step <= 0)
		step = hourly ? 3600 : D.cfg.window;
	if (hourly)
		step = (step + 3599) / 3600 * 3600;
	npts = (rq->to - rq->from) / step;
	if (npts > REQ_POINTS_MAX) {
		q_error(j, "too many points: raise step= or narrow the range");
		return;
	}
	(void)store_commit_staged(D.st);
	snprintf(sql, sizeof(sql), "SELECT x.ts / %lld * %lld AS b",
	    (long long)step, (long long)step);
	for (c = 0; c < nf; c++) {
		snprintf(tmp, sizeof(tmp), ", total(x.%s)", pc_names[fields[c]]);
		strlcat(sql, tmp, sizeof(sql));
	}
	/* exe=: the per-executable tables, one row per window or hour. */
	if (rq->pid >= 0)
		snprintf(tmp, sizeof(tmp), " FROM %s x JOIN images i ON"
		    " i.id = x.image WHERE i.pid = ?4 AND", hourly ?
		    "proc_hour" : "proc_min");
	else
		snprintf(tmp, sizeof(tmp), " FROM %s x WHERE x.exe = ?4 AND",
		    hourly ? "exe_hour" : "exe_min");
	strlcat(sql, tmp, sizeof(sql));
	strlcat(sql, " x.ts >= ?1 AND x.ts < ?2 AND (?3 < 0 OR x.uid = ?3)",
	    sizeof(sql));
	strlcat(sql, " GROUP BY b ORDER BY b", sizeof(sql));
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->from);
	sqlite3_bind_int64(st, 2, rq->to);
	sqlite3_bind_int64(st, 3, client == 0 ? -1 : (int64_t)client);
	if (rq->pid >= 0)
		sqlite3_bind_int64(st, 4, rq->pid);
	else
		sqlite3_bind_text(st, 4, rq->exe, -1, SQLITE_STATIC);
	jb_obj(j);
	if (rq->pid >= 0)
		jb_ki64(j, "pid", rq->pid);
	else
		jb_kstr(j, "exe", rq->exe);
	jb_ki64(j, "from", rq->from);
	jb_ki64(j, "to", rq->to);
	jb_ki64(j, "step", step);
	jb_kstr(j, "source", hourly ? "hour" : "minute");
	jb_key(j, "points");
	jb_arr(j);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jb_obj(j);
		jb_ki64(j, "ts", sqlite3_column_int64(st, 0));
		for (c = 0; c < nf; c++)
			jb_ku64(j, pc_names[fields[c]],
			    sat_dbl(sqlite3_column_double(st, 1 + c)));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		q_error(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
}

/* ---- admin ---- */

int
q_admin(uid_t client)
{
	return client == 0 || client == D.euid;
}

static void
a_checkpoint(struct jbuf *j, const struct request *rq)
{
	struct ckpt_info ci;
	int rc = store_checkpoint(D.st, rq->mode, &ci);

	if (rc != 0) {
		q_error(j, sqlite3_errstr(ci.rc));
		return;
	}
	jb_obj(j);
	jb_kstr(j, "checkpoint", ci.mode);
	jb_kbool(j, "busy", ci.rc == SQLITE_BUSY);
	jb_ki64(j, "log_frames", ci.log_frames);
	jb_ki64(j, "checkpointed_frames", ci.ckpt_frames);
	jb_kdbl(j, "ms", ci.ms);
	jb_endobj(j);
}

static void
a_flush(struct jbuf *j)
{
	int rc = collector_flush(0);

	jb_obj(j);
	jb_kbool(j, "flushed", rc == 0);
	jb_ku64(j, "windows_stored", store_windows(D.st));
	jb_kstr(j, "state", store_ok(D.st) ? "ok" : "failing");
	jb_endobj(j);
}

static void
a_help(struct jbuf *j)
{
	jb_obj(j);
	jb_key(j, "requests");
	jb_arr(j);
	jb_str(j, "health");
	jb_str(j, "top [by=process|exe|file] [sort=COUNTER] [limit=N] "
	    "[from=TIME to=TIME | totals=1]");
	jb_str(j, "process PID");
	jb_str(j, "files PID [sort=COUNTER] [limit=N]");
	jb_str(j, "history pid=PID|exe=PATH [from=TIME] [to=TIME] [step=SECS] "
	    "[fields=A,B]");
	jb_str(j, "checkpoint passive|full|restart|truncate");
	jb_str(j, "flush");
	jb_endarr(j);
	jb_endobj(j);
}

void
query_answer(const char *line, size_t len, uid_t client, struct jbuf *j)
{
	struct request rq;
	char err[256];
	sqlite3 *db = NULL;

	D.queries++;
	if (req_parse(line, len, time(NULL), &rq, err, sizeof(err)) != 0) {
		q_error(j, err);
		return;
	}
	if (rq.sort < 0 && rq.verb == RQ_TOP)
		rq.sort = rq.by == BY_FILE ? F_WRITE_BYTES :
		    C_CLASS(IW_DISK, K_WB);
	if (!q_admin(client) && D.st != NULL) {
		db = store_db(D.st);
		qb_start(db, D.cfg.query_work);
	}
	switch (rq.verb) {
	case RQ_HEALTH:
		health_reply(j, client);
		break;
	case RQ_TOP:
		if (rq.has_from)
			toprange_reply(j, &rq, client);
		else
			toplive_reply(j, &rq, client);
		break;
	case RQ_PROCESS:
		a_process(j, &rq, client);
		break;
	case RQ_FILES:
		a_files(j, &rq, client);
		break;
	case RQ_HISTORY:
		a_history(j, &rq, client);
		break;
	case RQ_CHECKPOINT:
		if (!q_admin(client))
			q_error(j, "permission denied");
		else
			a_checkpoint(j, &rq);
		break;
	case RQ_FLUSH:
		if (!q_admin(client))
			q_error(j, "permission denied");
		else
			a_flush(j);
		break;
	default:
		a_help(j);
		break;
	}
	if (db != NULL && qb_stop(db)) {
		snprintf(err, sizeof(err), "query too large: more than %d "
		    "million SQLite steps (narrow from=/to=, lower limit=)",
		    D.cfg.query_work);
		q_error(j, err);
		hr_refused(HR_WORK);
	}
	if (jb_failed(j)) {
		q_error(j, "reply too large");
		hr_refused(HR_TOO_LARGE);
	}
}
