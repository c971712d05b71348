/*
 * impstats.h - what `ioshim import` did since ioshimd started (import.c
 * counts, impstats.c keeps): for `health` ("import") and /metrics.
 */
#ifndef IOSHIMD_IMPSTATS_H
#define IOSHIMD_IMPSTATS_H

#include <stdint.h>
#include <time.h>

#include "counters.h"
#include "json.h"

struct imp_stats {
	uint64_t	 stored;	/* records stored */
	uint64_t	 known;		/* records stored before or seen live */
	uint64_t	 expired;	/* records older than the retention */
	uint64_t	 bad;		/* lines skipped: malformed, too long */
	uint64_t	 batches;	/* batches committed */
	uint64_t	 refused;	/* batches refused (bound, position, db) */
	time_t		 last;		/* the last batch committed; 0 none */
	uint64_t	 v[NPC];	/* the stored records' counters summed */
};

struct imp_tally;

/* A batch committed (t: its records; bad: its lines skipped). */
void	impstats_batch(const struct imp_tally *t, uint64_t bad, time_t now);
void	impstats_refused(void);
const struct imp_stats *impstats(void);
/* files: import_pos rows (files tracked), -1 if unknown. */
void	impstats_health(struct jbuf *, int64_t files);

#endif
