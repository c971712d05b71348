/*
 * wrap_stdio.c - the stdio family.  glibc's stdio writes and reads through
 * its internal __write/__read, which no write() wrapper sees, so every
 * byte moved through a FILE is counted here.
 *
 * Counting: the program's calls are counted as calls; bytes are counted
 * when they leave (or enter) the FILE's buffer, found from the buffer
 * pointers before and after each call.  So bytes written by inline putc
 * macros are counted too, when the buffer is flushed.
 *
 * Coalescing: on a FILE whose fd the coalescer handles, the bytes never
 * go to the kernel through stdio: whatever sits in the FILE's buffer is
 * moved into the coalescer (absorbed) and new data goes there directly,
 * so stdio never writes behind the coalescer's back and order is kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shim.h"

/* Optimised builds see some of these as macros; we define the functions. */
#undef fwrite_unlocked
#undef fread_unlocked
#undef getc_unlocked
#undef putc_unlocked
#undef fgetc_unlocked
#undef fputc_unlocked
#undef getchar_unlocked
#undef putchar_unlocked
#undef getc
#undef putc

#define IO_PUTTING	0x0800		/* _IO_CURRENTLY_PUTTING */
#define IO_ERR_SEEN	0x0020		/* _IO_ERR_SEEN */
#define IO_UNBUF	0x0002		/* _IO_UNBUFFERED */
#define IO_LINEBUF	0x0200		/* _IO_LINE_BUF */

static inline size_t
wpend(FILE *f)
{
	if (!(f->_flags & IO_PUTTING) || f->_IO_write_ptr <= f->_IO_write_base)
		return 0;
	return (size_t)(f->_IO_write_ptr - f->_IO_write_base);
}

static inline size_t
ravail(FILE *f)
{
	if ((f->_flags & IO_PUTTING) || f->_IO_read_end <= f->_IO_read_ptr)
		return 0;
	return (size_t)(f->_IO_read_end - f->_IO_read_ptr);
}

/*
 * How many bytes a write call copies into f's buffer before glibc flushes
 * it (_IO_new_file_xsputn): up to the buffer's end when line buffered, up
 * to _IO_write_end otherwise; nothing when f is not writing yet.
 */
static inline size_t
wroom(FILE *f)
{
	char *end = f->_flags & IO_LINEBUF ? f->_IO_buf_end : f->_IO_write_end;

	if (!(f->_flags & IO_PUTTING) || end <= f->_IO_write_ptr)
		return 0;
	return (size_t)(end - f->_IO_write_ptr);
}

/*
 * The write system calls glibc made for a call that added `added` bytes
 * and sent out bytes from the buffer (its __write is internal: no wrapper
 * sees it).  A flushing call writes the buffer (what it held plus what fit
 * in it) in one, then what is left over, whole blocks, in another
 * (_IO_new_file_xsputn); a flush alone (fflush, seek, close) is one.
 * Short writes, which glibc repeats, are not seen.
 */
static inline unsigned
stdio_syscalls(size_t pend, size_t room, size_t added, size_t out)
{
	size_t fl = pend + (room < added ? room : added);

	if (out == 0)
		return 0;
	if (fl > out)
		fl = out;
	return (fl > 0) + (out > fl);
}

struct acct {
	FILE		*f;
	fdent_t		e;
	size_t		pend, avail;
	size_t		room;	/* what a write call copies in before a flush */
	uint64_t	t0;
	int		lk;	/* we took f's lock */
};

/*
 * Start accounting a call on f that adds up to n bytes (SIZE_MAX: it
 * writes the buffer out).  Unless the caller holds f's lock (the
 * _unlocked calls: the program does), take it until the pointers are
 * read again: another thread's call on f in between would be counted
 * twice.  The real call takes it again (it is recursive); ~5 ns.
 */
static inline void
acct_begin(struct acct *a, FILE *f, size_t n, int locked)
{
	if ((a->lk = !locked))
		flockfile(f);
	a->f = f;
	a->e = f->_fileno >= 0 ? fd_get(f->_fileno) : 0;
	a->pend = wpend(f);
	a->avail = ravail(f);
	a->room = wroom(f);
	/* time only calls that may reach the kernel: n bytes won't fit */
	a->t0 = timed_class(a->e) && n >= (size_t)(f->_IO_buf_end - f->_IO_write_ptr) ?
	    shim_ticks() : 0;
}

