/*
 * count_procio.c - a forked child does known I/O with plain system-call
 * wrappers, says its pid, and waits to be killed, for t-count-procio.sh
 * (which reads its /proc/PID/io meanwhile).
 *
 * usage: count_procio FILE
 * The parent waits for the child and prints "child_signal=N" (0 when it
 * exited), then exits 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
	char buf[5000], line[32];
	struct iovec iov[2];
	int fd, nul, p[2], i, st, n;
	pid_t pid;

	if (argc != 2)
		return 2;
	if ((pid = fork()) < 0)
		return 3;
	if (pid > 0) {
		if (waitpid(pid, &st, 0) != pid)
			return 4;
		printf("child_signal=%d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return 0;
	}
	memset(buf, 'x', sizeof(buf));
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
		_exit(5);
	for (i = 0; i < 100; i++)
		if (write(fd, buf, (size_t)i * 10 + 1) < 0)
			_exit(6);
	iov[0].iov_base = buf;
	iov[0].iov_len = 100;
	iov[1].iov_base = buf;
	iov[1].iov_len = 23;
	if (writev(fd, iov, 2) != 123 || pwrite(fd, buf, 77, 5) != 77)
		_exit(7);
	if ((nul = open("/dev/null", O_WRONLY)) < 0)
		_exit(8);
	for (i = 0; i < 5; i++)
		if (write(nul, buf, 1000) != 1000)
			_exit(9);
	if (pipe(p) != 0 || write(p[1], buf, 3000) != 3000 ||
	    read(p[0], buf, sizeof(buf)) != 3000)
		_exit(10);
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, 4096) > 0)
		;
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (write(1, line, (size_t)n) != n)
		_exit(11);
	for (;;)
		pause();
}
