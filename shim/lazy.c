/*
 * lazy.c - the first call of a real function the constructor did not
 * resolve (LAZY in shim.h, the eager list in init.c).  Every process a
 * shim is preloaded into pays for each name looked up at start-up, and
 * most processes call few of the shim's 212 functions: the long tail
 * (stdio, credentials, spawning helpers, rarer system calls) is looked
 * up when first called instead.  docs/shim.md, "Start-up".
 */
#include <dlfcn.h>
#include <errno.h>

#include "shim.h"

/*
 * The next definition of name after this library's, or NULL.  dlsym
 * keeps errno as it was only when it finds the name; the program must
 * see the errno its own call leaves, so it is kept here either way.
 */
void *
real_next(const char *name)
{
	int saved = errno;
	void *f;

	f = dlsym(RTLD_NEXT, name);
	errno = saved;
	return f;
}