/*
 * The real call between acct_begin and its end.  A thread cancelled inside
 * it (a write is a cancellation point) unwinds past the end: the lock
 * acct_begin took is released then, or every later call on f would wait
 * for ever (glibc's own stdio releases its lock the same way).
 */
static void
acct_cancelled(void *p)
{
	struct acct *a = p;

	if (a->lk)
		funlockfile(a->f);
}
#define ACCT_CALL(a, call) do {						\
	pthread_cleanup_push(acct_cancelled, (a));			\
	call;								\
	pthread_cleanup_pop(0);						\
} while (0)

/* The call added `added` bytes to the stream; calls is 1 for a write call. */
static void
acct_write_end(struct acct *a, size_t added, int calls)
{
	size_t after = wpend(a->f);
	ssize_t out = (ssize_t)(a->pend + added) - (ssize_t)after;
	unsigned c = FDE_CLASS(a->e), fr = FDE_FILE(a->e);

	if (a->lk)
		funlockfile(a->f);
	if (!(a->e & FD_KNOWN))
		return;
	if (calls)
		CLS_ADD(c, C_WRITES, 1);
	if (out > 0) {
		CLS_ADD(c, C_WBYTES, (uint64_t)out);
		count_sysw(c, fr, stdio_syscalls(a->pend, a->room, added,
		    (size_t)out));
	}
	if (fr != FILE_NONE)
		row_write(fr, calls, added, out,
		    a->t0 ? shim_ticks_since(a->t0) : 0);
}

static void
acct_read_end(struct acct *a, size_t consumed)
{
	ssize_t in = (ssize_t)ravail(a->f) - (ssize_t)a->avail + (ssize_t)consumed;
	unsigned c = FDE_CLASS(a->e), fr = FDE_FILE(a->e);

	if (a->lk)
		funlockfile(a->f);
	if (!(a->e & FD_KNOWN))
		return;
	CLS_ADD(c, C_READS, 1);
	if (in > 0)
		CLS_ADD(c, C_RBYTES, (uint64_t)in);
	if (fr != FILE_NONE)
		row_read(fr, 1, in);
}

/*
 * The fast path of a write call of n bytes on f whose fd entry e is known
 * and not coalesced: when glibc will only copy the bytes into f's buffer
 * (f is fully buffered, already writing, with room for n and one more),
 * no byte leaves the buffer in this call, so the call is all there is to
 * count: the bytes are counted by the call that writes them out, which
 * finds them in the buffer when it starts.  That is one test and two adds
 * instead of reading the buffer before and after (sort: one
 * fwrite_unlocked per line, ~140 instructions each, 11 % of its time).
 * A locking call holds f's lock from the test to the end of the call, so
 * another thread cannot make the buffer flush in between.
 */
static inline int
stays_buffered(FILE *f, size_t n)
{
	return (f->_flags & (IO_PUTTING | IO_LINEBUF | IO_UNBUF)) == IO_PUTTING &&
	    f->_IO_write_ptr >= f->_IO_write_base &&
	    n < (size_t)(f->_IO_write_end - f->_IO_write_ptr);
}

/* 1: take the fast path (a locking call then holds f's lock). */
static inline int
buffered_begin(FILE *f, fdent_t e, size_t n, int locked)
{
	if (!(e & FD_KNOWN))
		return 0;
	if (!locked)
		flockfile(f);
	if (likely(stays_buffered(f, n)))
		return 1;
	if (!locked)
		funlockfile(f);
	return 0;
}

/* The fast path's count: one write call of `added` bytes, none out. */
static inline void
buffered_end(FILE *f, fdent_t e, size_t added, int locked)
{
	if (!locked)
		funlockfile(f);
	CLS_ADD(FDE_CLASS(e), C_WRITES, 1);
	if (FDE_FILE(e) != FILE_NONE)
		row_write(FDE_FILE(e), 1, added, 0, 0);
}

