/*
 * execlaim.c - the executable name in a report is the sender's word
 * (issue 15, item 9): any user could report counts under
 * exe=/usr/sbin/rsyslogd, and they showed in root's top by=exe, history
 * exe= and /metrics.  The shim also reports the device and inode of its
 * executable (stat of /proc/self/exe at the image's start; wire.h); the
 * name is taken as it is only when the kernel agrees: /proc/PID/exe of the
 * sender (its pid from SCM_CREDENTIALS, still the process of that start
 * time) is that device and inode and links to that name.  Otherwise (a
 * false claim, an older shim without them, a process already gone or
 * that exec'd another program, a collector that may not look) the name
 * is stored marked "[uid=U,unverified]NAME": it never mixes with the
 * real program's rows, nor with another uid's, in any reply or series.
 * Names from administrators (root, the collector's uid) are taken as
 * they are: they own the database anyway.  docs/collector.md, "Security
 * model".
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "execlaim.h"
#include "ubound.h"

/* 1 when /proc/PID/exe is dev and ino, named exe (cut as the shim cuts). */
static int
confirmed(pid_t pid, uint64_t start_ticks, const char *exe, uint64_t dev,
    uint64_t ino)
{
	char path[64], link[IW_EXE_MAX];
	struct statx x;
	uint64_t t;
	ssize_t n;

	if (dev == 0 && ino == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	/*
	 * The attributes the kernel has (AT_STATX_DONT_SYNC): a program on
	 * a FUSE file system of the sender's must not make the collector
	 * wait for its server.  The shim encodes the device the same way.
	 */
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &x) != 0 ||
	    (uint64_t)makedev(x.stx_dev_major, x.stx_dev_minor) != dev ||
	    x.stx_ino != ino)
		return 0;
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return 0;
	link[n] = '\0';
	if (strcmp(link, exe) != 0)
		return 0;
	/* Still the process that sent it (not a reused pid). */
	return proc_start_ticks(pid, &t) == 0 && t == start_ticks;
}

int
exe_decide(char out[IW_EXE_MAX], pid_t pid, uid_t uid, uint64_t start_ticks,
    const char *exe, uint64_t dev, uint64_t ino)
{
	int n;

	if (ub_admin(uid) || confirmed(pid, start_ticks, exe, dev, ino)) {
		snprintf(out, IW_EXE_MAX, "%s", exe);
		return 1;
	}
	n = snprintf(out, IW_EXE_MAX, EXE_UNVERIFIED, (unsigned)uid);
	if (n > 0 && n < IW_EXE_MAX)
		snprintf(out + n, (size_t)(IW_EXE_MAX - n), "%s", exe);
	return 0;
}
