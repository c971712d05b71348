/*
 * wire_send.c - a test sender for ioshimd: builds real datagrams from
 * common/wire.h (good ones with known totals, and bad ones on purpose).
 *
 *   wire_send SOCK stream IMAGES MSGS INTERVAL_MS FILES [noend] [seed=N]
 *	[exes=N]
 *	[stop=FILE] [v1rows]
 *	IMAGES images (this pid, distinct image_ns), each sending MSGS
 *	cumulative reports (IW_PROC + IW_FILES with FILES rows), then an
 *	IW_END report (unless "noend"), after the file rows once more when
 *	a send failed meanwhile (the shim's rule after a reconnect).  With
 *	stop=FILE, fewer once FILE exists (checked before each round, after
 *	the first).  Prints the totals it sent as "name=value" lines.
 *	With v1rows, the file rows go as an older shim sends them (type
 *	IW_FILES, rows without write_syscalls), else as IW_FILES2.
 *	Retries while the socket is missing, so the collector may be killed
 *	and restarted meanwhile.
 *   wire_send SOCK bad KIND|all	send malformed datagrams; prints count
 *   wire_send SOCK flood N		N new images, one report each
 *   wire_send SOCK files N [pad=L]	one image with N distinct files
 *	(with pad=L, each path L bytes longer)
 *   wire_send SOCK pathflood IMAGES FILES LEN
 *	IMAGES images, each reporting FILES files of distinct LEN-byte
 *	paths (a process report, the rows, then its END).  Prints
 *	"rows=N" (rows sent).
 *   wire_send SOCK forge		an image with a wrong start time
 *   wire_send SOCK hold SECS		one image, report, sleep, END
 *   wire_send SOCK huge N ROUNDS [go=FILE]
 *	N images of /huge, ROUNDS reports each; every report raises every
 *	process counter by 2^48 (the most one report may).  With go=FILE,
 *	after each round but the last: print "round K", wait for FILE, remove
 *	it.  Prints "sent=N".
 *   wire_send SOCK values EXE V|pause=MS ...
 *	one image of EXE whose reports say disk write_bytes = V (and
 *	writes = V / 10), in order, pausing where asked; the last one is its
 *	END.  Prints "pid=PID".  When EXE exists, the report claims its
 *	device and inode too (as a forger would: anyone may stat it).
 *   wire_send SOCK kernel EXE WB WS
 *	one image of EXE, one END report with disk write_bytes 1000 and the
 *	kernel's figures (struct iw_kernel): write_bytes WB, disk
 *	write_syscalls WS; with WB "v1", the report an older shim sends
 *	(IW_PROC_V1_SIZE bytes, no iw_kernel).  Prints "pid=PID".
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../common/wire.h"
#include "../../common/procstart.h"

static int fd;
static struct sockaddr_un sun;
static uint64_t my_start;
static uint64_t lcg = 12345;

static uint64_t
rnd(uint64_t mod)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (lcg >> 33) % mod;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#define ONCE	2	/* xsend: connected, a single try */
static int conn;	/* fd is connected to the collector */
static int gone;	/* a send failed: the collector may have restarted */

/*
 * Send; wait for the collector while it is being restarted.  Patient
 * sends go, as the shim's do, on a connected socket: a collector that
 * died makes the next send fail (an unconnected sender blocked on the
 * dead one's full queue may instead go on to the restarted one unaware,
 * the datagrams queued in between lost).
 */
static int
xsend(const void *buf, size_t len, int patient)
{
	int tries;
	ssize_t r;

	for (tries = 0; tries < (patient == ONCE ? 1 : 3000); tries++) {
		if (!patient)
			r = sendto(fd, buf, len, 0, (struct sockaddr *)&sun,
			    sizeof(sun));
		else if (conn || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			conn = 1;
			r = send(fd, buf, len, 0);
		} else
			r = -1;
		if (r == (ssize_t)len)
			return 0;
		gone = 1;
		if (errno != EAGAIN && errno != ENOBUFS)
			conn = 0;
		if (!patient || patient == ONCE || (errno != ENOENT &&
		    errno != ECONNREFUSED && errno != ENOTCONN &&
		    errno != EAGAIN && errno != ENOBUFS))
			return -1;
		usleep(10000);
	}
	return -1;
}

