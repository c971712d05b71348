/*
 * counters.h - the counter vectors the collector keeps, stores and reports.
 *
 * A process image has NPC counters (C_*), a file row NFC counters (F_*).
 * The names are the SQLite column names and the JSON keys, so they are an
 * interface: add at the end, never rename.
 */
#ifndef IOSHIMD_COUNTERS_H
#define IOSHIMD_COUNTERS_H

#include <stdint.h>

#include "wire.h"

/* Per class (IW_DISK..IW_OTHER): read_bytes, write_bytes, reads, writes. */
#define C_CLASS(cls, k)	((cls) * 4 + (k))
#define K_RB	0
#define K_WB	1
#define K_R	2
#define K_W	3
enum {
	C_OPENS = IW_NCLASS * 4,	/* 24 */
	C_FSYNCS,
	C_ABSORBED,		/* writes held by the coalescer */
	C_FLUSH_SYSCALLS,	/* write syscalls its flushes made */
	C_FLUSH_BYTES,
	C_FLUSH_ERRORS,
	C_KREAD_BYTES,		/* storage reads: the shim's own figure
				 * (wire.h, iw_kernel), else /proc/PID/io */
	C_KWRITE_BYTES,		/* storage writes, the same */
	C_DISK_WSYS,		/* write syscalls to disk files (iw_kernel) */
	C_SAVES_ABSORBED,	/* debounced saves never written (IW_DEBOUNCE, */
	C_SAVES_WRITTEN,	/* schema 7), saves that reached the target, */
	C_BYTES_SAVED,		/* the absorbed saves' bytes */
	NPC
};

enum {
	F_OPENS = 0, F_READ_BYTES, F_WRITE_BYTES, F_READS, F_WRITES, F_FSYNCS,
	F_WRITE_NS, F_FSYNC_NS, F_ABSORBED, F_FLUSHES,
	F_WRITE_SYSCALLS,	/* write syscalls that reached the kernel:
				 * the program's own, stdio's flushes, the
				 * coalescer's (schema 6) */
	F_SAVES_ABSORBED,	/* debounced saves of the file (IW_DEBOUNCE, */
	F_SAVES_WRITTEN,	/* schema 7): absorbed, written, and the */
	F_BYTES_SAVED,		/* absorbed ones' bytes */
	NFC
};

extern const char *const pc_names[NPC];
extern const char *const fc_names[NFC];
extern const char *const class_names[IW_NCLASS];

/* Index of a counter name (or a documented alias), -1 if unknown. */
int	pc_index(const char *);
int	fc_index(const char *);

#endif
