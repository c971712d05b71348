/*
 * imprec.c - parse and check one exit-report record for `ioshim import`
 * (the format shim/report.c writes, docs/shim.md "The report record").
 *
 * A strict, allocation-light JSON reader for exactly that shape: known
 * keys are read into struct imp_rec, unknown keys are skipped (a newer
 * shim may add some), anything else (not JSON, a wrong type, a missing
 * field, an absurd value) fails with one short reason.  Strings are
 * decoded as the shim encodes them: \u00XX is the byte XX (a byte that
 * was not valid UTF-8), other \uXXXX are written as UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprec.h"

#define DEPTH_MAX	16

struct ps {
	const char	*p, *e;
	const char	*why;		/* the first error */
};

static int
fail(struct ps *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
	return -1;
}

static void
ws(struct ps *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'
	    || *s->p == '\n'))
		s->p++;
}

static int
eat(struct ps *s, char c)
{
	ws(s);
	if (s->p < s->e && *s->p == c) {
		s->p++;
		return 0;
	}
	return fail(s, "not JSON");
}

/* 1 if the next character is c (and it is consumed). */
static int
next_is(struct ps *s, char c)
{
	ws(s);
	if (s->p < s->e && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
utf8_put(char *o, unsigned u)
{
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	o[0] = (char)(0xe0 | u >> 12);
	o[1] = (char)(0x80 | ((u >> 6) & 0x3f));
	o[2] = (char)(0x80 | (u & 0x3f));
	return 3;
}

/* One escape after the backslash at s->p[-1]; bytes into o, their count
 * in *n; -1 if invalid. */
static int
escape(struct ps *s, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned u;

	if (s->p >= s->e)
		return -1;
	if (*s->p != 'u') {
		if ((k = strchr(from, *s->p)) == NULL || *s->p == '\0')
			return -1;
		o[0] = to[k - from];
		*n = 1;
		s->p++;
		return 0;
	}
	if (s->e - s->p < 5 || hex4(s->p + 1, &u) != 0)
		return -1;
	s->p += 5;
	if (u < 0x100) {		/* the shim's \u00XX: byte XX */
		o[0] = (char)u;
		*n = 1;
	} else
		*n = utf8_put(o, u);	/* surrogates: bytes as they come */
	return 0;
}

/* Bytes up to the next quote, backslash or control character. */
static size_t
plain_run(const char *p, const char *e)
{
	const char *b = p;

	while (p < e && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	return (size_t)(p - b);
}

/* A string into buf (cap bytes with its NUL); NULL buf: skip it. */
static int
str(struct ps *s, char *buf, size_t cap, size_t *lenp)
{
	size_t len = 0, n;
	char tmp[4];
	const char *src;

	if (eat(s, '"') != 0)
		return -1;
	while (s->p < s->e && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return fail(s, "not JSON: control character in a string");
		if (*s->p == '\\') {
			s->p++;
			if (escape(s, tmp, &n) != 0)
				return fail(s, "not JSON: bad escape");
			if (n == 1 && tmp[0] == '\0')
				return fail(s, "NUL in a string");
			src = tmp;
		} else {
			n = plain_run(s->p, s->e);
			src = s->p;
			s->p += n;
		}
		if (buf != NULL) {
			if (len + n >= cap)
				return fail(s, "string too long");
			memcpy(buf + len, src, n);
		}
		len += n;
	}
	if (s->p >= s->e)
		return fail(s, "not JSON: unterminated string");
	s->p++;
	if (buf != NULL)
		buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/* A non-negative integer, at most max. */
static int
u64(struct ps *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	const char *b;

	ws(s);
	b = s->p;
	while (s->p < s->e && *s->p >= '0' && *s->p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return fail(s, "absurd value");
		x = x * 10 + (uint64_t)(*s->p++ - '0');
	}
	if (s->p == b || (s->p - b > 1 && *b == '0'))
		return fail(s, "wrong type: not a whole number");
	if (s->p < s->e && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return fail(s, "wrong type: not a whole number");
	if (x > max)
		return fail(s, "absurd value");
	*v = x;
	return 0;
}

/* Seconds with up to 3 decimals ("1700000000.123") as milliseconds. */
static int
time_ms(struct ps *s, int64_t *ms)
{
	int64_t sec = 0, frac = 0;
	int d = 0, n = 0;

	ws(s);
	for (; s->p < s->e && *s->p >= '0' && *s->p <= '9'; s->p++, n++)
		if (n < 12)
			sec = sec * 10 + (*s->p - '0');
	if (n == 0)
		return fail(s, "wrong type: not a time");
	if (n >= 12)
		return fail(s, "absurd value: time");
	if (s->p < s->e && *s->p == '.') {
		for (s->p++; s->p < s->e && *s->p >= '0' && *s->p <= '9';
		    s->p++)
			if (d++ < 3)
				frac = frac * 10 + (*s->p - '0');
		if (d == 0)
			return fail(s, "not JSON: bad number");
	}
	if (s->p < s->e && (*s->p == 'e' || *s->p == 'E'))
		return fail(s, "wrong type: not a time");
	for (; d < 3; d++)
		frac *= 10;
	*ms = sec * 1000 + frac;
	return 0;
}

static int skip_value(struct ps *, int depth);

static int
skip_container(struct ps *s, char close, int depth)
{
	if (depth > DEPTH_MAX)
		return fail(s, "nested too deeply");
	if (next_is(s, close))
		return 0;
	do {
		if (close == '}' && (str(s, NULL, 0, NULL) != 0 ||
		    eat(s, ':') != 0))
			return -1;
		if (skip_value(s, depth + 1) != 0)
			return -1;
	} while (next_is(s, ','));
	return eat(s, close);
}

static int
skip_value(struct ps *s, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n;

	ws(s);
	if (s->p >= s->e)
		return fail(s, "not JSON");
	if (*s->p == '"')
		return str(s, NULL, 0, NULL);
	if (*s->p == '{' || *s->p == '[') {
		char close = *s->p == '{' ? '}' : ']';

		s->p++;
		return skip_container(s, close, depth);
	}
	for (i = 0; i < 3; i++) {
		n = strlen(words[i]);
		if ((size_t)(s->e - s->p) >= n && memcmp(s->p, words[i], n) == 0) {
			s->p += n;
			return 0;
		}
	}
	if (*s->p == '-')
		s->p++;
	if (s->p >= s->e || *s->p < '0' || *s->p > '9')
		return fail(s, "not JSON");
	while (s->p < s->e && strchr("0123456789.eE+-", *s->p) != NULL &&
	    *s->p != '\0')
		s->p++;
	return 0;
}

/* The key of the next member (at most 31 bytes, else ""). */
static int
member(struct ps *s, char *key, size_t cap)
{
	char big[256];

	if (str(s, big, sizeof(big), NULL) != 0)
		return -1;
	if (strlen(big) >= cap)
		big[0] = '\0';
	strcpy(key, big);
	return eat(s, ':');
}

/* An object: for each member, fn(s, key, arg, r); unknown keys are
 * fn's to skip. */
typedef int member_fn(struct ps *, const char *, void *, struct imp_rec *);

static int
object(struct ps *s, member_fn *fn, void *arg, struct imp_rec *r)
{
	char key[32];

	if (eat(s, '{') != 0)
		return fail(s, "wrong type: not an object");
	if (next_is(s, '}'))
		return 0;
	do {
		if (member(s, key, sizeof(key)) != 0 || fn(s, key, arg, r) != 0)
			return -1;
	} while (next_is(s, ','));
	return eat(s, '}');
}

static int
class_index(const char *k)
{
	int c;

	for (c = 0; c < IW_NCLASS; c++)
		if (strcmp(k, class_names[c]) == 0)
			return c;
	return -1;
}

/* "disk":{"read_bytes":N,"write_bytes":N,"reads":N,"writes":N} */
static int
m_class(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	static const char *const keys[4] = { "read_bytes", "write_bytes",
	    "reads", "writes" };
	int c = *(int *)arg, i;

	for (i = 0; i < 4; i++)
		if (strcmp(k, keys[i]) == 0)
			return u64(s, IMP_VALUE_MAX, &r->pc[C_CLASS(c, i)]);
	/* the write system calls that reached the kernel: what the live
	 * path stores as disk_write_syscalls (iw_kernel) */
	if (c == IW_DISK && strcmp(k, "write_syscalls") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_DISK_WSYS]);
	return skip_value(s, 1);
}

/* "kernel":{"read_bytes":N,"write_bytes":N}: the image's own storage
 * I/O, what the live path stores as kernel_read_bytes and
 * kernel_write_bytes. */
static int
m_kernel(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	(void)arg;
	if (strcmp(k, "read_bytes") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_KREAD_BYTES]);
	if (strcmp(k, "write_bytes") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_KWRITE_BYTES]);
	return skip_value(s, 1);
}

static int
m_classes(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	int c = class_index(k);

	if (c < 0)
		return skip_value(s, 1);
	return object(s, m_class, &c, r);
}

static int
m_coalesce(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	if (strcmp(k, "writes_absorbed") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_ABSORBED]);
	if (strcmp(k, "syscalls") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_FLUSH_SYSCALLS]);
	if (strcmp(k, "bytes") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_FLUSH_BYTES]);
	if (strcmp(k, "errors") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_FLUSH_ERRORS]);
	return skip_value(s, 1);
}

