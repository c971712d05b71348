/*
 * toprange.c - `top ... from=`: the stored windows of a range ranked per
 * process, executable or file, in two steps where that is cheaper (see
 * below).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "counters.h"
#include "ioshimd.h"
#include "query_impl.h"
#include "request.h"
#include "sat.h"

/*
 * Ranking a range in two steps.  Summing every counter of every row is
 * what makes a long range slow: 7 days of 500 processes are ~84,000
 * hourly rows plus up to ~60,000 minute rows at the edges, 30 counters
 * each.  Step 1 reads only the key and the sort counter of each row and
 * sums them in a hash table; step 2 sums all counters of the chosen keys
 * only.  by=process (top_pick, top_sum): the images, step 2 over the best
 * `limit` images.  by=exe (top_exe): the per-executable tables, exe_hour
 * for whole hours and exe_min for the edges (one row per hour or window,
 * executable and uid).  The
 * reply is the one summing everything would give (ties may come in
 * another order).  by=file, and ranges with more than PICK_MAX images or
 * executables, take the one-step query.
 */
#define PICK_MAX	100000

struct isum {
	int64_t		 image;		/* 0: empty slot (ids start at 1) */
	double		 v;
};

struct imap {
	struct isum	*a;
	size_t		 cap, n;
};

static size_t
ihash(int64_t id, size_t cap)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 32) &
	    (cap - 1);
}

/* The slot of image, added (v 0) if absent; NULL: out of memory or more
 * than PICK_MAX images. */
static struct isum *
imap_get(struct imap *m, int64_t image)
{
	struct isum *na;
	size_t i, k, nc;

	if (2 * (m->n + 1) > m->cap) {
		if (m->n >= PICK_MAX)
			return NULL;
		nc = m->cap ? m->cap * 2 : 1024;
		if ((na = calloc(nc, sizeof(*na))) == NULL)
			return NULL;
		for (k = 0; k < m->cap; k++) {
			if (m->a[k].image == 0)
				continue;
			for (i = ihash(m->a[k].image, nc); na[i].image != 0;
			    i = (i + 1) & (nc - 1))
				;
			na[i] = m->a[k];
		}
		free(m->a);
		m->a = na;
		m->cap = nc;
	}
	for (i = ihash(image, m->cap); m->a[i].image != 0 &&
	    m->a[i].image != image; i = (i + 1) & (m->cap - 1))
		;
	if (m->a[i].image == 0) {
		m->a[i].image = image;
		m->n++;
	}
	return &m->a[i];
}

static int
imap_add(struct imap *m, int64_t image, double v)
{
	struct isum *e;

	if (image == 0)
		return 0;
	if ((e = imap_get(m, image)) == NULL)
		return -1;
	e->v += v;
	return 0;
}

/* The slot of image if present, else NULL. */
static const struct isum *
imap_find(const struct imap *m, int64_t image)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = ihash(image, m->cap); m->a[i].image != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->a[i].image == image)
			return &m->a[i];
	return NULL;
}

static int
cmp_isum_v(const void *a, const void *b)
{
	const struct isum *x = *(const struct isum *const *)a;
	const struct isum *y = *(const struct isum *const *)b;

	return x->v < y->v ? 1 : x->v > y->v ? -1 : 0;
}

/* Append ",ID" to buf at *len (room for 21 bytes each). */
static void
id_cat(char *buf, size_t *len, int64_t id)
{
	*len += (size_t)sprintf(buf + *len, ",%" PRId64, id);
}

/* Step 1: the ids of the images to sum in full, as "1,5,9" in *out
 * (malloc'd); -1: use the one-step query. */
