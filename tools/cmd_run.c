/*
 * cmd_run.c - "ioshim run": start a command with libioshim.so preloaded,
 * and exit as it exits.
 *
 * The library is found beside the tool (the build tree: ../shim/, an
 * installation: ../lib/ioshim/, the Debian package: ../lib/TRIPLET/ioshim/
 * with TRIPLET the compiler's multiarch name) or at $IOSHIM_LIB, and put
 * first in
 * LD_PRELOAD.  ld.so silently skips a preload it cannot load (a static or
 * setuid program, another architecture), so the shim tells us through a
 * pipe (IOSHIM_READY_FD) that it started; if it does not, we say so.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ioshim.h"
#include "debounce_spec.h"

#ifndef LIBDIR
#define LIBDIR "/usr/local/lib"
#endif

static volatile sig_atomic_t child_pid;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ioshim run [--report FILE] [--no-coalesce] [--socket PATH]\n"
	    "                  [--debounce GLOB[=MS][,nosync][,inplace]]... -- CMD [ARG...]\n"
	    "\n"
	    "Runs CMD with libioshim.so preloaded and exits with its status.\n"
	    "  --report FILE   append one JSON line per ended process to FILE\n"
	    "  --no-coalesce   count only; write every append as the program does\n"
	    "  --socket PATH   the collector's socket (default: IOSHIM_SOCKET, or\n"
	    "                  the collector's default path when it exists)\n"
	    "  --debounce GLOB[=MS][,nosync][,inplace]\n"
	    "                  write whole-file saves of files matching GLOB at most\n"
	    "                  once per MS ms (default 2000); repeatable\n");
}

static int
usable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Where is libioshim.so?  Into buf; 0 when found.  (ioshim enable too.) */
int
find_lib(char *buf, size_t size)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("IOSHIM_LIB");
	ssize_t n;
	static const char *const rel[] = {
		"/../shim/libioshim.so", "/../lib/ioshim/libioshim.so",
#ifdef MULTIARCH
		"/../lib/" MULTIARCH "/ioshim/libioshim.so",
#endif
	};
	size_t i;

	if (env != NULL && *env) {
		if (realpath(env, buf) == NULL || !usable(buf))
			return -1;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			char cand[PATH_MAX + 64];

			snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
			if (realpath(cand, buf) != NULL && usable(buf))
				return 0;
		}
	}
	snprintf(buf, size, "%s/ioshim/libioshim.so", LIBDIR);
	return usable(buf) ? 0 : -1;
}

static void
forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/*
 * --debounce: checked as the shim will read it, then added to
 * IOSHIM_DEBOUNCE (each a separate entry).  0, or -1 said.
 */
static int
add_debounce(const char *v)
{
	static struct db_pat pats[DB_PATS_MAX];
	const char *old = getenv("IOSHIM_DEBOUNCE"), *why;
	char bad[128], *all;
	unsigned n;

	if (strchr(v, ':') != NULL)
		why = "':' cannot be in a pattern";
	else
		why = db_parse(v, pats, &n, bad, sizeof(bad));
	if (why != NULL) {
		warnx("run: --debounce '%s': %s", v, why);
		return -1;
	}
	if (asprintf(&all, "%s%s%s", old && *old ? old : "",
	    old && *old ? ":" : "", v) < 0)
		err(1, "asprintf");
	if (db_parse(all, pats, &n, bad, sizeof(bad)) != NULL) {
		warnx("run: --debounce: more than %d patterns", DB_PATS_MAX);
		free(all);
		return -1;
	}
	if (setenv("IOSHIM_DEBOUNCE", all, 1) != 0)
		err(1, "setenv");
	free(all);
	return 0;
}

/* Die the way the child died, or exit with its status. */
static int
mirror(int status)
{
	struct sigaction sa;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(WTERMSIG(status), &sa, NULL);
		signal(SIGABRT, SIG_DFL);
		kill(getpid(), WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return 1;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "no-coalesce", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "debounce", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char lib[PATH_MAX], report[PATH_MAX], fdbuf[16], *preload;
	const char *old;
	int c, ready[2], execfd[2], status, loaded = 0, e;
	struct sigaction sa;
	struct pollfd pfd;
	pid_t pid;
	ssize_t n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:r:ns:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			/* absolute, so children that chdir write the same file */
			if (optarg[0] != '/') {
				char cwd[PATH_MAX];

				if (getcwd(cwd, sizeof(cwd)) == NULL ||
				    (size_t)snprintf(report, sizeof(report), "%s/%s",
				    cwd, optarg) >= sizeof(report))
					errx(1, "report path too long");
			} else
				snprintf(report, sizeof(report), "%s", optarg);
			if (setenv("IOSHIM_REPORT", report, 1) != 0)
				err(1, "setenv");
			break;
		case 'n':
			setenv("IOSHIM_COALESCE", "0", 1);
			break;
		case 's':
			setenv("IOSHIM_SOCKET", optarg, 1);
			break;
		case 'd':
			if (add_debounce(optarg) != 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return print_version();
		case ':':
			warnx("run: option '%s' needs a value", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			warnx("run: unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		warnx("run: no command to run");
		usage(stderr);
		return 2;
	}
	if (find_lib(lib, sizeof(lib)) != 0)
		errx(1, "cannot find libioshim.so (looked beside %s and in %s/ioshim; "
		    "set IOSHIM_LIB)", "this program", LIBDIR);
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? " " : "",
	    old ? old : "") < 0)
		err(1, "asprintf");
	if (setenv("LD_PRELOAD", preload, 1) != 0)
		err(1, "setenv");
	free(preload);
	run_check();

	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(execfd, O_CLOEXEC) != 0)
		err(1, "pipe");
	fflush(NULL);
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		/* the shim closes this fd in its constructor */
		int fd = fcntl(ready[1], F_DUPFD, 3);

		if (fd < 0)
			_exit(127);
		snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
		setenv("IOSHIM_READY_FD", fdbuf, 1);
		close(ready[0]);
		close(execfd[0]);
		execvp(argv[0], argv);
		e = errno;
		(void)!write(execfd[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	close(ready[1]);
	close(execfd[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* the terminal sends these to the child as well */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);

	while ((n = read(execfd[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == sizeof(e)) {
		waitpid(pid, &status, 0);
		errno = e;
		warn("%s", argv[0]);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
	}
	close(execfd[0]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	for (;;) {
		c = poll(&pfd, 1, 5000);
		if (c < 0 && errno == EINTR)
			continue;
		break;
	}
	if (c > 0 && read(ready[0], fdbuf, 1) == 1)
		loaded = 1;
	close(ready[0]);
	if (!loaded && c == 0)
		warnx("warning: libioshim.so did not start in %s within 5 s "
		    "(a static, setuid or foreign-architecture program is not shimmed)",
		    argv[0]);
	else if (!loaded && waitpid(pid, &status, WNOHANG) == 0)
		warnx("warning: libioshim.so did not load into %s "
		    "(a static, setuid or foreign-architecture program is not shimmed)",
		    argv[0]);
	else if (!loaded)
		return mirror(status);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	return mirror(status);
}
