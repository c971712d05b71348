/*
 * dbfile.c - the database file deleted or replaced while ioshimd runs.
 *
 * SQLite writes through its open descriptors: if the file is unlinked
 * (rm) or another file is put at its path (an administrator restoring a
 * backup, mv), the collector would go on writing to a file no name leads
 * to, and everything, before and after, is gone with its last descriptor.
 * So the store keeps a descriptor of its own (dbfile_watch) and compares,
 * before every window and for health (dbfile_check): the device and inode
 * at the path (none: db_unlinked; another file: db_replaced), and the
 * file's link count (whether it has a name left anywhere).  Once it is gone, the next
 * window first saves everything the collector holds (dbfile_recover): the
 * staged windows are stored, SQLite's backup API copies the open database
 * into PATH.recovered-YYYYmmdd-HHMMSS (a new file, O_EXCL: nothing that
 * exists is ever overwritten, least of all a file that replaced the
 * database), and the collector goes on with that copy as its database.
 * The old connection is closed without SQLite deleting "PATH-wal" and
 * "PATH-shm" by name (they may belong to the replacement); they are
 * removed only if they are still the very files this collector opened (a
 * stale WAL next to a replacement would be applied to it).  Until the copy
 * is made, windows are kept in memory.  Health says so all along
 * (db_unlinked, failing; db_replaced, degraded once saved); the steps for
 * the administrator are in docs/collector.md, "The database file".
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_impl.h"

/* dev and ino of path, or 0 and 0. */
static void
ident(const char *path, const char *suffix, dev_t *dev, ino_t *ino)
{
	char p[4200];
	struct stat sb;

	*dev = 0;
	*ino = 0;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
		*dev = sb.st_dev;
		*ino = sb.st_ino;
	}
}

