/*
 * jv.c - a small recursive-descent JSON reader (see jv.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"

#define DEPTH_MAX	64

struct parser {
	const char	*p;
	int		 bad;
};

static void value(struct parser *, struct jv *, int depth);

static void
ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	    *ps->p == '\r')
		ps->p++;
}

static void
pututf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80)
		out[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static char *
string(struct parser *ps)
{
	const char *s = ps->p + 1;
	char *out;
	size_t n = 0;
	unsigned cp;
	int k;

	/* Unescaped output is never longer than the input. */
	if ((out = malloc(strlen(s) + 1)) == NULL) {
		ps->bad = 1;
		return NULL;
	}
	for (; *s != '"'; s++) {
		if (*s == '\0') {
			ps->bad = 1;
			break;
		}
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'u':
			for (cp = 0, k = 0; k < 4; k++) {
				if (!isxdigit((unsigned char)s[1])) {
					ps->bad = 1;
					break;
				}
				s++;
				cp = cp * 16 + (unsigned)(isdigit((unsigned char)*s) ?
				    *s - '0' : (tolower((unsigned char)*s) - 'a' + 10));
			}
			pututf8(out, &n, cp);	/* 6 input bytes >= 3 output */
			break;
		case '\0':
			ps->bad = 1;
			s--;
			break;
		default: out[n++] = *s; break;
		}
	}
	out[n] = '\0';
	ps->p = *s == '"' ? s + 1 : s;
	return out;
}

static void
add(struct parser *ps, struct jv *v, struct jv **kid)
{
	struct jv *nk;

	if ((v->n & (v->n - 1)) == 0 || v->n == 0) {	/* grow at 0,1,2,4,8... */
		nk = realloc(v->kids, (v->n ? v->n * 2 : 4) * sizeof(*nk));
		if (nk == NULL) {
			ps->bad = 1;
			*kid = NULL;
			return;
		}
		v->kids = nk;
	}
	*kid = &v->kids[v->n++];
	memset(*kid, 0, sizeof(**kid));
}

static void
container(struct parser *ps, struct jv *v, int depth)
{
	char close = *ps->p == '{' ? '}' : ']';
	struct jv *kid;
	char *key = NULL;

	v->type = close == '}' ? JV_OBJ : JV_ARR;
	ps->p++;
	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return;
	}
	while (!ps->bad) {
		ws(ps);
		if (v->type == JV_OBJ) {
			if (*ps->p != '"') {
				ps->bad = 1;
				return;
			}
			key = string(ps);
			ws(ps);
			if (*ps->p != ':') {
				free(key);
				ps->bad = 1;
				return;
			}
			ps->p++;
		}
		add(ps, v, &kid);
		if (kid == NULL) {
			free(key);
			return;
		}
		kid->key = key;
		key = NULL;
		value(ps, kid, depth + 1);
		ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			return;
		}
		ps->bad = 1;
	}
}

static void
value(struct parser *ps, struct jv *v, int depth)
{
	char *end;

	ws(ps);
	if (depth > DEPTH_MAX) {
		ps->bad = 1;
		return;
	}
	switch (*ps->p) {
	case '{':
	case '[':
		container(ps, v, depth);
		return;
	case '"':
		v->type = JV_STR;
		v->str = string(ps);
		return;
	case 't':
	case 'f':
	case 'n':
		if (strncmp(ps->p, "true", 4) == 0) {
			v->type = JV_BOOL;
			v->num = 1;
			v->u = 1;
			ps->p += 4;
		} else if (strncmp(ps->p, "false", 5) == 0) {
			v->type = JV_BOOL;
			ps->p += 5;
		} else if (strncmp(ps->p, "null", 4) == 0) {
			v->type = JV_NULL;
			ps->p += 4;
		} else
			ps->bad = 1;
		return;
	default:
		v->type = JV_NUM;
		v->num = strtod(ps->p, &end);
		if (end == ps->p) {
			ps->bad = 1;
			return;
		}
		if (isdigit((unsigned char)*ps->p) &&
		    strcspn(ps->p, ".eE,}] ") == (size_t)(end - ps->p))
			v->u = strtoull(ps->p, NULL, 10);
		else
			v->u = v->num > 0 ? (uint64_t)v->num : 0;
		ps->p = end;
	}
}

static void
clear(struct jv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		clear(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

void
jv_free(struct jv *v)
{
	if (v == NULL)
		return;
	clear(v);
	free(v);
}

struct jv *
jv_parse(const char *text)
{
	struct parser ps = { text, 0 };
	struct jv *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	value(&ps, v, 0);
	ws(&ps);
	if (ps.bad || *ps.p != '\0') {
		jv_free(v);
		return NULL;
	}
	return v;
}

const struct jv *
jv_get(const struct jv *o, const char *key)
{
	size_t i;

	if (o == NULL || o->type != JV_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->kids[i].key, key) == 0)
			return &o->kids[i];
	return NULL;
}

const struct jv *
jv_path(const struct jv *o, const char *path)
{
	char buf[256], *p, *dot;

	if (strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	for (p = buf; o != NULL && p != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		o = jv_get(o, p);
	}
	return o;
}

double
jv_num(const struct jv *o, const char *path)
{
	const struct jv *v = jv_path(o, path);

	return v != NULL && (v->type == JV_NUM || v->type == JV_BOOL) ?
	    v->num : 0;
}

uint64_t
jv_u64(const struct jv *o, const char *path)
{
	const struct jv *v = jv_path(o, path);

	return v != NULL && (v->type == JV_NUM || v->type == JV_BOOL) ?
	    v->u : 0;
}

const char *
jv_str(const struct jv *o, const char *path)
{
	const struct jv *v = jv_path(o, path);

	return v != NULL && v->type == JV_STR && v->str != NULL ? v->str : "";
}

const char *
jv_error(const struct jv *o)
{
	const struct jv *v = jv_get(o, "error");

	return v != NULL && v->type == JV_STR ? v->str : NULL;
}
