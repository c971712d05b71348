/*
 * ingest.c - the two sockets of ioshimd.
 *
 * The ingest socket (AF_UNIX, SOCK_DGRAM) receives shim reports: datagrams
 * are read in batches with recvmmsg(2); the sender's pid/uid/gid are taken
 * from SCM_CREDENTIALS only.  Each datagram is decoded (decode.c) and
 * applied to the live table (aggregate.c), or counted and dropped.
 *
 * The query socket (AF_UNIX, SOCK_STREAM, PATH.ctl) serves line requests
 * with one-line JSON replies (query.c).  Clients are non-blocking, bounded
 * in number, line length and idle time; the client's uid comes from
 * SO_PEERCRED.
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
#include "json.h"
#include "log.h"
#include "query.h"
#include "request.h"

#define BATCH		32		/* datagrams per recvmmsg() */
#define ROUNDS		32		/* recvmmsg() calls per poll round */
#define BUFSZ		(IW_MAX + 64)
#define MAXCLIENTS	32
#define IDLE_SECS	60
#define OUT_MAX		(16u << 20)	/* a reply larger than this fails */

static alignas(8) unsigned char bufs[BATCH][BUFSZ];
static alignas(8) unsigned char cbufs[BATCH][CMSG_SPACE(sizeof(struct ucred))];

static int
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

/* ---- query socket ---- */

struct client {
	int		 fd;
	uid_t		 uid;
	time_t		 last;
	char		 in[REQ_LINE_MAX + 2];
	size_t		 inlen;
	struct jbuf	 out;
	size_t		 outoff;
	int		 closing;	/* close when output is sent */
};

static struct client *clients[MAXCLIENTS];

int
ctl_open(const char *path, int mode)
{
	struct sockaddr_un sun;
	int fd;

	if (unix_addr(&sun, path) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, (mode_t)mode) == -1 || listen(fd, 16) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
drop(int i)
{
	struct client *c = clients[i];

	close(c->fd);
	jb_free(&c->out);
	free(c);
	clients[i] = NULL;
	D.nqclients--;
}

/*
 * Every slot is taken: free those whose client has hung up.  A burst of
 * connections that close at once may still hold every slot when the next
 * one is accepted in the same round, before their hang-ups are polled.
 */
static void
reap_hungup(void)
{
	struct pollfd p;
	int i;

	for (i = 0; i < MAXCLIENTS; i++) {
		if (clients[i] == NULL)
			continue;
		p.fd = clients[i]->fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
			drop(i);
	}
}

void
ctl_accept(int lfd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct client *c;
	int fd, i;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) !=
	    -1) {
		for (i = 0; i < MAXCLIENTS && clients[i] != NULL; i++)
			;
		if (i == MAXCLIENTS) {
			reap_hungup();
			for (i = 0; i < MAXCLIENTS && clients[i] != NULL; i++)
				;
		}
		if (i == MAXCLIENTS ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			static const char busy[] = "{\"error\":\"busy\"}\n";
			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = uc.uid;
		c->last = time(NULL);
		jb_init(&c->out);
		clients[i] = c;
		D.nqclients++;
	}
}

/* Answer complete lines while no output is pending. */
static void
serve(struct client *c)
{
	char *nl;
	size_t l;

	while (c->out.len == 0 && !c->closing &&
	    (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		l = (size_t)(nl - c->in);
		jb_reset(&c->out);
		query_answer(c->in, l, c->uid, &c->out);
		jb_raw(&c->out, "\n", 1);
		c->outoff = 0;
		memmove(c->in, nl + 1, c->inlen - l - 1);
		c->inlen -= l + 1;
	}
	if (c->out.len == 0 && !c->closing && c->inlen >= REQ_LINE_MAX + 1) {
		jb_reset(&c->out);
		jb_raw(&c->out, "{\"error\":\"request too long\"}\n", 29);
		c->outoff = 0;
		c->closing = 1;
	}
}

int
ctl_pollfds(struct pollfd *p, int max)
{
	time_t now = time(NULL);
	int i, n = 0;

	for (i = 0; i < MAXCLIENTS && n < max; i++) {
		struct client *c = clients[i];

		if (c == NULL)
			continue;
		if (now - c->last > IDLE_SECS) {
			drop(i);
			continue;
		}
		p[n].fd = c->fd;
		p[n].events = c->out.len > c->outoff ? POLLOUT :
		    c->closing ? 0 : POLLIN;
		p[n].revents = 0;
		n++;
	}
	return n;
}

static int
index_of(int fd)
{
	int i;

	for (i = 0; i < MAXCLIENTS; i++)
		if (clients[i] != NULL && clients[i]->fd == fd)
			return i;
	return -1;
}

void
ctl_events(struct pollfd *p, int n)
{
	struct client *c;
	ssize_t r;
	int k, i;

	for (k = 0; k < n; k++) {
		if (p[k].revents == 0 || (i = index_of(p[k].fd)) < 0)
			continue;
		c = clients[i];
		c->last = time(NULL);
		if (p[k].revents & (POLLERR | POLLNVAL)) {
			drop(i);
			continue;
		}
		if (p[k].revents & POLLOUT) {
			r = write(c->fd, c->out.p + c->outoff,
			    c->out.len - c->outoff);
			if (r == -1 && errno != EAGAIN && errno != EINTR) {
				drop(i);
				continue;
			}
			if (r > 0)
				c->outoff += (size_t)r;
			if (c->outoff >= c->out.len) {
				c->out.len = c->outoff = 0;
				if (c->closing) {
					drop(i);
					continue;
				}
				serve(c);
			}
			continue;
		}
		if (p[k].revents & (POLLIN | POLLHUP)) {
			r = read(c->fd, c->in + c->inlen,
			    sizeof(c->in) - 1 - c->inlen);
			if (r == 0) {
				/* EOF: answer what was sent, then close. */
				if (c->inlen > 0 && c->inlen < sizeof(c->in) - 1 &&
				    memchr(c->in, '\n', c->inlen) == NULL)
					c->in[c->inlen++] = '\n';
				serve(c);
				if (c->out.len > c->outoff)
					c->closing = 1;
				else
					drop(i);
				continue;
			}
			if (r == -1 && errno != EAGAIN && errno != EINTR) {
				drop(i);
				continue;
			}
			if (r > 0)
				c->inlen += (size_t)r;
			serve(c);
		}
	}
}

void
ctl_closeall(void)
{
	int i;

	for (i = 0; i < MAXCLIENTS; i++)
		if (clients[i] != NULL)
			drop(i);
}
