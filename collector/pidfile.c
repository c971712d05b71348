/*
 * pidfile.c - the single-instance lock and pid file of ioshimd.
 *
 * Opened with O_NOFOLLOW and O_NONBLOCK, and refused unless it is a
 * regular file of the collector's user: a symlink planted at its name
 * (only possible where someone else may write the directory, which
 * safedir.c refuses anyway) is never followed, so root never writes
 * through it into another file.  The lock is flock(2) on the open file,
 * inherited across daemon(); the pid is written after daemon().
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

struct pidfile {
	int	 fd;
	char	*path;
};

/* The pid in the file of another instance, or 0. */
static pid_t
holder(int fd)
{
	char buf[32];
	ssize_t n;
	long v;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 && v < (1L << 30) ? (pid_t)v : 0;
}

struct pidfile *
pidfile_lock(const char *path, pid_t *other)
{
	struct pidfile *pf;
	struct stat sb;
	int fd, e;

	*other = 0;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return NULL;		/* ELOOP: a symlink */
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    sb.st_nlink != 1) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*other = holder(fd);
			close(fd);
			errno = EEXIST;
			return NULL;
		}
		goto fail;
	}
	if ((pf = calloc(1, sizeof(*pf))) == NULL ||
	    (pf->path = strdup(path)) == NULL) {
		free(pf);
		goto fail;
	}
	pf->fd = fd;
	return pf;
fail:
	e = errno;
	close(fd);
	errno = e;
	return NULL;
}

int
pidfile_put(struct pidfile *pf)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
pidfile_drop(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	(void)unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	free(pf);
}
