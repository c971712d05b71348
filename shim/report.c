/*
 * report.c - the exit report: when an image ends, one JSON object on one
 * line is appended to $IOSHIM_REPORT.  Every process of a tree appends to
 * the same file; an exclusive flock(2) around the record keeps two records
 * from interleaving however long they are.  Where the record goes (the
 * file, its lock, records that could not be written) is reportfd.c's.
 *
 * This runs in a fatal-signal handler too, so it formats numbers itself
 * and writes through a fixed buffer: no malloc, no stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "shim.h"

struct out {
	int	fd;
	int	err;		/* a write failed or was short */
	size_t	n;
	char	buf[8192];
};

static void
out_flush(struct out *o)
{
	size_t done = 0;
	ssize_t r;

	while (done < o->n) {
		r = syscall(SYS_write, o->fd, o->buf + done, o->n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			o->err = 1;
			break;
		}
		done += (size_t)r;
	}
	o->n = 0;
}

static void
put(struct out *o, const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		if (o->n == sizeof(o->buf))
			out_flush(o);
		k = sizeof(o->buf) - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
	}
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_u64(struct out *o, uint64_t v)
{
	char b[24];
	int i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, b + i, sizeof(b) - (size_t)i);
}

/* Seconds since the epoch with milliseconds, from nanoseconds. */
static void
put_time(struct out *o, uint64_t ns)
{
	char ms[4];
	uint64_t m = (ns / 1000000) % 1000;

	put_u64(o, ns / 1000000000);
	ms[0] = '.';
	ms[1] = (char)('0' + m / 100);
	ms[2] = (char)('0' + m / 10 % 10);
	ms[3] = (char)('0' + m % 10);
	put(o, ms, 4);
}

/*
 * Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * strictly (RFC 3629), so no overlong form (C0, C1, E0 80..9F, F0
 * 80..8F), no surrogate (ED A0..BF) and nothing past U+10FFFF (F4 90..,
 * F5..) passes.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * A JSON string.  Control characters, quotes and backslashes are escaped;
 * bytes that are not valid UTF-8 are written as \u00XX, so any path,
 * however hostile, gives valid JSON.
 */
static void
put_str(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, k;

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			put(o, "\\", 1);
			put(o, (const char *)p + i, 1);
		} else if (p[i] >= 0x20 && p[i] < 0x7f)
			put(o, (const char *)p + i, 1);
		else if (p[i] >= 0x80 && (k = utf8_len(p + i, n - i)) > 0) {
			put(o, (const char *)p + i, k);
			i += k - 1;
		} else {
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			put(o, esc, 6);
		}
	}
	put(o, "\"", 1);
}

static void
key(struct out *o, const char *k)
{
	put(o, "\"", 1);
	puts_(o, k);
	put(o, "\":", 2);
}

static void
kv(struct out *o, const char *k, uint64_t v, int comma)
{
	key(o, k);
	put_u64(o, v);
	if (comma)
		put(o, ",", 1);
}

static const char *const class_names[IW_NCLASS] = {
	"disk", "memfs", "socket", "pipe", "tty", "other"
};
static const char *const reason_names[IW_NREASON] = {
	"size", "age", "priority", "memory", "sync", "close", "read", "fork",
	"exec", "exit", "signal"
};

static void
put_classes(struct out *o, const struct proc_totals *pt)
{
	int c;

	key(o, "classes");
	put(o, "{", 1);
	for (c = 0; c < IW_NCLASS; c++) {
		key(o, class_names[c]);
		put(o, "{", 1);
		kv(o, "read_bytes", pt->cls[c][C_RBYTES], 1);
		kv(o, "write_bytes", pt->cls[c][C_WBYTES], 1);
		kv(o, "reads", pt->cls[c][C_READS], 1);
		kv(o, "writes", pt->cls[c][C_WRITES], c <= IW_MEMFS);
		if (c <= IW_MEMFS)	/* the kernel's write calls */
			kv(o, "write_syscalls", pt->cls[c][C_SYSW] +
			    (c == IW_DISK ? pc.co_syscalls : 0), 0);
		put(o, c + 1 < IW_NCLASS ? "}," : "}", c + 1 < IW_NCLASS ? 2 : 1);
	}
	put(o, "},", 2);
}

static void
put_coalesce(struct out *o, const struct proc_totals *pt)
{
	int r;

	key(o, "coalesce");
	put(o, "{", 1);
	kv(o, "writes_absorbed", pt->co_absorbed, 1);
	kv(o, "syscalls", pc.co_syscalls, 1);
	kv(o, "bytes", pc.co_bytes, 1);
	key(o, "reasons");
	put(o, "{", 1);
	for (r = 0; r < IW_NREASON; r++)
		kv(o, reason_names[r], pc.co_reasons[r], r + 1 < IW_NREASON);
	put(o, "},", 2);
	kv(o, "errors", pc.co_errors, 1);
	/* where held bytes outlive a kill ("" none: said once here) and the
	 * killed writers' bytes this process salvaged at its start */
	key(o, "spill_dir");
	put_str(o, spill_where(), strlen(spill_where()));
	put(o, ",", 1);
	kv(o, "salvaged_spills", __atomic_load_n(&spill_salvaged_n, __ATOMIC_RELAXED), 1);
	kv(o, "salvaged_bytes", __atomic_load_n(&spill_salvaged_bytes, __ATOMIC_RELAXED), 0);
	put(o, "},", 2);
}

/*
 * Debounced saves (debounce.c): the process's sums, then per file.  Absent
 * when IOSHIM_DEBOUNCE names nothing.
 */
