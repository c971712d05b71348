/*
 * cmd_report.c - "ioshim report": the top writers over a stored period,
 * as a table, JSON or CSV, and optionally an SVG chart (report_svg.c).
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>

#include "client.h"
#include "ioshim.h"
#include "jv.h"
#include "report.h"
#include "top.h"
#include "units.h"

enum { BY_PROCESS, BY_EXE, BY_FILE, BY_CLASS };

static const char *const bynames[] = { "process", "exe", "file", "class" };
static const char *const classes[] = {
	"disk", "memfs", "socket", "pipe", "tty", "other",
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ioshim report [--since DURATION | --from TIME [--to TIME]]\n"
"                     [--by process|exe|file|class] [--limit N]\n"
"                     [--json | --csv] [--svg FILE] [--socket PATH]\n"
"       ioshim report --file R.jsonl [--json | --csv]\n"
"\n"
"The top writers over a past period, from the collector's stored windows.\n"
"  --since DURATION  the last DURATION: 90s, 10m, 2h, 1d, 1w, 1h30m\n"
"                    (default 1d)\n"
"  --from TIME       start: 'YYYY-MM-DD[ HH:MM[:SS]]', 'HH:MM', 'yesterday',\n"
"                    'today', '-2h', '@UNIXTIME'\n"
"  --to TIME         end (default now)\n"
"  --by KEY          process (default), exe, file or class\n"
"  --limit N         rows (default 10, at most 1000)\n"
"  --json, --csv     machine-readable output instead of the table\n"
"  --svg FILE        also draw disk write rate over time for the top\n"
"                    executables (stacked), as SVG\n"
"  --file R.jsonl    no collector: one row per record of the exit-report\n"
"                    file 'ioshim run --report' (IOSHIM_REPORT) wrote\n"
"                    ('-': stdin), and their totals\n");
}

/* A request whose reply is parsed; NULL (message printed) on failure. */
struct jv *
report_ask(const char *sockopt, const char *req)
{
	struct jv *v;
	char *reply;

	if (client_request(sockopt, req, &reply) != 0)
		return NULL;
	v = jv_parse(reply);
	free(reply);
	if (v == NULL)
		warnx("report: unreadable reply from the collector");
	else if (jv_error(v) != NULL) {
		warnx("report: collector: %s", jv_error(v));
		jv_free(v);
		v = NULL;
	}
	return v;
}

static double
saved_pct(const struct jv *r, int file)
{
	double ab = jv_num(r, "absorbed");
	double fl = jv_num(r, file ? "flushes" : "flush_syscalls");
	double wc = file ? jv_num(r, "writes") : jv_num(r, "disk_writes") +
	    jv_num(r, "memfs_writes");

	return wc <= 0 ? -1 : ab > fl ? 100.0 * (ab - fl) / wc : 0;
}

