/*
 * cmd_salvage.c - "ioshim salvage [--dry-run] [DIR...]": write the log
 * lines a killed process held (its spill files, docs/coalescing.md) to
 * their files, exactly once, and remove the spills.
 *
 * Without DIR: the caller's spill directories (/run/ioshim/UID and
 * /dev/shm/ioshim-UID); as root, every user's.  Each DIR's kept/ too:
 * spills set aside because their file was gone.  Prints a line per spill
 * and a summary; exits 0, or 1 when a spill of a dead writer could not be
 * salvaged (it is kept, in DIR/kept).
 */
#include <err.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ioshim.h"
#include "salvage.h"

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
	    "  write the held log lines of killed processes to their files\n"
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
	return ss.kept ? 1 : 0;
}
