/*
 * metrics.c - GET /metrics: the Prometheus text format 0.0.4.
 *
 * Per-executable totals.  metrics_observe() is called by the live table
 * (aggregate.c) on the main thread whenever an image's cumulative counters
 * move; the movement is added to the image's executable here, in a table
 * that is never emptied while the collector runs, so a counter keeps what
 * ended processes did and only ever goes up.  The live table lets a
 * counter only rise (sat.h), and the store stores the same rises, so
 * /metrics and the database count by one rule; totals saturate at 2^63 - 1
 * (a counter that stops, never one that wraps and reads as a reset).
 * The table holds at most METRICS_MAX_EXES executables, a quarter of
 * them at most first reported by uids that are not administrators (so
 * they cannot take every place and push root's next executables into
 * "(other)" for good); movements of further ones go straight to the
 * "(other)" totals.
 *
 * Bounded cardinality with monotonic counters.  At every render the
 * executables are ranked by disk write bytes since start (then by all
 * bytes, then by name) and the first N get their own series.  For every
 * executable not in the top N, what it did since the previous render is
 * moved to its "shadow", and (other) is the sum of all shadows plus the
 * overflow totals.  An executable's own series shows total - shadow, which
 * does not move while it is out of the top N.  So every series only goes
 * up, nothing is counted twice, and the series of a metric add up to the
 * machine's total (an executable that drops out simply stops updating).
 *
 * Everything here runs on the collector's single thread (the HTTP server
 * is driven from the main poll loop), so there is no locking.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "hreason.h"
#include "import.h"
#include "impstats.h"
#include "ioshimd.h"
#include "metrics.h"
#include "sat.h"

#define NBUCKET		2048		/* hash buckets, power of two */

struct exe {
	struct exe	*hnext;
	char		*name;		/* valid UTF-8, never "(other)" */
	uint64_t	 total[NPC];	/* since the collector started */
	uint64_t	 seen[NPC];	/* total at the previous render */
	uint64_t	 shadow[NPC];	/* moved to (other) */
};

static struct {
	int		 top;
	struct exe	*bucket[NBUCKET];
	struct exe	**all;
	size_t		 n;
	size_t		 users;		/* entries made for other uids */
	uint64_t	 overflow[NPC];	/* executables beyond the table */
	uint64_t	 overflow_events;
} M;

/* ---- the table ---- */

int
metrics_init(int top)
{
	if (top < 1 || top > METRICS_TOP_MAX)
		return -1;
	M.top = top;
	M.all = calloc(METRICS_MAX_EXES, sizeof(*M.all));
	return M.all == NULL ? -1 : 0;
}

