/*
 * wrap_cred.c - the calls that give up privilege.  A process that drops
 * root (nginx's workers become nobody) can no longer open the report
 * file root created, so just before the first call that may change what
 * the process can open, the report is opened and kept (reportfd.c).
 * Nothing is counted here, and nothing happens without IOSHIM_REPORT or
 * when the call leaves the effective ids as they are.
 *
 * The worker thread is stopped before each of these calls and, if it
 * ran, started again after it by the thread that now has the new ids (so
 * held bytes keep their age bound).  Every pending debounced save is
 * written first, while the old ids may still rename it onto its target
 * (debounce.c).  Some credentials are per thread: a program that thinks it is
 * alone sets PR_SET_KEEPCAPS or calls capset(2) in its own thread only,
 * then changes ids; glibc applies setresgid and the like to every thread
 * and aborts the process when the change fails in one, as it did in the
 * worker that had lost its capabilities (setpriv --reuid --regid aborted
 * with the worker running: tests/t-machine.sh).
 */
#include <errno.h>
#include <grp.h>
#include <unistd.h>
#include <sys/fsuid.h>

#include "shim.h"

#define KEEP_IF(cond)							\
	int stopped_ = 0;						\
	do {								\
		if (unlikely(!shim_ready))				\
			shim_init();					\
		if (shim_ready && !in_vfork_child())			\
			stopped_ = worker_stop(); /* the program's threads */ \
		if (shim_ready && !in_vfork_child())			\
			db_flush_all();	/* while the ids can still write */ \
		if (cfg.report[0] != '\0' && (cond) &&			\
		    !in_vfork_child())	/* its fds are not the parent's */ \
			report_keep();					\
	} while (0)

/* the call, then the worker again if it ran before (errno kept) */
#define CRED_CALL(call)							\
	do {								\
		int r_ = (call), e_ = errno;				\
		worker_restart(stopped_);				\
		errno = e_;						\
		return r_;						\
	} while (0)

/* the effective uid (or fs uid) becomes u */
#define UID_CHANGES(u)	((u) != (uid_t)-1 && (u) != geteuid())
#define GID_CHANGES(g)	((g) != (gid_t)-1 && (g) != getegid())

EXPORT int
setuid(uid_t u)
{
	KEEP_IF(UID_CHANGES(u));
	CRED_CALL(LAZY(setuid)(u));
}

EXPORT int
seteuid(uid_t u)
{
	KEEP_IF(UID_CHANGES(u));
	CRED_CALL(LAZY(seteuid)(u));
}

EXPORT int
setreuid(uid_t r, uid_t e)
{
	KEEP_IF(UID_CHANGES(e));
	CRED_CALL(LAZY(setreuid)(r, e));
}

EXPORT int
setresuid(uid_t r, uid_t e, uid_t s)
{
	KEEP_IF(UID_CHANGES(e));
	CRED_CALL(LAZY(setresuid)(r, e, s));
}

/* the fs uid is the effective one unless set apart: a close enough test */
EXPORT int
setfsuid(uid_t u)
{
	KEEP_IF(UID_CHANGES(u));
	CRED_CALL(LAZY(setfsuid)(u));
}

EXPORT int
setgid(gid_t g)
{
	KEEP_IF(GID_CHANGES(g));
	CRED_CALL(LAZY(setgid)(g));
}

EXPORT int
setegid(gid_t g)
{
	KEEP_IF(GID_CHANGES(g));
	CRED_CALL(LAZY(setegid)(g));
}

EXPORT int
setregid(gid_t r, gid_t e)
{
	KEEP_IF(GID_CHANGES(e));
	CRED_CALL(LAZY(setregid)(r, e));
}

EXPORT int
setresgid(gid_t r, gid_t e, gid_t s)
{
	KEEP_IF(GID_CHANGES(e));
	CRED_CALL(LAZY(setresgid)(r, e, s));
}

EXPORT int
setfsgid(gid_t g)
{
	KEEP_IF(GID_CHANGES(g));
	CRED_CALL(LAZY(setfsgid)(g));
}

/* The supplementary groups and capabilities: no cheap test; rare calls. */
EXPORT int
setgroups(size_t n, const gid_t *list)
{
	KEEP_IF(1);
	CRED_CALL(LAZY(setgroups)(n, list));
}

EXPORT int
initgroups(const char *user, gid_t g)
{
	KEEP_IF(1);
	CRED_CALL(LAZY(initgroups)(user, g));
}

EXPORT int
capset(void *hdr, void *data)
{
	KEEP_IF(1);
	if (unlikely(LAZY(capset) == NULL)) {
		errno = ENOSYS;
		return -1;
	}
	CRED_CALL(LAZY(capset)(hdr, data));
}
