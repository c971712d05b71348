/*
 * query.c - answer the requests of the query protocol (docs/protocol.md).
 *
 * "live" answers come from the in-memory table (the open window and the
 * cumulative counters of running images); ranges come from SQLite, hourly
 * rows for the whole rolled-up hours inside the range and 1-minute rows
 * for the rest.  A client that is not root sees only rows of its own uid.
 */
#include <sys/resource.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "counters.h"
#include "ioshimd.h"
#include "query.h"
#include "request.h"

static const char *const reason_names[IW_NREASON] = {
	"size", "age", "priority", "memory", "sync", "close", "read", "fork",
	"exec", "exit", "signal",
};

static int
visible(uid_t client, uid_t owner)
{
	return client == 0 || client == owner;
}

static void
err_reply(struct jbuf *j, const char *msg)
{
	jb_reset(j);
	jb_obj(j);
	jb_kstr(j, "error", msg);
	jb_endobj(j);
	D.query_errors++;
}

static void
pc_obj(struct jbuf *j, const char *key, const uint64_t *v)
{
	int c;

	jb_key(j, key);
	jb_obj(j);
	for (c = 0; c < NPC; c++)
		jb_ku64(j, pc_names[c], v[c]);
	jb_endobj(j);
}

static void
fc_obj(struct jbuf *j, const char *key, const uint64_t *v)
{
	int c;

	jb_key(j, key);
	jb_obj(j);
	for (c = 0; c < NFC; c++)
		jb_ku64(j, fc_names[c], v[c]);
	jb_endobj(j);
}

