/*
 * coalesce.c - gathers small appends to log files into few large writes.
 *
 * A buffer belongs to a file (device and inode), not to an fd: every
 * O_APPEND fd of the process on that file appends to the same buffer, so
 * bytes reach the file in the order the program wrote them, whichever fd
 * it used.  Bytes leave the buffer (a "flush", counted by reason) when it
 * is full (cut at the last newline), when its oldest byte is
 * IOSHIM_FLUSH_MS old (worker.c), when a line holds an IOSHIM_FLUSH_ON
 * word, when all buffers together pass IOSHIM_MEM_KB, and before anything
 * that must see the bytes: read, seek, stat, fsync, close, fork, exec,
 * exit, death by a signal.
 *
 * Locking: one spinlock, owned by a thread id.  Flushes run with every
 * signal blocked, so a signal handler never sees a buffer half flushed.
 * Appends commit their length with a compare-and-swap on the buffer's
 * state word; a handler that writes to a coalesced file while its thread
 * holds the lock writes the committed bytes and its own directly and bumps
 * the state's generation, and the interrupted append starts again.
 * Buffers live in memory from mmap, never malloc, so all of this is safe
 * in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "shim.h"
#include "spill.h"

#define NBUF		1024
#define MIN_CAP		4096u
#define ST_LEN(s)	((uint32_t)(s))
#define ST_GEN(s)	((uint32_t)((s) >> 32))
#define ST_MAKE(g, l)	((uint64_t)(g) << 32 | (uint32_t)(l))

struct cobuf {
	_Atomic int	refs;		/* fds using it (a kept one: 1); 0 = free slot */
	int		fd;		/* fd of the last append, -1 none */
	int		park1;		/* ownfd_keep's fd + 1: flushes use it */
	unsigned char	kept;		/* held past the last close (co_close) */
	unsigned char	remote;		/* NFS, CIFS, FUSE...: close flushes */
	unsigned char	failed;		/* the last flush left bytes behind */
	unsigned char	stamp;		/* appends note their time (mtime) */
	struct timespec	mtime;		/* CLOCK_REALTIME_COARSE of the last */
	dev_t		dev;
	ino_t		ino;
	unsigned	file;		/* per-file row */
	char		*data;		/* from mmap, cap bytes */
	uint32_t	cap;
	struct spill_hdr *sp;		/* data's spill file (spill.c), or NULL */
	char		spname[80];	/* its path */
	_Atomic uint64_t state;		/* generation << 32 | length */
	uint64_t	first_ns;	/* when the oldest byte came; 0 = empty */
	int		err;		/* flush error not yet told */
	_Atomic unsigned ihash;	/* inode_hash(dev, ino) */
	/* the file row's counters of held appends, added under the lock
	 * and folded into the row (atomics) at each flush: fold() */
	uint64_t	p_absorbed, p_bytes, p_sizes[IW_NSIZES];
};

static SHIM_BIG struct cobuf bufs[NBUF];
static _Atomic unsigned nbufs;		/* slots ever used */
static size_t mem_used;			/* sum of caps */
static int prio_tried;			/* prio_init ran (under the lock) */
static unsigned nparked;		/* buffers with a kept fd */
HIDDEN _Atomic uint64_t co_held;
HIDDEN _Atomic int shim_ending;

static _Atomic pid_t owner;		/* tid holding the lock, 0 = free */
static __thread pid_t my_tid;

static pid_t
tid(void)
{
	if (unlikely(my_tid == 0))
		my_tid = (pid_t)syscall(SYS_gettid);
	return my_tid;
}

static void
lock(void)
{
	pid_t me = tid(), free_ = 0;
	unsigned spins = 0;

	while (!atomic_compare_exchange_weak_explicit(&owner, &free_, me,
	    memory_order_acquire, memory_order_relaxed)) {
		free_ = 0;
		if (++spins > 100)
			sched_yield();
	}
}

static void
unlock(void)
{
	atomic_store_explicit(&owner, 0, memory_order_release);
}

static int
lock_mine(void)
{
	return atomic_load_explicit(&owner, memory_order_relaxed) == tid();
}

/* Does this thread hold the coalescer's lock (a handler inside it)? */
int
co_lock_mine(void)
{
	return lock_mine();
}

/*
 * Commit an append: the state goes from s to ns unless a signal handler
 * on this thread changed it meanwhile.  Only the lock holder and its own
 * handlers write the state, so the instruction needs to be atomic with
 * respect to a signal only: on x86 a cmpxchg without the lock prefix is,
 * at a fraction of the cost.  Elsewhere (and under TSan, which does not
 * see inside asm) the C11 compare-and-swap.
 */
static inline int
commit(_Atomic uint64_t *st, uint64_t s, uint64_t ns)
{
	return cas_local64((uint64_t *)st, s, ns);
}

static void
block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
}

static int
glob_list(const char *list, const char *path)
{
	char pat[PATH_MAX];
	const char *p = list, *q;
	size_t n;

	while (*p) {
		q = strchr(p, ':');
		n = q ? (size_t)(q - p) : strlen(p);
		if (n > 0 && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, path, 0) == 0)
				return 1;
		}
		p += n + (q != NULL);
	}
	return 0;
}

/*
 * Is fd's file on a network or user-space file system, where close is
 * when other clients see the data and when errors are told?  Its held
 * bytes are written at the last close there (co_close).
 */
