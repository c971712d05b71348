/*
 * pathflood.c - the flood of issue 15, item 7, for bench/soak.sh: one
 * process reports, for SECONDS, file rows of distinct LEN-byte paths
 * (every row a path never sent before) from IMAGES images (its own pid
 * and start time, distinct image_ns), as fast as the collector takes
 * them, over SOCKETS connected datagram sockets (blocking sends: each
 * socket keeps its own send buffer of datagrams queued).
 *
 *   pathflood SOCK SECONDS [IMAGES [LEN [SOCKETS]]]
 *	defaults 4096 images, 4000 bytes, 64 sockets.  Prints
 *	"datagrams=N rows=N bytes=N failed=N".
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/wire.h"
#include "../common/procstart.h"

#define MAXSOCK	1024

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static unsigned char buf[IW_MAX];
	static int fds[MAXSOCK];
	struct sockaddr_un sun;
	struct timeval tv = { 1, 0 };
	struct iw_proc p;
	struct iw_files fh;
	struct iw_file r;
	uint64_t st, base, serial = 0, dg = 0, rows = 0, bytes = 0, failed = 0;
	uint32_t *seq;
	double end;
	size_t off, rs;
	int nimg = 4096, len = 4000, nsock = 64, i, k, s = 0;

	if (argc < 3)
		return 2;
	end = now() + atof(argv[2]);
	if (argc > 3)
		nimg = atoi(argv[3]);
	if (argc > 4)
		len = atoi(argv[4]);
	if (argc > 5)
		nsock = atoi(argv[5]);
	if (nimg < 1 || len < 64 || len > 4000 || nsock < 1 || nsock > MAXSOCK)
		return 2;
	if ((seq = calloc((size_t)nimg, sizeof(*seq))) == NULL)
		return 3;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	for (i = 0; i < nsock; i++) {
		if ((fds[i] = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
		    connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			perror("socket");
			return 1;
		}
		(void)setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
	st = start_ticks();
	base = wall_ns();
	rs = IW_ROW_SIZE((size_t)len);
	memset(&r, 0, sizeof(r));
	r.path_len = (uint16_t)len;
	r.cls = IW_DISK;
	r.writes = 1;
	r.write_bytes = 4096;
	while (now() < end) {
		for (i = 0; i < nimg && now() < end; i++) {
			memset(&p, 0, sizeof(p));
			p.h.magic = IW_MAGIC;
			p.h.version = IW_VERSION;
			p.h.type = IW_PROC;
			p.h.length = sizeof(p);
			p.h.seq = ++seq[i];
			p.h.start_ticks = st;
			p.h.image_ns = base + (uint64_t)i;
			p.h.sent_ns = wall_ns();
			p.cls[IW_DISK].write_bytes = 4096 * (uint64_t)seq[i];
			strcpy(p.comm, "pathflood");
			strcpy(p.exe, "/usr/sbin/rsyslogd");
			if (send(fds[s++ % nsock], &p, sizeof(p), 0) != sizeof(p))
				failed++;
			dg++;
			memset(&fh, 0, sizeof(fh));
			off = sizeof(fh);
			for (k = 0; off + rs <= sizeof(buf); k++) {
				memset(buf + off, 0, rs);
				memcpy(buf + off, &r, sizeof(r));
				snprintf((char *)buf + off + sizeof(r), (size_t)len,
				    "/flood/%llu/", (unsigned long long)serial++);
				memset(buf + off + sizeof(r) + strlen((char *)buf +
				    off + sizeof(r)), 'x', (size_t)len -
				    strlen((char *)buf + off + sizeof(r)));
				off += rs;
				rows++;
			}
			fh.count = (uint32_t)k;
			fh.h.magic = IW_MAGIC;
			fh.h.version = IW_VERSION;
			fh.h.type = IW_FILES2;
			fh.h.length = (uint32_t)off;
			fh.h.seq = ++seq[i];
			fh.h.start_ticks = st;
			fh.h.image_ns = base + (uint64_t)i;
			fh.h.sent_ns = wall_ns();
			memcpy(buf, &fh, sizeof(fh));
			if (send(fds[s++ % nsock], buf, off, 0) != (ssize_t)off)
				failed++;
			dg++;
			bytes += off + sizeof(p);
		}
	}
	printf("datagrams=%llu rows=%llu bytes=%llu failed=%llu\n",
	    (unsigned long long)dg, (unsigned long long)rows,
	    (unsigned long long)bytes, (unsigned long long)failed);
	return 0;
}
