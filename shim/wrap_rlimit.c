/*
 * wrap_rlimit.c - the resource-limit setters, so the coalescer may keep
 * what it learnt of RLIMIT_FSIZE instead of asking the kernel at every
 * open: a file size limit turns coalescing off (a held write could not
 * fail with EFBIG and SIGXFSZ where the program's own would), and these
 * are how a process changes it (a shell's `ulimit -f`).  A raw
 * setrlimit or prlimit system call is not seen (docs/coalescing.md).
 */
#include <dlfcn.h>
#include <errno.h>
#include <sys/resource.h>

#include "shim.h"

HIDDEN _Atomic int co_fsize;

/*
 * The next definition of NAME, also before the constructor has filled
 * the table (a sanitizer's runtime sets limits at its own start, through
 * these wrappers, before any constructor runs: NO_TSAN, as for sigaction).
 */
#define NEXT(name)	LAZY(name)

EXPORT NO_TSAN int
setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	real_setrlimit_t f = NEXT(setrlimit);
	int r;

	if (f == NULL) {
		errno = ENOSYS;
		return -1;
	}
	r = f(res, rl);

	atomic_store(&co_fsize, 0);
	return r;
}

EXPORT NO_TSAN int
setrlimit64(__rlimit_resource_t res, const struct rlimit64 *rl)
{
	real_setrlimit64_t f = NEXT(setrlimit64);
	int r;

	if (f == NULL) {
		errno = ENOSYS;
		return -1;
	}
	r = f(res, rl);

	atomic_store(&co_fsize, 0);
	return r;
}

EXPORT NO_TSAN int
prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *nl,
    struct rlimit *ol)
{
	real_prlimit_t f = NEXT(prlimit);
	int r;

	if (f == NULL) {
		errno = ENOSYS;
		return -1;
	}
	r = f(pid, res, nl, ol);

	if (nl != NULL)
		atomic_store(&co_fsize, 0);
	return r;
}

EXPORT NO_TSAN int
prlimit64(pid_t pid, __rlimit_resource_t res, const struct rlimit64 *nl,
    struct rlimit64 *ol)
{
	real_prlimit64_t f = NEXT(prlimit64);
	int r;

	if (f == NULL) {
		errno = ENOSYS;
		return -1;
	}
	r = f(pid, res, nl, ol);

	if (nl != NULL)
		atomic_store(&co_fsize, 0);
	return r;
}
