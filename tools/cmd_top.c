/*
 * cmd_top.c - "ioshim top": options (iotop's, plus --sort, --reverse,
 * --json), the batch loop, and the hand-over to the curses view.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "client.h"
#include "ioshim.h"
#include "top.h"
#include "units.h"

static volatile sig_atomic_t stop;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ioshim top [-obaAkqtPcexmv] [-n N] [-d SEC] [-p PID...] [-u USER...]\n"
"                  [-1..-9] [-g r|w|rw] [-H inline|win|none] [--filter RE]\n"
"                  [--sort KEY] [--reverse] [--by process|exe] [--json]\n"
"                  [--socket PATH]\n"
"\n"
"A live view of which processes move bytes to disk and sockets, as the\n"
"collector (ioshimd) sees them.  The flags and keys are iotop-c's where\n"
"ioshim has the thing they name (ioshim(1) maps every one).\n"
"  -o, --only         only processes doing I/O (--no-only: all)\n"
"  -b, --batch        plain text, no curses (also when TERM=dumb or no tty)\n"
"  -n, --iter N       stop after N updates (default: forever)\n"
"  -d, --delay SEC    seconds between updates (default 1, fractions ok);\n"
"                     rates divide by the shim's own clock, so a delay\n"
"                     shorter than its report interval (IOSHIM_INTERVAL_MS,\n"
"                     1 s) shows the rate of its last report again\n"
"  -p, --pid PID      only these processes (repeat, or PID,PID)\n"
"  -u, --user USER    only these users' processes (repeat, or A,B; +N: uid N)\n"
"  -P, --processes    processes, not threads: ioshim always shows processes\n"
"                     (a thread's I/O counts in its process)\n"
"  -a, --accumulated  bytes and fsyncs since top started, not rates\n"
"  -A, --accum-bw     those bytes per second since top or the process began\n"
"  -k, --kilobytes    KiB instead of human units\n"
"  -t, --time         a timestamp on every line (implies --batch)\n"
"  -q, --quiet        column names only once; -qq never; -qqq no totals\n"
"                     (implies --batch)\n"
"  -c, --fullcmdline  the executable's path after the command name\n"
"  -e, --hide-exited  no rows for ended processes\n"
"  -x, --dead-x       ended rows not dimmed (they always say [ended])\n"
"  -1 -3 -4 -5 -8 -9  hide PID, USER, DISK READ, DISK WRITE, the history\n"
"                     graph, COMMAND (iotop-c's numbers; 2, 6, 7 are\n"
"                     columns ioshim does not have)\n"
"  -g, --grtype TYPE  the history graph: r (disk read), w (disk write,\n"
"                     default) or rw\n"
"      --ascii, --unicode  the graph's characters (default: the locale's)\n"
"  -H, --help-type T  keys help: inline (a line, default), win (the help\n"
"                     screen at start) or none\n"
"      --filter RE    only rows whose PID or command matches the extended\n"
"                     regular expression RE (as the / key)\n"
"  -m, --by exe       one row per executable (--by process: per process)\n"
"      --sort KEY     pid, user, read, write, send, recv, fsync, saved,\n"
"                     command (default write)\n"
"      --reverse      reverse the sort\n"
"      --json         batch mode, one JSON object per update\n"
"      --socket PATH  the collector (default IOSHIM_SOCKET, then the\n"
"                     default path)\n"
"  -v, --version      the version\n"
"  -R (the graph runs left to right already); -l, -T, -N, --si,\n"
"  --threshold and the other iotop-c flags for what ioshim has not say so\n"
"  and change nothing; -W (iotop-c's config file) is an error\n"
"\n"
"Ended processes are marked [ended] (dimmed on screen); an exec shows as\n"
"[ended: exec'd NEW] on the old image's row and [exec'd from OLD] on the new\n"
"one's: one PID, two images.\n"
"\n"
"Keys: left/right sort column, r or space reverse, o only active, a cycles\n"
"rates/accumulated/accum-bw, c command path, e ended rows, 1-9 and 0\n"
"columns, g/G graph source, u unicode/ascii, x dim ended, s freeze, f UID\n"
"and PID filter, / regex filter, up/down/PgUp/PgDn/Home/End move, Enter or\n"
"v files of the selected process, m by executable, ? or h help, q quit.\n");
}

static void
onsig(int sig)
{
	stop = sig;
}

static int
addpids(struct topopt *o, const char *arg)
{
	char buf[1024], *p, *tok;
	const char *errstr;

	strlcpy(buf, arg, sizeof(buf));
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		if (*tok == '\0')
			continue;
		if (o->npid == TOP_MAXSEL) {
			warnx("top: at most %d PIDs", TOP_MAXSEL);
			return -1;
		}
		o->pids[o->npid++] = (pid_t)strtonum(tok, 1, 0x7fffffff,
		    &errstr);
		if (errstr != NULL) {
			warnx("top: PID '%s' is %s", tok, errstr);
			return -1;
		}
	}
	return 0;
}

static int
addusers(struct topopt *o, const char *arg)
{
	char buf[1024], *p, *tok;
	const char *errstr;
	struct passwd *pw;

	strlcpy(buf, arg, sizeof(buf));
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		if (*tok == '\0')
			continue;
		if (o->nuid == TOP_MAXSEL) {
			warnx("top: at most %d users", TOP_MAXSEL);
			return -1;
		}
		/* As iotop-c: a name first; "+N" is uid N, never a name. */
		if (*tok != '+' && (pw = getpwnam(tok)) != NULL)
			o->uids[o->nuid++] = pw->pw_uid;
		else {
			o->uids[o->nuid++] = (uid_t)strtonum(tok + (*tok ==
			    '+'), 0, 0x7fffffff, &errstr);
			if (errstr != NULL) {
				warnx("top: no such user: %s", tok);
				return -1;
			}
		}
	}
	return 0;
}

