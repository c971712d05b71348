/*
 * replay.c - a still-running process's counts after ioshimd restarted.
 *
 * The stored cumulative counters of an image are its snapshot (images.base,
 * file_state.base, covering the rows with ts <= images.base_ts) plus the
 * rows stored after it: store_lookup() adds those back when a process
 * reports that the collector does not know, so the next cumulative report
 * yields exactly the counts not stored yet (docs/collector.md, "Its own
 * writes").
 */

#include <inttypes.h>
#include <stdio.h>

#include <bsd/string.h>

#include "log.h"
#include "sat.h"
#include "store_impl.h"

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
