/*
 * store.h - the SQLite database: schema, window flushes, retention and
 * rollup, checkpoints, and the figures health reports about them.
 */
#ifndef IOSHIMD_STORE_H
#define IOSHIMD_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "aggregate.h"
#include "json.h"

#define STORE_SCHEMA	7

struct store_opts {
	const char	*path;
	int		 keep_minutes;	/* days of 1-minute rows */
	int		 keep_hours;	/* days of hourly rows */
	uint64_t	 wal_bound;	/* escalate checkpoints above this */
	int		 ckpt_secs;	/* PASSIVE checkpoint at least this often */
	int		 stage_secs;	/* steady windows wait in memory up to
					   this long (0: each window goes to
					   the database at once) */
	int		 max_pages;	/* 0 = no limit (PRAGMA max_page_count) */
};

struct ckpt_info {
	const char	*mode;
	int		 rc;
	int		 log_frames;
	int		 ckpt_frames;
	double		 ms;
	time_t		 at;
};

struct store;

struct store	*store_open(const struct store_opts *);
void		 store_close(struct store *);
sqlite3		*store_db(struct store *);
/* agg_lookup_fn: load a stored image's base counters and file rows. */
int		 store_lookup(void *ctx, struct agg *, struct image *);
/* Add the proc_min deltas of image stored after its snapshot (ts >
 * base_ts) to v; until = store_snap_until(images.last_ts). */
int		 store_replay_proc(struct store *, int64_t image,
		    int64_t base_ts, int64_t until, uint64_t v[NPC]);
int64_t		 store_snap_until(int64_t last_ts);
/*
 * Write the pending deltas of all images as the window starting at ts, in
 * one transaction; on success agg_flushed() is called.  0 ok, -1 failed
 * (counts stay in memory and go into the next flush).  A steady window is
 * staged in memory unless force is set (see stage_secs); force also
 * stores the staged windows.
 */
int		 store_flush(struct store *, struct agg *, int64_t ts, time_t now,
		    time_t stale_after, int force);
/* Store the staged windows now (queries call it first); 0 ok. */
int		 store_commit_staged(struct store *);
/* Rollup, retention and checkpoints, a small batch at a time. */
void		 store_maintain(struct store *, time_t now);
/* mode: "passive", "full", "restart", "truncate". */
int		 store_checkpoint(struct store *, const char *mode,
		    struct ckpt_info *);
void		 store_health(struct store *, struct jbuf *);
/*
 * The store's health reasons as members of the open JSON object j:
 * "NAME":{"severity":"failing"|"degraded","since":T,...}; full adds what
 * only an administrator may see (paths, error text).
 */
void		 store_reasons(struct store *, struct jbuf *, int full);
/* The files of the database, for the on-disk figures. */
enum { STORE_DB, STORE_WAL, STORE_SHM, STORE_NFILES };
extern const char *const store_file_names[STORE_NFILES];	/* db wal shm */
/* The figures of health for the metrics (metrics.c). */
struct store_stats {
	int		 ok, diskfull;
	uint64_t	 windows, rows, failures, checkpoints;
	int64_t		 db_bytes, wal_bytes;
	/* On disk (allocated blocks, as du(1) counts): the database file,
	 * its -wal and its -shm. */
	int64_t		 disk[STORE_NFILES];
	double		 commit_ms_last;
};
void		 store_stats(struct store *, struct store_stats *);
int		 store_ok(const struct store *);
const char	*store_state(const struct store *);	/* ok, disk_full, error */
uint64_t	 store_windows(const struct store *);
int64_t		 store_rolled_upto(const struct store *);

#endif
