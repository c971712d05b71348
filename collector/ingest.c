/*
 * ingest.c - the ingest socket of ioshimd (the query socket: ctl.c).
 *
 * The ingest socket (AF_UNIX, SOCK_DGRAM) receives shim reports: datagrams
 * are read in batches with recvmmsg(2); the sender's pid/uid/gid are taken
 * from SCM_CREDENTIALS only.  Each datagram is decoded (decode.c) and
 * applied to the live table (aggregate.c), or counted and dropped.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ioshimd.h"
#include "log.h"

#define BATCH		32		/* datagrams per recvmmsg() */
#define ROUNDS		32		/* recvmmsg() calls per poll round */
#define BUFSZ		(IW_MAX + 64)

static alignas(8) unsigned char bufs[BATCH][BUFSZ];
static alignas(8) unsigned char cbufs[BATCH][CMSG_SPACE(sizeof(struct ucred))];

int
unix_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		logx(LOG_ERR, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/*
 * The kernel queues at most net.unix.max_dgram_qlen datagrams (Debian's
 * default: 10) on an AF_UNIX datagram socket; further non-blocking sends
 * fail with EAGAIN, i.e. the shims' reports are dropped as soon as the
 * collector is off the CPU for a moment.  The limit is copied into a
 * socket when it is created and cannot be changed on the socket, so where
 * ioshimd may (root), it raises the sysctl to QLEN just around socket(2)
 * and puts the old value back at once: only this socket gets the deep
 * queue.  Queued datagrams are charged to the senders' send buffers.
 */
#define QLEN		4096
#define QLEN_SYSCTL	"/proc/sys/net/unix/max_dgram_qlen"

static long
qlen_get(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(QLEN_SYSCTL, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
qlen_set(long v)
{
	char buf[32];
	int fd, len, ok;

	if ((fd = open(QLEN_SYSCTL, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -1;
}

static int
dgram_socket(void)
{
	long old = qlen_get();
	int fd, raised = 0, e;

	if (old >= 0 && old < QLEN && qlen_set(QLEN) == 0)
		raised = 1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	e = errno;
	if (raised && qlen_set(old) == -1)
		logx(LOG_WARNING, "cannot restore %s to %ld: %s", QLEN_SYSCTL,
		    old, strerror(errno));
	if (old >= 0 && old < QLEN && !raised)
		logx(LOG_NOTICE, "ingest queue: %ld datagrams (%s); reports "
		    "are dropped when more are waiting (raise it to %d, or "
		    "run ioshimd as root)", old, QLEN_SYSCTL, QLEN);
	errno = e;
	return fd;
}

int
ingest_open(const char *path, int mode)
{
	struct sockaddr_un sun;
	int fd, one = 1, sz = 8 << 20;

	if (unix_addr(&sun, path) == -1)
		return -1;
	if ((fd = dgram_socket()) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1)
		goto fail;
	/* Not what bounds an AF_UNIX datagram queue (see dgram_socket());
	 * kept as headroom.  FORCE works for root only. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if (chmod(path, (mode_t)mode) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void
one_datagram(const unsigned char *buf, size_t len, struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct ucred uc;
	struct dec_msg m;
	int have = 0, e;

	D.in.received++;
	D.in.bytes += len;
	if ((mh->msg_flags & MSG_TRUNC) || len > IW_MAX) {
		D.in.oversized++;
		return;
	}
	if (mh->msg_flags & MSG_CTRUNC) {
		D.in.no_creds++;
		return;
	}
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uc))) {
			memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
			have = 1;
		}
	if (!have || uc.pid <= 0) {
		D.in.no_creds++;
		return;
	}
	if ((e = dec_msg(buf, len, &m)) != DEC_OK) {
		D.in.malformed++;
		D.in.by_error[e]++;
		return;
	}
	if (agg_ingest(D.agg, &m, uc.pid, uc.uid, uc.gid, time(NULL)) == AG_OK)
		D.in.accepted++;
}

int
ingest_read(int fd)
{
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	int i, n, round;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = BUFSZ;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cbufs[i];
			mm[i].msg_hdr.msg_controllen = sizeof(cbufs[i]);
		}
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			logx(LOG_ERR, "recvmmsg: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++)
			one_datagram(bufs[i], mm[i].msg_len, &mm[i].msg_hdr);
		if (n < BATCH)
			return 0;
	}
	return 0;
}
