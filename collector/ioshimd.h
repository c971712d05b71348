/*
 * ioshimd.h - the collector's shared state: configuration, the live
 * table, the store, the window clock and the ingest counters.  One
 * instance, owned by main.c, used by ingest.c and query.c.
 */
#ifndef IOSHIMD_H
#define IOSHIMD_H

#include <sys/types.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "aggregate.h"
#include "decode.h"
#include "store.h"
#include "ubound.h"

#define IOSHIMD_VERSION	"0.1"

struct config {
	const char	*sock;		/* ingest socket; queries at sock.ctl */
	const char	*db;
	const char	*pidfile;
	int		 window;	/* seconds */
	int		 keep_minutes;	/* days */
	int		 keep_hours;	/* days */
	int		 foreground;
	int		 shared;	/* let every uid send and query */
	struct agg_limits lim;
	struct ub_limits ub;		/* per uid (ubound.c) */
	int		 max_pages;
	const char	*http;		/* --http ADDR:PORT, NULL = off */
	int		 http_any;	/* allow non-loopback addresses */
	int		 metrics_top;	/* executables with own series */
	int		 stage_secs;	/* --stage: steady windows in memory */
	int		 query_work;	/* --query-work: million SQLite steps */
	int		 salvage_every;	/* --salvage-every: seconds, 0 = off */
};

struct ingest_stats {
	uint64_t	received;
	uint64_t	accepted;
	uint64_t	malformed;		/* dec_msg() said no */
	uint64_t	by_error[DEC_NERR];
	uint64_t	oversized;		/* > IW_MAX (MSG_TRUNC) */
	uint64_t	no_creds;		/* no SCM_CREDENTIALS */
	uint64_t	bytes;
};

struct ioshimd {
	struct config	 cfg;
	struct agg	*agg;
	struct store	*st;
	uid_t		 euid;
	time_t		 started;
	int64_t		 win_start;	/* open window */
	int64_t		 lastwin_start;	/* last closed window */
	int		 lastwin_secs;
	uint64_t	 lastwin[NPC];	/* its machine-wide deltas */
	uint64_t	 winacc[NPC];	/* stored so far for the open window */
	struct ingest_stats in;
	int		 nqclients;	/* connected query clients */
	uint64_t	 queries;
	uint64_t	 query_errors;
	uint64_t	 http_requests;
	time_t		 stale_after;
};

extern struct ioshimd D;

/* main.c */
int	collector_flush(int boundary);

/* ingest.c: the datagram socket */
struct sockaddr_un;
int	unix_addr(struct sockaddr_un *, const char *path);
int	ingest_open(const char *path, int mode);
int	ingest_read(int fd);		/* drain a batch; 0 ok */

/* ctl.c: the query socket */
int	ctl_open(const char *path, int mode);
void	ctl_accept(int lfd);
int	ctl_pollfds(struct pollfd *, int max);
void	ctl_events(struct pollfd *, int n);
void	ctl_timeout(int *timeout_ms);	/* shorten to the next deadline */
void	ctl_closeall(void);

#endif
