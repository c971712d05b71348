/*
 * runner.c - run one command and measure it from outside.
 *
 *   runner -r RESULTS [-E NAME=VALUE]... [-i IN] [-o OUT] [-C DIR] -- CMD [ARG...]
 *
 * Forks, sets the -E variables in the child only (so the runner itself is
 * never under the shim), redirects stdin/stdout when asked, execs CMD and
 * waits for it with WNOWAIT: the child stays a zombie while its
 * /proc/PID/io is read, so the figures include everything the process did
 * up to its very end (the shim's exit-time flush too).  Then it reaps the
 * child and appends one line of key=value pairs to RESULTS:
 *
 *   wall_ns cpu_ns syscw syscr wchar write_bytes maxrss_kb status
 *
 * cpu_ns is the child's user + system time (its threads and waited-for
 * children included), from wait4.
 *
 * Exits 0 when CMD exited 0, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#define MAXENV 32

static unsigned long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	    (unsigned long long)ts.tv_nsec;
}

static unsigned long long
tv_ns(const struct timeval *tv)
{
	return (unsigned long long)tv->tv_sec * 1000000000ull +
	    (unsigned long long)tv->tv_usec * 1000ull;
}

static void
usage(void)
{
	fprintf(stderr, "usage: runner -r RESULTS [-E NAME=VALUE]... [-i IN] "
	    "[-o OUT] [-C DIR] -- CMD [ARG...]\n");
	exit(2);
}

/* One "name: value" line of /proc/PID/io, or 0. */
static unsigned long long
io_field(const char *io, const char *name)
{
	const char *p = io;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return strtoull(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *results = NULL, *in = NULL, *out = NULL, *dir = NULL;
	char *envs[MAXENV];
	int nenv = 0, c, i, fd, status;
	char path[64], io[4096];
	unsigned long long t0, t1;
	struct rusage ru;
	siginfo_t si;
	ssize_t n;
	pid_t pid;
	FILE *f;

	while ((c = getopt(argc, argv, "+r:E:i:o:C:")) != -1) {
		switch (c) {
		case 'r': results = optarg; break;
		case 'E':
			if (nenv == MAXENV || strchr(optarg, '=') == NULL)
				usage();
			envs[nenv++] = optarg;
			break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'C': dir = optarg; break;
		default: usage();
		}
	}
	if (results == NULL || optind >= argc)
		usage();
	argv += optind;

	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("runner: fork");
		return 1;
	}
	if (pid == 0) {
		for (i = 0; i < nenv; i++)
			if (putenv(envs[i]) != 0)
				_exit(126);
		if (dir && chdir(dir) != 0) {
			perror(dir);
			_exit(126);
		}
		if (in) {
			if ((fd = open(in, O_RDONLY)) < 0 || dup2(fd, 0) < 0) {
				perror(in);
				_exit(126);
			}
			close(fd);
		}
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0) {
				perror(out);
				_exit(126);
			}
			close(fd);
		}
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0) {
		if (errno != EINTR) {
			perror("runner: waitid");
			return 1;
		}
	}
	t1 = now_ns();
	io[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if ((fd = open(path, O_RDONLY)) >= 0) {
		n = read(fd, io, sizeof(io) - 1);
		io[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("runner: wait4");
			return 1;
		}
	}
	if ((f = fopen(results, "a")) == NULL) {
		perror(results);
		return 1;
	}
	fprintf(f, "wall_ns=%llu cpu_ns=%llu syscw=%llu syscr=%llu wchar=%llu "
	    "write_bytes=%llu maxrss_kb=%ld minflt=%ld status=%d\n", t1 - t0,
	    tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime),
	    io_field(io, "syscw"), io_field(io, "syscr"), io_field(io, "wchar"),
	    io_field(io, "write_bytes"), ru.ru_maxrss, ru.ru_minflt,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (fclose(f) != 0) {
		perror(results);
		return 1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
