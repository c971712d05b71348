/*
 * ubound.c - per-uid bounds on what a sender makes the collector hold and
 * store (see ubound.h).  One uid flooding the ingest socket with rows of
 * long distinct paths from thousands of images took ioshimd to 1.08 GB
 * and the database to 2.1 GB; with these bounds it gets at most its share
 * of memory and of database growth, everyone else's data flows on.
 *
 *   memory: the bytes the live table holds for the uid (images, file
 *	rows, paths); over it a new image or file row of that uid is
 *	refused (aggregate.c).  All such uids together: users_mem.
 *   rows: process and file rows stored per clock hour; over it the
 *	uid's further rows of that hour are not stored (window.c).
 *   path_bytes: bytes of paths new to the database per clock hour; over
 *	it a row that needs a new path is not stored.
 *
 * The same pattern as the query slots and budgets (ctl.c, qbudget.c):
 * each uid that is not an administrator has its own bound and all of them
 * together a larger one, so no uid takes what others need; the bound that
 * was hit is counted per uid and shown in health.
 */
#include <stdlib.h>
#include <string.h>

#include "ubound.h"

#define UB_SHOW	32		/* uids listed in health */

struct ubuid {
	uid_t		uid;
	uint64_t	mem;
	int64_t		hour;		/* of rows and paths below */
	uint64_t	rows;		/* stored this hour */
	uint64_t	paths;		/* new path bytes this hour */
	uint64_t	mem_hits;	/* images and file rows refused */
	uint64_t	rows_dropped;	/* over rows */
	uint64_t	paths_dropped;	/* rows over path_bytes */
	uint64_t	imports_refused;	/* import batches over rows or
						 * path_bytes (import.c) */
};

static struct ub_limits lim;
static uid_t self;
static struct ubuid *u;
static size_t nu, capu;
static uint64_t users_mem;	/* of the uids that are not administrators */

void
ub_init(const struct ub_limits *l, uid_t s)
{
	lim = *l;
	self = s;
}

void
ub_free(void)
{
	free(u);
	u = NULL;
	nu = capu = 0;
	users_mem = 0;
}

int
ub_admin(uid_t uid)
{
	return uid == 0 || uid == self;
}

static struct ubuid *
slot(uid_t uid)
{
	struct ubuid *n;
	size_t i, nc;

	for (i = 0; i < nu; i++)
		if (u[i].uid == uid)
			return &u[i];
	if (nu == capu) {
		nc = capu ? capu * 2 : 8;
		if ((n = reallocarray(u, nc, sizeof(*n))) == NULL)
			return NULL;
		u = n;
		capu = nc;
	}
	memset(&u[nu], 0, sizeof(u[nu]));
	u[nu].uid = uid;
	return &u[nu++];
}

int
ub_charge(uid_t uid, size_t n)
{
	struct ubuid *x = slot(uid);

	if (x == NULL)
		return -1;
	if (!ub_admin(uid)) {
		if (x->mem + n > lim.mem || users_mem + n > lim.users_mem) {
			x->mem_hits++;
			return -1;
		}
		users_mem += n;
	}
	x->mem += n;
	return 0;
}

void
ub_release(uid_t uid, size_t n)
{
	struct ubuid *x = slot(uid);

	if (x == NULL)
		return;
	if (n > x->mem)
		n = x->mem;
	x->mem -= n;
	if (!ub_admin(uid))
		users_mem -= n < users_mem ? n : users_mem;
}

uint64_t
ub_mem(uid_t uid)
{
	size_t i;

	for (i = 0; i < nu; i++)
		if (u[i].uid == uid)
			return u[i].mem;
	return 0;
}

/* The uid's slot with its hourly figures for the hour of now. */
static struct ubuid *
hourly(uid_t uid, time_t now)
{
	struct ubuid *x = slot(uid);

	if (x != NULL && x->hour != (int64_t)now / 3600) {
		x->hour = (int64_t)now / 3600;
		x->rows = x->paths = 0;
	}
	return x;
}

