/*
 * cmd_import.c - "ioshim import [--follow] [--batch N] [--socket PATH]
 * [--host NAME] FILE...": send the records of exit-report files
 * (IOSHIM_REPORT) to ioshimd, which stores them as history.
 *
 * For each file: ask the collector where this uid's import of it stopped
 * (import-pos), check that position against the file (impfile.c), send
 * the whole lines after it in batches of up to N records (or what came in
 * BATCH_SECS, with --follow), each with its new position: the collector
 * commits records and position together and acknowledges the batch.  A
 * partial last line waits for the next run.  --follow keeps reading as
 * the files grow, like tail -F: a file renamed away is read to its end,
 * then the new file at the name from its start.  docs/collector.md,
 * "Importing exit reports".
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "client.h"
#include "impconn.h"
#include "impfile.h"
#include "ioshim.h"
#include "jv.h"

#define BODY_MAX	(4u << 20)	/* bytes of records in one batch (the
					   collector takes 4 MiB from anyone) */
#define BATCH_SECS	2		/* --follow: a batch waits at most */
#define POLL_MS		250		/* --follow: look for more this often */

struct opts {
	const char	*sock;
	const char	*host;
	int		 follow;
	long long	 batch;
};

struct totals {
	uint64_t	 stored, known, expired, bad, files_over;
	int		 errors;	/* files that failed */
};

/* The path as a request word: bytes that are blanks, '%', controls or
 * not ASCII as %XX. */
static void
encode_path(const char *path, char *out, size_t sz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != '\0' && o + 4 < sz; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

static int
get_pos(struct impfile *f, struct impf_pos *pos)
{
	char req[128];
	struct jv *r;

	snprintf(req, sizeof(req), "import-pos dev=%llu ino=%llu",
	    (unsigned long long)f->dev, (unsigned long long)f->ino);
	if ((r = ic_exchange(req, NULL, 0)) == NULL)
		return -1;
	if (jv_error(r) != NULL) {
		warnx("import: %s: %s", f->path, jv_error(r));
		jv_free(r);
		return -1;
	}
	memset(pos, 0, sizeof(*pos));
	pos->found = jv_get(r, "found") != NULL && jv_num(r, "found") != 0;
	pos->off = (int64_t)jv_u64(r, "off");
	pos->line = (int64_t)jv_u64(r, "line");
	pos->size = (int64_t)jv_u64(r, "size");
	pos->head = strtoull(jv_str(r, "head"), NULL, 16);
	pos->tail = strtoull(jv_str(r, "tail"), NULL, 16);
	jv_free(r);
	return 0;
}

/* A batch being filled: the lines of [from, to) of one file. */
struct batch {
	char		*body;
	size_t		 len, cap;
	int64_t		 from, line;	/* where it starts, lines before */
	long long	 records;
	time_t		 since;		/* its first record */
};

static int
batch_add(struct batch *b, const char *p, size_t n)
{
	char *nb;

	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->len + n + 1) * 2;

		if ((nb = realloc(b->body, ncap)) == NULL)
			return -1;
		b->body = nb;
		b->cap = ncap;
	}
	memcpy(b->body + b->len, p, n);
	b->body[b->len + n] = '\n';
	b->len += n + 1;
	return 0;
}

static void
tally(const char *path, struct jv *r, struct totals *t)
{
	const struct jv *e = jv_get(r, "errors");
	size_t i;

	t->stored += jv_u64(r, "stored");
	t->known += jv_u64(r, "known");
	t->expired += jv_u64(r, "expired");
	t->bad += jv_u64(r, "bad");
	t->files_over += jv_u64(r, "files_over");
	for (i = 0; e != NULL && e->type == JV_ARR && i < e->n; i++)
		fprintf(stderr, "ioshim import: %s:%llu: %s (line skipped)\n",
		    path, (unsigned long long)jv_u64(&e->kids[i], "line"),
		    jv_str(&e->kids[i], "error"));
	if (jv_u64(r, "bad") > (e != NULL ? e->n : 0))
		fprintf(stderr, "ioshim import: %s: %llu more bad lines in "
		    "that batch\n", path, (unsigned long long)(jv_u64(r,
		    "bad") - (e != NULL ? e->n : 0)));
}

/*
 * Batches are pipelined one deep: batch k+1 is sent before the reply to
 * batch k is read, so the file is read while the collector stores.  The
 * collector takes a batch only where the last one ended, so if batch k
 * failed, k+1 is refused too ("position moved") and nothing is skipped.
 */
static int inflight;	/* a batch whose reply is not read yet */

