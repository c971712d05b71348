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

#include <bsd/string.h>

#include "client.h"
#include "jv.h"
#include "top.h"
#include "units.h"

#define KEY_ESC		27

static volatile sig_atomic_t stop;
static int active;		/* curses is on */
static int saved_err = -1, memerr = -1;

enum { M_LIST, M_FILES, M_FILTER };

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

static void
draw_files(struct view *v)
{
	const struct jv *fl = jv_get(v->files, "files"), *f;
	char buf[1024], wb[16], rb[16], sv[16], pc[16];
	int y, i, pw, rows;
	double ab, flu, wc;

	pw = COLS - 66;
	if (pw < 8)
		pw = 8;
	snprintf(buf, sizeof(buf), "Files of %d %s  (sorted by bytes "
	    "written; q/Esc/left back, up/down scroll)", (int)v->fpid,
	    v->fcomm);
	line(0, buf, A_BOLD);
	top_fmt_header1(v->t, buf, sizeof(buf));
	line(1, buf, 0);
	snprintf(buf, sizeof(buf), "%-*s %-7s%9s%9s%9s%7s%9s%8s%7s", pw,
	    "PATH", "CLASS", "WRITTEN", "WRITES", "READ", "FSYNCS", "ABSORBED",
	    "FLUSHES", "SAVED");
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
		snprintf(buf, sizeof(buf), "%-*.*s %-7.7s%9s%9.0f%9s%7.0f%9.0f"
		    "%8.0f%7s", pw, pw, jv_str(f, "path"), jv_str(f, "class"),
		    wb, wc, rb, jv_num(f, "fsyncs"), ab, flu, sv);
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

	top_layout(&l, COLS);
	top_fmt_header1(t, buf, sizeof(buf));
	line(0, buf, 0);
	top_fmt_header2(t, buf, sizeof(buf));
	line(1, buf, 0);
	snprintf(buf, sizeof(buf), "sort %s%s%s%s%s%s | keys: <-/-> sort, r "
	    "reverse, o only, a accum, p proc/exe, f files, / filter, q quit",
	    top_colname(t->o.sort), t->o.reverse ? " reversed" : "",
	    t->o.only ? " | only active" : "", t->o.accum ?
	    " | accumulated" : "", t->o.filter[0] ? " | filter: " : "",
	    t->o.filter);
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
		top_fmt_row(t, &l, &t->rows[i], v->utf8, buf, sizeof(buf));
		move(y, 0);
		clrtoeol();
		if (i == v->sel)
			attron(A_BOLD | A_REVERSE);
		addstr(buf);
		if (i == v->sel)
			attroff(A_BOLD | A_REVERSE);
	}
	if (t->nrows == 0)
		line(y++, t->o.only || t->o.filter[0] || t->o.npid ||
		    t->o.nuid ? "  (no process matches)" : "  (no process "
		    "reports to the collector yet: run one under 'ioshim run')",
		    0);
	for (; y < LINES - 1; y++)
		line(y, "", 0);
	if (v->mode == M_FILTER) {
		snprintf(buf, sizeof(buf), "filter by command: %s_  (Enter "
		    "keeps, Esc clears)", t->o.filter);
		line(LINES - 1, buf, A_BOLD);
	} else
		line(LINES - 1, v->msg, A_BOLD);
}

static void
draw(struct view *v)
{
	if (COLS < top_minwidth() || LINES < 6) {
		too_small();
		return;
	}
	if (v->mode == M_FILES)
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

/* A key in the list; returns 1 to quit. */
static int
key_list(struct view *v, int ch)
{
	struct top *t = v->t;

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
		t->o.reverse = !t->o.reverse;
		break;
	case 'o':
	case 'O':
		t->o.only = !t->o.only;
		break;
	case 'a':
	case 'A':
		t->o.accum = !t->o.accum;
		break;
	case 'p':
	case 'P':
		t->o.byexe = !t->o.byexe;
		v->sel = v->top = 0;
		v->selpid = 0;
		break;
	case KEY_UP:
		if (v->sel > 0)
			v->sel--;
		remember(v);
		return 0;
	case KEY_DOWN:
		if (v->sel + 1 < (int)t->nrows)
			v->sel++;
		remember(v);
		return 0;
	case KEY_PPAGE:
		v->sel = v->sel > LINES - 5 ? v->sel - (LINES - 5) : 0;
		remember(v);
		return 0;
	case KEY_NPAGE:
		v->sel += LINES - 5;
		if (v->sel >= (int)t->nrows)
			v->sel = t->nrows > 0 ? (int)t->nrows - 1 : 0;
		remember(v);
		return 0;
	case 'f':
	case 'F':
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (t->o.byexe) {
			snprintf(v->msg, sizeof(v->msg), "files are shown per "
			    "process: press p to list processes");
			return 0;
		}
		if (t->nrows == 0) {
			snprintf(v->msg, sizeof(v->msg), "no process selected");
			return 0;
		}
		v->fpid = t->rows[v->sel].pid;
		snprintf(v->fcomm, sizeof(v->fcomm), "%s",
		    t->rows[v->sel].comm);
		v->selpid = v->fpid;
		v->fsel = 0;
		v->mode = M_FILES;
		fetch_files(v);
		return 0;
	case '/':
		v->mode = M_FILTER;
		return 0;
	case KEY_RESIZE:
		return 0;
	default:
		return 0;
	}
	top_rows(t);
	return 0;
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
	case 'f':
	case 'F':
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
	draw(&v);
	next = mono() + t->o.delay;
	while (!stop) {
		left = next - mono();
		if (left <= 0) {
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
