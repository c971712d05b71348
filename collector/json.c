/*
 * json.c - a tiny JSON writer (see json.h).
 *
 * Output is compact (no spaces, no newlines), so a reply is always one
 * line.  Strings are escaped per RFC 8259; bytes >= 0x80 are passed
 * through (paths are usually UTF-8), control bytes become \u00XX.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
jb_init(struct jbuf *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = 1;
}

void
jb_free(struct jbuf *j)
{
	free(j->p);
	jb_init(j);
}

void
jb_reset(struct jbuf *j)
{
	char *p = j->p;
	size_t cap = j->cap;

	jb_init(j);
	j->p = p;
	j->cap = cap;
}

int
jb_failed(const struct jbuf *j)
{
	return j->failed;
}

static int
grow(struct jbuf *j, size_t n)
{
	size_t ncap;
	char *np;

	if (j->failed)
		return -1;
	if (j->len + n + 1 <= j->cap)
		return 0;
	ncap = j->cap ? j->cap : 256;
	while (ncap < j->len + n + 1) {
		if (ncap > ((size_t)1 << 30)) {
			j->failed = 1;
			return -1;
		}
		ncap *= 2;
	}
	if ((np = realloc(j->p, ncap)) == NULL) {
		j->failed = 1;
		return -1;
	}
	j->p = np;
	j->cap = ncap;
	return 0;
}

void
jb_raw(struct jbuf *j, const char *s, size_t n)
{
	if (grow(j, n) == -1)
		return;
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

/* Separator before a value or key at the current level. */
static void
sep(struct jbuf *j)
{
	if (j->afterkey) {
		j->afterkey = 0;
		return;
	}
	if (!j->first[j->depth])
		jb_raw(j, ",", 1);
	j->first[j->depth] = 0;
}

void
jb_kraw(struct jbuf *j, const char *k, const char *s, size_t n)
{
	jb_key(j, k);
	sep(j);
	jb_raw(j, s, n);
}

static void
open_(struct jbuf *j, const char *c)
{
	sep(j);
	jb_raw(j, c, 1);
	if (j->depth + 1 >= JB_DEPTH) {
		j->failed = 1;
		return;
	}
	j->depth++;
	j->first[j->depth] = 1;
}

static void
close_(struct jbuf *j, const char *c)
{
	if (j->depth > 0)
		j->depth--;
	jb_raw(j, c, 1);
}

void jb_obj(struct jbuf *j) { open_(j, "{"); }
void jb_endobj(struct jbuf *j) { close_(j, "}"); }
void jb_arr(struct jbuf *j) { open_(j, "["); }
void jb_endarr(struct jbuf *j) { close_(j, "]"); }

static void
quoted(struct jbuf *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6];
	size_t i, run;

	jb_raw(j, "\"", 1);
	for (i = 0; i < n; ) {
		for (run = i; run < n; run++) {
			unsigned char c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
				break;
		}
		if (run > i)
			jb_raw(j, s + i, run - i);
		if (run >= n)
			break;
		unsigned char c = (unsigned char)s[run];
		switch (c) {
		case '"': jb_raw(j, "\\\"", 2); break;
		case '\\': jb_raw(j, "\\\\", 2); break;
		case '\n': jb_raw(j, "\\n", 2); break;
		case '\t': jb_raw(j, "\\t", 2); break;
		case '\r': jb_raw(j, "\\r", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			jb_raw(j, esc, 6);
		}
		i = run + 1;
	}
	jb_raw(j, "\"", 1);
}

void
jb_key(struct jbuf *j, const char *k)
{
	sep(j);
	quoted(j, k, strlen(k));
	jb_raw(j, ":", 1);
	j->afterkey = 1;
}

void
jb_strn(struct jbuf *j, const char *s, size_t n)
{
	sep(j);
	quoted(j, s, n);
}

void
jb_str(struct jbuf *j, const char *s)
{
	if (s == NULL) {
		jb_null(j);
		return;
	}
	jb_strn(j, s, strlen(s));
}

void
jb_u64(struct jbuf *j, uint64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	sep(j);
	jb_raw(j, b, (size_t)n);
}

void
jb_i64(struct jbuf *j, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	sep(j);
	jb_raw(j, b, (size_t)n);
}

void
jb_dbl(struct jbuf *j, double v)
{
	char b[64];
	int n;

	if (!isfinite(v)) {
		jb_null(j);
		return;
	}
	n = snprintf(b, sizeof(b), "%.6g", v);
	sep(j);
	jb_raw(j, b, (size_t)n);
}

void
jb_bool(struct jbuf *j, int v)
{
	sep(j);
	if (v)
		jb_raw(j, "true", 4);
	else
		jb_raw(j, "false", 5);
}

void
jb_null(struct jbuf *j)
{
	sep(j);
	jb_raw(j, "null", 4);
}

void jb_kstr(struct jbuf *j, const char *k, const char *v) { jb_key(j, k); jb_str(j, v); }
void jb_ku64(struct jbuf *j, const char *k, uint64_t v) { jb_key(j, k); jb_u64(j, v); }
void jb_ki64(struct jbuf *j, const char *k, int64_t v) { jb_key(j, k); jb_i64(j, v); }
void jb_kdbl(struct jbuf *j, const char *k, double v) { jb_key(j, k); jb_dbl(j, v); }
void jb_kbool(struct jbuf *j, const char *k, int v) { jb_key(j, k); jb_bool(j, v); }
