/*
 * ctl.c - the query socket of ioshimd (AF_UNIX, SOCK_STREAM, PATH.ctl):
 * line requests, one-line JSON replies (query.c).  The client's uid comes
 * from SO_PEERCRED.
 *
 * Clients are non-blocking and bounded so that no uid can keep another
 * from asking (docs/collector.md, "Security model"):
 *   - MAXCLIENTS connections; ADMIN_SLOTS of them only for root and the
 *     collector's uid, at most UID_SLOTS for any other uid;
 *   - a request line must be complete REQ_SECS after its first byte, a
 *     reply read OUT_SECS after it was made, a connection with neither
 *     pending is closed after IDLE_SECS;
 *   - a reply is at most OUT_MAX bytes; the unread reply bytes of one
 *     other uid at most OUT_UID, of all other uids together OUT_USERS.
 * Who hits a bound gets {"error":...} or a closed connection, never a
 * wait: the loop goes on with everyone else.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "ioshimd.h"
#include "json.h"
#include "query.h"
#include "request.h"

#define MAXCLIENTS	32		/* query connections at once */
#define ADMIN_SLOTS	4		/* of them kept for administrators */
#define UID_SLOTS	8		/* at most for one other uid */
#define IDLE_SECS	60		/* nothing asked for so long: closed */
#define REQ_SECS	10		/* a started line must end within */
#define OUT_SECS	30		/* a reply must be read within */
#define OUT_MAX		(16u << 20)	/* a larger reply: "reply too large" */
#define OUT_UID		(2u << 20)	/* unread bytes of one other uid */
#define OUT_USERS	(8u << 20)	/* unread bytes of all other uids */
#define OUT_KEEP	(64u << 10)	/* larger buffers are freed when sent */

struct client {
	int		 fd;
	uid_t		 uid;
	gid_t		 gid;
	int		 admin;		/* root or the collector's uid */
	time_t		 last;
	time_t		 reqstart;	/* first byte of the pending line */
	time_t		 outstart;	/* when the pending reply was made */
	char		 in[REQ_LINE_MAX + 2];
	size_t		 inlen;
	struct jbuf	 out;
	size_t		 outoff;
	int		 closing;	/* close when output is sent */
	/* An import batch (import.c): its request line, then its bytes. */
	char		*body;
	size_t		 bodylen, bodywant;
	char		 bline[REQ_LINE_MAX + 1];
	size_t		 blinelen;
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
	free(c->body);
	free(c);
	clients[i] = NULL;
	D.nqclients--;
}

/*
 * Free the slots of clients that have hung up.  A burst of connections
 * that close at once may still hold slots when the next one is accepted
 * in the same round, before their hang-ups are polled.
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

/* Free slots, and slots held by uid. */
static void
count_slots(uid_t uid, int *nfree, int *nuid)
{
	int i;

	*nfree = *nuid = 0;
	for (i = 0; i < MAXCLIENTS; i++) {
		if (clients[i] == NULL)
			(*nfree)++;
		else if (clients[i]->uid == uid)
			(*nuid)++;
	}
}

static int
refused(int admin, int nfree, int nuid)
{
	if (nfree == 0)
		return 1;
	return !admin && (nfree <= ADMIN_SLOTS || nuid >= UID_SLOTS);
}

void
ctl_accept(int lfd)
{
	static const char busy[] = "{\"error\":\"busy\"}\n";
	struct ucred uc;
	socklen_t len;
	struct client *c;
	int fd, i, admin, nfree, nuid;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) !=
	    -1) {
		len = sizeof(uc);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
			close(fd);
			continue;
		}
		admin = uc.uid == 0 || uc.uid == D.euid;
		count_slots(uc.uid, &nfree, &nuid);
		if (refused(admin, nfree, nuid)) {
			reap_hungup();
			count_slots(uc.uid, &nfree, &nuid);
		}
		if (refused(admin, nfree, nuid) ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		for (i = 0; i < MAXCLIENTS && clients[i] != NULL; i++)
			;
		c->fd = fd;
		c->uid = uc.uid;
		c->gid = uc.gid;
		c->admin = admin;
		c->last = time(NULL);
		jb_init(&c->out);
		clients[i] = c;
		D.nqclients++;
	}
}

/* Unread reply bytes of uid's clients and of all non-administrators. */
static void
unread(uid_t uid, const struct client *skip, size_t *byuid, size_t *users)
{
	const struct client *o;
	int i;

	*byuid = *users = 0;
	for (i = 0; i < MAXCLIENTS; i++) {
		if ((o = clients[i]) == NULL || o == skip || o->admin)
			continue;
		*users += o->out.len - o->outoff;
		if (o->uid == uid)
			*byuid += o->out.len - o->outoff;
	}
}

static void
reply_error(struct client *c, const char *line)
{
	if (c->out.cap > OUT_KEEP)
		jb_free(&c->out);
	jb_reset(&c->out);
	jb_raw(&c->out, line, strlen(line));
	D.query_errors++;
}

/* The reply just made in c->out: replaced by an error past a bound. */
static void
bound_reply(struct client *c)
{
	size_t byuid, users, n = c->out.len;

	if (jb_failed(&c->out) || n > OUT_MAX || (!c->admin && n > OUT_UID)) {
		reply_error(c, "{\"error\":\"reply too large\"}\n");
		return;
	}
	if (c->admin)
		return;
	unread(c->uid, c, &byuid, &users);
	if (byuid + n > OUT_UID || users + n > OUT_USERS)
		reply_error(c, "{\"error\":\"busy: too many unread replies\"}"
		    "\n");
}

