/*
 * cmd_health.c - "ioshim health [--json]": the collector's health.
 *
 * First one summary line: the state and its reasons, e.g.
 *   health: failing: disk_full since 2026-12-05T12:40:02Z
 * then the reply as an indented "key: value" list, byte counts also in
 * KiB/MiB/GiB, times also as ISO 8601 in local time and UTC.  --json
 * prints the reply as it came.  The exit status is the state: 0 ok,
 * 1 degraded, 3 failing; 4 when there is no health to tell (no collector,
 * not allowed, or it answered with an error); 2 a usage error.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "ioshim.h"
#include "jv.h"

enum { H_OK = 0, H_DEGRADED = 1, H_FAILING = 3, H_NONE = 4 };

#define USAGE	"usage: ioshim health [--json] [--socket PATH]\n"

/* Keys whose value is a time in Unix seconds. */
static const char *const timekeys[] = {
	"window_start", "since", "last", "pending_since", "rolled_upto",
	"staged_since", "at", "start", NULL
};

static int
is_time(const char *key)
{
	int i;

	for (i = 0; timekeys[i] != NULL; i++)
		if (strcmp(key, timekeys[i]) == 0)
			return 1;
	return 0;
}

/* ISO 8601: 2026-12-05T13:40:02+01:00 (local) or 2026-12-05T12:40:02Z. */
static void
iso(char *buf, size_t sz, time_t t, int utc)
{
	struct tm tm;
	size_t n;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL) {
		snprintf(buf, sz, "?");
		return;
	}
	n = strftime(buf, sz, utc ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%dT%H:%M:%S%z", &tm);
	/* %z is +0100; ISO 8601's extended form wants +01:00 */
	if (!utc && n >= 5 && n + 2 <= sz) {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
	}
}

static void
human(const char *key, uint64_t v)
{
	const char *unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	size_t kl = strlen(key);
	int u = -1;

	if (!(kl > 6 && strcmp(key + kl - 6, "_bytes") == 0) &&
	    strstr(key, "_bytes_") == NULL)
		return;
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	if (u >= 0)
		printf(" (%.1f %s)", d, unit[u]);
}

static void
number(const char *key, const struct jv *v)
{
	char l[64], u[64];

	if (v->num >= 0 && v->num == (double)v->u)
		printf(" %llu", (unsigned long long)v->u);
	else if (v->num == (double)(long long)v->num)
		printf(" %lld", (long long)v->num);
	else
		printf(" %g", v->num);
	if (key == NULL || v->num < 0 || v->num != (double)v->u)
		return;
	if (is_time(key) && v->u > 0) {
		iso(l, sizeof(l), (time_t)v->u, 0);
		iso(u, sizeof(u), (time_t)v->u, 1);
		printf(" (%s, %s)", l, u);
	} else
		human(key, v->u);
}

static void
scalar(const char *key, const struct jv *v)
{
	switch (v->type) {
	case JV_NULL:
		printf(" null");
		break;
	case JV_BOOL:
		printf(" %s", v->u ? "true" : "false");
		break;
	case JV_STR:
		printf(" %s", v->str[0] ? v->str : "-");
		break;
	case JV_NUM:
		number(key, v);
		break;
	default:
		printf(" [%zu]", v->n);
	}
}

static void
detail(const struct jv *obj, int depth)
{
	const struct jv *k;
	size_t i, e;

	for (i = 0; i < obj->n; i++) {
		k = &obj->kids[i];
		printf("%*s%s:", depth * 2, "", k->key);
		if (k->type == JV_OBJ) {
			putchar('\n');
			detail(k, depth + 1);
			continue;
		}
		if (k->type == JV_ARR)
			for (e = 0; e < k->n; e++)
				scalar(NULL, &k->kids[e]);
		else
			scalar(k->key, k);
		putchar('\n');
	}
}

/* The state: the reply's "state", else (an older collector) the worst
 * severity among its reasons. */
static int
state(const struct jv *r)
{
	const struct jv *rs = jv_get(r, "reasons");
	const char *s = jv_str(r, "state"), *sev;
	int st = H_OK;
	size_t i;

	if (strcmp(s, "ok") == 0)
		return H_OK;
	if (strcmp(s, "degraded") == 0)
		return H_DEGRADED;
	if (strcmp(s, "failing") == 0)
		return H_FAILING;
	for (i = 0; rs != NULL && rs->type == JV_OBJ && i < rs->n; i++) {
		sev = jv_str(&rs->kids[i], "severity");
		if (strcmp(sev, "failing") == 0)
			st = H_FAILING;
		else if (strcmp(sev, "degraded") == 0 && st == H_OK)
			st = H_DEGRADED;
	}
	return st;
}

/* health: STATE[: REASON since TIME, ...] */
static void
summary(const struct jv *r, int st)
{
	const struct jv *rs = jv_get(r, "reasons");
	char t[64];
	uint64_t since;
	size_t i;

	printf("health: %s", st == H_FAILING ? "failing" : st == H_DEGRADED ?
	    "degraded" : "ok");
	for (i = 0; rs != NULL && rs->type == JV_OBJ && i < rs->n; i++) {
		printf("%s%s (%s", i == 0 ? ": " : ", ", rs->kids[i].key,
		    jv_str(&rs->kids[i], "severity"));
		if ((since = jv_u64(&rs->kids[i], "since")) > 0) {
			iso(t, sizeof(t), (time_t)since, 1);
			printf(", since %s", t);
		}
		putchar(')');
	}
	putchar('\n');
}

int
cmd_health(int argc, char **argv)
{
	const char *opt = NULL;
	struct jv *r;
	char *reply;
	int i, json = 0, st;

	argc = client_socket_opt(argc, argv, &opt);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf(USAGE "exit status: 0 ok, 1 degraded, 3 failing, "
			    "4 no health from the collector (unreachable, not "
			    "allowed, or an error reply), 2 usage error\n");
			return 0;
		} else if (strcmp(argv[i], "--version") == 0)
			return print_version();
		else {
			warnx("health: %s '%s'", argv[i][0] == '-' ?
			    "unknown option" : "unexpected argument", argv[i]);
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (client_request(opt, "health", &reply) != 0)
		return H_NONE;
	if ((r = jv_parse(reply)) == NULL || r->type != JV_OBJ) {
		warnx("health: cannot read the collector's reply: %.200s", reply);
		st = H_NONE;
	} else if (jv_error(r) != NULL) {
		warnx("health: the collector answered: %s", jv_error(r));
		st = H_NONE;
	} else {
		st = state(r);
		if (json)
			puts(reply);
		else {
			summary(r, st);
			detail(r, 0);
		}
	}
	jv_free(r);
	free(reply);
	return st;
}
