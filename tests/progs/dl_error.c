/*
 * dl_error.c - a failed dlopen, then the message dlerror() gives printed
 * with the process's first stdio call (the usual "cannot load plugin: %s"),
 * and a message left pending across a first fflush.  Under the shim both
 * must read as without it: a dlsym in a wrapper's first call would free
 * and clear the message.
 */
#include <dlfcn.h>
#include <stdio.h>

int
main(void)
{
	const char *e;

	if (dlopen("libioshim-test-absent.so", RTLD_NOW) == NULL)
		fprintf(stderr, "cannot load plugin: %s\n", dlerror());
	(void)dlopen("libioshim-test-absent2.so", RTLD_NOW);
	fflush(stdout);
	e = dlerror();
	printf("pending: %s\n", e != NULL ? e : "(none)");
	return 0;
}
