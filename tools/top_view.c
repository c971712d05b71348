/*
 * top_view.c - the curses screen of "ioshim top": draws what top_data.c
 * computed, reads keys, shows the per-file view of one process.
 *
 * The terminal is always given back: endwin() runs on q, on SIGINT,
 * SIGTERM and SIGHUP (caught, then handled in the loop) and at exit.
 * While curses owns the screen, stderr goes to a memory file, so a
 * message from the client (collector gone) lands in the status line
 * instead of across the screen.
 */
#include <sys/mman.h>

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "client.h"
#include "jv.h"
#include "top.h"
#include "units.h"

#define KEY_ESC		27

static volatile sig_atomic_t stop;
static int active;		/* curses is on */
static int saved_err = -1, memerr = -1;

enum { M_LIST, M_FILES, M_FILTER, M_HELP, M_IDS };

#define CTRL(c)	((c) & 0x1f)

struct view {
	struct top	*t;
	int		 mode;
	int		 sel;		/* selected row */
	int		 top;		/* first row shown */
	pid_t		 selpid;	/* keeps the selection across updates */
	pid_t		 fpid;		/* per-file view of */
	char		 fcomm[64];
	struct jv	*files;		/* "files PID" reply */
	int		 fsel;
	int		 utf8;
	int		 frozen;	/* s: no polls */
	int		 back;		/* mode the help goes back to */
	char		 ids[2][16];	/* f: the UID and PID fields */
	int		 idf;		/* the field being typed */
	char		 msg[256];	/* one-shot message on the last line */
};

static void
onsig(int sig)
{
	stop = sig;
}

static void
restore(void)
{
	if (active) {
		endwin();
		active = 0;
	}
	if (saved_err != -1) {
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
		saved_err = -1;
	}
}

/* The last line written to stderr while curses was on, if any. */
static void
take_stderr(char *buf, size_t sz)
{
	char tmp[1024], *nl;
	ssize_t n;

	buf[0] = '\0';
	if (memerr == -1 || (n = pread(memerr, tmp, sizeof(tmp) - 1, 0)) <= 0)
		return;
	tmp[n] = '\0';
	while (n > 0 && tmp[n - 1] == '\n')
		tmp[--n] = '\0';
	nl = strrchr(tmp, '\n');
	strlcpy(buf, nl != NULL ? nl + 1 : tmp, sz);
	if (ftruncate(memerr, 0) == -1)
		return;
	lseek(memerr, 0, SEEK_SET);
}

static void
line(int y, const char *s, int attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, s, COLS);
	clrtoeol();
	attroff(attr);
}

static void
too_small(void)
{
	char msg[256];
	int y = 0, len, w = COLS > 0 ? COLS : 1;
	const char *p;

	erase();
	snprintf(msg, sizeof(msg), "Terminal too small (%dx%d): ioshim top "
	    "needs at least %d columns and 6 lines. Widen it, or use "
	    "'ioshim top -b'. q quits.", COLS, LINES, top_minwidth());
	/* Wrap at blanks, at the screen's width. */
	for (p = msg; *p != '\0' && y < LINES; y++) {
		while (*p == ' ')
			p++;
		len = (int)strlen(p);
		if (len > w) {
			int cut = w;

			while (cut > 0 && p[cut] != ' ')
				cut--;
			len = cut > 0 ? cut : w;
		}
		mvaddnstr(y, 0, p, len);
		p += len;
	}
	refresh();
}

static void
fetch_files(struct view *v)
{
	char req[64], *reply, err[256];

	jv_free(v->files);
	v->files = NULL;
	snprintf(req, sizeof(req), "files %d limit=200", (int)v->fpid);
	if (client_request(v->t->o.sockopt, req, &reply) != 0) {
		take_stderr(err, sizeof(err));
		snprintf(v->msg, sizeof(v->msg), "%s", err);
		return;
	}
	v->files = jv_parse(reply);
	if (v->files != NULL && jv_error(v->files) != NULL)
		snprintf(v->msg, sizeof(v->msg), "files of %d: %s",
		    (int)v->fpid, jv_error(v->files));
	free(reply);
}

