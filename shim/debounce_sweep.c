/*
 * debounce_sweep.c - hidden pending files that killed processes left
 * (".NAME.ioshim-PID-N" beside a state file, docs/debounce.md, "What is
 * lost") hold a state newer than the file's, or an absorbed older one.
 * The next process that debounces the file finds them at its start (for
 * a pattern whose directory is no pattern, before the program can read
 * the file) and again when it first holds a state of its own: one newer
 * than the target (by mtime), or whose target is gone, is renamed onto
 * it (the newest of several wins: each is compared with the target as it
 * then is); others are removed.  Only regular files of this user whose
 * process is gone; nothing is followed.  The states such processes held
 * in memory (debounce_hold.c) are looked for at the same points
 * (debounce_hsweep.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "debounce.h"
#include "dbhsweep.h"


/* The pid in NAME's tail "PID-N", or 0. */
static long
pid_of(const char *tail)
{
	char *end;
	long pid = strtol(tail, &end, 10);

	return pid > 0 && *end == '-' ? pid : 0;
}

static int
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * One name of the directory dfd, pending state of target base (pid at
 * tail): a dead process's is renamed onto the target when newer, else
 * removed.
 */
static void
sweep_one(int dfd, const char *name, const char *base, const char *tail)
{
	struct stat st, ts;
	long pid;

	if ((pid = pid_of(tail)) == 0 || pid == (long)getpid())
		return;
	if (syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno != ESRCH)
		return;		/* alive, or not ours to know */
	if (raw_stat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return;
	if (raw_stat(dfd, base, &ts, AT_SYMLINK_NOFOLLOW) != 0 ?
	    errno == ENOENT : S_ISREG(ts.st_mode) && newer(&st.st_mtim, &ts.st_mtim))
		if (syscall(SYS_renameat2, dfd, name, dfd, base, 0) == 0)
			return;
	syscall(SYS_unlinkat, dfd, name, 0);
}

/* Every name of directory d to fn; 0, or -1 when it cannot be opened. */
static int
each_name(const char *d, void (*fn)(int, const char *, const void *),
    const void *arg)
{
	char buf[4096];
	struct dbh_dirent *de;
	size_t off;
	long got;
	int dfd = (int)syscall(SYS_openat, AT_FDCWD, d,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)got; off += de->d_reclen) {
			de = (struct dbh_dirent *)(buf + off);
			fn(dfd, de->d_name, arg);
		}
	syscall(SYS_close, dfd);
	return 0;
}

/* db_sweep's look at one name: e's target's pending file? */
static void
sweep_ent(int dfd, const char *name, const void *arg)
{
	const struct db_ent *e = arg;
	size_t n = strlen(e->base);

	if (name[0] == '.' && strncmp(name + 1, e->base, n) == 0 &&
	    strncmp(name + 1 + n, ".ioshim-", 8) == 0)
		sweep_one(dfd, name, e->base, name + 1 + n + 8);
}

/* Under the lock, once per target and process. */
void
db_sweep(const struct db_ent *e)
{
	char d[PATH_MAX];
	size_t n = (size_t)(e->base - e->path);
	int saved = errno;

	memcpy(d, e->path, n);
	d[n > 1 ? n - 1 : 1] = '\0';
	(void)each_name(d, sweep_ent, e);
	dbh_sweep(e->path, NULL);	/* and states held in memory */
	errno = saved;
}

/* db_sweep_start's look at one name: a pending file of a matching target? */
static void
sweep_pat(int dfd, const char *name, const void *arg)
{
	const char *glob = arg, *t, *tag = NULL;
	char base[NAME_MAX + 1], abs[PATH_MAX];
	size_t n;

	if (name[0] != '.')
		return;
	for (t = name; (t = strstr(t, ".ioshim-")) != NULL; t++)
		tag = t;
	if (tag == NULL || (n = (size_t)(tag - name - 1)) == 0 || n > NAME_MAX)
		return;
	memcpy(base, name + 1, n);
	base[n] = '\0';
	n = (size_t)(strrchr(glob, '/') - glob);
	if (snprintf(abs, sizeof(abs), "%.*s/%s", (int)n, glob, base) >= PATH_MAX ||
	    fnmatch(glob, abs, FNM_PATHNAME) != 0)
		return;
	sweep_one(dfd, name, base, tag + 8);
}

/*
 * At start-up: the directories of the patterns whose directory part is
 * no pattern, swept before the program can read their files.
 */
void
db_sweep_start(void)
{
	char d[PATH_MAX];
	const char *g;
	size_t n;
	unsigned i;
	int saved = errno;

	for (i = 0; (g = db_glob(i)) != NULL; i++) {
		n = (size_t)(strrchr(g, '/') - g);
		if (n >= sizeof(d) || strcspn(g, "*?[\\") < n)
			continue;
		memcpy(d, g, n);
		d[n ? n : 1] = '\0';
		if (n == 0)
			d[0] = '/';
		(void)each_name(d, sweep_pat, g);
		dbh_sweep(NULL, g);
	}
	errno = saved;
}
