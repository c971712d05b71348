/*
 * import.h - `ioshim import`: exit-report records sent over the query
 * socket and stored as history (docs/collector.md, "Importing exit
 * reports").  import.c answers the two requests, impstore.c writes the
 * records and the parse positions in the store's database.
 */
#ifndef IOSHIMD_IMPORT_H
#define IOSHIMD_IMPORT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imprec.h"
#include "json.h"
#include "store.h"

#define IMP_BODY_MAX	(16u << 20)	/* bytes of records in one batch */
#define IMP_BODY_USER	(4u << 20)	/* the same for a non-administrator */
#define IMP_BATCH_MAX	10000		/* records in one batch */
#define IMP_HOST_MAX	256

/* Where a file was parsed up to (import_pos). */
struct imp_pos {
	int64_t		 dev, ino;
	int64_t		 off;		/* bytes parsed: whole lines */
	int64_t		 line;		/* lines parsed */
	int64_t		 size;		/* the file's size then */
	uint64_t	 head;		/* hash of bytes [0, min(4096, off)) */
	uint64_t	 tail;		/* hash of [max(0, off - 4096), off) */
};

/* Whose records, from where. */
struct imp_who {
	uid_t		 uid;
	gid_t		 gid;
	const char	*host;
	int		 match_live;	/* may be an image seen live here */
	int		 window;	/* seconds */
	time_t		 now;
};

struct imp_tally {
	uint64_t	 stored;	/* new images */
	uint64_t	 known;		/* already stored or seen live */
	uint64_t	 expired;	/* ended before the hourly retention */
	uint64_t	 files_over;	/* file rows past --max-files */
	uint64_t	 rows;		/* process, file, executable rows */
	uint64_t	 path_bytes;	/* of the paths new to the database */
	uint64_t	 pc[NPC];	/* the stored records' counters summed */
};

/* ctl.c: a line starting with an import verb; *body: its bytes= value. */
int	import_is_request(const char *line, size_t len, size_t *body);
/* Answer it (body: the batch's records, blen bytes). */
void	import_answer(const char *line, size_t len, const char *body,
	    size_t blen, uid_t uid, gid_t gid, struct jbuf *);

/* impstore.c: 0 ok, else an SQLite error code. */
int	impstore_pos_get(struct store *, uid_t, int64_t dev, int64_t ino,
	    struct imp_pos *, int *found);
int	impstore_begin(struct store *);
int	impstore_record(struct store *, const struct imp_who *,
	    const struct imp_rec *, struct imp_tally *);
int	impstore_pos_put(struct store *, uid_t, const struct imp_pos *,
	    const char *path, uint64_t records, uint64_t bad, time_t now);
int	impstore_end(struct store *, int commit);
/* Files whose position is kept (import_pos rows); 0 ok. */
int	impstore_files(struct store *, int64_t *n);
void	impstore_free(struct store *);

#endif
