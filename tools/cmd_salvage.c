/*
 * cmd_salvage.c - "ioshim salvage [--dry-run] [DIR...]": write the log
 * lines a killed process held (its spill files, docs/coalescing.md) to
 * their files, exactly once, and remove the spills.
 *
 * Without DIR: the caller's spill directories (/run/ioshim/UID and
 * /dev/shm/ioshim-UID); as root, every user's.  Each DIR's kept/ too:
 * spills set aside because their file was gone.  Also the debounced
 * states killed processes held in memory (hold files, common/dbhsweep.c),
 * written onto their files as the directory's owner.  Prints a line per
 * spill and a summary; exits 0, or 1 when a spill of a dead writer could
 * not be salvaged (it is kept, in DIR/kept).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dbhsweep.h"
#include "ioshim.h"
#include "salvage.h"

static unsigned held_written;

/*
 * The held debounced states of dead processes in dir, written with the
 * identity of dir's owner (a child drops to it when we are root and it is
 * another's): never with more rights than the owner has.
 */
static void
held_states(const char *dir)
{
	struct passwd *pw;
	struct stat st;
	pid_t pid;
	gid_t gid;
	int n, status;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	if (st.st_uid == geteuid()) {
		if ((n = dbh_sweep_dir(dir, NULL, NULL)) > 0)
			held_written += (unsigned)n;
		return;
	}
	if (geteuid() != 0)
		return;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		warn("salvage: fork");
		return;
	}
	if (pid == 0) {
		pw = getpwuid(st.st_uid);
		gid = pw != NULL ? pw->pw_gid : (gid_t)st.st_uid;
		if ((pw != NULL ? initgroups(pw->pw_name, gid) :
		    setgroups(0, NULL)) != 0 || setresgid(gid, gid, gid) != 0 ||
		    setresuid(st.st_uid, st.st_uid, st.st_uid) != 0 ||
		    geteuid() != st.st_uid)
			_exit(255);
		n = dbh_sweep_dir(dir, NULL, NULL);
		_exit(n < 0 ? 255 : n > 254 ? 254 : n);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) != 255)
		held_written += (unsigned)WEXITSTATUS(status);
}

/* A spill directory, then its spills set aside earlier (DIR/kept). */
static int
both(const char *dir, int dry, struct salvage_stats *ss)
{
	char kept[4200];
	int r = salvage_dir(dir, dry, ss);

	snprintf(kept, sizeof(kept), "%s/kept", dir);
	ss->aside = 0;
	salvage_dir(kept, dry, ss);
	ss->aside = 1;
	if (!dry)
		held_states(dir);
	return r;
}

static void
say(const char *line)
{
	printf("%s\n", line);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ioshim salvage [--dry-run] [DIR...]\n"
	    "  write the held log lines (and debounced states) of killed\n"
	    "  processes to their files\n"
	    "  DIR: spill directories (default: yours; as root, every user's)\n");
}

int
cmd_salvage(int argc, char **argv)
{
	struct salvage_stats ss;
	char own[2][64];
	glob_t g;
	size_t i;
	int dry = 0, a = 1, n;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--dry-run") == 0 || strcmp(argv[a], "-n") == 0)
			dry = 1;
		else if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[a], "--version") == 0)
			return print_version();
		else {
			warnx("salvage: unknown option '%s'", argv[a]);
			usage(stderr);
			return 2;
		}
	}
	memset(&ss, 0, sizeof(ss));
	ss.say = say;
	ss.aside = 1;
	memset(&g, 0, sizeof(g));
	if (a < argc) {
		for (; a < argc; a++)
			if (both(argv[a], dry, &ss) != 0)
				warn("salvage: %s", argv[a]);
	} else if (geteuid() == 0) {
		glob("/run/ioshim/[0-9]*", GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g);
		glob("/dev/shm/ioshim-[0-9]*", GLOB_ONLYDIR | GLOB_NOSORT | GLOB_APPEND,
		    NULL, &g);
		for (i = 0; i < g.gl_pathc; i++)
			both(g.gl_pathv[i], dry, &ss);
		globfree(&g);
	} else {
		snprintf(own[0], sizeof(own[0]), "/run/ioshim/%u", (unsigned)geteuid());
		snprintf(own[1], sizeof(own[1]), "/dev/shm/ioshim-%u", (unsigned)geteuid());
		for (n = 0; n < 2; n++)
			both(own[n], dry, &ss);
	}
	printf("%u spills: %u salvaged (%llu bytes), %u empty removed, "
	    "%u of live writers, %u kept\n", ss.found, ss.salvaged,
	    (unsigned long long)ss.bytes, ss.empty, ss.alive, ss.kept);
	if (held_written > 0)
		printf("%u debounced state(s) killed processes held written to "
		    "their files\n", held_written);
	return ss.kept ? 1 : 0;
}
