/*
 * cmd_enable.c - "ioshim enable" and "ioshim disable": preload the shim
 * into systemd services through a drop-in, and take it out again.
 *
 * enable writes UNIT.d/ioshim.conf under /etc/systemd/system (--user:
 * $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user) with
 * LD_PRELOAD set to the installed library followed by whatever LD_PRELOAD
 * the unit already had (systemctl show when systemd runs; else its unit
 * file and drop-ins), and IOSHIM_SOCKET set to the collector's socket
 * (%t/ioshim/ioshimd.sock: /run for the system, $XDG_RUNTIME_DIR for a
 * user).  The first line marks the file as ours: disable and the
 * package's prerm remove only such files.  Where systemd runs, a
 * daemon-reload follows (and with --now a restart of the units);
 * elsewhere, and with --root DIR (every path under DIR: tests, images),
 * the files are written and we say what to run.  --machine: the whole
 * machine instead, through /etc/ld.so.preload (machine.c).
 * docs/deploying.md.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ioshim.h"

#define MARK	"# written by ioshim enable"
#define SOCK	"%t/ioshim/ioshimd.sock"

extern char **environ;

struct opts {
	int		 now, user, machine;
	const char	*root;		/* "" without --root */
	const char	*sock;		/* the drop-in's IOSHIM_SOCKET */
};

static void
usage(FILE *f, const char *cmd)
{
	fprintf(f,
	    "usage: ioshim %s [--now] [--user] [--root DIR]%s UNIT...\n"
	    "       ioshim %s --machine [--root DIR]\n"
	    "\n"
	    "%s\n"
	    "  --now          restart the units after systemctl daemon-reload\n"
	    "  --user         the user's units (~/.config/systemd/user)\n"
	    "  --root DIR     write under DIR; systemctl is not called\n"
	    "  --machine      %s\n"
	    "%s",
	    cmd, strcmp(cmd, "enable") == 0 ? " [--socket PATH]" : "", cmd,
	    strcmp(cmd, "enable") == 0 ?
	    "Preloads libioshim.so into each systemd UNIT with the drop-in\n"
	    "UNIT.d/ioshim.conf (keeping the unit's LD_PRELOAD)." :
	    "Removes the drop-in UNIT.d/ioshim.conf that 'ioshim enable' wrote.",
	    strcmp(cmd, "enable") == 0 ?
	    "every program: the library in /etc/ld.so.preload" :
	    "take the library out of /etc/ld.so.preload",
	    strcmp(cmd, "enable") == 0 ?
	    "  --socket PATH  the collector's socket (default %t/ioshim/ioshimd.sock)\n" : "");
}

/* UNIT with ".service" added when it has no type; 0 when a valid name. */
static int
unit_name(const char *arg, char *buf, size_t size)
{
	const char *p;

	if (*arg == '\0' || strlen(arg) > 255)
		return -1;
	for (p = arg; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789:_.@-\\", *p))
			return -1;
	if ((size_t)snprintf(buf, size, "%s%s", arg,
	    strchr(arg, '.') ? "" : ".service") >= size)
		return -1;
	return 0;
}

/* The user's systemd configuration directory, under root. */
static int
user_dir(char *buf, size_t size, const char *root)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x != NULL && *x == '/')
		return (size_t)snprintf(buf, size, "%s%s/systemd/user", root, x) < size ? 0 : -1;
	if (h == NULL || *h != '/')
		return -1;
	return (size_t)snprintf(buf, size, "%s%s/.config/systemd/user", root, h) < size ? 0 : -1;
}

int
dropin_dir(char *buf, size_t size, const char *root, int user, const char *unit)
{
	char base[PATH_MAX];

	if (user) {
		if (user_dir(base, sizeof(base), root) != 0)
			return -1;
	} else if ((size_t)snprintf(base, sizeof(base), "%s/etc/systemd/system",
	    root) >= sizeof(base))
		return -1;
	return (size_t)snprintf(buf, size, "%s/%s.d", base, unit) < size ? 0 : -1;
}

