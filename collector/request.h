/*
 * request.h - parse one query line ("top by=exe sort=disk_write limit=5").
 *
 * No SQLite, no collector state: the fuzzer links request.c (and
 * counters.c) alone.  docs/protocol.md is the reference for the words.
 */
#ifndef IOSHIMD_REQUEST_H
#define IOSHIMD_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wire.h"

#define REQ_LINE_MAX	4096	/* longer request lines are refused */
#define REQ_LIMIT_MAX	1000
#define REQ_POINTS_MAX	10000
#define REQ_FIELDS_MAX	16

enum req_verb {
	RQ_HEALTH, RQ_TOP, RQ_PROCESS, RQ_FILES, RQ_HISTORY, RQ_CHECKPOINT,
	RQ_FLUSH, RQ_HELP,
};

enum req_by { BY_PROCESS, BY_EXE, BY_FILE };

struct request {
	int		verb;
	int		by;
	int		sort;		/* counter index; -1 = default */
	int		limit;
	int		has_from, has_to;
	int64_t		from, to;	/* unix seconds, [from, to) */
	int64_t		pid;		/* -1 = none */
	int		has_exe;
	char		exe[IW_EXE_MAX];
	int64_t		step;		/* history bucket, seconds; 0 = auto */
	int		nfields;
	int		fields[REQ_FIELDS_MAX];	/* history counters */
	char		mode[16];	/* checkpoint mode */
	int		totals;		/* top: cumulative counters, every live image */
};

/*
 * Parse line[0..len) (no newline).  now resolves relative times.
 * Returns 0, or -1 with a message in err.
 */
int	req_parse(const char *line, size_t len, time_t now, struct request *,
	    char *err, size_t errsz);
/* "-5m", "now", "now-2h", "1700000000" -> unix seconds; 0 ok. */
int	req_time(const char *, time_t now, int64_t *);
const char *req_verbname(int);

#endif