static int
top_pick(const struct request *rq, uid_t client, char **out)
{
	char src[4096], sql[4608], colsel[256];
	struct imap m = { NULL, 0, 0 };
	struct isum **e = NULL;
	sqlite3_stmt *st = NULL;
	size_t i, n = 0, len = 0;
	char *buf = NULL;
	int rc, ret = -1;

	snprintf(colsel, sizeof(colsel), "image%s, %s", client == 0 ? "" :
	    ", uid", pc_names[rq->sort]);
	q_range_src(src, sizeof(src), "proc_min", "proc_hour", colsel);
	snprintf(sql, sizeof(sql), "SELECT x.image, x.%s FROM %s AS x%s",
	    pc_names[rq->sort], src, client == 0 ? "" : " WHERE x.uid = ?5");
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	q_bind_range(st, rq->from, rq->to);
	if (client != 0)
		sqlite3_bind_int64(st, 5, (int64_t)client);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (imap_add(&m, sqlite3_column_int64(st, 0),
		    sqlite3_column_double(st, 1)) != 0)
			break;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	if (m.n > 0 && (e = calloc(m.n, sizeof(*e))) == NULL)
		goto out;
	for (i = 0; i < m.cap; i++)
		if (m.a[i].image != 0)
			e[n++] = &m.a[i];
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(e, n, sizeof(*e), cmp_isum_v);
	if (n > (size_t)rq->limit)
		n = (size_t)rq->limit;
	if ((buf = malloc(n * 21 + 2)) == NULL)
		goto out;
	buf[0] = '0';		/* no image has id 0: never an empty list */
	buf[1] = '\0';
	len = 1;
	for (i = 0; i < n; i++)
		id_cat(buf, &len, e[i]->image);
	*out = buf;
	ret = 0;
out:
	free(m.a);
	free(e);
	return ret;
}

/* Step 2 in C: the counters of the chosen images, summed per image from
 * plain rows; SQLite's aggregates cost about twice as much per counter.
 * 0: answered; -1: nothing written, use SQL. */