/* systemd is ours to tell: running, and no --root. */
static int
systemd_here(const struct opts *o)
{
	return *o->root == '\0' && access("/run/systemd/system", F_OK) == 0;
}

/* Run argv; its exit status (-1 when it could not run). */
static int
spawn(char **argv)
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The LD_PRELOAD among the words of an Environment= value (quotes and
 * backslashes as systemd writes them) into val; an empty value resets.
 */
static void
env_words(const char *s, char *val, size_t size)
{
	char w[4096];
	size_t n;
	char q;

	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		for (n = 0, q = 0; *s && (q || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
			if (!q && (*s == '"' || *s == '\'')) {
				q = *s;
				continue;
			}
			if (q && *s == q) {
				q = 0;
				continue;
			}
			if (*s == '\\' && s[1] == 'x' && s[2] && s[3]) {
				char hex[3] = { s[2], s[3], 0 };

				if (n < sizeof(w) - 1)
					w[n++] = (char)strtol(hex, NULL, 16);
				s += 3;
				continue;
			}
			if (*s == '\\' && s[1])
				s++;
			if (n < sizeof(w) - 1)
				w[n++] = *s;
		}
		w[n] = '\0';
		if (strncmp(w, "LD_PRELOAD=", 11) == 0)
			snprintf(val, size, "%s", w + 11);
	}
}

/* Environment= lines of one unit file or drop-in, in order. */
static void
scan_file(const char *path, char *val, size_t size)
{
	char line[8192];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, MARK, strlen(MARK)) == 0)
			break;		/* our own drop-in: not the unit's */
		if (strncmp(line, "Environment=", 12) == 0) {
			if (line[12] == '\n' || line[12] == '\0')
				*val = '\0';
			else
				env_words(line + 12, val, size);
		}
	}
	fclose(f);
}

static int
by_base(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(strrchr(x, '/'), strrchr(y, '/'));
}

/* Without systemd: the unit file found first, then its drop-ins by name. */
static void
preload_from_files(const struct opts *o, const char *unit, char *val, size_t size)
{
	static const char *const sys[] = {
		"/etc/systemd/system", "/run/systemd/system",
		"/usr/lib/systemd/system", "/lib/systemd/system",
	};
	static const char *const usr[] = {
		"", "/etc/systemd/user", "/usr/lib/systemd/user",
	};
	const char *const *dirs = o->user ? usr : sys;
	size_t i, nd = o->user ? 3 : 4;
	char path[PATH_MAX + 300], pat[PATH_MAX + 320];
	glob_t g;
	int found = 0, fl = 0;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < nd; i++) {
		char d[PATH_MAX];

		if (o->user && i == 0) {
			if (user_dir(d, sizeof(d), o->root) != 0)
				continue;
		} else
			snprintf(d, sizeof(d), "%s%s", o->root, dirs[i]);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", d, unit) >= sizeof(path))
			continue;
		if (!found && access(path, R_OK) == 0) {
			scan_file(path, val, size);
			found = 1;
		}
		if ((size_t)snprintf(pat, sizeof(pat), "%s/%s.d/*.conf", d, unit) >= sizeof(pat))
			continue;
		if (glob(pat, fl, NULL, &g) == 0 || g.gl_pathc > 0)
			fl = GLOB_APPEND;
	}
	if (fl != 0 && g.gl_pathc > 0) {
		qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), by_base);
		for (i = 0; i < g.gl_pathc; i++)
			scan_file(g.gl_pathv[i], val, size);
	}
	globfree(&g);
}

/* The unit's LD_PRELOAD now, without any libioshim.so in it. */
static void
unit_preload(const struct opts *o, const char *unit, char *out, size_t size)
{
	char val[4096] = "", *w, *save;
	size_t n = 0;

	if (systemd_here(o)) {
		char cmd[512], line[8192];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "systemctl %s show -p Environment --value -- '%s'",
		    o->user ? "--user" : "", unit);	/* unit_name() allowed no quote */
		if ((p = popen(cmd, "r")) != NULL) {
			while (fgets(line, sizeof(line), p) != NULL)
				env_words(line, val, sizeof(val));
			pclose(p);
		}
	} else
		preload_from_files(o, unit, val, sizeof(val));
	*out = '\0';
	for (w = strtok_r(val, " :", &save); w; w = strtok_r(NULL, " :", &save)) {
		size_t l = strlen(w);

		if (l >= 13 && strcmp(w + l - 13, "/libioshim.so") == 0)
			continue;
		n += snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? " " : "", w);
	}
	if (n >= size)
		errx(1, "%s: LD_PRELOAD too long", unit);
}

