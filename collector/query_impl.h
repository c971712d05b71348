/*
 * query_impl.h - what the files that answer queries share: the visibility
 * rule, error replies, the ranges of stored windows, and the answers that
 * live in files of their own (health.c, toplive.c, toprange.c).  query.c
 * dispatches; query.h is the interface.
 */
#ifndef IOSHIMD_QUERY_IMPL_H
#define IOSHIMD_QUERY_IMPL_H

#include <sys/types.h>
#include <sqlite3.h>
#include <stdint.h>

#include "json.h"
#include "request.h"

/* query.c */
int	q_visible(uid_t client, uid_t owner);	/* may client see owner's rows */
int	q_admin(uid_t client);			/* root or the collector's uid */
void	q_error(struct jbuf *, const char *msg);	/* {"error":msg} */

/* qrange.c: stored windows in [from, to), hourly rows for whole hours. */
void	q_range_src(char *buf, size_t sz, const char *minute, const char *hour,
	    const char *colsel);
void	q_range_mmap(int on);
void	q_bind_range(sqlite3_stmt *, int64_t from, int64_t to);

/* qbudget.c: interrupt a query past million SQLite steps; 1 if it was. */
void	qb_start(sqlite3 *, int million);
int	qb_stop(sqlite3 *);

/* The answers. */
void	health_reply(struct jbuf *, uid_t client);
void	toplive_reply(struct jbuf *, const struct request *, uid_t client);
void	toprange_reply(struct jbuf *, const struct request *, uid_t client);

#endif
