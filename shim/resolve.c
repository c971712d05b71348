/*
 * resolve.c - the real functions, found where dlsym(RTLD_NEXT) finds them,
 * without dlsym's cost.
 *
 * dlsym(RTLD_NEXT, name) searches the objects loaded after the shim, in
 * order: other preloaded libraries, then the program's dependencies, libc
 * among them.  Each dlsym costs ~850 instructions (the loader's lock, its
 * error catching, the lookup): the constructor's 212 of them were
 * ~180,000 of the ~400,000 instructions a shimmed /bin/true runs, in
 * every process of a machine.  Reading those objects' GNU hash tables
 * here costs about a third of that.
 *
 * Only the plain case is taken here: a defined function or object, found
 * once among the versions that are not hidden (the default version, which
 * is what dlsym returns for a name without a version).  Anything else - an
 * IFUNC, several candidates, an object without a GNU hash table, a name
 * not found, a shim linked with more than libc (the ThreadSanitizer
 * build) - is left to dlsym, so every answer is the one dlsym gives
 * (t-shim-resolve compares them for every name, beside other preloads).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

/* st_info is one byte in both classes: the ELF32_ macros serve both */

#include "shim.h"

struct obj {
	ElfW(Addr)		base;
	const ElfW(Sym)		*sym;
	const char		*str;
	const ElfW(Half)	*versym;
	const uint32_t		*gnu;
};

HIDDEN unsigned resolve_fast;	/* names found here, not by dlsym (tests) */
#define NOBJS	16
static struct obj objs[NOBJS];	/* the objects after the shim, in order */
static int nobjs = -1;		/* -1: not looked at yet; 0: use dlsym */

extern ElfW(Dyn) _DYNAMIC[];

/*
 * A pointer of a dynamic section: the loader has already added the load
 * address to it where the section is writable (x86, arm), not elsewhere.
 */
static const void *
dyn_ptr(ElfW(Addr) base, ElfW(Addr) p)
{
	return (const void *)(p < base ? p + base : p);
}

static const ElfW(Dyn) *
dyn_find(const ElfW(Dyn) *d, ElfW(Sxword) tag)
{
	for (; d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d;
	return NULL;
}

static int
obj_init(struct obj *o, ElfW(Addr) base, const ElfW(Dyn) *dyn)
{
	const ElfW(Dyn) *gnu = dyn_find(dyn, DT_GNU_HASH);
	const ElfW(Dyn) *sym = dyn_find(dyn, DT_SYMTAB);
	const ElfW(Dyn) *str = dyn_find(dyn, DT_STRTAB);
	const ElfW(Dyn) *ver = dyn_find(dyn, DT_VERSYM);

	if (gnu == NULL || sym == NULL || str == NULL)
		return -1;
	o->base = base;
	o->gnu = dyn_ptr(base, gnu->d_un.d_ptr);
	o->sym = dyn_ptr(base, sym->d_un.d_ptr);
	o->str = dyn_ptr(base, str->d_un.d_ptr);
	o->versym = ver != NULL ? dyn_ptr(base, ver->d_un.d_ptr) : NULL;
	return 0;
}

/* Is libc.so.6 the shim's one dependency?  (base: the shim's.) */
static int
only_libc(ElfW(Addr) base)
{
	const ElfW(Dyn) *d, *strd = dyn_find(_DYNAMIC, DT_STRTAB);
	const char *str;
	int needed = 0;

	if (strd == NULL)
		return 0;
	str = dyn_ptr(base, strd->d_un.d_ptr);
	for (d = _DYNAMIC; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_NEEDED &&
		    (needed++ > 0 || strcmp(str + d->d_un.d_val, "libc.so.6") != 0))
			return 0;
	return needed == 1;
}

/*
 * dl_iterate_phdr goes in load order, which at start-up is the order of
 * the global scope that dlsym(RTLD_NEXT) searches after the shim: other
 * preloaded libraries, then the program's dependencies (libc among
 * them).  The shim is found by its dynamic section.  No symbol table is
 * read for this (dladdr would read the shim's: more pages touched).
 */
static int
each_obj(struct dl_phdr_info *info, size_t size, void *arg)
{
	const ElfW(Dyn) *dyn = NULL;
	int *seen_self = arg, i;

	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (dyn == _DYNAMIC) {
		if (!only_libc(info->dlpi_addr))
			return 1;		/* a sanitizer's build: dlsym */
		*seen_self = 1;
		return 0;
	}
	if (!*seen_self || (info->dlpi_name != NULL &&
	    (strncmp(info->dlpi_name, "linux-vdso", 10) == 0 ||
	    strncmp(info->dlpi_name, "linux-gate", 10) == 0)))
		return 0;		/* before the shim; the vDSO is not searched */
	if (dyn == NULL || nobjs == NOBJS ||
	    obj_init(&objs[nobjs], info->dlpi_addr, dyn) != 0) {
		nobjs = 0;		/* one that cannot be read: dlsym only */
		return 1;
	}
	nobjs++;
	return 0;
}

static void
resolve_setup(void)
{
	int seen_self = 0;

	nobjs = 0;
	if (dl_iterate_phdr(each_obj, &seen_self) != 0 || !seen_self)
		nobjs = 0;
}

/*
 * name in o: 1 and *out for one plain match, 0 for none, -1 when only
 * dlsym can tell.
 */
static int
obj_find(const struct obj *o, const char *name, void **out)
{
	const uint32_t *g = o->gnu, *buckets, *chain;
	const ElfW(Addr) *bloom;
	const unsigned char *s;
	const ElfW(Sym) *sym;
	uint32_t h = 5381, nb = g[0], symoff = g[1], nbloom = g[2], shift = g[3];
	uint32_t i, h2, bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word, mask;
	int found = 0;

	for (s = (const unsigned char *)name; *s; s++)
		h = h * 33 + *s;
	if (nb == 0 || nbloom == 0)
		return -1;
	bloom = (const ElfW(Addr) *)(g + 4);
	buckets = (const uint32_t *)(bloom + nbloom);
	chain = buckets + nb;
	word = bloom[(h / bits) % nbloom];
	mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
	if ((word & mask) != mask || (i = buckets[h % nb]) < symoff)
		return 0;
	do {
		h2 = chain[i - symoff];
		sym = &o->sym[i];
		if ((h | 1) == (h2 | 1) && strcmp(name, o->str + sym->st_name) == 0 &&
		    sym->st_shndx != SHN_UNDEF &&
		    (o->versym == NULL || !(o->versym[i] & 0x8000))) {
			if (ELF32_ST_TYPE(sym->st_info) != STT_FUNC &&
			    ELF32_ST_TYPE(sym->st_info) != STT_OBJECT)
				return -1;	/* an IFUNC, TLS, ... */
			if (ELF32_ST_BIND(sym->st_info) == STB_GNU_UNIQUE ||
			    sym->st_value == 0 || found++ > 0 ||
			    (o->versym != NULL && (o->versym[i] & 0x7fff) < 2))
				return -1;
			*out = (void *)(o->base + sym->st_value);
		}
		i++;
	} while (!(h2 & 1));
	return found;
}

/* The real name, as dlsym(RTLD_NEXT, name) would give it, or NULL. */
void *
real_find(const char *name)
{
	void *f = NULL;
	int i, r;

	if (nobjs < 0)
		resolve_setup();
	for (i = 0; i < nobjs; i++) {
		if ((r = obj_find(&objs[i], name, &f)) > 0) {
			resolve_fast++;
			return f;
		}
		if (r < 0)
			break;
	}
	return real_next(name);
}