/* f's fd entry (a FILE's fd may be seen here first: stdout), or 0. */
static inline fdent_t
file_entry(FILE *f)
{
	return f->_fileno >= 0 ? fd_get(f->_fileno) : 0;
}

static inline int
coalesced(FILE *f)
{
	/* fd_get: a FILE's fd may be seen here first (stdout) */
	return f->_fileno >= 0 &&
	    (FDE_FLAGS(fd_get(f->_fileno)) & FD_COALESCE) != 0;
}

/*
 * Move what sits in f's write buffer into the coalescer.  The caller
 * holds f's lock (or the program does, for _unlocked calls).
 */
static int
absorb(FILE *f)
{
	size_t n = wpend(f);
	fdent_t e;

	if (n == 0)
		return 0;
	e = fd_get(f->_fileno);
	/* bytes in the FILE buffer come from inline putc: no call of theirs */
	if (co_write_ex(f->_fileno, e, f->_IO_write_base, n, 0) < 0) {
		f->_flags |= IO_ERR_SEEN;
		return -1;
	}
	f->_IO_write_ptr = f->_IO_write_base;
	return 0;
}

/* A write of n bytes to a coalesced FILE; 0 or -1 (error flag set). */
static int
co_put_ex(FILE *f, const void *p, size_t n, int locked, int calls)
{
	int r = 0;

	if (!locked)
		flockfile(f);
	if (absorb(f) != 0 ||
	    co_write_ex(f->_fileno, fd_get(f->_fileno), p, n, calls) < 0) {
		f->_flags |= IO_ERR_SEEN;
		r = -1;
	}
	if (!locked)
		funlockfile(f);
	return r;
}

#define co_put(f, p, n, locked)	co_put_ex(f, p, n, locked, 1)

/* Reading, seeking or closing a coalesced FILE: all its bytes out first. */
static void
co_settle(FILE *f, int reason, int locked)
{
	if (!coalesced(f)) {
		if (f->_fileno >= 0)	/* another fd on a coalesced file */
			co_peer_point(f->_fileno, fd_peek(f->_fileno));
		return;
	}
	if (!locked)
		flockfile(f);
	absorb(f);
	if (!locked)
		funlockfile(f);
	co_flush_fd(f->_fileno, reason);
}

#define W_FWRITE(name, locked)						\
EXPORT size_t								\
name(const void *p, size_t size, size_t n, FILE *f)			\
{									\
	struct acct a;							\
	size_t r;							\
									\
	fdent_t e;							\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	e = file_entry(f);						\
	if (unlikely(FDE_FLAGS(e) & FD_COALESCE))			\
		return co_put(f, p, size * n, locked) ? 0 : n;		\
	if (likely(buffered_begin(f, e, size * n, locked))) {		\
		r = LAZY(name)(p, size, n, f);				\
		buffered_end(f, e, r * size, locked);			\
		return r;						\
	}								\
	acct_begin(&a, f, size * n, locked);				\
	ACCT_CALL(&a, r = LAZY(name)(p, size, n, f));			\
	acct_write_end(&a, r * size, 1);				\
	return r;							\
}
W_FWRITE(fwrite, 0)
W_FWRITE(fwrite_unlocked, 1)

#define W_FPUTS(name, locked)						\
EXPORT int								\
name(const char *s, FILE *f)						\
{									\
	struct acct a;							\
	int r;								\
									\
	fdent_t e;							\
	size_t len;							\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	e = file_entry(f);						\
	len = strlen(s);						\
	if (unlikely(FDE_FLAGS(e) & FD_COALESCE))			\
		return co_put(f, s, len, locked) ? EOF : 1;		\
	if (likely(buffered_begin(f, e, len, locked))) {		\
		r = LAZY(name)(s, f);					\
		buffered_end(f, e, r >= 0 ? len : 0, locked);		\
		return r;						\
	}								\
	acct_begin(&a, f, len, locked);					\
	ACCT_CALL(&a, r = LAZY(name)(s, f));				\
	acct_write_end(&a, r >= 0 ? len : 0, 1);			\
	return r;							\
}
W_FPUTS(fputs, 0)
W_FPUTS(fputs_unlocked, 1)

