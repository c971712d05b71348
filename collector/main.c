/*
 * main.c - ioshimd: arguments, daemon, pidfile, signals and the event loop.
 *
 * One thread, one poll(2) loop over: a signalfd (SIGTERM/SIGINT: store the
 * open window and exit; SIGHUP: ignored), the ingest socket, the query
 * socket and its clients, and a timeout at the next window boundary, when
 * the window is written to SQLite (collector_flush) and retention runs.
 * With --http, libmicrohttpd's epoll descriptor is polled too and
 * MHD_run() is called from this loop (http.c): still one thread.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/err.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "http.h"
#include "ioshimd.h"
#include "log.h"
#include "metrics.h"
#include "pidfile.h"
#include "safedir.h"
#include "salvager.h"
#include "sat.h"
#include "version.h"

struct ioshimd D;

/* Usage errors (code 2) get the synopsis on stderr; --help all of it. */
static void
usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
	    "usage: ioshimd [--socket PATH] [--db PATH] [--window SECONDS]\n"
	    "               [--stage SECONDS] [--keep-minutes DAYS]"
	    " [--keep-hours DAYS]\n"
	    "               [--foreground] [--pidfile PATH] [--shared]\n"
	    "               [--max-procs-per-uid N] [--max-files N]"
	    " [--max-images N]\n"
	    "               [--max-db-pages N] [--http ADDR:PORT [--http-any]]"
	    " [--metrics-top N]\n"
	    "               [--query-work MILLIONS] [--uid-memory BYTES]"
	    " [--uid-rows N]\n"
	    "               [--uid-path-bytes BYTES]\n"
	    "       ioshimd --help | --version\n");
	if (code == 0)
		fprintf(f, "\n"
	    "  --socket PATH          the ingest socket (queries: PATH.ctl)\n"
	    "  --db PATH              the SQLite database\n"
	    "  --window SECONDS       length of a stored window (1..3600,"
	    " default 60)\n"
	    "  --stage SECONDS        stage windows in memory up to this long"
	    " (0..3600,\n"
	    "                         default 300)\n"
	    "  --keep-minutes DAYS    keep per-window rows this long (default 7)\n"
	    "  --keep-hours DAYS      keep hourly rollups this long"
	    " (default 365)\n"
	    "  --foreground           stay in the foreground, log to stderr\n"
	    "  --pidfile PATH         the pidfile (default: the socket path +"
	    " .pid)\n"
	    "  --shared               sockets mode 0666: every user may send"
	    " and ask\n"
	    "  --max-procs-per-uid N  live process images per uid"
	    " (default 4096)\n"
	    "  --max-files N          file rows per process image"
	    " (default 256)\n"
	    "  --max-images N         process images in memory overall"
	    " (default 16384)\n"
	    "  --max-db-pages N       cap the database at N pages (for testing)\n"
	    "  --http ADDR:PORT       serve /metrics and /health"
	    " ([ADDR]:PORT for IPv6)\n"
	    "  --http-any             allow a --http address that is not"
	    " loopback\n"
	    "  --metrics-top N        executables with their own /metrics series"
	    " (1..500,\n"
	    "                         default 20)\n"
	    "  --query-work MILLIONS  SQLite steps a query of a user that is not"
	    " root or\n"
	    "                         the collector's may take (1..1000000,"
	    " default 20)\n"
	    "  --salvage-every SECONDS  write killed processes' held log bytes"
	    " to their\n"
	    "                         files, looking this often (0 = never,"
	    " default 5)\n"
	    "  --uid-memory BYTES     memory one such user's images may hold"
	    " (default 8 MiB;\n"
	    "                         all such users together 4 times as much)\n"
	    "  --uid-rows N           rows one such user may have stored per hour"
	    "\n                         (default 20000)\n"
	    "  --uid-path-bytes BYTES bytes of new file paths one such user may"
	    " have\n"
	    "                         stored per hour (default 1 MiB)\n"
	    "  --help, --version      this text; the version\n"
	    "\nSee ioshimd(8).\n");
	exit(code);
}