static void
hdr(struct iw_hdr *h, int type, size_t len, uint32_t seq, uint64_t image_ns)
{
	h->magic = IW_MAGIC;
	h->version = IW_VERSION;
	h->type = (uint16_t)type;
	h->length = (uint32_t)len;
	h->seq = seq;
	h->start_ticks = my_start;
	h->image_ns = image_ns;
	h->sent_ns = now_ns();
}

struct img {
	uint64_t	image_ns;
	uint32_t	seq;
	struct iw_proc	p;
	struct iw_file	f[64];
};

/* patient 1: retried until sent (else exit 1); ONCE: -1 when not sent */
static int
send_proc_p(struct img *im, int end, int patient)
{
	im->p.state = end ? IW_END : IW_LIVE;
	im->p.end_reason = end ? IW_END_EXIT : 0;
	hdr(&im->p.h, IW_PROC, sizeof(im->p), ++im->seq, im->image_ns);
	if (xsend(&im->p, sizeof(im->p), patient) != 0) {
		if (patient == ONCE)
			return -1;
		perror("send");
		exit(1);
	}
	return 0;
}

static void
send_proc(struct img *im, int end)
{
	send_proc_p(im, end, 1);
}

static int v1rows;	/* rows as an older shim sends them (IW_FILES) */
#define ROWS_TYPE	(v1rows ? IW_FILES : IW_FILES2)
#define ROW_FIX		(v1rows ? IW_FILE_V1_SIZE : sizeof(struct iw_file))
#define ROW_SIZE(n)	(v1rows ? IW_ROW_V1_SIZE(n) : IW_ROW_SIZE(n))

static size_t
put_row(unsigned char *buf, const struct iw_file *f, const char *path)
{
	size_t n = strlen(path), sz = ROW_SIZE(n);
	struct iw_file r = *f;

	r.path_len = (uint16_t)n;
	memset(buf, 0, sz);
	memcpy(buf, &r, ROW_FIX);
	memcpy(buf + ROW_FIX, path, n);
	return sz;
}

#define PAD_MAX	2048
static char padding[PAD_MAX + 1];
static int padlen;

static void
send_files(struct img *im, int nfiles, int first)
{
	unsigned char buf[IW_MAX];
	struct iw_files fh;
	char path[128 + PAD_MAX];
	size_t off = sizeof(fh);
	int i, count = 0;

	memset(&fh, 0, sizeof(fh));
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "/var/log/test-%d-%d.log%.*s",
		    first + i, (int)(im->image_ns % 1000), padlen, padding);
		if (off + ROW_SIZE(strlen(path)) > sizeof(buf)) {
			fh.count = (uint32_t)count;
			hdr(&fh.h, ROWS_TYPE, off, ++im->seq, im->image_ns);
			memcpy(buf, &fh, sizeof(fh));
			xsend(buf, off, 1);
			off = sizeof(fh);
			count = 0;
		}
		off += put_row(buf + off, &im->f[(first + i) % 64], path);
		count++;
	}
	fh.count = (uint32_t)count;
	hdr(&fh.h, ROWS_TYPE, off, ++im->seq, im->image_ns);
	memcpy(buf, &fh, sizeof(fh));
	if (xsend(buf, off, 1) != 0) {
		perror("send");
		exit(1);
	}
}

