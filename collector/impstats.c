/*
 * impstats.c - the figures of `ioshim import` since ioshimd started
 * (impstats.h): records by outcome, lines skipped, batches committed and
 * refused, the last batch's time.  Machine-wide: health shows them to an
 * administrator, /metrics as ioshim_imported_* (metrics.c).
 * docs/collector.md, "Importing exit reports".
 */
#include "impstats.h"
#include "import.h"
#include "sat.h"

static struct imp_stats S;

void
impstats_batch(const struct imp_tally *t, uint64_t bad, time_t now)
{
	int c;

	S.stored = sat_add(S.stored, t->stored);
	S.known = sat_add(S.known, t->known);
	S.expired = sat_add(S.expired, t->expired);
	S.bad = sat_add(S.bad, bad);
	S.batches++;
	S.last = now;
	for (c = 0; c < NPC; c++)
		S.v[c] = sat_add(S.v[c], t->pc[c]);
}

void
impstats_refused(void)
{
	S.refused++;
}

const struct imp_stats *
impstats(void)
{
	return &S;
}

void
impstats_health(struct jbuf *j, int64_t files)
{
	jb_key(j, "import");
	jb_obj(j);
	jb_ku64(j, "records", S.stored);
	jb_ku64(j, "known", S.known);
	jb_ku64(j, "expired", S.expired);
	jb_ku64(j, "lines_skipped", S.bad);
	jb_ku64(j, "batches", S.batches);
	jb_ku64(j, "batches_refused", S.refused);
	jb_ki64(j, "files_tracked", files);
	jb_ki64(j, "last", (int64_t)S.last);
	jb_endobj(j);
}