static uint64_t
readfield(const char *path, const char *key)
{
	char buf[4096], *p;
	FILE *f;
	uint64_t v = 0;
	size_t kl = strlen(key);

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, key, kl) == 0) {
			for (p = buf + kl; *p == ' ' || *p == '\t' || *p == ':';
			    p++)
				;
			v = strtoull(p, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* ---- health ---- */

static void
a_health(struct jbuf *j)
{
	const struct agg_stats *as = agg_stats(D.agg);
	const uint64_t *w = D.lastwin;
	uint64_t dropped, fwrites, absorbed, pend[NPC];
	double scale, red = 0;
	time_t now = time(NULL);
	int64_t wb;

	dropped = D.in.malformed + D.in.oversized + D.in.no_creds +
	    as->refused_images + as->bad_identity;
	jb_obj(j);
	jb_kstr(j, "version", IOSHIMD_VERSION);
	jb_ki64(j, "pid", getpid());
	jb_ki64(j, "uptime_s", now - D.started);
	jb_ki64(j, "window_s", D.cfg.window);
	jb_ki64(j, "window_start", D.win_start);
	jb_ku64(j, "clients", agg_live(D.agg));
	jb_ku64(j, "images", agg_count(D.agg));
	jb_ku64(j, "query_clients", (uint64_t)D.nqclients);
	jb_ku64(j, "queries", D.queries);
	jb_key(j, "messages");
	jb_obj(j);
	jb_ku64(j, "received", D.in.received);
	jb_ku64(j, "accepted", D.in.accepted);
	jb_ku64(j, "dropped", dropped);
	jb_ku64(j, "malformed", D.in.malformed);
	jb_ku64(j, "oversized", D.in.oversized);
	jb_ku64(j, "no_credentials", D.in.no_creds);
	jb_ku64(j, "stale", as->stale);
	jb_ku64(j, "refused_images", as->refused_images);
	jb_ku64(j, "refused_files", as->refused_files);
	jb_ku64(j, "bad_identity", as->bad_identity);
	jb_ku64(j, "bytes", D.in.bytes);
	jb_key(j, "malformed_by_reason");
	jb_obj(j);
	for (int e = 1; e < DEC_NERR; e++)
		jb_ku64(j, dec_errname(e), D.in.by_error[e]);
	jb_endobj(j);
	jb_endobj(j);
	jb_key(j, "db");
	jb_obj(j);
	store_health(D.st, j);
	jb_endobj(j);
	jb_key(j, "own");
	jb_obj(j);
	wb = (int64_t)readfield("/proc/self/io", "write_bytes");
	jb_ki64(j, "write_bytes", wb);
	jb_ku64(j, "wchar", readfield("/proc/self/io", "wchar"));
	jb_kdbl(j, "write_bytes_per_hour", now > D.started ?
	    (double)wb * 3600.0 / (double)(now - D.started) : 0.0);
	jb_ku64(j, "rss_bytes", readfield("/proc/self/status", "VmRSS") * 1024);
	jb_ku64(j, "table_bytes", agg_mem(D.agg));
	jb_endobj(j);
	agg_pending(D.agg, pend);
	jb_key(j, "pending");
	jb_obj(j);
	jb_ku64(j, "disk_write_bytes", pend[C_CLASS(IW_DISK, K_WB)]);
	jb_ku64(j, "disk_writes", pend[C_CLASS(IW_DISK, K_W)]);
	jb_endobj(j);
	/* Machine-wide rates over the last closed window, per minute. */
	scale = D.lastwin_secs > 0 ? 60.0 / D.lastwin_secs : 0.0;
	fwrites = w[C_CLASS(IW_DISK, K_W)] + w[C_CLASS(IW_MEMFS, K_W)];
	absorbed = w[C_ABSORBED];
	if (fwrites > 0 && absorbed > w[C_FLUSH_SYSCALLS])
		red = 100.0 * (double)(absorbed - w[C_FLUSH_SYSCALLS]) /
		    (double)fwrites;
	jb_key(j, "last_window");
	jb_obj(j);
	jb_ki64(j, "start", D.lastwin_start);
	jb_ki64(j, "seconds", D.lastwin_secs);
	jb_kdbl(j, "disk_write_bytes_per_min", w[C_CLASS(IW_DISK, K_WB)] * scale);
	jb_kdbl(j, "disk_writes_per_min", w[C_CLASS(IW_DISK, K_W)] * scale);
	jb_kdbl(j, "disk_read_bytes_per_min", w[C_CLASS(IW_DISK, K_RB)] * scale);
	jb_kdbl(j, "disk_reads_per_min", w[C_CLASS(IW_DISK, K_R)] * scale);
	jb_kdbl(j, "socket_bytes_per_min", (w[C_CLASS(IW_SOCKET, K_RB)] +
	    w[C_CLASS(IW_SOCKET, K_WB)]) * scale);
	jb_kdbl(j, "fsyncs_per_min", w[C_FSYNCS] * scale);
	jb_kdbl(j, "absorbed_per_min", absorbed * scale);
	jb_kdbl(j, "flush_syscalls_per_min", w[C_FLUSH_SYSCALLS] * scale);
	jb_kdbl(j, "kernel_write_bytes_per_min", w[C_KWRITE_BYTES] * scale);
	jb_kdbl(j, "reduction_pct", red);
	jb_endobj(j);
	jb_endobj(j);
}

/* ---- top (live) ---- */

struct trow {
	const char	*key;		/* exe or path */
	const struct image *im;		/* by=process */
	int		 cls;
	uint32_t	 n;		/* processes merged */
	uint64_t	 v[NPC];	/* NPC >= NFC */
};

static int sortkey;

static int
cmp_val(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	if (x->v[sortkey] != y->v[sortkey])
		return x->v[sortkey] < y->v[sortkey] ? 1 : -1;
	if (x->key != NULL && y->key != NULL)
		return strcmp(x->key, y->key);
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Merge rows with equal keys (sorted by key first). */
static size_t
merge(struct trow *r, size_t n, int nc)
{
	size_t i, o = 0;
	int c;

	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r, n, sizeof(*r), cmp_key);
	for (i = 0; i < n; i++) {
		if (o > 0 && strcmp(r[o - 1].key, r[i].key) == 0) {
			for (c = 0; c < nc; c++)
				r[o - 1].v[c] += r[i].v[c];
			r[o - 1].n += r[i].n;
			continue;
		}
		r[o++] = r[i];
	}
	return o;
}

static void
a_top_live(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im;
	struct trow *rows = NULL, *nr;
	size_t n = 0, cap = 0, i;
	uint32_t f;
	int c, nc = rq->by == BY_FILE ? NFC : NPC;

	for (im = agg_first(D.agg); im != NULL; im = agg_next(im)) {
		if (!visible(client, im->uid) ||
		    (!rq->totals && !img_has_delta(im)))
			continue;
		for (f = 0; f < (rq->by == BY_FILE ? im->nfiles : 1); f++) {
			if (rq->by == BY_FILE && !rq->totals &&
			    !file_has_delta(&im->files[f]))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((nr = reallocarray(rows, cap,
				    sizeof(*rows))) == NULL) {
					free(rows);
					err_reply(j, "out of memory");
					return;
				}
				rows = nr;
			}
			memset(&rows[n], 0, sizeof(rows[n]));
			rows[n].im = im;
			rows[n].n = 1;
			if (rq->by == BY_FILE) {
				rows[n].key = im->files[f].path;
				rows[n].cls = im->files[f].cls;
				for (c = 0; c < NFC; c++)
					rows[n].v[c] = rq->totals ?
					    im->files[f].cur[c] :
					    dlt(im->files[f].cur[c],
					    im->files[f].base[c]);
			} else {
				rows[n].key = rq->by == BY_EXE ? im->exe : NULL;
				for (c = 0; c < NPC; c++)
					rows[n].v[c] = rq->totals ? im->cur[c] :
					    dlt(im->cur[c], im->base[c]);
			}
			n++;
		}
	}
	if (rq->by != BY_PROCESS)
		n = merge(rows, n, nc);
	sortkey = rq->sort;
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(rows, n, sizeof(*rows), cmp_val);
	jb_obj(j);
	jb_kstr(j, "top", rq->by == BY_FILE ? "file" : rq->by == BY_EXE ?
	    "exe" : "process");
	jb_kbool(j, "live", 1);
	jb_kbool(j, "totals", rq->totals);
	jb_ki64(j, "from", D.win_start);
	jb_ki64(j, "to", time(NULL));
	jb_kstr(j, "sort", rq->by == BY_FILE ? fc_names[rq->sort] :
	    pc_names[rq->sort]);
	jb_key(j, "rows");
	jb_arr(j);
	for (i = 0; i < n && i < (size_t)rq->limit; i++) {
		jb_obj(j);
		if (rq->by == BY_PROCESS) {
			im = (struct image *)rows[i].im;
			jb_ki64(j, "pid", im->pid);
			jb_ki64(j, "uid", im->uid);
			jb_kstr(j, "comm", im->comm);
			jb_kstr(j, "exe", im->exe);
			jb_ku64(j, "image_ns", im->image_ns);
			jb_kstr(j, "state", im->state == IW_END ? "ended" :
			    "running");
		} else if (rq->by == BY_EXE) {
			jb_kstr(j, "exe", rows[i].key);
			jb_ku64(j, "processes", rows[i].n);
		} else {
			jb_kstr(j, "path", rows[i].key);
			jb_kstr(j, "class", class_names[rows[i].cls]);
			jb_ku64(j, "processes", rows[i].n);
		}
		for (c = 0; c < nc; c++)
			jb_ku64(j, rq->by == BY_FILE ? fc_names[c] : pc_names[c],
			    rows[i].v[c]);
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	free(rows);
}

/* ---- ranges from SQLite ---- */

/*
 * The FROM clause for rows in [from, to): whole rolled-up hours [h0, h1)
 * from the hourly table, the edges [from, h0) and [h1, to) from the
 * 1-minute table.  Each part is one range of the tables' (ts, ...) primary
 * key, so a 7-day range reads ~168 hourly rows per image and at most two
 * hours of minute rows, never the minute rows of the middle.  Binds
 * ?1..?4 = from, to, h0, h1.
 */
static void
range_src(char *buf, size_t sz, const char *minute, const char *hour,
    const char *colsel)
{
	snprintf(buf, sz, "(SELECT %s FROM %s WHERE ts >= ?1 AND ts < ?3"
	    " UNION ALL SELECT %s FROM %s WHERE ts >= ?4 AND ts < ?2"
	    " UNION ALL SELECT %s FROM %s WHERE ts >= ?3 AND ts < ?4)",
	    colsel, minute, colsel, minute, colsel, hour);
}

/* PRAGMA mmap_size while a range query runs: no read(2) per 1 KiB page,
 * and nothing of the file stays mapped (nor in RSS) afterwards. */
static void
range_mmap(int on)
{
	(void)sqlite3_exec(store_db(D.st), !on ? "PRAGMA mmap_size=0" :
	    sizeof(void *) >= 8 ? "PRAGMA mmap_size=2147418112" :
	    "PRAGMA mmap_size=268435456", NULL, NULL, NULL);
}

static void
bind_range(sqlite3_stmt *st, int64_t from, int64_t to)
{
	int64_t h0 = (from + 3599) / 3600 * 3600, h1 = to / 3600 * 3600;
	int64_t r = store_rolled_upto(D.st);

	if (h1 > r)
		h1 = r;
	if (h0 >= h1)
		h0 = h1 = to;		/* no hourly part: all from minutes */
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, h0);
	sqlite3_bind_int64(st, 4, h1);
}

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
	range_src(src, sizeof(src), "proc_min", "proc_hour", colsel);
	snprintf(sql, sizeof(sql), "SELECT x.image, x.%s FROM %s AS x%s",
	    pc_names[rq->sort], src, client == 0 ? "" : " WHERE x.uid = ?5");
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_range(st, rq->from, rq->to);
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
		} else {
			jb_kstr(j, "exe", t[i].exe);
			jb_ki64(j, "processes", t[i].nimg);
		}
		for (c = 0; c < NPC; c++)
			jb_ku64(j, pc_names[c], (uint64_t)t[i].v[c]);
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