/*
 * --http's form, checked with the other arguments so that a malformed
 * one is a usage error: "HOST:PORT" (one colon) or "[V6]:PORT", PORT
 * 1..65535.  Whether HOST resolves is learnt when the server starts.
 */
static void
http_spec(const char *spec)
{
	const char *colon, *port;
	long long p;
	const char *errstr;

	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		port = colon != NULL ? colon + 2 : NULL;
		if (colon == spec + 1)
			colon = NULL;
	} else {
		colon = strrchr(spec, ':');
		if (colon != NULL && (colon == spec ||
		    memchr(spec, ':', (size_t)(colon - spec)) != NULL))
			colon = NULL;
		port = colon != NULL ? colon + 1 : NULL;
	}
	if (colon == NULL)
		errx(2, "--http %s: expected ADDR:PORT ([ADDR]:PORT for IPv6)",
		    spec);
	p = strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL || p == 0)
		errx(2, "--http %s: port must be 1..65535", spec);
}

static long long
num(const char *opt, const char *s, long long lo, long long hi)
{
	const char *errstr;
	long long v = strtonum(s, lo, hi, &errstr);

	if (errstr != NULL)
		errx(2, "%s %s: %s (allowed %lld..%lld)", opt, s, errstr, lo, hi);
	return v;
}

/* mkdir -p for the parent directory of path; new directories get mode. */
static void
mkparents(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		errx(1, "path too long: %s", path);
	if ((p = strrchr(buf, '/')) == NULL || p == buf)
		return;
	*p = '\0';
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			err(1, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		err(1, "mkdir %s", buf);
}

static char *
xasprintf(const char *fmt, const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, fmt, a, b) == -1)
		err(1, "asprintf");
	return s;
}

static void
defaults(struct config *c)
{
	const char *run, *state, *home;

	if (geteuid() == 0) {
		if (c->sock == NULL)
			c->sock = "/run/ioshim/ioshimd.sock";
		if (c->db == NULL)
			c->db = "/var/lib/ioshim/ioshim.db";
	} else {
		if (c->sock == NULL) {
			if ((run = getenv("XDG_RUNTIME_DIR")) == NULL ||
			    *run == '\0')
				errx(2, "XDG_RUNTIME_DIR is not set: use "
				    "--socket PATH");
			c->sock = xasprintf("%s/ioshim/ioshimd.sock%s", run, "");
		}
		if (c->db == NULL) {
			if ((state = getenv("XDG_STATE_HOME")) != NULL &&
			    *state != '\0')
				c->db = xasprintf("%s/ioshim/ioshim.db%s", state,
				    "");
			else if ((home = getenv("HOME")) != NULL && *home)
				c->db = xasprintf("%s/.local/state/ioshim/"
				    "ioshim.db%s", home, "");
			else
				errx(2, "neither XDG_STATE_HOME nor HOME is set: "
				    "use --db PATH");
		}
	}
	if (c->pidfile == NULL)
		c->pidfile = xasprintf("%s%s", c->sock, ".pid");
}

/*
 * Refuse the directory of *path unless only we (or root) can change it
 * (safedir.c), and use its resolved name from now on.  what: for the
 * message.
 */
static void
safe_path(const char **path, const char *what)
{
	char dir[PATH_MAX], why[PATH_MAX + 256], *s;
	const char *base;

	if (safedir_check(*path, geteuid(), dir, why, sizeof(why)) != 0)
		errx(1, "%s %s: refusing its directory: %s (it must belong to "
		    "%s and be writable by no one else; see ioshimd(8), "
		    "FILES)", what, *path, why, geteuid() == 0 ? "root" :
		    "you or root");
	base = strrchr(*path, '/') != NULL ? strrchr(*path, '/') + 1 : *path;
	if (*base == '\0')
		errx(1, "%s %s: not a file name", what, *path);
	if (asprintf(&s, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
	    base) == -1)
		err(1, "asprintf");
	*path = s;
}