#define W_FPUTC(name, locked)						\
EXPORT int								\
name(int c, FILE *f)							\
{									\
	struct acct a;							\
	unsigned char ch = (unsigned char)c;				\
	int r;								\
									\
	fdent_t e;							\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	e = file_entry(f);						\
	if (unlikely(FDE_FLAGS(e) & FD_COALESCE))			\
		return co_put(f, &ch, 1, locked) ? EOF : ch;		\
	if (likely(buffered_begin(f, e, 1, locked))) {			\
		r = LAZY(name)(c, f);					\
		buffered_end(f, e, r != EOF, locked);			\
		return r;						\
	}								\
	acct_begin(&a, f, 1, locked);					\
	ACCT_CALL(&a, r = LAZY(name)(c, f));				\
	acct_write_end(&a, r != EOF, 1);				\
	return r;							\
}
W_FPUTC(fputc, 0)
W_FPUTC(fputc_unlocked, 1)
W_FPUTC(putc, 0)
W_FPUTC(putc_unlocked, 1)

EXPORT int
putchar(int c)
{
	return putc(c, stdout);
}

EXPORT int
putchar_unlocked(int c)
{
	return putc_unlocked(c, stdout);
}

EXPORT int
puts(const char *s)
{
	struct acct a;
	size_t n;
	int r;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(coalesced(stdout))) {
		flockfile(stdout);
		n = strlen(s);
		r = co_put(stdout, s, n, 1) || co_put_ex(stdout, "\n", 1, 1, 0) ? EOF : 1;
		funlockfile(stdout);
		return r;
	}
	acct_begin(&a, stdout, strlen(s) + 1, 0);
	ACCT_CALL(&a, r = LAZY(puts)(s));
	acct_write_end(&a, r >= 0 ? strlen(s) + 1 : 0, 1);
	return r;
}

EXPORT int
putw(int w, FILE *f)
{
	struct acct a;
	int r;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(coalesced(f)))
		return co_put(f, &w, sizeof(w), 0) ? EOF : 0;
	acct_begin(&a, f, sizeof(w), 0);
	ACCT_CALL(&a, r = LAZY(putw)(w, f));
	acct_write_end(&a, r == 0 ? sizeof(w) : 0, 1);
	return r;
}

/* Called by the putc macros when the buffer is full. */
EXPORT int
__overflow(FILE *f, int c)
{
	struct acct a;
	unsigned char ch = (unsigned char)c;
	int r;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(coalesced(f))) {
		if (co_put_ex(f, &ch, c == EOF ? 0 : 1, 1, c != EOF) != 0)
			return EOF;
		return c == EOF ? 0 : ch;
	}
	acct_begin(&a, f, SIZE_MAX, 1);	/* glibc's putc or the program holds f */
	ACCT_CALL(&a, r = LAZY(__overflow)(f, c));
	acct_write_end(&a, c != EOF && r != EOF, 1);
	return r;
}

/*
 * The printf family.  On a coalesced FILE the text is formatted first
 * (on the stack when short) and handed to the coalescer.
 */
static int
co_vprintf(FILE *f, int flag, const char *fmt, va_list ap)
{
	char small[1024], *buf = small;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = flag >= 0 ? __vsnprintf_chk(small, sizeof(small), flag, sizeof(small), fmt, ap)
	    : vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		if ((buf = malloc((size_t)n + 1)) == NULL) {
			va_end(ap2);
			f->_flags |= IO_ERR_SEEN;
			return -1;
		}
		n = flag >= 0 ? __vsnprintf_chk(buf, (size_t)n + 1, flag, (size_t)n + 1, fmt, ap2)
		    : vsnprintf(buf, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (n >= 0 && co_put(f, buf, (size_t)n, 0) != 0)
		n = -1;
	if (buf != small)
		free(buf);
	return n;
}

static int
do_vfprintf(FILE *f, int flag, const char *fmt, va_list ap)
{
	struct acct a;
	int r;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(coalesced(f)))
		return co_vprintf(f, flag, fmt, ap);
	acct_begin(&a, f, 512, 0);
	ACCT_CALL(&a, r = flag >= 0 ? LAZY(__vfprintf_chk)(f, flag, fmt, ap) :
	    LAZY(vfprintf)(f, fmt, ap));
	acct_write_end(&a, r > 0 ? (size_t)r : 0, 1);
	return r;
}

