/*
 * safedir.c - refuse a directory for the collector's files that another
 * user could change.
 *
 * ioshimd runs as root (or as a user, for the user unit) and creates,
 * removes and writes files by name in the directories of its sockets,
 * pidfile and database.  In a directory another user can write, that user
 * could plant a symlink at the pidfile's name (root would write through it
 * into any file), swap the sockets, or put files where the database,
 * its -wal and -shm and a recovered copy are written.  So the directory
 * must belong to the collector's user or root and be writable by no one
 * else, and every directory above it must belong to the collector's user
 * or root and be writable by others only if it is sticky (/tmp: others
 * cannot rename or remove what they do not own).  Symlinks in the path are
 * resolved first and the real directories checked; the caller then uses
 * the resolved directory, so a symlink that changes later does not matter.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "safedir.h"

static int
owned(const struct stat *sb, uid_t euid)
{
	return sb->st_uid == euid || sb->st_uid == 0;
}

int
safedir_check(const char *path, uid_t euid, char *dir, char *why,
    size_t whysz)
{
	char buf[PATH_MAX], *p;
	struct stat sb;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		snprintf(why, whysz, "path too long");
		return -1;
	}
	if ((p = strrchr(buf, '/')) == NULL)
		strlcpy(buf, ".", sizeof(buf));
	else if (p == buf)
		buf[1] = '\0';
	else
		*p = '\0';
	if (realpath(buf, dir) == NULL) {
		snprintf(why, whysz, "%s: %s", buf, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1) {
		snprintf(why, whysz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(why, whysz, "%s is not a directory", dir);
		return -1;
	}
	if (!owned(&sb, euid)) {
		snprintf(why, whysz, "%s belongs to uid %u, not to uid %u or "
		    "root", dir, (unsigned)sb.st_uid, (unsigned)euid);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whysz, "%s is writable by %s (mode %04o)", dir,
		    sb.st_mode & S_IWOTH ? "others" : "its group",
		    (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	/* The directories above it. */
	strlcpy(buf, dir, sizeof(buf));
	while ((p = strrchr(buf, '/')) != NULL && buf[1] != '\0') {
		if (p == buf)
			p[1] = '\0';
		else
			*p = '\0';
		if (stat(buf, &sb) == -1) {
			snprintf(why, whysz, "%s: %s", buf, strerror(errno));
			return -1;
		}
		if (!owned(&sb, euid)) {
			snprintf(why, whysz, "%s (above %s) belongs to uid %u, "
			    "not to uid %u or root", buf, dir,
			    (unsigned)sb.st_uid, (unsigned)euid);
			return -1;
		}
		if ((sb.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(sb.st_mode & S_ISVTX)) {
			snprintf(why, whysz, "%s (above %s) is writable by "
			    "others and not sticky (mode %04o)", buf, dir,
			    (unsigned)(sb.st_mode & 07777));
			return -1;
		}
	}
	return 0;
}
