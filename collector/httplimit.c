/*
 * httplimit.c - the HTTP server's per-address connection limit, counted
 * by "who": every loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z)
 * is one, an IPv6 address counts by its /64, an IPv4 address by itself.
 * libmicrohttpd's own limit counts each address, so a local user could
 * open HTTP_MAX_PER_IP connections from 127.0.0.1, as many from
 * 127.0.0.2, and so on, and take every connection (issue 15, item 8b).
 *
 * http.c asks httplimit_admit() in libmicrohttpd's accept policy callback
 * and counts a connection in (httplimit_add) when libmicrohttpd says it
 * started and out (httplimit_del) when it says it closed.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "http.h"

struct who {
	unsigned char	 k[17];		/* family byte, then the address */
	int		 n;		/* its open connections */
};

static struct who tab[HTTP_MAX_CONN];

int
http_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	static const unsigned char v4mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
	    s6->sin6_addr.s6_addr[12] == 127;
}

static void
key(const struct sockaddr *sa, unsigned char k[17])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	static const unsigned char v4mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(k, 0, 17);
	if (http_is_loopback(sa)) {
		k[0] = 1;
	} else if (sa->sa_family == AF_INET) {
		k[0] = 4;
		memcpy(k + 1, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
	    memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
		k[0] = 4;
		memcpy(k + 1, s6->sin6_addr.s6_addr + 12, 4);
	} else if (sa->sa_family == AF_INET6) {
		k[0] = 6;
		memcpy(k + 1, s6->sin6_addr.s6_addr, 8);	/* the /64 */
	} else
		k[0] = 2;	/* anything else: one group */
}

static struct who *
find(const unsigned char k[17])
{
	int i;

	for (i = 0; i < HTTP_MAX_CONN; i++)
		if (tab[i].n > 0 && memcmp(tab[i].k, k, 17) == 0)
			return &tab[i];
	return NULL;
}

int
httplimit_admit(const struct sockaddr *sa)
{
	unsigned char k[17];
	struct who *w;

	key(sa, k);
	return (w = find(k)) == NULL || w->n < HTTP_MAX_PER_IP;
}

int
httplimit_add(const struct sockaddr *sa)
{
	unsigned char k[17];
	struct who *w;
	int i;

	key(sa, k);
	if ((w = find(k)) == NULL) {
		for (i = 0; i < HTTP_MAX_CONN && tab[i].n > 0; i++)
			;
		if (i == HTTP_MAX_CONN)
			return -1;
		w = &tab[i];
		memcpy(w->k, k, 17);
	}
	w->n++;
	return 0;
}

void
httplimit_del(const struct sockaddr *sa)
{
	unsigned char k[17];
	struct who *w;

	key(sa, k);
	if ((w = find(k)) != NULL)
		w->n--;
}
