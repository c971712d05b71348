/*
 * aggregate.h - the live table: one entry per process image that reports,
 * its latest cumulative counters and the counters already stored.
 *
 * The delta of a window is cur - base (per field, never negative).  After
 * the store has written a window, agg_flushed() moves base up to cur and
 * frees images that ended.  If the store cannot write (disk full), base
 * stays where it is and the next window's delta covers both: counts are
 * kept in memory, bounded by the limits below, never lost.
 */
#ifndef IOSHIMD_AGGREGATE_H
#define IOSHIMD_AGGREGATE_H

#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "counters.h"
#include "decode.h"

/* A file row's histogram counts: cumulative, from its reports (kept in
 * memory only: /metrics counts since the collector started). */
struct ahist {
	uint64_t	 sizes[IW_NSIZES];	/* write calls by size */
	uint64_t	 ftimes[IW_NFTIMES];	/* fsync calls by time taken */
};

struct afile {
	uint64_t	 hash;
	char		*path;
	uint16_t	 plen;
	uint8_t		 cls;
	uint8_t		 loaded;	/* base came from the database */
	uint8_t		 stored;	/* has a file_state row */
	uint32_t	 seq;		/* largest seq applied to this row */
	int64_t		 path_id;	/* paths.id, 0 = not known yet */
	uint32_t	 id_gen;	/* flush that assigned path_id */
	uint64_t	 cur[NFC];
	uint64_t	 base[NFC];
	struct ahist	 hist;
	uint8_t		 hist_seen;	/* hist came from a report */
};

struct image {
	struct image	*hnext;		/* hash chain */
	struct image	*next, *prev;	/* list of all images */
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	uint32_t	 ppid;
	uint64_t	 start_ticks;
	uint64_t	 image_ns;
	int64_t		 db_id;		/* images.id, 0 = not stored yet */
	uint32_t	 id_gen;	/* flush that assigned db_id */
	uint32_t	 pmin_gen;	/* flush that wrote its proc_min row */
	uint32_t	 proc_seq;	/* largest IW_PROC seq applied */
	uint32_t	 db_seq;	/* largest IW_DEBOUNCE seq applied */
	uint16_t	 state;		/* enum iw_state */
	uint16_t	 end_reason;
	int32_t		 end_code;
	int		 have_proc;	/* got at least one IW_PROC */
	int		 kio_init;	/* base has a /proc/PID/io sample */
	int		 kio_shim;	/* the shim sends its own figures */
	int		 meta_dirty;	/* comm/exe/state to be stored */
	time_t		 first_seen;
	time_t		 last_seen;
	uint64_t	 sent_ns;	/* sent_ns of the last IW_PROC applied */
	time_t		 db_last_ts;	/* images.last_ts stored, 0 = unknown */
	int64_t		 snap_ts;	/* images.base_ts stored, 0 = none */
	int		 unsnap;	/* rows stored after the snapshot */
	char		 comm[IW_COMM_MAX];
	char		 exe[IW_EXE_MAX];	/* as stored (execlaim.c) */
	uint64_t	 claim_hash;	/* of the exe, dev, ino claimed */
	uint64_t	 cur[NPC];
	uint64_t	 base[NPC];
	uint64_t	 reasons[IW_NREASON];
	struct afile	*files;
	uint32_t	 nfiles;
	uint32_t	 capfiles;
};

struct agg_limits {
	uint32_t	max_images;	/* all uids together */
	uint32_t	max_per_uid;
	uint32_t	max_files;	/* per image */
};

/* Result of agg_ingest(). */
enum {
	AG_OK = 0,
	AG_STALE,	/* seq not newer: ignored */
	AG_LIMIT,	/* a bound refused the image */
	AG_IDENTITY,	/* start_ticks does not match /proc/PID/stat */
	AG_NOMEM,
};

struct agg_stats {
	uint64_t	stale;
	uint64_t	refused_images;
	uint64_t	refused_files;
	uint64_t	bad_identity;
	uint64_t	images_seen;
};

/*
 * Called for an image that is new in memory: fill db_id, base (and cur)
 * and the file rows from the database if it was stored before (collector
 * restart).  Return 0 (found or not), -1 on error (treated as not found).
 */
struct agg;
typedef int (*agg_lookup_fn)(void *ctx, struct agg *, struct image *);

/*
 * Told after every change of an image's cur counters (a report applied, a
 * /proc/PID/io sample); old is cur before the change.  Used by the
 * metrics (metrics.c) to keep per-executable totals that outlive images.
 */
typedef void (*agg_observe_fn)(void *ctx, const struct image *,
		    const uint64_t old[NPC]);

/*
 * Told after a report changed a file row; oldc and olds are its counters
 * and write-size buckets before (the histograms of /metrics, mhist.c).
 */
typedef void (*agg_file_fn)(void *ctx, const struct afile *,
		    const uint64_t oldc[NFC], const struct ahist *old);

struct agg	*agg_new(const struct agg_limits *, agg_lookup_fn, void *ctx);
void		 agg_free(struct agg *);
void		 agg_set_observer(struct agg *, agg_observe_fn, void *ctx);
void		 agg_set_file_observer(struct agg *, agg_file_fn, void *ctx);
int		 agg_ingest(struct agg *, const struct dec_msg *, pid_t, uid_t,
		    gid_t, time_t now);
struct image	*agg_first(struct agg *);
struct image	*agg_next(struct image *);
struct image	*agg_find_pid(struct agg *, pid_t);	/* newest image */
int		 img_has_delta(const struct image *);
int		 file_has_delta(const struct afile *);
uint64_t	 dlt(uint64_t cur, uint64_t base);
/* Add a file row to an image (used by the lookup when loading state). */
struct afile	*img_file_add(struct agg *, struct image *, const char *, size_t,
		    int cls);
/* Sample /proc/PID/io of the images seen since last_flush. */
void		 agg_sample_kio(struct agg *, time_t since);
/* Store succeeded: base = cur; free ended and long silent images. */
void		 agg_flushed(struct agg *, time_t now, time_t stale_after);
/* Machine-wide deltas of everything pending (for health and flush). */
void		 agg_pending(struct agg *, uint64_t out[NPC]);
uint32_t	 agg_count(const struct agg *);
uint32_t	 agg_live(const struct agg *);
const struct agg_stats *agg_stats(const struct agg *);
size_t		 agg_mem(const struct agg *);

/* Helpers from /proc (return 0 on success). */
int	proc_start_ticks(pid_t, uint64_t *);
int	proc_io(pid_t, uint64_t *rb, uint64_t *wb);

#endif
