/*
 * wire.h - the one definition of the messages a shim sends to ioshimd.
 *
 * Transport: each message is one datagram on an AF_UNIX SOCK_DGRAM socket
 * (the "ingest socket", IOSHIM_SOCKET).  The receiver sets SO_PASSCRED, so
 * the kernel attaches the sender's pid, uid and gid to every datagram; the
 * payload never carries them.  A process is identified by (pid, start_ticks)
 * and one program image inside it (exec starts a new one) additionally by
 * image_ns.
 *
 * Both ends run on the same machine, so integers are in the host's byte
 * order.  All counters are cumulative since the image started: a lost or
 * reordered datagram loses nothing, the receiver keeps the largest seq.
 *
 * Layout rules: every struct is a multiple of 8 bytes with explicit padding,
 * strings are NUL-terminated inside fixed arrays (the receiver must check
 * the terminator), file paths are length-prefixed.
 *
 * docs/protocol.md describes the same format for people.
 */
#ifndef IOSHIM_WIRE_H
#define IOSHIM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define IW_MAGIC	0x4853494fu	/* "IOSH" in little-endian memory */
#define IW_VERSION	1
#define IW_MAX		16384		/* no datagram is larger */

/* Message types. */
enum iw_type {
	IW_PROC = 1,	/* process totals: struct iw_proc */
	IW_FILES = 2,	/* per-file rows of an older shim: struct iw_files
			 * + rows of IW_FILE_V1_SIZE (no write_syscalls) */
	IW_FILES2 = 3,	/* per-file rows: struct iw_files + struct iw_file */
	IW_DEBOUNCE = 4,	/* debounced saves: struct iw_dbfiles +
				 * struct iw_dbrow rows */
};

/* I/O classes of a file descriptor. */
enum iw_class {
	IW_DISK = 0,	/* regular files, block devices on storage */
	IW_MEMFS,	/* regular files on tmpfs, proc, sysfs, ... */
	IW_SOCKET,
	IW_PIPE,	/* pipes and FIFOs */
	IW_TTY,
	IW_OTHER,	/* /dev/null, eventfd, anything else */
	IW_NCLASS
};

/* Why the coalescer wrote buffered bytes to a file. */
enum iw_reason {
	IW_R_SIZE = 0, IW_R_AGE, IW_R_PRIORITY, IW_R_MEMORY, IW_R_SYNC,
	IW_R_CLOSE, IW_R_READ, IW_R_FORK, IW_R_EXEC, IW_R_EXIT, IW_R_SIGNAL,
	IW_NREASON
};

/* State of the image when the message was sent. */
enum iw_state {
	IW_LIVE = 0,	/* periodic report, more will follow */
	IW_END = 1,	/* last report of this image */
};

/* How an image ended (iw_proc.end_reason, valid when state == IW_END). */
enum iw_end {
	IW_END_NONE = 0, IW_END_EXIT, IW_END_EXEC, IW_END_SIGNAL
};

#define IW_EXE_MAX	256
#define IW_COMM_MAX	16
#define IW_NSIZES	6	/* write size buckets: <100, <1K, <10K, <100K, <1M, more */
#define IW_NFTIMES	6	/* fsync time buckets: <=100 us, <=1 ms, <=10 ms,
				 * <=100 ms, <=1 s, more (iw_ftime_bucket) */

struct iw_hdr {
	uint32_t	magic;		/* IW_MAGIC */
	uint16_t	version;	/* IW_VERSION */
	uint16_t	type;		/* enum iw_type */
	uint32_t	length;		/* bytes in this datagram, header included */
	uint32_t	seq;		/* per image, starts at 1 */
	uint64_t	start_ticks;	/* field 22 of /proc/PID/stat */
	uint64_t	image_ns;	/* CLOCK_REALTIME when this image started */
	uint64_t	sent_ns;	/* CLOCK_REALTIME at send */
};

struct iw_classctr {
	uint64_t	read_bytes;
	uint64_t	write_bytes;
	uint64_t	reads;		/* the program's own read calls */
	uint64_t	writes;		/* the program's own write calls */
};

struct iw_coalesce {
	uint64_t	writes_absorbed;	/* program writes held in a buffer */
	uint64_t	syscalls;		/* write syscalls the flushes made */
	uint64_t	bytes;			/* bytes the flushes wrote */
	uint64_t	errors;			/* failed flush attempts */
	uint64_t	reasons[IW_NREASON];	/* flushes per enum iw_reason */
};

/*
 * The kernel's side, at the end of struct iw_proc (a shim older than it
 * sends the struct without it: IW_PROC_V1_SIZE bytes, which the receiver
 * takes as all zero here, flags included).
 */
#define IW_K_OWN	0x1	/* read_bytes, write_bytes are filled in */
struct iw_kernel {
	uint64_t	flags;		/* IW_K_* */
	uint64_t	read_bytes;	/* the image's own storage I/O since it */
	uint64_t	write_bytes;	/* started (getrusage RUSAGE_SELF: its
					 * threads, not its reaped children) */
	uint64_t	write_syscalls[2];	/* IW_DISK, IW_MEMFS: write system
					 * calls that reached the kernel, stdio
					 * flushes and coalescer flushes included */
};