/* Does a file row of fl have debounced saves (docs/debounce.md)? */
static int
files_db(const struct jv *fl)
{
	size_t i;

	for (i = 0; fl != NULL && i < fl->n; i++)
		if (jv_num(&fl->kids[i], "saves_absorbed") > 0 ||
		    jv_num(&fl->kids[i], "saves_written") > 0)
			return 1;
	return 0;
}

static void
draw_files(struct view *v)
{
	const struct jv *fl = jv_get(v->files, "files"), *f;
	char buf[1024], wb[16], rb[16], sv[16], pc[16], bs[16];
	int y, i, pw, rows, db = files_db(fl);
	double ab, flu, wc;

	/* debounced saves: three columns beside the coalescer's, when a
	 * file has them */
	pw = COLS - 75 - (db ? 30 : 0);
	if (pw < 8)
		pw = 8;
	snprintf(buf, sizeof(buf), "Files of %d %s  (sorted by bytes "
	    "written; q/Esc/left back, up/down scroll)", (int)v->fpid,
	    v->fcomm);
	line(0, buf, A_BOLD);
	top_fmt_header1(v->t, buf, sizeof(buf));
	line(1, buf, 0);
	/* WRITES: the kernel's write system calls; CALLS: the program's */
	snprintf(buf, sizeof(buf), "%-*s %-7s%9s%9s%9s%9s%7s%9s%8s%7s%s", pw,
	    "PATH", "CLASS", "WRITTEN", "WRITES", "CALLS", "READ", "FSYNCS",
	    "ABSORBED", "FLUSHES", "SAVED", db ?
	    " SAVES-ABS SAVES-WR BYTES-SAVED" : "");
	line(2, buf, A_REVERSE);
	rows = LINES - 4;
	for (y = 3, i = v->fsel; fl != NULL && i < (int)fl->n && y < 3 + rows;
	    i++, y++) {
		f = &fl->kids[i];
		u_bytes(wb, sizeof(wb), jv_num(f, "write_bytes"), v->t->o.kib);
		u_bytes(rb, sizeof(rb), jv_num(f, "read_bytes"), v->t->o.kib);
		ab = jv_num(f, "absorbed");
		flu = jv_num(f, "flushes");
		wc = jv_num(f, "writes");
		if (wc > 0)
			snprintf(sv, sizeof(sv), "%s%%", u_pct(pc,
			    sizeof(pc), ab > flu ? 100.0 * (ab - flu) / wc :
			    0.0, 1));
		else
			snprintf(sv, sizeof(sv), "-");
		snprintf(buf, sizeof(buf), "%-*.*s %-7.7s%9s%9.0f%9.0f%9s%7.0f"
		    "%9.0f%8.0f%7s", pw, pw, jv_str(f, "path"),
		    jv_str(f, "class"), wb, jv_num(f, "write_syscalls"), wc, rb,
		    jv_num(f, "fsyncs"), ab, flu, sv);
		if (db) {
			size_t n = strlen(buf);

			u_bytes(bs, sizeof(bs), jv_num(f, "bytes_saved"),
			    v->t->o.kib);
			snprintf(buf + n, sizeof(buf) - n, " %9.0f %8.0f %11s",
			    jv_num(f, "saves_absorbed"),
			    jv_num(f, "saves_written"), bs);
		}
		line(y, buf, 0);
	}
	if (fl == NULL || fl->n == 0)
		line(3, v->msg[0] ? v->msg : "  (no files recorded for this "
		    "process)", 0);
	for (; y < LINES - 1; y++)
		line(y, "", 0);
	line(LINES - 1, v->msg, A_BOLD);
}

