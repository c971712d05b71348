/*
 * store_impl.h - what the parts of the store share inside the collector's
 * database code: struct store, its prepared statements, and the SQL text
 * helpers.  store.c opens the database, window.c writes windows,
 * replay.c gives a restarted collector the counts it stored, dbstate.c
 * checkpoints and health, schema.c holds the schema and its migrations,
 * rollup.c the hourly rollup and retention, dbfile.c watches the
 * database file.  Nothing outside these
 * files includes it (store.h is the interface).
 */
#ifndef IOSHIMD_STORE_IMPL_H
#define IOSHIMD_STORE_IMPL_H

#include <sys/types.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

/* The images row (last_ts, base snapshot) of a live image is rewritten at
 * least this often; in between its windows only insert rows. */
#define SNAP_EVERY	3600

/* The key columns of the 1-minute tables, before the counters. */
#define PMIN_KEYS	"ts, image, uid"
#define FMIN_KEYS	"ts, image, path, uid, cls"
#define EMIN_KEYS	"ts, exe, uid"
/* At most this many rows wait in the staging tables. */
#define STAGE_ROWS_MAX	50000

enum {
	S_IMG_FIND, S_IMG_FILES, S_IMG_INS, S_IMG_UPD, S_PATH_SEL, S_PATH_INS,
	S_PMIN, S_FMIN, S_EMIN, S_PMIN_T, S_FMIN_T, S_EMIN_T, S_FSTATE,
	S_FSTATE_DEL, NSTMT
};

struct store {
	struct store_opts o;
	sqlite3		*db;
	sqlite3_stmt	*st[NSTMT];
	char		*path;
	uint32_t	 gen;		/* flush generation */
	int		 ok;		/* last flush succeeded */
	int		 diskfull;
	char		 lasterr[256];
	time_t		 fail_since;	/* first failure of the run, if !ok */
	uint64_t	 fail_run;	/* failures in a row */
	char		*aside;		/* a corrupt database moved there */
	time_t		 aside_since;
	uint64_t	 windows;	/* flush transactions committed */
	uint64_t	 rows;
	uint64_t	 failures;
	double		 commit_last, commit_max, commit_sum;
	int64_t		 pending_since;	/* first window not yet stored, or 0 */
	int64_t		 rolled_upto;
	time_t		 last_ckpt_time;
	uint64_t	 ckpts;
	struct ckpt_info last;
	int		 page_size;
	uint64_t	 staged;	/* rows in the staging tables */
	time_t		 staged_since;	/* when the first of them came */
	/* The hourly rollup (rollup.c): failed tries in a row, since when,
	 * and why the last one failed. */
	uint64_t	 rollup_failures;
	time_t		 rollup_since;
	char		 rollup_err[256];
	/* The database file (dbfile.c).  path is the file written now,
	 * conf_path the one configured (--db). */
	char		*conf_path;
	int		 dbfd;		/* our own descriptor of it, or -1 */
	dev_t		 dev, wal_dev, shm_dev;
	ino_t		 ino, wal_ino, shm_ino;	/* 0: not known */
	int		 gone;		/* GONE_*: noticed (stays) */
	int		 recover;	/* noticed, not saved yet */
	time_t		 gone_since;
	char		*recovered;	/* the copy now written to, or NULL */
	char		 gone_err[256];	/* why saving it failed */
	void		*imp;		/* impstore.c's statements, or NULL */
};

enum { GONE_UNLINKED = 1, GONE_REPLACED };

/* store.c */
int	store_attach(struct store *, const char *path, int aside);
void	store_detach(struct store *);
double	store_now_ms(void);			/* a monotonic clock */
int	store_move_staged(struct store *);	/* in a transaction; SQLITE_* */

/* schema.c: SQL text and the schema. */
int	sql_exec(sqlite3 *, const char *);	/* logs a failure */
/* Append fmt (three %s, each the name) for each counter name. */
void	sql_cols(char *buf, size_t sz, const char *const *names, int n,
	    const char *fmt);
/* "CREATE [TEMP] TABLE head, counter columns, PRIMARY KEY(pk)". */
void	sql_table(char *sql, size_t sz, const char *head,
	    const char *const *names, int n, const char *pk);
/* An upsert that adds counters (VALUES(?, ...) or SELECT from src). */
void	sql_upsert(char *sql, size_t sz, const char *table, const char *keys,
	    int nkeys, const char *src, const char *pk, const char *set1,
	    const char *const *names, int n);
/* The rows of from matching where summed per executable, uid and tsexpr,
 * as a subquery with the columns of exe_min. */
void	sql_exe_src(char *buf, size_t sz, const char *tsexpr, const char *from,
	    const char *where);
/* Add the rows of from matching where to the exe table to. */
int	sql_exe_fill(sqlite3 *, const char *to, const char *tsexpr,
	    const char *from, const char *where);
int	schema_migrate(sqlite3 *);		/* 0 ok */
int	schema_stage_tables(sqlite3 *);		/* 0 ok */

/* impstore.c: finalize its statements (before the database closes). */
void	impstore_free(struct store *);

/* rollup.c: one small step of rollup or retention; rows changed or -1. */
int	store_retain(struct store *, time_t now);
/* Its health reason (rollup_failing), if any; full: with the detail. */
void	rollup_reasons(const struct store *, struct jbuf *, int full);

/* dbfile.c: the database file unlinked or replaced under the collector. */
int	dbfile_watch(struct store *, const char *path);	/* 0 ok */
void	dbfile_unwatch(struct store *);
/* 1 when the file is not at its path any more (noticed once), else 0. */
int	dbfile_check(struct store *, time_t now);
/* Copy the database to a new file and go on there; 0 ok. */
int	dbfile_recover(struct store *, time_t now);
void	dbfile_reasons(const struct store *, struct jbuf *, int full);

#endif