static int
m_file(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	/* the report's names where they are not the column's (a counter
	 * added later is read by its column name) */
	static const char *const keys[NFC] = { [F_ABSORBED] =
	    "writes_absorbed", [F_FLUSHES] = "flush_syscalls" };
	struct imp_file *f = arg;
	char cls[16];
	int i;

	if (strcmp(k, "path") == 0) {
		if (r->acap - r->alen < IMP_STR_MAX) {
			char *a = realloc(r->arena, r->acap * 2 + IMP_STR_MAX);

			if (a == NULL)
				return fail(s, "out of memory");
			r->arena = a;
			r->acap = r->acap * 2 + IMP_STR_MAX;
		}
		f->path = r->alen;
		if (str(s, r->arena + r->alen, IMP_STR_MAX, &f->plen) != 0)
			return -1;
		r->alen += f->plen + 1;
		return 0;
	}
	if (strcmp(k, "class") == 0) {
		if (str(s, cls, sizeof(cls), NULL) != 0)
			return fail(s, "wrong type: class");
		if ((f->cls = class_index(cls)) < 0)
			return fail(s, "unknown class");
		return 0;
	}
	for (i = 0; i < NFC; i++)
		if (strcmp(k, keys[i] != NULL ? keys[i] : fc_names[i]) == 0)
			return u64(s, IMP_VALUE_MAX, &f->v[i]);
	return skip_value(s, 1);
}

