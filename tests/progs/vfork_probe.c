/*
 * vfork_probe.c - vfork is vfork under the shim: the child's stores are
 * seen by the parent (they share memory), what the child does with its
 * fds and signal dispositions before exec leaves the parent's alone, and
 * a log line held before the vfork reaches the file before the exec'd
 * child's own line.
 *
 *	vfork_probe LOG		prints what it saw; exit 0 when all held
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static volatile int shared;

int
main(int argc, char **argv)
{
	char cmd[4200];
	int fd, st;
	static int bad;		/* kept in memory across vfork */
	pid_t pid;
	struct sigaction sa;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0 || write(fd, "parent 1\n", 9) != 9)
		return 2;
	/* 1: the child's store is the parent's */
	pid = vfork();
	if (pid == 0) {
		shared = 42;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("store seen by the parent: %d\n", shared);
	bad |= shared != 42;

	/* 2: the child closes the log fd, moves fds, resets a signal, execs */
	snprintf(cmd, sizeof(cmd), "echo child >> '%s'", argv[1]);
	pid = vfork();
	if (pid == 0) {
		close(fd);
		dup2(2, 9);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGTERM, &sa, NULL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* the parent's fd is still its log, its SIGTERM still the default */
	if (write(fd, "parent 2\n", 9) != 9) {
		printf("write after the child: %s\n", strerror(errno));
		bad = 1;
	}
	sigaction(SIGTERM, NULL, &sa);
	printf("SIGTERM default in the parent: %d\n", sa.sa_handler == SIG_DFL);
	bad |= sa.sa_handler != SIG_DFL;
	printf("close: %d\n", close(fd));

	/* 3: a child whose exec fails ends with _exit */
	pid = vfork();
	if (pid == 0) {
		execl("/nonexistent/prog", "prog", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("failed exec's exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return bad;
}
