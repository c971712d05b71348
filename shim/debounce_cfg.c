/*
 * debounce_cfg.c - which files are debounced: IOSHIM_DEBOUNCE read once
 * at start-up (syntax in common/debounce_spec.h), and the match of a path
 * the program names against its patterns.
 *
 * A bad setting is said in one line on standard error and ignored as a
 * whole: nothing is debounced, the program runs as without it.
 *
 * A path matches by its absolute form: the directory resolved as the
 * kernel sees it (opened O_PATH, then /proc/self/fd/N read: no malloc,
 * unlike realpath), the last component as given, never followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"
#include "debounce_spec.h"

HIDDEN SHIM_HOT int db_on;			/* patterns are set */
static SHIM_BIG struct db_pat pats[DB_PATS_MAX];
static unsigned npats;

static void
say(const char *s)
{
	(void)!syscall(SYS_write, 2, s, strlen(s));
}

/* From read_config (init.c): secure_getenv, so nothing in AT_SECURE. */
SHIM_ONCE void
db_config(void)
{
	const char *s = secure_getenv("IOSHIM_DEBOUNCE"), *why;
	char bad[128];

	db_on = 0;
	if (s == NULL || *s == '\0')
		return;
	if ((why = db_parse(s, pats, &npats, bad, sizeof(bad))) != NULL) {
		say("ioshim: IOSHIM_DEBOUNCE ignored: entry '");
		say(bad);
		say("': ");
		say(why);
		say("\n");
		return;
	}
	db_on = 1;
	db_sweep_start();	/* killed writers' newer states, first */
}

/* Pattern i's glob, NULL past the last. */
const char *
db_glob(unsigned i)
{
	return i < npats ? pats[i].glob : NULL;
}

/* The pattern abs matches, or -1. */
int
db_match(const char *abs)
{
	unsigned i;

	for (i = 0; i < npats; i++)
		if (fnmatch(pats[i].glob, abs, FNM_PATHNAME) == 0)
			return (int)i;
	return -1;
}

uint64_t
db_window_ns(int pat)
{
	return (uint64_t)pats[pat].ms * 1000000u;
}

int
db_nosync(int pat)
{
	return pats[pat].nosync;
}

int
db_inplace(int pat)
{
	return pats[pat].inplace;
}

/*
 * dirfd/path into its directory as the kernel resolves it (dir, size
 * PATH_MAX) and its last component (*base, inside path).  0, or -1 when
 * it cannot be (no such directory, a path ending in '/', ...).  errno is
 * the caller's to keep.
 */
int
db_resolve(int dirfd, const char *path, char *dir, const char **base)
{
	char d[PATH_MAX], link[32];
	const char *slash = strrchr(path, '/');
	size_t n;
	ssize_t r;
	int fd;

	if (slash == NULL) {
		*base = path;
		strcpy(d, ".");
	} else {
		*base = slash + 1;
		n = (size_t)(slash - path);
		if (n == 0)
			n = 1;		/* "/name" */
		if (n >= sizeof(d))
			return -1;
		memcpy(d, path, n);
		d[n] = '\0';
	}
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return -1;
	fd = (int)syscall(SYS_openat, path[0] == '/' ? AT_FDCWD : dirfd, d,
	    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = syscall(SYS_readlinkat, AT_FDCWD, link, dir, PATH_MAX - 1);
	syscall(SYS_close, fd);
	if (r <= 0 || dir[0] != '/')
		return -1;
	dir[r] = '\0';
	return 0;
}

/* dir + "/" + base into out (PATH_MAX); -1 when too long. */
int
db_join(char *out, const char *dir, const char *base)
{
	int n = snprintf(out, PATH_MAX, "%s%s%s", dir,
	    strcmp(dir, "/") == 0 ? "" : "/", base);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}
