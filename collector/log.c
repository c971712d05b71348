/*
 * log.c - log lines to stderr (foreground) or syslog (daemon).
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static int use_stderr = 1;

void
log_init(int to_stderr)
{
	use_stderr = to_stderr;
	if (!use_stderr)
		openlog("ioshimd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
logx(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_stderr) {
		fputs("ioshimd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else
		vsyslog(prio, fmt, ap);
	va_end(ap);
}
