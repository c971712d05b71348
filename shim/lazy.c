/*
 * lazy.c - a real function called before the constructor resolved them
 * (LAZY in shim.h): another library's constructor, or a sanitizer's
 * start-up, may call a wrapper first.  docs/shim.md, "How the shim stays
 * out of the program's way".
 */
#include <dlfcn.h>
#include <errno.h>

#include "shim.h"

/*
 * The next definition of name after this library's, or NULL.  dlsym
 * keeps errno as it was only when it finds the name; the program must
 * see the errno its own call leaves, so it is kept here either way.
 * NO_TSAN: ThreadSanitizer's own start-up calls setrlimit, whose wrapper
 * comes here before TSan can record a function entry.
 */
NO_TSAN void *
real_next(const char *name)
{
	int saved = errno;
	void *f;

	f = dlsym(RTLD_NEXT, name);
	errno = saved;
	return f;
}
