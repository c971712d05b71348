/*
 * wrap_rlimit.c - the resource-limit setters, so the coalescer may keep
 * what it learnt of RLIMIT_FSIZE instead of asking the kernel at every
 * open: a file size limit turns coalescing off (a held write could not
 * fail with EFBIG and SIGXFSZ where the program's own would), and these
 * are how a process changes it (a shell's `ulimit -f`).  A raw
 * setrlimit or prlimit system call is not seen (docs/coalescing.md).
 */
#include <errno.h>
#include <sys/resource.h>

#include "shim.h"

HIDDEN _Atomic int co_fsize;

EXPORT int
setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	int r = real.setrlimit(res, rl);

	atomic_store(&co_fsize, 0);
	return r;
}

EXPORT int
setrlimit64(__rlimit_resource_t res, const struct rlimit64 *rl)
{
	int r = real.setrlimit64(res, rl);

	atomic_store(&co_fsize, 0);
	return r;
}

EXPORT int
prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *nl,
    struct rlimit *ol)
{
	int r = real.prlimit(pid, res, nl, ol);

	if (nl != NULL)
		atomic_store(&co_fsize, 0);
	return r;
}

EXPORT int
prlimit64(pid_t pid, __rlimit_resource_t res, const struct rlimit64 *nl,
    struct rlimit64 *ol)
{
	int r = real.prlimit64(pid, res, nl, ol);

	if (nl != NULL)
		atomic_store(&co_fsize, 0);
	return r;
}
