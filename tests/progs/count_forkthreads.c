/*
 * count_forkthreads.c - threads and forked children doing I/O at once,
 * for t-count-forkthreads.sh.
 *
 * usage: count_forkthreads DIR NTHREADS NCHILD
 * The parent's threads each write their own file (write, pwrite, writev)
 * and lines to a shared O_APPEND log, and read /dev/zero.  Then NCHILD
 * children are forked while a parent thread keeps appending to the log;
 * each child runs two threads (one writes a pipe to the parent, one a
 * file of its own, both the log) and exits with status 10 + its index.
 * The parent reads the pipes, checks every child's status, prints what it
 * read and exits 0 when all is as expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>

static const char *dir;
static int logfd;
static volatile int stop_bg;

static void
die(const char *what)
{
	perror(what);
	exit(99);
}

static void
xwrite(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		die("write");
}

static int
open_file(const char *name, long id)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%ld", dir, name, id);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		die(path);
	return fd;
}

static void *
parent_thread(void *arg)
{
	long id = (long)arg;
	char buf[600], line[100];
	struct iovec iov[3];
	int fd = open_file("t", id), z, j, n;
	off_t end = 0;

	memset(buf, 'a' + (int)id, sizeof(buf));
	for (j = 0; j < 300; j++) {
		xwrite(fd, buf, (size_t)(j * 13) % 500 + 1);
		end += (j * 13) % 500 + 1;
	}
	iov[0].iov_base = buf;
	iov[0].iov_len = 10;
	iov[1].iov_base = buf;
	iov[1].iov_len = 200;
	iov[2].iov_base = buf;
	iov[2].iov_len = 3;
	if (writev(fd, iov, 3) != 213)
		die("writev");
	end += 213;
	if (pwrite(fd, buf, 100, end) != 100)	/* at the end: the size grows */
		die("pwrite");
	close(fd);
	for (j = 0; j < 50; j++) {
		n = snprintf(line, sizeof(line), "parent thread %ld line %d\n", id, j);
		xwrite(logfd, line, (size_t)n);
	}
	if ((z = open("/dev/zero", O_RDONLY)) < 0)
		die("/dev/zero");
	for (j = 0; j < 10; j++)
		if (read(z, buf, 500) != 500)
			die("read /dev/zero");
	close(z);
	return NULL;
}

static void *
bg_thread(void *arg)
{
	char line[64];
	int n, i = 0;

	(void)arg;
	while (!stop_bg) {
		n = snprintf(line, sizeof(line), "background line %d\n", i++);
		xwrite(logfd, line, (size_t)n);
		usleep(200);
	}
	return NULL;
}

static int pipe_w;

static void *
child_pipe_thread(void *arg)
{
	char buf[1000];
	int j;

	(void)arg;
	memset(buf, 'p', sizeof(buf));
	for (j = 0; j < 50; j++)
		xwrite(pipe_w, buf, sizeof(buf));
	xwrite(logfd, "child pipe thread done\n", 23);
	return NULL;
}

static void *
child_file_thread(void *arg)
{
	char buf[333];
	int fd = open_file("c", (long)getpid()), j;

	(void)arg;
	memset(buf, 'c', sizeof(buf));
	for (j = 0; j < 100; j++)
		xwrite(fd, buf, sizeof(buf));
	close(fd);
	xwrite(logfd, "child file thread done\n", 23);
	return NULL;
}

int
main(int argc, char **argv)
{
	int nt, nc, i, st, bad = 0, p[2], fds[64];
	pthread_t th[64], bg, a, b;
	pid_t kids[64];
	char path[4096], buf[4096];
	long total = 0;
	ssize_t r;

	if (argc != 4)
		return 2;
	dir = argv[1];
	nt = atoi(argv[2]);
	nc = atoi(argv[3]);
	if (nt < 1 || nt > 64 || nc < 1 || nc > 64)
		return 2;
	snprintf(path, sizeof(path), "%s/log", dir);
	if ((logfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		die(path);
	for (i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, parent_thread, (void *)(long)i);
	for (i = 0; i < nt; i++)
		pthread_join(th[i], NULL);

	pthread_create(&bg, NULL, bg_thread, NULL);
	for (i = 0; i < nc; i++) {
		if (pipe(p) != 0)
			die("pipe");
		if ((kids[i] = fork()) < 0)
			die("fork");
		if (kids[i] == 0) {
			close(p[0]);
			pipe_w = p[1];
			pthread_create(&a, NULL, child_pipe_thread, NULL);
			pthread_create(&b, NULL, child_file_thread, NULL);
			pthread_join(a, NULL);
			pthread_join(b, NULL);
			exit(10 + i);
		}
		close(p[1]);
		fds[i] = p[0];
	}
	stop_bg = 1;
	pthread_join(bg, NULL);
	for (i = 0; i < nc; i++) {
		while ((r = read(fds[i], buf, sizeof(buf))) > 0)
			total += r;
		close(fds[i]);
		if (waitpid(kids[i], &st, 0) != kids[i])
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 10 + i) {
			fprintf(stderr, "child %d: status %#x\n", i, st);
			bad = 1;
		}
	}
	close(logfd);
	printf("pipe_read=%ld\n", total);
	if (total != 50000L * nc)
		bad = 1;
	return bad;
}
