/*
 * count_fds.c - which fds a program can see, for t-count-fds.sh, which
 * runs it with and without the shim and wants the same output.
 *
 * usage: count_fds DIR [list]
 * Lists /proc/self/fd (fd, what it is with pipe/socket numbers taken out,
 * FD_CLOEXEC) at the start of main, after file, pipe, socket and stdio
 * I/O with fork, and in a child that exec'd this program with "list";
 * prints the fd numbers open() returns on the way.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void
list(const char *when)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64], target[4096], *b;
	ssize_t n;
	int fd, self = dirfd(d);

	printf("== %s\n", when);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == self)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if ((b = strchr(target, '[')) != NULL)
			*b = '\0';	/* pipe:[123] -> pipe: */
		printf("fd %d -> %s cloexec=%d\n", fd, target,
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	}
	closedir(d);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char path[4096], buf[100];
	int fd, p[2], s[2], st, i;
	FILE *f;
	pid_t pid;

	if (argc == 3) {
		list("after exec");
		return 0;
	}
	if (argc != 2)
		return 2;
	list("start of main");
	snprintf(path, sizeof(path), "%s/fds.log", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	printf("open -> %d\n", fd);
	for (i = 0; i < 100; i++)
		if (write(fd, "log line\n", 9) != 9)
			return 3;
	if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
		return 4;
	printf("pipe -> %d %d, socketpair -> %d %d\n", p[0], p[1], s[0], s[1]);
	if (write(p[1], "x", 1) != 1 || read(p[0], buf, 1) != 1 ||
	    send(s[0], "y", 1, 0) != 1 || recv(s[1], buf, 1, 0) != 1)
		return 5;
	f = fopen(path, "r");
	printf("fopen -> %d\n", fileno(f));
	while (fgets(buf, sizeof(buf), f) != NULL)
		;
	list("after I/O");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		list("forked child");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	fclose(f);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	printf("open O_CLOEXEC -> %d\n", fd);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execl("/proc/self/exe", argv[0], argv[1], "list", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	close(fd);
	close(p[0]);
	close(p[1]);
	list("after closing");
	return 0;
}