static void
draw_list(struct view *v)
{
	struct top *t = v->t;
	struct toplay l;
	char buf[2048];
	int y, i, rows;

	top_layout(&l, COLS, t->o.hide);
	top_fmt_header1(t, buf, sizeof(buf));
	line(0, buf, 0);
	top_fmt_header2(t, buf, sizeof(buf));
	line(1, buf, 0);
	snprintf(buf, sizeof(buf), "sort %s%s%s%s%s%s%s%s%s", top_colname(
	    t->o.sort), t->o.reverse ? " reversed" : "", v->frozen ?
	    " | FROZEN (s)" : "", t->o.only ? " | only active" : "",
	    t->o.accum == AC_TOTAL ? " | accumulated" : t->o.accum == AC_BW ?
	    " | accum-bw" : "", t->o.filter[0] ? " | filter: " : "",
	    t->o.filter, t->o.nuid + t->o.npid > 0 ? " | uid/pid filter" : "",
	    t->o.helptype == HELP_NONE ? "" : " | keys: <-/-> sort, r "
	    "reverse, o only, a accum, f uid/pid, / filter, Enter files, m by "
	    "exe, ? help, q quit");
	line(2, buf, A_DIM);
	top_fmt_colhdr(t, &l, buf, sizeof(buf));
	line(3, buf, A_REVERSE);
	rows = LINES - 5;
	if (v->sel >= (int)t->nrows)
		v->sel = t->nrows > 0 ? (int)t->nrows - 1 : 0;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + rows)
		v->top = v->sel - rows + 1;
	for (y = 4, i = v->top; i < (int)t->nrows && y < 4 + rows; i++, y++) {
		int attr = i == v->sel ? A_BOLD | A_REVERSE : 0;

		top_fmt_row(t, &l, &t->rows[i], t->o.ascii < 0 ? v->utf8 :
		    !t->o.ascii, buf, sizeof(buf));
		/* As iotop-c greys them: an ended image is no live process. */
		if (!t->o.deadx && t->rows[i].proc != NULL &&
		    t->rows[i].proc->ended)
			attr |= A_DIM;
		move(y, 0);
		clrtoeol();
		attron(attr);
		addnstr(buf, (int)sizeof(buf));
		attroff(attr);
	}
	if (t->nrows == 0)
		line(y++, t->o.only || t->o.filter[0] || t->o.npid ||
		    t->o.nuid ? "  (no process matches)" : "  (no process "
		    "reports to the collector yet: run one under 'ioshim run')",
		    0);
	for (; y < LINES - 1; y++)
		line(y, "", 0);
	if (v->mode == M_FILTER) {
		snprintf(buf, sizeof(buf), "filter (regex on PID and command): "
		    "%s_  (Enter keeps, Esc clears)", t->o.filter);
		line(LINES - 1, buf, A_BOLD);
	} else if (v->mode == M_IDS) {
		snprintf(buf, sizeof(buf), "filter UID: %s%s  PID: %s%s  (Tab "
		    "other field, n none, Enter applies, Esc cancels)",
		    v->ids[0], v->idf == 0 ? "_" : "", v->ids[1], v->idf == 1 ?
		    "_" : "");
		line(LINES - 1, buf, A_BOLD);
	} else
		line(LINES - 1, v->msg, A_BOLD);
}

static void
draw_help(void)
{
	int y;

	for (y = 0; y < LINES - 1 && top_help[y] != NULL; y++)
		line(y, top_help[y], y == 0 ? A_BOLD : 0);
	for (; y < LINES - 1; y++)
		line(y, "", 0);
	line(LINES - 1, top_help[y] != NULL ? "(more: a taller terminal "
	    "shows all; ioshim(1) has the table)  Esc, q, ? or h closes" :
	    "Esc, q, ? or h closes this help", A_BOLD);
}

static void
draw(struct view *v)
{
	if (COLS < top_minwidth() || LINES < 6) {
		too_small();
		return;
	}
	if (v->mode == M_HELP)
		draw_help();
	else if (v->mode == M_FILES)
		draw_files(v);
	else
		draw_list(v);
	refresh();
}

