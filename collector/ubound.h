/*
 * ubound.h - what one uid that is not an administrator may make the
 * collector hold and store: bytes of the live table (its images, file
 * rows and paths), rows stored per hour, bytes of new paths stored per
 * hour (docs/collector.md, "Security model").  Administrators (root and
 * the collector's uid) are counted, never refused.
 */
#ifndef IOSHIMD_UBOUND_H
#define IOSHIMD_UBOUND_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "json.h"

/* The defaults, for a 512 MB board (docs/collector.md, "Security model"). */
#define UB_MEM_DEFAULT		(8u << 20)
#define UB_USERS		4	/* users_mem = UB_USERS * mem */
#define UB_ROWS_DEFAULT		20000
#define UB_PATHS_DEFAULT	(1u << 20)

struct ub_limits {
	uint64_t	mem;		/* live-table bytes of one uid */
	uint64_t	users_mem;	/* of all such uids together */
	uint64_t	rows;		/* rows stored per uid and hour */
	uint64_t	path_bytes;	/* bytes of new paths per uid and hour */
};

void	ub_init(const struct ub_limits *, uid_t self);
void	ub_free(void);
int	ub_admin(uid_t);
/* Memory of the live table: 0 charged, -1 over the bound (counted). */
int	ub_charge(uid_t, size_t);
void	ub_release(uid_t, size_t);
/* One row of uid to store now: 0 yes (taken), -1 over the bound
 * (counted as dropped). */
int	ub_row(uid_t, time_t now);
/* A new path of len bytes stored for uid: 0 yes (taken), -1 no (the row
 * is dropped, counted). */
int	ub_path(uid_t, size_t len, time_t now);
/* An import batch of uid needing rows and path_bytes this hour: 0 all
 * taken, -1 none (over a bound; counted in imports_refused). */
int	ub_take(uid_t, uint64_t rows, uint64_t path_bytes, time_t now);
/* The uid's rows and new path bytes left this hour (UINT64_MAX: an
 * administrator). */
void	ub_left(uid_t, time_t now, uint64_t *rows, uint64_t *path_bytes);
/* Live-table bytes of uid now. */
uint64_t ub_mem(uid_t);
/* "bounds":{...} for administrators (health.c). */
void	ub_health(struct jbuf *);

#endif