EXPORT int
vfprintf(FILE *f, const char *fmt, va_list ap)
{
	return do_vfprintf(f, -1, fmt, ap);
}

EXPORT int
vprintf(const char *fmt, va_list ap)
{
	return do_vfprintf(stdout, -1, fmt, ap);
}

EXPORT int
fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vfprintf(f, -1, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vfprintf(stdout, -1, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
__vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	return do_vfprintf(f, flag, fmt, ap);
}

EXPORT int
__vprintf_chk(int flag, const char *fmt, va_list ap)
{
	return do_vfprintf(stdout, flag, fmt, ap);
}

EXPORT int
__fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vfprintf(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
__printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vfprintf(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}

/* dprintf writes to an fd with one internal write: count it as one. */
static int
do_vdprintf(int fd, int flag, const char *fmt, va_list ap)
{
	fdent_t e;
	int r;

	if (unlikely(!shim_ready))
		shim_init();
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_COALESCE)) {
		/* a line that fits is formatted here and appended */
		char b[4096];
		va_list aq;
		int n;

		va_copy(aq, ap);
		n = flag >= 0 ? __vsnprintf_chk(b, sizeof(b), flag, sizeof(b), fmt, aq) :
		    vsnprintf(b, sizeof(b), fmt, aq);
		va_end(aq);
		if (n >= 0 && (size_t)n < sizeof(b))
			return (int)co_write(fd, e, b, (size_t)n);
		co_flush_fd(fd, IW_R_SYNC);
	}
	r = flag >= 0 ? LAZY(__vdprintf_chk)(fd, flag, fmt, ap) : LAZY(vdprintf)(fd, fmt, ap);
	count_write(e, r, 0);
	return r;
}

EXPORT int
vdprintf(int fd, const char *fmt, va_list ap)
{
	return do_vdprintf(fd, -1, fmt, ap);
}

EXPORT int
__vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	return do_vdprintf(fd, flag, fmt, ap);
}

EXPORT int
dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vdprintf(fd, -1, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
__dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = do_vdprintf(fd, flag, fmt, ap);
	va_end(ap);
	return r;
}

/* Reading. */
#define R_CALL(ret, name, decl, f, args, locked, consumed)		\
EXPORT ret								\
name decl								\
{									\
	struct acct a;							\
	ret r;								\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	co_settle(f, IW_R_READ, locked);				\
	acct_begin(&a, f, 0, locked);					\
	ACCT_CALL(&a, r = LAZY(name) args);				\
	acct_read_end(&a, consumed);					\
	return r;							\
}
R_CALL(size_t, fread, (void *p, size_t size, size_t n, FILE *f), f,
    (p, size, n, f), 0, r * size)
R_CALL(size_t, fread_unlocked, (void *p, size_t size, size_t n, FILE *f), f,
    (p, size, n, f), 1, r * size)
R_CALL(char *, fgets, (char *s, int n, FILE *f), f, (s, n, f), 0,
    r ? strlen(r) : 0)
R_CALL(char *, fgets_unlocked, (char *s, int n, FILE *f), f, (s, n, f), 1,
    r ? strlen(r) : 0)
R_CALL(int, fgetc, (FILE *f), f, (f), 0, r != EOF)
R_CALL(int, fgetc_unlocked, (FILE *f), f, (f), 1, r != EOF)
R_CALL(int, getc, (FILE *f), f, (f), 0, r != EOF)
R_CALL(int, getc_unlocked, (FILE *f), f, (f), 1, r != EOF)
R_CALL(int, getchar, (void), stdin, (), 0, r != EOF)
R_CALL(int, getchar_unlocked, (void), stdin, (), 1, r != EOF)
R_CALL(ssize_t, getdelim, (char **l, size_t *n, int d, FILE *f), f,
    (l, n, d, f), 0, r > 0 ? (size_t)r : 0)
