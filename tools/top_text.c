/*
 * top_text.c - the lines "ioshim top" shows, as plain text: the two
 * header lines, the column header, one row per process (or executable),
 * and the JSON object of an iteration (--json).  top_view.c puts the same
 * lines on the curses screen; batch mode prints them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "top.h"
#include "units.h"

/*
 * Column widths; COMMAND takes the rest.  A right-aligned header keeps at
 * least one blank before it with the sort marker (" v") after its name.
 */
#define W_PID	7
#define W_USER	9
#define W_RATE	13
#define W_FS	10
#define W_SAVED	10
#define W_SPARK	(TOP_HIST + 2)
#define W_CMDMIN 12

void
top_layout(struct toplay *l, int cols, int hide)
{
	int w;

	l->pid = !(hide & HIDE_PID);
	l->user = !(hide & HIDE_USER);
	l->dr = !(hide & HIDE_DR);
	l->dw = !(hide & HIDE_DW);
	l->spark = !(hide & HIDE_GRAPH);
	l->cmd = !(hide & HIDE_CMD);
	l->sock = 1;
	l->cmdw = 0;
	if (cols <= 0)
		return;
	w = (l->pid ? W_PID + 1 : 0) + (l->user ? W_USER : 0) +
	    (l->dr + l->dw + 2) * W_RATE + W_FS + W_SAVED +
	    (l->spark ? W_SPARK : 0) + 1;
	if (l->spark && cols < w + W_CMDMIN) {
		l->spark = 0;
		w -= W_SPARK;
	}
	if (l->user && cols < w + W_CMDMIN) {
		l->user = 0;
		w -= W_USER;
	}
	if (cols < w + W_CMDMIN) {
		l->sock = 0;
		w -= 2 * W_RATE;
	}
	l->cmdw = cols - w > 0 ? cols - w : 1;
}

int
top_minwidth(void)
{
	return W_PID + 1 + 2 * W_RATE + W_FS + W_SAVED + 1 + W_CMDMIN;
}

void
top_fmt_header1(const struct top *t, char *buf, size_t sz)
{
	char a[32], b[32], c[32], d[32];

	u_rate(a, sizeof(a), t->tot[V_DR], t->o.kib);
	u_rate(b, sizeof(b), t->tot[V_DW], t->o.kib);
	u_rate(c, sizeof(c), t->tot[V_SS], t->o.kib);
	u_rate(d, sizeof(d), t->tot[V_SR], t->o.kib);
	snprintf(buf, sz, "Total DISK READ: %s | DISK WRITE: %s | SOCK SEND: "
	    "%s | SOCK RECV: %s | FSYNC/s: %.1f", a, b, c, d, t->tot[V_FS]);
}

void
top_fmt_header2(const struct top *t, char *buf, size_t sz)
{
	char co[256], p[16];
	double ab = t->tot[V_AB], fl = t->tot[V_FL], wc = t->tot[V_WC];

	if (wc > 0)
		snprintf(co, sizeof(co), "Coalescing: %.0f writes/s absorbed, "
		    "%.0f syscalls/s made (%s%% fewer)", ab, fl,
		    u_pct(p, sizeof(p), ab > fl ? 100.0 * (ab - fl) / wc : 0.0,
		    1));
	else
		snprintf(co, sizeof(co), "Coalescing: no file writes");
	/* debounced saves, beside the coalescer's: only when there are */
	if (t->tot[V_SA] + t->tot[V_SW] > 0) {
		char b[32];
		size_t n = strlen(co);

		u_rate(b, sizeof(b), t->tot[V_BS], t->o.kib);
		snprintf(co + n, sizeof(co) - n, " | Debounce: %.1f saves/s "
		    "absorbed, %.1f written, %s saved", t->tot[V_SA],
		    t->tot[V_SW], b);
	}
	/* first the kernel's disk write calls, then the programs' */
	snprintf(buf, sz, "DISK WRITES/s: %.0f (program calls/s: %.0f) | %s | "
	    "%s", t->tot[V_WS], wc, co, t->lasterr[0] ? t->lasterr :
	    t->status);
}

static void
hdrcol(char *buf, size_t sz, const struct top *t, int col, int w,
    const char *name, int left)
{
	char h[32];
	size_t len = strlen(buf);

	/* The sort column carries an arrow, set apart: which way it sorts. */
	snprintf(h, sizeof(h), "%s%s", name, t->o.sort != col ? "" :
	    (t->o.reverse ^ (col == COL_PID || col == COL_USER ||
	    col == COL_CMD)) ? " ^" : " v");
	if (left)
		snprintf(buf + len, sz - len, "%-*s", w, h);
	else
		snprintf(buf + len, sz - len, "%*s", w, h);
}