/* A value for a unit file: % doubled; no quote, backslash or newline. */
static void
unit_value(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == '\n')
			errx(1, "cannot put '%s' in a unit file", s);
		if (n + 3 >= size)
			errx(1, "value too long for a unit file");
		if (*s == '%')
			buf[n++] = '%';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

static void
mkdirs(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			err(1, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		err(1, "mkdir %s", p);
}

/* Write DIR/ioshim.conf for one unit, atomically. */
static void
write_dropin(const struct opts *o, const char *unit, const char *lib)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	char old[4096], pre[8192], v1[8192], v2[PATH_MAX * 2];
	FILE *f;

	if (dropin_dir(dir, sizeof(dir), o->root, o->user, unit) != 0)
		errx(1, "%s: no drop-in directory (HOME not set?)", unit);
	unit_preload(o, unit, old, sizeof(old));
	snprintf(pre, sizeof(pre), "%s%s%s", lib, *old ? " " : "", old);
	unit_value(v1, sizeof(v1), pre);
	if (o->sock != NULL)
		unit_value(v2, sizeof(v2), o->sock);
	else
		snprintf(v2, sizeof(v2), "%s", SOCK);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/ioshim.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s/.ioshim.conf.%ld", dir, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	fprintf(f, MARK ": 'ioshim disable %s' removes it\n"
	    "[Unit]\n"
	    "After=ioshimd.service\n"
	    "\n"
	    "[Service]\n"
	    "Environment=\"LD_PRELOAD=%s\"\n"
	    "Environment=\"IOSHIM_SOCKET=%s\"\n", unit, v1, v2);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		err(1, "%s", tmp);
	if (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		err(1, "%s", path);
	}
	printf("%s: %s\n", unit, path);
}

/* Remove one unit's drop-in; 0 when gone (or never there). */
static int
remove_dropin(const struct opts *o, const char *unit)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], line[256] = "";
	FILE *f;

	if (dropin_dir(dir, sizeof(dir), o->root, o->user, unit) != 0)
		errx(1, "%s: no drop-in directory (HOME not set?)", unit);
	snprintf(path, sizeof(path), "%s/ioshim.conf", dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			err(1, "%s", path);
		printf("%s: not enabled\n", unit);
		return 0;
	}
	(void)!fgets(line, sizeof(line), f);
	fclose(f);
	if (strncmp(line, MARK, strlen(MARK)) != 0) {
		warnx("%s: %s was not written by ioshim enable: left alone", unit, path);
		return -1;
	}
	if (unlink(path) != 0)
		err(1, "%s", path);
	rmdir(dir);	/* when empty */
	printf("%s: removed %s\n", unit, path);
	return 0;
}

/* daemon-reload (and restart with --now), or say what to run. */
static int
apply(const struct opts *o, char **units, int n)
{
	char *rel[] = { "systemctl", o->user ? "--user" : "--system", "daemon-reload", NULL };
	char **rs;
	int i, rc = 0;

	if (!systemd_here(o)) {
		printf("systemd is not %s: the files are written; there, run\n"
		    "  systemctl%s daemon-reload", *o->root ? "told (--root)" :
		    "running here", o->user ? " --user" : "");
		if (o->now) {
			printf(" && systemctl%s restart", o->user ? " --user" : "");
			for (i = 0; i < n; i++)
				printf(" %s", units[i]);
		}
		printf("\n");
		return 0;
	}
	if (spawn(rel) != 0) {
		warnx("systemctl daemon-reload failed");
		return 1;
	}
	if (!o->now)
		return 0;
	if ((rs = calloc(n + 4, sizeof(char *))) == NULL)
		err(1, "calloc");
	rs[0] = "systemctl";
	rs[1] = o->user ? "--user" : "--system";
	rs[2] = "restart";
	for (i = 0; i < n; i++)
		rs[3 + i] = units[i];
	if (spawn(rs) != 0) {
		warnx("systemctl restart failed");
		rc = 1;
	}
	free(rs);
	return rc;
}