static int
is_remote(int fd)
{
	struct statfs sf;

	if (syscall(SYS_fstatfs, fd, &sf) != 0)
		return 1;
	switch ((unsigned long)sf.f_type) {
	case 0x6969:		/* NFS */
	case 0x517b:		/* SMB */
	case 0xff534d42:	/* CIFS */
	case 0xfe534d42:	/* SMB2 */
	case 0x65735546:	/* FUSE */
	case 0x00c36400:	/* Ceph */
	case 0x01021997:	/* 9p */
	case 0x5346414f:	/* AFS */
	case 0x47504653:	/* GPFS */
	case 0x0bd00bd0:	/* Lustre */
		return 1;
	}
	return 0;
}

static ssize_t reentrant_write(struct cobuf *b, int fd, const void *p, size_t n);

/*
 * Should appends to this fd be coalesced?  The buffer index, or BUF_NONE.
 * Files opened O_SYNC, O_DSYNC or O_DIRECT, and every file while a file
 * size limit (ulimit -f) is set, are written through as the program asks.
 */
int
co_eligible(int fd, const char *path, int fl, const struct stat *st)
{
	struct rlimit rl;
	unsigned i, freeslot = NBUF;

	if (!cfg.coalesce || shim_ending || (fl & (O_SYNC | O_DSYNC | O_DIRECT)))
		return BUF_NONE;
	/* only an fd the kernel lets write: the rest get its EBADF */
	if ((fl & O_PATH) || ((fl & O_ACCMODE) != O_WRONLY &&
	    (fl & O_ACCMODE) != O_RDWR))
		return BUF_NONE;
	/* the limit, as learnt at the last new buffer or since a setrlimit */
	if (unlikely(atomic_load_explicit(&co_fsize, memory_order_relaxed) == 0))
		atomic_store(&co_fsize, getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
		    rl.rlim_cur == RLIM_INFINITY ? 1 : 2);
	if (atomic_load_explicit(&co_fsize, memory_order_relaxed) != 1)
		return BUF_NONE;
	if (cfg.include[0] && (path == NULL || !glob_list(cfg.include, path)))
		return BUF_NONE;
	if (cfg.exclude[0] && path != NULL && glob_list(cfg.exclude, path))
		return BUF_NONE;
	if (lock_mine()) {
		/*
		 * A signal handler opening a log while its thread is inside
		 * the coalescer: its fd writes straight through, so what the
		 * file holds goes first (a line an earlier handler closed
		 * may still be held).
		 */
		for (i = 0; i < nbufs; i++)
			if (bufs[i].refs && bufs[i].dev == st->st_dev &&
			    bufs[i].ino == st->st_ino && bufs[i].fd >= 0)
				(void)reentrant_write(&bufs[i], bufs[i].fd, NULL, 0);
		return BUF_NONE;
	}
	lock();
	if (!prio_on && !prio_tried && (cfg.flush_on[0] || cfg.flush_default)) {
		prio_tried = 1;
		prio_init();
	}
	for (i = 0; i < nbufs; i++) {
		if (bufs[i].refs == 0) {
			if (freeslot == NBUF)
				freeslot = i;
		} else if (bufs[i].dev == st->st_dev && bufs[i].ino == st->st_ino)
			break;
	}
	if (i == nbufs) {
		/* a new buffer asks the kernel: a limit set from outside
		 * (prlimit --pid) is seen here; wrap_rlimit.c for our own */
		atomic_store(&co_fsize, getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
		    rl.rlim_cur == RLIM_INFINITY ? 1 : 2);
		if (atomic_load(&co_fsize) == 1 && freeslot == NBUF &&
		    nbufs < NBUF)
			freeslot = nbufs++;
		if (freeslot == NBUF || atomic_load(&co_fsize) != 1) {
			unlock();
			return BUF_NONE;
		}
		i = freeslot;
		bufs[i].dev = st->st_dev;
		bufs[i].ino = st->st_ino;
		bufs[i].ihash = inode_hash(st->st_dev, st->st_ino);
		bufs[i].fd = -1;
		bufs[i].file = FILE_NONE;
		bufs[i].p_absorbed = bufs[i].p_bytes = 0;
		memset(bufs[i].p_sizes, 0, sizeof(bufs[i].p_sizes));
		bufs[i].err = 0;
		bufs[i].first_ns = 0;
		bufs[i].park1 = 0;
		bufs[i].kept = 0;
		bufs[i].failed = 0;
		bufs[i].stamp = 0;
		bufs[i].remote = is_remote(fd);
	}
	if (bufs[i].kept)
		bufs[i].kept = 0;	/* the kept ref is this fd's now */
	else
		bufs[i].refs++;
	if (bufs[i].fd < 0)
		bufs[i].fd = fd;
	unlock();
	return (int)i;		/* the worker starts at the first held byte */
}

void
co_ref(unsigned bi)
{
	if (bi >= NBUF)
		return;
	lock();
	bufs[bi].refs++;
	unlock();
}

/*
 * Write p[0..n) to fd completely, through EINTR and short writes.  When
 * the filesystem is full (ENOSPC, EDQUOT) the bytes go a line a write, as
 * a program writing its lines one by one would have put them: every line
 * that fits is whole, and once a write comes back short (the kernel can
 * stop at a block boundary, inside a line) nothing more is written until
 * there is room again, so at most the last line is partial — as without
 * the shim — and the next attempt goes on from the byte where it stopped.
 */
static ssize_t
write_all(int fd, const char *p, size_t n, int *err)
{
	size_t done = 0, want;
	const char *nl;
	ssize_t r;
	int full = 0;

	while (done < n) {
		want = n - done;
		if (full && (nl = memchr(p + done, '\n', want)) != NULL)
			want = (size_t)(nl - (p + done)) + 1;
		r = LAZY(write)(fd, p + done, want);
		CTR_ADD(&pc.co_syscalls, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == ENOSPC || errno == EDQUOT) && !full &&
			    memchr(p + done, '\n', n - done) != NULL) {
				full = 1;	/* again, a line at a time */
				continue;
			}
			*err = errno;
			break;
		}
		if (r == 0) {
			*err = EIO;
			break;
		}
		done += (size_t)r;
		if (full && (size_t)r < want) {
			*err = ENOSPC;	/* cut inside a line: wait for room */
			break;
		}
	}
	return (ssize_t)done;
}

