/*
 * top_data.c - what "ioshim top" shows: poll the collector's cumulative
 * counters ("top totals=1"), turn them into per-second rates between two
 * polls (or totals since top started, -a), then filter, group and sort.
 *
 * A rate divides by the shim's own clock: each row carries sent_ns, when
 * the shim took those counters (it reports once an interval, 1 s by
 * default).  Between two polls without a new report a rate stays what
 * the last two reports gave; so top -d 0.5 shows a steady true rate, not
 * the whole second's bytes in one half and nothing in the other.
 */
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "jv.h"
#include "top.h"

static const char *const colnames[NCOL] = {
	"pid", "user", "read", "write", "send", "recv", "fsync", "saved",
	"command",
};

static const char *const grnames[NGR] = { "r", "w", "rw" };

const char *
top_grname(int g)
{
	return g >= 0 && g < NGR ? grnames[g] : "?";
}

int
top_grtype(const char *s)
{
	int g;

	for (g = 0; g < NGR; g++)
		if (strcmp(s, grnames[g]) == 0)
			return g;
	return -1;
}

const char *
top_colname(int c)
{
	return c >= 0 && c < NCOL ? colnames[c] : "?";
}

int
top_sortkey(const char *s)
{
	static const struct {
		const char *alias;
		int col;
	} al[] = {
		{ "disk_read", COL_DR }, { "disk_write", COL_DW },
		{ "sock_send", COL_SS }, { "sock_recv", COL_SR },
		{ "socket_send", COL_SS }, { "socket_recv", COL_SR },
		{ "fsyncs", COL_FS }, { "comm", COL_CMD }, { "exe", COL_CMD },
	};
	size_t i;

	for (i = 0; i < NCOL; i++)
		if (strcmp(s, colnames[i]) == 0)
			return (int)i;
	for (i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		if (strcmp(s, al[i].alias) == 0)
			return al[i].col;
	return -1;
}

const char *
top_user(uid_t uid)
{
	static struct { uid_t uid; char name[32]; } cache[64];
	static int n;
	struct passwd *pw;
	int i;

	for (i = 0; i < n; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	i = n < 64 ? n++ : (int)(uid % 64);
	cache[i].uid = uid;
	if ((pw = getpwuid(uid)) != NULL)
		snprintf(cache[i].name, sizeof(cache[i].name), "%s",
		    pw->pw_name);
	else
		snprintf(cache[i].name, sizeof(cache[i].name), "%u",
		    (unsigned)uid);
	return cache[i].name;
}

static double
now_clock(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct tproc *
find(struct top *t, pid_t pid, uint64_t image_ns)
{
	struct tproc *p;
	size_t i;

	for (i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid && t->procs[i].image_ns == image_ns)
			return &t->procs[i];
	if (t->nprocs == t->capprocs) {
		size_t cap = t->capprocs ? t->capprocs * 2 : 64;

		if ((p = reallocarray(t->procs, cap, sizeof(*p))) == NULL)
			return NULL;
		t->procs = p;
		t->capprocs = cap;
	}
	p = &t->procs[t->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->image_ns = image_ns;
	p->fresh = 1;
	return p;
}

static void
status(struct top *t)
{
	struct jv *h;
	char *reply;

	if (client_request(t->o.sockopt, "health", &reply) != 0)
		return;
	if ((h = jv_parse(reply)) != NULL && jv_error(h) == NULL) {
		double up = jv_num(h, "uptime_s");

		snprintf(t->status, sizeof(t->status), "collector %s, up "
		    "%.0f%s, %.0f clients, %.0f msgs dropped, %.0f windows "
		    "stored", strcmp(jv_str(h, "db.state"), "ok") == 0 ? "ok" :
		    jv_str(h, "db.state"), up >= 3600 ? up / 3600 : up >= 60 ?
		    up / 60 : up, up >= 3600 ? "h" : up >= 60 ? "m" : "s",
		    jv_num(h, "clients"), jv_num(h, "messages.dropped"),
		    jv_num(h, "db.windows_stored"));
	}
	jv_free(h);
	free(reply);
}

/*
 * New counters of an image, taken by the shim at sent (ns, its wall
 * clock; 0 from a collector that does not say).  Seen when top started:
 * counted from there.  Seen later: everything since the image started.
 */
static void
take(struct top *t, struct tproc *p, const uint64_t cur[NV], uint64_t sent,
    int first, double dt)
{
	double span, age;
	int k;

	if (p->fresh) {
		memset(p->prev, 0, sizeof(p->prev));
		p->psent = p->image_ns;
		if (first) {
			memcpy(p->base, cur, sizeof(p->base));
			memcpy(p->prev, cur, sizeof(p->prev));
			p->psent = sent;
		}
		p->sent = p->psent;
		memcpy(p->cur, p->prev, sizeof(p->cur));
	}
	if (sent == 0) {		/* no clock of its own: top's */
		for (k = 0; k < NV; k++)
			p->rate[k] = dt > 0 && cur[k] > p->cur[k] ?
			    (double)(cur[k] - p->cur[k]) / dt : 0;
		memcpy(p->cur, cur, sizeof(p->cur));
		return;
	}
	if (sent > p->sent) {		/* a new report */
		memcpy(p->prev, p->cur, sizeof(p->prev));
		p->psent = p->sent;
		memcpy(p->cur, cur, sizeof(p->cur));
		p->sent = sent;
		span = p->psent > 0 && p->sent > p->psent ?
		    (double)(p->sent - p->psent) / 1e9 : 0;
		p->gap = span;
		for (k = 0; k < NV; k++)
			p->rate[k] = span > 0 && p->cur[k] > p->prev[k] ?
			    (double)(p->cur[k] - p->prev[k]) / span : 0;
		return;
	}
	/*
	 * No report since the last poll: the rate of the last two holds while
	 * the next report is not overdue; an ended image has no next one.
	 */
	memcpy(p->cur, cur, sizeof(p->cur));
	age = t->now - (double)p->sent / 1e9;
	if (p->ended || age > 2 * (p->gap > 1 ? p->gap : 1) + 0.5)
		memset(p->rate, 0, sizeof(p->rate));
}

/* An image ended by exec, and the next image of its pid: link them. */
static void
chains(struct top *t)
{
	struct tproc *p, *q, *next;
	size_t i, j;

	for (i = 0; i < t->nprocs; i++)
		t->procs[i].execfrom[0] = '\0';
	for (i = 0; i < t->nprocs; i++) {
		p = &t->procs[i];
		p->execto[0] = '\0';
		if (!p->ended || p->endwhy != END_EXEC)
			continue;
		for (next = NULL, j = 0; j < t->nprocs; j++) {
			q = &t->procs[j];
			if (q->pid == p->pid && q->image_ns > p->image_ns &&
			    (next == NULL || q->image_ns < next->image_ns))
				next = q;
		}
		if (next == NULL) {
			snprintf(p->execto, sizeof(p->execto), "?");
			continue;
		}
		snprintf(p->execto, sizeof(p->execto), "%s", next->comm);
		snprintf(next->execfrom, sizeof(next->execfrom), "%s", p->comm);
	}
}

int
top_poll(struct top *t)
{
	static const char *const keys[NV] = {
		"disk_read_bytes", "disk_write_bytes", "socket_write_bytes",
		"socket_read_bytes", "fsyncs", "absorbed", "flush_syscalls",
		"disk_writes", "kernel_write_bytes", "disk_write_syscalls",
		"saves_absorbed", "saves_written", "bytes_saved",
	};
	static double last;
	const struct jv *rows, *r;
	struct tproc *p;
	struct jv *v;
	char *reply;
	double now, dt;
	uint64_t cur[NV];
	size_t i, o;
	int k, g, first = t->polls == 0;

	if (client_request(t->o.sockopt, "top totals=1 limit=1000",
	    &reply) != 0) {
		t->up = 0;
		snprintf(t->status, sizeof(t->status), "collector not "
		    "reachable");
		return -1;
	}
	now = now_clock(CLOCK_MONOTONIC);
	dt = first ? 0 : now - last;
	last = now;
	t->now = now_clock(CLOCK_REALTIME);
	if (first)
		t->start = t->now;
	if ((v = jv_parse(reply)) == NULL || jv_error(v) != NULL) {
		snprintf(t->lasterr, sizeof(t->lasterr), "collector: %s",
		    v != NULL ? jv_error(v) : "unreadable reply");
		free(reply);
		jv_free(v);
		t->up = 0;
		return -1;
	}
	free(reply);
	t->up = 1;
	t->lasterr[0] = '\0';
	t->dt = dt;
	for (i = 0; i < t->nprocs; i++) {
		t->procs[i].seen = 0;
		t->procs[i].fresh = 0;
	}
	rows = jv_get(v, "rows");
	for (i = 0; rows != NULL && i < rows->n; i++) {
		r = &rows->kids[i];
		p = find(t, (pid_t)jv_num(r, "pid"), jv_u64(r, "image_ns"));
		if (p == NULL)
			break;
		p->seen = 1;
		p->uid = (uid_t)jv_num(r, "uid");
		snprintf(p->comm, sizeof(p->comm), "%s", jv_str(r, "comm"));
		snprintf(p->exe, sizeof(p->exe), "%s", jv_str(r, "exe"));
		p->ended = strcmp(jv_str(r, "state"), "ended") == 0;
		p->endwhy = (int)jv_num(r, "end_reason");
		memcpy(cur, p->cur, sizeof(cur));
		for (k = 0; k < NV; k++)
			cur[k] = jv_u64(r, keys[k]);
		cur[V_WC] += jv_u64(r, "memfs_writes");
		take(t, p, cur, jv_u64(r, "sent_ns"), first, dt);
	}
	jv_free(v);
	/* Forget images the collector no longer has; rates of the rest. */
	memset(t->tot, 0, sizeof(t->tot));
	for (i = o = 0; i < t->nprocs; i++) {
		p = &t->procs[i];
		if (!p->seen)
			continue;
		for (k = 0; k < NV; k++)
			t->tot[k] += p->rate[k];
		for (g = 0; g < NGR; g++)
			memmove(p->hist[g], p->hist[g] + 1, sizeof(p->hist[g]) -
			    sizeof(p->hist[g][0]));
		p->hist[GR_R][TOP_HIST - 1] = p->rate[V_DR];
		p->hist[GR_W][TOP_HIST - 1] = p->rate[V_DW];
		p->hist[GR_RW][TOP_HIST - 1] = p->rate[V_DR] + p->rate[V_DW];
		t->procs[o++] = *p;
	}
	t->nprocs = o;
	chains(t);
	t->polls++;
	status(t);
	return 0;
}

/*
 * "/" and --filter: as iotop-c, a regular expression (extended) that the
 * PID or the command matches; one that does not compile (yet: while it is
 * typed) is looked for as plain text.
 */
static int
filtered(const char *f, const struct tproc *p)
{
	static char last[64];
	static regex_t re;
	static int ok;
	char pid[16];

	if (strcmp(f, last) != 0) {
		if (ok)
			regfree(&re);
		ok = regcomp(&re, f, REG_EXTENDED | REG_NOSUB) == 0;
		snprintf(last, sizeof(last), "%s", f);
	}
	snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	if (!ok)
		return strstr(p->comm, f) != NULL || strstr(p->exe, f) != NULL ||
		    strcmp(pid, f) == 0;
	return regexec(&re, pid, 0, NULL, 0) == 0 ||
	    regexec(&re, p->comm, 0, NULL, 0) == 0 ||
	    regexec(&re, p->exe, 0, NULL, 0) == 0;
}

static int
selected(const struct top *t, const struct tproc *p)
{
	int i, ok;

	if (t->o.npid > 0) {
		for (ok = 0, i = 0; i < t->o.npid; i++)
			ok |= t->o.pids[i] == p->pid;
		if (!ok)
			return 0;
	}
	if (t->o.nuid > 0) {
		for (ok = 0, i = 0; i < t->o.nuid; i++)
			ok |= t->o.uids[i] == p->uid;
		if (!ok)
			return 0;
	}
	if (t->o.noexited && p->ended)
		return 0;
	return t->o.filter[0] == '\0' || filtered(t->o.filter, p);
}

static const struct top *sorting;

static double
colval(const struct trow *r, int col)
{
	switch (col) {
	case COL_PID: return r->pid;
	case COL_DR: return r->val[V_DR];
	case COL_DW: return r->val[V_DW];
	case COL_SS: return r->val[V_SS];
	case COL_SR: return r->val[V_SR];
	case COL_FS: return r->val[V_FS];
	case COL_SAVED: return r->saved;
	default: return 0;
	}
}

static int
cmprow(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;
	int col = sorting->o.sort, c = 0;
	double vx, vy;

	if (col == COL_USER)
		c = strcmp(top_user(x->uid), top_user(y->uid));
	else if (col == COL_CMD)
		c = strcmp(x->comm, y->comm);
	else if (col == COL_PID)
		c = x->pid < y->pid ? -1 : x->pid > y->pid;
	else {
		vx = colval(x, col);
		vy = colval(y, col);
		c = vx < vy ? 1 : vx > vy ? -1 : 0;	/* biggest first */
	}
	if (sorting->o.reverse)
		c = -c;
	if (c == 0)
		c = x->pid < y->pid ? -1 : x->pid > y->pid;
	if (c == 0)
		c = strcmp(x->exe, y->exe);
	return c;
}

static void
saved(struct trow *r)
{
	uint64_t ab = r->tot[V_AB], fl = r->tot[V_FL], wc = r->tot[V_WC];

	r->saved = wc == 0 ? -1 : ab > fl ? 100.0 * (double)(ab - fl) /
	    (double)wc : 0;
}

/* -A: seconds since top or the image started, the later. */
static double
since(const struct top *t, const struct tproc *p)
{
	double img = (double)p->image_ns / 1e9;

	return t->now - (img > t->start ? img : t->start);
}

void
top_rows(struct top *t)
{
	struct trow *r, *nr;
	size_t i, j, n = 0;
	int k, g, active;
	double span;

	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
	if (t->nprocs == 0 ||
	    (r = calloc(t->nprocs, sizeof(*r))) == NULL)
		return;
	for (i = 0; i < t->nprocs; i++) {
		const struct tproc *p = &t->procs[i];

		if (!selected(t, p))
			continue;
		for (active = 0, k = 0; k < NV; k++) {
			uint64_t acc = p->cur[k] > p->base[k] ?
			    p->cur[k] - p->base[k] : 0;

			if (k == V_KW)		/* not shown; not "activity" */
				continue;
			active |= t->o.accum != AC_RATE ? acc > 0 :
			    p->rate[k] > 0;
		}
		if (t->o.only && !active)
			continue;
		nr = NULL;
		if (t->o.byexe)
			for (j = 0; j < n; j++)
				if (strcmp(r[j].exe, p->exe) == 0)
					nr = &r[j];
		if (nr == NULL) {
			nr = &r[n++];
			nr->pid = t->o.byexe ? 0 : p->pid;
			nr->uid = p->uid;
			nr->comm = p->comm;
			nr->exe = p->exe;
			nr->proc = t->o.byexe ? NULL : p;
		}
		nr->nproc++;
		span = since(t, p);
		for (k = 0; k < NV; k++) {
			uint64_t acc = p->cur[k] > p->base[k] ?
			    p->cur[k] - p->base[k] : 0;

			nr->tot[k] += t->o.accum != AC_RATE ? acc : p->cur[k];
			nr->val[k] += t->o.accum == AC_TOTAL ? (double)acc :
			    t->o.accum == AC_BW ? (span > 0 ? (double)acc / span :
			    0) : p->rate[k];
			nr->rate[k] += p->rate[k];
		}
		for (g = 0; g < NGR; g++)
			for (k = 0; k < TOP_HIST; k++)
				nr->hist[g][k] += p->hist[g][k];
	}
	for (j = 0; j < n; j++) {
		saved(&r[j]);
		if (t->o.byexe) {	/* the exe's name stands for it */
			const char *b = strrchr(r[j].exe, '/');

			r[j].comm = b != NULL && b[1] != '\0' ? b + 1 :
			    r[j].exe[0] != '\0' ? r[j].exe : r[j].comm;
		}
	}
	sorting = t;
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r, n, sizeof(*r), cmprow);
	t->rows = r;
	t->nrows = n;
}

void
top_free(struct top *t)
{
	free(t->rows);
	free(t->procs);
	t->rows = NULL;
	t->procs = NULL;
	t->nrows = t->nprocs = t->capprocs = 0;
}
