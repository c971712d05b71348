/*
 * units.c - human units, sparklines, durations and times (see units.h).
 */
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bsd/stdlib.h>

#include "units.h"

void
u_bytes(char *buf, size_t sz, double v, int kib)
{
	static const char units[] = "BKMGTPE";
	int u = 0;

	if (v < 0)
		v = 0;
	if (kib) {
		snprintf(buf, sz, "%.0fK", v / 1024.0);
		return;
	}
	if (v > 0 && v < 1) {		/* a rate below 1 B/s */
		snprintf(buf, sz, "<1B");
		return;
	}
	/* Like humanize_number(3), but "1.3M" rather than "1374K". */
	while (v >= 1000 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u > 0 && v < 9.95)
		snprintf(buf, sz, "%.1f%c", v, units[u]);
	else
		snprintf(buf, sz, "%.0f%c", v, units[u]);
}

void
u_rate(char *buf, size_t sz, double v, int kib)
{
	char tmp[32];

	u_bytes(tmp, sizeof(tmp), v, kib);
	snprintf(buf, sz, "%s/s", tmp);
}

int
u_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0);
}

void
u_spark(char *buf, size_t sz, const double *v, int n, int utf8)
{
	static const char *const blocks[] = {
		"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
		"\u2587", "\u2588",
	};
	static const char ascii[] = "_.-=+*#@";
	double max = 0;
	size_t len = 0;
	int i, k;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (i = 0; i < n; i++) {
		const char *g;
		char one[2];

		if (v[i] <= 0 || max <= 0) {
			g = utf8 ? " " : " ";
		} else {
			k = (int)(v[i] / max * 7.0 + 0.5);
			if (k < 0)
				k = 0;
			if (k > 7)
				k = 7;
			if (utf8)
				g = blocks[k];
			else {
				one[0] = ascii[k];
				one[1] = '\0';
				g = one;
			}
		}
		if (len + strlen(g) + 1 > sz)
			break;
		memcpy(buf + len, g, strlen(g) + 1);
		len += strlen(g);
	}
}

int
u_duration(const char *s, int64_t *out)
{
	const char *errstr;
	char num[24];
	int64_t total = 0, mul;
	size_t n;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n == 0 || n >= sizeof(num))
			return -1;
		memcpy(num, s, n);
		num[n] = '\0';
		s += n;
		switch (*s) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		case '\0': mul = 1; s--; break;		/* bare seconds */
		default: return -1;
		}
		s++;
		total += strtonum(num, 0, 100LL * 366 * 86400 / mul, &errstr) *
		    mul;
		if (errstr != NULL || total > 100LL * 366 * 86400)
			return -1;
	}
	if (total <= 0)
		return -1;
	*out = total;
	return 0;
}

/* strptime() over the whole string with one of the formats. */
static int
full(const char *s, const char *fmt, struct tm *tm)
{
	const char *e;

	memset(tm, 0, sizeof(*tm));
	e = strptime(s, fmt, tm);
	return e != NULL && *e == '\0';
}

int
u_time(const char *s, time_t now, int64_t *out)
{
	static const char *const dates[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
		"%Y-%m-%dT%H:%M", "%Y-%m-%d",
	};
	struct tm tm, today;
	const char *errstr;
	int64_t d;
	time_t t;
	size_t i;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strncmp(s, "now-", 4) == 0 || s[0] == '-') {
		if (u_duration(s + (s[0] == '-' ? 1 : 4), &d) != 0)
			return -1;
		*out = (int64_t)now - d;
		return 0;
	}
	if (s[0] == '@' || (strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) >= 9)) {
		*out = strtonum(s + (s[0] == '@'), 0, 1LL << 40, &errstr);
		return errstr == NULL ? 0 : -1;
	}
	localtime_r(&now, &today);
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		tm = today;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (s[0] == 'y')
			tm.tm_mday--;
		tm.tm_isdst = -1;
		*out = mktime(&tm);
		return 0;
	}
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (full(s, dates[i], &tm))
			goto got;
	if (full(s, "%H:%M:%S", &tm) || full(s, "%H:%M", &tm)) {
		tm.tm_year = today.tm_year;
		tm.tm_mon = today.tm_mon;
		tm.tm_mday = today.tm_mday;
		goto got;
	}
	return -1;
got:
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

void
u_timestr(char *buf, size_t sz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, sz, "%Y-%m-%d %H:%M:%S", &tm);
}

char *
u_pct(char *buf, size_t sz, double pct, int prec)
{
	snprintf(buf, sz, "%.*f", prec, pct);
	/* only a whole saving may read 100: 99.97 is 99.9 */
	if (pct < 100 && strncmp(buf, "100", 3) == 0)
		snprintf(buf, sz, "99%s%.*s", prec > 0 ? "." : "", prec,
		    "99999999");
	return buf;
}