/* The reply to a batch: 0 stored, 1 the position moved, -1 failed. */
static int
batch_reply(const char *path, struct totals *t)
{
	struct jv *r;
	int rc = 0;

	inflight = 0;
	if ((r = ic_reply()) == NULL)
		return -1;
	if (jv_error(r) != NULL) {
		rc = strncmp(jv_error(r), "position moved", 14) == 0 ? 1 : -1;
		if (rc < 0)
			warnx("import: %s: %s", path, jv_error(r));
	} else
		tally(path, r, t);
	jv_free(r);
	return rc;
}

/* Read the reply still due, if any; rc: the caller's result so far. */
static int
drain(const char *path, struct totals *t, int rc)
{
	int r2;

	if (!inflight)
		return rc;
	r2 = batch_reply(path, t);
	if (rc == 0)
		return r2;
	return rc < 0 || r2 < 0 ? -1 : rc;
}

/* Send the batch (lines up to f->done); 0 ok, -1 failed, 1 the stored
 * position moved (the file must be looked at again). */
static int
send_batch(const struct opts *o, struct impfile *f, struct batch *b,
    struct totals *t)
{
	char req[2048], path[1024], ids[64] = "";
	uint64_t head, tail;
	int rc = 0;

	if (f->done == b->from)
		return 0;
	if (impf_hashes(f, f->done, &head, &tail) != 0) {
		warn("import: %s", f->path);
		return -1;
	}
	encode_path(f->path, path, sizeof(path));
	if (geteuid() == 0)	/* root keeps the file owner's uid */
		snprintf(ids, sizeof(ids), " uid=%u gid=%u", (unsigned)f->uid,
		    (unsigned)f->gid);
	snprintf(req, sizeof(req), "import dev=%llu ino=%llu from=%lld to=%lld"
	    " line=%lld size=%lld head=%016llx tail=%016llx host=%s path=%s%s"
	    " bytes=%zu", (unsigned long long)f->dev,
	    (unsigned long long)f->ino, (long long)b->from, (long long)f->done,
	    (long long)b->line, (long long)impf_size(f),
	    (unsigned long long)head, (unsigned long long)tail, o->host, path,
	    ids, b->len);
	if (ic_send(req, b->body, b->len) != 0)
		return -1;
	if (inflight)
		rc = batch_reply(f->path, t);
	inflight = 1;
	b->len = 0;
	b->records = 0;
	b->from = f->done;
	b->line = f->line;
	return rc;
}

/*
 * Read f from its position to its end (what is there now), sending
 * batches; the last partial batch too unless follow (then it waits up to
 * BATCH_SECS).  0 ok, -1 error, 1 look at the file again.
 */
static int
pump(const struct opts *o, struct impfile *f, struct batch *b,
    struct totals *t, int final)
{
	const char *p;
	size_t n, toolong;
	int64_t lno;
	int r, rc;

	while ((r = impf_next(f, &p, &n, &lno, &toolong)) == 1) {
		if (toolong > 0) {
			fprintf(stderr, "ioshim import: %s:%lld: line too long "
			    "(%zu bytes) (line skipped)\n", f->path,
			    (long long)lno, toolong);
			t->bad++;
		}
		if (batch_add(b, p, n) != 0)
			return -1;
		if (n > 0 && b->records++ == 0)
			b->since = time(NULL);
		if ((b->records >= o->batch || b->len >= BODY_MAX) &&
		    (rc = send_batch(o, f, b, t)) != 0)
			return drain(f->path, t, rc);
	}
	if (r < 0) {
		warn("import: %s", f->path);
		return drain(f->path, t, -1);
	}
	rc = 0;
	if (final || b->records == 0 || time(NULL) - b->since >= BATCH_SECS)
		rc = send_batch(o, f, b, t);
	return drain(f->path, t, rc);
}

/* Open path and find where to start in it; 0 ok, -1 error. */
static int
start_file(struct impfile *f, const char *path, struct batch *b)
{
	struct impf_pos pos;
	int rc;

	if (impf_open(f, path) != 0)
		return -1;
	if (get_pos(f, &pos) != 0) {
		impf_close(f);
		errno = 0;
		return -1;
	}
	if ((rc = impf_resume(f, &pos)) < 0) {
		impf_close(f);
		return -1;
	}
	if (rc == 0 && pos.found && pos.off > 0)
		fprintf(stderr, "ioshim import: %s: truncated or replaced since"
		    " the last import; reading it from the start\n", path);
	b->len = 0;
	b->records = 0;
	b->from = f->done;
	b->line = f->line;
	return 0;
}

static int
import_once(const struct opts *o, const char *path, struct totals *t)
{
	struct impfile f;
	struct batch b = { 0 };
	int rc, tries;

	for (tries = 0; tries < 3; tries++) {
		if (start_file(&f, path, &b) != 0) {
			if (errno != 0)
				warn("import: %s", path);
			free(b.body);
			return -1;
		}
		rc = pump(o, &f, &b, t, 1);
		impf_close(&f);
		if (rc != 1)
			break;
	}
	free(b.body);
	return rc == 0 ? 0 : -1;
}

