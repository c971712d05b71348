/*
 * dbhold.h - the layout of a debounce hold file: the bytes of a
 * temporary file a debounced save writes (shim/debounce_hold.c), kept in
 * a file on tmpfs in the user's spill directory ("d.PID.N" beside the
 * coalescer's "s.PID.N", common/spill.h), mapped MAP_SHARED, so that a
 * process killed without running any code still leaves its last complete
 * state (docs/debounce.md, "What is lost").
 *
 * One hold is in one of three states:
 *
 *	DBH_FREE	nothing; the mapping waits for the next temporary file.
 *	DBH_TEMP	data[0..len) are the bytes the program wrote to the
 *			temporary file path (device dev, inode ino), which is
 *			empty on disk; len is stored after the bytes.
 *	DBH_STATE	data[0..len) are a complete state of the file path
 *			(the target), saved (renamed onto it by the program)
 *			at mtime; stored last, after the bytes, the path, the
 *			time and seq.  Of two DBH_STATE holds of one target
 *			(a kill between the commit of the newer and the free
 *			of the older) the higher seq is the newer.
 *
 * A reader (shim/debounce_sweep.c) trusts nothing in it: it is written by
 * a process its user controls.
 */
#ifndef IOSHIM_DBHOLD_H
#define IOSHIM_DBHOLD_H

#include <stdint.h>

#define DBH_MAGIC	"IOSHIMDB"
#define DBH_VERSION	1
#define DBH_HDR		8192u		/* data start here */
#define DBH_CAP		(1u << 20)	/* bytes held per temporary file */
#define DBH_PATH_MAX	4096

enum { DBH_FREE, DBH_TEMP, DBH_STATE };

struct dbh_hdr {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdr_size;	/* DBH_HDR */
	uint32_t	cap;		/* data bytes the file has room for */
	uint32_t	uid;
	int32_t		pid;
	uint32_t	mode;		/* the temporary file's permission bits */
	uint64_t	start_ticks;	/* /proc/PID/stat field 22 */
	volatile uint32_t state;	/* DBH_*, stored after what it describes */
	uint32_t	pad;
	volatile uint64_t len;
	uint64_t	seq;
	int64_t		mtime_sec, mtime_nsec;	/* DBH_STATE: when saved */
	uint64_t	dev, ino;	/* DBH_TEMP: the temporary file */
	char		path[DBH_PATH_MAX];	/* NUL-terminated */
};

_Static_assert(sizeof(struct dbh_hdr) <= DBH_HDR, "hold header too large");

#endif /* IOSHIM_DBHOLD_H */