struct tsum {
	int64_t		 image;
	char		*exe;		/* by=exe: the key */
	int64_t		 pid, uid, nimg;
	char		*comm;
	int		 state, end_reason;	/* by=process */
	uint64_t	 image_ns;
	char		*host;		/* imported from (images.host) */
	int		 chosen;	/* top_exe: among the best */
	double		 v[NPC];
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int	tsum_sort;	/* counter the qsort below compares */
static int	tsum_byexe;	/* ties: by exe name, else by image id */

static int
cmp_tsum(const void *a, const void *b)
{
	const struct tsum *x = a, *y = b;

	if (x->v[tsum_sort] != y->v[tsum_sort])
		return x->v[tsum_sort] < y->v[tsum_sort] ? 1 : -1;
	return tsum_byexe ? strcmp(x->exe, y->exe) :
	    cmp_i64(&x->image, &y->image);
}

static int
cmp_tsump(const void *a, const void *b)
{
	return cmp_tsum(*(const struct tsum *const *)a,
	    *(const struct tsum *const *)b);
}

/* The reply of top over a range, up to the opened "rows" array. */
static void
range_head(struct jbuf *j, const struct request *rq,
    const char *const *names)
{
	jb_obj(j);
	jb_kstr(j, "top", rq->by == BY_FILE ? "file" : rq->by == BY_EXE ?
	    "exe" : "process");
	jb_kbool(j, "live", 0);
	jb_ki64(j, "from", rq->from);
	jb_ki64(j, "to", rq->to);
	jb_kstr(j, "sort", names[rq->sort]);
	jb_key(j, "rows");
	jb_arr(j);
}

/* Sort t[0..n) and write the best rq->limit as the reply. */
static void
tsum_reply(struct jbuf *j, const struct request *rq, struct tsum *t,
    size_t n)
{
	size_t i;
	int c;

	tsum_sort = rq->sort;
	tsum_byexe = rq->by == BY_EXE;
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(t, n, sizeof(*t), cmp_tsum);
	if (n > (size_t)rq->limit)
		n = (size_t)rq->limit;
	range_head(j, rq, pc_names);
	for (i = 0; i < n; i++) {
		jb_obj(j);
		if (rq->by == BY_PROCESS) {
			jb_ki64(j, "pid", t[i].pid);
			jb_ki64(j, "uid", t[i].uid);
			jb_kstr(j, "comm", t[i].comm);
			jb_kstr(j, "exe", t[i].exe);
			jb_ku64(j, "image_ns", t[i].image_ns);
			jb_kstr(j, "state", t[i].state == IW_END ? "ended" :
			    "running");
			jb_ki64(j, "end_reason", t[i].end_reason);
			if (t[i].host != NULL)
				jb_kstr(j, "host", t[i].host);
		} else {
			jb_kstr(j, "exe", t[i].exe);
			jb_ki64(j, "processes", t[i].nimg);
		}
		for (c = 0; c < NPC; c++)
			jb_ku64(j, pc_names[c], sat_dbl(t[i].v[c]));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
}

/* ", c1, c2, ..." of every process counter. */
static void
pc_list(char *buf, size_t sz)
{
	char tmp[256];
	int c;

	buf[0] = '\0';
	for (c = 0; c < NPC; c++) {
		snprintf(tmp, sizeof(tmp), ", %s", pc_names[c]);
		strlcat(buf, tmp, sz);
	}
}

/* The SQL of one part of a range (see q_range_src()), the keys in `in`
 * only: b = 0 [from, h0), 1 [h1, to) of the minute table, 2 [h0, h1) of
 * the hourly table. */
static void
part_sql(char *sql, size_t sz, int b, const char *key, const char *cols,
    const char *minute, const char *hour, const char *in)
{
	snprintf(sql, sz, "SELECT %s%s FROM %s WHERE ts >= %s AND ts < %s AND"
	    " %s IN (%s) AND (?5 < 0 OR uid = ?5)", key, cols, b < 2 ?
	    minute : hour, b == 0 ? "?1" : b == 1 ? "?4" : "?3",
	    b == 0 ? "?3" : b == 1 ? "?2" : "?4", key, in);
}

/*
 * Like part_sql() for the 1-minute edges (b = 0, 1) of top_sum: the few
 * chosen images by primary-key seeks, (ts, image) for every stored window
 * of the edge, found one seek at a time (the 1-minute tables have no
 * (image, ts) index since schema 3), instead of reading the rows of every
 * image.
 */
static void
edge_sql(char *sql, size_t sz, int b, const char *cols, const char *in)
{
	const char *lo = b == 0 ? "?1" : "?4", *hi = b == 0 ? "?3" : "?2";

	snprintf(sql, sz, "WITH RECURSIVE w(ts) AS (SELECT (SELECT min(ts)"
	    " FROM proc_min WHERE ts >= %s) UNION ALL SELECT (SELECT min(ts)"
	    " FROM proc_min WHERE ts > w.ts) FROM w WHERE w.ts < %s)"
	    " SELECT m.image%s FROM w JOIN proc_min m ON m.ts = w.ts AND"
	    " m.image IN (%s) WHERE w.ts < %s AND (?5 < 0 OR m.uid = ?5)",
	    lo, hi, cols, in, hi);
}

static int
top_sum(struct jbuf *j, const struct request *rq, uid_t client,
    const char *pick)
{
	char *sql = NULL, cols[4096];
	int64_t *ids = NULL, id, *hit;
	struct tsum *t = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0, i, k, nt, sz;
	const char *p, *txt;
	char *end;
	int b, c, rc, ret = -1;

	for (p = pick, n = 1; *p != '\0'; p++)
		n += *p == ',';
	if ((ids = calloc(n, sizeof(*ids))) == NULL ||
	    (t = calloc(n, sizeof(*t))) == NULL)
		goto out;
	for (p = pick, n = 0; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		id = strtoll(p, &end, 10);
		if (end == p)
			goto out;
		if (id != 0)
			ids[n++] = id;
	}
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(ids, n, sizeof(*ids), cmp_i64);
	for (i = 0; i < n; i++)
		t[i].image = ids[i];
	pc_list(cols, sizeof(cols));
	sz = strlen(cols) + strlen(pick) + 1024;
	if ((sql = malloc(sz)) == NULL)
		goto out;
	/* Three statements, not one UNION ALL: a compound query copies
	 * every column of every row once more. */
	for (b = 0; b < 3; b++) {
		if (b < 2)
			edge_sql(sql, sz, b, cols, pick);
		else
			part_sql(sql, sz, b, "image", cols, "proc_min",
			    "proc_hour", pick);
		if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
		    SQLITE_OK)
			goto out;
		q_bind_range(st, rq->from, rq->to);
		sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			if ((hit = bsearch(&id, ids, n, sizeof(*ids),
			    cmp_i64)) == NULL)
				continue;
			k = (size_t)(hit - ids);
			for (c = 0; c < NPC; c++)
				t[k].v[c] += (double)sqlite3_column_int64(st,
				    1 + c);
			t[k].nimg = 1;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			goto out;
	}
	/* Names of the images that had rows. */
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT pid, uid, comm, exe,"
	    " state, end_reason, image_ns, host FROM images WHERE id = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		goto out;
	for (i = 0, nt = 0; i < n; i++) {
		if (t[i].nimg == 0)
			continue;
		t[nt] = t[i];
		sqlite3_bind_int64(st, 1, t[nt].image);
		if (sqlite3_step(st) == SQLITE_ROW) {
			t[nt].pid = sqlite3_column_int64(st, 0);
			t[nt].uid = sqlite3_column_int64(st, 1);
			txt = (const char *)sqlite3_column_text(st, 2);
			t[nt].comm = strdup(txt != NULL ? txt : "");
			txt = (const char *)sqlite3_column_text(st, 3);
			t[nt].exe = strdup(txt != NULL ? txt : "");
			t[nt].state = sqlite3_column_int(st, 4);
			t[nt].end_reason = sqlite3_column_int(st, 5);
			t[nt].image_ns = (uint64_t)sqlite3_column_int64(st, 6);
			txt = (const char *)sqlite3_column_text(st, 7);
			t[nt].host = txt != NULL ? strdup(txt) : NULL;
		} else {	/* no image row: the SQL join drops it too */
			sqlite3_reset(st);
			continue;
		}
		sqlite3_reset(st);
		nt++;
		if (t[nt - 1].comm == NULL || t[nt - 1].exe == NULL)
			goto out_t;
	}
	tsum_reply(j, rq, t, nt);
	ret = 0;
out_t:
	for (i = 0; i < nt; i++) {
		free(t[i].exe);
		free(t[i].comm);
		free(t[i].host);
	}
out:
	sqlite3_finalize(st);
	free(sql);
	free(ids);
	free(t);
	return ret;
}

/* The executables of top_exe: tsum rows in a hash table by name. */
struct emap {
	struct tsum	*t;		/* in the order they were added */
	long		*h;		/* slots: index in t, or -1 */
	size_t		 n, cap;	/* cap: slots, a power of 2 */
};

static size_t
shash(const char *s, size_t cap)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h & (cap - 1);
}

