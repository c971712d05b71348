/*
 * impconn.c - `ioshim import`'s connection to ioshimd's query socket
 * (impconn.h): found as every subcommand finds the collector (client.c),
 * kept for all the requests of a run.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "client.h"
#include "impconn.h"

#define REPLY_MAX	(1u << 20)

static int conn = -1;
static char ctlpath[PATH_MAX];

int
ic_connect(const char *sockopt)
{
	struct sockaddr_un sun;

	if (conn != -1)
		return 0;
	if (client_socket_path(sockopt, ctlpath, sizeof(ctlpath) - 4) != 0) {
		warnx("import: cannot tell where the collector is: set "
		    "XDG_RUNTIME_DIR or IOSHIM_SOCKET, or use --socket PATH");
		return -1;
	}
	strlcat(ctlpath, ".ctl", sizeof(ctlpath));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, ctlpath, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		warnx("import: socket path too long: %s", ctlpath);
		return -1;
	}
	if ((conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(conn, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		warn("import: no collector at %s", ctlpath);
		if (conn != -1)
			close(conn);
		conn = -1;
		return -1;
	}
	return 0;
}

static size_t rlen;

void
ic_close(void)
{
	if (conn != -1)
		close(conn);
	conn = -1;
	rlen = 0;
}

static void
gone(void)
{
	warnx("import: the collector at %s went away", ctlpath);
	ic_close();
}

/* Send line (and body); 0 ok, -1 if the collector went away. */
int
ic_send(const char *line, const char *body, size_t blen)
{
	if (conn == -1)
		return -1;
	if (client_writeall(conn, line, strlen(line)) != 0 ||
	    client_writeall(conn, "\n", 1) != 0 ||
	    (blen > 0 && client_writeall(conn, body, blen) != 0)) {
		gone();
		return -1;
	}
	return 0;
}

/* Read one reply line; NULL if the collector went away (the connection
 * is closed then).  Bytes after the line (the next reply, when batches
 * are pipelined) are kept for the next call. */
static char rbuf[REPLY_MAX];

struct jv *
ic_reply(void)
{
	struct pollfd p = { conn, POLLIN, 0 };
	struct jv *v;
	ssize_t r;
	char *nl;
	size_t l;

	while (conn != -1) {
		if ((nl = memchr(rbuf, '\n', rlen)) != NULL) {
			*nl = '\0';
			v = jv_parse(rbuf);
			l = (size_t)(nl - rbuf) + 1;
			memmove(rbuf, rbuf + l, rlen - l);
			rlen -= l;
			return v;
		}
		if (rlen == sizeof(rbuf) - 1 || poll(&p, 1, 120000) <= 0)
			break;
		r = read(conn, rbuf + rlen, sizeof(rbuf) - 1 - rlen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		rlen += (size_t)r;
	}
	rlen = 0;
	if (conn != -1)
		gone();
	return NULL;
}

struct jv *
ic_exchange(const char *line, const char *body, size_t blen)
{
	return ic_send(line, body, blen) == 0 ? ic_reply() : NULL;
}


int
ic_connected(void)
{
	return conn != -1;
}
