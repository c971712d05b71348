/*
 * hreason.h - the health reasons that are not the database's: query
 * bounds hit and datagrams dropped (hreason.c), and the overall state
 * ok / degraded / failing (docs/collector.md, "Health").
 */
#ifndef IOSHIMD_HREASON_H
#define IOSHIMD_HREASON_H

#include <stdint.h>
#include <time.h>

#include "json.h"

/* Overall states, worst last. */
enum { HS_OK, HS_DEGRADED, HS_FAILING };

/* The query bounds (docs/collector.md, "Bounds"). */
enum hr_bound {
	HR_BUSY,		/* no query slot: "busy" */
	HR_UNREAD,		/* "busy: too many unread replies" */
	HR_TOO_LARGE,		/* "reply too large" */
	HR_WORK,		/* "query too large": --query-work */
	HR_TOO_LONG,		/* "request too long" */
	HR_NBOUND
};

/* A reason stays this long after the last time it was seen. */
#define HR_RECENT	600

extern const char *const hr_bound_names[HR_NBOUND];

void	hr_refused(enum hr_bound);		/* a client was refused */
uint64_t hr_refusals(enum hr_bound);		/* since start */
void	hr_tick(time_t now);			/* notice drops (each window) */
/* A salvage run (salvager.c) set kept spills aside, had failed
 * directories, or was killed (each may be 0). */
void	hr_salvage(uint32_t kept, uint32_t failed, int killed);
/* Members of the open reasons object: query_refused, messages_dropped,
 * spills_kept, salvage_failing. */
void	hr_reasons(struct jbuf *, int full, time_t now);
/* "query_refusals":{...} since start (administrators). */
void	hr_counts(struct jbuf *);
/* The state that the reasons text (an object) adds up to: the worst
 * severity in it. */
int	hr_state(const char *reasons);
const char *hr_state_name(int);
/* The state of the last health reply made (GET /health's status). */
int	health_last_state(void);

#endif
