/*
 * import.c - the import requests of the query socket (`ioshim import`,
 * tools/cmd_import.c):
 *
 *   import-pos dev=D ino=I
 *	where this uid's import of that file stopped (import_pos);
 *   import dev=D ino=I from=OFF to=OFF line=L size=S head=H tail=T
 *	host=NAME [path=P] [uid=U gid=G] bytes=B, then B bytes of records
 *	a batch: the lines of [from, to) parsed (imprec.c) and stored
 *	(impstore.c) with the new position, in one transaction, one reply.
 *
 * The position moves only from where it is (from = its off) or from 0
 * (the client found the file truncated or replaced), so a batch sent
 * twice (its reply lost to a crash) is refused, not stored twice.
 * docs/collector.md, "Importing exit reports".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "import.h"
#include "impstats.h"
#include "ioshimd.h"
#include "log.h"
#include "query_impl.h"
#include "ubound.h"

#define BAD_LISTED	100		/* bad lines named in one reply */
#define USER_BATCH_MAX	1000		/* records a batch of a non-admin */
#define UID_TABLE	64

struct args {
	int		 pos;		/* import-pos */
	int64_t		 dev, ino, from, to, line, size, uid, gid;
	uint64_t	 head, tail;
	int		 has_uid;
	size_t		 bytes;
	char		 host[IMP_HOST_MAX];
	char		 path[1024];
};

/* Records imported this hour per uid (non-administrators). */
static struct {
	uid_t		 uid;
	int64_t		 hour;
	uint64_t	 n;
} budget[UID_TABLE];

static int
word_is(const char *w, size_t n, const char *verb)
{
	return strlen(verb) == n && memcmp(w, verb, n) == 0;
}

/* The digits of a bytes= value (not NUL-terminated); more than
 * IMP_BODY_MAX (or not a number) reads as IMP_BODY_MAX + 1: refused. */
static size_t
bytes_of(const char *p, size_t n)
{
	size_t v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || v > IMP_BODY_MAX)
			return (size_t)IMP_BODY_MAX + 1;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	return v > IMP_BODY_MAX ? (size_t)IMP_BODY_MAX + 1 : v;
}

int
import_is_request(const char *line, size_t len, size_t *body)
{
	const char *p = line, *e = line + len, *w;
	size_t n;

	*body = 0;
	for (n = 0; n < len && line[n] != ' ' && line[n] != '\t'; n++)
		;			/* the line has no NUL: len bounds it */
	if (!word_is(line, n, "import") && !word_is(line, n, "import-pos"))
		return 0;
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		w = p;
		while (p < e && *p != ' ' && *p != '\t')
			p++;
		if (p - w > 6 && memcmp(w, "bytes=", 6) == 0)
			*body = bytes_of(w + 6, (size_t)(p - w) - 6);
	}
	return 1;
}