static int
delay_arg(const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(*d >= 0.1) ||
	    *d > 3600) {
		warnx("top: delay must be seconds between 0.1 and 3600, not "
		    "'%s'", s);
		return -1;
	}
	return 0;
}

/* Sleep d seconds unless a signal says stop. */
static void
pause_for(double d)
{
	struct timespec ts;

	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (!stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* -p names processes the collector does not know: say so. */
static int
check_pids(const struct top *t)
{
	size_t j;
	int i, bad = 0, found;

	for (i = 0; i < t->o.npid; i++) {
		for (found = 0, j = 0; j < t->nprocs; j++)
			found |= t->procs[j].pid == t->o.pids[i];
		if (!found) {
			warnx("top: process %d is not reporting to the "
			    "collector (is it running under 'ioshim run'?)",
			    (int)t->o.pids[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void
stamp(const struct top *t)
{
	char buf[16];
	time_t now = time(NULL);
	struct tm tm;

	if (!t->o.stamp)
		return;
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
	fputs(buf, stdout);
}

static int
batch(struct top *t)
{
	struct toplay l;
	char line[2048];
	long long i;
	size_t r;

	signal(SIGINT, onsig);
	signal(SIGTERM, onsig);
	signal(SIGPIPE, SIG_DFL);
	top_layout(&l, 0, t->o.hide);
	setlocale(LC_ALL, "");
	for (i = 0; !stop && (t->o.iter == 0 || i < t->o.iter); i++) {
		pause_for(t->o.delay);
		if (stop)
			break;
		if (top_poll(t) != 0) {
			if (t->lasterr[0])
				warnx("top: %s", t->lasterr);
			return 1;
		}
		top_rows(t);
		if (t->o.json) {
			top_json(t, stdout);
			fflush(stdout);
			continue;
		}
		if (t->o.quiet < 3) {
			top_fmt_header1(t, line, sizeof(line));
			stamp(t);
			puts(line);
			top_fmt_header2(t, line, sizeof(line));
			stamp(t);
			puts(line);
		}
		if (t->o.quiet == 0 || (t->o.quiet == 1 && i == 0)) {
			top_fmt_colhdr(t, &l, line, sizeof(line));
			stamp(t);
			puts(line);
		}
		for (r = 0; r < t->nrows; r++) {
			top_fmt_row(t, &l, &t->rows[r], t->o.ascii < 0 ?
			    u_utf8() : !t->o.ascii, line, sizeof(line));
			stamp(t);
			puts(line);
		}
		fflush(stdout);
	}
	return 0;
}

static int
dumb_terminal(void)
{
	const char *term = getenv("TERM");

	return term == NULL || *term == '\0' || strcmp(term, "dumb") == 0 ||
	    !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO);
}

/* Long options without a letter. */
enum {
	O_NOONLY = 256, O_ASCII, O_UNICODE, O_FILTER, O_BY, O_SORT, O_REVERSE,
	O_JSON, O_NOPROC, O_NOACC, O_NOKIB, O_NOFULL, O_SHOWEXITED, O_NODEADX,
	O_RGRAPH, O_NORGRAPH, O_COLOR, O_SHOWTIME, O_SI, O_NOSI, O_THRESHOLD,
};

/* iotop-c's flags for what ioshim top has not: a word, and on. */
static int
nohave(int c)
{
	static const struct {
		int		 c;
		const char	*what;
	} no[] = {
		{ O_NOPROC, "--no-processes: ioshim has no threads to show (a "
		    "thread's I/O counts in its process)" },
		{ O_NORGRAPH, "--no-reverse-graph: the graph always runs oldest "
		    "to newest, left to right" },
		{ 'l', "-l/--no-color: ioshim top has no colours" },
		{ O_COLOR, "--color: ioshim top has no colours" },
		{ 'T', "-T/--hide-time: ioshim top shows no clock" },
		{ O_SHOWTIME, "--show-time: ioshim top shows no clock (-t stamps "
		    "batch lines)" },
		{ 'N', "-N/--inverse: ioshim top has no inverse mode" },
		{ O_SI, "--si: units are 1024-based (K = KiB)" },
		{ O_NOSI, "--no-si: units are 1024-based already" },
		{ O_THRESHOLD, "--threshold: no unit threshold; -k shows KiB" },
	};
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (no[i].c == c) {
			warnx("top: %s (ignored)", no[i].what);
			return -1;
		}
	return 2;
}

/*
 * -1 .. -9: iotop-c's columns PID, PRIO, USER, DISK READ, DISK WRITE,
 * SWAPIN, IO, GRAPH, COMMAND; ioshim has no PRIO, SWAPIN or IO.
 */
static int
hide_arg(struct topopt *o, int n)
{
	static const char *const none[] = {
		[2] = "PRIO (I/O priority)", [6] = "SWAPIN", [7] = "IO (% time "
		"waiting on I/O)",
	};

	if (!(HIDE_OK & (1 << n))) {
		warnx("top: -%d hides iotop-c's %s column, which ioshim does "
		    "not have", n, none[n]);
		return 0;
	}
	o->hide |= 1 << n;
	return 0;
}

/* One option; -1 to go on, else the exit status. */
static int
option(struct topopt *o, int c, char **argv)
{
	const char *errstr;

	switch (c) {
	case 'o': o->only = 1; break;
	case O_NOONLY: o->only = 0; break;
	case 'b': o->batch = 1; break;
	case 'a': o->accum = AC_TOTAL; break;
	case 'A': o->accum = AC_BW; break;
	case 'k': o->kib = 1; break;
	case 't': o->stamp = 1; break;
	case 'q': o->quiet++; break;
	case 'P': break;	/* processes, not threads: always */
	case 'c': o->fullcmd = 1; break;
	case 'e': o->noexited = 1; break;
	case 'x': o->deadx = 1; break;
	case 'm': o->byexe = 1; break;
	case O_ASCII: o->ascii = 1; break;
	case O_UNICODE: o->ascii = 0; break;
	case O_REVERSE: o->reverse = 1; break;
	case O_JSON: o->json = o->batch = 1; break;
	case O_NOACC: o->accum = AC_RATE; break;
	case O_NOKIB: o->kib = 0; break;
	case O_NOFULL: o->fullcmd = 0; break;
	case O_SHOWEXITED: o->noexited = 0; break;
	case O_NODEADX: o->deadx = 0; break;
	case 'R': case O_RGRAPH: break;	/* newest right: always */
	case O_NOPROC: case O_NORGRAPH: case 'l': case O_COLOR: case 'T':
	case O_SHOWTIME: case 'N': case O_SI: case O_NOSI: case O_THRESHOLD:
		return nohave(c);
	case 'W':
		warnx("top: -W/--write: ioshim top has no configuration file");
		return 2;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
	case '8': case '9':
		return hide_arg(o, c - '0') == 0 ? -1 : 2;
	case O_FILTER:
		if (strlen(optarg) >= sizeof(o->filter)) {
			warnx("top: --filter: at most %zu characters",
			    sizeof(o->filter) - 1);
			return 2;
		}
		strlcpy(o->filter, optarg, sizeof(o->filter));
		break;
	case 'g':
		if ((o->graph = top_grtype(optarg)) < 0) {
			warnx("top: -g takes r, w or rw, not '%s' (ioshim has "
			    "no io or sw figures)", optarg);
			return 2;
		}
		break;
	case 'H':
		if (strcmp(optarg, "inline") == 0)
			o->helptype = HELP_INLINE;
		else if (strcmp(optarg, "win") == 0)
			o->helptype = HELP_WIN;
		else if (strcmp(optarg, "none") == 0)
			o->helptype = HELP_NONE;
		else {
			warnx("top: -H takes inline, win or none, not '%s'",
			    optarg);
			return 2;
		}
		break;
	case 'n':
		o->iter = strtonum(optarg, 1, 1000000000, &errstr);
		if (errstr != NULL) {
			warnx("top: -n '%s' is %s", optarg, errstr);
			return 2;
		}
		break;
	case 'd':
		return delay_arg(optarg, &o->delay) == 0 ? -1 : 2;
	case 'p':
		return addpids(o, optarg) == 0 ? -1 : 2;
	case 'u':
		return addusers(o, optarg) == 0 ? -1 : 2;
	case O_BY:
		if (strcmp(optarg, "exe") == 0)
			o->byexe = 1;
		else if (strcmp(optarg, "process") == 0)
			o->byexe = 0;
		else {
			warnx("top: --by takes process or exe, not '%s'",
			    optarg);
			return 2;
		}
		break;
	case O_SORT:
		if ((o->sort = top_sortkey(optarg)) < 0) {
			warnx("top: unknown sort key '%s' (pid, user, read, "
			    "write, send, recv, fsync, saved, command)",
			    optarg);
			return 2;
		}
		break;
	case 'h':
		usage(stdout);
		return 0;
	case 'v':
		return print_version();
	case ':':
		warnx("top: option '%s' needs a value", argv[optind - 1]);
		usage(stderr);
		return 2;
	default:
		warnx("top: unknown option '%s'", argv[optind - 1]);
		usage(stderr);
		return 2;
	}
	return -1;
}

int
cmd_top(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "only", no_argument, NULL, 'o' },
		{ "no-only", no_argument, NULL, O_NOONLY },
		{ "batch", no_argument, NULL, 'b' },
		{ "iter", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "processes", no_argument, NULL, 'P' },
		{ "accumulated", no_argument, NULL, 'a' },
		{ "accum-bw", no_argument, NULL, 'A' },
		{ "kilobytes", no_argument, NULL, 'k' },
		{ "time", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fullcmdline", no_argument, NULL, 'c' },
		{ "hide-exited", no_argument, NULL, 'e' },
		{ "dead-x", no_argument, NULL, 'x' },
		{ "grtype", required_argument, NULL, 'g' },
		{ "help-type", required_argument, NULL, 'H' },
		{ "ascii", no_argument, NULL, O_ASCII },
		{ "unicode", no_argument, NULL, O_UNICODE },
		{ "filter", required_argument, NULL, O_FILTER },
		{ "by", required_argument, NULL, O_BY },
		{ "sort", required_argument, NULL, O_SORT },
		{ "reverse", no_argument, NULL, O_REVERSE },
		{ "json", no_argument, NULL, O_JSON },
		{ "no-processes", no_argument, NULL, O_NOPROC },
		{ "no-accumulated", no_argument, NULL, O_NOACC },
		{ "no-accum-bw", no_argument, NULL, O_NOACC },
		{ "no-kilobytes", no_argument, NULL, O_NOKIB },
		{ "no-fullcmdline", no_argument, NULL, O_NOFULL },
		{ "show-exited", no_argument, NULL, O_SHOWEXITED },
		{ "no-dead-x", no_argument, NULL, O_NODEADX },
		{ "reverse-graph", no_argument, NULL, O_RGRAPH },
		{ "no-reverse-graph", no_argument, NULL, O_NORGRAPH },
		{ "no-color", no_argument, NULL, 'l' },
		{ "color", no_argument, NULL, O_COLOR },
		{ "hide-time", no_argument, NULL, 'T' },
		{ "show-time", no_argument, NULL, O_SHOWTIME },
		{ "inverse", no_argument, NULL, 'N' },
		{ "si", no_argument, NULL, O_SI },
		{ "no-si", no_argument, NULL, O_NOSI },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "write", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct top t;
	int c, rc;

	memset(&t, 0, sizeof(t));
	t.o.delay = 1.0;
	t.o.sort = COL_DW;
	t.o.graph = GR_W;
	t.o.ascii = -1;
	argc = client_socket_opt(argc, argv, &t.o.sockopt);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv,
	    ":obn:d:p:u:PaAkqtcexg:H:m123456789RlTNWhv", lo, NULL)) != -1) {
		if ((rc = option(&t.o, c, argv)) >= 0)
			return rc;
	}
	if (optind < argc) {
		warnx("top: unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (t.o.stamp || t.o.quiet || dumb_terminal())
		t.o.batch = 1;	/* -t and -q imply -b, as in iotop-c */
	if (top_poll(&t) != 0) {
		if (t.lasterr[0])
			warnx("top: %s", t.lasterr);
		return 1;
	}
	if (check_pids(&t) != 0) {
		top_free(&t);
		return 1;
	}
	rc = t.o.batch ? batch(&t) : top_curses(&t);
	top_free(&t);
	return rc;
}
