/*
 * impbatch.h - what one import batch keeps in memory (impstore.c): its
 * process counters summed per executable, uid and window (or hour),
 * written once at its commit, and the path ids it looked up.  Both are
 * forgotten at the batch's end, committed or not.
 */
#ifndef IOSHIMD_IMPBATCH_H
#define IOSHIMD_IMPBATCH_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define IMPB_PATHS	256	/* path ids remembered (by hash, one a slot) */

struct imp_exe {
	int64_t		 ts;
	int		 hourly;
	uid_t		 uid;
	char		*exe;
	uint64_t	 v[NPC];
};

struct imp_path {
	char		*path;
	int64_t		 id;
};

struct imp_batch {
	struct imp_exe	*ex;		/* the sums, in the order first seen */
	size_t		 nex, capex;
	uint32_t	*exh;		/* hash: index + 1, 0 empty */
	size_t		 exhsz;
	struct imp_path	 paths[IMPB_PATHS];
};

/* Add v to the row of (ts, hourly, uid, exe); 1 a new row, 0 added to
 * one, -1 out of memory. */
int	impbatch_exe_add(struct imp_batch *, int64_t ts, int hourly, uid_t,
	    const char *exe, const uint64_t v[NPC]);
/* 1 and *id if path's id is known. */
int	impbatch_path_get(const struct imp_batch *, const char *path,
	    int64_t *id);
void	impbatch_path_put(struct imp_batch *, const char *path, int64_t id);
void	impbatch_reset(struct imp_batch *);	/* the batch ended */
void	impbatch_free(struct imp_batch *);

#endif
