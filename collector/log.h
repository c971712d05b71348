/*
 * log.h - log lines to stderr (foreground) or syslog (daemon).
 */
#ifndef IOSHIMD_LOG_H
#define IOSHIMD_LOG_H

#include <syslog.h>

void	log_init(int to_stderr);
void	logx(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