void
metrics_free(void)
{
	size_t i;

	for (i = 0; i < M.n; i++) {
		free(M.all[i]->name);
		free(M.all[i]);
	}
	free(M.all);
	memset(&M, 0, sizeof(M));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * The label value of an executable: invalid UTF-8 bytes become '?' (the
 * text format requires UTF-8); names that could be mistaken for ours get
 * brackets.  Done before the lookup, so names that map to the same label
 * share one entry and no series is duplicated.
 */
static void
exe_label(const char *exe, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)exe;
	size_t n = strnlen(exe, IW_EXE_MAX), i = 0, o = 0, l;

	if (n == 0) {
		snprintf(out, size, "(unknown)");
		return;
	}
	while (i < n && o + 5 < size) {
		if ((l = utf8_len(s + i, n - i)) == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	if (strcmp(out, "(other)") == 0 || strcmp(out, "(unknown)") == 0)
		snprintf(out, size, "[%s]", exe);
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The entry for name, created if there is room (for an image of uid);
 * NULL = count in (other). */
static struct exe *
lookup(const char *name, uid_t uid)
{
	size_t b = (size_t)(hash(name) & (NBUCKET - 1));
	struct exe *e;

	for (e = M.bucket[b]; e != NULL; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			return e;
	if (M.n >= METRICS_MAX_EXES || (!ub_admin(uid) &&
	    M.users >= METRICS_MAX_EXES / 4))
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->name = strdup(name)) == NULL) {
		free(e);
		return NULL;
	}
	e->hnext = M.bucket[b];
	M.bucket[b] = e;
	M.all[M.n++] = e;
	M.users += !ub_admin(uid);
	return e;
}

void
metrics_observe(void *ctx, const struct image *im, const uint64_t old[NPC])
{
	char name[IW_EXE_MAX * 2];
	uint64_t d[NPC], *to;
	struct exe *e;
	int c, any = 0;

	if (M.all == NULL)
		return;
	for (c = 0; c < NPC; c++) {
		d[c] = dlt(im->cur[c], old[c]);	/* at most SAT_RISE_MAX */
		any |= d[c] != 0;
	}
	if (!any)
		return;
	exe_label(im->exe, name, sizeof(name));
	if ((e = lookup(name, im->uid)) != NULL) {
		to = e->total;
	} else {
		to = M.overflow;
		M.overflow_events++;
	}
	for (c = 0; c < NPC; c++)
		to[c] = sat_add(to[c], d[c]);
}

/* ---- output buffer ---- */

struct out {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t need, ncap;
	char *np;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	need = o->len + (size_t)n + 1;
	if (need > o->cap) {
		for (ncap = o->cap * 2; ncap < need; ncap *= 2)
			;
		if ((np = realloc(o->p, ncap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = np;
		o->cap = ncap;
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
	}
	o->len += (size_t)n;
}

void
metrics_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < size; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void
head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(struct out *o, const char *name, const char *type, const char *help,
    uint64_t v)
{
	head(o, name, type, help);
	put(o, "%s %" PRIu64 "\n", name, v);
}

/* ---- the collector's own metrics ---- */

static void
proc_self(uint64_t *wbytes, uint64_t *wchar, uint64_t *rss)
{
	char line[256];
	FILE *f;

	*wbytes = *wchar = *rss = 0;
	if ((f = fopen("/proc/self/io", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "write_bytes:", 12) == 0)
				*wbytes = strtoull(line + 12, NULL, 10);
			else if (strncmp(line, "wchar:", 6) == 0)
				*wchar = strtoull(line + 6, NULL, 10);
		}
		fclose(f);
	}
	if ((f = fopen("/proc/self/status", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "VmRSS:", 6) == 0)
				*rss = strtoull(line + 6, NULL, 10) * 1024;
		fclose(f);
	}
}

static void
own(struct out *o)
{
	const struct agg_stats *as = agg_stats(D.agg);
	struct store_stats ss;
	uint64_t wb, wc, rss, dropped;
	int f;

	store_stats(D.st, &ss);
	proc_self(&wb, &wc, &rss);
	dropped = D.in.malformed + D.in.oversized + D.in.no_creds +
	    as->refused_images + as->bad_identity;

	head(o, "ioshim_collector_build_info", "gauge",
	    "Version of ioshimd, as a label; always 1.");
	put(o, "ioshim_collector_build_info{version=\"%s\"} 1\n",
	    IOSHIMD_VERSION);
	one(o, "ioshim_collector_start_time_seconds", "gauge",
	    "When ioshimd started, seconds since the Unix epoch.",
	    (uint64_t)D.started);
	one(o, "ioshim_collector_window_seconds", "gauge",
	    "Length of a stored window in seconds.", (uint64_t)D.cfg.window);
	one(o, "ioshim_collector_messages_received_total", "counter",
	    "Datagrams received from shims.", D.in.received);
	one(o, "ioshim_collector_messages_accepted_total", "counter",
	    "Datagrams that passed validation.", D.in.accepted);
	one(o, "ioshim_collector_messages_dropped_total", "counter",
	    "Datagrams dropped: malformed, oversized, without credentials, "
	    "refused by a bound or with a false identity.", dropped);
	one(o, "ioshim_collector_messages_malformed_total", "counter",
	    "Datagrams that failed validation.", D.in.malformed);
	one(o, "ioshim_collector_messages_stale_total", "counter",
	    "Reports ignored because a newer one was already applied.",
	    as->stale);
	one(o, "ioshim_collector_received_bytes_total", "counter",
	    "Bytes of datagrams received from shims.", D.in.bytes);
	one(o, "ioshim_collector_images", "gauge",
	    "Process images held in memory.", agg_count(D.agg));
	one(o, "ioshim_collector_images_live", "gauge",
	    "Process images in memory that have not ended.", agg_live(D.agg));
	one(o, "ioshim_collector_windows_stored_total", "counter",
	    "Window transactions committed to SQLite.", ss.windows);
	one(o, "ioshim_collector_rows_stored_total", "counter",
	    "Rows written to SQLite by window flushes.", ss.rows);
	one(o, "ioshim_collector_flush_failures_total", "counter",
	    "Window transactions that failed (counts kept in memory).",
	    ss.failures);
	one(o, "ioshim_collector_database_ok", "gauge",
	    "1 if the last window was stored, 0 if it failed.",
	    (uint64_t)(ss.ok != 0));
	head(o, "ioshim_collector_database_bytes", "gauge",
	    "Room the database takes on disk in bytes (allocated blocks, as "
	    "du counts them), by file: the database, its WAL and its "
	    "shared-memory index; the sum is the footprint.");
	for (f = 0; f < STORE_NFILES; f++)
		put(o, "ioshim_collector_database_bytes{file=\"%s\"} %" PRIu64
		    "\n", store_file_names[f],
		    (uint64_t)(ss.disk[f] > 0 ? ss.disk[f] : 0));
	one(o, "ioshim_collector_wal_bytes", "gauge",
	    "Size of the SQLite write-ahead log in bytes.",
	    (uint64_t)(ss.wal_bytes > 0 ? ss.wal_bytes : 0));
	one(o, "ioshim_collector_checkpoints_total", "counter",
	    "WAL checkpoints run.", ss.checkpoints);
	one(o, "ioshim_collector_write_bytes_total", "counter",
	    "Bytes ioshimd itself caused to be written to storage "
	    "(/proc/self/io write_bytes).", wb);
	one(o, "ioshim_collector_write_call_bytes_total", "counter",
	    "Bytes ioshimd itself passed to write calls (/proc/self/io wchar).",
	    wc);
	one(o, "ioshim_collector_resident_memory_bytes", "gauge",
	    "Resident memory of ioshimd in bytes.", rss);
	one(o, "ioshim_collector_table_bytes", "gauge",
	    "Memory held by the live table in bytes.", (uint64_t)agg_mem(D.agg));
	one(o, "ioshim_collector_queries_total", "counter",
	    "Requests answered on the query socket and /health.", D.queries);
	head(o, "ioshim_collector_query_refusals_total", "counter",
	    "Query clients refused by a bound, by bound (health "
	    "query_refusals).");
	for (f = 0; f < HR_NBOUND; f++)
		put(o, "ioshim_collector_query_refusals_total{bound=\"%s\"} %"
		    PRIu64 "\n", hr_bound_names[f], hr_refusals(f));
	one(o, "ioshim_collector_http_requests_total", "counter",
	    "HTTP requests answered.", D.http_requests);
	one(o, "ioshim_collector_executables", "gauge",
	    "Executables with per-executable totals in memory.",
	    (uint64_t)M.n);
	one(o, "ioshim_collector_executables_overflow_total", "counter",
	    "Counter movements of executables beyond the table, summed in "
	    "(other).", M.overflow_events);
	one(o, "ioshim_collector_metrics_top", "gauge",
	    "Executables that get their own series (--metrics-top).",
	    (uint64_t)M.top);
}

/*
 * Imported exit reports (impstats.c): history that arrives in bulk, kept
 * out of the per-executable series so that their rates stay the live
 * machine's; records by outcome, batches and bytes by class since start.
 */
static void
imported(struct out *o)
{
	const struct imp_stats *is = impstats();
	int64_t files = -1;
	int k, cls;

	head(o, "ioshim_imported_records_total", "counter", "Exit-report "
	    "records sent by ioshim import: stored, already known (stored "
	    "before or seen live), older than the retention, or bad lines "
	    "skipped.");
	put(o, "ioshim_imported_records_total{result=\"stored\"} %" PRIu64
	    "\n", is->stored);
	put(o, "ioshim_imported_records_total{result=\"known\"} %" PRIu64
	    "\n", is->known);
	put(o, "ioshim_imported_records_total{result=\"expired\"} %" PRIu64
	    "\n", is->expired);
	put(o, "ioshim_imported_records_total{result=\"bad\"} %" PRIu64 "\n",
	    is->bad);
	head(o, "ioshim_import_batches_total", "counter", "Batches of ioshim "
	    "import: stored (one transaction each) or refused (a bound, a "
	    "moved position, a database error).");
	put(o, "ioshim_import_batches_total{result=\"stored\"} %" PRIu64
	    "\n", is->batches);
	put(o, "ioshim_import_batches_total{result=\"refused\"} %" PRIu64
	    "\n", is->refused);
	one(o, "ioshim_import_last_timestamp_seconds", "gauge", "When the "
	    "last import batch was stored, seconds since the Unix epoch; 0: "
	    "none since ioshimd started.", (uint64_t)is->last);
	if (D.st != NULL && impstore_files(D.st, &files) == 0 && files >= 0)
		one(o, "ioshim_import_files_tracked", "gauge", "Files whose "
		    "import position ioshimd keeps (import_pos).",
		    (uint64_t)files);
	for (k = K_RB; k <= K_WB; k++) {
		const char *name = k == K_RB ? "ioshim_imported_read_bytes_total"
		    : "ioshim_imported_write_bytes_total";

		head(o, name, "counter", k == K_RB ? "Bytes read by the "
		    "processes of imported records, by file class (not in "
		    "ioshim_read_bytes_total)." : "Bytes written by the "
		    "processes of imported records, by file class (not in "
		    "ioshim_write_bytes_total).");
		for (cls = 0; cls < IW_NCLASS; cls++)
			put(o, "%s{class=\"%s\"} %" PRIu64 "\n", name,
			    class_names[cls], is->v[C_CLASS(cls, k)]);
	}
}

/* ---- per executable ---- */

struct series {
	const char	*name;
	const char	*help;
	int		 k;		/* K_* per class, or -1 */
	int		 c;		/* counter index when k == -1 */
};

static const struct series S[] = {
	{ "ioshim_read_bytes_total", "Bytes read, by executable and file "
	    "class, since ioshimd started.", K_RB, 0 },
	{ "ioshim_write_bytes_total", "Bytes written, by executable and file "
	    "class, since ioshimd started.", K_WB, 0 },
	{ "ioshim_reads_total", "Read calls, by executable and file class.",
	    K_R, 0 },
	{ "ioshim_writes_total", "Write calls the program made, by "
	    "executable and file class.", K_W, 0 },
	{ "ioshim_opens_total", "Files opened, by executable.", -1, C_OPENS },
	{ "ioshim_fsyncs_total", "fsync and fdatasync calls, by executable.",
	    -1, C_FSYNCS },
	{ "ioshim_coalesced_writes_total", "Writes held back and merged by "
	    "the shim's coalescer, by executable.", -1, C_ABSORBED },
	{ "ioshim_flushes_total", "Write system calls the coalescer made to "
	    "flush merged writes, by executable.", -1, C_FLUSH_SYSCALLS },
	{ "ioshim_flush_bytes_total", "Bytes the coalescer flushed, by "
	    "executable.", -1, C_FLUSH_BYTES },
	{ "ioshim_debounce_saves_absorbed_total", "Debounced saves of a "
	    "file never written (a newer state came first), by executable.",
	    -1, C_SAVES_ABSORBED },
	{ "ioshim_debounce_saves_written_total", "Debounced files' saves "
	    "that reached the file, by executable.", -1, C_SAVES_WRITTEN },
	{ "ioshim_debounce_bytes_saved_total", "Bytes of the debounced "
	    "saves never written, by executable.", -1, C_BYTES_SAVED },
	{ "ioshim_storage_read_bytes_total", "Bytes read from storage "
	    "(/proc/PID/io read_bytes, sampled each window), by executable.",
	    -1, C_KREAD_BYTES },
	{ "ioshim_storage_write_bytes_total", "Bytes sent to storage "
	    "(/proc/PID/io write_bytes, sampled each window), by executable.",
	    -1, C_KWRITE_BYTES },
};
#define NSERIES	(sizeof(S) / sizeof(S[0]))

static uint64_t
allbytes(const struct exe *e)
{
	uint64_t v = 0;
	int c;

	for (c = 0; c < IW_NCLASS; c++)
		v = sat_add(v, sat_add(e->total[C_CLASS(c, K_RB)],
		    e->total[C_CLASS(c, K_WB)]));
	return v;
}

static int
rank_cmp(const void *a, const void *b)
{
	const struct exe *x = *(const struct exe *const *)a;
	const struct exe *y = *(const struct exe *const *)b;
	int dw = C_CLASS(IW_DISK, K_WB);
	uint64_t ax, ay;

	if (x->total[dw] != y->total[dw])
		return x->total[dw] > y->total[dw] ? -1 : 1;
	ax = allbytes(x);
	ay = allbytes(y);
	if (ax != ay)
		return ax > ay ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
sample(struct out *o, const char *name, const char *exe, const char *cls,
    uint64_t v)
{
	if (cls != NULL)
		put(o, "%s{exe=\"%s\",class=\"%s\"} %" PRIu64 "\n", name, exe,
		    cls, v);
	else
		put(o, "%s{exe=\"%s\"} %" PRIu64 "\n", name, exe, v);
}

/*
 * One metric: the top executables (zero samples left out: a counter that
 * is 0 has never moved), then (other), whose disk class (or only sample)
 * is always present so that every metric has a series to query.
 */
static void
per_exe(struct out *o, const struct series *s, struct exe **top, size_t ntop,
    const uint64_t *other, char *esc, size_t escsz)
{
	size_t i;
	int cls, c;
	uint64_t v;

	head(o, s->name, "counter", s->help);
	for (i = 0; i < ntop; i++) {
		metrics_escape(top[i]->name, esc, escsz);
		for (cls = 0; cls < (s->k >= 0 ? IW_NCLASS : 1); cls++) {
			c = s->k >= 0 ? C_CLASS(cls, s->k) : s->c;
			v = top[i]->total[c] - top[i]->shadow[c];
			if (v != 0)
				sample(o, s->name, esc, s->k >= 0 ?
				    class_names[cls] : NULL, v);
		}
	}
	for (cls = 0; cls < (s->k >= 0 ? IW_NCLASS : 1); cls++) {
		c = s->k >= 0 ? C_CLASS(cls, s->k) : s->c;
		if (other[c] != 0 || cls == IW_DISK)
			sample(o, s->name, "(other)", s->k >= 0 ?
			    class_names[cls] : NULL, other[c]);
	}
}

char *
metrics_render(size_t *len)
{
	struct out o = { NULL, 0, 0, 0 };
	struct exe **rank;
	uint64_t other[NPC];
	char esc[IW_EXE_MAX * 4], *hist;
	size_t i, ntop;
	int c;

	if (M.all == NULL)
		return NULL;
	if ((o.p = malloc(16384)) == NULL)
		return NULL;
	o.cap = 16384;
	o.p[0] = '\0';
	if ((rank = malloc((M.n + 1) * sizeof(*rank))) == NULL) {
		free(o.p);
		return NULL;
	}
	memcpy(rank, M.all, M.n * sizeof(*rank));
	qsort(rank, M.n, sizeof(*rank), rank_cmp);
	ntop = M.n < (size_t)M.top ? M.n : (size_t)M.top;
	/* Out of the top N: what moved since the last render goes to (other). */
	memcpy(other, M.overflow, sizeof(other));
	for (i = 0; i < M.n; i++) {
		for (c = 0; c < NPC; c++) {
			if (i >= ntop)
				rank[i]->shadow[c] += rank[i]->total[c] -
				    rank[i]->seen[c];
			rank[i]->seen[c] = rank[i]->total[c];
			other[c] = sat_add(other[c], rank[i]->shadow[c]);
		}
	}
	own(&o);
	imported(&o);
	for (i = 0; i < NSERIES; i++)
		per_exe(&o, &S[i], rank, ntop, other, esc, sizeof(esc));
	free(rank);
	if ((hist = mhist_render()) == NULL)
		o.failed = 1;
	else
		put(&o, "%s", hist);
	free(hist);
	if (o.failed) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}
