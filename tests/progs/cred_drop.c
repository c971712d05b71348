/*
 * cred_drop.c - a program started as root that gives up privilege the
 * way daemons do, then ends, for t-report-cred.sh:
 *   cred_drop MODE OUT
 * writes 100 bytes to OUT, then by MODE: setuid (setuid(65534)),
 * seteuid, setresuid, groups (setgroups + setgid + setuid, as nginx's
 * workers), capset (drops every capability, stays uid 0), forked (setuid,
 * then forks a child that writes 50 more bytes and exits; the parent
 * waits for it), nodrop (setuid(0): no change), hostile (setuid, then
 * close, fcntl and read every fd that came since main started: each must fail with
 * EBADF; prints how many did), taken (setuid, then dup2 OUT's fd onto
 * every such fd and writes 4 bytes through it: the shim must
 * not write its record there).  Exits 0 when the calls worked.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int capset(cap_user_header_t, const cap_user_data_t);

static int
drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	return capset(&h, d);
}

static char had[65536];		/* fds open when main started */

/*
 * Every fd open now that was not when main started, but fd and the
 * listing's own, to f (all of them to mark when f is NULL).
 */
static int
others(int fd, void (*f)(int, int), int arg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, x;

	if (d == NULL)
		exit(7);
	while ((e = readdir(d)) != NULL) {
		x = atoi(e->d_name);
		if (e->d_name[0] == '.' || x == fd || x == dirfd(d) ||
		    x >= (int)sizeof(had))
			continue;
		if (f == NULL)
			had[x] = 1;
		else if (!had[x]) {
			f(x, arg);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void
refused(int x, int arg)
{
	char c;

	(void)arg;
	if (fcntl(x, F_GETFD) != -1 || errno != EBADF ||
	    read(x, &c, 1) != -1 || errno != EBADF ||
	    close(x) != -1 || errno != EBADF) {
		fprintf(stderr, "fd %d: the program could use it\n", x);
		exit(8);
	}
}

static void
take(int x, int fd)
{
	if (dup2(fd, x) != x || write(x, "mine", 4) != 4)
		exit(9);
}

int
main(int argc, char **argv)
{
	char buf[100];
	gid_t g = 65534;
	int fd, r = -1, st;
	pid_t pid;

	if (argc != 3)
		return 2;
	others(-1, NULL, 0);
	memset(buf, 'x', sizeof(buf));
	if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return 3;
	if (strcmp(argv[1], "setuid") == 0 || strcmp(argv[1], "forked") == 0 ||
	    strcmp(argv[1], "hostile") == 0 || strcmp(argv[1], "taken") == 0)
		r = setuid(65534);
	else if (strcmp(argv[1], "seteuid") == 0)
		r = seteuid(65534);
	else if (strcmp(argv[1], "setresuid") == 0)
		r = setresuid(65534, 65534, 65534);
	else if (strcmp(argv[1], "groups") == 0)
		r = setgroups(1, &g) || setgid(g) || setuid(65534);
	else if (strcmp(argv[1], "capset") == 0)
		r = drop_caps();
	else if (strcmp(argv[1], "nodrop") == 0)
		r = setuid(0);
	if (r != 0) {
		perror(argv[1]);
		return 1;
	}
	if (strcmp(argv[1], "hostile") == 0)
		printf("refused %d\n", others(fd, refused, 0));
	if (strcmp(argv[1], "taken") == 0)
		printf("taken %d\n", others(fd, take, fd));
	if (strcmp(argv[1], "forked") == 0) {
		if ((pid = fork()) < 0)
			return 4;
		if (pid == 0) {
			if (write(fd, buf, 50) != 50)
				_exit(5);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			return 6;
	}
	close(fd);
	return 0;
}