static void
update(struct view *v)
{
	struct top *t = v->t;
	char err[256];
	size_t i;

	if (top_poll(t) != 0) {
		take_stderr(err, sizeof(err));
		if (err[0])
			snprintf(t->lasterr, sizeof(t->lasterr), "%s", err);
		else if (!t->lasterr[0])
			snprintf(t->lasterr, sizeof(t->lasterr), "collector "
			    "not reachable");
	}
	top_rows(t);
	/* Keep the same process selected. */
	for (i = 0; v->selpid != 0 && i < t->nrows; i++)
		if (t->rows[i].pid == v->selpid)
			v->sel = (int)i;
	if (v->mode == M_FILES)
		fetch_files(v);
}

static void
remember(struct view *v)
{
	struct top *t = v->t;

	if (v->sel >= 0 && v->sel < (int)t->nrows)
		v->selpid = t->rows[v->sel].pid;
}

/* The selected row moves to i (clamped); the list scrolls with it. */
static void
select_row(struct view *v, int i)
{
	int n = (int)v->t->nrows;

	v->sel = i >= n ? n - 1 : i;
	if (v->sel < 0)
		v->sel = 0;
	remember(v);
}

static void
open_files(struct view *v)
{
	struct top *t = v->t;

	if (t->o.byexe) {
		snprintf(v->msg, sizeof(v->msg), "files are shown per process: "
		    "press m to list processes");
		return;
	}
	if (t->nrows == 0) {
		snprintf(v->msg, sizeof(v->msg), "no process selected");
		return;
	}
	v->fpid = t->rows[v->sel].pid;
	snprintf(v->fcomm, sizeof(v->fcomm), "%s", t->rows[v->sel].comm);
	v->selpid = v->fpid;
	v->fsel = 0;
	v->mode = M_FILES;
	fetch_files(v);
}

/* f: the UID and PID fields start from the filters in force. */
static void
open_ids(struct view *v)
{
	struct topopt *o = &v->t->o;

	v->ids[0][0] = v->ids[1][0] = '\0';
	if (o->nuid > 0)
		snprintf(v->ids[0], sizeof(v->ids[0]), "%u",
		    (unsigned)o->uids[0]);
	if (o->npid > 0)
		snprintf(v->ids[1], sizeof(v->ids[1]), "%d", (int)o->pids[0]);
	v->idf = 0;
	v->mode = M_IDS;
}

/* 1 .. 9 and 0: iotop-c's column toggles. */
static void
key_column(struct view *v, int ch)
{
	struct topopt *o = &v->t->o;
	int bit;

	if (ch == '0') {
		o->hide = 0;
		return;
	}
	bit = 1 << (ch - '0');
	if (!(bit & HIDE_OK))
		snprintf(v->msg, sizeof(v->msg), "%s", top_key_note(ch));
	else
		o->hide ^= bit;
}

