/*
 * machine.c - "ioshim enable --machine" / "disable --machine": the shim
 * in every dynamically linked program, through /etc/ld.so.preload.
 *
 * enable adds one line naming the library; disable takes out every entry
 * whose file name is libioshim.so; the other entries of the file stay as
 * they were, byte for byte.  The file is replaced atomically (a temporary
 * file in the same /etc, fsync, rename, fsync of /etc), the old one kept
 * first as ld.so.preload.ioshim-old (the name the package's prerm uses).
 * Doing it twice changes nothing.
 *
 * The line is /usr/$LIB/ioshim/libioshim.so where the loader's $LIB token
 * names the library's directory (glibc 2.36 expands it in ld.so.preload:
 * tests/t-machine.sh): a program of another architecture then looks in
 * its own library directory, not at a library it cannot load.  Else the
 * absolute path.  Before writing, the line is tried: /bin/cat
 * /proc/self/maps is run with it as LD_PRELOAD and must exit 0, say
 * nothing on stderr (the loader's complaints) and show the library
 * mapped; a library that is missing, unreadable, of another architecture
 * or needing a missing library is refused.  docs/deploying.md.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ioshim.h"

#define PRELOAD	"/etc/ld.so.preload"
#define BACKUP	"/etc/ld.so.preload.ioshim-old"
#define LIBNAME	"libioshim.so"

/* The whole file, NUL-terminated, into *buf (NULL when it does not exist). */
static size_t
slurp(const char *path, char **buf)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		err(1, "%s", path);
	}
	if (fstat(fd, &st) != 0)
		err(1, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		errx(1, "%s: not a regular file of sane size", path);
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL)
		err(1, "malloc");
	while ((n = read(fd, *buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		err(1, "%s", path);
	(*buf)[len] = '\0';
	close(fd);
	return len;
}

/* Is the word [w, w+n) one of ours (its file name libioshim.so)? */
static int
ours(const char *w, size_t n)
{
	size_t l = strlen(LIBNAME);

	return n >= l && memcmp(w + n - l, LIBNAME, l) == 0 &&
	    (n == l || w[n - l - 1] == '/');
}

#define SEP	" \t:"

/* w into first, or "" when it does not fit: an entry longer than a path
 * names no file, and a cut one must not compare equal to ours. */
static void
keep_first(char *first, size_t fsize, const char *w)
{
	size_t n = strlen(w);

	if (n < fsize)
		memcpy(first, w, n + 1);
	else
		first[0] = '\0';
}

/*
 * The file without our entries into out (as long as in): a line holding
 * none is kept as it is; one holding some keeps its other words, space
 * separated, and goes when none is left.  The number of entries taken
 * out; the first is copied to first (when not NULL).
 */
static int
strip(const char *in, char *out, char *first, size_t fsize)
{
	const char *l = in, *e;
	char *o = out, *w, *save, *ln;
	size_t len;
	int found = 0, kept, mine;

	while (*l) {
		e = strchr(l, '\n');
		len = e ? (size_t)(e - l) : strlen(l);
		if ((ln = strndup(l, len)) == NULL)
			err(1, "strndup");
		mine = 0;
		for (w = strtok_r(ln, SEP, &save); w; w = strtok_r(NULL, SEP, &save))
			mine |= ours(w, strlen(w));
		free(ln);
		if (!mine) {		/* none of ours: the line as it is */
			memcpy(o, l, len + (e != NULL));
			o += len + (e != NULL);
		} else {
			if ((ln = strndup(l, len)) == NULL)
				err(1, "strndup");
			kept = 0;
			for (w = strtok_r(ln, SEP, &save); w; w = strtok_r(NULL, SEP, &save)) {
				if (ours(w, strlen(w))) {
					if (found++ == 0 && first != NULL)
						keep_first(first, fsize, w);
					continue;
				}
				o += sprintf(o, "%s%s", kept++ ? " " : "", w);
			}
			free(ln);
			if (kept)
				*o++ = '\n';
		}
		l += len + (e != NULL);
	}
	*o = '\0';
	return found;
}

/* path replaced by text, atomically; the old file kept as BACKUP first. */
static void
replace(const char *root, const char *text, int had)
{
	char path[PATH_MAX], tmp[PATH_MAX], bak[PATH_MAX], btmp[PATH_MAX];
	char dir[PATH_MAX], *old;
	size_t len = strlen(text), olen;
	int fd;

	snprintf(path, sizeof(path), "%s" PRELOAD, root);
	snprintf(bak, sizeof(bak), "%s" BACKUP, root);
	snprintf(tmp, sizeof(tmp), "%s/etc/.ld.so.preload.ioshim.%ld", root, (long)getpid());
	snprintf(btmp, sizeof(btmp), "%s/etc/.ld.so.preload.ioshim-old.%ld", root, (long)getpid());
	snprintf(dir, sizeof(dir), "%s/etc", root);
	if (had) {
		olen = slurp(path, &old);
		if (old != NULL) {
			if ((fd = open(btmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
				err(1, "%s", btmp);
			if (write(fd, old, olen) != (ssize_t)olen || fsync(fd) != 0 ||
			    close(fd) != 0 || rename(btmp, bak) != 0) {
				unlink(btmp);
				err(1, "%s", bak);
			}
			free(old);
		}
	}
	if (len == 0) {		/* nothing left: no file, as before ioshim */
		if (unlink(path) != 0 && errno != ENOENT)
			err(1, "%s", path);
	} else {
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
			err(1, "%s", tmp);
		if (fchmod(fd, 0644) != 0 || write(fd, text, len) != (ssize_t)len ||
		    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
			unlink(tmp);
			err(1, "%s", path);
		}
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Does the loader load the library named so (in LD_PRELOAD's syntax,
 * $LIB allowed) and is it the file real?  /bin/cat /proc/self/maps with
 * it preloaded: exit 0, nothing on stderr, real mapped.  The shim runs
 * fully in cat (its socket a path that cannot exist); why not in *why.
 */
static int
loads(const char *so, const char *real, char *why, size_t wsize)
{
	char pre[PATH_MAX + 16], buf[65536], ebuf[512];
	char *argv[] = { "/bin/cat", "/proc/self/maps", NULL };
	char *envp[] = { pre, "PATH=/usr/bin:/bin", "IOSHIM_SOCKET=/dev/null/none", NULL };
	posix_spawn_file_actions_t fa;
	int out[2], errp[2], st, found;
	size_t n = 0, en = 0;
	ssize_t r;
	pid_t pid;

	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", so);
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
		err(1, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, envp) != 0)
		err(1, "cannot run /bin/cat to try the library");
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errp[1]);
	while ((r = read(out[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	while ((r = read(errp[0], ebuf + en, sizeof(ebuf) - 1 - en)) > 0)
		en += (size_t)r;
	ebuf[en] = '\0';
	close(out[0]);
	close(errp[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	found = strstr(buf, real) != NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && en == 0 && found)
		return 1;
	ebuf[strcspn(ebuf, "\n")] = '\0';
	if (en > 0)
		snprintf(why, wsize, "%s", ebuf);
	else if (WIFSIGNALED(st))
		snprintf(why, wsize, "a program with it preloaded was killed by %s",
		    strsignal(WTERMSIG(st)));
	else if (WEXITSTATUS(st) != 0)
		snprintf(why, wsize, "a program with it preloaded exited %d", WEXITSTATUS(st));
	else
		snprintf(why, wsize, "the loader did not map it");
	return 0;
}

/*
 * The line for lib (a path under root), tried: the $LIB form when the
 * loader maps the same file through it, else the absolute path.
 */
static void
choose_line(const char *root, const char *lib, char *line, size_t size)
{
	char real[PATH_MAX], full[PATH_MAX * 2], try[PATH_MAX], why[600];
	const char *p, *q;
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, lib);
	if (stat(full, &st) != 0)
		err(1, "%s", full);
	if (!S_ISREG(st.st_mode))
		errx(1, "%s: not a regular file", full);
	if (realpath(full, real) == NULL)
		err(1, "%s", full);
	/* .../lib/X/.../libioshim.so: try .../$LIB/... */
	for (p = lib; (p = strstr(p, "/lib/")) != NULL; p++) {
		if ((q = strchr(p + 5, '/')) == NULL)
			break;
		snprintf(try, sizeof(try), "%.*s/$LIB%s", (int)(p - lib), lib, q);
		snprintf(full, sizeof(full), "%s%s", root, try);
		if (loads(full, real, why, sizeof(why))) {
			snprintf(line, size, "%s", try);
			return;
		}
	}
	snprintf(full, sizeof(full), "%s%s", root, lib);
	if (!loads(full, real, why, sizeof(why)))
		errx(1, "%s does not load: %s; %s left as it was", full, why,
		    *root ? "the root's " PRELOAD : PRELOAD);
	snprintf(line, size, "%s", lib);
}

int
machine_enable(const char *root, const char *lib)
{
	char path[PATH_MAX], line[PATH_MAX], first[PATH_MAX] = "", *old, *text;
	size_t len;
	int n;

	choose_line(root, lib, line, sizeof(line));
	snprintf(path, sizeof(path), "%s" PRELOAD, root);
	len = slurp(path, &old);
	if ((text = malloc(len + strlen(line) + 3)) == NULL)
		err(1, "malloc");
	n = strip(old ? old : "", text, first, sizeof(first));
	if (n == 1 && strcmp(first, line) == 0) {
		printf("whole machine: already on (%s: %s)\n", path, line);
		free(old);
		free(text);
		return 0;
	}
	len = strlen(text);
	if (len > 0 && text[len - 1] != '\n')
		text[len++] = '\n';
	snprintf(text + len, strlen(line) + 2, "%s\n", line);
	replace(root, text, old != NULL);
	printf("whole machine: on (%s: %s)", path, line);
	if (old != NULL)
		printf("; the old file is %s" BACKUP, root);
	printf("\n");
	printf("every dynamically linked program started from now on loads the shim;\n"
	    "IOSHIM_DISABLE=1 keeps it out of one; 'ioshim disable --machine' undoes it\n");
	free(old);
	free(text);
	return 0;
}

int
machine_disable(const char *root)
{
	char path[PATH_MAX], *old, *text;
	size_t len;

	snprintf(path, sizeof(path), "%s" PRELOAD, root);
	len = slurp(path, &old);
	if ((text = malloc(len + 2)) == NULL)
		err(1, "malloc");
	if (old == NULL || strip(old, text, NULL, 0) == 0) {
		printf("whole machine: not on (%s has no %s)\n", path, LIBNAME);
		free(old);
		free(text);
		return 0;
	}
	replace(root, text, 1);
	printf("whole machine: off (%s%s)\n", path,
	    *text ? " keeps its other entries" : " removed: nothing else was in it");
	free(old);
	free(text);
	return 0;
}

/* For "ioshim status": is the library in ld.so.preload? */
void
machine_status(const char *root)
{
	char path[PATH_MAX], first[PATH_MAX] = "", *old, *text;
	size_t len;
	int n;

	snprintf(path, sizeof(path), "%s" PRELOAD, root);
	len = slurp(path, &old);
	if ((text = malloc(len + 2)) == NULL)
		err(1, "malloc");
	n = old ? strip(old, text, first, sizeof(first)) : 0;
	if (n > 0)
		printf("whole machine: on (%s: %s)\n", path, first);
	else
		printf("whole machine: off (%s %s)\n", path,
		    old ? "does not name " LIBNAME : "does not exist");
	free(old);
	free(text);
}
