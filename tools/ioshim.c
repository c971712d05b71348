/*
 * ioshim.c - entry point of the ioshim tool: picks the subcommand.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "ioshim.h"
#include "version.h"

/* Subcommands another file may not have yet are weak: "not built". */
#pragma weak cmd_health
#pragma weak cmd_query
#pragma weak cmd_top
#pragma weak cmd_report

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*what;
} cmds[] = {
	{ "run",	cmd_run,	"run a command under the shim" },
	{ "top",	cmd_top,	"live iotop-style view from the collector" },
	{ "report",	cmd_report,	"history report from the collector" },
	{ "health",	cmd_health,	"the collector's health" },
	{ "query",	cmd_query,	"send a raw request to the collector" },
	{ "salvage",	cmd_salvage,	"write killed processes' held log lines" },
	{ "import",	cmd_import,	"send exit-report files to the collector" },
	{ "enable",	cmd_enable,	"preload the shim into systemd services" },
	{ "disable",	cmd_disable,	"take the shim out of systemd services" },
	{ "status",	cmd_status,	"shimmed units and processes" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ioshim COMMAND [ARG...]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\n'ioshim COMMAND --help' describes each; "
	    "'ioshim --version' prints the version.\n");
}

int
print_version(void)
{
	printf("ioshim %s\n", IOSHIM_VERSION);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return print_version();
	if (argv[1][0] == '-') {
		warnx("unknown option '%s'", argv[1]);
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (cmds[i].fn == NULL)
			errx(1, "%s: not built in this version", argv[1]);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
