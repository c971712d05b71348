/*
 * pidfile.h - the collector's single-instance lock and pid file
 * (pidfile.c).
 */
#ifndef IOSHIMD_PIDFILE_H
#define IOSHIMD_PIDFILE_H

#include <sys/types.h>

struct pidfile;

/*
 * Open and lock path (never through a symlink).  NULL with errno EEXIST
 * and *other = its pid when another instance holds it; NULL with errno
 * for other failures.
 */
struct pidfile	*pidfile_lock(const char *path, pid_t *other);
/* Write this process's pid (after daemon()); 0 ok. */
int		 pidfile_put(struct pidfile *);
/* Remove the file and free; NULL is ignored. */
void		 pidfile_drop(struct pidfile *);

#endif
