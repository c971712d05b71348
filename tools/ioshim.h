/*
 * ioshim.h - the subcommands of the ioshim command-line tool.
 *
 * Each cmd_* takes the arguments after "ioshim" (argv[0] is the
 * subcommand's name) and returns the process exit status:
 * 0 ok, 1 error, 2 usage.
 */
#ifndef IOSHIM_TOOLS_H
#define IOSHIM_TOOLS_H

#include <stddef.h>

int	cmd_run(int argc, char **argv);		/* cmd_run.c */
int	cmd_health(int argc, char **argv);	/* cmd_health.c */
int	cmd_query(int argc, char **argv);	/* cmd_query.c */
int	cmd_top(int argc, char **argv);		/* cmd_top.c */
int	cmd_report(int argc, char **argv);	/* cmd_report.c */
int	cmd_salvage(int argc, char **argv);	/* cmd_salvage.c */
int	cmd_import(int argc, char **argv);	/* cmd_import.c */
int	cmd_enable(int argc, char **argv);	/* cmd_enable.c */
int	cmd_disable(int argc, char **argv);	/* cmd_enable.c */
int	cmd_status(int argc, char **argv);	/* cmd_status.c */
int	find_lib(char *buf, size_t size);	/* cmd_run.c: libioshim.so's path */
int	dropin_dir(char *buf, size_t size, const char *root, int user,
	    const char *unit);			/* cmd_enable.c: UNIT.d */
int	machine_enable(const char *root, const char *lib);	/* machine.c */
int	machine_disable(const char *root);		/* machine.c */
void	machine_status(const char *root);		/* machine.c */
void	run_check(void);			/* run_check.c */
int	print_version(void);			/* ioshim.c: prints, returns 0 */

#endif
