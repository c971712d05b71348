/*
 * report.h - the parts of "ioshim report": the table (cmd_report.c), the
 * data of the chart fetched from the collector (report_svg.c), the SVG
 * drawing itself (svg.c) and the summary of an exit-report file
 * (report_file.c).
 */
#ifndef IOSHIM_REPORT_H
#define IOSHIM_REPORT_H

#include <stdint.h>

struct jv;

enum { OUT_TABLE, OUT_JSON, OUT_CSV };

/* report_file.c: summarise the shim's JSONL records in path ("-": stdin). */
int	report_file(const char *path, int out);

/* Send one request; the parsed reply, or NULL (a message printed). */
struct jv	*report_ask(const char *sockopt, const char *req);

#define CHART_SERIES	8

struct series {
	char		 name[256];	/* the executable's path */
	double		*rate;		/* disk write bytes/s per bucket */
	double		 total;		/* bytes over the period */
	double		 calls;		/* the program's file write calls */
	double		 saved;		/* calls coalescing kept from the kernel */
};

struct chart {
	int64_t		 from, to, step;
	int		 nb;		/* buckets */
	int		 ns;		/* series */
	struct series	 s[CHART_SERIES];
	double		*saved;		/* write calls saved per second, per bucket */
	int		 zoomed;	/* cut to the span with activity */
};

/* report_svg.c: fetch the top executables' history and draw FILE. */
int	report_svg(const char *sockopt, const char *file, int64_t from,
	    int64_t to, int limit);
/* svg.c: 0 ok, -1 with errno (file) */
int	svg_write(const char *file, const struct chart *);

#endif
