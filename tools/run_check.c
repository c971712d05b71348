/*
 * run_check.c - before "ioshim run" starts its command: can the counts
 * reach where they are meant to go?  The shim says nothing when it cannot
 * send to the collector or write the exit report, so we look first and
 * say in one line on stderr what will not be recorded and why.  The
 * command runs either way.
 *
 * The collector's socket is tried as the shim will use it (a datagram
 * socket connected to the path).  An explicitly named socket
 * (IOSHIM_SOCKET, --socket) that does not work gets the line; the default
 * path gets it only when a collector is there but refuses this user (no
 * collector at the default path is normal).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ioshim.h"

static void
say(const char *what, const char *path, const char *why)
{
	fprintf(stderr, "ioshim: %s: %s: %s\n", what, path, why);
}

static void
check_socket(void)
{
	static const char what[] = "counts will not reach the collector";
	struct sockaddr_un sun;
	struct stat st;
	const char *env = getenv("IOSHIM_SOCKET");
	char path[sizeof(sun.sun_path) + 8];
	int explicit = env != NULL && *env != '\0', fd, e;

	if (client_socket_path(NULL, path, sizeof(path)) != 0)
		return;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		if (explicit)
			say(what, path, "path too long for a socket");
		return;
	}
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		if (explicit)
			say(what, path, "not a socket");
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		say(what, path, strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return;
	}
	e = errno;
	close(fd);
	switch (e) {
	case EACCES:
	case EPERM:
		say(what, path, "permission denied: a collector is there, but "
		    "this user may not send to it (ioshimd --shared lets every "
		    "user send)");
		break;
	case ECONNREFUSED:
		if (explicit)
			say(what, path, "no collector listens there");
		break;
	case EPROTOTYPE:
		if (explicit)
			say(what, path, "not the collector's ingest socket");
		break;
	default:
		if (explicit)
			say(what, path, strerror(e));
		break;
	}
}

static void
check_report(void)
{
	static const char what[] = "no exit report will be written";
	const char *path = getenv("IOSHIM_REPORT");
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (path == NULL || *path == '\0')
		return;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			say(what, path, "not a regular file");
		else if (access(path, W_OK) != 0)
			say(what, path, strerror(errno));
		return;
	}
	if (errno != ENOENT) {
		say(what, path, strerror(errno));
		return;
	}
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		say(what, path, "path too long");
		return;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0)
		say(what, path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		say(what, path, "its directory is not a directory");
	else if (access(dir, W_OK | X_OK) != 0)
		say(what, path, strerror(errno));
}

void
run_check(void)
{
	check_socket();
	check_report();
}