/*
 * An import line with bytes=B: its body follows.  The bytes after the line
 * already read go to the body; the rest is read by ctl_events().  1 if
 * the line was taken (reply later), 0 if not an import batch.
 */
static int
body_start(struct client *c, size_t l)
{
	size_t want, have;
	int big;

	if (!import_is_request(c->in, l, &want))
		return 0;
	if (want == 0) {	/* import-pos, or a batch of nothing */
		jb_reset(&c->out);
		import_answer(c->in, l, "", 0, c->uid, c->gid, &c->out);
		jb_raw(&c->out, "\n", 1);
		bound_reply(c);
		c->outoff = 0;
		c->outstart = time(NULL);
		memmove(c->in, c->in + l + 1, c->inlen - l - 1);
		c->inlen -= l + 1;
		c->reqstart = c->outstart;
		return 1;
	}
	big = want > (c->admin ? IMP_BODY_MAX : IMP_BODY_USER);
	if (big || (c->body = malloc(want)) == NULL) {
		reply_error(c, big ? "{\"error\":\"batch too large\"}\n" :
		    "{\"error\":\"out of memory\"}\n");
		c->outoff = 0;
		c->outstart = time(NULL);
		c->closing = 1;
		return 1;
	}
	c->reqstart = time(NULL);	/* the body must come within REQ_SECS */
	memcpy(c->bline, c->in, l);
	c->blinelen = l;
	c->bodywant = want;
	have = c->inlen - l - 1 < want ? c->inlen - l - 1 : want;
	memcpy(c->body, c->in + l + 1, have);
	c->bodylen = have;
	memmove(c->in, c->in + l + 1 + have, c->inlen - l - 1 - have);
	c->inlen -= l + 1 + have;
	return 1;
}

/* The body is complete: answer the batch. */
static void
body_done(struct client *c)
{
	jb_reset(&c->out);
	import_answer(c->bline, c->blinelen, c->body, c->bodylen, c->uid,
	    c->gid, &c->out);
	jb_raw(&c->out, "\n", 1);
	bound_reply(c);
	c->outoff = 0;
	c->outstart = time(NULL);
	free(c->body);
	c->body = NULL;
	c->bodylen = c->bodywant = 0;
	c->reqstart = c->outstart;
}

/* Answer complete lines while no output is pending. */
static void
serve(struct client *c)
{
	time_t now = time(NULL);
	char *nl;
	size_t l;

	while (c->out.len == 0 && !c->closing && c->body == NULL &&
	    (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		l = (size_t)(nl - c->in);
		if (body_start(c, l)) {
			if (c->body != NULL && c->bodylen == c->bodywant)
				body_done(c);
			continue;
		}
		jb_reset(&c->out);
		query_answer(c->in, l, c->uid, &c->out);
		jb_raw(&c->out, "\n", 1);
		bound_reply(c);
		c->outoff = 0;
		c->outstart = now;
		memmove(c->in, nl + 1, c->inlen - l - 1);
		c->inlen -= l + 1;
		c->reqstart = now;	/* of what is left, if anything */
	}
	if (c->out.len == 0 && !c->closing && c->body == NULL &&
	    c->inlen >= REQ_LINE_MAX + 1) {
		reply_error(c, "{\"error\":\"request too long\"}\n");
		c->outoff = 0;
		c->outstart = now;
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
		int pending;

		if (c == NULL)
			continue;
		pending = c->out.len > c->outoff;
		if (now - c->last > IDLE_SECS ||
		    (pending && now - c->outstart > OUT_SECS) ||
		    (!pending && !c->closing && (c->inlen > 0 ||
		    c->body != NULL) && now - c->reqstart > REQ_SECS)) {
			drop(i);
			continue;
		}
		p[n].fd = c->fd;
		p[n].events = pending ? POLLOUT : c->closing ? 0 : POLLIN;
		p[n].revents = 0;
		n++;
	}
	return n;
}

void
ctl_timeout(int *timeout_ms)
{
	int i;

	/* The deadlines above are in seconds: look again every second. */
	for (i = 0; i < MAXCLIENTS; i++)
		if (clients[i] != NULL && *timeout_ms > 1000) {
			*timeout_ms = 1000;
			return;
		}
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

static void
sent_some(int i, ssize_t r)
{
	struct client *c = clients[i];

	if (r > 0)
		c->outoff += (size_t)r;
	if (c->outoff < c->out.len)
		return;
	c->out.len = c->outoff = 0;
	if (c->out.cap > OUT_KEEP)
		jb_free(&c->out);	/* a large reply's memory goes back */
	if (c->closing) {
		drop(i);
		return;
	}
	c->reqstart = time(NULL);	/* a line left waits from now */
	serve(c);
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
			if (r == -1 && errno != EAGAIN && errno != EINTR)
				drop(i);
			else
				sent_some(i, r);
			continue;
		}
		if ((p[k].revents & (POLLIN | POLLHUP)) && c->body != NULL) {
			r = read(c->fd, c->body + c->bodylen,
			    c->bodywant - c->bodylen);
			if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				drop(i);	/* a batch cut short: nothing */
				continue;
			}
			if (r > 0 && (c->bodylen += (size_t)r) == c->bodywant) {
				body_done(c);
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
			if (r > 0) {
				if (c->inlen == 0)
					c->reqstart = c->last;
				c->inlen += (size_t)r;
			}
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