/* --follow: one file followed by name. */
struct followed {
	const char	*path;
	struct impfile	 f;
	struct batch	 b;
	int		 open;
};

/* The file at the name is not the one open any more (rotated). */
static int
rotated(const struct followed *x)
{
	struct stat st;

	if (stat(x->path, &st) == -1)
		return 0;	/* gone for now: keep reading the old one */
	return st.st_dev != x->f.dev || st.st_ino != x->f.ino;
}

static void
follow_one(const struct opts *o, struct followed *x, struct totals *t)
{
	int rc;

	if (!x->open) {
		if (start_file(&x->f, x->path, &x->b) != 0)
			return;		/* not there yet, or no collector */
		x->open = 1;
	}
	if (impf_size(&x->f) < x->f.done) {
		fprintf(stderr, "ioshim import: %s: truncated; reading it from "
		    "the start\n", x->path);
		impf_close(&x->f);
		x->open = 0;
		return;
	}
	if (rotated(x)) {
		/* What the writer added before it moved on, then the new
		 * file: the old one's lines are all sent first. */
		(void)pump(o, &x->f, &x->b, t, 1);
		impf_close(&x->f);
		x->open = 0;
		return;
	}
	if ((rc = pump(o, &x->f, &x->b, t, 0)) != 0) {
		impf_close(&x->f);
		x->open = 0;
	}
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = sig;
}

static int
follow(const struct opts *o, char **paths, int n, struct totals *t)
{
	struct followed *v;
	int i;

	if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i++)
		v[i].path = paths[i];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		if (ic_connect(o->sock) != 0) {
			for (i = 0; i < n; i++)
				if (v[i].open) {
					impf_close(&v[i].f);
					v[i].open = 0;
				}
			sleep(1);
			continue;
		}
		for (i = 0; i < n && !stop; i++)
			follow_one(o, &v[i], t);
		poll(NULL, 0, POLL_MS);
	}
	for (i = 0; i < n; i++) {
		if (v[i].open && ic_connected())
			(void)pump(o, &v[i].f, &v[i].b, t, 1);
		if (v[i].open)
			impf_close(&v[i].f);
		free(v[i].b.body);
	}
	free(v);
	return 0;
}

static int
usage(FILE *f, int rc)
{
	fprintf(f, "usage: ioshim import [--follow] [--batch N] [--socket "
	    "PATH] [--host NAME] FILE...\n"
	    "  send the records of exit-report files (IOSHIM_REPORT) to "
	    "ioshimd;\n"
	    "  a file imported again sends only the lines added since\n"
	    "  --follow     keep reading as the files grow (tail -F)\n"
	    "  --batch N    records per transaction (default 100)\n"
	    "  --host NAME  the host the records came from (default: "
	    "unknown)\n");
	return rc;
}

static int
parse_opts(int argc, char **argv, struct opts *o, int *first)
{
	const char *e = NULL;
	int i;

	o->host = "unknown";
	o->batch = 100;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--follow") == 0 ||
		    strcmp(argv[i], "-f") == 0)
			o->follow = 1;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			o->batch = strtonum(argv[++i], 1, 10000, &e);
			if (e != NULL) {
				warnx("import: --batch %s: %s (1..10000)",
				    argv[i], e);
				return -1;
			}
		} else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
			o->host = argv[++i];
			if (strlen(o->host) == 0 || strlen(o->host) > 255 ||
			    strspn(o->host, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") !=
			    strlen(o->host)) {
				warnx("import: --host: letters, digits and "
				    ". - _ : only");
				return -1;
			}
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
		else {
			warnx("import: unknown option '%s'", argv[i]);
			return -1;
		}
	}
	*first = i;
	return 0;
}

int
cmd_import(int argc, char **argv)
{
	struct opts o = { 0 };
	struct totals t = { 0 };
	int i, first, rc;

	argc = client_socket_opt(argc, argv, &o.sock);
	if ((rc = parse_opts(argc, argv, &o, &first)) != 0)
		return rc > 0 ? usage(stdout, 0) : usage(stderr, 2);
	if (first >= argc)
		return usage(stderr, 2);
	if (ic_connect(o.sock) != 0 && !o.follow)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (o.follow)
		follow(&o, argv + first, argc - first, &t);
	else
		for (i = first; i < argc; i++)
			if (import_once(&o, argv[i], &t) != 0)
				t.errors++;
	ic_close();
	printf("imported %llu records (%llu known already, %llu older than "
	    "the retention, %llu lines skipped)\n", (unsigned long long)t.stored,
	    (unsigned long long)t.known, (unsigned long long)t.expired,
	    (unsigned long long)t.bad);
	return t.errors > 0 || t.bad > 0 ? 1 : 0;
}