static int
stream(int argc, char **argv)
{
	int nimg, nmsg, ms, nfiles, end = 1, i, k, f, nexe = 3;
	const char *stop = NULL;
	struct img *im;
	uint64_t t_dwb = 0, t_dw = 0, t_drb = 0, t_swb = 0, t_fs = 0, t_abs = 0;
	uint64_t t_fwb = 0, t_fw = 0, t_fws = 0;

	if (argc < 7)
		return 2;
	nimg = atoi(argv[3]);
	nmsg = atoi(argv[4]);
	ms = atoi(argv[5]);
	nfiles = atoi(argv[6]);
	for (i = 7; i < argc; i++) {
		if (strcmp(argv[i], "noend") == 0)
			end = 0;
		else if (strcmp(argv[i], "v1rows") == 0)
			v1rows = 1;
		else if (strncmp(argv[i], "stop=", 5) == 0)
			stop = argv[i] + 5;
		else if (strncmp(argv[i], "seed=", 5) == 0)
			lcg = strtoull(argv[i] + 5, NULL, 10);
		else if (strncmp(argv[i], "exes=", 5) == 0 &&
		    (nexe = atoi(argv[i] + 5)) < 1)
			nexe = 1;	/* distinct /usr/bin/wire-N names */
	}
	if (nfiles > 64)
		nfiles = 64;
	if ((im = calloc((size_t)nimg, sizeof(*im))) == NULL)
		return 3;
	for (i = 0; i < nimg; i++) {
		im[i].image_ns = now_ns() + (uint64_t)i;
		im[i].p.ppid = (uint32_t)getppid();
		snprintf(im[i].p.comm, sizeof(im[i].p.comm), "wire%d", i % 3);
		snprintf(im[i].p.exe, sizeof(im[i].p.exe), "/usr/bin/wire-%d",
		    i % nexe);
	}
	for (k = 0; k < nmsg; k++) {
		if (k > 0 && stop != NULL && access(stop, F_OK) == 0)
			break;
		for (i = 0; i < nimg; i++) {
			struct iw_proc *p = &im[i].p;
			uint64_t d;

			d = 1 + rnd(5000);
			p->cls[IW_DISK].write_bytes += d;
			t_dwb += d;
			p->cls[IW_DISK].writes += 3;
			t_dw += 3;
			d = rnd(700);
			p->cls[IW_DISK].read_bytes += d;
			t_drb += d;
			p->cls[IW_DISK].reads += 1;
			d = rnd(300);
			p->cls[IW_SOCKET].write_bytes += d;
			t_swb += d;
			p->fsyncs += k % 2;
			t_fs += k % 2;
			p->co.writes_absorbed += 2;
			t_abs += 2;
			p->co.syscalls += 1;
			p->co.reasons[IW_R_AGE] += 1;
			for (f = 0; f < nfiles; f++) {
				d = 1 + rnd(100);
				im[i].f[f].write_bytes += d;
				im[i].f[f].writes += 1;
				im[i].f[f].cls = IW_DISK;
				im[i].f[f].write_sizes[0] += 1;
				im[i].f[f].write_syscalls += k % 2;
				t_fwb += d;
				t_fw += 1;
				t_fws += v1rows ? 0 : (uint64_t)(k % 2);
			}
			send_proc(&im[i], 0);
			if (nfiles > 0)
				send_files(&im[i], nfiles, 0);
		}
		if (ms > 0)
			usleep((useconds_t)ms * 1000);
	}
	/*
	 * As the shim does: after the collector went away, every file row is
	 * sent again (the one there now may have lost what it had not
	 * stored), here before the END; an END that finds it gone is sent
	 * again after the rows.
	 */
	if (end)
		for (i = 0; i < nimg; i++) {
			if (gone && nfiles > 0)
				send_files(&im[i], nfiles, 0);
			if (send_proc_p(&im[i], 1, ONCE) == 0)
				continue;
			if (nfiles > 0)
				send_files(&im[i], nfiles, 0);
			send_proc(&im[i], 1);
		}
	printf("pid=%d\nimages=%d\ndisk_write_bytes=%llu\ndisk_writes=%llu\n"
	    "disk_read_bytes=%llu\nsocket_write_bytes=%llu\nfsyncs=%llu\n"
	    "absorbed=%llu\nfile_write_bytes=%llu\nfile_writes=%llu\n"
	    "file_write_syscalls=%llu\n",
	    (int)getpid(), nimg, (unsigned long long)t_dwb,
	    (unsigned long long)t_dw, (unsigned long long)t_drb,
	    (unsigned long long)t_swb, (unsigned long long)t_fs,
	    (unsigned long long)t_abs, (unsigned long long)t_fwb,
	    (unsigned long long)t_fw, (unsigned long long)t_fws);
	free(im);
	return 0;
}

static const char *const kinds[] = {
	"magic", "version", "short", "lenlie", "oversized", "type", "size",
	"string", "seqzero", "state", "row_pathlen0", "row_pathlong",
	"row_count", "row_trailing", "row_nul", "row_cls", "row_cut",
	"garbage", "empty", NULL,
};

