/*
 * collbench.c - load for the collector (ioshimd), built from common/wire.h.
 *
 *   collbench ingest SOCK SENDERS SECONDS
 *	SENDERS processes, each one image, send IW_PROC reports (cumulative,
 *	seq rising) back to back for SECONDS, then an IW_END.  Sends are
 *	non-blocking, as the shim's are: a full socket queue is a drop at the
 *	sender.  Prints sent= send_drops= secs=.
 *   collbench rate SOCK SENDERS SECONDS RATE
 *	as ingest, but paced: together the SENDERS send RATE messages/s
 *	(each wakes every millisecond, phases staggered, and sends what is
 *	due), alternating IW_PROC and IW_FILES2 (two file rows) reports as a
 *	shim that writes to files does.  Prints sent= send_drops= secs=.
 *   collbench hold SOCK PROCS SECONDS COLLECTOR_PID
 *	PROCS processes report once a second (as a shim does) for SECONDS;
 *	just before they end, prints the collector's rss_kb= (VmRSS), then
 *	each sends its IW_END.  Prints sent= send_drops= too.
 *   collbench query CTLSOCK N REQUEST
 *	sends the one-line REQUEST N times on one connection and prints the
 *	reply latency p50_us= p95_us= max_us= (and reply_bytes= of the last).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../common/wire.h"

struct shared {			/* counters the children add to */
	uint64_t sent, drops;
};

