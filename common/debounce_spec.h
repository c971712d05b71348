/*
 * debounce_spec.h - the syntax of IOSHIM_DEBOUNCE, shared by the shim
 * (which reads it) and "ioshim run --debounce" (which checks it before the
 * command starts).  No allocation, no stdio: the shim parses it in its
 * constructor.
 *
 *   IOSHIM_DEBOUNCE = ENTRY[:ENTRY...]
 *   ENTRY           = GLOB[=OPT[,OPT...]]
 *   OPT             = MS (1..86400000, the window; default 2000) | nosync
 *                   | inplace (in-place rewrites debounced too)
 *
 * GLOB is an absolute path pattern (fnmatch, FNM_PATHNAME); it cannot hold
 * ':' and, when it holds '=', must be followed by "=OPTS" (the last '='
 * splits).  docs/debounce.md.
 */
#ifndef IOSHIM_DEBOUNCE_SPEC_H
#define IOSHIM_DEBOUNCE_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DB_PATS_MAX	16
#define DB_GLOB_MAX	512
#define DB_MS_DEFAULT	2000
#define DB_MS_MAX	86400000u

struct db_pat {
	char		glob[DB_GLOB_MAX];
	uint32_t	ms;		/* the window */
	uint8_t		nosync;		/* fsync does not end debouncing */
	uint8_t		inplace;	/* O_TRUNC rewrites debounced too */
};

/* One option of s[0..n): NULL when good, else why not. */
static inline const char *
db_parse_opt(const char *s, size_t n, struct db_pat *p, int *have_ms)
{
	uint64_t v = 0;
	size_t i;

	if (n == 6 && memcmp(s, "nosync", 6) == 0) {
		if (p->nosync)
			return "nosync given twice";
		p->nosync = 1;
		return NULL;
	}
	if (n == 7 && memcmp(s, "inplace", 7) == 0) {
		if (p->inplace)
			return "inplace given twice";
		p->inplace = 1;
		return NULL;
	}
	if (n == 0)
		return "empty option";
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "option is neither a window in ms, nosync nor inplace";
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > DB_MS_MAX)
			return "window above 86400000 ms";
	}
	if (v == 0)
		return "window of 0 ms";
	if (*have_ms)
		return "two windows";
	*have_ms = 1;
	p->ms = (uint32_t)v;
	return NULL;
}

/* One entry s[0..n) into p: NULL when good, else why not. */
static inline const char *
db_parse_entry(const char *s, size_t n, struct db_pat *p)
{
	const char *eq = NULL, *o, *c, *why;
	size_t glen, i;
	int have_ms = 0;

	memset(p, 0, sizeof(*p));
	p->ms = DB_MS_DEFAULT;
	if (n == 0)
		return "empty entry ('::', or ':' at an end)";
	for (i = 0; i < n; i++)
		if (s[i] == '=')
			eq = s + i;
	glen = eq ? (size_t)(eq - s) : n;
	if (glen == 0)
		return "no pattern";
	if (s[0] != '/')
		return "pattern is not an absolute path";
	if (glen >= DB_GLOB_MAX)
		return "pattern too long";
	memcpy(p->glob, s, glen);
	p->glob[glen] = '\0';
	if (eq == NULL)
		return NULL;
	for (o = eq + 1; ; o = c + 1) {
		for (c = o; c < s + n && *c != ','; c++)
			;
		if ((why = db_parse_opt(o, (size_t)(c - o), p, &have_ms)) != NULL)
			return why;
		if (c == s + n)
			return NULL;
	}
}

/*
 * The whole setting into pats (*npat of them).  NULL when good; else why
 * not, and the bad entry in bad (cut to badsz).
 */
static inline const char *
db_parse(const char *s, struct db_pat *pats, unsigned *npat, char *bad,
    size_t badsz)
{
	const char *e, *why;
	size_t n;

	*npat = 0;
	for (;; s = e + 1) {
		for (e = s; *e && *e != ':'; e++)
			;
		n = (size_t)(e - s);
		if (*npat == DB_PATS_MAX)
			why = "more than 16 patterns";
		else
			why = db_parse_entry(s, n, &pats[*npat]);
		if (why != NULL) {
			if (badsz > 0) {
				if (n >= badsz)
					n = badsz - 1;
				memcpy(bad, s, n);
				bad[n] = '\0';
			}
			*npat = 0;
			return why;
		}
		(*npat)++;
		if (*e == '\0')
			return NULL;
	}
}

#endif /* IOSHIM_DEBOUNCE_SPEC_H */