/* Options of enable/disable; returns optind, or -1 to exit with *rc. */
static int
parse(int argc, char **argv, struct opts *o, int *rc)
{
	static const struct option opts[] = {
		{ "now", no_argument, NULL, 'n' },
		{ "user", no_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 's' },
		{ "machine", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->root = "";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->now = 1; break;
		case 'u': o->user = 1; break;
		case 'm': o->machine = 1; break;
		case 'r':
			if (optarg[0] != '/')
				errx(2, "--root wants an absolute path");
			o->root = strcmp(optarg, "/") == 0 ? "" : optarg;
			break;
		case 's':
			if (strcmp(argv[0], "enable") != 0 || optarg[0] != '/')
				goto bad;
			o->sock = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			*rc = 0;
			return -1;
		default:
bad:
			warnx("%s: bad option '%s'", argv[0], argv[optind - 1]);
			usage(stderr, argv[0]);
			*rc = 2;
			return -1;
		}
	}
	if (o->machine) {
		if (optind < argc || o->now || o->user || o->sock != NULL) {
			warnx("%s --machine takes no UNIT, --now, --user or --socket", argv[0]);
			usage(stderr, argv[0]);
			*rc = 2;
			return -1;
		}
		return optind;
	}
	if (optind >= argc) {
		warnx("%s: no UNIT", argv[0]);
		usage(stderr, argv[0]);
		*rc = 2;
		return -1;
	}
	return optind;
}

/* the units named, with ".service" added where needed */
static char **
units_of(int argc, char **argv, int first)
{
	char **u, name[300];
	int i;

	if ((u = calloc(argc, sizeof(char *))) == NULL)
		err(1, "calloc");
	for (i = first; i < argc; i++) {
		if (unit_name(argv[i], name, sizeof(name)) != 0)
			errx(2, "'%s' is not a unit name", argv[i]);
		if ((u[i - first] = strdup(name)) == NULL)
			err(1, "strdup");
	}
	return u;
}

int
cmd_enable(int argc, char **argv)
{
	struct opts o;
	char lib[PATH_MAX], **units;
	const char *l = lib;
	size_t rl;
	int i, first, rc;

	if ((first = parse(argc, argv, &o, &rc)) < 0)
		return rc;
	if (find_lib(lib, sizeof(lib)) != 0)
		errx(1, "cannot find libioshim.so (set IOSHIM_LIB)");
	/* with --root: the library as the root's programs will see it */
	rl = strlen(o.root);
	if (rl > 0 && strncmp(lib, o.root, rl) == 0 && lib[rl] == '/')
		l = lib + rl;
	else if (rl > 0 && o.machine)
		errx(1, "%s is not under %s: set IOSHIM_LIB to the root's library", lib, o.root);
	if (o.machine)
		return machine_enable(o.root, l);
	units = units_of(argc, argv, first);
	for (i = 0; i < argc - first; i++)
		write_dropin(&o, units[i], l);
	rc = apply(&o, units, argc - first);
	for (i = 0; i < argc - first; i++)
		free(units[i]);
	free(units);
	return rc;
}

int
cmd_disable(int argc, char **argv)
{
	struct opts o;
	char **units;
	int i, first, rc, bad = 0;

	if ((first = parse(argc, argv, &o, &rc)) < 0)
		return rc;
	if (o.machine)
		return machine_disable(o.root);
	units = units_of(argc, argv, first);
	for (i = 0; i < argc - first; i++)
		if (remove_dropin(&o, units[i]) != 0)
			bad = 1;
	rc = apply(&o, units, argc - first);
	for (i = 0; i < argc - first; i++)
		free(units[i]);
	free(units);
	return bad ? 1 : rc;
}
