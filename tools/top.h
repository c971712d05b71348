/*
 * top.h - the state shared by the parts of "ioshim top": what it polls
 * from the collector (top_data.c), how a row looks (top_text.c), the
 * curses screen (top_view.c) and the options and batch loop (cmd_top.c).
 */
#ifndef IOSHIM_TOP_H
#define IOSHIM_TOP_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TOP_HIST	10	/* sparkline points */
#define TOP_MAXSEL	64	/* -p / -u entries */

/* The counters top follows for each process image. */
enum {
	V_DR,		/* disk_read_bytes */
	V_DW,		/* disk_write_bytes */
	V_SS,		/* socket_write_bytes: sent */
	V_SR,		/* socket_read_bytes: received */
	V_FS,		/* fsyncs */
	V_AB,		/* absorbed: writes held by the coalescer */
	V_FL,		/* flush_syscalls */
	V_WC,		/* disk_writes + memfs_writes: the program's write calls */
	V_KW,		/* kernel_write_bytes */
	V_WS,		/* disk_write_syscalls: the kernel's write calls */
	NV
};

/* Columns, in screen order; the sort keys are their names. */
enum {
	COL_PID, COL_USER, COL_DR, COL_DW, COL_SS, COL_SR, COL_FS, COL_SAVED,
	COL_CMD, NCOL
};

struct tproc {
	pid_t		 pid;
	uid_t		 uid;
	uint64_t	 image_ns;
	char		 comm[32];
	char		 exe[256];
	int		 ended;
	int		 seen;		/* in the latest poll */
	int		 fresh;		/* first seen in the latest poll */
	uint64_t	 cur[NV];
	uint64_t	 prev[NV];
	uint64_t	 base[NV];	/* for -a */
	double		 rate[NV];	/* per second, last interval */
	double		 hist[TOP_HIST]; /* disk write rate, newest last */
};

/* One displayed row: a process, or an executable with -P. */
struct trow {
	pid_t		 pid;		/* 0 for an exe row */
	uid_t		 uid;
	int		 nproc;
	const char	*comm;
	const char	*exe;
	double		 val[NV];	/* rates, or totals with -a */
	double		 rate[NV];	/* per second, last interval */
	uint64_t	 tot[NV];	/* cumulative (since top started with -a) */
	double		 saved;		/* percent, < 0 = no writes */
	double		 hist[TOP_HIST];
};

struct topopt {
	int		 only;		/* -o */
	int		 batch;		/* -b */
	long long	 iter;		/* -n, 0 = forever */
	double		 delay;		/* -d */
	int		 accum;		/* -a */
	int		 kib;		/* -k */
	int		 stamp;		/* -t */
	int		 quiet;		/* -q count */
	int		 byexe;		/* -P / --by exe */
	int		 sort;		/* COL_* */
	int		 reverse;
	int		 json;
	int		 npid, nuid;
	pid_t		 pids[TOP_MAXSEL];
	uid_t		 uids[TOP_MAXSEL];
	char		 filter[64];	/* "/" */
	const char	*sockopt;
};

struct top {
	struct topopt	 o;
	struct tproc	*procs;
	size_t		 nprocs, capprocs;
	struct trow	*rows;
	size_t		 nrows;
	double		 tot[NV];	/* machine totals, per second */
	double		 dt;		/* seconds of the last interval */
	int		 polls;
	/* Collector status from "health". */
	int		 up;		/* reachable at the last poll */
	char		 status[256];
	char		 lasterr[256];
};

/* top_data.c */
int	top_poll(struct top *);		/* 0 ok, -1 collector failed */
void	top_rows(struct top *);		/* filter, group, sort */
int	top_sortkey(const char *);	/* COL_* or -1 */
const char *top_colname(int);
void	top_free(struct top *);
const char *top_user(uid_t);

/* top_text.c: one line of text (no newline). */
struct toplay {
	int	user, sock, spark;	/* columns shown */
	int	cmdw;			/* COMMAND width, 0 = as long as needed */
};
void	top_layout(struct toplay *, int cols);	/* cols 0: batch, all */
int	top_minwidth(void);
void	top_fmt_header1(const struct top *, char *, size_t);
void	top_fmt_header2(const struct top *, char *, size_t);
void	top_fmt_colhdr(const struct top *, const struct toplay *, char *,
	    size_t);
void	top_fmt_row(const struct top *, const struct toplay *,
	    const struct trow *, int utf8, char *, size_t);
void	top_json(const struct top *, FILE *);

/* top_view.c */
int	top_curses(struct top *);	/* exit status */

#endif