/* The index of exe in m->t, or -1. */
static long
emap_find(const struct emap *m, const char *exe)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	for (i = shash(exe, m->cap); m->h[i] != -1;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->t[m->h[i]].exe, exe) == 0)
			return m->h[i];
	return -1;
}

/* The index of exe in m->t, added if absent (which may move m->t); -1: no
 * memory or too many. */
static long
emap_get(struct emap *m, const char *exe)
{
	struct tsum *nt;
	long *nh;
	size_t i, k, nc;
	long g;

	if ((g = emap_find(m, exe)) >= 0)
		return g;
	if (2 * (m->n + 1) > m->cap) {
		if (m->n >= PICK_MAX)
			return -1;
		nc = m->cap ? m->cap * 2 : 256;
		if ((nh = malloc(nc * sizeof(*nh))) == NULL)
			return -1;
		if ((nt = reallocarray(m->t, nc / 2, sizeof(*nt))) == NULL) {
			free(nh);
			return -1;
		}
		m->t = nt;
		for (i = 0; i < nc; i++)
			nh[i] = -1;
		for (k = 0; k < m->n; k++) {
			for (i = shash(m->t[k].exe, nc); nh[i] != -1;
			    i = (i + 1) & (nc - 1))
				;
			nh[i] = (long)k;
		}
		free(m->h);
		m->h = nh;
		m->cap = nc;
	}
	for (i = shash(exe, m->cap); m->h[i] != -1;
	    i = (i + 1) & (m->cap - 1))
		;
	memset(&m->t[m->n], 0, sizeof(m->t[m->n]));
	if ((m->t[m->n].exe = strdup(exe)) == NULL)
		return -1;
	m->h[i] = (long)m->n;
	return (long)m->n++;
}

