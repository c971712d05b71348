/*
 * cmd_salvage.c - "ioshim salvage [--dry-run] [DIR...]": write the log
 * lines a killed process held (its spill files, docs/coalescing.md) to
 * their files, exactly once, and remove the spills.
 *
 * Without DIR: the caller's spill directories (/run/ioshim/UID and
 * /dev/shm/ioshim-UID); as root, every user's.  Prints a line per spill
 * and a summary; exits 0, or 1 when a spill of a dead writer could not be
 * salvaged (it is kept).
 */
#include <err.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ioshim.h"
#include "salvage.h"

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
	memset(&g, 0, sizeof(g));
	if (a < argc) {
		for (; a < argc; a++)
			if (salvage_dir(argv[a], dry, &ss) != 0)
				warn("salvage: %s", argv[a]);
	} else if (geteuid() == 0) {
		glob("/run/ioshim/[0-9]*", GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g);
		glob("/dev/shm/ioshim-[0-9]*", GLOB_ONLYDIR | GLOB_NOSORT | GLOB_APPEND,
		    NULL, &g);
		for (i = 0; i < g.gl_pathc; i++)
			salvage_dir(g.gl_pathv[i], dry, &ss);
		globfree(&g);
	} else {
		snprintf(own[0], sizeof(own[0]), "/run/ioshim/%u", (unsigned)geteuid());
		snprintf(own[1], sizeof(own[1]), "/dev/shm/ioshim-%u", (unsigned)geteuid());
		for (n = 0; n < 2; n++)
			salvage_dir(own[n], dry, &ss);
	}
	printf("%u spills: %u salvaged (%llu bytes), %u empty removed, "
	    "%u of live writers, %u kept\n", ss.found, ss.salvaged,
	    (unsigned long long)ss.bytes, ss.empty, ss.alive, ss.kept);
	return ss.kept ? 1 : 0;
}
