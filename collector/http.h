/*
 * http.h - the optional HTTP endpoint of ioshimd (--http ADDR:PORT):
 * GET /health and GET /metrics, served by libmicrohttpd from the
 * collector's own poll loop (no threads).  See http.c.
 */
#ifndef IOSHIMD_HTTP_H
#define IOSHIMD_HTTP_H

#include <poll.h>

/*
 * Bind and listen on spec ("127.0.0.1:9101", "[::1]:9101",
 * "localhost:9101").  Addresses that are not loopback are refused unless
 * any is set.  0 ok; -1 with a message in err.
 */
int	http_start(const char *spec, int any, char *err, size_t errsz);
/* The descriptor to poll for input (-1 if the server is off). */
int	http_fd(void);
/* Shorten *timeout_ms to the server's next connection timeout. */
void	http_timeout(int *timeout_ms);
/* Do all pending work (accept, read, answer, time out); never blocks. */
void	http_run(void);
void	http_stop(void);

/* httplimit.c: connections counted per address, loopback as one. */
struct sockaddr;
int	http_is_loopback(const struct sockaddr *);
int	httplimit_admit(const struct sockaddr *);	/* 1: may connect */
int	httplimit_add(const struct sockaddr *);		/* -1: table full */
void	httplimit_del(const struct sockaddr *);

/* Limits (documented in docs/collector.md). */
#define HTTP_MAX_CONN		32	/* connections at once */
#define HTTP_MAX_PER_IP		16	/* of them from one address: every
					   loopback one counts as one, IPv6
					   by its /64 (httplimit.c) */
#define HTTP_TIMEOUT_S		10	/* idle connection closed after */
#define HTTP_CONN_MEMORY	16384	/* request line + headers per conn */

#endif
