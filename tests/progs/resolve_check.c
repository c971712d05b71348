/*
 * resolve_check.c - a preloaded library, built with shim/resolve.c and
 * shim/lazy.c (t-shim-resolve): for every real function the shim
 * resolves, shim/resolve.c's answer against dlsym(RTLD_NEXT)'s.  Prints
 * "names N fast F differ D" on stderr, and each difference.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "shim.h"

HIDDEN extern unsigned resolve_fast;

static const char *real_names[] = {
#define X(name, ret, args) #name,
	SHIM_REAL_FUNCS(X)
#undef X
};

__attribute__((constructor)) static void
check(void)
{
	size_t i, n = sizeof(real_names) / sizeof(real_names[0]);
	int differ = 0;
	void *a, *b;

	for (i = 0; i < n; i++) {
		a = real_find(real_names[i]);
		b = dlsym(RTLD_NEXT, real_names[i]);
		if (a != b) {
			fprintf(stderr, "differ: %s: %p, dlsym %p\n", real_names[i], a, b);
			differ++;
		}
	}
	fprintf(stderr, "names %zu fast %u differ %d\n", n, resolve_fast, differ);
}