void
top_fmt_colhdr(const struct top *t, const struct toplay *l, char *buf,
    size_t sz)
{
	static const char *const gr[NGR] = { "READ/s", "WRITE/s", "R+W/s" };
	int acc = t->o.accum == AC_TOTAL;

	buf[0] = '\0';
	if (l->pid) {
		hdrcol(buf, sz, t, COL_PID, W_PID, t->o.byexe ? "PROCS" :
		    "PID", 0);
		strlcat(buf, " ", sz);
	}
	if (l->user) {
		hdrcol(buf, sz, t, COL_USER, W_USER - 1, "USER", 1);
		strlcat(buf, " ", sz);
	}
	if (l->dr)
		hdrcol(buf, sz, t, COL_DR, W_RATE, "DISK READ", 0);
	if (l->dw)
		hdrcol(buf, sz, t, COL_DW, W_RATE, "DISK WRITE", 0);
	if (l->sock) {
		hdrcol(buf, sz, t, COL_SS, W_RATE, "SOCK SEND", 0);
		hdrcol(buf, sz, t, COL_SR, W_RATE, "SOCK RECV", 0);
	}
	hdrcol(buf, sz, t, COL_FS, W_FS, acc ? "FSYNCS" : "FSYNC/s", 0);
	hdrcol(buf, sz, t, COL_SAVED, W_SAVED, "SAVED %", 0);
	if (l->spark)
		snprintf(buf + strlen(buf), sz - strlen(buf), "  %-*s",
		    W_SPARK - 2, gr[t->o.graph]);
	if (l->cmd) {
		strlcat(buf, " ", sz);
		hdrcol(buf, sz, t, COL_CMD, 0, t->o.byexe ? "EXECUTABLE" :
		    "COMMAND", 1);
	}
}

void
top_mark(char *buf, size_t sz, int ended, int endwhy, const char *execto,
    const char *execfrom)
{
	buf[0] = '\0';
	if (ended && endwhy == END_EXEC)
		snprintf(buf, sz, "[ended: exec'd %s] ", execto != NULL &&
		    execto[0] ? execto : "?");
	else if (ended && endwhy == END_SIGNAL)
		snprintf(buf, sz, "[ended: killed] ");
	else if (ended)
		snprintf(buf, sz, "[ended] ");
	if (execfrom != NULL && execfrom[0] != '\0')
		snprintf(buf + strlen(buf), sz - strlen(buf), "[exec'd from "
		    "%s] ", execfrom);
}

static void
val(char *out, size_t sz, const struct top *t, double v)
{
	if (t->o.accum == AC_TOTAL)
		u_bytes(out, sz, v, t->o.kib);
	else
		u_rate(out, sz, v, t->o.kib);
}

void
top_fmt_row(const struct top *t, const struct toplay *l, const struct trow *r,
    int utf8, char *buf, size_t sz)
{
	char dr[32], dw[32], ss[32], sr[32], sv[16], pc[16], sp[64], cmd[512];
	char pid[16], mark[96];
	const struct tproc *p = r->proc;
	size_t len;

	val(dr, sizeof(dr), t, r->val[V_DR]);
	val(dw, sizeof(dw), t, r->val[V_DW]);
	val(ss, sizeof(ss), t, r->val[V_SS]);
	val(sr, sizeof(sr), t, r->val[V_SR]);
	if (r->saved < 0)
		snprintf(sv, sizeof(sv), "-");
	else
		snprintf(sv, sizeof(sv), "%s%%", u_pct(pc, sizeof(pc),
		    r->saved, 1));
	u_spark(sp, sizeof(sp), r->hist[t->o.graph], TOP_HIST, utf8);
	mark[0] = '\0';
	if (p != NULL)
		top_mark(mark, sizeof(mark), p->ended, p->endwhy, p->execto,
		    p->execfrom);
	if (t->o.byexe)
		snprintf(cmd, sizeof(cmd), "%s", r->exe[0] ? r->exe : r->comm);
	else if (r->exe[0] != '\0' && t->o.fullcmd)
		snprintf(cmd, sizeof(cmd), "%s%s (%s)", mark, r->comm, r->exe);
	else
		snprintf(cmd, sizeof(cmd), "%s%s", mark, r->comm);
	if (l->cmdw > 0 && (int)strlen(cmd) > l->cmdw)
		cmd[l->cmdw] = '\0';
	if (t->o.byexe)
		snprintf(pid, sizeof(pid), "%d", r->nproc);
	else
		snprintf(pid, sizeof(pid), "%d", (int)r->pid);
	buf[0] = '\0';
	if (l->pid)
		snprintf(buf, sz, "%*s ", W_PID, pid);
	len = strlen(buf);
	if (l->user)
		snprintf(buf + len, sz - len, "%-*.*s ", W_USER - 1,
		    W_USER - 1, t->o.byexe && r->nproc > 1 ? "-" :
		    top_user(r->uid));
	len = strlen(buf);
	if (l->dr)
		snprintf(buf + len, sz - len, "%*s", W_RATE, dr);
	len = strlen(buf);
	if (l->dw)
		snprintf(buf + len, sz - len, "%*s", W_RATE, dw);
	len = strlen(buf);
	if (l->sock)
		snprintf(buf + len, sz - len, "%*s%*s", W_RATE, ss, W_RATE, sr);
	len = strlen(buf);
	if (t->o.accum == AC_TOTAL)
		snprintf(buf + len, sz - len, "%*.0f", W_FS, r->val[V_FS]);
	else
		snprintf(buf + len, sz - len, "%*.1f", W_FS, r->val[V_FS]);
	len = strlen(buf);
	snprintf(buf + len, sz - len, "%*s", W_SAVED, sv);
	len = strlen(buf);
	if (l->spark) {
		/* Pad by glyphs, not bytes: a block is 3 bytes of UTF-8. */
		snprintf(buf + len, sz - len, "  %s%*s", sp, W_SPARK - 2 -
		    TOP_HIST, "");
	}
	len = strlen(buf);
	if (l->cmd)
		snprintf(buf + len, sz - len, " %s", cmd);
}