/* "files" (db 0), or "debounce":{"files"} (db 1: no class, disk unless
 * the record's file row of that path says otherwise; merged into it by
 * db_merge()). */
static int
files(struct ps *s, struct imp_rec *r, int db)
{
	struct imp_file f;

	if (eat(s, '[') != 0)
		return fail(s, "wrong type: files");
	if (next_is(s, ']'))
		return 0;
	do {
		memset(&f, 0, sizeof(f));
		f.path = (size_t)-1;
		f.cls = db ? IW_DISK : -1;
		f.db = db;
		if (object(s, m_file, &f, r) != 0)
			return -1;
		if (f.path == (size_t)-1 || f.plen == 0 || f.cls < 0)
			return fail(s, "missing field: files[].path or class");
		if (r->nfiles >= r->max_files) {
			r->files_over++;
			continue;
		}
		if (r->nfiles == r->fcap) {
			size_t n = r->fcap ? r->fcap * 2 : 16;
			struct imp_file *v = reallocarray(r->files, n,
			    sizeof(*v));

			if (v == NULL)
				return fail(s, "out of memory");
			r->files = v;
			r->fcap = n;
		}
		r->files[r->nfiles++] = f;
	} while (next_is(s, ','));
	return eat(s, ']');
}

/* "debounce":{"saves_absorbed":N,...,"files":[...]}: debounced saves. */
static int
m_debounce(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	(void)arg;
	if (strcmp(k, "saves_absorbed") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_SAVES_ABSORBED]);
	if (strcmp(k, "saves_written") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_SAVES_WRITTEN]);
	if (strcmp(k, "bytes_saved") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_BYTES_SAVED]);
	if (strcmp(k, "files") == 0)
		return files(s, r, 1);
	return skip_value(s, 1);
}

/*
 * A debounced file's row goes into the record's file row of the same
 * path, when there is one (one row per path, as the live path stores
 * it): its debounce figures added there, the row itself dropped.
 */
static void
db_merge(struct imp_rec *r)
{
	static const int k[] = { F_SAVES_ABSORBED, F_SAVES_WRITTEN,
	    F_BYTES_SAVED };
	struct imp_file *d, *f;
	size_t i, j, n = 0;
	unsigned c;

	for (i = 0; i < r->nfiles; i++) {
		d = &r->files[i];
		for (j = 0, f = NULL; d->db && j < r->nfiles; j++)
			if (!r->files[j].db && r->files[j].plen == d->plen &&
			    memcmp(imp_path(r, &r->files[j]), imp_path(r, d),
			    d->plen) == 0)
				f = &r->files[j];
		if (f == NULL) {
			r->files[n++] = *d;
			continue;
		}
		for (c = 0; c < sizeof(k) / sizeof(k[0]); c++)
			f->v[k[c]] = f->v[k[c]] + d->v[k[c]] > IMP_VALUE_MAX ?
			    IMP_VALUE_MAX : f->v[k[c]] + d->v[k[c]];
	}
	r->nfiles = n;
}

/* Which required members were seen. */
enum { SEEN_PID = 1, SEEN_START = 2, SEEN_END = 4, SEEN_CLASSES = 8 };

