/*
 * hreason.c - the health reasons that are not the database's, and the
 * overall state.
 *
 * query_refused: a query client was refused by a bound (no slot, too many
 * unread replies, a reply or request too large, the query-work budget):
 * ctl.c and query.c call hr_refused().  messages_dropped: datagrams were
 * dropped (malformed, oversized, without credentials, refused by a bound,
 * a false identity) or file rows refused; noticed at every window boundary
 * (hr_tick) and every health reply.  spills_kept: ioshimd's salvage
 * (salvager.c) set spills it cannot salvage aside; salvage_failing: a
 * user's directory did not end well or a run was killed.  Each is degraded while the last time
 * it happened is less than HR_RECENT seconds ago; `since` is when the
 * spell began (a gap of HR_RECENT ends a spell).  The counts since start
 * are in health (`query_refusals`, `messages`) and /metrics.
 *
 * The state is the worst severity among the reasons: hr_state() reads it
 * from the reasons object as written, so the state and the reasons can
 * never disagree.
 */
#include <string.h>

#include "hreason.h"
#include "ioshimd.h"

const char *const hr_bound_names[HR_NBOUND] = {
	[HR_BUSY] = "busy", [HR_UNREAD] = "unread_replies",
	[HR_TOO_LARGE] = "reply_too_large", [HR_WORK] = "query_work",
	[HR_TOO_LONG] = "request_too_long",
};

/* A spell of something going wrong: first and last seen, how often. */
struct spell {
	time_t		since, last;
	uint64_t	n[HR_NBOUND];
};

static uint64_t refusals[HR_NBOUND];
static struct spell qspell, dspell, kspell, fspell;
static uint64_t seen_dropped, seen_files;
static int last_state;

static void
spell_hit(struct spell *s, time_t now)
{
	if (s->last == 0 || now - s->last >= HR_RECENT) {
		memset(s, 0, sizeof(*s));
		s->since = now;
	}
	s->last = now;
}

static int
spell_on(const struct spell *s, time_t now)
{
	return s->last != 0 && now - s->last < HR_RECENT;
}

void
hr_refused(enum hr_bound b)
{
	time_t now = time(NULL);

	refusals[b]++;
	spell_hit(&qspell, now);
	qspell.n[b]++;
}

uint64_t
hr_refusals(enum hr_bound b)
{
	return refusals[b];
}

/* The same sum as health's messages.dropped. */
static uint64_t
dropped(void)
{
	const struct agg_stats *as = agg_stats(D.agg);

	return D.in.malformed + D.in.oversized + D.in.no_creds +
	    as->refused_images + as->bad_identity;
}

void
hr_tick(time_t now)
{
	uint64_t d = dropped(), f = agg_stats(D.agg)->refused_files;

	if (d <= seen_dropped && f <= seen_files)
		return;
	spell_hit(&dspell, now);
	dspell.n[0] += d - seen_dropped;
	dspell.n[1] += f - seen_files;
	seen_dropped = d;
	seen_files = f;
}

void
hr_salvage(uint32_t kept, uint32_t failed, int killed)
{
	time_t now = time(NULL);

	if (kept > 0) {
		spell_hit(&kspell, now);
		kspell.n[0] += kept;
	}
	if (failed > 0 || killed) {
		spell_hit(&fspell, now);
		fspell.n[0] += failed;
		fspell.n[1] += killed != 0;
	}
}

static void
head(struct jbuf *j, const char *name, const struct spell *s)
{
	jb_key(j, name);
	jb_obj(j);
	jb_kstr(j, "severity", "degraded");
	jb_ki64(j, "since", s->since);
}

void
hr_reasons(struct jbuf *j, int full, time_t now)
{
	int b;

	hr_tick(now);
	if (spell_on(&qspell, now)) {
		head(j, "query_refused", &qspell);
		if (full) {
			jb_ki64(j, "last", qspell.last);
			for (b = 0; b < HR_NBOUND; b++)
				jb_ku64(j, hr_bound_names[b], qspell.n[b]);
		}
		jb_endobj(j);
	}
	if (spell_on(&dspell, now)) {
		head(j, "messages_dropped", &dspell);
		if (full) {
			jb_ki64(j, "last", dspell.last);
			jb_ku64(j, "dropped", dspell.n[0]);
			jb_ku64(j, "refused_files", dspell.n[1]);
		}
		jb_endobj(j);
	}
	if (spell_on(&kspell, now)) {
		head(j, "spills_kept", &kspell);
		if (full) {
			jb_ki64(j, "last", kspell.last);
			jb_ku64(j, "kept_spills", kspell.n[0]);
		}
		jb_endobj(j);
	}
	if (spell_on(&fspell, now)) {
		head(j, "salvage_failing", &fspell);
		if (full) {
			jb_ki64(j, "last", fspell.last);
			jb_ku64(j, "failed_dirs", fspell.n[0]);
			jb_ku64(j, "killed_runs", fspell.n[1]);
		}
		jb_endobj(j);
	}
}

void
hr_counts(struct jbuf *j)
{
	int b;

	jb_key(j, "query_refusals");
	jb_obj(j);
	for (b = 0; b < HR_NBOUND; b++)
		jb_ku64(j, hr_bound_names[b], refusals[b]);
	jb_endobj(j);
}

/*
 * Strings in the text are escaped, so an unescaped "severity":"failing"
 * can only be a reason's own key and value.
 */
int
hr_state(const char *reasons)
{
	int st = HS_OK;

	if (strstr(reasons, "\"severity\":\"failing\"") != NULL)
		st = HS_FAILING;
	else if (strstr(reasons, "\"severity\":\"degraded\"") != NULL)
		st = HS_DEGRADED;
	last_state = st;
	return st;
}

const char *
hr_state_name(int st)
{
	return st == HS_FAILING ? "failing" : st == HS_DEGRADED ? "degraded" :
	    "ok";
}

int
health_last_state(void)
{
	return last_state;
}