static void
jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A process row's state, and the images an exec joins it to. */
static void
jrow_state(FILE *f, const struct tproc *p)
{
	static const char *const why[] = { "", "exit", "exec", "signal" };

	if (p == NULL)
		return;
	fprintf(f, ",\"state\":\"%s\"", p->ended ? "ended" : "running");
	if (p->ended && p->endwhy > 0 && p->endwhy <= END_SIGNAL)
		fprintf(f, ",\"ended_by\":\"%s\"", why[p->endwhy]);
	if (p->execto[0] != '\0') {
		fprintf(f, ",\"exec_into\":");
		jstr(f, p->execto);
	}
	if (p->execfrom[0] != '\0') {
		fprintf(f, ",\"exec_from\":");
		jstr(f, p->execfrom);
	}
}

/* A counter whose JSON key says its unit itself (no "_bytes" added). */
static int
plain(int k)
{
	return k == V_FS || k == V_AB || k == V_FL || k == V_WC ||
	    k == V_WS || k == V_SA || k == V_SW || k == V_BS;
}

void
top_json(const struct top *t, FILE *f)
{
	static const char *const rk[NV] = {
		"disk_read", "disk_write", "socket_send", "socket_recv",
		"fsyncs", "absorbed", "flush_syscalls", "write_calls",
		"kernel_write", "write_syscalls", "saves_absorbed",
		"saves_written", "bytes_saved",
	};
	char pc[16];
	size_t i;
	int k;

	fprintf(f, "{\"time\":%lld,\"interval_s\":%.3f,\"accumulated\":%s,"
	    "\"accum_bw\":%s,\"by\":\"%s\",\"sort\":\"%s\",\"reverse\":%s,"
	    "\"totals_per_s\":{", (long long)time(NULL), t->dt,
	    t->o.accum == AC_TOTAL ? "true" : "false", t->o.accum == AC_BW ?
	    "true" : "false",
	    t->o.byexe ? "exe" : "process", top_colname(t->o.sort),
	    t->o.reverse ? "true" : "false");
	for (k = 0; k < NV; k++)
		fprintf(f, "%s\"%s\":%.3f", k ? "," : "", rk[k], t->tot[k]);
	fprintf(f, "},\"collector\":");
	jstr(f, t->lasterr[0] ? t->lasterr : t->status);
	fprintf(f, ",\"rows\":[");
	for (i = 0; i < t->nrows; i++) {
		const struct trow *r = &t->rows[i];

		fprintf(f, "%s{", i ? "," : "");
		if (t->o.byexe)
			fprintf(f, "\"processes\":%d,", r->nproc);
		else {
			fprintf(f, "\"pid\":%d,\"uid\":%u,\"user\":", (int)r->pid,
			    (unsigned)r->uid);
			jstr(f, top_user(r->uid));
			fprintf(f, ",\"comm\":");
			jstr(f, r->comm);
			jrow_state(f, r->proc);
			fputc(',', f);
		}
		fprintf(f, "\"exe\":");
		jstr(f, r->exe);
		for (k = 0; k < NV; k++)
			fprintf(f, ",\"%s%s\":%.3f", rk[k], plain(k) ?
			    "_per_s" : "_bytes_per_s", r->rate[k]);
		for (k = 0; k < NV; k++)
			fprintf(f, ",\"%s%s\":%llu", rk[k], plain(k) ? "" :
			    "_bytes", (unsigned long long)r->tot[k]);
		if (r->saved >= 0)
			fprintf(f, ",\"saved_pct\":%s", u_pct(pc,
			    sizeof(pc), r->saved, 2));
		else
			fprintf(f, ",\"saved_pct\":null");
		fprintf(f, ",\"write_history_bytes_per_s\":[");
		for (k = 0; k < TOP_HIST; k++)
			fprintf(f, "%s%.1f", k ? "," : "", r->hist[GR_W][k]);
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}
