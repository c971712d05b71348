/*
 * dbstate.c - the database's upkeep and health: PASSIVE checkpoints on
 * ioshimd's own schedule, escalating to RESTART and TRUNCATE when the WAL
 * grows past its bound (store_maintain()), the files' sizes, and the
 * figures and reasons of the health reply.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "store_impl.h"

/* The size of the database's file with suffix sfx ("", "-wal", "-shm"). */
static int64_t
file_bytes(const struct store *s, const char *sfx)
{
	char p[4200];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", s->path, sfx);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

const char *const store_file_names[STORE_NFILES] = { "db", "wal", "shm" };

/* The database's files as they take room on disk (st_blocks). */
static void
disk_bytes(const struct store *s, int64_t out[STORE_NFILES])
{
	char p[4200];
	struct stat sb;
	int f;

	for (f = 0; f < STORE_NFILES; f++) {
		snprintf(p, sizeof(p), "%s%s%s", s->path, f ? "-" : "",
		    f ? store_file_names[f] : "");
		out[f] = stat(p, &sb) == 0 ? (int64_t)sb.st_blocks * 512 : 0;
	}
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
	t0 = store_now_ms();
	s->last.log_frames = s->last.ckpt_frames = -1;
	s->last.rc = sqlite3_wal_checkpoint_v2(s->db, NULL, modes[i].m,
	    &s->last.log_frames, &s->last.ckpt_frames);
	s->last.ms = store_now_ms() - t0;
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
	wal = file_bytes(s, "-wal");
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
	o->db_bytes = file_bytes(s, "");
	o->wal_bytes = file_bytes(s, "-wal");
	disk_bytes(s, o->disk);
	o->commit_ms_last = s->commit_last;
}

const char *
store_state(const struct store *s)
{
	return s->ok ? "ok" : s->diskfull ? "disk_full" : "error";
}

/* disk_full or db_error: windows are not being stored; db_corrupt: the
 * database was moved aside at start (docs/collector.md, "Health"). */
static void
db_reasons(const struct store *s, struct jbuf *j, int full)
{
	if (!s->ok) {
		jb_key(j, s->diskfull ? "disk_full" : "db_error");
		jb_obj(j);
		jb_kstr(j, "severity", "failing");
		jb_ki64(j, "since", s->fail_since);
		if (full) {
			jb_ku64(j, "failures", s->fail_run);
			jb_ki64(j, "pending_since", s->pending_since);
			jb_kstr(j, "detail", s->lasterr);
		}
		jb_endobj(j);
	}
	if (s->aside != NULL) {
		jb_key(j, "db_corrupt");
		jb_obj(j);
		jb_kstr(j, "severity", "degraded");
		jb_ki64(j, "since", s->aside_since);
		if (full)
			jb_kstr(j, "moved_to", s->aside);
		jb_endobj(j);
	}
}

void
store_reasons(struct store *s, struct jbuf *j, int full)
{
	(void)dbfile_check(s, time(NULL));
	db_reasons(s, j, full);
	dbfile_reasons(s, j, full);
	rollup_reasons(s, j, full);
}

void
store_health(struct store *s, struct jbuf *j)
{
	int64_t wal = file_bytes(s, "-wal"), disk[STORE_NFILES];

	disk_bytes(s, disk);
	jb_kstr(j, "path", s->path);
	jb_kstr(j, "state", store_state(s));
	jb_kstr(j, "last_error", s->lasterr);
	jb_ku64(j, "schema", STORE_SCHEMA);
	jb_ku64(j, "windows_stored", s->windows);
	jb_ku64(j, "rows_stored", s->rows);
	jb_ku64(j, "flush_failures", s->failures);
	jb_ki64(j, "pending_since", s->pending_since);
	jb_ki64(j, "db_bytes", file_bytes(s, ""));
	jb_ki64(j, "wal_bytes", wal);
	jb_ki64(j, "shm_bytes", file_bytes(s, "-shm"));
	jb_ki64(j, "disk_bytes", disk[STORE_DB] + disk[STORE_WAL] +
	    disk[STORE_SHM]);
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