/*
 * The spill header's record of a flush (common/spill.h), so that a kill at
 * any point leaves it saying which bytes are still to be written.
 */
static inline void
sp_store(struct cobuf *b, unsigned phase, uint32_t len)
{
	__atomic_store_n(&b->sp->lp, SP_LP(phase, len), __ATOMIC_RELEASE);
}

/* n bytes of len are about to be written. */
static void
sp_writing(struct cobuf *b, uint32_t n, uint32_t len)
{
	struct stat st;

	b->sp->flush_pre = LAZY(fstat)(b->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	b->sp->flush_n = n;
	sp_store(b, SP_WRITING, len);
}

/*
 * done of len bytes were written: the rest to the front, in pieces no
 * longer than done, each recorded, so no piece overwrites bytes not yet
 * moved and the header always says where the held bytes are.
 */
static void
sp_move(struct cobuf *b, uint32_t done, uint32_t len)
{
	uint32_t moved = 0, c;

	b->sp->done = done;
	b->sp->moved = 0;
	sp_store(b, SP_MOVING, len);
	while (moved < len - done) {
		c = len - done - moved < done ? len - done - moved : done;
		memcpy(b->data + moved, b->data + done + moved, c);
		moved += c;
		__atomic_store_n(&b->sp->moved, moved, __ATOMIC_RELEASE);
	}
}

/* Move b's pending per-file counts into its file row.  Lock held. */
static void
fold(struct cobuf *b)
{
	struct file_row *f;
	unsigned k;

	if (b->file < FILES_MAX) {
		f = row_shared(b->file);
		if (b->p_absorbed)
			CTR_ADD(&f->absorbed, b->p_absorbed);
		if (b->p_bytes)
			__atomic_fetch_add(&f->c.write_bytes, b->p_bytes,
			    __ATOMIC_RELAXED);
		for (k = 0; k < IW_NSIZES; k++)
			if (b->p_sizes[k])
				__atomic_fetch_add(&f->c.write_sizes[k],
				    b->p_sizes[k], __ATOMIC_RELAXED);
	}
	b->p_absorbed = b->p_bytes = 0;
	memset(b->p_sizes, 0, sizeof(b->p_sizes));
}

/*
 * Write a buffer's bytes (up to its last newline when cut).  The lock is
 * held, or the caller is a signal handler on the lock's own thread.
 * Returns -1 when bytes stay behind because of an error.
 */
static int
flush_buf(struct cobuf *b, int reason, int cut)
{
	sigset_t old;
	uint64_t s, t0;
	uint32_t len, n;
	ssize_t done;
	int err = 0, saved = errno;
	const char *nl;

	fold(b);
	if (ST_LEN(atomic_load(&b->state)) == 0)
		return 0;
	/* the kept fd: still ours (a raw dup2 onto its number gives it to
	 * the program, whose file must not get these bytes) */
	if (unlikely(b->park1 != 0) && b->fd == b->park1 - 1 &&
	    !ownfd_valid(b->fd, b->dev, b->ino)) {
		b->park1 = 0;
		nparked--;
		b->fd = -1;
	}
	/*
	 * Signals are blocked before the state is read: a handler that
	 * wrote the committed bytes itself (reentrant_write) between the
	 * read and the write here would have them written twice.
	 */
	block_all(&old);
	s = atomic_load(&b->state);
	len = ST_LEN(s);
	if (len == 0 || b->fd < 0) {
		if (len)
			b->err = b->err ? b->err : EBADF;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = saved;
		return len ? -1 : 0;
	}
	n = len;
	if (cut && (nl = memrchr(b->data, '\n', len)) != NULL)
		n = (uint32_t)(nl - b->data) + 1;
	if (b->sp)
		sp_writing(b, n, len);
	t0 = shim_ticks();
	done = write_all(b->fd, b->data, n, &err);
	if (b->file != FILE_NONE) {
		struct file_row *f = row_shared(b->file);

		__atomic_fetch_add(&f->c.write_ns, shim_ticks_since(t0),
		    __ATOMIC_RELAXED);
		CTR_ADD(&f->flushes, 1);
	}
	CTR_ADD(&pc.co_bytes, (uint64_t)done);
	CTR_ADD(&pc.co_reasons[reason], 1);
	if (done > 0 && (uint32_t)done < len) {
		if (b->sp)
			sp_move(b, (uint32_t)done, len);
		else
			memmove(b->data, b->data + done, len - (size_t)done);
	}
	atomic_store(&b->state, ST_MAKE(ST_GEN(s) + 1, len - (uint32_t)done));
	if (b->sp)
		sp_store(b, SP_IDLE, len - (uint32_t)done);
	co_held -= (uint64_t)done;
	if (len == (uint32_t)done)
		b->first_ns = 0;
	if (err) {
		CTR_ADD(&pc.co_errors, 1);
		b->err = err;
	}
	b->failed = err != 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return err ? -1 : 0;
}

/* Give a buffer's memory back (it is empty). */
static void
free_data(struct cobuf *b)
{
	if (b->data == NULL || ST_LEN(atomic_load(&b->state)) != 0)
		return;
	if (b->sp) {
		spill_free(b->sp, b->spname);
		b->sp = NULL;
	} else
		munmap(b->data, b->cap);
	mem_used -= b->cap;
	b->data = NULL;
	b->cap = 0;
}

static void kept_done(struct cobuf *b);

/* Over the memory bound: flush the oldest buffers first, free them. */
static void
make_room(struct cobuf *keep, size_t want)
{
	struct cobuf *b, *oldest;
	unsigned i;

	while (mem_used + want > cfg.mem_bytes) {
		oldest = NULL;
		for (i = 0; i < nbufs; i++) {
			b = &bufs[i];
			if (b == keep || b->data == NULL)
				continue;
			if (oldest == NULL || (b->first_ns && (oldest->first_ns == 0 ||
			    b->first_ns < oldest->first_ns)))
				oldest = b;
		}
		if (oldest == NULL)
			return;
		if (ST_LEN(atomic_load(&oldest->state)) != 0 &&
		    flush_buf(oldest, IW_R_MEMORY, 0) != 0)
			return;
		if (oldest->kept)
			kept_done(oldest);
		else
			free_data(oldest);
	}
}

/* Make b able to hold need bytes more; 0 on success. Lock held. */
static int
grow(struct cobuf *b, uint32_t need)
{
	sigset_t old;
	size_t cap = b->cap ? b->cap : MIN_CAP;
	uint32_t len = ST_LEN(atomic_load(&b->state));
	void *p;

	while (cap < (size_t)len + need)
		cap *= 2;
	if (cap > cfg.buffer_bytes)
		return -1;
	make_room(b, cap - b->cap);
	if (mem_used + cap - b->cap > cfg.mem_bytes)
		return -1;
	block_all(&old);
	if (b->data == NULL) {
		/* a file on tmpfs that outlives us when we are killed */
		b->sp = b->fd >= 0 ? spill_new(b->fd, b->dev, b->ino,
		    (uint32_t)cap, b->spname, sizeof(b->spname)) : NULL;
		if (b->sp != NULL)
			p = (char *)b->sp + SP_HDR;
		else
			p = LAZY(mmap)(NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else if (b->sp != NULL) {
		struct spill_hdr *h = spill_grow(b->sp, b->spname, (uint32_t)cap);

		p = h ? (char *)h + SP_HDR : MAP_FAILED;
		if (h)
			b->sp = h;
	} else
		p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
	if (p != MAP_FAILED) {
		b->data = p;
		mem_used += cap - b->cap;
		b->cap = (uint32_t)cap;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p == MAP_FAILED ? -1 : 0;
}

/*
 * Append n bytes to b.  0 when held, 1 when the caller must write them
 * itself (too large to hold), -1 with *err when they cannot be taken.
 */
static inline __attribute__((always_inline)) int
append(struct cobuf *b, const char *p, size_t n, int *err, int *prio)
{
	uint64_t s, held;
	uint32_t len;

	if (n >= cfg.buffer_bytes) {
		if (flush_buf(b, IW_R_SIZE, 0) != 0)
			goto failed;
		return 1;
	}
	for (;;) {
		s = atomic_load(&b->state);
		len = ST_LEN(s);
		if ((size_t)len + n > b->cap) {
			/*
			 * After growing, read the state again: a signal
			 * handler on this thread may have written the held
			 * bytes meanwhile (reentrant_write), and grow() saw
			 * the length it left, not len.
			 */
			if (grow(b, (uint32_t)n) == 0)
				continue;
			/* full: make room by writing, cut at a newline */
			if (flush_buf(b, len + n > cfg.buffer_bytes ? IW_R_SIZE :
			    IW_R_MEMORY, 1) != 0)
				goto failed;
			if (ST_LEN(atomic_load(&b->state)) + n > b->cap &&
			    flush_buf(b, IW_R_SIZE, 0) != 0)
				goto failed;
			continue;
		}
		if (guard_copy(b->data + len, p, n, prio_on ? prio : NULL)) {
			/* unreadable: the kernel answers, after what is held */
			if (flush_buf(b, IW_R_SIZE, 0) != 0)
				goto failed;
			return 1;
		}
		if (commit(&b->state, s, ST_MAKE(ST_GEN(s), len + n)))
			break;
	}
	if (b->sp)	/* after the bytes: a salvager reads them then */
		sp_store(b, SP_IDLE, len + (uint32_t)n);
	if (unlikely(b->stamp))	/* the program stats this file: co_stat_held */
		clock_gettime(CLOCK_REALTIME_COARSE, &b->mtime);
	if (len == 0)
		b->first_ns = shim_now_ns();
	/* plain add under the lock: a handler's concurrent subtraction
	 * can only be lost upward, which costs a needless check, never a byte */
	held = atomic_load_explicit(&co_held, memory_order_relaxed);
	atomic_store_explicit(&co_held, held + n, memory_order_relaxed);
	/*
	 * A buffer's first bytes tell the worker a new deadline, after
	 * co_held counts them: a worker woken before would find nothing
	 * held and sleep with no timeout, and the bytes would wait for the
	 * program's exit (seen under load: the woken worker ran first).
	 * Per buffer, not when co_held was 0: co_held may stay above 0 (a
	 * handler's subtraction lost upward) while a worker sleeps untimed.
	 */
	if (len == 0 || held == 0)
		worker_first_byte();
	return 0;
failed:
	*err = b->err ? b->err : EIO;
	b->err = 0;
	return -1;
}

/*
 * A signal handler on the thread that holds the lock writes to a
 * coalesced file: write what is committed, then its own bytes, directly.
 */
static ssize_t
reentrant_write(struct cobuf *b, int fd, const void *p, size_t n)
{
	sigset_t old;
	uint64_t s;
	ssize_t r;
	int err = 0;

	block_all(&old);
	s = atomic_load(&b->state);
	if (ST_LEN(s) && b->fd >= 0) {
		if (b->sp)
			sp_writing(b, ST_LEN(s), ST_LEN(s));
		write_all(b->fd, b->data, ST_LEN(s), &err);
		CTR_ADD(&pc.co_reasons[IW_R_SIGNAL], 1);
		co_held -= ST_LEN(s);
		atomic_store(&b->state, ST_MAKE(ST_GEN(s) + 1, 0));
		if (b->sp)
			sp_store(b, SP_IDLE, 0);
		b->first_ns = 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	r = n ? LAZY(write)(fd, p, n) : 0;
	return r;
}

/* The process's counts of an absorbed write (the row's wait in the buffer). */
static void
count_absorbed(fdent_t e, size_t n, int calls)
{
	unsigned c = FDE_CLASS(e);

	if (calls) {
		CLS_ADD(c, C_WRITES, 1);
		ctr_add(&tctr()->co_absorbed, 1);
	}
	CLS_ADD(c, C_WBYTES, n);
}

ssize_t
co_write_ex(int fd, fdent_t e, const void *p, size_t n, int calls)
{
	unsigned bi = FDE_BUF(e);
	struct cobuf *b;
	ssize_t r;
	int err = 0, rc, prio = 0;

	if (n == 0 && !calls)
		return 0;
	if (unlikely(dbh_buf(bi)))
		return dbh_write(fd, e, p, n);	/* debounce_hold.c */
	if (unlikely(bi >= NBUF) || in_vfork_child()) {
		r = LAZY(write)(fd, p, n);
		count_write(e, r, 0);
		return r;
	}
	b = &bufs[bi];
	if (lock_mine()) {
		r = reentrant_write(b, fd, p, n);
		count_write(e, r, 0);
		return r;
	}
	lock();
	b->fd = fd;
	if (unlikely(b->file != FDE_FILE(e))) {
		fold(b);	/* pending counts belong to the old row */
		b->file = FDE_FILE(e);
	}
	if (unlikely(shim_ending)) {
		/* the image is ending: what is held first, then this, directly */
		flush_buf(b, IW_R_EXIT, 0);
		r = LAZY(write)(fd, p, n);
		unlock();
		count_write(e, r, 0);
		return r;
	}
	if (b->err) {
		/*
		 * A flush failed.  Try the held bytes again first: when they
		 * now all reach the file (the program made room, say), this
		 * write goes on as it would without the shim instead of
		 * failing with an error whose bytes are no longer at stake.
		 */
		err = b->err;
		b->err = 0;
		if (flush_buf(b, IW_R_SIZE, 0) != 0 ||
		    ST_LEN(atomic_load(&b->state)) != 0) {
			err = b->err ? b->err : err;
			b->err = 0;
			unlock();
			count_write(e, -1, 0);
			errno = err;
			return -1;
		}
		err = 0;
	}
	rc = append(b, p, n, &err, &prio);
	if (rc == 1) {
		/* large: written straight through, after what was held */
		r = LAZY(write)(fd, p, n);
		unlock();
		count_write(e, r, 0);
		return r;
	}
	if (rc < 0) {
		unlock();
		count_write(e, -1, 0);
		errno = err;
		return -1;
	}
	/* the row's counts wait in the buffer: no atomics per append */
	if (calls) {
		ctr_add(&b->p_absorbed, 1);
		ctr_add(&b->p_sizes[size_bucket(n)], 1);
	}
	ctr_add(&b->p_bytes, n);
	if (prio)
		flush_buf(b, IW_R_PRIORITY, 0);
	else if (ST_LEN(atomic_load(&b->state)) >= cfg.buffer_bytes)
		flush_buf(b, IW_R_SIZE, 1);
	unlock();
	count_absorbed(e, n, calls);
	return (ssize_t)n;
}

/*
 * writev: a few small vectors are gathered and appended as one write.
 * Anything else goes to the kernel as it is, after what is held, so
 * every argument check (EINVAL for a count past IOV_MAX or a negative
 * length, EFAULT for a vector it cannot read) is the kernel's own.
 */
#define CO_IOV	16
ssize_t
co_writev(int fd, fdent_t e, const struct iovec *iov, int cnt)
{
	char small[4096];
	struct iovec v[CO_IOV];
	size_t total = 0, off = 0;
	int i;
	ssize_t r;

	if (unlikely(dbh_buf(FDE_BUF(e))))
		return dbh_writev(fd, e, iov, cnt);
	if (cnt < 0 || cnt > CO_IOV ||
	    guard_copy((char *)v, (const char *)iov, (size_t)cnt * sizeof(*v),
	    NULL) != 0)
		goto direct;
	for (i = 0; i < cnt; i++) {
		if (v[i].iov_len > sizeof(small) - total)
			goto direct;
		total += v[i].iov_len;
	}
	for (i = 0; i < cnt; i++) {
		if (guard_copy(small + off, v[i].iov_base, v[i].iov_len, NULL))
			goto direct;
		off += v[i].iov_len;
	}
	return co_write(fd, e, small, total);
direct:
	co_flush_fd(fd, IW_R_SIZE);
	r = LAZY(writev)(fd, iov, cnt);
	count_write(e, r, 0);
	return r;
}

/* fd's position was answered as the end (co_seek_held): make it so. */
static void
vend_settle(int fd)
{
	fdent_t *w = fd_slot(fd);
	int saved = errno;

	(void)syscall(SYS_lseek, fd, 0L, SEEK_END);
	if (w != NULL)
		__atomic_fetch_and(w, ~(fdent_t)FD_VEND, __ATOMIC_RELAXED);
	errno = saved;
}

int
co_flush_fd(int fd, int reason)
{
	fdent_t e = fd_peek(fd);
	unsigned bi = FDE_BUF(e);
	struct cobuf *b;
	int r;

	if (unlikely(dbh_buf(bi)))
		return dbh_real_fd(fd, 1);
	if (bi >= NBUF || in_vfork_child())
		return 0;
	b = &bufs[bi];
	if (ST_LEN(atomic_load(&b->state)) == 0) {
		if (unlikely(FDE_FLAGS(e) & FD_VEND))
			vend_settle(fd);
		return 0;
	}
	if (lock_mine())
		return reentrant_write(b, fd, NULL, 0) < 0 ? -1 : 0;
	lock();
	if (b->fd < 0)
		b->fd = fd;
	r = flush_buf(b, reason, 0);
	unlock();
	if (unlikely(FDE_FLAGS(e) & FD_VEND))
		vend_settle(fd);
	return r;
}

/*
 * lseek(fd, 0, SEEK_END), or SEEK_CUR after one, on an O_APPEND fd whose
 * file has held bytes: answered without writing them, as the file's size
 * plus the held bytes — the position the kernel would give had they been
 * written (on an O_APPEND fd every write leaves the position at the end;
 * another writer's appends meanwhile make that a valid order, as for any
 * append).  The fd is marked (FD_VEND) so that its next SEEK_CUR is
 * answered the same way and, at the next flush point of the fd (a read,
 * any other seek), its kernel position is set to the end.  1 when
 * answered (*out), 0 when the caller must flush and ask the kernel.
 */
int
co_seek_held(int fd, int whence, off64_t *out)
{
	fdent_t e = fd_peek(fd), *w;
	unsigned bi = FDE_BUF(e);
	struct cobuf *b;
	uint32_t n;
	off64_t r;

	if (unlikely(dbh_buf(bi)))
		return dbh_seek(fd, whence, out);
	if (bi >= NBUF || !(FDE_FLAGS(e) & FD_APPEND) || in_vfork_child() ||
	    lock_mine() || (whence == SEEK_CUR && !(FDE_FLAGS(e) & FD_VEND)))
		return 0;
	b = &bufs[bi];
	lock();
	n = ST_LEN(atomic_load(&b->state));
	/* only the file's one fd: another (a dup sharing this position, or
	 * another open file appending) would move what this answers */
	if (n == 0 || b->err || b->failed || b->refs != 1 || b->kept) {
		unlock();
		return 0;
	}
	/* under the lock: no flush between the size and the count */
	r = (off64_t)syscall(SYS_lseek, fd, 0L, SEEK_END);
	unlock();
	if (r < 0)
		return 0;
	if ((w = fd_slot(fd)) != NULL)
		__atomic_fetch_or(w, (fdent_t)FD_VEND, __ATOMIC_RELAXED);
	*out = r + (off64_t)n;
	return 1;
}

/*
 * A stat of a file with held bytes, answered without writing them: *held
 * bytes more than the kernel's size, modified at *mt (the coarse clock at
 * the last held append, the clock the kernel stamps writes with).  The
 * append times are noted only once the program stats the file: the first
 * such stat writes the bytes instead (2: the caller asks the kernel
 * again).  0 when nothing of the file is held.
 */
int
co_stat_held(dev_t dev, ino_t ino, uint64_t *held, struct timespec *mt)
{
	struct cobuf *b;
	unsigned i;
	int r = 0;

	if (lock_mine() || in_vfork_child())
		return 0;
	lock();
	for (i = 0; i < nbufs; i++) {
		b = &bufs[i];
		if (!b->refs || b->dev != dev || b->ino != ino ||
		    ST_LEN(atomic_load(&b->state)) == 0)
			continue;
		if (b->stamp && !b->err && !b->failed) {
			*held = ST_LEN(atomic_load(&b->state));
			*mt = b->mtime;
			r = 1;
		} else {
			flush_buf(b, IW_R_READ, 0);
			kept_done(b);
			b->stamp = 1;
			r = 2;
		}
		break;
	}
	unlock();
	return r;
}

int
co_take_error(int fd)
{
	unsigned bi = FDE_BUF(fd_peek(fd));
	int err;

	if (unlikely(dbh_buf(bi)))
		return dbh_take_error(fd);
	if (bi >= NBUF || lock_mine())
		return 0;
	lock();
	err = bufs[bi].err;
	bufs[bi].err = 0;
	unlock();
	return err;
}

/* The kept fd goes (the buffer has no other user).  Lock held. */
static void
unkeep(struct cobuf *b)
{
	if (b->park1 == 0)
		return;
	ownfd_close(b->park1 - 1, b->dev, b->ino);
	if (b->fd == b->park1 - 1)
		b->fd = -1;
	b->park1 = 0;
	b->kept = 0;
	nparked--;
}

/*
 * A kept buffer (no fd of the program's left) whose bytes are all
 * written: let go of it and of its fd.  Lock held.
 */
static void
kept_done(struct cobuf *b)
{
	if (!b->kept || ST_LEN(atomic_load(&b->state)) != 0 || b->err)
		return;
	fold(b);
	b->refs = 0;
	unkeep(b);
	b->first_ns = 0;
	free_data(b);
}

/*
 * The program closes fd.  When it is the last fd of a local file whose
 * bytes are held, they stay held (the age and size bounds, and every
 * flush-before point, still apply), written later through a copy of the
 * fd at a high number (ownfd_keep): a close neither makes bytes durable
 * nor shows them to anyone who did not see them, and a program that opens,
 * appends and closes per line (a shell's >>) is coalesced like one that
 * keeps its log open.  Otherwise (other fds left, a network file system,
 * a flush that failed, KEEP_MAX files kept already, no spill file) the
 * bytes are written first, as before: a flush error is close's to tell,
 * and bytes it could not write go with the last fd.  Closing one of several fds of the file
 * writes nothing unless flushes used that fd.  Returns the error close
 * must report, or 0.
 */
int
co_close(int fd)
{
	unsigned bi = FDE_BUF(fd_peek(fd));
	struct cobuf *b;
	int err, k;

	if (unlikely(dbh_buf(bi)))
		return dbh_close(fd);
	if (bi >= NBUF || in_vfork_child())
		return 0;
	b = &bufs[bi];
	if (!lock_mine()) {
		lock();
		/* not the last fd, nor the one flushes use: nothing to do
		 * (a network file system flushes at every close) */
		if (b->refs > 1 && b->fd != fd && !b->remote && !b->err) {
			b->refs--;
			unlock();
			return 0;
		}
		if (b->refs == 1 && !b->remote && !b->err && !b->failed &&
		    !shim_ending &&
		    ST_LEN(atomic_load(&b->state)) != 0 && b->sp != NULL) {
			if (b->park1 == 0 && nparked < KEEP_MAX &&
			    (k = ownfd_keep(fd, b->dev, b->ino)) >= 0) {
				b->park1 = k + 1;
				nparked++;
			}
			if (b->park1 != 0) {
				b->fd = b->park1 - 1;
				b->kept = 1;	/* refs stays 1: the kept fd's */
				unlock();
				return 0;
			}
		}
		unlock();
	}
	co_flush_fd(fd, IW_R_CLOSE);
	err = co_take_error(fd);
	co_release(fd);
	return err;
}

void
co_release(int fd)
{
	unsigned bi = FDE_BUF(fd_peek(fd));
	struct cobuf *b;

	if (unlikely(dbh_buf(bi))) {
		dbh_release(fd);
		return;
	}
	if (bi >= NBUF || lock_mine())
		return;
	lock();
	b = &bufs[bi];
	if (b->refs > 0)
		b->refs--;
	if (b->fd == fd)
		b->fd = b->park1 ? b->park1 - 1 : -1;
	if (b->refs == 0) {
		unkeep(b);
		fold(b);
		/* bytes a failed flush left behind go with the last fd;
		 * the error was told to the program by close */
		co_held -= ST_LEN(atomic_load(&b->state));
		atomic_store(&b->state, ST_MAKE(ST_GEN(atomic_load(&b->state)) + 1, 0));
		b->first_ns = 0;
		free_data(b);
	}
	unlock();
}

static void
flush_all_locked(int reason)
{
	unsigned i;

	for (i = 0; i < nbufs; i++)
		if (bufs[i].refs) {
			flush_buf(&bufs[i], reason, 0);	/* folds counts too */
			kept_done(&bufs[i]);
		}
}

/*
 * The program is about to take fd's number (dup2/dup3 onto it), and fd
 * is a file kept past its close: its bytes are written through it first,
 * and the coalescer lets go of it.
 */
void
co_park_taken(int fd)
{
	struct cobuf *b;
	unsigned i;

	if (nparked == 0 || lock_mine() || in_vfork_child())
		return;
	lock();
	for (i = 0; i < nbufs; i++) {
		b = &bufs[i];
		if (b->park1 != fd + 1)
			continue;
		flush_buf(b, IW_R_CLOSE, 0);
		if (b->kept && ST_LEN(atomic_load(&b->state)) == 0 && !b->err)
			kept_done(b);
		else
			unkeep(b);	/* bytes that failed wait for exit */
	}
	unlock();
}

/*
 * The program ran out of descriptors (EMFILE) while the shim keeps some
 * for files closed with bytes held: write those and give the descriptors
 * back, so the call can be made again.  1 when any was given back.
 */
int
co_unpark_all(void)
{
	unsigned i, had;

	if (nparked == 0 || lock_mine() || in_vfork_child())
		return 0;
	lock();
	had = nparked;
	for (i = 0; i < nbufs; i++)
		if (bufs[i].kept) {
			flush_buf(&bufs[i], IW_R_MEMORY, 0);
			kept_done(&bufs[i]);
		}
	had = had != nparked;
	unlock();
	return (int)had;
}

SHIM_ONCE void
co_flush_all(int reason)
{
	if ((co_held == 0 && !shim_ending) || in_vfork_child())
		return;
	if (lock_mine()) {
		co_signal_flush();
		return;
	}
	lock();
	flush_all_locked(reason);
	unlock();
}

int
co_flush_inode_held(dev_t dev, ino_t ino)
{
	unsigned i;
	int hit = 0;

	if (co_held == 0 || lock_mine() || in_vfork_child())
		return 0;
	lock();
	for (i = 0; i < nbufs; i++)
		if (bufs[i].refs && bufs[i].dev == dev && bufs[i].ino == ino &&
		    ST_LEN(atomic_load(&bufs[i].state))) {
			flush_buf(&bufs[i], IW_R_READ, 0);
			kept_done(&bufs[i]);
			hit = 1;
		}
	unlock();
	return hit;
}

void
co_flush_peer(int fd, unsigned ihash)
{
	struct stat st;
	unsigned i;
	int saved = errno;

	/* only when a buffer of a file with the same hash holds bytes */
	for (i = 0; i < nbufs; i++)
		if (bufs[i].refs && bufs[i].ihash == ihash &&
		    ST_LEN(atomic_load(&bufs[i].state)))
			break;
	if (i == nbufs)
		return;
	if (LAZY(fstat)(fd, &st) == 0 && S_ISREG(st.st_mode))
		co_flush_inode(st.st_dev, st.st_ino);
	errno = saved;
}

/*
 * The worker: flush buffers whose oldest byte is IOSHIM_FLUSH_MS old, and
 * retry failed ones.  Returns the time (CLOCK_MONOTONIC ns) at which the
 * next held byte comes of age, 0 when nothing is held: the worker sleeps
 * until then, so no byte waits longer than IOSHIM_FLUSH_MS (a buffer that
 * gets its first byte later comes of age later still).
 */
uint64_t
co_age_flush(void)
{
	uint64_t now, due, next = 0;
	unsigned i;
	struct cobuf *b;

	if (co_held == 0)
		return 0;
	lock();
	/* the time after the lock: an append that held it set a later first_ns */
	now = shim_now_ns();
	for (i = 0; i < nbufs; i++) {
		b = &bufs[i];
		if (!b->refs)
			continue;
		if (b->kept && ST_LEN(atomic_load(&b->state)) == 0) {
			kept_done(b);	/* written by another flush point */
			continue;
		}
		if (b->first_ns && now >= b->first_ns &&
		    now - b->first_ns >= cfg.flush_ns) {
			flush_buf(b, IW_R_AGE, 0);
			kept_done(b);
		} else
			fold(b);	/* the collector sees counts within a tick */
		if (b->first_ns == 0)
			continue;
		/* still held: of age at first_ns + flush time, or a failed
		 * flush retried a quarter of it from now */
		due = b->first_ns + cfg.flush_ns;
		if (due <= now)
			due = now + cfg.flush_ns / 4 + 1;
		if (next == 0 || due < next)
			next = due;
	}
	unlock();
	return next;
}

/*
 * Take the lock, waiting a bounded time (a fatal-signal handler must not
 * wait for ever on a thread that may never let go); 1 when taken.
 */
static int
lock_bounded(void)
{
	pid_t me = tid(), free_;
	unsigned spins;

	for (spins = 0; spins < 2000000; spins++) {
		free_ = 0;
		if (atomic_compare_exchange_weak(&owner, &free_, me))
			return 1;
		sched_yield();
	}
	return 0;
}

/*
 * From the fatal-signal handler: write everything held.  When this thread
 * holds the lock, only committed bytes are written; when another does,
 * wait for it a bounded time.
 */
void
co_signal_flush(void)
{
	unsigned i;
	int mine = lock_mine();

	if (co_held == 0 && !shim_ending)
		return;
	if (!mine)
		lock_bounded();
	for (i = 0; i < nbufs; i++)
		if (bufs[i].refs)
			flush_buf(&bufs[i], IW_R_SIGNAL, 0);	/* folds counts too */
	if (!mine && atomic_load(&owner) == tid())
		unlock();
}

/* fork: nothing held may be written twice, no lock may be left taken. */
static __thread int fork_locked;	/* co_prepare_fork took the lock */

void
co_prepare_fork(void)
{
	if (lock_mine())
		return;		/* fork from a handler inside the coalescer */
	lock();
	fork_locked = 1;
	flush_all_locked(IW_R_FORK);
}

void
co_parent_fork(void)
{
	if (fork_locked) {
		fork_locked = 0;
		unlock();
	}
}

void
co_after_fork_child(void)
{
	unsigned i;
	uint64_t s;

	fork_locked = 0;
	my_tid = 0;
	atomic_store(&owner, 0);
	/*
	 * Bytes still held here (a flush before the fork failed, or _Fork
	 * raced an append) are the parent's to write: the child writing
	 * them too would put them in the file twice.
	 */
	for (i = 0; i < nbufs; i++) {
		/* a file kept past its close is the parent's: its fd too */
		if (bufs[i].park1 != 0) {
			ownfd_close(bufs[i].park1 - 1, bufs[i].dev, bufs[i].ino);
			if (bufs[i].kept)
				bufs[i].refs = 0;
			if (bufs[i].fd == bufs[i].park1 - 1)
				bufs[i].fd = -1;
			bufs[i].park1 = 0;
			bufs[i].kept = 0;
		}
		/* the parent's spill files are the parent's: let go of them */
		if (bufs[i].sp != NULL) {
			spill_forget(bufs[i].sp);
			bufs[i].sp = NULL;
			bufs[i].data = NULL;
			mem_used -= bufs[i].cap;
			bufs[i].cap = 0;
		}
		s = atomic_load(&bufs[i].state);
		if (ST_LEN(s))
			atomic_store(&bufs[i].state, ST_MAKE(ST_GEN(s) + 1, 0));
		bufs[i].first_ns = 0;
		bufs[i].p_absorbed = bufs[i].p_bytes = 0;	/* the parent's */
		memset(bufs[i].p_sizes, 0, sizeof(bufs[i].p_sizes));
	}
	co_held = 0;
	nparked = 0;
	spill_after_fork();
}

/*
 * The image ends (exit, exec, a fatal signal) after its bytes were
 * written: its spill files go.  A spill that still holds bytes (a flush
 * failed) stays for a salvager, which will find the writer gone or
 * (after exec) another image; the spill's pid and start time say the
 * same process, so the bytes wait for that process to end.
 */
SHIM_ONCE void
co_spills_end(void)
{
	unsigned i;
	int mine = lock_mine();

	if (in_vfork_child())
		return;
	/* a bounded wait (this may be a signal handler) */
	if (!mine && !lock_bounded())
		return;		/* left for a salvager: harmless when empty */
	for (i = 0; i < nbufs; i++)
		if (bufs[i].sp != NULL && ST_LEN(atomic_load(&bufs[i].state)) == 0) {
			spill_free(bufs[i].sp, bufs[i].spname);
			bufs[i].sp = NULL;
			bufs[i].data = NULL;
			mem_used -= bufs[i].cap;
			bufs[i].cap = 0;
		}
	if (!mine)
		unlock();
}