static int
bad(const char *kind)
{
	static unsigned char buf[IW_MAX * 2];
	struct iw_proc p;
	struct iw_files fh;
	struct iw_file r;
	size_t len = sizeof(p), off;
	int i;

	memset(&p, 0, sizeof(p));
	hdr(&p.h, IW_PROC, sizeof(p), 1, now_ns());
	strcpy(p.comm, "evil");
	strcpy(p.exe, "/evil");
	memset(&fh, 0, sizeof(fh));
	memset(&r, 0, sizeof(r));
	r.cls = IW_DISK;
	r.write_bytes = 1000;
	memcpy(buf, &p, sizeof(p));
	if (strcmp(kind, "magic") == 0) {
		p.h.magic ^= 1;
	} else if (strcmp(kind, "version") == 0) {
		p.h.version = IW_VERSION + 1;
	} else if (strcmp(kind, "short") == 0) {
		len = 20;
	} else if (strcmp(kind, "lenlie") == 0) {
		p.h.length = sizeof(p) + 100;
	} else if (strcmp(kind, "oversized") == 0) {
		len = IW_MAX + 4096;
	} else if (strcmp(kind, "type") == 0) {
		p.h.type = 99;
	} else if (strcmp(kind, "size") == 0) {
		len = sizeof(p) - 8;
		p.h.length = (uint32_t)len;
	} else if (strcmp(kind, "string") == 0) {
		memset(p.exe, 'A', sizeof(p.exe));
	} else if (strcmp(kind, "seqzero") == 0) {
		p.h.seq = 0;
	} else if (strcmp(kind, "state") == 0) {
		p.state = 7;
	} else if (strcmp(kind, "garbage") == 0) {
		for (i = 0; i < 4000; i++)
			buf[i] = (unsigned char)rnd(256);
		return xsend(buf, 4000, 0) == 0;
	} else if (strcmp(kind, "empty") == 0) {
		return xsend(buf, 0, 0) == 0;
	} else if (strncmp(kind, "row_", 4) == 0) {
		const char *path = "/tmp/x.log";
		size_t pl = strlen(path);

		fh.count = 1;
		off = sizeof(fh);
		r.path_len = (uint16_t)pl;
		if (strcmp(kind, "row_pathlen0") == 0)
			r.path_len = 0;
		else if (strcmp(kind, "row_pathlong") == 0)
			r.path_len = IW_PATH_MAX + 1;
		else if (strcmp(kind, "row_count") == 0)
			fh.count = 0xffffffffu;
		else if (strcmp(kind, "row_cls") == 0)
			r.cls = IW_NCLASS;
		memset(buf + off, 0, IW_ROW_SIZE(pl) + 64);
		memcpy(buf + off, &r, sizeof(r));
		memcpy(buf + off + sizeof(r), path, pl);
		if (strcmp(kind, "row_nul") == 0)
			buf[off + sizeof(r) + 2] = '\0';
		off += IW_ROW_SIZE(pl);
		if (strcmp(kind, "row_trailing") == 0)
			off += 8;
		if (strcmp(kind, "row_cut") == 0)
			off -= 8;
		hdr(&fh.h, IW_FILES2, off, 1, now_ns());
		memcpy(buf, &fh, sizeof(fh));
		return xsend(buf, off, 0) == 0;
	} else {
		fprintf(stderr, "unknown kind %s\n", kind);
		exit(2);
	}
	memcpy(buf, &p, sizeof(p));
	return xsend(buf, len, 0) == 0;
}

/* Every process counter of p raised by d. */
static void
raise_all(struct iw_proc *p, uint64_t d)
{
	int c, r;

	for (c = 0; c < IW_NCLASS; c++) {
		p->cls[c].read_bytes += d;
		p->cls[c].write_bytes += d;
		p->cls[c].reads += d;
		p->cls[c].writes += d;
	}
	p->opens += d;
	p->fsyncs += d;
	p->co.writes_absorbed += d;
	p->co.syscalls += d;
	p->co.bytes += d;
	p->co.errors += d;
	for (r = 0; r < IW_NREASON; r++)
		p->co.reasons[r] += d;
}

