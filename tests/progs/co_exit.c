/*
 * co_exit.c - append lines to a log (alternately with write() and with
 * fprintf+fflush on a FILE opened "a"), then end in the way MODE says.
 * usage: co_exit PATH MODE [READYFILE]
 * Every line is written and flushed before the end, so an unshimmed run
 * has all of them in the file; the process ends with a distinct status
 * or signal per mode.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int fd;
static FILE *f;

static void
lines(const char *who, int n)
{
	char b[128];
	int i, len;

	for (i = 0; i < n; i++) {
		len = snprintf(b, sizeof(b), "%s line %d of %d\n", who, i, n);
		if (i % 2 == 0) {
			if (write(fd, b, (size_t)len) != len)
				_exit(100);
		} else if (fprintf(f, "%s", b) != len || fflush(f) != 0)
			_exit(101);
	}
}

static void *
thread_exit(void *arg)
{
	lines("thread", 20);
	exit(*(int *)arg);
}

static void *
thread_return(void *arg)
{
	usleep(50000);
	lines("thread", 20);
	return arg;
}

static void
ready(const char *path)
{
	int r = open(path, O_WRONLY | O_CREAT, 0644);

	if (r >= 0)
		close(r);
}

int
main(int argc, char **argv)
{
	const char *m;
	pthread_t t;
	static int code = 7;
	pid_t pid;
	int st;

	if (argc < 3)
		return 2;
	m = argv[2];
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	f = fopen(argv[1], "a");
	if (fd < 0 || f == NULL)
		return 1;
	lines("main", 40);
	if (!strcmp(m, "return"))
		return 3;
	if (!strcmp(m, "exit"))
		exit(5);
	if (!strcmp(m, "_exit"))
		_exit(9);
	if (!strcmp(m, "_Exit"))
		_Exit(10);
	if (!strcmp(m, "quick_exit"))
		quick_exit(11);
	if (!strcmp(m, "thread-exit")) {
		pthread_create(&t, NULL, thread_exit, &code);
		pthread_join(t, NULL);	/* never returns: the thread exits */
		return 99;
	}
	if (!strcmp(m, "pthread_exit")) {
		pthread_create(&t, NULL, thread_return, NULL);
		pthread_exit(NULL);	/* the process ends, status 0, after the thread */
	}
	if (!strcmp(m, "exec")) {
		execl("/bin/sh", "sh", "-c", "echo after exec >>\"$0\"; exit 12", argv[1], (char *)NULL);
		return 98;
	}
	if (!strcmp(m, "exec-fail")) {
		execl("/nonexistent/x", "x", (char *)NULL);
		lines("after failed exec", 6);
		return 13;
	}
	if (!strcmp(m, "fork") || !strcmp(m, "fork-_exit")) {
		pid = fork();
		if (pid == 0) {
			lines("child", 30);
			if (m[4] == '-')
				_exit(0);
			exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || st != 0)
			return 1;
		lines("parent", 10);
		return 14;
	}
	if (!strcmp(m, "fork-signal")) {
		pid = fork();
		if (pid == 0) {
			lines("child", 30);
			raise(SIGTERM);
			_exit(1);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
			return 1;
		lines("parent", 10);
		return 15;
	}
	if (!strcmp(m, "system")) {
		if (system("echo from system >>\"$LOGF\"") != 0)
			return 1;
		lines("parent", 10);
		return 16;
	}
	if (!strcmp(m, "SIGTERM"))
		raise(SIGTERM);
	if (!strcmp(m, "SIGINT"))
		kill(getpid(), SIGINT);
	if (!strcmp(m, "SIGHUP"))
		raise(SIGHUP);
	if (!strcmp(m, "SIGQUIT"))
		raise(SIGQUIT);
	if (!strcmp(m, "SIGUSR1"))
		raise(SIGUSR1);
	if (!strcmp(m, "SIGPIPE")) {
		int p[2];

		if (pipe(p) != 0)
			return 1;
		close(p[0]);
		if (write(p[1], "x", 1) < 0)
			return 1;
	}
	if (!strcmp(m, "thread-SIGTERM")) {
		/* a signal sent to the process while another thread runs */
		pthread_create(&t, NULL, thread_return, NULL);
		pthread_join(t, NULL);
		kill(getpid(), SIGTERM);
		pause();
	}
	if (!strcmp(m, "abort"))
		abort();
	if (!strcmp(m, "segv"))
		*(volatile int *)(long)argc = 1;
	if (!strcmp(m, "fpe")) {
		volatile int z = 0, one = 1, q;

		q = one / z;
		return q;
	}
	if (!strcmp(m, "wait")) {	/* killed by another process */
		/* a background job of a script starts with SIGINT ignored */
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		ready(argc > 3 ? argv[3] : "/dev/null");
		for (;;)
			pause();
	}
	if (!strcmp(m, "efbig")) {	/* run under ulimit -f: dies of SIGXFSZ */
		char big[1000];

		memset(big, 'z', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\n';
		for (;;)
			if (write(fd, big, sizeof(big)) < 0)
				return 17;
	}
	return 97;
}
