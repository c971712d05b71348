/*
 * salvager.c - ioshimd writes the held log bytes of killed shimmed
 * processes to their files (common/salvage.c does the writing).
 *
 * Every --salvage-every seconds (default 5), and soon after a sender's
 * image is found gone without an exit message, ioshimd looks at the spill
 * directories of the users it serves: /run/ioshim/UID and
 * /dev/shm/ioshim-UID (docs/coalescing.md).  A directory counts only when
 * it is a real directory (no symlink) owned by that UID and writable by
 * no one else; inside it only that UID's spill files are read.
 *
 * The work is done in a child process, never in the poll loop, and each
 * directory in a grandchild of its own: a spill file belongs to its user,
 * who may truncate it while it is mapped (SIGBUS) or fill a directory with
 * junk; that ends or slows only the salvage of that user's directory.  A
 * run that takes longer than a minute is killed (a salvage goes on where
 * it stopped: the spill records it).  Each grandchild sends its counts up
 * a pipe; the totals are in `health` (administrators only).
 *
 * The same run writes the debounced states killed processes held in
 * memory (the directory's hold files, common/dbhsweep.c) onto their
 * targets when these are absent or older, in a child that has taken the
 * directory owner's identity whole first: the kernel checks every file
 * it touches as that user's (docs/debounce.md).
 *
 * As root, ioshimd also makes /run/ioshim/UID (0700, owned by UID) for
 * each user it sees send, so that user's later processes keep their spills
 * where logind's RemoveIPC does not delete them at logout (/run/ioshim
 * itself: the tmpfiles.d entry `make install` puts in place, or here).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <bsd/stdlib.h>

#include "dbhsweep.h"
#include "hreason.h"
#include "ioshimd.h"
#include "json.h"
#include "log.h"
#include "salvage.h"
#include "salvager.h"

#define RUN_MAX		60	/* seconds a run may take */
#define DIRS_MAX	256	/* directories looked at per run */
#define FILES_MAX	4096	/* spill files looked at per directory and run */

/* What one directory's salvage sends up the pipe. */
struct rec {
	uint32_t	found, salvaged, empty, alive, kept;
	uint32_t	failed;		/* the grandchild did not end well */
	uint64_t	bytes;
};

static struct {
	int		every;		/* seconds, 0 = off */
	pid_t		child;		/* a run under way, 0 none */
	int		pfd;		/* its pipe's read end */
	time_t		started, next;
	/* totals */
	uint64_t	runs, killed, salvaged, bytes, empty, failed;
	uint32_t	pending, kept, dirs;	/* of the last run */
	int		run_killed;	/* this run: killed (health) */
	time_t		last;
} S = { .pfd = -1 };

void
salvager_init(int every)
{
	S.every = every;
	S.next = time(NULL) + 1;
	if (every > 0 && geteuid() == 0 && mkdir("/run/ioshim", 0755) == 0)
		logx(LOG_INFO, "made /run/ioshim for spill files");
}

/* A sender's image ended without a word: look soon. */
void
salvager_kick(void)
{
	if (S.every > 0 && S.child == 0)
		S.next = time(NULL);
}

/*
 * The first message of a uid (as root): its /run/ioshim/UID, made safely
 * (/run/ioshim is root's and no one else may write it, so nothing can be
 * planted between the mkdir and the chown).
 */
void
salvager_uid_seen(uid_t uid, gid_t gid)
{
	struct stat st;
	char name[32];
	int dfd;

	if (S.every <= 0 || geteuid() != 0 || uid == 0)
		return;
	dfd = open("/run/ioshim", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (fstat(dfd, &st) == 0 && st.st_uid == 0 && (st.st_mode & 022) == 0 &&
	    mkdirat(dfd, name, 0700) == 0) {
		/* the sender's gid (from the kernel): no NSS lookup here */
		if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
			logx(LOG_WARNING, "/run/ioshim/%s: chown: %s", name,
			    strerror(errno));
			(void)unlinkat(dfd, name, AT_REMOVEDIR);
		}
	}
	close(dfd);
}

/* The uid a spill directory's name gives, or -1. */
static long long
dir_uid(const char *root, const char *name)
{
	const char *p = name, *e;
	long long v;

	if (strcmp(root, "/dev/shm") == 0) {
		if (strncmp(name, "ioshim-", 7) != 0)
			return -1;
		p = name + 7;
	}
	char back[16];

	v = strtonum(p, 0, UINT32_MAX - 1, &e);
	/* the one spelling the shim makes ("0065534", "+65534" are not) */
	if (e != NULL || snprintf(back, sizeof(back), "%lld", v) < 0 ||
	    strcmp(back, p) != 0)
		return -1;
	return v;
}

/* Has directory path a hold file ("d.PID.N")?  Most have none. */
static int
has_holds(const char *path)
{
	struct dirent *e;
	DIR *d;
	int n = 0, found = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL && n++ < FILES_MAX)
		found = e->d_name[0] == 'd' && e->d_name[1] == '.';
	closedir(d);
	return found;
}

/*
 * The debounced states of uid's killed processes in its directory path,
 * onto their targets: in a child that is uid (when we are root and it is
 * not), so that no file is written with more rights than its owner's.
 */
static void
holds_as(const char *path, uid_t uid)
{
	struct passwd *pw;
	pid_t pid;
	gid_t gid;
	int st;

	if (!has_holds(path))
		return;
	if ((pid = fork()) != 0) {
		while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return;
	}
	if (geteuid() != uid) {
		if (geteuid() != 0)
			_exit(1);
		pw = getpwuid(uid);
		gid = pw ? pw->pw_gid : (gid_t)uid;
		if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) != 0 ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0 ||
		    geteuid() != uid)
			_exit(3);
	}
	(void)dbh_sweep_dir(path, NULL, NULL);
	_exit(0);
}

