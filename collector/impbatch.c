/*
 * impbatch.c - what one import batch keeps in memory (impbatch.h): sums
 * per executable in an open-addressing hash table, and a small cache of
 * path ids (a path's id is only ever removed between batches).
 */
#include <stdlib.h>
#include <string.h>

#include "impbatch.h"
#include "sat.h"

static uint64_t
exe_hash(int64_t ts, int hourly, uid_t uid, const char *exe)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)ts ^
	    ((uint64_t)uid << 32) ^ (uint64_t)hourly;

	for (; *exe != '\0'; exe++)
		h = (h ^ (unsigned char)*exe) * 0x100000001b3ULL;
	return h;
}

static int
exe_rehash(struct imp_batch *b, size_t sz)
{
	uint32_t *h = calloc(sz, sizeof(*h));
	size_t i, k;

	if (h == NULL)
		return -1;
	for (i = 0; i < b->nex; i++) {
		struct imp_exe *e = &b->ex[i];

		k = exe_hash(e->ts, e->hourly, e->uid, e->exe) & (sz - 1);
		while (h[k] != 0)
			k = (k + 1) & (sz - 1);
		h[k] = (uint32_t)i + 1;
	}
	free(b->exh);
	b->exh = h;
	b->exhsz = sz;
	return 0;
}

/* Add v to the batch's row of (ts, hourly, uid, exe): 1 a new row, 0 an
 * existing one, -1 out of memory. */
int
impbatch_exe_add(struct imp_batch *b, int64_t ts, int hourly, uid_t uid,
    const char *exe, const uint64_t v[NPC])
{
	struct imp_exe *e;
	size_t k;
	int c;

	if ((b->nex + 1) * 2 > b->exhsz && exe_rehash(b, b->exhsz ?
	    b->exhsz * 2 : 256) != 0)
		return -1;
	k = exe_hash(ts, hourly, uid, exe) & (b->exhsz - 1);
	for (; b->exh[k] != 0; k = (k + 1) & (b->exhsz - 1)) {
		e = &b->ex[b->exh[k] - 1];
		if (e->ts == ts && e->hourly == hourly && e->uid == uid &&
		    strcmp(e->exe, exe) == 0)
			goto add;
	}
	if (b->nex == b->capex) {
		size_t n = b->capex ? b->capex * 2 : 64;
		struct imp_exe *nv = reallocarray(b->ex, n, sizeof(*nv));

		if (nv == NULL)
			return -1;
		b->ex = nv;
		b->capex = n;
	}
	e = &b->ex[b->nex];
	memset(e, 0, sizeof(*e));
	if ((e->exe = strdup(exe)) == NULL)
		return -1;
	e->ts = ts;
	e->hourly = hourly;
	e->uid = uid;
	b->exh[k] = (uint32_t)++b->nex;
	for (c = 0; c < NPC; c++)
		e->v[c] = v[c];
	return 1;
add:
	for (c = 0; c < NPC; c++)
		e->v[c] = sat_add(e->v[c], v[c]);
	return 0;
}

/* Forget the batch's executables and path ids. */
void
impbatch_reset(struct imp_batch *b)
{
	size_t i;

	for (i = 0; i < b->nex; i++)
		free(b->ex[i].exe);
	b->nex = 0;
	if (b->exh != NULL)
		memset(b->exh, 0, b->exhsz * sizeof(*b->exh));
	for (i = 0; i < IMPB_PATHS; i++) {
		free(b->paths[i].path);
		b->paths[i].path = NULL;
	}
}

int
impbatch_path_get(const struct imp_batch *b, const char *path, int64_t *id)
{
	const struct imp_path *p =
	    &b->paths[(exe_hash(0, 0, 0, path) >> 7) % IMPB_PATHS];

	if (p->path == NULL || strcmp(p->path, path) != 0)
		return 0;
	*id = p->id;
	return 1;
}

void
impbatch_path_put(struct imp_batch *b, const char *path, int64_t id)
{
	struct imp_path *p =
	    &b->paths[(exe_hash(0, 0, 0, path) >> 7) % IMPB_PATHS];

	free(p->path);
	if ((p->path = strdup(path)) != NULL)
		p->id = id;
}

void
impbatch_free(struct imp_batch *b)
{
	impbatch_reset(b);
	free(b->ex);
	free(b->exh);
	b->ex = NULL;
	b->exh = NULL;
	b->capex = b->exhsz = 0;
}