/* The SQL of one part of a range (see range_src()), the keys in `in`
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
		bind_range(st, rq->from, rq->to);
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
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT pid, uid, comm, exe"
	    " FROM images WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
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
 * edges, exe_hour for whole hours; range_src()).  Step 1: the sort counter
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
	range_src(src, sizeof(src), "exe_min", "exe_hour", colsel);
	snprintf(sql, sizeof(sql), "SELECT x.exe, x.%s FROM %s AS x WHERE"
	    " (?5 < 0 OR x.uid = ?5)", pc_names[rq->sort], src);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	bind_range(st, rq->from, rq->to);
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
		bind_range(st, rq->from, rq->to);
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
	bind_range(st, rq->from, rq->to);
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
		bind_range(st, rq->from, rq->to);
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

static void
a_top_range(struct jbuf *j, const struct request *rq, uid_t client)
{
	char colsel[4096], tmp[256], *pick = NULL, *src = NULL, *sql = NULL;
	const char *const *names = rq->by == BY_FILE ? fc_names : pc_names;
	int nc = rq->by == BY_FILE ? NFC : NPC, c, rc, k;
	size_t srcsz, sqlsz;
	sqlite3_stmt *st;

	(void)store_commit_staged(D.st);	/* ranges see staged windows */
	range_mmap(1);
	if (rq->by == BY_EXE && top_exe(j, rq, client) == 0)
		goto out;
	if (rq->by == BY_PROCESS && top_pick(rq, client, &pick) != 0)
		pick = NULL;
	if (pick != NULL && top_sum(j, rq, client, pick) == 0)
		goto out;
	srcsz = 16384 + (pick != NULL ? 3 * strlen(pick) : 0);
	sqlsz = srcsz + 16384;
	if ((src = malloc(srcsz)) == NULL || (sql = malloc(sqlsz)) == NULL) {
		err_reply(j, "out of memory");
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
			range_src(src, srcsz, "file_min", "file_hour", colsel);
		else
			range_src(src, srcsz, "proc_min", "proc_hour", colsel);
	}
	if (rq->by == BY_PROCESS)
		snprintf(sql, sqlsz, "SELECT i.pid, i.uid, i.comm, i.exe,"
		    " 1");
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
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		goto out;
	}
	bind_range(st, rq->from, rq->to);
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
			jb_ku64(j, names[c], (uint64_t)sqlite3_column_double(st,
			    5 + c));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