static int
m_top(struct ps *s, const char *k, void *arg, struct imp_rec *r)
{
	int *seen = arg;
	uint64_t v;
	char reason[16];

	if (strcmp(k, "pid") == 0) {
		*seen |= SEEN_PID;
		if (u64(s, IMP_PID_MAX, &v) != 0)
			return -1;
		r->pid = (int64_t)v;
		return v == 0 ? fail(s, "absurd value: pid 0") : 0;
	}
	if (strcmp(k, "ppid") == 0) {
		if (u64(s, IMP_PID_MAX, &v) != 0)
			return -1;
		r->ppid = (int64_t)v;
		return 0;
	}
	if (strcmp(k, "exe") == 0)
		return str(s, r->exe, sizeof(r->exe), NULL);
	if (strcmp(k, "comm") == 0)
		return str(s, r->comm, sizeof(r->comm), NULL);
	if (strcmp(k, "start") == 0) {
		*seen |= SEEN_START;
		return time_ms(s, &r->start_ms);
	}
	if (strcmp(k, "end") == 0) {
		*seen |= SEEN_END;
		return time_ms(s, &r->end_ms);
	}
	if (strcmp(k, "end_reason") == 0) {
		if (str(s, reason, sizeof(reason), NULL) != 0)
			return fail(s, "wrong type: end_reason");
		r->end_reason = strcmp(reason, "exit") == 0 ? IW_END_EXIT :
		    strcmp(reason, "exec") == 0 ? IW_END_EXEC :
		    strcmp(reason, "signal") == 0 ? IW_END_SIGNAL : 0;
		return r->end_reason == 0 ? fail(s, "unknown end_reason") : 0;
	}
	if (strcmp(k, "signal") == 0) {
		if (u64(s, 255, &v) != 0)
			return -1;
		r->end_code = (int64_t)v;
		return 0;
	}
	if (strcmp(k, "exit_code") == 0) {
		int neg = next_is(s, '-');

		if (u64(s, (uint64_t)1 << 31, &v) != 0)
			return -1;
		r->end_code = neg ? -(int64_t)v : (int64_t)v;
		return 0;
	}
	if (strcmp(k, "classes") == 0) {
		*seen |= SEEN_CLASSES;
		return object(s, m_classes, NULL, r);
	}
	if (strcmp(k, "opens") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_OPENS]);
	if (strcmp(k, "fsyncs") == 0)
		return u64(s, IMP_VALUE_MAX, &r->pc[C_FSYNCS]);
	if (strcmp(k, "coalesce") == 0)
		return object(s, m_coalesce, NULL, r);
	if (strcmp(k, "kernel") == 0)
		return object(s, m_kernel, NULL, r);
	if (strcmp(k, "debounce") == 0)
		return object(s, m_debounce, NULL, r);
	if (strcmp(k, "files") == 0)
		return files(s, r, 0);
	return skip_value(s, 1);
}

static void
rec_reset(struct imp_rec *r)
{
	r->pid = r->ppid = 0;
	r->exe[0] = r->comm[0] = '\0';
	r->start_ms = r->end_ms = 0;
	r->end_reason = IW_END_EXIT;
	r->end_code = 0;
	memset(r->pc, 0, sizeof(r->pc));
	r->nfiles = r->files_over = r->alen = 0;
}

int
imp_parse(const char *line, size_t len, int64_t now_ms, struct imp_rec *r,
    char *err, size_t errsz)
{
	struct ps s = { line, line + len, NULL };
	int seen = 0;

	rec_reset(r);
	if (object(&s, m_top, &seen, r) != 0)
		goto bad;
	ws(&s);
	if (s.p != s.e) {
		fail(&s, "not JSON: text after the record");
		goto bad;
	}
	if ((seen & SEEN_PID) == 0)
		fail(&s, "missing field: pid");
	else if ((seen & SEEN_START) == 0 || (seen & SEEN_END) == 0)
		fail(&s, "missing field: start or end");
	else if ((seen & SEEN_CLASSES) == 0)
		fail(&s, "missing field: classes");
	else if (r->start_ms < 946684800000LL)
		fail(&s, "absurd value: start before 2000");
	else if (r->end_ms < r->start_ms)
		fail(&s, "absurd value: end before start");
	else if (r->end_ms > now_ms + 60000)
		fail(&s, "absurd value: end in the future");
	if (s.why != NULL)
		goto bad;
	db_merge(r);
	return 0;
bad:
	snprintf(err, errsz, "%s", s.why != NULL ? s.why : "not JSON");
	return -1;
}

void
imp_rec_free(struct imp_rec *r)
{
	free(r->files);
	free(r->arena);
	r->files = NULL;
	r->arena = NULL;
	r->nfiles = r->fcap = r->alen = r->acap = 0;
}

const char *
imp_path(const struct imp_rec *r, const struct imp_file *f)
{
	return r->arena + f->path;
}
