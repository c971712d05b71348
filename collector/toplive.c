/*
 * toplive.c - `top` without from=: the live interval from memory, the
 * open window's deltas (or, with totals=1, the cumulative counters) of the
 * images in the live table, merged per executable or file when asked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "counters.h"
#include "ioshimd.h"
#include "query_impl.h"
#include "request.h"
#include "sat.h"

struct trow {
	const char	*key;		/* exe or path */
	const struct image *im;		/* by=process */
	int		 cls;
	uint32_t	 n;		/* processes merged */
	uint64_t	 v[NPC];	/* NPC >= NFC */
};

static int sortkey;

static int
cmp_val(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	if (x->v[sortkey] != y->v[sortkey])
		return x->v[sortkey] < y->v[sortkey] ? 1 : -1;
	if (x->key != NULL && y->key != NULL)
		return strcmp(x->key, y->key);
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Merge rows with equal keys (sorted by key first). */
static size_t
merge(struct trow *r, size_t n, int nc)
{
	size_t i, o = 0;
	int c;

	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r, n, sizeof(*r), cmp_key);
	for (i = 0; i < n; i++) {
		if (o > 0 && strcmp(r[o - 1].key, r[i].key) == 0) {
			for (c = 0; c < nc; c++)
				r[o - 1].v[c] = sat_add(r[o - 1].v[c],
				    r[i].v[c]);
			r[o - 1].n += r[i].n;
			continue;
		}
		r[o++] = r[i];
	}
	return o;
}

void
toplive_reply(struct jbuf *j, const struct request *rq, uid_t client)
{
	struct image *im;
	struct trow *rows = NULL, *nr;
	size_t n = 0, cap = 0, i;
	uint32_t f;
	int c, nc = rq->by == BY_FILE ? NFC : NPC;

	for (im = agg_first(D.agg); im != NULL; im = agg_next(im)) {
		if (!q_visible(client, im->uid) ||
		    (!rq->totals && !img_has_delta(im)))
			continue;
		for (f = 0; f < (rq->by == BY_FILE ? im->nfiles : 1); f++) {
			if (rq->by == BY_FILE && !rq->totals &&
			    !file_has_delta(&im->files[f]))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((nr = reallocarray(rows, cap,
				    sizeof(*rows))) == NULL) {
					free(rows);
					q_error(j, "out of memory");
					return;
				}
				rows = nr;
			}
			memset(&rows[n], 0, sizeof(rows[n]));
			rows[n].im = im;
			rows[n].n = 1;
			if (rq->by == BY_FILE) {
				rows[n].key = im->files[f].path;
				rows[n].cls = im->files[f].cls;
				for (c = 0; c < NFC; c++)
					rows[n].v[c] = rq->totals ?
					    im->files[f].cur[c] :
					    dlt(im->files[f].cur[c],
					    im->files[f].base[c]);
			} else {
				rows[n].key = rq->by == BY_EXE ? im->exe : NULL;
				for (c = 0; c < NPC; c++)
					rows[n].v[c] = rq->totals ? im->cur[c] :
					    dlt(im->cur[c], im->base[c]);
			}
			n++;
		}
	}
	if (rq->by != BY_PROCESS)
		n = merge(rows, n, nc);
	sortkey = rq->sort;
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(rows, n, sizeof(*rows), cmp_val);
	jb_obj(j);
	jb_kstr(j, "top", rq->by == BY_FILE ? "file" : rq->by == BY_EXE ?
	    "exe" : "process");
	jb_kbool(j, "live", 1);
	jb_kbool(j, "totals", rq->totals);
	jb_ki64(j, "from", D.win_start);
	jb_ki64(j, "to", time(NULL));
	jb_kstr(j, "sort", rq->by == BY_FILE ? fc_names[rq->sort] :
	    pc_names[rq->sort]);
	jb_key(j, "rows");
	jb_arr(j);
	for (i = 0; i < n && i < (size_t)rq->limit; i++) {
		jb_obj(j);
		if (rq->by == BY_PROCESS) {
			im = (struct image *)rows[i].im;
			jb_ki64(j, "pid", im->pid);
			jb_ki64(j, "uid", im->uid);
			jb_kstr(j, "comm", im->comm);
			jb_kstr(j, "exe", im->exe);
			jb_ku64(j, "image_ns", im->image_ns);
			jb_kstr(j, "state", im->state == IW_END ? "ended" :
			    "running");
			jb_ki64(j, "end_reason", im->end_reason);
			/* The shim's clock when it took these counters:
			 * rates between two polls divide by its difference. */
			jb_ku64(j, "sent_ns", im->sent_ns);
		} else if (rq->by == BY_EXE) {
			jb_kstr(j, "exe", rows[i].key);
			jb_ku64(j, "processes", rows[i].n);
		} else {
			jb_kstr(j, "path", rows[i].key);
			jb_kstr(j, "class", class_names[rows[i].cls]);
			jb_ku64(j, "processes", rows[i].n);
		}
		for (c = 0; c < nc; c++)
			jb_ku64(j, rq->by == BY_FILE ? fc_names[c] : pc_names[c],
			    rows[i].v[c]);
		jb_endobj(j);
	}
	jb_endarr(j);
	jb_endobj(j);
	free(rows);
}