struct iw_proc {
	struct iw_hdr	h;		/* type IW_PROC */
	uint32_t	ppid;
	uint16_t	state;		/* enum iw_state */
	uint16_t	end_reason;	/* enum iw_end */
	int32_t		end_code;	/* exit status, or signal number */
	uint32_t	pad0;
	uint64_t	opens;
	uint64_t	fsyncs;
	struct iw_classctr cls[IW_NCLASS];
	struct iw_coalesce co;
	char		comm[IW_COMM_MAX];	/* NUL-terminated */
	char		exe[IW_EXE_MAX];	/* NUL-terminated, may be cut */
	/* Added after the first release (a datagram of IW_PROC_V1_SIZE
	 * bytes has none of them: taken as zero; exe is then unverified):
	 * the kernel's side, and the executable's device and inode (stat of
	 * /proc/self/exe at the image's start), by which the collector
	 * checks exe against /proc/PID/exe. */
	struct iw_kernel k;
	uint64_t	exe_dev;
	uint64_t	exe_ino;
};
#define IW_PROC_V1_SIZE	offsetof(struct iw_proc, k)

/* One file row; path_len bytes of path follow, then zero padding to 8. */
struct iw_file {
	uint16_t	path_len;	/* 1..4095, no NUL inside */
	uint8_t		cls;		/* enum iw_class */
	uint8_t		pad[5];
	uint64_t	opens;
	uint64_t	read_bytes;
	uint64_t	write_bytes;
	uint64_t	reads;
	uint64_t	writes;
	uint64_t	fsyncs;
	uint64_t	write_ns;	/* time spent in write calls */
	uint64_t	fsync_ns;	/* time spent in fsync-family calls */
	uint64_t	absorbed;	/* writes held by the coalescer */
	uint64_t	flushes;	/* write syscalls made by its flushes */
	uint64_t	write_sizes[IW_NSIZES];
	/* Added after the first release (rows of type IW_FILES end
	 * before it, IW_FILE_V1_SIZE bytes: taken as zero): */
	uint64_t	write_syscalls;	/* write system calls that reached
					 * the kernel: the program's own that
					 * went through, stdio's buffer flushes,
					 * the coalescer's flushes */
	uint64_t	fsync_times[IW_NFTIMES];	/* the fsync family's
					 * calls that reached the kernel, by
					 * the time each took */
	/* char path[path_len]; */
};
#define IW_FILE_V1_SIZE	offsetof(struct iw_file, write_syscalls)

struct iw_files {
	struct iw_hdr	h;		/* type IW_FILES2 (IW_FILES) */
	uint32_t	count;		/* rows that follow */
	uint32_t	pad0;
	/* struct iw_file rows[count], each padded to 8 bytes */
};

/*
 * Debounced saves (IOSHIM_DEBOUNCE, docs/debounce.md), sent only by an
 * image that has debounced files: the image's sums, then one row per
 * target file (its path follows, zero padding to 8).  Every datagram of
 * the message repeats the sums (the rows may take several); a row's
 * figures never exceed them.  A collector older than type 4 drops these
 * datagrams only: the other messages do not depend on them.
 */
struct iw_dbcount {
	uint64_t	saves_absorbed;	/* saves whose state never reached
					 * the target (a newer one came first) */
	uint64_t	saves_written;	/* states that reached the target */
	uint64_t	bytes_saved;	/* bytes of the absorbed states */
};

struct iw_dbrow {
	uint16_t	path_len;	/* 1..4095, no NUL inside */
	uint8_t		cls;		/* enum iw_class of the target */
	uint8_t		pad[5];		/* zero */
	struct iw_dbcount n;
	/* char path[path_len]; */
};

struct iw_dbfiles {
	struct iw_hdr	h;		/* type IW_DEBOUNCE */
	uint32_t	count;		/* rows that follow */
	uint32_t	pad0;		/* zero */
	struct iw_dbcount tot;		/* the image's sums over all its files */
	/* struct iw_dbrow rows[count], each padded to 8 bytes */
};

#define IW_PATH_MAX	4095
/* The fsync time bucket of a call that took ns nanoseconds. */
static inline unsigned
iw_ftime_bucket(uint64_t ns)
{
	uint64_t lim = 100000;		/* 100 us */
	unsigned b;

	for (b = 0; b + 1 < IW_NFTIMES && ns > lim; b++)
		lim *= 10;
	return b;
}

/* A row of type IW_FILES2 (IW_ROW_SIZE) or IW_FILES (IW_ROW_V1_SIZE). */
#define IW_ROW_SIZE(len)	((sizeof(struct iw_file) + (len) + 7u) & ~7u)
#define IW_ROW_V1_SIZE(len)	((IW_FILE_V1_SIZE + (len) + 7u) & ~7u)
/* A row of type IW_DEBOUNCE. */
#define IW_DBROW_SIZE(len)	((sizeof(struct iw_dbrow) + (len) + 7u) & ~7u)

#endif /* IOSHIM_WIRE_H */
