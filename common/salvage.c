/*
 * salvage.c - writes the held bytes of a killed writer's spill files
 * (common/spill.h) to the files they belong to, exactly once.
 *
 * A spill is salvaged only when its writer is gone: no process with its
 * pid and start time lives (a stopped process is alive: its bytes wait),
 * and only from our own PID namespace (from another, a pid says nothing).
 * A spill is claimed in its header (a compare-and-swap on the shared
 * mapping: of two salvagers one wins, and a claim whose salvager is gone
 * is taken over), its header is checked against the file's size, and the
 * bytes still to write are read from its phase; after each write the
 * header records how far the salvage got, so a salvager killed midway is
 * followed by one that goes on from there (a kill between a write and
 * its record writes that piece twice).  A flush the writer was making
 * when it died may have put some of its bytes in the file: they are
 * looked for after the size the file had before that flush, and skipped
 * when found.
 *
 * The target is opened O_WRONLY|O_APPEND|O_NOFOLLOW, never created, a
 * regular file only, and as the spill's owner (a child that takes the
 * owner's file-system ids when we are root and the owner is not).  When
 * the path now names another file (logrotate renamed it), the file the
 * bytes belong to is looked for by inode in the same directory; when it
 * is gone, the bytes go to the path, and the report says so.
 */
#include <dirent.h>
#include <stdarg.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "salvage.h"
#include "spill.h"

/*
 * Built twice: into ioshim (tools/salvage_cli.c) with libc's calls, and
 * into the shim (shim/salvage_shim.c, SALVAGE_IN_SHIM) with the real
 * functions behind the shim's wrappers, so its own opens and writes are
 * neither counted nor coalesced.  The shim salvages only its own user's
 * spills and says nothing (it counts).
 */
#ifdef SALVAGE_IN_SHIM
#define SV_OPEN(p, f)		real.open(p, f)
#define SV_OPENAT(d, p, f)	real.openat(d, p, f)
#define SV_READ			real.read
#define SV_PREAD		real.pread
#define SV_WRITE		real.write
#define SV_CLOSE		real.close
#define SV_FSTAT		real.fstat
#define SV_STAT			real.stat
#define SV_RENAMEAT		real.renameat
#define SV_UNLINKAT		real.unlinkat
#else
#define SV_OPEN			open
#define SV_OPENAT		openat
#define SV_READ			read
#define SV_PREAD		pread
#define SV_WRITE		write
#define SV_CLOSE		close
#define SV_FSTAT		fstat
#define SV_STAT			stat
#define SV_RENAMEAT		renameat
#define SV_UNLINKAT		unlinkat
#endif