static void
put_debounce(struct out *o)
{
	uint64_t a, w, s, ta = 0, tw = 0, ts = 0;
	const char *path;
	unsigned i;

	if (!db_on)
		return;
	for (i = 0; db_row(i, &path, &a, &w, &s); i++) {
		ta += a;
		tw += w;
		ts += s;
	}
	key(o, "debounce");
	put(o, "{", 1);
	kv(o, "saves_absorbed", ta, 1);
	kv(o, "saves_written", tw, 1);
	kv(o, "bytes_saved", ts, 1);
	key(o, "files");
	put(o, "[", 1);
	for (i = 0; db_row(i, &path, &a, &w, &s); i++) {
		put(o, i ? ",{" : "{", i ? 2 : 1);
		key(o, "path");
		put_str(o, path, strlen(path));
		put(o, ",", 1);
		kv(o, "saves_absorbed", a, 1);
		kv(o, "saves_written", w, 1);
		kv(o, "bytes_saved", s, 0);
		put(o, "}", 1);
	}
	put(o, "]},", 3);
}

/* The image's own storage I/O (kio.c): not its reaped children's. */
static void
put_kernel(struct out *o)
{
	uint64_t rb, wb;

	kio_own(&rb, &wb);
	key(o, "kernel");
	put(o, "{", 1);
	kv(o, "read_bytes", rb, 1);
	kv(o, "write_bytes", wb, 0);
	put(o, "},", 2);
}

static int
row_active(const struct tfile *c)
{
	return c->opens || c->reads || row_writes(c) || c->fsyncs;
}

static SHIM_BIG struct tfile sums[64];	/* rows_sum of 64 rows: one record at a time */

static void
put_files(struct out *o)
{
	unsigned n = atomic_load(&files_used), i, b;
	const struct file_row *f;
	const struct tfile *c;
	int first = 1;

	key(o, "files");
	put(o, "[", 1);
	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			rows_sum(i, n - i < 64 ? n - i : 64, sums);
		f = row_shared_peek(i);
		c = &sums[i % 64];
		if (!row_active(c))
			continue;
		put(o, first ? "{" : ",{", first ? 1 : 2);
		first = 0;
		key(o, "path");
		put_str(o, names[i].path, names[i].path_len);
		put(o, ",", 1);
		key(o, "class");
		put_str(o, class_names[names[i].cls],
		    strlen(class_names[names[i].cls]));
		put(o, ",", 1);
		kv(o, "opens", c->opens, 1);
		kv(o, "read_bytes", c->read_bytes, 1);
		kv(o, "write_bytes", c->write_bytes, 1);
		kv(o, "reads", c->reads, 1);
		kv(o, "writes", row_writes(c), 1);
		kv(o, "fsyncs", c->fsyncs, 1);
		kv(o, "write_ns", ticks_to_ns(c->write_ns), 1);
		kv(o, "fsync_ns", ticks_to_ns(c->fsync_ns), 1);
		kv(o, "writes_absorbed", f->absorbed, 1);
		kv(o, "flush_syscalls", f->flushes, 1);
		kv(o, "write_syscalls", c->syscalls + f->flushes, 1);
		key(o, "write_sizes");
		put(o, "[", 1);
		for (b = 0; b < IW_NSIZES; b++) {
			put_u64(o, c->write_sizes[b]);
			if (b + 1 < IW_NSIZES)
				put(o, ",", 1);
		}
		put(o, "]}", 2);
	}
	put(o, "]", 1);
}

static SHIM_BIG struct out rec;		/* one record at a time: image_end runs once */

SHIM_ONCE void
report_write(int reason, int code)
{
	char comm[IW_COMM_MAX + 1] = "";
	struct proc_totals pt;
	struct report_dest d;
	int saved = errno;

	if (cfg.report[0] == '\0' || report_begin(&d) != 0)
		goto out;
	prctl(PR_GET_NAME, comm);
	rec.fd = d.fd;
	rec.err = 0;
	rec.n = 0;
	put(&rec, "{", 1);
	kv(&rec, "pid", (uint64_t)getpid(), 1);
	kv(&rec, "ppid", (uint64_t)getppid(), 1);
	key(&rec, "exe");
	put_str(&rec, image_exe, strlen(image_exe));
	put(&rec, ",", 1);
	key(&rec, "comm");
	put_str(&rec, comm, strlen(comm));
	put(&rec, ",", 1);
	key(&rec, "start");
	put_time(&rec, image_start_ns);
	put(&rec, ",", 1);
	key(&rec, "end");
	put_time(&rec, shim_wall_ns_sys());
	put(&rec, ",", 1);
	key(&rec, "end_reason");
	puts_(&rec, reason == IW_END_EXEC ? "\"exec\"," :
	    reason == IW_END_SIGNAL ? "\"signal\"," : "\"exit\",");
	if (reason == IW_END_SIGNAL)
		kv(&rec, "signal", (uint64_t)code, 1);
	else if (reason == IW_END_EXIT) {
		key(&rec, "exit_code");
		if (code < 0) {
			put(&rec, "-", 1);
			put_u64(&rec, (uint64_t)-(int64_t)code);
		} else
			put_u64(&rec, (uint64_t)code);
		put(&rec, ",", 1);
	}
	proc_totals(&pt);
	put_classes(&rec, &pt);
	kv(&rec, "opens", pt.opens, 1);
	kv(&rec, "fsyncs", pt.fsyncs, 1);
	kv(&rec, "dropped", d.dropped, 1);
	put_kernel(&rec);
	put_coalesce(&rec, &pt);
	put_debounce(&rec);
	put_files(&rec);
	put(&rec, "}\n", 2);
	out_flush(&rec);
	report_end(&d, !rec.err);
out:
	errno = saved;
}
