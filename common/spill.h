/*
 * spill.h - the layout of a spill file: a coalescing buffer that lives in
 * a file on tmpfs, mapped MAP_SHARED by the process that appends, so its
 * held bytes outlive the process when it is killed (shim/spill.c makes
 * them; tools/cmd_salvage.c writes a dead writer's bytes to their file).
 *
 * The header says who wrote (pid, the process's start time in clock ticks
 * since boot, its PID namespace: a pid alone can be reused), which file
 * the bytes belong to (device, inode, birth time, path), and how far the
 * writer got.
 * Held bytes are data[0..len).  A flush moves through phases, each store
 * made after the bytes it describes (the phase and len in one store), so
 * a kill at any instruction leaves a header that says which bytes are
 * still to be written:
 *
 *	SP_IDLE		data[0..len) is held; nothing is being written.
 *	SP_WRITING	data[0..flush_n) is being written to the file, whose
 *			size was flush_pre just before: some or all of those
 *			bytes may be in the file already (a salvager looks
 *			for them after flush_pre), the rest of data[0..len)
 *			is held.
 *	SP_MOVING	data[0..done) is in the file; the held rest,
 *			data[done..len), is being moved to the front in
 *			pieces no longer than done (so no piece overwrites
 *			bytes not yet moved): held are data[0..moved) and
 *			data[done + moved..len).
 *
 * A salvager claims a spill in its header (claim_pid, compare-and-swap
 * on the shared mapping; a claim by a salvager that is gone is taken
 * over).  It records how far it got among the bytes to write (salvaged:
 * an offset into them that counts bytes found already in the file), and
 * the target's size before each write (salv_pre), so that one taking over
 * goes on exactly where a killed one stopped.
 *
 * The header is written by a process its user controls: a salvager never
 * trusts it (sizes are checked against the file, the target is opened
 * with the file owner's rights, O_NOFOLLOW, never created).
 */
#ifndef IOSHIM_SPILL_H
#define IOSHIM_SPILL_H

#include <stdint.h>

#define SP_MAGIC	"IOSHIMSP"
#define SP_VERSION	2
#define SP_HDR		8192u		/* data starts here: 2 pages */
#define SP_PATH_MAX	4096

enum { SP_IDLE, SP_WRITING, SP_MOVING };

/* The phase and the length change together, in one 64-bit store. */
#define SP_LP(phase, len)	((uint64_t)(phase) << 32 | (uint32_t)(len))
#define SP_PHASE(lp)		((uint32_t)((lp) >> 32))
#define SP_LEN(lp)		((uint32_t)(lp))

struct spill_hdr {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdr_size;	/* SP_HDR */
	uint32_t	cap;		/* data bytes the file has room for */
	uint32_t	uid;
	int32_t		pid;
	uint32_t	pad0;
	uint64_t	start_ticks;	/* /proc/PID/stat field 22 */
	uint64_t	pidns;		/* inode of /proc/PID/ns/pid */
	uint64_t	dev, ino;	/* the file the bytes belong to */
	uint64_t	lp;		/* SP_LP(phase, len), stored at once */
	volatile uint32_t flush_n;	/* SP_WRITING */
	volatile uint32_t done;		/* SP_MOVING */
	volatile uint32_t moved;	/* SP_MOVING */
	uint32_t	pad1;
	volatile uint64_t flush_pre;	/* SP_WRITING */
	/* a salvager's (zero from the writer): who claimed the spill, and how
	 * many of the bytes to write it has appended, so that another can go
	 * on where a killed one stopped */
	uint64_t	claim_pid;
	volatile uint64_t claim_start;
	volatile uint64_t salvaged;
	char		path[SP_PATH_MAX];	/* NUL-terminated */
	/* a salvager's: where among the bytes to write its latest write
	 * began (salv_at) and the target's size just before it plus one
	 * (salv_pre, 0 none), so that one taking over finds that write's bytes if they
	 * reached the file before salvaged counted them (after the path: a
	 * version 2 spill made without them has 0 here) */
	volatile uint64_t salv_pre;
	volatile uint64_t salv_at;
	/* the target's birth time (statx btime, ns; 0 unknown): a file made
	 * anew with the same device and inode numbers (a file system made
	 * again on the same device) is not the file the bytes belong to */
	uint64_t	btime;
};

_Static_assert(sizeof(struct spill_hdr) <= SP_HDR, "spill header too large");

#endif /* IOSHIM_SPILL_H */