out:
	range_mmap(0);
	free(pick);
	free(src);
	free(sql);
}

/* ---- process / files ---- */

static struct image *
find_visible(pid_t pid, uid_t client)
{
	struct image *im = agg_find_pid(D.agg, pid);

	return im != NULL && visible(client, im->uid) ? im : NULL;
}

static void
a_process(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im = find_visible((pid_t)rq->pid, client);
	uint64_t d[NPC], base[NPC];
	sqlite3_stmt *st;
	int c, rc;

	if (im != NULL) {
		jb_obj(j);
		jb_kbool(j, "live", 1);
		jb_ki64(j, "pid", im->pid);
		jb_ki64(j, "ppid", im->ppid);
		jb_ki64(j, "uid", im->uid);
		jb_ki64(j, "gid", im->gid);
		jb_kstr(j, "comm", im->comm);
		jb_kstr(j, "exe", im->exe);
		jb_ku64(j, "start_ticks", im->start_ticks);
		jb_ku64(j, "image_ns", im->image_ns);
		jb_kstr(j, "state", im->state == IW_END ? "ended" : "running");
		jb_ki64(j, "end_reason", im->end_reason);
		jb_ki64(j, "end_code", im->end_code);
		jb_ku64(j, "seq", im->proc_seq);
		jb_ki64(j, "first_seen", im->first_seen);
		jb_ki64(j, "last_seen", im->last_seen);
		jb_ku64(j, "files", im->nfiles);
		pc_obj(j, "totals", im->cur);
		for (c = 0; c < NPC; c++)
			d[c] = dlt(im->cur[c], im->base[c]);
		pc_obj(j, "window", d);
		jb_key(j, "flush_reasons");
		jb_obj(j);
		for (c = 0; c < IW_NREASON; c++)
			jb_ku64(j, reason_names[c], im->reasons[c]);
		jb_endobj(j);
		jb_endobj(j);
		return;
	}
	(void)store_commit_staged(D.st);
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT pid, ppid, uid, gid,"
	    " comm, exe, start_ticks, image_ns, state, end_reason, end_code,"
	    " seq, first_ts, last_ts, base, id, base_ts FROM images"
	    " WHERE pid = ?1 AND"
	    " (?2 < 0 OR uid = ?2) ORDER BY image_ns DESC, start_ticks DESC"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->pid);
	sqlite3_bind_int64(st, 2, client == 0 ? -1 : (int64_t)client);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		err_reply(j, rc == SQLITE_DONE ? "no such process" :
		    sqlite3_errmsg(store_db(D.st)));
		return;
	}
	memset(base, 0, sizeof(base));
	if (sqlite3_column_bytes(st, 14) > 0)
		memcpy(base, sqlite3_column_blob(st, 14),
		    (size_t)sqlite3_column_bytes(st, 14) < sizeof(base) ?
		    (size_t)sqlite3_column_bytes(st, 14) : sizeof(base));
	/* base is a snapshot: add the windows stored after it. */
	if (sqlite3_column_type(st, 16) != SQLITE_NULL &&
	    store_replay_proc(D.st, sqlite3_column_int64(st, 15),
	    sqlite3_column_int64(st, 16),
	    store_snap_until(sqlite3_column_int64(st, 13)), base) != 0) {
		sqlite3_finalize(st);
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	jb_obj(j);
	jb_kbool(j, "live", 0);
	jb_ki64(j, "pid", sqlite3_column_int64(st, 0));
	jb_ki64(j, "ppid", sqlite3_column_int64(st, 1));
	jb_ki64(j, "uid", sqlite3_column_int64(st, 2));
	jb_ki64(j, "gid", sqlite3_column_int64(st, 3));
	jb_kstr(j, "comm", (const char *)sqlite3_column_text(st, 4));
	jb_kstr(j, "exe", (const char *)sqlite3_column_text(st, 5));
	jb_ku64(j, "start_ticks", (uint64_t)sqlite3_column_int64(st, 6));
	jb_ku64(j, "image_ns", (uint64_t)sqlite3_column_int64(st, 7));
	jb_kstr(j, "state", sqlite3_column_int(st, 8) == IW_END ? "ended" :
	    "unknown");
	jb_ki64(j, "end_reason", sqlite3_column_int64(st, 9));
	jb_ki64(j, "end_code", sqlite3_column_int64(st, 10));
	jb_ki64(j, "seq", sqlite3_column_int64(st, 11));
	jb_ki64(j, "first_seen", sqlite3_column_int64(st, 12));
	jb_ki64(j, "last_seen", sqlite3_column_int64(st, 13));
	pc_obj(j, "totals", base);
	jb_endobj(j);
	sqlite3_finalize(st);
}