/* A key in the list; returns 1 to quit. */
static int
key_list(struct view *v, int ch)
{
	struct top *t = v->t;
	const char *note;

	v->msg[0] = '\0';
	switch (ch) {
	case 'q':
	case 'Q':
		return 1;
	case KEY_LEFT:
		t->o.sort = (t->o.sort + NCOL - 1) % NCOL;
		break;
	case KEY_RIGHT:
		t->o.sort = (t->o.sort + 1) % NCOL;
		break;
	case 'r':
	case 'R':
	case ' ':
		t->o.reverse = !t->o.reverse;
		break;
	case 'o':
	case 'O':
		t->o.only = !t->o.only;
		break;
	case 'a':
	case 'A':
		t->o.accum = (t->o.accum + 1) % 3;	/* rate, total, bw */
		break;
	case 'c':
	case 'C':
		t->o.fullcmd = !t->o.fullcmd;
		break;
	case 'e':
	case 'E':
		t->o.noexited = !t->o.noexited;
		break;
	case 'x':
	case 'X':
		t->o.deadx = !t->o.deadx;
		break;
	case 'g':
		t->o.graph = (t->o.graph + 1) % NGR;
		break;
	case 'G':
		t->o.graph = (t->o.graph + NGR - 1) % NGR;
		break;
	case 'u':
	case 'U':
		t->o.ascii = t->o.ascii < 0 ? v->utf8 : !t->o.ascii;
		break;
	case 's':
	case 'S':
		v->frozen = !v->frozen;
		break;
	case 'm':
	case 'M':
		t->o.byexe = !t->o.byexe;
		v->sel = v->top = 0;
		v->selpid = 0;
		break;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6':
	case '7': case '8': case '9':
		key_column(v, ch);
		break;
	case KEY_UP:
		select_row(v, v->sel - 1);
		return 0;
	case KEY_DOWN:
		select_row(v, v->sel + 1);
		return 0;
	case KEY_PPAGE:
		select_row(v, v->sel - (LINES - 5));
		return 0;
	case KEY_NPAGE:
		select_row(v, v->sel + (LINES - 5));
		return 0;
	case KEY_HOME:
		select_row(v, 0);
		return 0;
	case KEY_END:
		select_row(v, (int)t->nrows - 1);
		return 0;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'v':
	case 'V':
		open_files(v);
		return 0;
	case 'f':
	case 'F':
		open_ids(v);
		return 0;
	case '/':
		v->mode = M_FILTER;
		return 0;
	case '?':
	case 'h':
	case 'H':
		v->back = v->mode;
		v->mode = M_HELP;
		return 0;
	case CTRL('l'):
		clearok(curscr, TRUE);
		return 0;
	case KEY_RESIZE:
		return 0;
	default:
		if ((note = top_key_note(ch)) != NULL)
			snprintf(v->msg, sizeof(v->msg), "%s", note);
		else if (ch > 0 && ch < 127)
			snprintf(v->msg, sizeof(v->msg), "%s%c: not a key of "
			    "ioshim top; ? or h shows the keys", ch < 32 ?
			    "Ctrl-" : "", ch < 32 ? ch + 64 : ch);
		else
			snprintf(v->msg, sizeof(v->msg), "not a key of ioshim "
			    "top; ? or h shows the keys");
		return 0;
	}
	top_rows(t);
	return 0;
}

static void
key_help(struct view *v, int ch)
{
	if (ch == KEY_ESC || ch == 'q' || ch == 'Q' || ch == '?' ||
	    ch == 'h' || ch == 'H')
		v->mode = v->back == M_HELP ? M_LIST : v->back;
}

/* "" or "n": no filter; a number: that one. 0 ok, -1 not a number. */
static int
id_field(const char *s, int *n, long long *out)
{
	const char *errstr;

	*n = 0;
	if (s[0] == '\0' || strcmp(s, "n") == 0)
		return 0;
	*out = strtonum(s, 0, 0x7fffffff, &errstr);
	if (errstr != NULL)
		return -1;
	*n = 1;
	return 0;
}

/* f: type a UID and a PID, as iotop-c's filter editor. */
static void
key_ids(struct view *v, int ch)
{
	struct topopt *o = &v->t->o;
	char *f = v->ids[v->idf];
	size_t n = strlen(f);
	long long uid = 0, pid = 0;
	int nu, np;

	if (ch == KEY_ESC || ch == 'q' || ch == 'Q')
		v->mode = M_LIST;
	else if (ch == '\t' || ch == KEY_BTAB || ch == KEY_LEFT ||
	    ch == KEY_RIGHT)
		v->idf = !v->idf;
	else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n > 0)
			f[n - 1] = '\0';
	} else if (ch == 'n' || ch == 'N')
		snprintf(f, sizeof(v->ids[0]), "n");
	else if (ch >= '0' && ch <= '9' && n + 1 < sizeof(v->ids[0])) {
		if (strcmp(f, "n") == 0)
			n = 0;
		f[n] = (char)ch;
		f[n + 1] = '\0';
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (id_field(v->ids[0], &nu, &uid) != 0 ||
		    id_field(v->ids[1], &np, &pid) != 0 || (np && pid == 0)) {
			snprintf(v->msg, sizeof(v->msg), "filter: not a number");
			return;
		}
		o->nuid = nu;
		o->uids[0] = (uid_t)uid;
		o->npid = np;
		o->pids[0] = (pid_t)pid;
		v->mode = M_LIST;
		v->sel = v->top = 0;
		top_rows(v->t);
	}
}

