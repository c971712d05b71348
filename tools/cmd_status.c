/*
 * cmd_status.c - "ioshim status": which systemd units have the drop-in
 * "ioshim enable" wrote, which running processes have libioshim.so
 * mapped (/proc/PID/maps: loaded, not merely named in LD_PRELOAD), and
 * whether each reaches a collector: one of its sockets is connected to
 * a socket bound to a path (the kernel's sock_diag table of Unix
 * sockets, their names and peers: the collector's ingest socket).
 * Processes we may not read (another user's, without root) are counted.
 * First: whether the whole machine has it, through /etc/ld.so.preload.
 */
#include <err.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "ioshim.h"

#define MARK	"# written by ioshim enable"

struct usock {
	unsigned	ino, peer;
	char		name[108];
};

static struct usock *socks;
static size_t nsocks;

static int
by_ino(const void *a, const void *b)
{
	unsigned x = ((const struct usock *)a)->ino, y = ((const struct usock *)b)->ino;

	return x < y ? -1 : x > y;
}

static const struct usock *
sock_of(unsigned ino)
{
	struct usock k = { .ino = ino };

	return nsocks ? bsearch(&k, socks, nsocks, sizeof(k), by_ino) : NULL;
}

static void
add_sock(const struct unix_diag_msg *m, size_t len)
{
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	struct usock *s;
	int n = (int)len;

	if ((nsocks & 1023) == 0 &&
	    (socks = reallocarray(socks, nsocks + 1024, sizeof(*socks))) == NULL)
		err(1, "reallocarray");
	s = &socks[nsocks++];
	memset(s, 0, sizeof(*s));
	s->ino = m->udiag_ino;
	for (; RTA_OK(a, n); a = RTA_NEXT(a, n)) {
		size_t l = RTA_PAYLOAD(a);

		if (a->rta_type == UNIX_DIAG_PEER && l >= 4)
			memcpy(&s->peer, RTA_DATA(a), 4);
		else if (a->rta_type == UNIX_DIAG_NAME && l > 0) {
			if (l >= sizeof(s->name))
				l = sizeof(s->name) - 1;
			memcpy(s->name, RTA_DATA(a), l);
			if (s->name[0] == '\0')
				s->name[0] = '@';	/* abstract */
		}
	}
}

/* Every Unix socket with its name and peer; 0 when the table was read. */
static int
load_socks(void)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	r;
	} req;
	static char buf[32768];
	struct nlmsghdr *h;
	ssize_t n;
	int fd, done = 0;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		close(fd);
		return -1;
	}
	while (!done && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = h->nlmsg_type == NLMSG_DONE ? 1 : -1;
				break;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
				add_sock(NLMSG_DATA(h), h->nlmsg_len -
				    NLMSG_LENGTH(sizeof(struct unix_diag_msg)));
		}
	}
	close(fd);
	if (done != 1)
		return -1;
	qsort(socks, nsocks, sizeof(*socks), by_ino);
	return 0;
}

/* 1 when PID has libioshim.so mapped, 0 not, -1 unreadable. */
static int
shimmed(const char *pid)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;
	int yes = 0;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if ((f = fopen(path, "r")) == NULL)
		return errno == EACCES || errno == EPERM ? -1 : 0;	/* or gone */
	while (!yes && fgets(line, sizeof(line), f) != NULL)
		yes = strstr(line, "/libioshim.so") != NULL;
	fclose(f);
	return yes;
}

/* The path of the bound socket one of PID's sockets is connected to. */
static const char *
collector_of(const char *pid)
{
	char dir[64], path[PATH_MAX], link[64];
	const struct usock *s, *p;
	struct dirent *e;
	unsigned ino;
	ssize_t n;
	DIR *d;
	const char *found = NULL;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while (found == NULL && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%u]", &ino) != 1)
			continue;
		if ((s = sock_of(ino)) == NULL || s->peer == 0 || s->name[0])
			continue;
		if ((p = sock_of(s->peer)) != NULL && p->name[0] == '/')
			found = p->name;
	}
	closedir(d);
	return found;
}

static void
list_units(const char *root, int user)
{
	char dir[PATH_MAX], pat[PATH_MAX + 32], line[128];
	glob_t g;
	size_t i;
	int n = 0;

	/* "x" as the unit: its directory's parent is the place to look */
	if (dropin_dir(dir, sizeof(dir), root, user, "x") != 0)
		return;
	*strrchr(dir, '/') = '\0';
	snprintf(pat, sizeof(pat), "%s/*.d/ioshim.conf", dir);
	printf("%s units with the ioshim drop-in (%s):\n", user ? "user" : "system", dir);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			FILE *f = fopen(g.gl_pathv[i], "r");
			char *u, *end;

			if (f == NULL)
				continue;
			*line = '\0';
			(void)!fgets(line, sizeof(line), f);
			fclose(f);
			if (strncmp(line, MARK, strlen(MARK)) != 0)
				continue;
			u = g.gl_pathv[i] + strlen(dir) + 1;
			end = strstr(u, ".d/ioshim.conf");
			printf("  %.*s\n", (int)(end - u), u);
			n++;
		}
	}
	globfree(&g);
	if (n == 0)
		printf("  (none)\n");
}

static void
list_procs(void)
{
	char comm[64], path[300];
	struct dirent *e;
	const char *c;
	int n = 0, reach = 0, hidden = 0, s;
	DIR *d;
	FILE *f;

	if (load_socks() != 0)
		warnx("cannot read the kernel's Unix socket table: collector unknown");
	if ((d = opendir("/proc")) == NULL)
		err(1, "/proc");
	printf("shimmed processes (libioshim.so mapped):\n");
	printf("  %-8s %-16s %s\n", "PID", "COMMAND", "COLLECTOR");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if ((s = shimmed(e->d_name)) < 0)
			hidden++;
		if (s <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		*comm = '\0';
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) != NULL)
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		c = collector_of(e->d_name);
		printf("  %-8s %-16s %s\n", e->d_name, comm, c ? c : "-");
		n++;
		reach += c != NULL;
	}
	closedir(d);
	printf("%d shimmed, %d reach a collector", n, reach);
	if (hidden)
		printf("; %d processes not readable (root sees all)", hidden);
	printf("\n");
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", no_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "";
	int c, user = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = 1; break;
		case 'r':
			if (optarg[0] != '/')
				errx(2, "--root wants an absolute path");
			root = strcmp(optarg, "/") == 0 ? "" : optarg;
			break;
		case 'h':
			printf("usage: ioshim status [--user] [--root DIR]\n\n"
			    "Says whether /etc/ld.so.preload names libioshim.so (the whole\n"
			    "machine), lists the units with the drop-in 'ioshim enable' wrote (--user:\n"
			    "the user's units too) and the running processes with libioshim.so\n"
			    "loaded, each with the collector socket it is connected to.\n");
			return 0;
		default:
			warnx("status: bad option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		warnx("status: unexpected '%s'", argv[optind]);
		return 2;
	}
	machine_status(root);
	list_units(root, 0);
	if (user)
		list_units(root, 1);
	list_procs();
	return 0;
}