struct frow {
	const struct afile *f;
	uint64_t	 v[NFC];
};

static int fsortkey;

static int
cmp_frow(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;

	if (x->v[fsortkey] != y->v[fsortkey])
		return x->v[fsortkey] < y->v[fsortkey] ? 1 : -1;
	return strcmp(x->f->path, y->f->path);
}

static void
a_files(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im = find_visible((pid_t)rq->pid, client);
	struct frow *r;
	char sql[8192], src[4096], colsel[1024], tmp[128];
	sqlite3_stmt *st;
	uint32_t i;
	int c, rc, k;

	fsortkey = rq->sort >= 0 ? rq->sort : F_WRITE_BYTES;
	if (im != NULL) {
		if ((r = calloc(im->nfiles + 1, sizeof(*r))) == NULL) {
			err_reply(j, "out of memory");
			return;
		}
		for (i = 0; i < im->nfiles; i++) {
			r[i].f = &im->files[i];
			memcpy(r[i].v, im->files[i].cur, sizeof(r[i].v));
		}
		if (im->nfiles > 1)	/* qsort(NULL, 0) is undefined */
			qsort(r, im->nfiles, sizeof(*r), cmp_frow);
		jb_obj(j);
		jb_kbool(j, "live", 1);
		jb_ki64(j, "pid", im->pid);
		jb_kstr(j, "exe", im->exe);
		jb_kstr(j, "sort", fc_names[fsortkey]);
		jb_key(j, "files");
		jb_arr(j);
		for (i = 0; i < im->nfiles && i < (uint32_t)rq->limit; i++) {
			const struct afile *f = r[i].f;
			uint64_t d[NFC];

			jb_obj(j);
			jb_kstr(j, "path", f->path);
			jb_kstr(j, "class", class_names[f->cls]);
			for (c = 0; c < NFC; c++) {
				jb_ku64(j, fc_names[c], f->cur[c]);
				d[c] = dlt(f->cur[c], f->base[c]);
			}
			jb_key(j, "write_sizes");
			jb_arr(j);
			for (c = 0; c < IW_NSIZES; c++)
				jb_u64(j, f->sizes[c]);
			jb_endarr(j);
			fc_obj(j, "window", d);
			jb_endobj(j);
		}
		jb_endarr(j);
		jb_endobj(j);
		free(r);
		return;
	}
	/* Ended images: sum the stored rows of the newest image of PID. */
	(void)store_commit_staged(D.st);
	if (sqlite3_prepare_v2(store_db(D.st), "SELECT 1 FROM images WHERE"
	    " pid = ?1 AND (?2 < 0 OR uid = ?2)", -1, &st, NULL) != SQLITE_OK) {
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->pid);
	sqlite3_bind_int64(st, 2, client == 0 ? -1 : (int64_t)client);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		err_reply(j, "no such process");
		return;
	}
	colsel[0] = '\0';
	strlcpy(colsel, "image, uid, path, cls", sizeof(colsel));
	for (c = 0; c < NFC; c++) {
		snprintf(tmp, sizeof(tmp), ", %s", fc_names[c]);
		strlcat(colsel, tmp, sizeof(colsel));
	}
	range_src(src, sizeof(src), "file_min", "file_hour", colsel);
	strlcpy(sql, "SELECT p.path, max(x.cls)", sizeof(sql));
	for (c = 0; c < NFC; c++) {
		snprintf(tmp, sizeof(tmp), ", total(x.%s)", fc_names[c]);
		strlcat(sql, tmp, sizeof(sql));
	}
	strlcat(sql, " FROM ", sizeof(sql));
	strlcat(sql, src, sizeof(sql));
	strlcat(sql, " AS x JOIN paths p ON p.id = x.path WHERE"
	    " x.image = (SELECT id FROM images WHERE pid = ?5 AND (?6 < 0 OR"
	    " uid = ?6) ORDER BY image_ns DESC, start_ticks DESC LIMIT 1)",
	    sizeof(sql));
	snprintf(tmp, sizeof(tmp), " GROUP BY x.path ORDER BY total(x.%s) DESC"
	    " LIMIT ?7", fc_names[fsortkey]);
	strlcat(sql, tmp, sizeof(sql));
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	bind_range(st, 0, (int64_t)time(NULL) + 86400);
	sqlite3_bind_int64(st, 5, rq->pid);
	sqlite3_bind_int64(st, 6, client == 0 ? -1 : (int64_t)client);
	sqlite3_bind_int(st, 7, rq->limit);
	jb_obj(j);
	jb_kbool(j, "live", 0);
	jb_ki64(j, "pid", rq->pid);
	jb_kstr(j, "sort", fc_names[fsortkey]);
	jb_key(j, "files");
	jb_arr(j);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jb_obj(j);
		k = sqlite3_column_int(st, 1);
		jb_kstr(j, "path", (const char *)sqlite3_column_text(st, 0));
		jb_kstr(j, "class", k >= 0 && k < IW_NCLASS ? class_names[k] :
		    "other");
		for (c = 0; c < NFC; c++)
			jb_ku64(j, fc_names[c],
			    (uint64_t)sqlite3_column_double(st, 2 + c));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
}