/*
 * top by=exe over a range, from the per-executable tables (exe_min for the
 * edges, exe_hour for whole hours; q_range_src()).  Step 1: the sort counter
 * per executable; step 2: every counter of the best `limit` only; then
 * "processes", their images with rows in the range (the one-step query's
 * count(DISTINCT image)): at the edges from the image column of proc_min,
 * for whole hours one proc_hour seek per image of those executables.
 * 0: answered; -1: nothing written, use the one-step query.
 */
static int
top_exe(struct jbuf *j, const struct request *rq, uid_t client)
{
	char sql[16384], src[4096], cols[4096], colsel[256], *in = NULL;
	struct emap em = { NULL, NULL, 0, 0 };
	struct imap m = { NULL, 0, 0 };
	struct tsum **r = NULL, *best = NULL;
	struct isum *e;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = store_db(D.st);
	size_t i, nb = 0, len;
	const char *t;
	long g;
	int b, c, rc, ret = -1;

	/* Step 1. */
	snprintf(colsel, sizeof(colsel), "exe, uid, %s", pc_names[rq->sort]);
	q_range_src(src, sizeof(src), "exe_min", "exe_hour", colsel);
	snprintf(sql, sizeof(sql), "SELECT x.exe, x.%s FROM %s AS x WHERE"
	    " (?5 < 0 OR x.uid = ?5)", pc_names[rq->sort], src);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	q_bind_range(st, rq->from, rq->to);
	sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if ((g = emap_get(&em, t != NULL ? t : "")) < 0)
			break;
		em.t[g].v[rq->sort] += sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;
	/* The best executables; step 2 starts their sums afresh. */
	if (em.n > 0 && (r = calloc(em.n, sizeof(*r))) == NULL)
		goto out;
	for (i = 0; i < em.n; i++)
		r[i] = &em.t[i];
	tsum_sort = rq->sort;
	tsum_byexe = 1;
	if (em.n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r, em.n, sizeof(*r), cmp_tsump);
	nb = em.n < (size_t)rq->limit ? em.n : (size_t)rq->limit;
	for (i = 0; i < nb; i++) {
		memset(r[i]->v, 0, sizeof(r[i]->v));
		r[i]->chosen = 1;
	}
	/* Step 2: exe IN (?6, ?7, ...), the chosen. */
	pc_list(cols, sizeof(cols));
	len = nb * 8 + 16;
	if ((in = malloc(len)) == NULL)
		goto out;
	strlcpy(in, "NULL", len);
	for (i = 0; i < nb; i++)
		snprintf(in + strlen(in), len - strlen(in), ", ?%zu", i + 6);
	for (b = 0; b < 3; b++) {
		part_sql(sql, sizeof(sql), b, "exe", cols, "exe_min",
		    "exe_hour", in);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			goto out;
		q_bind_range(st, rq->from, rq->to);
		sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
		for (i = 0; i < nb; i++)
			sqlite3_bind_text(st, (int)i + 6, r[i]->exe, -1,
			    SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			t = (const char *)sqlite3_column_text(st, 0);
			if ((g = emap_find(&em, t != NULL ? t : "")) < 0)
				continue;
			for (c = 0; c < NPC; c++)
				em.t[g].v[c] +=
				    (double)sqlite3_column_int64(st, 1 + c);
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			goto out;
	}
	/* Processes at the edges: the images with minute rows. */
	if (sqlite3_prepare_v2(db, "SELECT image FROM proc_min WHERE ts >= ?1"
	    " AND ts < ?3 AND (?5 < 0 OR uid = ?5) UNION ALL SELECT image FROM"
	    " proc_min WHERE ts >= ?4 AND ts < ?2 AND (?5 < 0 OR uid = ?5)",
	    -1, &st, NULL) != SQLITE_OK)
		goto out;
	q_bind_range(st, rq->from, rq->to);
	sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (imap_add(&m, sqlite3_column_int64(st, 0), 1) != 0)
			break;
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || sqlite3_prepare_v2(db, "SELECT exe FROM"
	    " images WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < m.cap; i++) {
		e = &m.a[i];
		if (e->image == 0)
			continue;
		sqlite3_bind_int64(st, 1, e->image);
		if (sqlite3_step(st) == SQLITE_ROW &&	/* else: as the join */
		    (t = (const char *)sqlite3_column_text(st, 0)) != NULL &&
		    (g = emap_find(&em, t)) >= 0 && em.t[g].chosen)
			em.t[g].nimg++;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Processes in whole hours: those with hourly rows and no edge rows. */
	if (sqlite3_prepare_v2(db, "SELECT i.id FROM images i WHERE"
	    " i.exe = ?6 AND EXISTS (SELECT 1 FROM proc_hour h WHERE"
	    " h.image = i.id AND h.ts >= ?3 AND h.ts < ?4 AND (?5 < 0 OR"
	    " h.uid = ?5))", -1, &st, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < nb; i++) {
		q_bind_range(st, rq->from, rq->to);
		sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
		sqlite3_bind_text(st, 6, r[i]->exe, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (imap_find(&m, sqlite3_column_int64(st, 0)) == NULL)
				r[i]->nimg++;
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((best = calloc(nb + 1, sizeof(*best))) == NULL)
		goto out;
	for (i = 0; i < nb; i++)
		best[i] = *r[i];
	tsum_reply(j, rq, best, nb);
	ret = 0;
out:
	sqlite3_finalize(st);
	for (i = 0; i < em.n; i++)
		free(em.t[i].exe);
	free(em.t);
	free(em.h);
	free(m.a);
	free(r);
	free(best);
	free(in);
	return ret;
}

void
toprange_reply(struct jbuf *j, const struct request *rq, uid_t client)
{
	char colsel[4096], tmp[256], *pick = NULL, *src = NULL, *sql = NULL;
	const char *const *names = rq->by == BY_FILE ? fc_names : pc_names;
	int nc = rq->by == BY_FILE ? NFC : NPC, c, rc, k;
	size_t srcsz, sqlsz;
	sqlite3_stmt *st;

	(void)store_commit_staged(D.st);	/* ranges see staged windows */
	q_range_mmap(1);
	if (rq->by == BY_EXE && top_exe(j, rq, client) == 0)
		goto out;
	if (rq->by == BY_PROCESS && top_pick(rq, client, &pick) != 0)
		pick = NULL;
	if (pick != NULL && top_sum(j, rq, client, pick) == 0)
		goto out;
	srcsz = 16384 + (pick != NULL ? 3 * strlen(pick) : 0);
	sqlsz = srcsz + 16384;
	if ((src = malloc(srcsz)) == NULL || (sql = malloc(sqlsz)) == NULL) {
		q_error(j, "out of memory");
		goto out;
	}
	if (pick != NULL) {
		/* Step 2: each branch summed per image, chosen images only. */
		snprintf(colsel, sizeof(colsel), "image, min(uid) AS uid");
		for (c = 0; c < nc; c++) {
			snprintf(tmp, sizeof(tmp), ", total(%s) AS %s", names[c],
			    names[c]);
			strlcat(colsel, tmp, sizeof(colsel));
		}
		snprintf(src, srcsz, "(SELECT %s FROM proc_min WHERE ts >= ?1"
		    " AND ts < ?3 AND image IN (%s) AND (?5 < 0 OR uid = ?5)"
		    " GROUP BY image UNION ALL SELECT %s FROM proc_min WHERE"
		    " ts >= ?4 AND ts < ?2 AND image IN (%s) AND (?5 < 0 OR"
		    " uid = ?5) GROUP BY image UNION ALL SELECT %s FROM"
		    " proc_hour WHERE ts >= ?3 AND ts < ?4 AND image IN (%s)"
		    " AND (?5 < 0 OR uid = ?5) GROUP BY image)", colsel, pick,
		    colsel, pick, colsel, pick);
	} else {
		snprintf(colsel, sizeof(colsel), "image, uid%s",
		    rq->by == BY_FILE ? ", path, cls" : "");
		for (c = 0; c < nc; c++) {
			snprintf(tmp, sizeof(tmp), ", %s", names[c]);
			strlcat(colsel, tmp, sizeof(colsel));
		}
		if (rq->by == BY_FILE)
			q_range_src(src, srcsz, "file_min", "file_hour", colsel);
		else
			q_range_src(src, srcsz, "proc_min", "proc_hour", colsel);
	}
	if (rq->by == BY_PROCESS)
		snprintf(sql, sqlsz, "SELECT i.pid, i.uid, i.comm, i.exe,"
		    " i.host");
	else if (rq->by == BY_EXE)
		snprintf(sql, sqlsz, "SELECT 0, 0, '', i.exe,"
		    " count(DISTINCT x.image)");
	else
		snprintf(sql, sqlsz, "SELECT 0, max(x.cls), '', p.path,"
		    " count(DISTINCT x.image)");
	for (c = 0; c < nc; c++) {
		snprintf(tmp, sizeof(tmp), ", total(x.%s)", names[c]);
		strlcat(sql, tmp, sqlsz);
	}
	if (rq->by == BY_PROCESS)	/* after the counters: 5 + nc on */
		strlcat(sql, ", i.state, i.end_reason, i.image_ns", sqlsz);
	strlcat(sql, " FROM ", sqlsz);
	strlcat(sql, src, sqlsz);
	strlcat(sql, " AS x JOIN images i ON i.id = x.image", sqlsz);
	if (rq->by == BY_FILE)
		strlcat(sql, " JOIN paths p ON p.id = x.path", sqlsz);
	strlcat(sql, " WHERE (?5 < 0 OR x.uid = ?5)", sqlsz);
	strlcat(sql, rq->by == BY_PROCESS ? " GROUP BY x.image" :
	    rq->by == BY_EXE ? " GROUP BY i.exe" : " GROUP BY x.path",
	    sqlsz);
	snprintf(tmp, sizeof(tmp), " ORDER BY total(x.%s) DESC LIMIT ?6",
	    names[rq->sort]);
	strlcat(sql, tmp, sqlsz);
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		q_error(j, sqlite3_errmsg(store_db(D.st)));
		goto out;
	}
	q_bind_range(st, rq->from, rq->to);
	sqlite3_bind_int64(st, 5, client == 0 ? -1 : (int64_t)client);
	sqlite3_bind_int(st, 6, rq->limit);
	range_head(j, rq, names);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jb_obj(j);
		if (rq->by == BY_PROCESS) {
			jb_ki64(j, "pid", sqlite3_column_int64(st, 0));
			jb_ki64(j, "uid", sqlite3_column_int64(st, 1));
			jb_kstr(j, "comm", (const char *)sqlite3_column_text(st, 2));
			jb_kstr(j, "exe", (const char *)sqlite3_column_text(st, 3));
			jb_ku64(j, "image_ns", (uint64_t)sqlite3_column_int64(st,
			    7 + nc));
			jb_kstr(j, "state", sqlite3_column_int(st, 5 + nc) ==
			    IW_END ? "ended" : "running");
			jb_ki64(j, "end_reason", sqlite3_column_int64(st,
			    6 + nc));
			if (sqlite3_column_type(st, 4) == SQLITE_TEXT)
				jb_kstr(j, "host", (const char *)
				    sqlite3_column_text(st, 4));
		} else if (rq->by == BY_EXE) {
			jb_kstr(j, "exe", (const char *)sqlite3_column_text(st, 3));
			jb_ki64(j, "processes", sqlite3_column_int64(st, 4));
		} else {
			k = sqlite3_column_int(st, 1);
			jb_kstr(j, "path", (const char *)sqlite3_column_text(st, 3));
			jb_kstr(j, "class", k >= 0 && k < IW_NCLASS ?
			    class_names[k] : "other");
			jb_ki64(j, "processes", sqlite3_column_int64(st, 4));
		}
		for (c = 0; c < nc; c++)
			jb_ku64(j, names[c], sat_dbl(sqlite3_column_double(st,
			    5 + c)));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		q_error(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
out:
	q_range_mmap(0);
	free(pick);
	free(src);
	free(sql);
}

