/*
 * imprec.h - one exit-report record (a line IOSHIM_REPORT wrote,
 * shim/report.c) parsed and checked for `ioshim import`.
 *
 * No SQLite, no collector state: imprec.c can be fuzzed alone.  What a
 * record may hold is docs/collector.md's "Importing exit reports".
 */
#ifndef IOSHIMD_IMPREC_H
#define IOSHIMD_IMPREC_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define IMP_STR_MAX	4096	/* exe, path: at most 4095 bytes */
#define IMP_COMM_MAX	64
#define IMP_PID_MAX	4194304	/* the kernel's largest pid_max */
#define IMP_FILES_MAX	256	/* file rows kept per record */
#define IMP_LINE_MAX	(1u << 20)	/* a longer line is not a record */
#define IMP_VALUE_MAX	((uint64_t)1 << 48)	/* a larger counter is absurd */

struct imp_file {
	size_t		 path;		/* offset in imp_rec.arena */
	size_t		 plen;
	int		 cls;
	int		 db;		/* from "debounce": merged by path */
	uint64_t	 v[NFC];
};

struct imp_rec {
	int64_t		 pid, ppid;
	char		 exe[IMP_STR_MAX];
	char		 comm[IMP_COMM_MAX];
	int64_t		 start_ms, end_ms;	/* unix milliseconds */
	int		 end_reason;		/* IW_END_EXIT, _EXEC, _SIGNAL */
	int64_t		 end_code;
	uint64_t	 pc[NPC];
	struct imp_file	*files;
	size_t		 nfiles, fcap;
	size_t		 max_files;		/* more are counted, not kept */
	size_t		 files_over;
	char		*arena;			/* the files' paths */
	size_t		 alen, acap;
};

/*
 * Parse line[0..len) into r (its files and arena are reused between
 * calls; free them with imp_rec_free()).  now_ms: a record that ends more
 * than a minute after it is absurd.  0 ok, -1 with the reason in err.
 */
int	imp_parse(const char *line, size_t len, int64_t now_ms,
	    struct imp_rec *r, char *err, size_t errsz);
void	imp_rec_free(struct imp_rec *);
const char *imp_path(const struct imp_rec *, const struct imp_file *);

#endif