static void
window_reset(time_t now)
{
	D.win_start = (int64_t)now / D.cfg.window * D.cfg.window;
}

/* Write what is pending; boundary = the window closes too. */
int
collector_flush(int boundary)
{
	time_t now = time(NULL);
	uint64_t pend[NPC];
	int rc, c;

	agg_sample_kio(D.agg, (time_t)D.win_start - D.cfg.window);
	agg_pending(D.agg, pend);
	rc = store_flush(D.st, D.agg, D.win_start, now, D.stale_after,
	    !boundary);
	if (rc == 0)
		for (c = 0; c < NPC; c++)
			D.winacc[c] = sat_add(D.winacc[c], pend[c]);
	if (boundary) {
		memcpy(D.lastwin, D.winacc, sizeof(D.lastwin));
		memset(D.winacc, 0, sizeof(D.winacc));
		D.lastwin_start = D.win_start;
		D.lastwin_secs = (int)(now - D.win_start);
		if (D.lastwin_secs < 1)
			D.lastwin_secs = 1;
		window_reset(now);
		store_maintain(D.st, now);
	}
	return rc;
}

static int
signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		err(1, "sigprocmask");
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		err(1, "signalfd");
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

#define NFIX	4
#define MAXPFD	(NFIX + 64)

static void
run(int sfd, int ifd, int cfd)
{
	struct pollfd p[MAXPFD];
	struct signalfd_siginfo si;
	time_t now;
	int64_t next;
	int n, timeout;

	for (;;) {
		now = time(NULL);
		if ((int64_t)now < D.win_start - D.cfg.window)
			window_reset(now);	/* clock went back */
		next = D.win_start + D.cfg.window;
		if ((int64_t)now >= next) {
			collector_flush(1);
			continue;
		}
		timeout = (int)((next - now) * 1000);
		p[0].fd = sfd;
		p[0].events = POLLIN;
		p[1].fd = ifd;
		p[1].events = POLLIN;
		p[2].fd = cfd;
		p[2].events = POLLIN;
		p[3].fd = http_fd();	/* -1 (ignored by poll) if off */
		p[3].events = POLLIN;
		p[3].revents = 0;
		http_timeout(&timeout);
		ctl_timeout(&timeout);
		salvager_timeout(&timeout);
		n = NFIX + ctl_pollfds(p + NFIX, MAXPFD - NFIX);
		if (poll(p, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			logx(LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents & POLLIN)
			(void)ingest_read(ifd);
		/* Clients first: slots of clients that hung up are freed
		 * before new connections are accepted (else a burst of
		 * connections that close at once makes the next one "busy"). */
		ctl_events(p + NFIX, n - NFIX);
		if (p[2].revents & POLLIN)
			ctl_accept(cfd);
		/* Always: it also closes connections that timed out. */
		http_run();
		salvager_tick();
		if (p[0].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo != SIGHUP) {
				logx(LOG_INFO, "signal %u: storing the open "
				    "window and exiting", si.ssi_signo);
				/* Drain what is queued, then store it. */
				(void)ingest_read(ifd);
				collector_flush(1);
				salvager_stop();
				return;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' },
		{ "keep-minutes", required_argument, NULL, 'm' },
		{ "keep-hours", required_argument, NULL, 'H' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "shared", no_argument, NULL, 'S' },
		{ "max-procs-per-uid", required_argument, NULL, 'U' },
		{ "max-files", required_argument, NULL, 'F' },
		{ "max-images", required_argument, NULL, 'I' },
		{ "max-db-pages", required_argument, NULL, 'P' },
		{ "http", required_argument, NULL, 'T' },
		{ "http-any", no_argument, NULL, 'A' },
		{ "metrics-top", required_argument, NULL, 'N' },
		{ "stage", required_argument, NULL, 'G' },
		{ "query-work", required_argument, NULL, 'Q' },
		{ "salvage-every", required_argument, NULL, 'L' },
		{ "uid-memory", required_argument, NULL, 'M' },
		{ "uid-rows", required_argument, NULL, 'R' },
		{ "uid-path-bytes", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_opts so;
	struct pidfile *pfh;
	pid_t other;
	char *ctl, herr[512];
	int ch, ifd, cfd, sfd, smode;

	D.cfg.window = 60;
	D.cfg.keep_minutes = 7;
	D.cfg.keep_hours = 365;
	D.cfg.lim.max_images = 16384;
	D.cfg.lim.max_per_uid = 4096;
	D.cfg.lim.max_files = 256;
	D.cfg.metrics_top = METRICS_TOP_DEFAULT;
	D.cfg.stage_secs = 300;
	D.cfg.query_work = 20;
	D.cfg.salvage_every = 5;
	D.cfg.ub.mem = UB_MEM_DEFAULT;
	D.cfg.ub.rows = UB_ROWS_DEFAULT;
	D.cfg.ub.path_bytes = UB_PATHS_DEFAULT;
	while ((ch = getopt_long(argc, argv, "s:d:w:fp:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': D.cfg.sock = optarg; break;
		case 'd': D.cfg.db = optarg; break;
		case 'w': D.cfg.window = (int)num("--window", optarg, 1, 3600);
			break;
		case 'G': D.cfg.stage_secs = (int)num("--stage", optarg, 0, 3600);
			break;
		case 'm': D.cfg.keep_minutes = (int)num("--keep-minutes", optarg,
			    0, 36500);
			break;
		case 'H': D.cfg.keep_hours = (int)num("--keep-hours", optarg, 0,
			    36500);
			break;
		case 'f': D.cfg.foreground = 1; break;
		case 'p': D.cfg.pidfile = optarg; break;
		case 'S': D.cfg.shared = 1; break;
		case 'U': D.cfg.lim.max_per_uid = (uint32_t)num(
			    "--max-procs-per-uid", optarg, 1, 1 << 20);
			break;
		case 'F': D.cfg.lim.max_files = (uint32_t)num("--max-files",
			    optarg, 1, 65536);
			break;
		case 'I': D.cfg.lim.max_images = (uint32_t)num("--max-images",
			    optarg, 1, 1 << 22);
			break;
		case 'P': D.cfg.max_pages = (int)num("--max-db-pages", optarg,
			    1, INT_MAX);
			break;
		case 'Q': D.cfg.query_work = (int)num("--query-work", optarg, 1,
			    1000000);
			break;
		case 'L': D.cfg.salvage_every = (int)num("--salvage-every",
			    optarg, 0, 3600);
			break;
		case 'M': D.cfg.ub.mem = (uint64_t)num("--uid-memory", optarg,
			    4096, 1LL << 40);
			break;
		case 'R': D.cfg.ub.rows = (uint64_t)num("--uid-rows", optarg, 1,
			    1LL << 40);
			break;
		case 'B': D.cfg.ub.path_bytes = (uint64_t)num("--uid-path-bytes",
			    optarg, 0, 1LL << 40);
			break;
		case 'T': http_spec(optarg); D.cfg.http = optarg; break;
		case 'A': D.cfg.http_any = 1; break;
		case 'N': D.cfg.metrics_top = (int)num("--metrics-top", optarg,
			    1, METRICS_TOP_MAX);
			break;
		case 'V': puts("ioshimd " IOSHIM_VERSION); return 0;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage(2);
	}
	if (D.cfg.http_any && D.cfg.http == NULL)
		errx(2, "--http-any needs --http ADDR:PORT");
	defaults(&D.cfg);
	D.euid = geteuid();
	D.cfg.ub.users_mem = D.cfg.ub.mem * UB_USERS;
	ub_init(&D.cfg.ub, D.euid);
	D.started = time(NULL);
	D.stale_after = 3 * D.cfg.window + 10;
	log_init(D.cfg.foreground);

	smode = D.cfg.shared ? 0666 : 0600;
	mkparents(D.cfg.sock, D.cfg.shared ? 0755 : 0700);
	mkparents(D.cfg.pidfile, 0700);
	mkparents(D.cfg.db, 0700);
	safe_path(&D.cfg.sock, "socket");
	safe_path(&D.cfg.pidfile, "pidfile");
	safe_path(&D.cfg.db, "database");
	if ((pfh = pidfile_lock(D.cfg.pidfile, &other)) == NULL) {
		if (errno == EEXIST)
			errx(1, "already running (pid %d, pidfile %s)",
			    (int)other, D.cfg.pidfile);
		if (errno == ELOOP)
			errx(1, "pidfile %s is a symlink: refusing to follow "
			    "it", D.cfg.pidfile);
		if (errno == EPERM)
			errx(1, "pidfile %s is not a plain file of uid %u: "
			    "refusing it", D.cfg.pidfile, (unsigned)geteuid());
		err(1, "pidfile %s", D.cfg.pidfile);
	}
	if ((ifd = ingest_open(D.cfg.sock, smode)) == -1)
		err(1, "ingest socket %s", D.cfg.sock);
	ctl = xasprintf("%s%s", D.cfg.sock, ".ctl");
	if ((cfd = ctl_open(ctl, smode)) == -1)
		err(1, "query socket %s", ctl);
	/* Listen before daemon(): errors reach the terminal.  No thread is
	 * started (external polling), so crossing fork is safe. */
	if (D.cfg.http != NULL &&
	    http_start(D.cfg.http, D.cfg.http_any, herr, sizeof(herr)) != 0) {
		(void)unlink(D.cfg.sock);
		(void)unlink(ctl);
		pidfile_drop(pfh);
		errx(1, "--http: %s", herr);
	}
	/* Fork before SQLite is opened: a connection must not cross fork. */
	if (!D.cfg.foreground && daemon(0, 0) == -1)
		err(1, "daemon");
	if (pidfile_put(pfh) != 0)
		logx(LOG_WARNING, "cannot write pidfile %s: %s", D.cfg.pidfile,
		    strerror(errno));
	sfd = signal_fd();

	memset(&so, 0, sizeof(so));
	so.path = D.cfg.db;
	so.keep_minutes = D.cfg.keep_minutes;
	so.keep_hours = D.cfg.keep_hours;
	so.wal_bound = 8u << 20;
	so.ckpt_secs = 3600;	/* docs/collector.md, "Its own writes" */
	so.stage_secs = D.cfg.stage_secs;
	so.max_pages = D.cfg.max_pages;
	if ((D.st = store_open(&so)) == NULL) {
		logx(LOG_ERR, "cannot open the database %s", D.cfg.db);
		goto out;
	}
	if ((D.agg = agg_new(&D.cfg.lim, store_lookup, D.st)) == NULL) {
		logx(LOG_ERR, "out of memory");
		goto out;
	}
	salvager_init(D.cfg.salvage_every);
	if (metrics_init(D.cfg.metrics_top) != 0) {
		logx(LOG_ERR, "out of memory");
		agg_free(D.agg);
		D.agg = NULL;
		goto out;
	}
	agg_set_observer(D.agg, metrics_observe, NULL);
	if (D.cfg.http != NULL)
		logx(LOG_INFO, "serving /metrics and /health on http://%s%s",
		    D.cfg.http, D.cfg.http_any ? " (any address allowed)" : "");
	window_reset(time(NULL));
	logx(LOG_INFO, "listening on %s (queries on %s), database %s, "
	    "window %d s", D.cfg.sock, ctl, D.cfg.db, D.cfg.window);
	run(sfd, ifd, cfd);
out:
	http_stop();
	ctl_closeall();
	close(ifd);
	close(cfd);
	(void)unlink(D.cfg.sock);
	(void)unlink(ctl);
	agg_free(D.agg);
	metrics_free();
	ub_free();
	store_close(D.st);
	pidfile_drop(pfh);
	free(ctl);
	return D.st != NULL && D.agg != NULL ? 0 : 1;
}