R_CALL(ssize_t, __getdelim, (char **l, size_t *n, int d, FILE *f), f,
    (l, n, d, f), 0, r > 0 ? (size_t)r : 0)
R_CALL(ssize_t, getline, (char **l, size_t *n, FILE *f), f,
    (l, n, f), 0, r > 0 ? (size_t)r : 0)
R_CALL(int, __uflow, (FILE *f), f, (f), 1, r != EOF)
R_CALL(int, __underflow, (FILE *f), f, (f), 1, 0)

/* Calls that flush a FILE without being write calls of their own. */
static void
flush_end(struct acct *a)
{
	acct_write_end(a, 0, 0);
}

static int
flush_one(FILE *f, int locked)
{
	struct acct a;
	int r;

	if (coalesced(f)) {
		if (!locked)
			flockfile(f);
		r = absorb(f);
		if (!locked)
			funlockfile(f);
		return r ? EOF : 0;
	}
	acct_begin(&a, f, SIZE_MAX, locked);
	ACCT_CALL(&a, r = locked ? LAZY(fflush_unlocked)(f) :
	    LAZY(fflush)(f));
	flush_end(&a);
	return r;
}

/* Every FILE of the process, for fflush(NULL) and for the exit. */
extern FILE *_IO_list_all;
extern void _IO_list_lock(void);
extern void _IO_list_unlock(void);

SHIM_ONCE static int
flush_every(void)
{
	FILE *f;
	int r = 0;

	_IO_list_lock();
	for (f = _IO_list_all; f != NULL; f = f->_chain)
		if (wpend(f) > 0 && flush_one(f, 0) != 0)
			r = EOF;
	_IO_list_unlock();
	return r;
}

EXPORT int
fflush(FILE *f)
{
	if (unlikely(!shim_ready))
		shim_init();
	return f == NULL ? flush_every() : flush_one(f, 0);
}

EXPORT int
fflush_unlocked(FILE *f)
{
	if (unlikely(!shim_ready))
		shim_init();
	return f == NULL ? flush_every() : flush_one(f, 1);
}

/* At the end of the image, before stdio's own exit flush. */
SHIM_ONCE void
stdio_flush_all(void)
{
	flush_every();
}

/* The FILE's fd is about to be closed by stdio itself. */
static size_t
closing(FILE *f, int *err)
{
	int fd = f->_fileno;

	*err = 0;
	if (fd < 0)
		return 0;
	if (coalesced(f)) {
		flockfile(f);
		absorb(f);
		funlockfile(f);
		co_flush_fd(fd, IW_R_CLOSE);
		*err = co_take_error(fd);
		co_release(fd);
	}
	fd_forget(fd);
	return wpend(f);
}

EXPORT int
fclose(FILE *f)
{
	fdent_t e;
	size_t pend;
	int r, err;
	unsigned c, fr;

	if (unlikely(!shim_ready))
		shim_init();
	e = f->_fileno >= 0 ? fd_get(f->_fileno) : 0;
	pend = closing(f, &err);
	r = LAZY(fclose)(f);
	if ((e & FD_KNOWN) && pend > 0 && r == 0) {
		c = FDE_CLASS(e);
		fr = FDE_FILE(e);
		CLS_ADD(c, C_WBYTES, pend);
		count_sysw(c, fr, 1);
		if (fr != FILE_NONE)
			row_write(fr, 0, 0, (ssize_t)pend, 0);
	}
	if (r == 0 && err) {
		errno = err;
		r = EOF;
	}
	return r;
}

EXPORT int
pclose(FILE *f)
{
	int err;

	if (unlikely(!shim_ready))
		shim_init();
	flush_one(f, 0);
	closing(f, &err);
	return LAZY(pclose)(f);
}

/* Opening. */
static FILE *
fopened(FILE *f, const char *path)
{
	fdent_t e;
	unsigned fr;

	if (f == NULL || f->_fileno < 0)
		return f;
	e = fd_classify(f->_fileno, path);
	ctr_add(&tctr()->opens, 1);
	if ((fr = FDE_FILE(e)) != FILE_NONE)
		row_open(fr);
	return f;
}