static uint64_t
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
start_ticks(void)
{
	char buf[2048], *p;
	int fd = open("/proc/self/stat", O_RDONLY), field;
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		exit(3);
	close(fd);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		exit(3);
	for (field = 2; field < 22 && *p; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

static int
dgram(const char *path, struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	return fd;
}

/* A sender's last report (IW_END), its tallies added up, and its exit. */
static void
finish(int fd, const struct sockaddr_un *sa, struct iw_proc *m, uint64_t sent,
    uint64_t drops, struct shared *sh)
{
	m->state = IW_END;
	m->end_reason = IW_END_EXIT;
	m->h.sent_ns = now_ns(CLOCK_REALTIME);
	if (sendto(fd, m, sizeof(*m), MSG_NOSIGNAL, (const struct sockaddr *)sa,
	    sizeof(*sa)) == (ssize_t)sizeof(*m))
		sent++;
	else
		drops++;
	__atomic_fetch_add(&sh->sent, sent, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sh->drops, drops, __ATOMIC_RELAXED);
	_exit(0);
}

/* A sender's process message, as a shim of this process would fill it. */
static void
proc_init(struct iw_proc *m)
{
	memset(m, 0, sizeof(*m));
	m->h.magic = IW_MAGIC;
	m->h.version = IW_VERSION;
	m->h.type = IW_PROC;
	m->h.length = sizeof(*m);
	m->h.start_ticks = start_ticks();
	m->h.image_ns = now_ns(CLOCK_REALTIME);
	m->ppid = (uint32_t)getppid();
	snprintf(m->comm, sizeof(m->comm), "collbench");
	snprintf(m->exe, sizeof(m->exe), "/usr/bin/collbench-%d", (int)(getpid() % 50));
}

/* One child: report as one image until deadline (CLOCK_MONOTONIC ns). */
static void
child(const char *path, uint64_t deadline, uint64_t period_ns, struct shared *sh)
{
	struct sockaddr_un sa;
	struct iw_proc m;
	uint64_t sent = 0, drops = 0, next = 0, t;
	int fd = dgram(path, &sa);

	proc_init(&m);
	for (;;) {
		t = now_ns(CLOCK_MONOTONIC);
		if (t >= deadline)
			break;
		if (period_ns) {
			if (t < next) {
				usleep((useconds_t)((next - t) / 1000 < 100000 ?
				    (next - t) / 1000 : 100000));
				continue;
			}
			next = t + period_ns;
		}
		m.h.seq++;
		m.h.sent_ns = now_ns(CLOCK_REALTIME);
		m.cls[IW_DISK].writes += 100;
		m.cls[IW_DISK].write_bytes += 10000;
		m.co.writes_absorbed += 99;
		m.co.syscalls += 1;
		m.opens++;
		if (sendto(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL,
		    (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)sizeof(m))
			sent++;
		else
			drops++;
	}
	m.h.seq++;
	finish(fd, &sa, &m, sent, drops, sh);
}

/* One paced child: rate_each messages/s until deadline, ticks of 1 ms. */
static void
child_rate(const char *path, uint64_t t0, uint64_t deadline, double rate_each,
    uint64_t phase_ns, struct shared *sh)
{
	static const char *fpath[2] = { "/var/log/collbench/app.log",
	    "/var/lib/collbench/state.db" };
	struct sockaddr_un sa;
	struct iw_proc m;
	union { struct iw_files f; unsigned char b[1024]; } fm;
	struct iw_file *row[2];
	uint64_t sent = 0, drops = 0, due, t, next = t0 + phase_ns;
	size_t off, len[2];
	struct timespec ts;
	int fd = dgram(path, &sa), i, end = 0;
	uint32_t seq = 0;

	proc_init(&m);
	memset(&fm, 0, sizeof(fm));
	fm.f.h = m.h;
	fm.f.h.type = IW_FILES2;
	fm.f.count = 2;
	off = sizeof(fm.f);
	for (i = 0; i < 2; i++) {
		row[i] = (struct iw_file *)(fm.b + off);
		len[i] = strlen(fpath[i]);
		row[i]->path_len = (uint16_t)len[i];
		row[i]->cls = IW_DISK;
		memcpy((char *)(row[i] + 1), fpath[i], len[i]);
		off += IW_ROW_SIZE(len[i]);
	}
	fm.f.h.length = (uint32_t)off;
	for (;;) {
		ts.tv_sec = (time_t)(next / 1000000000u);
		ts.tv_nsec = (long)(next % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		next += 1000000u;
		t = now_ns(CLOCK_MONOTONIC);
		if (t >= deadline) {
			t = deadline;
			end = 1;
		}
		due = (uint64_t)((double)(t - t0) / 1e9 * rate_each);
		while (sent + drops < due) {
			ssize_t r;

			seq++;
			if (seq & 1) {
				m.h.seq = seq;
				m.h.sent_ns = now_ns(CLOCK_REALTIME);
				m.cls[IW_DISK].writes += 100;
				m.cls[IW_DISK].write_bytes += 10000;
				m.co.writes_absorbed += 99;
				m.co.syscalls += 1;
				r = sendto(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL,
				    (struct sockaddr *)&sa, sizeof(sa));
				r = r == (ssize_t)sizeof(m);
			} else {
				fm.f.h.seq = seq;
				fm.f.h.sent_ns = now_ns(CLOCK_REALTIME);
				for (i = 0; i < 2; i++) {
					row[i]->writes += 50;
					row[i]->write_bytes += 5000;
					row[i]->absorbed += 49;
					row[i]->flushes += 1;
				}
				r = sendto(fd, &fm, fm.f.h.length, MSG_DONTWAIT |
				    MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
				r = r == (ssize_t)fm.f.h.length;
			}
			if (r)
				sent++;
			else
				drops++;
		}
		if (end)
			break;
	}
	m.h.seq = ++seq;
	finish(fd, &sa, &m, sent, drops, sh);
}

static long
rss_kb(const char *pid)
{
	char path[64], buf[4096], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, "VmRSS:");
	return p ? atol(p + 6) : -1;
}

static int
load(int argc, char **argv, int hold, double rate)
{
	long procs = atol(argv[3]), i;
	double secs = atof(argv[4]);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), deadline;
	struct shared *sh;
	pid_t pid;
	long rss = -1;

	if (hold && argc < 6)
		return 2;
	deadline = t0 + (uint64_t)(secs * 1e9);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return perror("mmap"), 1;
	for (i = 0; i < procs; i++) {
		if ((pid = fork()) < 0)
			return perror("fork"), 1;
		if (pid == 0 && rate > 0)
			child_rate(argv[2], t0 + 50000000u, deadline + 50000000u,
			    rate / (double)procs, (uint64_t)i * 1000000u /
			    (uint64_t)procs, sh);
		if (pid == 0)
			child(argv[2], deadline, hold ? 1000000000u : 0, sh);
	}
	if (hold) {
		/* sample the collector shortly before the children end */
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (deadline > t + 500000000u)
			usleep((useconds_t)((deadline - t - 500000000u) / 1000));
		rss = rss_kb(argv[5]);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	printf("sent=%llu send_drops=%llu secs=%.3f",
	    (unsigned long long)sh->sent, (unsigned long long)sh->drops,
	    (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	if (hold)
		printf(" rss_kb=%ld", rss);
	printf("\n");
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
query(const char *path, long n, const char *req)
{
	struct sockaddr_un sa;
	char line[4200], buf[65536];
	uint64_t *lat, t0;
	size_t len, got = 0;
	ssize_t r;
	long i;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return perror(path), 1;
	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		return 1;
	len = (size_t)snprintf(line, sizeof(line), "%s\n", req);
	for (i = 0; i < n; i++) {
		t0 = now_ns(CLOCK_MONOTONIC);
		if (write(fd, line, len) != (ssize_t)len)
			return perror("write"), 1;
		got = 0;
		for (;;) {	/* one reply: up to its newline */
			r = read(fd, buf, sizeof(buf));
			if (r <= 0)
				return fprintf(stderr, "query: connection closed\n"), 1;
			got += (size_t)r;
			if (buf[r - 1] == '\n')
				break;
		}
		lat[i] = now_ns(CLOCK_MONOTONIC) - t0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("p50_us=%.1f p95_us=%.1f max_us=%.1f reply_bytes=%zu\n",
	    (double)lat[n / 2] / 1e3, (double)lat[(n * 95) / 100] / 1e3,
	    (double)lat[n - 1] / 1e3, got);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "ingest") == 0)
		return load(argc, argv, 0, 0);
	if (argc >= 6 && strcmp(argv[1], "rate") == 0)
		return load(argc, argv, 0, atof(argv[5]));
	if (argc >= 6 && strcmp(argv[1], "hold") == 0)
		return load(argc, argv, 1, 0);
	if (argc == 5 && strcmp(argv[1], "query") == 0)
		return query(argv[2], atol(argv[3]), argv[4]);
	fprintf(stderr, "usage: collbench ingest SOCK SENDERS SECONDS\n"
	    "       collbench rate SOCK SENDERS SECONDS RATE\n"
	    "       collbench hold SOCK PROCS SECONDS COLLECTOR_PID\n"
	    "       collbench query CTLSOCK N REQUEST\n");
	return 2;
}
