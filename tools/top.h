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
	V_SA,		/* saves_absorbed: debounced saves never written */
	V_SW,		/* saves_written: debounced saves that were */
	V_BS,		/* bytes_saved: the absorbed saves' bytes */
	NV
};

/* Columns, in screen order; the sort keys are their names. */
enum {
	COL_PID, COL_USER, COL_DR, COL_DW, COL_SS, COL_SR, COL_FS, COL_SAVED,
	COL_CMD, NCOL
};

/* How an image ended (the wire's iw_end). */
enum { END_NONE, END_EXIT, END_EXEC, END_SIGNAL };

/* -g: what the history column draws. */
enum { GR_R, GR_W, GR_RW, NGR };

struct tproc {
	pid_t		 pid;
	uid_t		 uid;
	uint64_t	 image_ns;
	char		 comm[32];
	char		 exe[256];
	int		 ended;
	int		 endwhy;	/* END_*, when ended */
	char		 execto[32];	/* ended by exec: the next image's comm */
	char		 execfrom[32];	/* started by exec: the one before */
	int		 seen;		/* in the latest poll */
	int		 fresh;		/* first seen in the latest poll */
	uint64_t	 cur[NV];
	uint64_t	 prev[NV];	/* at the shim's report before cur */
	uint64_t	 base[NV];	/* for -a */
	uint64_t	 sent;		/* shim's clock (ns) when cur was taken */
	uint64_t	 psent;		/* ... when prev was taken */
	double		 gap;		/* seconds between its last two reports */
	double		 rate[NV];	/* per second, between the last reports */
	double		 hist[NGR][TOP_HIST]; /* rates, newest last */
};

/* One displayed row: a process, or an executable with -P. */
struct trow {
	pid_t		 pid;		/* 0 for an exe row */
	uid_t		 uid;
	int		 nproc;
	const char	*comm;
	const char	*exe;
	const struct tproc *proc;	/* a process row: its image */
	double		 val[NV];	/* rates, or totals with -a */
	double		 rate[NV];	/* per second, last interval */
	uint64_t	 tot[NV];	/* cumulative (since top started with -a) */
	double		 saved;		/* percent, < 0 = no writes */
	double		 hist[NGR][TOP_HIST];
};

/* -1 .. -9: iotop-c's column numbers; those ioshim has. */
enum {
	HIDE_PID = 1 << 1, HIDE_USER = 1 << 3, HIDE_DR = 1 << 4,
	HIDE_DW = 1 << 5, HIDE_GRAPH = 1 << 8, HIDE_CMD = 1 << 9,
};
#define HIDE_OK	(HIDE_PID | HIDE_USER | HIDE_DR | HIDE_DW | HIDE_GRAPH | \
		    HIDE_CMD)

/* -a / -A / neither: what a row's numbers are. */
enum { AC_RATE, AC_TOTAL, AC_BW };

/* -H: the help the curses view offers. */
enum { HELP_INLINE, HELP_WIN, HELP_NONE };

struct topopt {
	int		 only;		/* -o */
	int		 batch;		/* -b */
	long long	 iter;		/* -n, 0 = forever */
	double		 delay;		/* -d */
	int		 accum;		/* AC_*: -a, -A */
	int		 kib;		/* -k */
	int		 stamp;		/* -t */
	int		 quiet;		/* -q count */
	int		 byexe;		/* -m / --by exe */
	int		 fullcmd;	/* -c: the executable's path too */
	int		 noexited;	/* -e */
	int		 deadx;		/* -x: ended rows not dimmed */
	int		 hide;		/* HIDE_* */
	int		 graph;		/* GR_*, -g */
	int		 ascii;		/* --ascii: 1, --unicode: 0, -1 locale */
	int		 helptype;	/* HELP_*, -H */
	int		 sort;		/* COL_* */
	int		 reverse;
	int		 json;
	int		 npid, nuid;
	pid_t		 pids[TOP_MAXSEL];
	uid_t		 uids[TOP_MAXSEL];
	char		 filter[64];	/* "/", --filter: a regex (else a word) */
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
	double		 start;		/* wall clock when top started */
	double		 now;		/* wall clock of the last poll */
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
int	top_grtype(const char *);	/* GR_* or -1 */
const char *top_grname(int);
const char *top_colname(int);
void	top_free(struct top *);
const char *top_user(uid_t);

/* top_text.c: one line of text (no newline). */
struct toplay {
	int	pid, user, dr, dw, sock, spark, cmd;	/* columns shown */
	int	cmdw;			/* COMMAND width, 0 = as long as needed */
};
void	top_layout(struct toplay *, int cols, int hide); /* cols 0: batch */
int	top_minwidth(void);
void	top_fmt_header1(const struct top *, char *, size_t);
void	top_fmt_header2(const struct top *, char *, size_t);
void	top_fmt_colhdr(const struct top *, const struct toplay *, char *,
	    size_t);
void	top_fmt_row(const struct top *, const struct toplay *,
	    const struct trow *, int utf8, char *, size_t);
void	top_json(const struct top *, FILE *);
/* The marks of an ended image or exec chain: "" or "[ended] " etc. */
void	top_mark(char *, size_t, int ended, int endwhy, const char *execto,
	    const char *execfrom);

/* top_keys.c: the help screen and what iotop-c's other keys say here. */
extern const char *const top_help[];
const char *top_key_note(int ch);	/* NULL: a key ioshim acts on */

/* top_view.c */
int	top_curses(struct top *);	/* exit status */

#endif