/* mode "w..." truncates (glibc opens inside libc): held bytes first */
static void
trunc_mode(const char *path, const char *mode)
{
	if (path != NULL && mode != NULL && mode[0] == 'w')
		co_before_trunc(AT_FDCWD, path, O_TRUNC);
	db_point(path);
}

/*
 * The open flags of a mode "w" with nothing but b, e, m after it: the
 * write-only O_TRUNC open a debounced in-place save may answer
 * (debounce_trunc.c); -1 for any other mode ("c" too: the stream made
 * here could not keep it).
 */
static int
w_flags(const char *mode)
{
	int fl = O_WRONLY | O_CREAT | O_TRUNC;
	const char *m;

	if (mode == NULL || mode[0] != 'w')
		return -1;
	for (m = mode + 1; *m != '\0'; m++)
		if (*m == 'e')
			fl |= O_CLOEXEC;
		else if (*m != 'b' && *m != 'm')
			return -1;
	return fl;
}

/*
 * fopen(path, "w") of a file debounced in place: glibc opens inside libc,
 * where the open wrapper cannot answer, so the open is made here as the
 * program's open(O_TRUNC) would be.  The stream is made first, on a
 * stand-in fd (/dev/null) that the pending file's fd then replaces: a
 * stream that cannot be made (ENOMEM) fails before the file is touched,
 * as in glibc's fopen.  1 when answered (*f: the stream, or NULL with
 * errno), 0 when not.
 */
static int
db_fopen(const char *path, const char *mode, FILE **f)
{
	int fl, ph, r, err;

	if ((fl = w_flags(mode)) < 0 || !db_inplace_path(path) ||
	    (ph = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY |
	    O_CLOEXEC)) < 0)
		return 0;
	if ((*f = LAZY(fdopen)(ph, "w")) == NULL) {
		err = errno;
		syscall(SYS_close, ph);
		errno = err;
		return 1;
	}
	if ((r = db_open_onto(path, fl, ph)) > 0)
		return 1;
	err = errno;
	LAZY(fclose)(*f);	/* the stand-in's: nothing written */
	*f = NULL;
	errno = err;
	return r < 0;
}

EXPORT FILE *
fopen(const char *path, const char *mode)
{
	FILE *f;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(db_on) && db_fopen(path, mode, &f))
		return fopened(f, path);
	trunc_mode(path, mode);
	return fopened(LAZY(fopen)(path, mode), path);
}

EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	FILE *f;

	if (unlikely(!shim_ready))
		shim_init();
	if (unlikely(db_on) && db_fopen(path, mode, &f))
		return fopened(f, path);
	trunc_mode(path, mode);
	return fopened(LAZY(fopen64)(path, mode), path);
}

EXPORT FILE *
fdopen(int fd, const char *mode)
{
	if (unlikely(!shim_ready))
		shim_init();
	return LAZY(fdopen)(fd, mode);
}

#define FREOPEN(name)							\
EXPORT FILE *								\
name(const char *path, const char *mode, FILE *f)			\
{									\
	int err;							\
	FILE *r;							\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	flush_one(f, 0);						\
	closing(f, &err);						\
	trunc_mode(path, mode);						\
	r = LAZY(name)(path, mode, f);					\
	if (path != NULL)						\
		return fopened(r, path);				\
	if (r != NULL && r->_fileno >= 0)				\
		fd_forget(r->_fileno);					\
	return r;							\
}
FREOPEN(freopen)
FREOPEN(freopen64)

/*
 * Seeking.  glibc's fseek on a read stream (_IO_new_file_seekoff) moves
 * the read pointer when the target is in the buffer, and otherwise reads
 * the block around the target into the buffer (from a block boundary, so
 * the program may skip some of it): those bytes came from the kernel and
 * are counted here, as bytes without a read call.  A refill replaced the
 * buffer's window (its ends or glibc's file offset changed) or, reading
 * the same bytes again (a seek to the end of what is buffered, as
 * fseek(f, 0, SEEK_END) after reading a short file), left the read
 * pointer at the end of the buffer, where a move within the buffer never
 * puts it.  The target past the end of the file within the last block is
 * the one refill not seen: glibc reads the tail, finds the target beyond
 * it and empties the buffer.
 */