/* A line for whoever runs the salvage (ioshim prints it). */
static void
note(const struct salvage_stats *ss, const char *fmt, ...)
{
	char line[SP_PATH_MAX + 1024];
	va_list ap;

	if (ss->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ss->say(line);
}

#define SCAN_MAX	(64u << 20)	/* of a target, looked at after flush_pre */
#define PROBE		64		/* bytes of a flush looked for */

/* Our own PID namespace's inode. */
static unsigned long long
my_pidns(void)
{
	struct stat st;

	return SV_STAT("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* The start time of a live process (not a zombie), 0 when none. */
static unsigned long long
start_of(int pid)
{
	char path[64], buf[1024], *p;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = SV_OPEN(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = SV_READ(fd, buf, sizeof(buf) - 1);
	SV_CLOSE(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	if (p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

/*
 * Does the process (pid, start time) still live?  A writer that could not
 * read its own start time (qemu-user's /proc/self/stat has none) lives
 * as long as its pid does: pid reuse then keeps its bytes waiting.
 */
static int
alive(int pid, unsigned long long start)
{
	if (pid <= 0)
		return 0;
	return start == 0 ? start_of(pid) != 0 : start_of(pid) == start;
}

/*
 * How many of the first n bytes of d the file fd already holds after
 * offset pre: where the flush's first bytes are found (or the file ends
 * with a prefix of them), the length that matches there.
 */
static size_t
already_written(int fd, uint64_t pre, const char *d, size_t n)
{
	struct stat st;
	char *buf, *hit;
	size_t len, k, m;
	ssize_t r;

	if (n == 0 || SV_FSTAT(fd, &st) != 0 || (uint64_t)st.st_size <= pre)
		return 0;
	len = (uint64_t)st.st_size - pre > SCAN_MAX ? SCAN_MAX :
	    (size_t)((uint64_t)st.st_size - pre);
	if ((buf = malloc(len)) == NULL)
		return 0;
	r = SV_PREAD(fd, buf, len, (off_t)pre);
	if (r <= 0) {
		free(buf);
		return 0;
	}
	len = (size_t)r;
	m = n < PROBE ? n : PROBE;
	k = 0;
	if ((hit = memmem(buf, len, d, m)) != NULL) {
		while (k < n && hit + k < buf + len && hit[k] == d[k])
			k++;
	} else {
		/* cut short inside its first bytes, at the end of the file */
		for (k = m < len ? m - 1 : len; k > 0; k--)
			if (memcmp(buf + len - k, d, k) == 0)
				break;
	}
	free(buf);
	return k;
}

/* Open the file the bytes belong to; *how says which was found. */
static int
open_target(const struct spill_hdr *h, const char **how, char *found, size_t fsz)
{
	struct stat st;
	struct dirent *e;
	char dir[SP_PATH_MAX], *slash;
	DIR *d;
	int fd;

	fd = SV_OPEN(h->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && SV_FSTAT(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_dev == h->dev && (uint64_t)st.st_ino == h->ino) {
		*how = "its file";
		snprintf(found, fsz, "%s", h->path);
		return fd;
	}
	/* renamed (rotated): the same inode in the same directory */
	snprintf(dir, sizeof(dir), "%s", h->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((d = opendir(dir)) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if ((uint64_t)e->d_ino != h->ino)
					continue;
				snprintf(found, fsz, "%s/%s", dir, e->d_name);
				int f2 = SV_OPEN(found, O_WRONLY | O_APPEND | O_NOFOLLOW |
				    O_CLOEXEC | O_NONBLOCK);
				if (f2 >= 0 && SV_FSTAT(f2, &st) == 0 &&
				    S_ISREG(st.st_mode) && (uint64_t)st.st_dev == h->dev &&
				    (uint64_t)st.st_ino == h->ino) {
					closedir(d);
					if (fd >= 0)
						SV_CLOSE(fd);
					*how = "its file, renamed";
					return f2;
				}
				if (f2 >= 0)
					SV_CLOSE(f2);
			}
			closedir(d);
		}
	}
	if (fd >= 0 && SV_FSTAT(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		*how = "the path (its own file is gone)";
		snprintf(found, fsz, "%s", h->path);
		return fd;
	}
	if (fd >= 0)
		SV_CLOSE(fd);
	return -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = SV_WRITE(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Append the held bytes of the spill (its contents in s, size bytes) as
 * the current user; 0 done, -1 nothing written (msg says why).
 */
static int
append_held(char *s, size_t size, char *msg, size_t msz, size_t *out)
{
	struct spill_hdr *h = (void *)s;
	const char *data = s + SP_HDR, *how = "";
	uint64_t lp = __atomic_load_n(&h->lp, __ATOMIC_ACQUIRE);
	uint32_t len = SP_LEN(lp), done, moved;
	char found[SP_PATH_MAX + 256];
	/* the bytes to write: at most two pieces of data */
	struct { const char *p; size_t n; } seg[2] = { { data, len }, { data, 0 } };
	size_t skip = 0, k, at, i, from;
	int fd, rc = 0;

	(void)size;
	if ((fd = open_target(h, &how, found, sizeof(found))) < 0) {
		snprintf(msg, msz, "no regular file to append to at %s: kept", h->path);
		return -1;
	}
	switch (SP_PHASE(lp)) {
	case SP_WRITING:
		/* a salvager before us may have written some: not looked for */
		if (h->salvaged == 0)
			skip = already_written(fd, h->flush_pre, data,
			    h->flush_n < len ? h->flush_n : len);
		seg[0].p = data + skip;
		seg[0].n = len - skip;
		break;
	case SP_MOVING:
		done = h->done;
		moved = h->moved;
		if (done > len || moved > len - done) {
			SV_CLOSE(fd);
			snprintf(msg, msz, "inconsistent header: kept");
			return -1;
		}
		seg[0].n = moved;
		seg[1].p = data + done + moved;
		seg[1].n = len - done - moved;
		break;
	}
	/*
	 * From where a salvager before us (killed) stopped, 4 KiB a write,
	 * each recorded: a kill between a write and its record repeats at
	 * most that piece.
	 */
	for (i = 0, at = 0, k = 0; i < 2 && rc == 0; i++) {
		from = h->salvaged > at ? (size_t)(h->salvaged - at) : 0;
		while (rc == 0 && from < seg[i].n) {
			size_t piece = seg[i].n - from < 4096 ? seg[i].n - from : 4096;

			rc = write_all(fd, seg[i].p + from, piece);
			if (rc == 0) {
				k += piece;
				from += piece;
				__atomic_store_n(&h->salvaged, at + from,
				    __ATOMIC_RELEASE);
			}
		}
		at += seg[i].n;
	}
	*out = k;
	SV_CLOSE(fd);
	if (rc != 0) {
		snprintf(msg, msz, "writing to %s: %s: kept", found, strerror(errno));
		return -1;
	}
	snprintf(msg, msz, "%zu bytes to %s (%s)%s", k, found, how,
	    skip ? ", a flush found half done" : "");
	(void)at;
	return 0;
}

#ifdef SALVAGE_IN_SHIM
#define append_as(uid, gid, s, size, msg, msz, out) \
	append_held(s, size, msg, msz, out)
#else
/* As the spill's owner, in a child, when we are root and it is not. */
static int
append_as(uid_t uid, gid_t gid, char *s, size_t size, char *msg,
    size_t msz, size_t *out)
{
	struct passwd *pw;
	int pfd[2], st;
	pid_t pid;
	ssize_t r;

	if (geteuid() != 0 || uid == 0)
		return append_held(s, size, msg, msz, out);
	if (pipe(pfd) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		SV_CLOSE(pfd[0]);
		pw = getpwuid(uid);
		if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) != 0 ||
		    setfsgid(gid) < 0 || setfsuid(uid) < 0 || setfsuid(uid) != (int)uid)
			_exit(3);
		st = append_held(s, size, msg, msz, out);
		(void)!SV_WRITE(pfd[1], out, sizeof(*out));
		(void)!SV_WRITE(pfd[1], msg, strlen(msg) + 1);
		_exit(st == 0 ? 0 : 1);
	}
	SV_CLOSE(pfd[1]);
	r = SV_READ(pfd[0], out, sizeof(*out));
	if (r == (ssize_t)sizeof(*out))
		(void)!SV_READ(pfd[0], msg, msz - 1);
	msg[msz - 1] = '\0';
	SV_CLOSE(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
#endif

/*
 * Claim the spill: its claim word goes from a salvager that is gone (or
 * none) to us, with a compare-and-swap on the shared mapping.
 */
static int
claim(struct spill_hdr *h)
{
	uint64_t c = __atomic_load_n(&h->claim_pid, __ATOMIC_ACQUIRE);
	uint64_t me = (uint64_t)getpid(), s;

	if (c != 0) {
		/* its start is written just after its claim: until then, a
		 * claimer that exists at all is taken to be alive */
		s = __atomic_load_n(&h->claim_start, __ATOMIC_ACQUIRE);
		if (s == 0 ? start_of((int)c) != 0 : alive((int)c, s))
			return 0;	/* another salvager is at it */
	}
	if (!__atomic_compare_exchange_n(&h->claim_pid, &c, me, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	__atomic_store_n(&h->claim_start, start_of((int)me), __ATOMIC_RELEASE);
	return 1;
}

/*
 * A spill that cannot be salvaged (its file is gone, or its header is
 * not one this version knows) is set aside in DIR/kept, where the shim's
 * own salvage does not look again at every start and `ioshim salvage`
 * still does.
 */
static void
set_aside(int dfd, const char *name, const struct salvage_stats *ss)
{
	char to[512];

	if (!ss->aside)
		return;
	(void)mkdirat(dfd, "kept", 0700);
	snprintf(to, sizeof(to), "kept/%s", name);
	(void)SV_RENAMEAT(dfd, name, dfd, to);
}

/* Salvage one spill file; see salvage.h. */
static void
one(int dfd, const char *dir, const char *name, int dry, struct salvage_stats *ss,
    unsigned long long ns)
{
	struct spill_hdr *h;
	struct stat st;
	char msg[SP_PATH_MAX + 512];
	char *s;
	size_t out = 0;
	int fd;

	fd = SV_OPENAT(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	if (SV_FSTAT(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)SP_HDR ||
	    st.st_size > (off_t)SP_HDR + (1 << 26) ||
	    ((ss->own_only || geteuid() != 0) && st.st_uid != geteuid()) ||
	    (s = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		SV_CLOSE(fd);
		return;
	}
	SV_CLOSE(fd);
	h = (void *)s;
	ss->found++;
	if (memcmp(h->magic, "\0\0\0\0\0\0\0\0", sizeof(h->magic)) == 0) {
		/*
		 * Being made (the header comes right after the file), or its
		 * writer died then: it holds nothing.  Removed once old.
		 */
		if (!dry && st.st_mtime + 60 < time(NULL))
			SV_UNLINKAT(dfd, name, 0);
		ss->alive++;
		goto out;
	}
	/* the file may be larger than cap: killed while growing it */
	if (memcmp(h->magic, SP_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != SP_VERSION || h->hdr_size != SP_HDR ||
	    h->cap > (uint64_t)st.st_size - SP_HDR ||
	    SP_LEN(h->lp) > h->cap || h->path[SP_PATH_MAX - 1] != '\0') {
		note(ss, "%s/%s: not a spill this version knows: kept", dir, name);
		if (!dry)
			set_aside(dfd, name, ss);
		ss->kept++;
	} else if (ns != 0 && h->pidns != ns) {
		note(ss, "%s/%s: writer %d is in another PID namespace: not judged",
		    dir, name, h->pid);
		ss->kept++;
	} else if (h->pid == (int32_t)getpid() ||
	    alive(h->pid, (unsigned long long)h->start_ticks)) {
		/* ours (a process whose main thread left by pthread_exit
		 * shows as a zombie), or a writer that lives */
		note(ss, "%s/%s: writer %d lives: its bytes wait", dir, name, h->pid);
		ss->alive++;
	} else if (SP_LEN(h->lp) == 0 && SP_PHASE(h->lp) == SP_IDLE) {
		if (!dry)
			SV_UNLINKAT(dfd, name, 0);
		ss->empty++;
	} else if (dry) {
		note(ss, "%s/%s: writer %d is gone: would append %u bytes to %s",
		    dir, name, h->pid, SP_LEN(h->lp), h->path);
	} else if (!claim(h)) {
		note(ss, "%s/%s: another salvager is at it", dir, name);
		ss->alive++;
	} else if (append_as(st.st_uid, st.st_gid, s, (size_t)st.st_size, msg,
	    sizeof(msg), &out) == 0) {
		SV_UNLINKAT(dfd, name, 0);
		note(ss, "%s/%s: writer %d is gone: %s", dir, name, h->pid, msg);
		ss->salvaged++;
		ss->bytes += out;
	} else {
		__atomic_store_n(&h->claim_pid, 0, __ATOMIC_RELEASE);
		note(ss, "%s/%s: writer %d is gone: %s", dir, name, h->pid, msg);
		set_aside(dfd, name, ss);
		ss->kept++;
	}
out:
	munmap(s, (size_t)st.st_size);
}

int
salvage_dir(const char *dir, int dry, struct salvage_stats *ss)
{
	struct dirent *e;
	DIR *d;
	int dfd;
	unsigned long long ns = my_pidns();

	if ((dfd = SV_OPEN(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(SV_OPEN(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC))) == NULL) {
		SV_CLOSE(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "s.", 2) != 0)
			continue;
		one(dfd, dir, e->d_name, dry, ss, ns);
	}
	closedir(d);
	SV_CLOSE(dfd);
	return 0;
}