static void
csvq(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void
jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* The numeric columns of a process or exe row. */
static const char *const pcols[] = {
	"disk_write_bytes", "disk_writes", "disk_read_bytes", "fsyncs",
	"absorbed", "flush_syscalls", "kernel_write_bytes",
	"socket_write_bytes", "socket_read_bytes", "disk_write_syscalls",
	"saves_absorbed", "saves_written", "bytes_saved",
};
static const char *const fcols[] = {
	"write_bytes", "writes", "read_bytes", "fsyncs", "absorbed",
	"flushes", "write_syscalls", "saves_absorbed", "saves_written",
	"bytes_saved",
};
#define NP	(sizeof(pcols) / sizeof(pcols[0]))
#define NF	(sizeof(fcols) / sizeof(fcols[0]))

/*
 * Debounced saves (docs/debounce.md) get three columns after the
 * coalescer's, SAVES-ABS, SAVES-WR and BYTES-SAVED, when a row shown has
 * any: a table without debounced files keeps its layout.
 */
static int show_db;

static int
db_rows(const struct jv *rows, size_t limit)
{
	size_t i;

	for (i = 0; rows != NULL && i < rows->n && i < limit; i++)
		if (jv_num(&rows->kids[i], "saves_absorbed") > 0 ||
		    jv_num(&rows->kids[i], "saves_written") > 0)
			return 1;
	return 0;
}

static void
db_cells(const struct jv *r)
{
	char b[16];

	if (!show_db)
		return;
	u_bytes(b, sizeof(b), jv_num(r, "bytes_saved"), 0);
	printf(" %9.0f %8.0f %11s", jv_num(r, "saves_absorbed"),
	    jv_num(r, "saves_written"), b);
}

static void
db_head(void)
{
	if (show_db)
		printf(" %9s %8s %11s", "SAVES-ABS", "SAVES-WR", "BYTES-SAVED");
}

static void
hcell(char *b, size_t sz, double v, int bytes)
{
	if (bytes)
		u_bytes(b, sz, v, 0);
	else
		snprintf(b, sz, "%.0f", v);
}

static void
table_row(const struct jv *r, int by, const char *name)
{
	char c[NP][16], sv[16], pc[16];
	double s = saved_pct(r, by == BY_FILE);
	size_t i;

	if (s < 0)
		snprintf(sv, sizeof(sv), "-");
	else
		snprintf(sv, sizeof(sv), "%s%%", u_pct(pc, sizeof(pc), s, 1));
	if (by == BY_FILE) {
		for (i = 0; i < NF; i++)
			hcell(c[i], sizeof(c[i]), jv_num(r, fcols[i]),
			    i == 0 || i == 2);
		/* WRITES: the kernel's write system calls; CALLS: the
		 * program's */
		printf("%10s %8s %8s %9s %6s %9s %8s %7s", c[0], c[6], c[1],
		    c[2], c[3], c[4], c[5], sv);
		db_cells(r);
		printf(" %-7s %5.0f  %s\n", jv_str(r, "class"),
		    jv_num(r, "processes"), name);
		return;
	}
	for (i = 0; i < NP; i++)
		hcell(c[i], sizeof(c[i]), jv_num(r, pcols[i]),
		    i == 0 || i == 2 || (i >= 6 && i <= 8));
	if (jv_num(r, "kernel_write_bytes") <= 0)
		snprintf(c[6], sizeof(c[6]), "-");
	/* WRITES: the kernel's write system calls; CALLS: the program's */
	printf("%10s %8s %8s %9s %6s %9s %8s %7s", c[0], c[9], c[1], c[2],
	    c[3], c[4], c[5], sv);
	db_cells(r);
	printf(" %12s %9s %9s  %s\n", c[6], c[7], c[8], name);
}

static void
table_head(int by)
{
	printf("%10s %8s %8s %9s %6s %9s %8s %7s", "WRITTEN", "WRITES",
	    "CALLS", "READ", "FSYNCS", "ABSORBED", "FLUSHES", "SAVED");
	db_head();
	if (by == BY_FILE)
		printf(" %-7s %5s  %s\n", "CLASS", "PROCS", "PATH");
	else
		printf(" %12s %9s %9s  %s\n", "KERNEL WRITE", "SOCK SENT",
		    "SOCK RECV", by == BY_EXE ? "EXECUTABLE (PROCESSES)" :
		    "    PID USER     COMMAND (EXECUTABLE)");
}

/*
 * The comm of the image that followed r by exec (the same pid, the next
 * image among rows), and of the one r followed; "" when not among them.
 */
static void
exec_links(const struct jv *rows, const struct jv *r, const char **to,
    const char **from)
{
	const struct jv *q, *next = NULL, *prev = NULL;
	uint64_t ns = jv_u64(r, "image_ns");
	size_t i;

	*to = *from = "";
	for (i = 0; rows != NULL && i < rows->n; i++) {
		q = &rows->kids[i];
		if (q == r || jv_num(q, "pid") != jv_num(r, "pid"))
			continue;
		if (jv_u64(q, "image_ns") > ns && (next == NULL ||
		    jv_u64(q, "image_ns") < jv_u64(next, "image_ns")))
			next = q;
		if (jv_u64(q, "image_ns") < ns && (prev == NULL ||
		    jv_u64(q, "image_ns") > jv_u64(prev, "image_ns")))
			prev = q;
	}
	if (next != NULL && jv_num(r, "end_reason") == END_EXEC)
		*to = jv_str(next, "comm");
	if (prev != NULL && jv_num(prev, "end_reason") == END_EXEC)
		*from = jv_str(prev, "comm");
}

static void
rowname(char *b, size_t sz, const struct jv *r, int by,
    const struct jv *rows)
{
	const char *to, *from;
	char mark[96];

	if (by == BY_PROCESS) {
		exec_links(rows, r, &to, &from);
		top_mark(mark, sizeof(mark), strcmp(jv_str(r, "state"),
		    "ended") == 0, (int)jv_num(r, "end_reason"), to, from);
		/* PID right-aligned under its header, as numbers are; an
		 * imported record names its host */
		snprintf(b, sz, "%7.0f %-8s %s%s (%s)%s%s", jv_num(r, "pid"),
		    top_user((uid_t)jv_num(r, "uid")), mark, jv_str(r, "comm"),
		    jv_str(r, "exe"), jv_get(r, "host") != NULL ?
		    " imported@" : "", jv_str(r, "host"));
	} else if (by == BY_EXE)
		snprintf(b, sz, "%s (%.0f)", jv_str(r, "exe"),
		    jv_num(r, "processes"));
	else
		snprintf(b, sz, "%s", jv_str(r, "path"));
}

/* Sum the exe rows into one object-like array of totals. */
static void
sum_rows(const struct jv *rows, const char *key, double *out)
{
	size_t i;

	*out = 0;
	for (i = 0; rows != NULL && i < rows->n; i++)
		*out += jv_num(&rows->kids[i], key);
}

static void
by_class(const struct jv *all, int out)
{
	const struct jv *rows = jv_get(all, "rows");
	static const char *const k[] = {
		"read_bytes", "write_bytes", "reads", "writes",
	};
	char key[64], cell[4][16];
	double v[4];
	size_t c, i;

	if (out == OUT_CSV)
		printf("class,read_bytes,write_bytes,reads,writes\n");
	else if (out == OUT_JSON)
		printf(",\"rows\":[");
	else
		printf("%-8s %10s %10s %10s %10s\n", "CLASS", "READ", "WRITTEN",
		    "READS", "WRITES");
	for (c = 0; c < 6; c++) {
		for (i = 0; i < 4; i++) {
			snprintf(key, sizeof(key), "%s_%s", classes[c], k[i]);
			sum_rows(rows, key, &v[i]);
		}
		if (out == OUT_CSV)
			printf("%s,%.0f,%.0f,%.0f,%.0f\n", classes[c], v[0], v[1],
			    v[2], v[3]);
		else if (out == OUT_JSON)
			printf("%s{\"class\":\"%s\",\"read_bytes\":%.0f,"
			    "\"write_bytes\":%.0f,\"reads\":%.0f,\"writes\":%.0f}",
			    c ? "," : "", classes[c], v[0], v[1], v[2], v[3]);
		else {
			u_bytes(cell[0], sizeof(cell[0]), v[0], 0);
			u_bytes(cell[1], sizeof(cell[1]), v[1], 0);
			printf("%-8s %10s %10s %10.0f %10.0f\n", classes[c],
			    cell[0], cell[1], v[2], v[3]);
		}
	}
	if (out == OUT_JSON)
		printf("]");
}

static int
range_args(const char *since, const char *from, const char *to, int64_t *f,
    int64_t *t)
{
	char a[32], b[32];
	time_t now = time(NULL);
	int64_t d;

	if (since != NULL && (from != NULL || to != NULL)) {
		warnx("report: use --since or --from/--to, not both");
		return -1;
	}
	if (to != NULL && from == NULL) {
		warnx("report: --to needs --from");
		return -1;
	}
	if (from != NULL) {
		if (u_time(from, now, f) != 0) {
			warnx("report: cannot read the time '%s' (try "
			    "'2024-05-01 13:00', '13:00', '-2h' or 'yesterday')",
			    from);
			return -1;
		}
		*t = now;
		if (to != NULL && u_time(to, now, t) != 0) {
			warnx("report: cannot read the time '%s' (try "
			    "'2024-05-01 14:00', '14:00', 'now' or '-1h')", to);
			return -1;
		}
	} else {
		if (u_duration(since != NULL ? since : "1d", &d) != 0) {
			warnx("report: --since takes a duration like 90s, 10m, "
			    "2h, 1d or 1h30m, not '%s'", since);
			return -1;
		}
		*f = (int64_t)now - d;
		*t = now;
	}
	if (*f > (int64_t)now) {
		u_timestr(a, sizeof(a), *f);
		warnx("report: the time range starts in the future (%s)", a);
		return -1;
	}
	if (*f >= *t) {
		u_timestr(a, sizeof(a), *f);
		u_timestr(b, sizeof(b), *t);
		warnx("report: the time range is empty: from %s is not before "
		    "to %s", a, b);
		return -1;
	}
	if (*t > (int64_t)now + 1)
		*t = (int64_t)now + 1;
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "svg", required_argument, NULL, 'g' },
		{ "file", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sockopt = NULL, *since = NULL, *from = NULL, *to = NULL;
	const char *svg = NULL, *file = NULL, *errstr;
	const struct jv *rows;
	struct jv *top = NULL, *all = NULL;
	char req[256], name[600], a[32], b[32], tb[16], pc[16];
	int64_t f, t;
	int c, by = BY_PROCESS, out = OUT_TABLE, limit = 10, rc = 1;
	size_t i, k;

	argc = client_socket_opt(argc, argv, &sockopt);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1) {
		switch (c) {
		case 's': since = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'g': svg = optarg; break;
		case 'F': file = optarg; break;
		case 'j': out = OUT_JSON; break;
		case 'c': out = OUT_CSV; break;
		case 'b':
			for (by = 0; by < 4; by++)
				if (strcmp(optarg, bynames[by]) == 0)
					break;
			if (by == 4) {
				warnx("report: --by takes process, exe, file or "
				    "class, not '%s'", optarg);
				return 2;
			}
			break;
		case 'n':
			limit = (int)strtonum(optarg, 1, 1000, &errstr);
			if (errstr != NULL) {
				warnx("report: --limit '%s' is %s (1 to 1000)",
				    optarg, errstr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return print_version();
		case ':':
			warnx("report: option '%s' needs a value",
			    argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			warnx("report: unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		warnx("report: unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (file != NULL) {
		if (since != NULL || from != NULL || to != NULL || svg != NULL ||
		    sockopt != NULL || by != BY_PROCESS || limit != 10) {
			warnx("report: --file takes only --json or --csv");
			usage(stderr);
			return 2;
		}
		return report_file(file, out);
	}
	if (range_args(since, from, to, &f, &t) != 0)
		return 2;
	/* Every executable: the totals line, and --by class. */
	snprintf(req, sizeof(req), "top by=exe from=%lld to=%lld limit=1000",
	    (long long)f, (long long)t);
	if ((all = report_ask(sockopt, req)) == NULL)
		return 1;
	if (by == BY_PROCESS || by == BY_FILE) {
		snprintf(req, sizeof(req), "top by=%s from=%lld to=%lld "
		    "limit=%d sort=%s", bynames[by], (long long)f, (long long)t,
		    limit, by == BY_FILE ? "write_bytes" : "disk_write_bytes");
		if ((top = report_ask(sockopt, req)) == NULL)
			goto out;
	}
	rows = jv_get(by == BY_EXE || by == BY_CLASS ? all : top, "rows");
	u_timestr(a, sizeof(a), f);
	u_timestr(b, sizeof(b), t);
	if (out == OUT_JSON) {
		printf("{\"from\":%lld,\"to\":%lld,\"by\":\"%s\",\"limit\":%d",
		    (long long)f, (long long)t, bynames[by], limit);
		if (by == BY_CLASS)
			by_class(all, out);
		else {
			printf(",\"rows\":[");
			for (i = 0; rows != NULL && i < rows->n &&
			    i < (size_t)limit; i++) {
				const struct jv *r = &rows->kids[i];
				double s = saved_pct(r, by == BY_FILE);

				printf("%s{", i ? "," : "");
				for (k = 0; k < r->n; k++) {
					if (k)
						putchar(',');
					jstr(r->kids[k].key);
					putchar(':');
					if (r->kids[k].type == JV_STR)
						jstr(r->kids[k].str);
					else
						printf("%llu", (unsigned long long)
						    r->kids[k].u);
				}
				if (s >= 0)
					printf(",\"saved_pct\":%s}", u_pct(pc,
					    sizeof(pc), s, 2));
				else
					printf(",\"saved_pct\":null}");
			}
			printf("]");
		}
		printf(",\"totals\":{");
		for (k = 0; k < NP; k++) {
			double v;

			sum_rows(jv_get(all, "rows"), pcols[k], &v);
			printf("%s\"%s\":%.0f", k ? "," : "", pcols[k], v);
		}
		printf("}}\n");
	} else if (out == OUT_CSV) {
		if (by == BY_CLASS)
			by_class(all, out);
		else {
			printf("%s", by == BY_PROCESS ? "pid,user_id,comm,exe" :
			    by == BY_EXE ? "exe,processes" : "path,class,"
			    "processes");
			for (k = 0; k < (by == BY_FILE ? NF : NP); k++)
				printf(",%s", by == BY_FILE ? fcols[k] :
				    pcols[k]);
			printf(",saved_pct\n");
			for (i = 0; rows != NULL && i < rows->n &&
			    i < (size_t)limit; i++) {
				const struct jv *r = &rows->kids[i];
				double s = saved_pct(r, by == BY_FILE);

				if (by == BY_PROCESS) {
					printf("%.0f,%.0f,", jv_num(r, "pid"),
					    jv_num(r, "uid"));
					csvq(jv_str(r, "comm"));
					putchar(',');
					csvq(jv_str(r, "exe"));
				} else if (by == BY_EXE) {
					csvq(jv_str(r, "exe"));
					printf(",%.0f", jv_num(r, "processes"));
				} else {
					csvq(jv_str(r, "path"));
					printf(",%s,%.0f", jv_str(r, "class"),
					    jv_num(r, "processes"));
				}
				for (k = 0; k < (by == BY_FILE ? NF : NP); k++)
					printf(",%llu", (unsigned long long)
					    jv_u64(r, by == BY_FILE ? fcols[k] :
					    pcols[k]));
				if (s >= 0)
					printf(",%s\n", u_pct(pc, sizeof(pc),
					    s, 2));
				else
					printf(",\n");
			}
		}
	} else {
		printf("ioshim report: %s to %s, by %s\n\n", a, b,
		    bynames[by]);
		if (by == BY_CLASS)
			by_class(all, out);
		else if (rows == NULL || rows->n == 0)
			printf("(nothing recorded in this period)\n");
		else {
			show_db = db_rows(rows, (size_t)limit);
			table_head(by);
			for (i = 0; i < rows->n && i < (size_t)limit; i++) {
				rowname(name, sizeof(name), &rows->kids[i], by,
				    rows);
				table_row(&rows->kids[i], by, name);
			}
		}
		rows = jv_get(all, "rows");
		if (by != BY_CLASS && rows != NULL && rows->n > 0) {
			double v;

			sum_rows(rows, "disk_write_bytes", &v);
			u_bytes(tb, sizeof(tb), v, 0);
			printf("\nAll %zu executables: %s written to disk",
			    rows->n, tb);
			sum_rows(rows, "disk_write_syscalls", &v);
			printf(" in %.0f write system calls", v);
			sum_rows(rows, "disk_writes", &v);
			printf(" (the programs' write calls: %.0f)", v);
			sum_rows(rows, "fsyncs", &v);
			printf(", %.0f fsyncs", v);
			{
				double ab, fl, wc, m;

				sum_rows(rows, "absorbed", &ab);
				sum_rows(rows, "flush_syscalls", &fl);
				sum_rows(rows, "disk_writes", &wc);
				sum_rows(rows, "memfs_writes", &m);
				wc += m;
				if (wc > 0)
					printf("; coalescing kept %.0f write "
					    "calls from the kernel (%s%%)",
					    ab > fl ? ab - fl : 0, u_pct(pc,
					    sizeof(pc), ab > fl ? 100.0 *
					    (ab - fl) / wc : 0.0, 1));
			}
			{
				double da, dw, db;

				sum_rows(rows, "saves_absorbed", &da);
				sum_rows(rows, "saves_written", &dw);
				sum_rows(rows, "bytes_saved", &db);
				u_bytes(tb, sizeof(tb), db, 0);
				if (da + dw > 0)
					printf("; debounce absorbed %.0f saves "
					    "(%s never written) and wrote %.0f",
					    da, tb, dw);
			}
			sum_rows(rows, "kernel_write_bytes", &v);
			if (v > 0) {
				u_bytes(tb, sizeof(tb), v, 0);
				printf("; the kernel saw %s reach storage", tb);
			}
			printf(".\n");
		}
	}
	if (svg != NULL) {
		if (report_svg(sockopt, svg, f, t, limit) != 0)
			goto out;
		if (out == OUT_TABLE)
			printf("chart: %s\n", svg);
	}
	rc = 0;
out:
	jv_free(top);
	jv_free(all);
	return rc;
}