struct rwin {
	char	*base, *end;
	off64_t	off;
};

static inline void
rwin_take(struct rwin *w, FILE *f)
{
	w->base = f->_IO_read_base;
	w->end = f->_IO_read_end;
	w->off = f->_offset;
}

/*
 * Bytes the seek that just ended read into f's buffer; same_ok when the
 * seek may have read its buffer's bytes again (it succeeded, and its
 * target need not be on a block boundary).
 */
static size_t
seek_refill(FILE *f, const struct rwin *w, int same_ok)
{
	if ((f->_flags & IO_PUTTING) || f->_IO_read_end <= f->_IO_read_base)
		return 0;
	if (f->_IO_read_base != w->base || f->_IO_read_end != w->end ||
	    f->_offset != w->off ||
	    (same_ok && f->_IO_read_ptr == f->_IO_read_end))
		return (size_t)(f->_IO_read_end - f->_IO_read_base);
	return 0;
}

/* Count a seek's refill of f (its fd entry e, known at acct_begin). */
static void
seek_count(fdent_t e, size_t in)
{
	if (in == 0 || !(e & FD_KNOWN))
		return;
	CLS_ADD(FDE_CLASS(e), C_RBYTES, in);
	if (FDE_FILE(e) != FILE_NONE)
		row_read(FDE_FILE(e), 0, (ssize_t)in);
}

/* fseek and fsetpos: the program must see its own bytes; refills counted. */
#define SEEK(ret, name, decl, f, args, ok)				\
EXPORT ret								\
name decl								\
{									\
	struct acct a;							\
	struct rwin w;							\
	size_t in;							\
	ret r;								\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	co_settle(f, IW_R_READ, 0);					\
	acct_begin(&a, f, SIZE_MAX, 0);					\
	rwin_take(&w, f);						\
	ACCT_CALL(&a, r = LAZY(name) args);				\
	in = seek_refill(f, &w, ok);					\
	flush_end(&a);							\
	seek_count(a.e, in);						\
	return r;							\
}
SEEK(int, fseek, (FILE *f, long off, int wh), f, (f, off, wh), r == 0)
SEEK(int, fseeko, (FILE *f, off_t off, int wh), f, (f, off, wh), r == 0)
SEEK(int, fseeko64, (FILE *f, off64_t off, int wh), f, (f, off, wh), r == 0)
SEEK(int, fsetpos, (FILE *f, const fpos_t *p), f, (f, p), r == 0)
SEEK(int, fsetpos64, (FILE *f, const fpos64_t *p), f, (f, p), r == 0)

/* Telling reads nothing (glibc asks its seek for the position only). */
#define TELL(ret, name, decl, f, args)					\
EXPORT ret								\
name decl								\
{									\
	struct acct a;							\
	ret r;								\
									\
	if (unlikely(!shim_ready))					\
		shim_init();						\
	co_settle(f, IW_R_READ, 0);					\
	acct_begin(&a, f, SIZE_MAX, 0);					\
	ACCT_CALL(&a, r = LAZY(name) args);				\
	flush_end(&a);							\
	return r;							\
}
TELL(long, ftell, (FILE *f), f, (f))
TELL(off_t, ftello, (FILE *f), f, (f))
TELL(off64_t, ftello64, (FILE *f), f, (f))
TELL(int, fgetpos, (FILE *f, fpos_t *p), f, (f, p))
TELL(int, fgetpos64, (FILE *f, fpos64_t *p), f, (f, p))

/* Offset 0 is on a block boundary: a rewind never reads the same again. */
EXPORT void
rewind(FILE *f)
{
	struct acct a;
	struct rwin w;
	size_t in;

	if (unlikely(!shim_ready))
		shim_init();
	co_settle(f, IW_R_READ, 0);
	acct_begin(&a, f, SIZE_MAX, 0);
	rwin_take(&w, f);
	ACCT_CALL(&a, LAZY(rewind)(f));
	in = seek_refill(f, &w, 0);
	flush_end(&a);
	seek_count(a.e, in);
}