int
ub_row(uid_t uid, time_t now)
{
	struct ubuid *x = hourly(uid, now);

	if (x == NULL)
		return ub_admin(uid) ? 0 : -1;
	if (!ub_admin(uid) && x->rows >= lim.rows) {
		x->rows_dropped++;
		return -1;
	}
	x->rows++;
	return 0;
}

int
ub_path(uid_t uid, size_t len, time_t now)
{
	struct ubuid *x = hourly(uid, now);

	if (x == NULL)
		return ub_admin(uid) ? 0 : -1;
	if (!ub_admin(uid) && x->paths + len > lim.path_bytes) {
		x->paths_dropped++;
		return -1;
	}
	x->paths += len;
	return 0;
}

/*
 * An import batch is stored whole or not at all (its position moves with
 * it), so its rows are taken together: the uid's hourly figures are the
 * same ones its live rows use, and a batch that does not fit is refused
 * before its transaction commits.
 */
int
ub_take(uid_t uid, uint64_t rows, uint64_t path_bytes, time_t now)
{
	struct ubuid *x = hourly(uid, now);

	if (x == NULL)
		return ub_admin(uid) ? 0 : -1;
	if (!ub_admin(uid) && (rows > lim.rows - (x->rows < lim.rows ?
	    x->rows : lim.rows) || path_bytes > lim.path_bytes - (x->paths <
	    lim.path_bytes ? x->paths : lim.path_bytes))) {
		x->imports_refused++;
		return -1;
	}
	x->rows += rows;
	x->paths += path_bytes;
	return 0;
}

void
ub_left(uid_t uid, time_t now, uint64_t *rows, uint64_t *path_bytes)
{
	struct ubuid *x = hourly(uid, now);

	*rows = *path_bytes = UINT64_MAX;
	if (ub_admin(uid))
		return;
	*rows = *path_bytes = 0;
	if (x == NULL)
		return;
	*rows = x->rows < lim.rows ? lim.rows - x->rows : 0;
	*path_bytes = x->paths < lim.path_bytes ? lim.path_bytes - x->paths :
	    0;
}

void
ub_health(struct jbuf *j)
{
	uint64_t mh = 0, rd = 0, pd = 0, ir = 0;
	size_t i, shown = 0;

	for (i = 0; i < nu; i++) {
		mh += u[i].mem_hits;
		rd += u[i].rows_dropped;
		pd += u[i].paths_dropped;
		ir += u[i].imports_refused;
	}
	jb_key(j, "bounds");
	jb_obj(j);
	jb_ku64(j, "uid_memory", lim.mem);
	jb_ku64(j, "users_memory", lim.users_mem);
	jb_ku64(j, "uid_rows_per_hour", lim.rows);
	jb_ku64(j, "uid_path_bytes_per_hour", lim.path_bytes);
	jb_ku64(j, "users_table_bytes", users_mem);
	jb_ku64(j, "memory_refused", mh);
	jb_ku64(j, "rows_dropped", rd);
	jb_ku64(j, "path_rows_dropped", pd);
	jb_ku64(j, "imports_refused", ir);
	jb_key(j, "uids");
	jb_arr(j);
	for (i = 0; i < nu && shown < UB_SHOW; i++) {
		if (u[i].mem_hits + u[i].rows_dropped + u[i].paths_dropped +
		    u[i].imports_refused == 0)
			continue;
		shown++;
		jb_obj(j);
		jb_ku64(j, "uid", u[i].uid);
		jb_ku64(j, "table_bytes", u[i].mem);
		jb_ku64(j, "rows_this_hour", u[i].rows);
		jb_ku64(j, "path_bytes_this_hour", u[i].paths);
		jb_ku64(j, "memory_refused", u[i].mem_hits);
		jb_ku64(j, "rows_dropped", u[i].rows_dropped);
		jb_ku64(j, "path_rows_dropped", u[i].paths_dropped);
		jb_ku64(j, "imports_refused", u[i].imports_refused);
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
}