/* In a grandchild: salvage one user's directory, send the counts. */
static void
one_dir(const char *path, uid_t uid, int wfd)
{
	struct salvage_stats ss;
	struct rec r;
	pid_t pid;
	int st;

	memset(&r, 0, sizeof(r));
	if ((pid = fork()) == 0) {
		memset(&ss, 0, sizeof(ss));
		ss.aside = 1;
		ss.acts_only = 1;
		ss.say = NULL;
		ss.only_uid = 1;
		ss.uid = uid;
		ss.max_files = FILES_MAX;
		(void)salvage_dir(path, 0, &ss);
		holds_as(path, uid);
		r.found = ss.found;
		r.salvaged = ss.salvaged;
		r.empty = ss.empty;
		r.alive = ss.alive;
		r.kept = ss.kept;
		r.bytes = ss.bytes;
		(void)!write(wfd, &r, sizeof(r));
		_exit(0);
	}
	if (pid < 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		r.failed = 1;
		(void)!write(wfd, &r, sizeof(r));
	}
}

/* In the child: every spill directory of the users we serve. */
static void
run_all(int wfd)
{
	static const char *roots[] = { "/run/ioshim", "/dev/shm" };
	char path[512];
	struct dirent *e;
	struct stat st;
	long long uid;
	unsigned i, n = 0;
	DIR *d;

	for (i = 0; i < 2; i++) {
		if ((d = opendir(roots[i])) == NULL)
			continue;
		while ((e = readdir(d)) != NULL && n < DIRS_MAX) {
			if ((uid = dir_uid(roots[i], e->d_name)) < 0)
				continue;
			/* another user's only when we are root */
			if (geteuid() != 0 && (uid_t)uid != geteuid())
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISDIR(st.st_mode) || st.st_uid != (uid_t)uid ||
			    (st.st_mode & 022) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", roots[i], e->d_name);
			one_dir(path, (uid_t)uid, wfd);
			n++;
		}
		closedir(d);
	}
}

/* A run ended: add up what its directories sent. */
static void
collect(void)
{
	struct rec r;
	uint32_t pending = 0, dirs = 0, kept = 0, failed = 0;

	while (read(S.pfd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		dirs++;
		S.salvaged += r.salvaged;
		S.bytes += r.bytes;
		S.empty += r.empty;
		S.failed += r.failed;
		failed += r.failed;
		pending += r.alive;
		kept += r.kept;
		if (r.salvaged)
			logx(LOG_NOTICE, "salvaged %u spill(s) of killed processes: "
			    "%llu bytes written to their logs", r.salvaged,
			    (unsigned long long)r.bytes);
	}
	if (kept > S.kept)
		logx(LOG_WARNING, "%u spill(s) cannot be salvaged: `ioshim "
		    "salvage` says why", kept);
	hr_salvage(kept, failed, S.run_killed);
	S.run_killed = 0;
	S.pending = pending;
	S.kept = kept;
	S.dirs = dirs;
	S.last = time(NULL);
	S.runs++;
	close(S.pfd);
	S.pfd = -1;
}

/* From the poll loop: reap a run, start one when due. */
void
salvager_tick(void)
{
	time_t now = time(NULL);
	int p[2], st;
	pid_t r;

	if (S.child != 0) {
		r = waitpid(S.child, &st, WNOHANG);
		if (r == S.child) {
			S.child = 0;
			collect();
		} else if (r == 0 && now - S.started > RUN_MAX) {
			kill(-S.child, SIGKILL);	/* and its grandchildren */
			S.killed++;
			S.run_killed = 1;
		}
		return;
	}
	if (S.every <= 0 || now < S.next)
		return;
	S.next = now + S.every;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return;
	if ((S.child = fork()) == 0) {
		(void)setpgid(0, 0);	/* killed as a group: salvager_stop */
		close(p[0]);
		/* the child writes blocking: the records are small, and the
		 * parent reads them all when the child has ended */
		(void)fcntl(p[1], F_SETFL, 0);
		signal(SIGPIPE, SIG_IGN);
		run_all(p[1]);
		_exit(0);
	}
	close(p[1]);
	if (S.child < 0) {
		S.child = 0;
		close(p[0]);
		return;
	}
	S.pfd = p[0];
	S.started = now;
}

/* ioshimd ends: a run under way ends too, grandchildren and all. */
void
salvager_stop(void)
{
	if (S.child > 0) {
		kill(-S.child, SIGKILL);
		(void)waitpid(S.child, NULL, 0);
		S.child = 0;
	}
}

/* The poll timeout: no later than the next run, or a run's check. */
void
salvager_timeout(int *ms)
{
	time_t now = time(NULL);
	int64_t t;

	if (S.every <= 0)
		return;
	t = S.child != 0 ? 200 : (S.next > now ? (int64_t)(S.next - now) * 1000 : 0);
	if (t < *ms)
		*ms = (int)t;
}

/* Its block of the health reply (administrators only). */
void
salvager_health(struct jbuf *j)
{
	jb_key(j, "salvage");
	jb_obj(j);
	jb_ki64(j, "every_s", S.every);
	jb_ku64(j, "runs", S.runs);
	jb_ki64(j, "last_run", (int64_t)S.last);
	jb_ku64(j, "dirs", S.dirs);
	jb_ku64(j, "spills_pending", S.pending);
	jb_ku64(j, "salvaged_spills", S.salvaged);
	jb_ku64(j, "salvaged_bytes", S.bytes);
	jb_ku64(j, "kept_spills", S.kept);
	jb_ku64(j, "failed_dirs", S.failed);
	jb_ku64(j, "killed_runs", S.killed);
	jb_endobj(j);
}
