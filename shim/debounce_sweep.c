/*
 * debounce_sweep.c - hidden pending files that killed processes left
 * (".NAME.ioshim-PID-N" beside a state file, docs/debounce.md, "What is
 * lost") are removed by the next process that debounces the same file,
 * when it first holds a state of its own: by then its own saves reached
 * the file, so theirs are older.  Only regular files of this user whose
 * process is gone; nothing is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"

struct dirent64_ {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

/* The pid in NAME's tail "PID-N", or 0. */
static long
pid_of(const char *tail)
{
	char *end;
	long pid = strtol(tail, &end, 10);

	return pid > 0 && *end == '-' ? pid : 0;
}

/* One name of the directory dfd: removed when a dead process's pending. */
static void
sweep_one(int dfd, const char *name, const char *prefix, size_t plen)
{
	struct stat st;
	long pid;

	if (strncmp(name, prefix, plen) != 0 || (pid = pid_of(name + plen)) == 0 ||
	    pid == (long)getpid())
		return;
	if (syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno != ESRCH)
		return;		/* alive, or not ours to know */
	if (raw_stat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_uid == geteuid())
		syscall(SYS_unlinkat, dfd, name, 0);
}

/* Under the lock, once per target and process. */
void
db_sweep(const struct db_ent *e)
{
	char d[PATH_MAX], prefix[NAME_MAX + 16], buf[4096];
	size_t n = (size_t)(e->base - e->path), plen, off;
	struct dirent64_ *de;
	long got;
	int dfd, saved = errno;

	memcpy(d, e->path, n);
	d[n > 1 ? n - 1 : 1] = '\0';
	plen = (size_t)snprintf(prefix, sizeof(prefix), ".%.200s.ioshim-", e->base);
	dfd = (int)syscall(SYS_openat, AT_FDCWD, d,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		errno = saved;
		return;
	}
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)got; off += de->d_reclen) {
			de = (struct dirent64_ *)(buf + off);
			sweep_one(dfd, de->d_name, prefix, plen);
		}
	syscall(SYS_close, dfd);
	errno = saved;
}