int
dbfile_watch(struct store *s, const char *path)
{
	struct stat sb;

	if ((s->dbfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(s->dbfd, &sb) == -1) {
		logx(LOG_ERR, "database %s: %s", path, strerror(errno));
		return -1;
	}
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	ident(path, "-wal", &s->wal_dev, &s->wal_ino);
	ident(path, "-shm", &s->shm_dev, &s->shm_ino);
	return 0;
}

void
dbfile_unwatch(struct store *s)
{
	if (s->dbfd != -1)
		close(s->dbfd);
	s->dbfd = -1;
}

int
dbfile_check(struct store *s, time_t now)
{
	struct stat fsb, psb;
	int g = 0;

	if (s->dbfd == -1 || s->recover || fstat(s->dbfd, &fsb) == -1)
		return s->recover;
	if (stat(s->path, &psb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			g = GONE_UNLINKED;
	} else if (psb.st_dev != fsb.st_dev || psb.st_ino != fsb.st_ino)
		g = GONE_REPLACED;
	if (g == 0 && fsb.st_nlink == 0)
		g = GONE_UNLINKED;	/* (a file system that lies) */
	if (g == 0)
		return 0;
	s->gone = g;
	s->recover = 1;
	s->gone_since = now;
	s->gone_err[0] = '\0';
	logx(LOG_ERR, "database %s was %s while ioshimd ran (the file it "
	    "writes has %s): saving what it holds to a new file at the next "
	    "window", s->path, g == GONE_UNLINKED ? "deleted" :
	    "replaced by another file", fsb.st_nlink == 0 ? "no name left" :
	    "another name");
	return 1;
}

/* Remove path+suffix if it is still the file (dev, ino) we opened;
 * ino 0: any (a file only we can have made). */
static void
remove_ours(const char *path, const char *suffix, dev_t dev, ino_t ino)
{
	char p[4200];
	dev_t d;
	ino_t i;

	ident(path, suffix, &d, &i);
	if (i == 0 || (ino != 0 && (d != dev || i != ino)))
		return;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (unlink(p) == 0 && ino != 0)
		logx(LOG_NOTICE, "removed %s, the old database's own", p);
}

/* A new file PATH.recovered-YYYYmmdd-HHMMSS[-N], created (O_EXCL) empty;
 * its name in out, or -1. */
static int
new_file(const char *path, time_t now, char *out, size_t sz)
{
	struct tm tm;
	size_t base;
	int fd, n;

	localtime_r(&now, &tm);
	snprintf(out, sz, "%s.recovered-", path);
	base = strlen(out);
	strftime(out + base, sz - base, "%Y%m%d-%H%M%S", &tm);
	base = strlen(out);
	for (n = 1; n < 1000; n++) {
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
		snprintf(out + base, sz - base, "-%d", n);
	}
	errno = EEXIST;
	return -1;
}

/* Copy the open database into the empty file name; 0 ok. */
static int
copy(struct store *s, const char *name)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if ((rc = sqlite3_open_v2(name, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK)
		goto out;
	if ((b = sqlite3_backup_init(dst, "main", s->db, "main")) == NULL) {
		rc = sqlite3_errcode(dst);
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	(void)sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
out:
	if (rc != SQLITE_OK)
		snprintf(s->gone_err, sizeof(s->gone_err), "copying: %s",
		    dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_OK) {
		snprintf(s->gone_err, sizeof(s->gone_err), "closing the copy");
		rc = SQLITE_ERROR;
	}
	return rc == SQLITE_OK ? 0 : -1;
}

int
dbfile_recover(struct store *s, time_t now)
{
	sqlite3_stmt *ost[NSTMT];
	sqlite3 *odb;
	char name[4200], *opath, *npath;
	dev_t wdev = s->wal_dev, sdev = s->shm_dev;
	ino_t wino = s->wal_ino, sino = s->shm_ino;
	int ofd, one = 1, i;

	if (store_commit_staged(s) != 0) {
		snprintf(s->gone_err, sizeof(s->gone_err), "storing the staged "
		    "windows: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (new_file(s->conf_path, now, name, sizeof(name)) != 0) {
		snprintf(s->gone_err, sizeof(s->gone_err), "creating the copy: "
		    "%s", strerror(errno));
		return -1;
	}
	if (copy(s, name) != 0 || (npath = strdup(name)) == NULL) {
		if (s->gone_err[0] == '\0')
			snprintf(s->gone_err, sizeof(s->gone_err), "%s",
			    strerror(ENOMEM));
		(void)unlink(name);	/* ours: created above, unfinished */
		return -1;
	}
	/* Open the copy; the old connection stays until that worked. */
	odb = s->db;
	memcpy(ost, s->st, sizeof(ost));
	ofd = s->dbfd;
	s->db = NULL;
	memset(s->st, 0, sizeof(s->st));
	s->dbfd = -1;
	if (store_attach(s, npath, 0) != 0) {
		s->db = odb;
		memcpy(s->st, ost, sizeof(ost));
		s->dbfd = ofd;
		/* Ours, and the old connection still holds it all: gone, so
		 * that retries do not pile copies up. */
		snprintf(s->gone_err, sizeof(s->gone_err), "cannot open the "
		    "copy (removed; tried again next window)");
		(void)unlink(npath);
		remove_ours(npath, "-wal", 0, 0);
		remove_ours(npath, "-shm", 0, 0);
		free(npath);
		return -1;
	}
	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(ost[i]);
	(void)sqlite3_file_control(odb, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	sqlite3_close(odb);
	close(ofd);		/* after the close: see store_detach() */
	opath = s->path;
	if (wino != 0)
		remove_ours(opath, "-wal", wdev, wino);
	if (sino != 0)
		remove_ours(opath, "-shm", sdev, sino);
	s->path = npath;
	free(s->recovered);
	s->recovered = strdup(npath);
	s->recover = 0;
	s->gone_err[0] = '\0';
	logx(LOG_ERR, "database %s was %s: everything ioshimd held is in %s, "
	    "and it goes on there (docs/collector.md, \"The database file\")",
	    opath, s->gone == GONE_UNLINKED ? "deleted" : "replaced", npath);
	free(opath);
	return 0;
}

void
dbfile_reasons(const struct store *s, struct jbuf *j, int full)
{
	if (s->gone == 0)
		return;
	jb_key(j, s->gone == GONE_UNLINKED ? "db_unlinked" : "db_replaced");
	jb_obj(j);
	jb_kstr(j, "severity", s->gone == GONE_UNLINKED || s->recover ?
	    "failing" : "degraded");
	jb_ki64(j, "since", s->gone_since);
	jb_kbool(j, "saved", !s->recover);
	if (full) {
		jb_kstr(j, "path", s->conf_path);
		if (s->recovered != NULL)
			jb_kstr(j, "recovered_to", s->recovered);
		if (s->gone_err[0] != '\0')
			jb_kstr(j, "detail", s->gone_err);
	}
	jb_endobj(j);
}
