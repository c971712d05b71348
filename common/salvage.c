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
 * The target is opened O_APPEND|O_NOFOLLOW (read-write, so that what a
 * flush cut short wrote can be found; write-only when its mode allows no
 * more, and then such a flush's bytes may be written twice), never created, a
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
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "salvage.h"
#include "spill.h"

/*
 * Seconds of the wall clock.  Not time(): an IFUNC, whose resolver the
 * shim's -z now link would run in every process it is loaded into.
 */
static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/*
 * Built twice: into ioshim (tools/salvage_cli.c) with libc's calls, and
 * into the shim (shim/salvage_shim.c, SALVAGE_IN_SHIM) with the real
 * functions behind the shim's wrappers, so its own opens and writes are
 * neither counted nor coalesced.  The shim salvages only its own user's
 * spills and says nothing (it counts).
 */
#ifdef SALVAGE_IN_SHIM
#define SV_OPEN(p, f)		LAZY(open)(p, f)
#define SV_OPENAT(d, p, f)	LAZY(openat)(d, p, f)
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

/*
 * Has the process threads other than its first?  Its first thread shows
 * as a zombie as soon as it is gone, while the others may still run (a
 * SIGKILL reaches the threads one by one, and the one in a flush's
 * write() finishes it): only when none is left is the writer gone.
 */
static int
threads_left(int pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int left = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) != pid) {
			left = 1;
			break;
		}
	closedir(d);
	return left;
}

/*
 * The start time of a live process, 0 when none: a zombie is gone once
 * all its threads are.
 */
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
	if ((p[2] == 'Z' || p[2] == 'X') && !threads_left(pid))
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

/*
 * Does the process (pid, start time) still live?  A writer that could not
 * read its own start time (a /proc without it) lives as long as its pid
 * does: pid reuse then keeps its bytes waiting.  (qemu-user fakes
 * /proc/self/stat's start time: the shim reads the same file as
 * /proc/thread-self/../../stat, which it passes through.)
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

/*
 * Open a target for appending, and for reading when its mode lets us:
 * a flush or a salvage cut short is looked for in it (already_written).
 */
static int
open_append(const char *path)
{
	int fl = O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, fd;

	if ((fd = SV_OPEN(path, O_RDWR | fl)) < 0 && errno == EACCES)
		fd = SV_OPEN(path, O_WRONLY | fl);
	return fd;
}

/*
 * Is fd's file on a file system of the kernel's own (proc, sysfs, ...),
 * where a "regular file" is a control knob, never a log?
 */
static int
pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return 1;
	switch ((unsigned long)sf.f_type) {
	case 0x9fa0:		/* proc */
	case 0x62656572:	/* sysfs */
	case 0x64626720:	/* debugfs */
	case 0x74726163:	/* tracefs */
	case 0x73636673:	/* securityfs */
	case 0x27e0eb:		/* cgroup */
	case 0x63677270:	/* cgroup2 */
	case 0xcafe4a11:	/* bpf */
	case 0x6e736673:	/* nsfs */
	case 0x42494e4d:	/* binfmt_misc */
	case 0x1cd1:		/* devpts */
	case 0xf97cff8c:	/* selinuxfs */
	case 0x6165676c:	/* pstore */
	case 0xde5e81e4:	/* efivarfs */
	case 0x67596969:	/* rpc_pipefs */
	case 0x62656570:	/* configfs */
		return 1;
	}
	return 0;
}

