/*
 * request.c - parse one query line into a struct request.
 *
 * A request is words separated by blanks: a verb, then for some verbs one
 * positional word (PID or checkpoint mode), then key=value words.  Every
 * value is checked here (numbers with strtonum, counter names against the
 * known list), so the code that answers never sees an unchecked word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "counters.h"
#include "request.h"

#define WORD_MAX	512

static const char *const verbs[] = {
	[RQ_HEALTH] = "health", [RQ_TOP] = "top", [RQ_PROCESS] = "process",
	[RQ_FILES] = "files", [RQ_HISTORY] = "history",
	[RQ_CHECKPOINT] = "checkpoint", [RQ_FLUSH] = "flush", [RQ_HELP] = "help",
};

const char *
req_verbname(int v)
{
	if (v < 0 || v >= (int)(sizeof(verbs) / sizeof(verbs[0])))
		return "?";
	return verbs[v];
}

int
req_time(const char *s, time_t now, int64_t *out)
{
	const char *errstr;
	long long n, mul = 1;
	char num[32];
	size_t len;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strncmp(s, "now", 3) == 0)
		s += 3;
	if (*s != '-') {
		*out = strtonum(s, 0, 1LL << 40, &errstr);
		return errstr == NULL ? 0 : -1;
	}
	s++;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': mul = 1; num[len - 1] = '\0'; break;
	case 'm': mul = 60; num[len - 1] = '\0'; break;
	case 'h': mul = 3600; num[len - 1] = '\0'; break;
	case 'd': mul = 86400; num[len - 1] = '\0'; break;
	default: break;
	}
	n = strtonum(num, 0, 100LL * 365 * 86400 / mul, &errstr);
	if (errstr != NULL)
		return -1;
	*out = (int64_t)now - n * mul;
	return 0;
}

static int
field_list(struct request *r, const char *v, char *err, size_t errsz)
{
	char buf[WORD_MAX], *p, *tok;
	int i;

	strlcpy(buf, v, sizeof(buf));
	r->nfields = 0;
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		if (*tok == '\0')
			continue;
		if (r->nfields == REQ_FIELDS_MAX) {
			snprintf(err, errsz, "too many fields (max %d)",
			    REQ_FIELDS_MAX);
			return -1;
		}
		if ((i = pc_index(tok)) < 0) {
			snprintf(err, errsz, "unknown field: %.64s", tok);
			return -1;
		}
		r->fields[r->nfields++] = i;
	}
	return 0;
}

static int
keyval(struct request *r, const char *k, const char *v, time_t now,
    char *sortname, char *err, size_t errsz)
{
	const char *errstr = NULL;

	if (strcmp(k, "by") == 0) {
		if (strcmp(v, "process") == 0 || strcmp(v, "pid") == 0)
			r->by = BY_PROCESS;
		else if (strcmp(v, "exe") == 0)
			r->by = BY_EXE;
		else if (strcmp(v, "file") == 0)
			r->by = BY_FILE;
		else {
			snprintf(err, errsz, "by must be process, exe or file");
			return -1;
		}
	} else if (strcmp(k, "sort") == 0) {
		if (strlen(v) >= 64) {
			snprintf(err, errsz, "unknown sort key");
			return -1;
		}
		strlcpy(sortname, v, 64);
	} else if (strcmp(k, "limit") == 0) {
		r->limit = (int)strtonum(v, 1, REQ_LIMIT_MAX, &errstr);
	} else if (strcmp(k, "from") == 0) {
		if (req_time(v, now, &r->from) != 0)
			errstr = "bad time";
		r->has_from = 1;
	} else if (strcmp(k, "to") == 0) {
		if (req_time(v, now, &r->to) != 0)
			errstr = "bad time";
		r->has_to = 1;
	} else if (strcmp(k, "pid") == 0) {
		r->pid = strtonum(v, 1, 0x7fffffff, &errstr);
	} else if (strcmp(k, "exe") == 0) {
		if (strlen(v) >= sizeof(r->exe)) {
			snprintf(err, errsz, "exe too long");
			return -1;
		}
		strlcpy(r->exe, v, sizeof(r->exe));
		r->has_exe = 1;
	} else if (strcmp(k, "step") == 0) {
		r->step = strtonum(v, 1, 366LL * 86400, &errstr);
	} else if (strcmp(k, "fields") == 0) {
		return field_list(r, v, err, errsz);
	} else if (strcmp(k, "totals") == 0) {
		r->totals = (int)strtonum(v, 0, 1, &errstr);
	} else {
		snprintf(err, errsz, "unknown key: %.64s", k);
		return -1;
	}
	if (errstr != NULL) {
		snprintf(err, errsz, "%s: value %s", k, errstr);
		return -1;
	}
	return 0;
}

int
req_parse(const char *line, size_t len, time_t now, struct request *r,
    char *err, size_t errsz)
{
	char word[WORD_MAX], sortname[64] = "", *eq;
	const char *errstr;
	size_t i = 0, n, v;
	int nword = 0;

	memset(r, 0, sizeof(*r));
	r->sort = -1;
	r->limit = 20;
	r->pid = -1;
	if (len > REQ_LINE_MAX) {
		snprintf(err, errsz, "request too long");
		return -1;
	}
	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'))
			i++;
		if (i >= len)
			break;
		for (n = 0; i < len && line[i] != ' ' && line[i] != '\t' &&
		    line[i] != '\r'; i++) {
			if (line[i] == '\0' || n + 1 >= sizeof(word)) {
				snprintf(err, errsz, "bad word in request");
				return -1;
			}
			word[n++] = line[i];
		}
		word[n] = '\0';
		if (nword++ == 0) {
			for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
				if (strcmp(word, verbs[v]) == 0)
					break;
			if (v == sizeof(verbs) / sizeof(verbs[0])) {
				snprintf(err, errsz, "unknown request: %.64s "
				    "(try: help)", word);
				return -1;
			}
			r->verb = (int)v;
			continue;
		}
		if ((eq = strchr(word, '=')) == NULL) {
			/* The one positional word. */
			if (nword == 2 && (r->verb == RQ_PROCESS ||
			    r->verb == RQ_FILES || r->verb == RQ_HISTORY)) {
				r->pid = strtonum(word, 1, 0x7fffffff, &errstr);
				if (errstr != NULL) {
					snprintf(err, errsz, "pid %s", errstr);
					return -1;
				}
			} else if (nword == 2 && r->verb == RQ_CHECKPOINT) {
				if (strcmp(word, "passive") != 0 &&
				    strcmp(word, "full") != 0 &&
				    strcmp(word, "restart") != 0 &&
				    strcmp(word, "truncate") != 0) {
					snprintf(err, errsz, "checkpoint mode "
					    "must be passive, full, restart or "
					    "truncate");
					return -1;
				}
				strlcpy(r->mode, word, sizeof(r->mode));
			} else if (nword == 2 && r->verb == RQ_TOP &&
			    (strcmp(word, "process") == 0 ||
			    strcmp(word, "exe") == 0 ||
			    strcmp(word, "file") == 0)) {
				if (keyval(r, "by", word, now, sortname, err,
				    errsz) != 0)
					return -1;
			} else {
				snprintf(err, errsz, "unexpected word: %.64s",
				    word);
				return -1;
			}
			continue;
		}
		*eq = '\0';
		if (keyval(r, word, eq + 1, now, sortname, err, errsz) != 0)
			return -1;
	}
	if (nword == 0) {
		snprintf(err, errsz, "empty request");
		return -1;
	}
	if (sortname[0] != '\0') {
		r->sort = r->by == BY_FILE && r->verb == RQ_TOP ?
		    fc_index(sortname) : pc_index(sortname);
		if (r->verb == RQ_FILES)
			r->sort = fc_index(sortname);
		if (r->sort < 0) {
			snprintf(err, errsz, "unknown sort key: %.64s",
			    sortname);
			return -1;
		}
	}
	switch (r->verb) {
	case RQ_PROCESS:
	case RQ_FILES:
		if (r->pid < 0) {
			snprintf(err, errsz, "%s needs a PID", verbs[r->verb]);
			return -1;
		}
		break;
	case RQ_HISTORY:
		if (r->pid < 0 && !r->has_exe) {
			snprintf(err, errsz, "history needs pid=PID or "
			    "exe=PATH");
			return -1;
		}
		if (!r->has_from)
			r->from = (int64_t)now - 3600;
		if (!r->has_to)
			r->to = (int64_t)now + 1;
		break;
	case RQ_CHECKPOINT:
		if (r->mode[0] == '\0')
			strlcpy(r->mode, "passive", sizeof(r->mode));
		break;
	case RQ_TOP:
		/* The default end includes a window that starts right now. */
		if (r->has_from && !r->has_to)
			r->to = (int64_t)now + 1;
		if (r->has_to && !r->has_from) {
			snprintf(err, errsz, "to= needs from=");
			return -1;
		}
		if (r->totals && r->has_from) {
			snprintf(err, errsz, "totals=1 is for the live view "
			    "only (no from=/to=)");
			return -1;
		}
		break;
	default:
		break;
	}
	if ((r->has_from || r->has_to) && r->from >= r->to) {
		snprintf(err, errsz, "empty time range (from >= to)");
		return -1;
	}
	return 0;
}
