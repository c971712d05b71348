/*
 * sig_fork.c - processes made where the shim must not trip over itself
 * (tests/t-shim-forks.sh):
 *	handler LOG	a timer's signal handler forks (and reaps) 100 times
 *			while main appends to LOG without pause: the handler
 *			often runs inside the shim's own coalescer
 *	vforknest LOG	a vfork child vforks again; both _exit
 *	vforkfork LOG	after a vfork child's _exit, the parent forks a child
 *			that exits 3 (it must be an image of its own)
 * Prints what it did; exit 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile long forks;

static void
on_alarm(int sig)
{
	pid_t p = fork();

	(void)sig;
	if (p == 0)
		_exit(0);
	if (p > 0 && waitpid(p, NULL, 0) == p)
		forks++;
}

int
main(int argc, char **argv)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct sigaction sa;
	pid_t p, q;
	int fd, st;

	if (argc != 3 || (fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return 2;
	if (strcmp(argv[1], "handler") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		while (forks < 100)
			if (write(fd, "a line of the log\n", 18) != 18)
				return 3;
		it.it_value.tv_usec = it.it_interval.tv_usec = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		printf("%ld forks from the handler\n", forks);
	} else if (strcmp(argv[1], "vforknest") == 0) {
		if ((p = vfork()) == 0) {
			if ((q = vfork()) == 0)
				_exit(0);
			waitpid(q, NULL, 0);
			_exit(0);
		}
		waitpid(p, &st, 0);
		printf("nested vfork done\n");
	} else {
		if ((p = vfork()) == 0)
			_exit(0);
		waitpid(p, NULL, 0);
		if ((p = fork()) == 0)
			exit(3);
		waitpid(p, &st, 0);
		printf("forked child exit %d\n", WEXITSTATUS(st));
	}
	return close(fd) == 0 ? 0 : 4;
}
