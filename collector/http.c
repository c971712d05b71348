/*
 * http.c - ioshimd --http ADDR:PORT: GET /health and GET /metrics.
 *
 * Design: libmicrohttpd parses HTTP; we never do.  It runs in "external
 * polling" mode with epoll (MHD_USE_EPOLL, no MHD thread): its epoll
 * descriptor is one more entry in the collector's poll(2) loop (main.c),
 * its connection timeout shortens the loop's timeout, and MHD_run() does
 * all pending work without blocking.  So the request handler runs on the
 * collector's only thread, between datagram batches, and reads the live
 * table, the store and the counters directly: no locks, no snapshots, no
 * thread.  Rendering is proportional to the bounded executable table, and
 * sockets are non-blocking, so a slow client never stalls ingestion.
 *
 * Bounds: HTTP_MAX_CONN connections (HTTP_MAX_PER_IP per address, every
 * loopback address counted as one: httplimit.c); the ones beyond are
 * accepted and closed at once.  Each connection may use
 * HTTP_CONN_MEMORY bytes for its request line and headers: larger ones get
 * 414/431 and are closed.  A connection idle for HTTP_TIMEOUT_S seconds is
 * closed.  Request bodies are never read.  Only GET and HEAD are allowed
 * (405 otherwise), only /health and /metrics exist (404 otherwise).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "hreason.h"
#include "http.h"
#include "ioshimd.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "query.h"

#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON		"application/json"
#define CT_TEXT		"text/plain; charset=utf-8"

static struct MHD_Daemon *mhd;
static int epfd = -1;

/* Admit a connection only while its address is under its limit. */
static enum MHD_Result
admit(void *cls, const struct sockaddr *sa, socklen_t sl)
{
	(void)cls;
	(void)sl;
	return httplimit_admit(sa) ? MHD_YES : MHD_NO;
}

/* Count connections in and out by address (httplimit.c). */
static void
notify(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	static int counted;
	const union MHD_ConnectionInfo *ci;

	(void)cls;
	if ((ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS)) == NULL ||
	    ci->client_addr == NULL)
		return;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if (httplimit_add(ci->client_addr) == 0)
			*ctx = &counted;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *ctx == &counted) {
		httplimit_del(ci->client_addr);
		*ctx = NULL;
	}
}

/* "HOST:PORT" or "[V6]:PORT" -> one socket address. */
static int
parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
    char *err, size_t errsz)
{
	char host[256];
	const char *colon, *h = spec, *port;
	size_t hl;
	struct addrinfo hints, *res;
	char *end;
	long p;
	int rc;

	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL) {
			snprintf(err, errsz, "%s: expected [ADDR]:PORT", spec);
			return -1;
		}
		h = spec + 1;
		hl = (size_t)(colon - h);
		port = colon + 2;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL ||
		    memchr(spec, ':', (size_t)(colon - spec)) != NULL) {
			snprintf(err, errsz, "%s: expected ADDR:PORT "
			    "([ADDR]:PORT for IPv6)", spec);
			return -1;
		}
		hl = (size_t)(colon - spec);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errsz, "%s: missing or too long address", spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535) {
		snprintf(err, errsz, "%s: port must be 1..65535", spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errsz, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		snprintf(err, errsz, "%s: address too long", host);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;		/* MHD closes the connection */
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) ==
	    MHD_NO ||
	    (code == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") ==
	    MHD_NO)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
text(struct MHD_Connection *c, unsigned int code, const char *msg)
{
	return reply(c, code, CT_TEXT, (char *)msg, strlen(msg),
	    MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
health(struct MHD_Connection *c)
{
	struct jbuf j;
	enum MHD_Result ret;

	jb_init(&j);
	/* The socket's own code: the same bytes as `health` there. */
	query_answer("health", 6, 0, &j);
	jb_raw(&j, "\n", 1);
	if (jb_failed(&j)) {
		jb_free(&j);
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	/* 200 for ok and degraded, 503 for failing (the state is in the
	 * body either way): docs/collector.md, "Health". */
	ret = reply(c, health_last_state() == HS_FAILING ?
	    MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, CT_JSON, j.p, j.len,
	    MHD_RESPMEM_MUST_COPY);
	jb_free(&j);
	return ret;
}

static enum MHD_Result
metrics(struct MHD_Connection *c)
{
	char *body;
	size_t len;

	if ((body = metrics_render(&len)) == NULL)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(c, MHD_HTTP_OK, CT_METRICS, body, len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static int seen;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		/* At once: the body is never read, MHD closes after. */
		D.http_requests++;
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	}
	/* First call: headers only.  Answering on the second lets MHD keep
	 * the connection alive for the next scrape. */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	D.http_requests++;
	if (strcmp(url, "/metrics") == 0)
		return metrics(c);
	if (strcmp(url, "/health") == 0)
		return health(c);
	return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics or "
	    "/health\n");
}

int
http_start(const char *spec, int any, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_EPOLL;

	if (parse_addr(spec, &ss, &sl, err, errsz) != 0)
		return -1;
	if (!any && !http_is_loopback((struct sockaddr *)&ss)) {
		snprintf(err, errsz, "%s is not a loopback address: add "
		    "--http-any to serve /metrics to the network", spec);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	mhd = MHD_start_daemon(flags, 0, admit, NULL, handler, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, notify, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONN,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)HTTP_MAX_CONN,
	    MHD_OPTION_END);
	if (mhd == NULL) {
		snprintf(err, errsz, "cannot listen on %s: %s", spec,
		    errno ? strerror(errno) : "libmicrohttpd failed");
		return -1;
	}
	if ((di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		MHD_stop_daemon(mhd);
		mhd = NULL;
		snprintf(err, errsz, "libmicrohttpd: no epoll descriptor");
		return -1;
	}
	epfd = di->epoll_fd;
	return 0;
}

int
http_fd(void)
{
	return mhd != NULL ? epfd : -1;
}

void
http_timeout(int *timeout_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (mhd == NULL || MHD_get_timeout(mhd, &t) != MHD_YES)
		return;
	if (t < (MHD_UNSIGNED_LONG_LONG)*timeout_ms)
		*timeout_ms = (int)t;
}

void
http_run(void)
{
	if (mhd != NULL)
		(void)MHD_run(mhd);
}

void
http_stop(void)
{
	if (mhd != NULL)
		MHD_stop_daemon(mhd);
	mhd = NULL;
	epfd = -1;
}