static int
key_files(struct view *v, int ch)
{
	const struct jv *fl = jv_get(v->files, "files");

	switch (ch) {
	case 'q':
	case 'Q':
	case KEY_ESC:
	case KEY_LEFT:
	case 'v':
	case 'V':
	case KEY_BACKSPACE:
		v->mode = M_LIST;
		v->msg[0] = '\0';
		jv_free(v->files);
		v->files = NULL;
		break;
	case KEY_UP:
		if (v->fsel > 0)
			v->fsel--;
		break;
	case KEY_DOWN:
		if (fl != NULL && v->fsel + 1 < (int)fl->n)
			v->fsel++;
		break;
	case KEY_HOME:
		v->fsel = 0;
		break;
	case KEY_END:
		v->fsel = fl != NULL && fl->n > 0 ? (int)fl->n - 1 : 0;
		break;
	case '?':
	case 'h':
	case 'H':
		v->back = M_FILES;
		v->mode = M_HELP;
		break;
	}
	return 0;
}

static void
key_filter(struct view *v, int ch)
{
	char *f = v->t->o.filter;
	size_t n = strlen(f);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		v->mode = M_LIST;
	else if (ch == KEY_ESC) {
		f[0] = '\0';
		v->mode = M_LIST;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n > 0)
			f[n - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && n + 1 < sizeof(v->t->o.filter)) {
		f[n] = (char)ch;
		f[n + 1] = '\0';
	}
	v->sel = v->top = 0;
	top_rows(v->t);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
top_curses(struct top *t)
{
	struct sigaction sa;
	struct view v;
	double next, left;
	int ch;

	memset(&v, 0, sizeof(v));
	v.t = t;
	setlocale(LC_ALL, "");
	v.utf8 = u_utf8();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsig;		/* no SA_RESTART: getch returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(restore);
	fflush(stderr);
	if ((memerr = memfd_create("ioshim-top-stderr", MFD_CLOEXEC)) != -1 &&
	    (saved_err = dup(STDERR_FILENO)) != -1)
		dup2(memerr, STDERR_FILENO);
	if (initscr() == NULL) {
		restore();
		fprintf(stderr, "ioshim top: cannot start curses; use -b\n");
		return 1;
	}
	active = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	top_rows(t);
	if (t->o.helptype == HELP_WIN)
		v.mode = M_HELP;
	draw(&v);
	next = mono() + t->o.delay;
	while (!stop) {
		left = next - mono();
		if (left <= 0) {
			if (!v.frozen)
				update(&v);
			draw(&v);
			next += t->o.delay;
			if (next < mono())
				next = mono() + t->o.delay;
			continue;
		}
		timeout((int)(left * 1000) + 1);
		ch = getch();
		if (stop)
			break;
		if (ch == ERR)
			continue;
		if (ch == KEY_RESIZE) {
			draw(&v);
			continue;
		}
		if (COLS < top_minwidth() || LINES < 6) {
			if (ch == 'q' || ch == 'Q')
				break;
			continue;
		}
		if (v.mode == M_FILTER)
			key_filter(&v, ch);
		else if (v.mode == M_HELP)
			key_help(&v, ch);
		else if (v.mode == M_IDS)
			key_ids(&v, ch);
		else if (v.mode == M_FILES)
			key_files(&v, ch);
		else if (key_list(&v, ch))
			break;
		draw(&v);
	}
	jv_free(v.files);
	restore();
	if (memerr != -1)
		close(memerr);
	return 0;
}
