/*
 * safedir.h - is a directory safe for the collector's files (sockets,
 * pidfile, database)?  See safedir.c.
 */
#ifndef IOSHIMD_SAFEDIR_H
#define IOSHIMD_SAFEDIR_H

#include <sys/types.h>
#include <stddef.h>

/*
 * The directory of path, resolved (realpath) into dir (PATH_MAX bytes),
 * if no user but euid and root can change it: 0.  Else -1 with the reason
 * in why.
 */
int	safedir_check(const char *path, uid_t euid, char *dir, char *why,
	    size_t whysz);

#endif