/* ---- history ---- */

static const int hist_default[] = {
	C_CLASS(IW_DISK, K_RB), C_CLASS(IW_DISK, K_WB), C_CLASS(IW_DISK, K_W),
	C_CLASS(IW_SOCKET, K_RB), C_CLASS(IW_SOCKET, K_WB), C_FSYNCS,
	C_ABSORBED, C_KWRITE_BYTES,
};

static void
a_history(struct jbuf *j, const struct request *rq, uid_t client)
{
	char sql[8192], tmp[256];
	const int *fields = rq->nfields ? rq->fields : hist_default;
	int nf = rq->nfields ? rq->nfields :
	    (int)(sizeof(hist_default) / sizeof(hist_default[0]));
	int hourly, c, rc;
	int64_t step = rq->step, npts;
	sqlite3_stmt *st;

	/* Hourly rows when asked for (step >= 1 h) or beyond minute rows. */
	hourly = step >= 3600 || rq->from < (int64_t)time(NULL) -
	    (int64_t)D.cfg.keep_minutes * 86400;
	if (step <= 0)
		step = hourly ? 3600 : D.cfg.window;
	if (hourly)
		step = (step + 3599) / 3600 * 3600;
	npts = (rq->to - rq->from) / step;
	if (npts > REQ_POINTS_MAX) {
		err_reply(j, "too many points: raise step= or narrow the range");
		return;
	}
	(void)store_commit_staged(D.st);
	snprintf(sql, sizeof(sql), "SELECT x.ts / %lld * %lld AS b",
	    (long long)step, (long long)step);
	for (c = 0; c < nf; c++) {
		snprintf(tmp, sizeof(tmp), ", total(x.%s)", pc_names[fields[c]]);
		strlcat(sql, tmp, sizeof(sql));
	}
	/* exe=: the per-executable tables, one row per window or hour. */
	if (rq->pid >= 0)
		snprintf(tmp, sizeof(tmp), " FROM %s x JOIN images i ON"
		    " i.id = x.image WHERE i.pid = ?4 AND", hourly ?
		    "proc_hour" : "proc_min");
	else
		snprintf(tmp, sizeof(tmp), " FROM %s x WHERE x.exe = ?4 AND",
		    hourly ? "exe_hour" : "exe_min");
	strlcat(sql, tmp, sizeof(sql));
	strlcat(sql, " x.ts >= ?1 AND x.ts < ?2 AND (?3 < 0 OR x.uid = ?3)",
	    sizeof(sql));
	strlcat(sql, " GROUP BY b ORDER BY b", sizeof(sql));
	if (sqlite3_prepare_v2(store_db(D.st), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
		return;
	}
	sqlite3_bind_int64(st, 1, rq->from);
	sqlite3_bind_int64(st, 2, rq->to);
	sqlite3_bind_int64(st, 3, client == 0 ? -1 : (int64_t)client);
	if (rq->pid >= 0)
		sqlite3_bind_int64(st, 4, rq->pid);
	else
		sqlite3_bind_text(st, 4, rq->exe, -1, SQLITE_STATIC);
	jb_obj(j);
	if (rq->pid >= 0)
		jb_ki64(j, "pid", rq->pid);
	else
		jb_kstr(j, "exe", rq->exe);
	jb_ki64(j, "from", rq->from);
	jb_ki64(j, "to", rq->to);
	jb_ki64(j, "step", step);
	jb_kstr(j, "source", hourly ? "hour" : "minute");
	jb_key(j, "points");
	jb_arr(j);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jb_obj(j);
		jb_ki64(j, "ts", sqlite3_column_int64(st, 0));
		for (c = 0; c < nf; c++)
			jb_ku64(j, pc_names[fields[c]],
			    (uint64_t)sqlite3_column_double(st, 1 + c));
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	if (rc != SQLITE_DONE)
		err_reply(j, sqlite3_errmsg(store_db(D.st)));
	sqlite3_finalize(st);
}

/* ---- admin ---- */

static int
admin(uid_t client)
{
	return client == 0 || client == D.euid;
}

static void
a_checkpoint(struct jbuf *j, const struct request *rq)
{
	struct ckpt_info ci;
	int rc = store_checkpoint(D.st, rq->mode, &ci);

	if (rc != 0) {
		err_reply(j, sqlite3_errstr(ci.rc));
		return;
	}
	jb_obj(j);
	jb_kstr(j, "checkpoint", ci.mode);
	jb_kbool(j, "busy", ci.rc == SQLITE_BUSY);
	jb_ki64(j, "log_frames", ci.log_frames);
	jb_ki64(j, "checkpointed_frames", ci.ckpt_frames);
	jb_kdbl(j, "ms", ci.ms);
	jb_endobj(j);
}

static void
a_flush(struct jbuf *j)
{
	int rc = collector_flush(0);

	jb_obj(j);
	jb_kbool(j, "flushed", rc == 0);
	jb_ku64(j, "windows_stored", store_windows(D.st));
	jb_kstr(j, "state", store_ok(D.st) ? "ok" : "failing");
	jb_endobj(j);
}

static void
a_help(struct jbuf *j)
{
	jb_obj(j);
	jb_key(j, "requests");
	jb_arr(j);
	jb_str(j, "health");
	jb_str(j, "top [by=process|exe|file] [sort=COUNTER] [limit=N] "
	    "[from=TIME to=TIME | totals=1]");
	jb_str(j, "process PID");
	jb_str(j, "files PID [sort=COUNTER] [limit=N]");
	jb_str(j, "history pid=PID|exe=PATH [from=TIME] [to=TIME] [step=SECS] "
	    "[fields=A,B]");
	jb_str(j, "checkpoint passive|full|restart|truncate");
	jb_str(j, "flush");
	jb_endarr(j);
	jb_endobj(j);
}

void
query_answer(const char *line, size_t len, uid_t client, struct jbuf *j)
{
	struct request rq;
	char err[256];

	D.queries++;
	if (req_parse(line, len, time(NULL), &rq, err, sizeof(err)) != 0) {
		err_reply(j, err);
		return;
	}
	if (rq.sort < 0 && rq.verb == RQ_TOP)
		rq.sort = rq.by == BY_FILE ? F_WRITE_BYTES :
		    C_CLASS(IW_DISK, K_WB);
	switch (rq.verb) {
	case RQ_HEALTH:
		a_health(j);
		break;
	case RQ_TOP:
		if (rq.has_from)
			a_top_range(j, &rq, client);
		else
			a_top_live(j, &rq, client);
		break;
	case RQ_PROCESS:
		a_process(j, &rq, client);
		break;
	case RQ_FILES:
		a_files(j, &rq, client);
		break;
	case RQ_HISTORY:
		a_history(j, &rq, client);
		break;
	case RQ_CHECKPOINT:
		if (!admin(client))
			err_reply(j, "permission denied");
		else
			a_checkpoint(j, &rq);
		break;
	case RQ_FLUSH:
		if (!admin(client))
			err_reply(j, "permission denied");
		else
			a_flush(j);
		break;
	default:
		a_help(j);
		break;
	}
	if (jb_failed(j))
		err_reply(j, "reply too large");
}
