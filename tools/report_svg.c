/*
 * report_svg.c - the data behind "ioshim report --svg": the top
 * executables by disk write over the period ("top by=exe from= to="), then
 * each one's time series ("history exe=... step=..."), laid on common
 * buckets, handed to svg.c.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "jv.h"
#include "report.h"

/* Bucket width: about 120 buckets, a multiple of the collector's window. */
static int64_t
pick_step(const char *sockopt, int64_t range)
{
	struct jv *h;
	int64_t w = 60, step;

	if ((h = report_ask(sockopt, "health")) != NULL) {
		if (jv_num(h, "window_s") >= 1)
			w = (int64_t)jv_num(h, "window_s");
		jv_free(h);
	}
	step = (range + 119) / 120;
	if (step < w)
		step = w;
	step = (step + w - 1) / w * w;
	if (step >= 3600)
		step = (step + 3599) / 3600 * 3600;
	return step;
}

static void
chart_free(struct chart *c)
{
	int i;

	for (i = 0; i < c->ns; i++)
		free(c->s[i].rate);
	free(c->saved);
}

/* Fetch the series of [from, to) into c; 0 ok. */
static int
fill(const char *sockopt, struct chart *c, int64_t from, int64_t to,
    int limit)
{
	struct jv *top, *h;
	const struct jv *rows, *pts, *p;
	char req[1024];
	size_t i, k;
	int64_t b;
	int n;

	c->step = pick_step(sockopt, to - from);
	c->from = from / c->step * c->step;
	c->to = to;
	c->nb = (int)((to - c->from + c->step - 1) / c->step);
	if (c->nb < 1)
		c->nb = 1;
	if ((c->saved = calloc((size_t)c->nb, sizeof(double))) == NULL)
		err(1, NULL);
	snprintf(req, sizeof(req), "top by=exe from=%lld to=%lld limit=%d "
	    "sort=disk_write_bytes", (long long)from, (long long)to,
	    limit < CHART_SERIES ? limit : CHART_SERIES);
	if ((top = report_ask(sockopt, req)) == NULL)
		return -1;
	rows = jv_get(top, "rows");
	for (i = 0; rows != NULL && i < rows->n && c->ns < CHART_SERIES; i++) {
		struct series *s = &c->s[c->ns];
		const char *exe = jv_str(&rows->kids[i], "exe");

		/* A request is words: an exe with a blank cannot be named. */
		if (jv_num(&rows->kids[i], "disk_write_bytes") <= 0 ||
		    exe[0] == '\0' || strpbrk(exe, " \t") != NULL)
			continue;
		snprintf(s->name, sizeof(s->name), "%s", exe);
		if ((s->rate = calloc((size_t)c->nb, sizeof(double))) == NULL)
			err(1, NULL);
		c->ns++;
		snprintf(req, sizeof(req), "history exe=%s from=%lld to=%lld "
		    "step=%lld fields=disk_write_bytes,disk_writes,memfs_writes,"
		    "absorbed,flush_syscalls", exe, (long long)c->from,
		    (long long)to, (long long)c->step);
		if ((h = report_ask(sockopt, req)) == NULL) {
			jv_free(top);
			return -1;
		}
		pts = jv_get(h, "points");
		for (k = 0; pts != NULL && k < pts->n; k++) {
			double ab, fl;

			p = &pts->kids[k];
			b = ((int64_t)jv_num(p, "ts") - c->from) / c->step;
			if (b < 0 || b >= c->nb)
				continue;
			n = (int)b;
			s->rate[n] += jv_num(p, "disk_write_bytes") /
			    (double)c->step;
			s->total += jv_num(p, "disk_write_bytes");
			s->calls += jv_num(p, "disk_writes") +
			    jv_num(p, "memfs_writes");
			ab = jv_num(p, "absorbed");
			fl = jv_num(p, "flush_syscalls");
			if (ab > fl) {
				s->saved += ab - fl;
				c->saved[n] += (ab - fl) / (double)c->step;
			}
		}
		jv_free(h);
	}
	jv_free(top);
	return 0;
}

/* The buckets with any writes: [*first, *last]; -1 if none. */
static void
active(const struct chart *c, int *first, int *last)
{
	int i, s;

	*first = *last = -1;
	for (i = 0; i < c->nb; i++)
		for (s = 0; s < c->ns; s++)
			if (c->s[s].rate[i] > 0) {
				if (*first < 0)
					*first = i;
				*last = i;
			}
}

int
report_svg(const char *sockopt, const char *file, int64_t from, int64_t to,
    int limit)
{
	struct chart c;
	int64_t f2, t2, pad;
	int first, last, rc = -1;

	memset(&c, 0, sizeof(c));
	if (fill(sockopt, &c, from, to, limit) != 0)
		goto out;
	/*
	 * Writes in a sliver of a long period: draw the span with activity
	 * (and a margin), at the finer step that allows.
	 */
	active(&c, &first, &last);
	if (first >= 0 && (last - first + 1) * 4 < c.nb && c.nb > 12) {
		pad = (last - first + 1) / 5 + 1;
		f2 = c.from + (first - pad) * c.step;
		t2 = c.from + (last + 1 + pad) * c.step;
		if (f2 < from)
			f2 = from;
		if (t2 > to)
			t2 = to;
		chart_free(&c);
		memset(&c, 0, sizeof(c));
		if (fill(sockopt, &c, f2, t2, limit) != 0)
			goto out;
		c.zoomed = 1;
	}
	if (svg_write(file, &c) != 0) {
		warn("report: %s", file);
		goto out;
	}
	rc = 0;
out:
	chart_free(&c);
	return rc;
}
