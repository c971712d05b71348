/*
 * client.c - find ioshimd and exchange one request/reply with it.
 *
 * Protocol (docs/protocol.md): connect to PATH.ctl (SOCK_STREAM), write
 * one request line ending in "\n", read one reply line: a JSON object,
 * {"error":"..."} on failure.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define REPLY_MAX	(64u << 20)
#define TIMEOUT_MS	30000

int
client_socket_path(const char *opt, char *buf, size_t sz)
{
	const char *e, *run;
	int n;

	if (opt != NULL && *opt != '\0')
		n = snprintf(buf, sz, "%s", opt);
	else if ((e = getenv("IOSHIM_SOCKET")) != NULL && *e != '\0')
		n = snprintf(buf, sz, "%s", e);
	else if (geteuid() == 0)
		n = snprintf(buf, sz, "/run/ioshim/ioshimd.sock");
	else if ((run = getenv("XDG_RUNTIME_DIR")) != NULL && *run != '\0')
		n = snprintf(buf, sz, "%s/ioshim/ioshimd.sock", run);
	else
		return -1;
	return n > 0 && (size_t)n < sz ? 0 : -1;
}

int
client_socket_opt(int argc, char **argv, const char **opt)
{
	int i, o = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			*opt = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--socket=", 9) == 0) {
			*opt = argv[i] + 9;
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return o;
}

static void
nocollector(const char *path, const char *why)
{
	fprintf(stderr, "ioshim: no collector at %s (%s); start one with "
	    "'ioshimd' (or 'systemctl start ioshimd', or 'systemctl --user "
	    "start ioshimd'), or point --socket/IOSHIM_SOCKET at it\n", path,
	    why);
}

/* send(2) with MSG_NOSIGNAL: a collector that refused us ("busy") and
 * closed gives EPIPE, never a SIGPIPE that kills the tool. */
int
client_writeall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
client_request(const char *opt, const char *req, char **reply)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char path[sizeof(sun.sun_path) + 8], *buf = NULL, *nb, *nl;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, werr = 0;

	*reply = NULL;
	if (client_socket_path(opt, path, sizeof(path) - 4) != 0) {
		fprintf(stderr, "ioshim: cannot tell where the collector is: "
		    "set XDG_RUNTIME_DIR or IOSHIM_SOCKET, or use --socket "
		    "PATH\n");
		return -1;
	}
	strcat(path, ".ctl");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		nocollector(path, "path too long");
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EACCES || errno == EPERM)
			fprintf(stderr, "ioshim: the collector at %s refuses "
			    "this user (%s); 'ioshimd --shared' lets every "
			    "user ask it\n", path, strerror(errno));
		else
			nocollector(path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* A write that fails because the collector closed (it said "busy")
	 * still leaves its reply to read. */
	if ((client_writeall(fd, req, strlen(req)) == -1 ||
	    client_writeall(fd, "\n", 1) == -1) && (werr = errno) != EPIPE &&
	    werr != ECONNRESET) {
		nocollector(path, strerror(werr));
		close(fd);
		return -1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			nocollector(path, "no reply in 30 s");
			goto fail;
		}
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 65536 * 2;
			if (cap > REPLY_MAX || (nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "ioshim: reply too large\n");
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			nocollector(path, werr ? strerror(werr) : r == 0 ?
			    "connection closed without a reply" :
			    strerror(errno));
			goto fail;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			break;
		}
	}
	close(fd);
	*reply = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}
