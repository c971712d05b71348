/*
 * report_file.c - "ioshim report --file R.jsonl": the exit-report records
 * the shim appends with IOSHIM_REPORT (docs/shim.md, "The report record"),
 * one row per record, as a table, JSON or CSV, and their totals.
 *
 * Every record is a row, "exec" ones too: they hold the counts of the
 * image an exec replaced (the sum of a pid's records is its total).  A
 * line that is not a JSON object is named on stderr and skipped; the exit
 * status is then 1.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"
#include "report.h"
#include "units.h"

static void	qstr(const char *, int);

/* The numbers of one record (or of all: the totals). */
enum {
	F_DR, F_DW, F_DWC, F_MWC, F_FS, F_SOCK, F_PIPE, F_AB, F_FL, F_DROP,
	F_DWS, F_MWS, F_SA, F_SW, F_BS, NFLD
};
static const char *const fname[NFLD] = {
	"disk_read_bytes", "disk_write_bytes", "disk_writes", "memfs_writes",
	"fsyncs", "socket_bytes", "pipe_bytes", "absorbed", "flush_syscalls",
	"dropped", "disk_write_syscalls", "memfs_write_syscalls",
	"saves_absorbed", "saves_written", "bytes_saved",
};

static void
numbers(const struct jv *r, uint64_t *v)
{
	v[F_DR] = jv_u64(r, "classes.disk.read_bytes");
	v[F_DW] = jv_u64(r, "classes.disk.write_bytes");
	v[F_DWC] = jv_u64(r, "classes.disk.writes");
	v[F_MWC] = jv_u64(r, "classes.memfs.writes");
	v[F_FS] = jv_u64(r, "fsyncs");
	v[F_SOCK] = jv_u64(r, "classes.socket.read_bytes") +
	    jv_u64(r, "classes.socket.write_bytes");
	v[F_PIPE] = jv_u64(r, "classes.pipe.read_bytes") +
	    jv_u64(r, "classes.pipe.write_bytes");
	v[F_AB] = jv_u64(r, "coalesce.writes_absorbed");
	v[F_FL] = jv_u64(r, "coalesce.syscalls");
	v[F_DROP] = jv_u64(r, "dropped");
	/* the kernel's write calls: stdio's and the coalescer's flushes */
	v[F_DWS] = jv_u64(r, "classes.disk.write_syscalls");
	v[F_MWS] = jv_u64(r, "classes.memfs.write_syscalls");
	/* debounced saves (IOSHIM_DEBOUNCE): absent without */
	v[F_SA] = jv_u64(r, "debounce.saves_absorbed");
	v[F_SW] = jv_u64(r, "debounce.saves_written");
	v[F_BS] = jv_u64(r, "debounce.bytes_saved");
}

/*
 * The record's debounced files: in JSON as "debounce_files", in the
 * table as a line under the record's row each.
 */
static void
db_files(const struct jv *r, int out)
{
	const struct jv *fs = jv_path(r, "debounce.files"), *f;
	char b[16];
	size_t i;

	if (out == OUT_JSON)
		printf(",\"debounce_files\":[");
	for (i = 0; fs != NULL && fs->type == JV_ARR && i < fs->n; i++) {
		f = &fs->kids[i];
		if (out == OUT_JSON) {
			printf("%s{\"path\":", i ? "," : "");
			qstr(jv_str(f, "path"), 0);
			printf(",\"saves_absorbed\":%llu,\"saves_written\":%llu,"
			    "\"bytes_saved\":%llu}",
			    (unsigned long long)jv_u64(f, "saves_absorbed"),
			    (unsigned long long)jv_u64(f, "saves_written"),
			    (unsigned long long)jv_u64(f, "bytes_saved"));
		} else if (out == OUT_TABLE) {
			u_bytes(b, sizeof(b), jv_num(f, "bytes_saved"), 0);
			printf("%7s debounce: %llu saves absorbed, %llu written, "
			    "%s saved: %s\n", "",
			    (unsigned long long)jv_u64(f, "saves_absorbed"),
			    (unsigned long long)jv_u64(f, "saves_written"), b,
			    jv_str(f, "path"));
		}
	}
	if (out == OUT_JSON)
		printf("]");
}

/* As "ioshim report": the share of file write calls kept from the kernel. */
static double
saved(const uint64_t *v)
{
	double wc = (double)v[F_DWC] + (double)v[F_MWC];

	if (wc <= 0)
		return -1;
	return v[F_AB] > v[F_FL] ? 100.0 * (double)(v[F_AB] - v[F_FL]) / wc :
	    0;
}

/* "exit 0", "signal 9", "exec" */
static void
endstr(char *b, size_t sz, const struct jv *r)
{
	const char *why = jv_str(r, "end_reason");

	if (strcmp(why, "exit") == 0)
		snprintf(b, sz, "exit %.0f", jv_num(r, "exit_code"));
	else if (strcmp(why, "signal") == 0)
		snprintf(b, sz, "signal %.0f", jv_num(r, "signal"));
	else
		snprintf(b, sz, "%s", *why ? why : "-");
}