/* Was fd's file born when the spill says (when both know)? */
static int
same_birth(int fd, const struct spill_hdr *h)
{
	struct statx st;

	if (h->btime == 0 || syscall(SYS_statx, fd, "", AT_EMPTY_PATH |
	    AT_STATX_DONT_SYNC, STATX_BTIME, &st) != 0 ||
	    !(st.stx_mask & STATX_BTIME))
		return 1;
	return (uint64_t)st.stx_btime.tv_sec * 1000000000u +
	    st.stx_btime.tv_nsec == h->btime;
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

	fd = open_append(h->path);
	if (fd >= 0 && pseudo_fs(fd)) {
		SV_CLOSE(fd);
		return -1;
	}
	if (fd >= 0 && SV_FSTAT(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_dev == h->dev && (uint64_t)st.st_ino == h->ino &&
	    same_birth(fd, h)) {
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
				int f2 = open_append(found);

				if (f2 >= 0 && pseudo_fs(f2)) {
					SV_CLOSE(f2);
					f2 = -1;
				}
				if (f2 >= 0 && SV_FSTAT(f2, &st) == 0 &&
				    S_ISREG(st.st_mode) && (uint64_t)st.st_dev == h->dev &&
				    (uint64_t)st.st_ino == h->ino && same_birth(f2, h)) {
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

/* The target's size now (0 when it cannot be read). */
static uint64_t
size_of(int fd)
{
	struct stat st;

	return SV_FSTAT(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * Append the held bytes of the spill (its contents in s, size bytes) as
 * the current user; 0 done, -1 nothing written (msg says why).
 *
 * The bytes to write are at most two pieces of data, by phase.  How far
 * into them a salvage got is recorded in the header (salvaged) after each
 * write, and the target's size before it (salv_pre): one that takes over
 * from a killed salvager looks for that last write's bytes after
 * salv_pre, as for a flush the writer died in (already_written), so no
 * byte is written twice.
 */
static int
append_held(char *s, size_t size, char *msg, size_t msz, size_t *out)
{
	struct spill_hdr *h = (void *)s;
	const char *data = s + SP_HDR, *how = "";
	uint64_t lp = __atomic_load_n(&h->lp, __ATOMIC_ACQUIRE), got, pre;
	uint32_t len = SP_LEN(lp), done, moved;
	char found[SP_PATH_MAX + 256];
	struct { const char *p; size_t n; } seg[2] = { { data, len }, { data, 0 } };
	size_t skip = 0, fskip = 0, k = 0, at, i, from, piece;
	int fd, rc = 0, took_over, look, readable;

	(void)size;
	if ((fd = open_target(h, &how, found, sizeof(found))) < 0) {
		snprintf(msg, msz, "no regular file to append to at %s: kept", h->path);
		return -1;
	}
	/* the shim's own fcntl would count this: the system call */
	readable = (syscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) == O_RDWR;
	if (SP_PHASE(lp) == SP_MOVING) {
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
	}
	got = __atomic_load_n(&h->salvaged, __ATOMIC_ACQUIRE);
	/* a salvager before us was killed in its last write: look for it */
	took_over = h->salv_pre != 0 && h->salv_at == got;
	look = took_over || SP_PHASE(lp) == SP_WRITING;
	if (got == 0 && h->salv_pre == 0 && SP_PHASE(lp) == SP_WRITING) {
		/* the writer died in a flush: what of it reached the file */
		fskip = already_written(fd, h->flush_pre, data,
		    h->flush_n < len ? h->flush_n : len);
		got = fskip;
		__atomic_store_n(&h->salvaged, got, __ATOMIC_RELEASE);
	}
	for (i = 0, at = 0; i < 2 && rc == 0; at += seg[i].n, i++) {
		from = got > at ? (size_t)(got - at) : 0;
		while (rc == 0 && from < seg[i].n) {
			piece = seg[i].n - from < 4096 ? seg[i].n - from : 4096;
			if (took_over && (pre = h->salv_pre) != 0) {
				/* the killed salvager's last write, found */
				took_over = 0;
				if ((skip = already_written(fd, pre - 1, seg[i].p + from,
				    piece)) != 0) {
					from += skip;
					__atomic_store_n(&h->salvaged, at + from,
					    __ATOMIC_RELEASE);
					continue;
				}
			}
			took_over = 0;
			/* the record of this write, before it: pre last, so a
			 * pre always belongs to its at */
			__atomic_store_n(&h->salv_pre, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&h->salv_at, at + from, __ATOMIC_RELEASE);
			__atomic_store_n(&h->salv_pre, size_of(fd) + 1,
			    __ATOMIC_RELEASE);
			rc = write_all(fd, seg[i].p + from, piece);
			if (rc == 0) {
				k += piece;
				from += piece;
				__atomic_store_n(&h->salvaged, at + from,
				    __ATOMIC_RELEASE);
			}
		}
	}
	*out = k;
	SV_CLOSE(fd);
	if (rc != 0) {
		snprintf(msg, msz, "writing to %s: %s: kept", found, strerror(errno));
		return -1;
	}
	snprintf(msg, msz, "%zu bytes to %s (%s)%s%s%s", k, found, how,
	    fskip ? ", a flush found half done" : "",
	    skip ? ", a killed salvage's last write found" : "",
	    look && !readable ?
	    ", not readable: what a flush cut short wrote may be doubled" : "");
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
		/* the owner's identity whole, not only its file-system ids:
		 * some checks (/proc/sys, capabilities) look at the euid */
		if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) != 0 ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0 ||
		    geteuid() != uid || getegid() != gid)
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
	struct stat st, kt;
	int kfd;

	if (!ss->aside || SV_FSTAT(dfd, &st) != 0)
		return;
	/* the directory's owner's, also when root makes it */
	if (mkdirat(dfd, "kept", 0700) == 0 && geteuid() == 0 && st.st_uid != 0)
		(void)fchownat(dfd, "kept", st.st_uid, st.st_gid,
		    AT_SYMLINK_NOFOLLOW);
	/* never through a link the directory's user may have put there */
	kfd = SV_OPENAT(dfd, "kept", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (kfd < 0)
		return;
	if (SV_FSTAT(kfd, &kt) == 0 && S_ISDIR(kt.st_mode) &&
	    kt.st_uid == st.st_uid && kt.st_dev == st.st_dev)
		(void)SV_RENAMEAT(dfd, name, kfd, name);
	SV_CLOSE(kfd);
}

/* Salvage one spill file; see salvage.h. */
static void
one(int dfd, const char *dir, const char *name, int dry, struct salvage_stats *ss,
    unsigned long long ns, int first)
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
	/* shorter than a header: its writer was killed between making the
	 * file and sizing it (nothing held); removed once old, or every
	 * later start-up salvage would open the directory for it */
	if (SV_FSTAT(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < (off_t)SP_HDR && !dry && st.st_mtime + 60 < now_s() &&
	    (geteuid() == 0 || st.st_uid == geteuid()) &&
	    (!ss->only_uid || st.st_uid == (uid_t)ss->uid)) {
		SV_CLOSE(fd);
		SV_UNLINKAT(dfd, name, 0);
		ss->empty++;
		return;
	}
	if (SV_FSTAT(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)SP_HDR ||
	    st.st_size > (off_t)SP_HDR + (1 << 26) ||
	    ((ss->own_only || geteuid() != 0) && st.st_uid != geteuid()) ||
	    (ss->only_uid && st.st_uid != (uid_t)ss->uid) ||
	    (s = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		SV_CLOSE(fd);
		return;
	}
	SV_CLOSE(fd);
	h = (void *)s;
	if (first) {
		/* the first pass: only a write cut short, a dead writer's
		 * flush or a killed salvager's */
		if (memcmp(h->magic, SP_MAGIC, sizeof(h->magic)) == 0 &&
		    h->version == SP_VERSION && h->hdr_size == SP_HDR &&
		    (SP_PHASE(h->lp) == SP_WRITING ||
		    (h->salv_pre != 0 && h->salv_at == h->salvaged)) && !dry &&
		    (ns == 0 || h->pidns == ns) && h->pid != (int32_t)getpid() &&
		    !alive(h->pid, (unsigned long long)h->start_ticks))
			goto check;
		munmap(s, (size_t)st.st_size);
		return;
	}
check:
	ss->found++;
	if (memcmp(h->magic, "\0\0\0\0\0\0\0\0", sizeof(h->magic)) == 0) {
		/*
		 * Being made (the header comes right after the file), or its
		 * writer died then: it holds nothing.  Removed once old.
		 */
		if (!dry && st.st_mtime + 60 < now_s())
			SV_UNLINKAT(dfd, name, 0);
		ss->alive++;
		goto out;
	}
	/*
	 * Whose it is comes first: a writer that lives (this process too)
	 * may be growing its spill this instant, when its size and cap
	 * disagree; only a dead writer's header is judged, and only one
	 * of our PID namespace is judged dead.
	 */
	if (memcmp(h->magic, SP_MAGIC, sizeof(h->magic)) == 0 &&
	    ns != 0 && h->pidns != ns) {
		if (!ss->acts_only)
			note(ss, "%s/%s: writer %d is in another PID namespace: "
			    "not judged", dir, name, h->pid);
		ss->kept++;
		goto out;
	}
	if (memcmp(h->magic, SP_MAGIC, sizeof(h->magic)) == 0 &&
	    (h->pid == (int32_t)getpid() ||
	    alive(h->pid, (unsigned long long)h->start_ticks))) {
		/* ours (a process whose main thread left by pthread_exit
		 * shows as a zombie), or a writer that lives */
		if (!ss->acts_only)
			note(ss, "%s/%s: writer %d lives: its bytes wait", dir, name, h->pid);
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
	} else if (SP_LEN(h->lp) == 0 && SP_PHASE(h->lp) == SP_IDLE) {
		if (!dry)
			SV_UNLINKAT(dfd, name, 0);
		ss->empty++;
	} else if (dry) {
		note(ss, "%s/%s: writer %d is gone: would append %u bytes to %s",
		    dir, name, h->pid, SP_LEN(h->lp), h->path);
	} else if (!claim(h)) {
		if (!ss->acts_only)
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
	int dfd, pass;
	unsigned n;
	unsigned long long ns = my_pidns();

	if ((dfd = SV_OPEN(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(SV_OPEN(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC))) == NULL) {
		SV_CLOSE(dfd);
		return -1;
	}
	/*
	 * Two passes: first the spills of writers killed inside a flush's
	 * write, whose file may end with the part of a line that write
	 * got to; then the others (a killed child's lines appended first
	 * would follow that part inside the line).
	 */
	for (pass = 1; pass >= 0; pass--) {
		n = 0;
		while ((e = readdir(d)) != NULL &&
		    (ss->max_files == 0 || n < ss->max_files)) {
			if (strncmp(e->d_name, "s.", 2) != 0)
				continue;
			n++;
			one(dfd, dir, e->d_name, dry, ss, ns, pass);
		}
		rewinddir(d);
	}
	closedir(d);
	SV_CLOSE(dfd);
	return 0;
}