static int
num(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long x;

	x = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int
hostname_ok(const char *h)
{
	size_t i;

	for (i = 0; h[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_:", h[i]) == NULL)
			return 0;
	return i > 0;
}

static int
arg(struct args *a, const char *k, const char *v, char *err, size_t esz)
{
	int64_t x = 0;
	int rc = 0;

	if (strcmp(k, "dev") == 0)
		rc = num(v, 0, INT64_MAX, &a->dev);
	else if (strcmp(k, "ino") == 0)
		rc = num(v, 0, INT64_MAX, &a->ino);
	else if (strcmp(k, "from") == 0)
		rc = num(v, 0, INT64_MAX, &a->from);
	else if (strcmp(k, "to") == 0)
		rc = num(v, 0, INT64_MAX, &a->to);
	else if (strcmp(k, "line") == 0)
		rc = num(v, 0, INT64_MAX, &a->line);
	else if (strcmp(k, "size") == 0)
		rc = num(v, 0, INT64_MAX, &a->size);
	else if (strcmp(k, "uid") == 0) {
		rc = num(v, 0, UINT32_MAX - 1, &a->uid);
		a->has_uid = 1;
	} else if (strcmp(k, "gid") == 0)
		rc = num(v, 0, UINT32_MAX - 1, &a->gid);
	else if (strcmp(k, "bytes") == 0) {
		rc = num(v, 0, IMP_BODY_MAX, &x);
		a->bytes = (size_t)x;
	} else if (strcmp(k, "head") == 0 || strcmp(k, "tail") == 0) {
		char *end;
		uint64_t h = strtoull(v, &end, 16);

		rc = *v == '\0' || *end != '\0' ? -1 : 0;
		*(k[0] == 'h' ? &a->head : &a->tail) = h;
	} else if (strcmp(k, "host") == 0) {
		if (strlcpy(a->host, v, sizeof(a->host)) >= sizeof(a->host) ||
		    !hostname_ok(a->host))
			rc = -1;
	} else if (strcmp(k, "path") == 0)
		strlcpy(a->path, v, sizeof(a->path));
	else {
		snprintf(err, esz, "unknown key '%.40s'", k);
		return -1;
	}
	if (rc != 0)
		snprintf(err, esz, "bad value for %s", k);
	return rc;
}

static int
parse_args(const char *line, size_t len, struct args *a, char *err,
    size_t esz)
{
	char buf[REQ_LINE_MAX + 1], *p, *w, *eq;

	memset(a, 0, sizeof(*a));
	a->dev = a->ino = -1;
	strlcpy(a->host, "unknown", sizeof(a->host));
	if (len >= sizeof(buf)) {
		snprintf(err, esz, "request too long");
		return -1;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf;
	w = strsep(&p, " \t");
	a->pos = strcmp(w, "import-pos") == 0;
	while ((w = strsep(&p, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		if ((eq = strchr(w, '=')) == NULL) {
			snprintf(err, esz, "expected KEY=VALUE, not '%.40s'", w);
			return -1;
		}
		*eq = '\0';
		if (arg(a, w, eq + 1, err, esz) != 0)
			return -1;
	}
	if (a->dev < 0 || a->ino < 0) {
		snprintf(err, esz, "dev= and ino= are needed");
		return -1;
	}
	/* bytes may be less than to - from: a line too long for a record is
	 * sent as an empty line. */
	if (!a->pos && (a->to < a->from || (uint64_t)(a->to - a->from) <
	    a->bytes)) {
		snprintf(err, esz, "bytes must be at most to - from");
		return -1;
	}
	return 0;
}

static void
pos_reply(struct jbuf *j, const struct imp_pos *p, int found)
{
	char h[24];

	jb_obj(j);
	jb_kbool(j, "found", found);
	if (found) {
		jb_ki64(j, "off", p->off);
		jb_ki64(j, "line", p->line);
		jb_ki64(j, "size", p->size);
		snprintf(h, sizeof(h), "%016llx", (unsigned long long)p->head);
		jb_kstr(j, "head", h);
		snprintf(h, sizeof(h), "%016llx", (unsigned long long)p->tail);
		jb_kstr(j, "tail", h);
	}
	jb_endobj(j);
}

/* Count n records against uid's hourly budget (take: 0 only see whether
 * they fit); 0 ok, -1 over it. */
static int
charge(uid_t uid, uint64_t n, time_t now, int take)
{
	uint64_t max = (uint64_t)D.cfg.lim.max_per_uid * 60;
	int64_t hour = now / 3600;
	int i, slot = -1;

	for (i = 0; i < UID_TABLE; i++) {
		if (budget[i].uid == uid && budget[i].hour == hour) {
			slot = i;
			break;
		}
		if (slot < 0 && budget[i].hour != hour)
			slot = i;	/* free or stale */
	}
	if (slot < 0)
		return -1;		/* 64 uids importing this hour */
	if (budget[slot].uid != uid || budget[slot].hour != hour) {
		budget[slot].uid = uid;
		budget[slot].hour = hour;
		budget[slot].n = 0;
	}
	if (budget[slot].n + n > max)
		return -1;
	if (take)
		budget[slot].n += n;
	return 0;
}

/*
 * The rows and new path bytes of a stored but uncommitted batch, taken
 * from the uid's hourly bounds (ubound.c), the ones its live rows use;
 * 0 taken, -1 over (err says by what).  Administrators are not charged.
 */
static int
bound_rows(uid_t uid, const struct imp_tally *t, time_t now, char *err,
    size_t esz)
{
	uint64_t rows = t->stored + t->rows, left, pleft;

	if (q_admin(uid) || ub_take(uid, rows, t->path_bytes, now) == 0)
		return 0;
	ub_left(uid, now, &left, &pleft);
	snprintf(err, esz, "import bound: the batch needs %llu rows and %llu"
	    " bytes of new paths, uid %u has %llu and %llu left this hour"
	    " (ioshimd --uid-rows, --uid-path-bytes); nothing of it stored,"
	    " import again later", (unsigned long long)rows,
	    (unsigned long long)t->path_bytes, (unsigned)uid,
	    (unsigned long long)left, (unsigned long long)pleft);
	return -1;
}

/* Records (non-blank lines) in a body. */
static uint64_t
count_lines(const char *b, size_t n)
{
	const char *e = b + n, *nl;
	uint64_t k = 0;

	for (; b < e; b = nl + 1) {
		if ((nl = memchr(b, '\n', (size_t)(e - b))) == NULL)
			nl = e;
		if (nl > b)
			k++;
	}
	return k;
}

struct batch {
	struct imp_tally t;
	uint64_t	 bad, lines;
	int		 listed;
};

/* Parse and store each line of body; SQLite's error code or 0. */
static int
store_lines(const struct args *a, const struct imp_who *w, const char *body,
    size_t blen, struct batch *b, struct jbuf *errs)
{
	static struct imp_rec r;
	const char *p = body, *e = body + blen, *nl;
	char why[128];
	int rc;

	r.max_files = IMP_FILES_MAX < D.cfg.lim.max_files ? IMP_FILES_MAX :
	    D.cfg.lim.max_files;
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		b->lines++;
		if (nl - p == 0 || strspn(p, " \t\r") >= (size_t)(nl - p))
			continue;	/* a blank line: not a record */
		if ((size_t)(nl - p) > IMP_LINE_MAX)
			snprintf(why, sizeof(why), "line too long");
		else if (imp_parse(p, (size_t)(nl - p), (int64_t)w->now * 1000,
		    &r, why, sizeof(why)) == 0) {
			if ((rc = impstore_record(D.st, w, &r, &b->t)) != 0)
				return rc;
			continue;
		}
		if (b->listed++ < BAD_LISTED) {
			jb_obj(errs);
			jb_ki64(errs, "line", a->line + (int64_t)b->lines);
			jb_kstr(errs, "error", why);
			jb_endobj(errs);
		}
		b->bad++;
	}
	return 0;
}

static void
batch_reply(struct jbuf *j, const struct args *a, const struct batch *b,
    const struct jbuf *errs)
{
	jb_obj(j);
	jb_ku64(j, "stored", b->t.stored);
	jb_ku64(j, "known", b->t.known);
	jb_ku64(j, "expired", b->t.expired);
	jb_ku64(j, "bad", b->bad);
	jb_ku64(j, "files_over", b->t.files_over);
	jb_ku64(j, "rows", b->t.rows);
	jb_ki64(j, "off", a->to);
	jb_ki64(j, "line", a->line + (int64_t)b->lines);
	jb_key(j, "errors");
	jb_arr(j);
	jb_raw(j, errs->p != NULL ? errs->p : "", errs->len);
	jb_endarr(j);
	jb_endobj(j);
}

/* A batch whose from is not where the stored position is. */
static int
moved(const struct args *a, const struct imp_pos *p, int found, char *err,
    size_t esz)
{
	int64_t at = found ? p->off : 0;

	if (a->from == 0 || a->from == at)
		return 0;
	snprintf(err, esz, "position moved: at %lld, line %lld", (long long)at,
	    found ? (long long)p->line : 0LL);
	return -1;
}

/* A batch not stored: the client is told why, and it is counted. */
static void
refuse(struct jbuf *j, const char *why)
{
	impstats_refused();
	q_error(j, why);
}

static void
import_batch(const struct args *a, const char *body, size_t blen, uid_t uid,
    gid_t gid, struct jbuf *j)
{
	struct imp_who w = { uid, gid, a->host, 0, D.cfg.window, time(NULL) };
	struct imp_pos p, np = { a->dev, a->ino, a->to, 0, a->size, a->head,
	    a->tail };
	struct batch b;
	struct jbuf errs;
	char err[320], host[IMP_HOST_MAX];
	int found, rc;

	if (blen > 0 && body[blen - 1] != '\n') {
		refuse(j, "a batch must end with a newline");
		return;
	}
	if (a->has_uid) {
		if (uid != 0) {
			refuse(j, "permission denied: uid= is for root");
			return;
		}
		w.uid = (uid_t)a->uid;
		w.gid = (gid_t)a->gid;
	}
	if (!q_admin(uid) && (count_lines(body, blen) > USER_BATCH_MAX ||
	    charge(uid, count_lines(body, blen), w.now, 0) != 0)) {
		refuse(j, "import bound: too many records for this uid (see"
		    " ioshimd --max-procs-per-uid)");
		return;
	}
	host[0] = '\0';
	(void)gethostname(host, sizeof(host) - 1);
	w.match_live = strcmp(a->host, "unknown") == 0 ||
	    strcmp(a->host, host) == 0;
	memset(&b, 0, sizeof(b));
	jb_init(&errs);
	if ((rc = impstore_begin(D.st)) != 0)
		goto dberr;
	if ((rc = impstore_pos_get(D.st, uid, a->dev, a->ino, &p, &found)) !=
	    0)
		goto dberr;
	if (moved(a, &p, found, err, sizeof(err)) != 0) {
		impstore_end(D.st, 0);
		refuse(j, err);
		jb_free(&errs);
		return;
	}
	if ((rc = store_lines(a, &w, body, blen, &b, &errs)) != 0)
		goto dberr;
	if (bound_rows(uid, &b.t, w.now, err, sizeof(err)) != 0) {
		impstore_end(D.st, 0);	/* the position stays where it was */
		refuse(j, err);
		jb_free(&errs);
		return;
	}
	np.line = a->line + (int64_t)b.lines;
	if ((rc = impstore_pos_put(D.st, uid, &np, a->path, b.t.stored, b.bad,
	    w.now)) != 0 || (rc = impstore_end(D.st, 1)) != 0)
		goto dberr;
	if (!q_admin(uid))
		(void)charge(uid, count_lines(body, blen), w.now, 1);
	impstats_batch(&b.t, b.bad, w.now);
	batch_reply(j, a, &b, &errs);
	jb_free(&errs);
	return;
dberr:
	impstore_end(D.st, 0);
	snprintf(err, sizeof(err), "database: %s",
	    sqlite3_errmsg(store_db(D.st)));
	refuse(j, err);
	jb_free(&errs);
}

void
import_answer(const char *line, size_t len, const char *body, size_t blen,
    uid_t uid, gid_t gid, struct jbuf *j)
{
	struct args a;
	struct imp_pos p;
	char err[160];
	int found;

	D.queries++;
	if (parse_args(line, len, &a, err, sizeof(err)) != 0) {
		q_error(j, err);
		return;
	}
	if (D.st == NULL || store_db(D.st) == NULL) {
		q_error(j, "no database");
		return;
	}
	if (!a.pos) {
		import_batch(&a, body, blen, uid, gid, j);
		return;
	}
	if (impstore_pos_get(D.st, uid, a.dev, a.ino, &p, &found) != 0) {
		snprintf(err, sizeof(err), "database: %s",
		    sqlite3_errmsg(store_db(D.st)));
		q_error(j, err);
		return;
	}
	pos_reply(j, &p, found);
}