static void
qstr(const char *s, int csv)
{
	putchar('"');
	for (; *s; s++) {
		if (csv && *s == '"')
			putchar('"');
		else if (!csv && (*s == '"' || *s == '\\'))
			putchar('\\');
		if (!csv && (unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
row(const struct jv *r, const uint64_t *v, int out, int first)
{
	char e[32], c[5][16], sv[16], pc[16];
	double s = saved(v);
	int k;

	endstr(e, sizeof(e), r);
	if (out == OUT_TABLE) {
		u_bytes(c[0], sizeof(c[0]), (double)v[F_DW], 0);
		u_bytes(c[1], sizeof(c[1]), (double)v[F_DR], 0);
		u_bytes(c[2], sizeof(c[2]), (double)v[F_SOCK], 0);
		u_bytes(c[3], sizeof(c[3]), (double)v[F_PIPE], 0);
		if (s < 0)
			snprintf(sv, sizeof(sv), "-");
		else
			snprintf(sv, sizeof(sv), "%s%%", u_pct(pc, sizeof(pc),
			    s, 1));
		printf("%7.0f %-15.15s %9s %8llu %8llu %9s %6llu %9llu %8llu "
		    "%7s %9s %9s  %s\n", jv_num(r, "pid"), jv_str(r, "comm"),
		    c[0], (unsigned long long)(v[F_DWS] + v[F_MWS]),
		    (unsigned long long)(v[F_DWC] + v[F_MWC]), c[1],
		    (unsigned long long)v[F_FS], (unsigned long long)v[F_AB],
		    (unsigned long long)v[F_FL], sv, c[2], c[3], e);
		db_files(r, out);
		return;
	}
	if (out == OUT_JSON) {
		printf("%s{\"pid\":%.0f,\"ppid\":%.0f,\"comm\":", first ? "" :
		    ",", jv_num(r, "pid"), jv_num(r, "ppid"));
		qstr(jv_str(r, "comm"), 0);
		printf(",\"exe\":");
		qstr(jv_str(r, "exe"), 0);
		printf(",\"end\":");
		qstr(e, 0);
		for (k = 0; k < NFLD; k++)
			printf(",\"%s\":%llu", fname[k],
			    (unsigned long long)v[k]);
		db_files(r, out);
		if (s < 0)
			printf(",\"saved_pct\":null}");
		else
			printf(",\"saved_pct\":%s}", u_pct(pc, sizeof(pc), s, 2));
		return;
	}
	printf("%.0f,%.0f,", jv_num(r, "pid"), jv_num(r, "ppid"));
	qstr(jv_str(r, "comm"), 1);
	putchar(',');
	qstr(jv_str(r, "exe"), 1);
	printf(",%s", e);
	for (k = 0; k < NFLD; k++)
		printf(",%llu", (unsigned long long)v[k]);
	printf(",%s\n", s < 0 ? "" : u_pct(pc, sizeof(pc), s, 2));
}

static void
head(int out)
{
	int k;

	if (out == OUT_TABLE)
		printf("%7s %-15s %9s %8s %8s %9s %6s %9s %8s %7s %9s %9s  %s\n",
		    "PID", "COMMAND", "WRITTEN", "WRITES", "CALLS", "READ",
		    "FSYNCS", "ABSORBED", "FLUSHES", "SAVED", "SOCKET", "PIPE",
		    "END");
	else if (out == OUT_JSON)
		printf("{\"records\":[");
	else {
		printf("pid,ppid,comm,exe,end");
		for (k = 0; k < NFLD; k++)
			printf(",%s", fname[k]);
		printf(",saved_pct\n");
	}
}

static void
totals(const uint64_t *t, size_t n, size_t bad, int out)
{
	char w[16], pc[16];
	double s = saved(t);
	int k;

	if (out == OUT_CSV)
		return;
	if (out == OUT_JSON) {
		printf("],\"count\":%zu,\"unreadable_lines\":%zu,\"totals\":{",
		    n, bad);
		for (k = 0; k < NFLD; k++)
			printf("%s\"%s\":%llu", k ? "," : "", fname[k],
			    (unsigned long long)t[k]);
		if (s < 0)
			printf(",\"saved_pct\":null}}\n");
		else
			printf(",\"saved_pct\":%s}}\n", u_pct(pc, sizeof(pc), s,
			    2));
		return;
	}
	u_bytes(w, sizeof(w), (double)t[F_DW], 0);
	printf("\nAll %zu records: %s written to disk in %llu write system "
	    "calls (the programs' write calls: %llu), %llu fsyncs", n, w,
	    (unsigned long long)t[F_DWS], (unsigned long long)t[F_DWC],
	    (unsigned long long)t[F_FS]);
	if (s >= 0)
		printf("; coalescing kept %llu write calls from the kernel "
		    "(%s%%)", (unsigned long long)(t[F_AB] > t[F_FL] ?
		    t[F_AB] - t[F_FL] : 0), u_pct(pc, sizeof(pc), s, 1));
	if (t[F_SA] + t[F_SW] > 0) {
		u_bytes(w, sizeof(w), (double)t[F_BS], 0);
		printf("; debounce absorbed %llu saves (%s never written) and "
		    "wrote %llu", (unsigned long long)t[F_SA], w,
		    (unsigned long long)t[F_SW]);
	}
	printf(".\n");
	if (t[F_DROP] > 0)
		printf("%llu more records could not be written to the file "
		    "(\"dropped\").\n", (unsigned long long)t[F_DROP]);
}

int
report_file(const char *path, int out)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n = 0, bad = 0, lineno = 0;
	ssize_t len;
	uint64_t v[NFLD], t[NFLD];
	struct jv *r;
	int k;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		warn("report: %s", path);
		return 1;
	}
	memset(t, 0, sizeof(t));
	head(out);
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if ((r = jv_parse(line)) == NULL || r->type != JV_OBJ) {
			warnx("report: %s:%zu: not a report record", path,
			    lineno);
			jv_free(r);
			bad++;
			continue;
		}
		numbers(r, v);
		for (k = 0; k < NFLD; k++)
			t[k] += v[k];
		row(r, v, out, n == 0);
		n++;
		jv_free(r);
	}
	if (ferror(f)) {
		warn("report: %s", path);
		bad++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	totals(t, n, bad, out);
	return bad > 0 ? 1 : 0;
}
