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
"usage: ioshim top [-obakqtP] [-n N] [-d SEC] [-p PID...] [-u USER...]\n"
"                  [--sort KEY] [--reverse] [--by process|exe] [--json]\n"
"                  [--socket PATH]\n"
"\n"
"A live view of which processes move bytes to disk and sockets, as the\n"
"collector (ioshimd) sees them.\n"
"  -o, --only         only processes doing I/O\n"
"  -b, --batch        plain text, no curses (also when TERM=dumb or no tty)\n"
"  -n, --iter N       stop after N updates (default: forever)\n"
"  -d, --delay SEC    seconds between updates (default 1, fractions ok)\n"
"  -p, --pid PID      only these processes (repeat, or PID,PID)\n"
"  -u, --user USER    only these users' processes (repeat, or A,B)\n"
"  -a, --accumulated  bytes and fsyncs since top started, not rates\n"
"  -k, --kilobytes    KiB instead of human units\n"
"  -t, --time         a timestamp on every line (batch)\n"
"  -q, --quiet        column names only once; -qq never; -qqq no totals\n"
"  -P, --by exe       one row per executable (--by process: per process)\n"
"      --sort KEY     pid, user, read, write, send, recv, fsync, saved,\n"
"                     command (default write)\n"
"      --reverse      reverse the sort\n"
"      --json         batch mode, one JSON object per update\n"
"      --socket PATH  the collector (default IOSHIM_SOCKET, then the\n"
"                     default path)\n"
"\n"
"Keys: left/right sort column, r reverse, o only active, a accumulated,\n"
"p by process/exe, up/down select, f or Enter files of the selected\n"
"process, / filter by command, q quit.\n");
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
		if ((pw = getpwnam(tok)) != NULL)
			o->uids[o->nuid++] = pw->pw_uid;
		else {
			o->uids[o->nuid++] = (uid_t)strtonum(tok, 0,
			    0x7fffffff, &errstr);
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
	top_layout(&l, 0);
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
			top_fmt_row(t, &l, &t->rows[r], u_utf8(), line,
			    sizeof(line));
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

int
cmd_top(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "only", no_argument, NULL, 'o' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iter", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "accumulated", no_argument, NULL, 'a' },
		{ "kilobytes", no_argument, NULL, 'k' },
		{ "time", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "by", required_argument, NULL, 'B' },
		{ "sort", required_argument, NULL, 'S' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct top t;
	const char *errstr;
	int c, rc;

	memset(&t, 0, sizeof(t));
	t.o.delay = 1.0;
	t.o.sort = COL_DW;
	argc = client_socket_opt(argc, argv, &t.o.sockopt);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":obn:d:p:u:akqtPhV", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'o': t.o.only = 1; break;
		case 'b': t.o.batch = 1; break;
		case 'a': t.o.accum = 1; break;
		case 'k': t.o.kib = 1; break;
		case 't': t.o.stamp = 1; break;
		case 'q': t.o.quiet++; break;
		case 'P': t.o.byexe = 1; break;
		case 'R': t.o.reverse = 1; break;
		case 'J': t.o.json = t.o.batch = 1; break;
		case 'n':
			t.o.iter = strtonum(optarg, 1, 1000000000, &errstr);
			if (errstr != NULL) {
				warnx("top: -n '%s' is %s", optarg, errstr);
				return 2;
			}
			break;
		case 'd':
			if (delay_arg(optarg, &t.o.delay) != 0)
				return 2;
			break;
		case 'p':
			if (addpids(&t.o, optarg) != 0)
				return 2;
			break;
		case 'u':
			if (addusers(&t.o, optarg) != 0)
				return 2;
			break;
		case 'B':
			if (strcmp(optarg, "exe") == 0)
				t.o.byexe = 1;
			else if (strcmp(optarg, "process") == 0)
				t.o.byexe = 0;
			else {
				warnx("top: --by takes process or exe, not "
				    "'%s'", optarg);
				return 2;
			}
			break;
		case 'S':
			if ((t.o.sort = top_sortkey(optarg)) < 0) {
				warnx("top: unknown sort key '%s' (pid, user, "
				    "read, write, send, recv, fsync, saved, "
				    "command)", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return print_version();
		case ':':
			warnx("top: option '%s' needs a value",
			    argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			warnx("top: unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		warnx("top: unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (dumb_terminal())
		t.o.batch = 1;
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