/* Rows of distinct long paths from many images (the flood of issue 15). */
static int
pathflood(int nimg, int nfiles, int len)
{
	static unsigned char buf[IW_MAX];
	static struct img im;
	struct iw_files fh;
	struct iw_file r;
	char path[IW_PATH_MAX + 1];
	size_t off;
	long rows = 0;
	int i, f;

	if (nimg < 1 || nfiles < 1 || len < 32 || len > 4000)
		return 2;
	memset(&r, 0, sizeof(r));
	r.cls = IW_DISK;
	r.writes = 1;
	r.write_bytes = 100;
	for (i = 0; i < nimg; i++) {
		memset(&im, 0, sizeof(im));
		im.image_ns = now_ns() + (uint64_t)i;
		strcpy(im.p.comm, "pathflood");
		strcpy(im.p.exe, "/pathflood");
		im.p.cls[IW_DISK].write_bytes = 100 * (uint64_t)nfiles;
		send_proc(&im, 0);
		memset(&fh, 0, sizeof(fh));
		off = sizeof(fh);
		for (f = 0; f < nfiles; f++) {
			snprintf(path, sizeof(path), "/flood/%d/%d/%lu/", i, f,
			    (unsigned long)im.image_ns);
			memset(path + strlen(path), 'x', (size_t)len -
			    strlen(path));
			path[len] = '\0';
			if (off + ROW_SIZE((size_t)len) > sizeof(buf)) {
				hdr(&fh.h, ROWS_TYPE, off, ++im.seq, im.image_ns);
				memcpy(buf, &fh, sizeof(fh));
				xsend(buf, off, 1);
				off = sizeof(fh);
				fh.count = 0;
			}
			off += put_row(buf + off, &r, path);
			fh.count++;
			rows++;
		}
		hdr(&fh.h, ROWS_TYPE, off, ++im.seq, im.image_ns);
		memcpy(buf, &fh, sizeof(fh));
		xsend(buf, off, 1);
		send_proc(&im, 1);
	}
	printf("rows=%ld\n", rows);
	return 0;
}

static int
huge(int n, int rounds, const char *go)
{
	struct img *im;
	int i, k;

	if (n < 1 || rounds < 1 || (im = calloc((size_t)n, sizeof(*im))) ==
	    NULL)
		return 2;
	for (i = 0; i < n; i++) {
		im[i].image_ns = now_ns() + (uint64_t)i;
		strcpy(im[i].p.comm, "huge");
		strcpy(im[i].p.exe, "/huge");
	}
	for (k = 0; k < rounds; k++) {
		if (k > 0 && go != NULL) {
			printf("round %d\n", k);
			fflush(stdout);
			while (access(go, F_OK) != 0)
				usleep(20000);
			(void)unlink(go);
		}
		for (i = 0; i < n; i++) {
			raise_all(&im[i].p, (uint64_t)1 << 48);
			send_proc(&im[i], 0);
		}
	}
	printf("sent=%d\n", n);
	free(im);
	return 0;
}

static int
values(const char *exe, int n, char **v)
{
	struct img im;
	struct stat st;
	uint64_t x = 0;
	int i, last = n - 1;

	while (last >= 0 && strncmp(v[last], "pause=", 6) == 0)
		last--;
	if (last < 0)
		return 2;
	memset(&im, 0, sizeof(im));
	im.image_ns = now_ns();
	strcpy(im.p.comm, "values");
	snprintf(im.p.exe, sizeof(im.p.exe), "%s", exe);
#ifdef IW_PROC_V1_SIZE	/* (a wire.h without them: a test of old code) */
	if (stat(exe, &st) == 0) {
		im.p.exe_dev = (uint64_t)st.st_dev;
		im.p.exe_ino = (uint64_t)st.st_ino;
	}
#else
	(void)st;
#endif
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	for (i = 0; i <= last; i++) {
		if (strncmp(v[i], "pause=", 6) == 0) {
			usleep((useconds_t)atoi(v[i] + 6) * 1000);
			continue;
		}
		x = strtoull(v[i], NULL, 10);
		im.p.cls[IW_DISK].write_bytes = x;
		im.p.cls[IW_DISK].writes = x / 10;
		send_proc(&im, i == last);
	}
	return 0;
}

static int
kernel(const char *exe, const char *wb, const char *ws)
{
	struct img im;

	memset(&im, 0, sizeof(im));
	im.image_ns = now_ns();
	strcpy(im.p.comm, "kernel");
	snprintf(im.p.exe, sizeof(im.p.exe), "%s", exe);
	im.p.cls[IW_DISK].write_bytes = 1000;
	im.p.cls[IW_DISK].writes = 10;
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	if (strcmp(wb, "v1") == 0) {
		im.p.state = IW_END;
		im.p.end_reason = IW_END_EXIT;
		hdr(&im.p.h, IW_PROC, IW_PROC_V1_SIZE, ++im.seq, im.image_ns);
		return xsend(&im.p, IW_PROC_V1_SIZE, 1) == 0 ? 0 : 1;
	}
	im.p.k.flags = IW_K_OWN;
	im.p.k.write_bytes = strtoull(wb, NULL, 10);
	im.p.k.write_syscalls[IW_DISK] = strtoull(ws, NULL, 10);
	send_proc(&im, 1);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: wire_send SOCK MODE ...\n");
		return 2;
	}
	my_start = start_ticks();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return 3;
	if (strcmp(argv[2], "stream") == 0)
		return stream(argc, argv);
	if (strcmp(argv[2], "bad") == 0 && argc > 3) {
		if (strcmp(argv[3], "all") == 0) {
			for (i = 0; kinds[i] != NULL; i++)
				n += bad(kinds[i]);
		} else
			n = bad(argv[3]);
		printf("%d\n", n);
		return 0;
	}
	if (strcmp(argv[2], "flood") == 0 && argc > 3) {
		struct img im;
		int count = atoi(argv[3]);

		for (i = 0; i < count; i++) {
			memset(&im, 0, sizeof(im));
			im.image_ns = 1000 + (uint64_t)i;
			im.p.cls[IW_DISK].write_bytes = 1;
			strcpy(im.p.exe, "/flood");
			send_proc(&im, 0);
		}
		printf("%d\n", count);
		return 0;
	}
	if (strcmp(argv[2], "files") == 0 && argc > 3) {
		static struct img im;
		int count = atoi(argv[3]);

		if (argc > 4 && strncmp(argv[4], "pad=", 4) == 0) {
			padlen = atoi(argv[4] + 4);
			if (padlen < 0 || padlen > PAD_MAX)
				padlen = PAD_MAX;
			memset(padding, 'p', (size_t)padlen);
		}
		im.image_ns = now_ns();
		strcpy(im.p.exe, "/manyfiles");
		for (i = 0; i < 64; i++) {
			im.f[i].write_bytes = 10;
			im.f[i].cls = IW_DISK;
		}
		send_proc(&im, 0);
		for (i = 0; i < count; i += 40)
			send_files(&im, count - i < 40 ? count - i : 40, i);
		printf("%d\n", count);
		return 0;
	}
	if (strcmp(argv[2], "forge") == 0) {
		struct img im;

		memset(&im, 0, sizeof(im));
		my_start += 12345;
		im.image_ns = now_ns();
		im.p.cls[IW_DISK].write_bytes = 777;
		send_proc(&im, 0);
		printf("1\n");
		/* stay alive until the collector has read our /proc/PID/stat:
		 * a sender that is gone cannot be checked, and is let through */
		sleep(1);
		return 0;
	}
	if (strcmp(argv[2], "hold") == 0 && argc > 3) {
		struct img im;

		memset(&im, 0, sizeof(im));
		im.image_ns = now_ns();
		strcpy(im.p.exe, "/hold");
		strcpy(im.p.comm, "hold");
		im.p.cls[IW_DISK].write_bytes = 4242;
		send_proc(&im, 0);
		printf("pid=%d\n", (int)getpid());
		fflush(stdout);
		sleep((unsigned)atoi(argv[3]));
		send_proc(&im, 1);
		return 0;
	}
	if (strcmp(argv[2], "pathflood") == 0 && argc > 5)
		return pathflood(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (strcmp(argv[2], "huge") == 0 && argc > 4)
		return huge(atoi(argv[3]), atoi(argv[4]), argc > 5 &&
		    strncmp(argv[5], "go=", 3) == 0 ? argv[5] + 3 : NULL);
	if (strcmp(argv[2], "kernel") == 0 && argc == 6)
		return kernel(argv[3], argv[4], argv[5]);
	if (strcmp(argv[2], "values") == 0 && argc > 4)
		return values(argv[3], argc - 4, argv + 4);
	fprintf(stderr, "unknown mode %s\n", argv[2]);
	return 2;
}
