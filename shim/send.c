/*
 * send.c - the shim's side of the wire (common/wire.h): cumulative
 * counters as datagrams to ioshimd, every IOSHIM_INTERVAL_MS from the
 * worker thread and once more when the image ends.
 *
 * The socket exists only while a collector was found: no collector, no
 * fd.  It is looked for (is there a socket at the path?) at most once an
 * interval, at the first fd the program uses after that, and before the
 * program's first thread starts; once there, the shim makes its socket,
 * connects, and gives it up again if nobody listens.  It is made only on
 * the program's own thread while that is the only one (socket() takes
 * the lowest free fd for a moment before the socket moves to its high
 * number: a thread opening a file meanwhile would get another number
 * than without the shim), and at the image's end, where it is the last
 * thing the image does.  A program that already has threads when the
 * collector appears reports at its end only.
 *
 * The socket is non-blocking, O_CLOEXEC, moved to a high fd and marked as
 * the shim's in the fd table (ownfd.c).  A forked child keeps using it
 * (the kernel stamps each datagram with the sender's pid).  Before each
 * use it is checked to still be the same socket; when the program closed
 * it behind libc's back or took its number with dup2, it is looked for
 * again.  When the collector goes away the same socket is connected
 * again later: a missing collector costs one failed connect or send per
 * interval.  File rows are sent when they changed, and all of them again
 * after a reconnect or a dropped datagram of rows (docs/protocol.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "shim.h"

static int sock = -1;
static dev_t sock_dev;
static ino_t sock_ino;
static SHIM_HOT uint64_t next_look;	/* no look for the collector before this */
static int connected;		/* sock is connected to the collector */
/*
 * Rows go only when they changed, so every row goes at the next send after
 * a datagram of them was not sent, after a (re)connect, and in a new image
 * or a forked child (sent_sum is cleared then, its pages untouched before).
 */
static int resend_rows;
static uint32_t seq;
static SHIM_HOT atomic_flag send_lock = ATOMIC_FLAG_INIT;
static union {
	struct iw_proc	proc;
	struct iw_files	files;
	char		raw[IW_MAX];
} msg SHIM_BIG;

/*
 * The collector's socket (IOSHIM_SOCKET, else the default) when there is
 * a socket at that path.
 */
SHIM_ONCE static int
sock_path(struct sockaddr_un *sa)
{
	struct stat st;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (cfg.sock[0] == '\0' || strlen(cfg.sock) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, cfg.sock);
	return raw_stat(AT_FDCWD, sa->sun_path, &st, 0) == 0 &&
	    S_ISSOCK(st.st_mode) ? 0 : -1;
}

/* Is sock still the socket we made? */
static int
sock_valid(void)
{
	return ownfd_valid(sock, sock_dev, sock_ino);
}

/*
 * The image's start in clock ticks since boot (field 22 of
 * /proc/self/stat), by which the collector tells a pid's processes
 * apart.  Read as soon as there is a socket, before the program can
 * chroot away from /proc.
 */
static void
learn_start_ticks(void)
{
	if (image_start_ticks == 0)
		image_start_ticks = proc_stat_field(22, NULL);
}

/* (Re)connect the socket to the collector; 0 when connected. */
static int
sock_connect(void)
{
	struct sockaddr_un sa;

	if (sock_path(&sa) != 0 ||
	    syscall(SYS_connect, sock, &sa, sizeof(sa)) != 0)
		return -1;
	connected = 1;
	return 0;
}

/*
 * Look for the collector (send_lock held): when there is a socket at its
 * path, make ours and connect; 0 when connected.  Nothing is kept when
 * nobody listens there.
 */
SHIM_ONCE static int
sock_find(void)
{
	struct sockaddr_un sa;
	struct stat st;
	int s;

	next_look = shim_now_ns_sys() + cfg.interval_ns;
	if (sock_path(&sa) != 0)
		return -1;
	s = (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || (s = ownfd_park(s, IW_SOCKET, &st)) < 0)
		return -1;
	if (syscall(SYS_connect, s, &sa, sizeof(sa)) != 0) {
		ownfd_close(s, st.st_dev, st.st_ino);
		return -1;
	}
	sock = s;
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	connected = 1;
	resend_rows = 1;	/* a collector new to this image */
	learn_start_ticks();
	return 0;
}

/* The constructor: no socket until a collector is found. */
SHIM_ONCE void
send_init(void)
{
	next_look = 0;
}

/*
 * On a program thread, at the first fd it uses in an interval (fdtable.c)
 * and before its first thread starts (now set: wrap_thread.c): look for
 * the collector while the program has this one thread.
 */
void
send_maybe_connect(int now)
{
	int saved;

	if (likely(sock >= 0) || cfg.sock[0] == '\0' || shim_worker ||
	    in_vfork_child() ||
	    __atomic_load_n(&shim_mt, __ATOMIC_RELAXED) ||
	    (!now && shim_now_ns_sys() < next_look))
		return;
	if (atomic_flag_test_and_set(&send_lock))
		return;
	saved = errno;
	if (sock < 0)
		sock_find();
	atomic_flag_clear(&send_lock);
	errno = saved;
}

static void
fill_hdr(struct iw_hdr *h, int type, size_t len)
{
	h->magic = IW_MAGIC;
	h->version = IW_VERSION;
	h->type = (uint16_t)type;
	h->length = (uint32_t)len;
	h->seq = ++seq;
	learn_start_ticks();
	h->start_ticks = image_start_ticks;
	h->image_ns = image_start_ns;
	h->sent_ns = shim_wall_ns_sys();
}

/*
 * The image's last message may find the collector's queue full, and no
 * later report will carry its counts; another user can keep that queue
 * full (one queue for every sender: docs/collector.md, "Security
 * model").  So the datagrams of the last message wait for room,
 * FINAL_WAIT_MS in all at most (poll's POLLOUT on the connected socket
 * wakes when the collector's queue has room); a periodic report is
 * dropped at once, the next one carries its counts.
 */
#define FINAL_WAIT_MS	200
static SHIM_HOT int64_t wait_left_ns;	/* of the last message; 0: no waiting */

/* Wait for room in the collector's queue; 1 while time is left. */
static int
room_wait(void)
{
	struct pollfd p = { .fd = sock, .events = POLLOUT };
	struct timespec ts;
	uint64_t t0 = shim_now_ns_sys();
	int64_t spent;

	ts.tv_sec = wait_left_ns / 1000000000;
	ts.tv_nsec = wait_left_ns % 1000000000;
	(void)syscall(SYS_ppoll, &p, 1, &ts, NULL, 0);
	spent = (int64_t)(shim_now_ns_sys() - t0);
	wait_left_ns -= spent > 1000000 ? spent : 1000000;	/* no spinning */
	return wait_left_ns > 0;
}

/* 0 sent; -1 not sent (the collector is gone, or its queue is full). */
static int
xmit(size_t len)
{
	ssize_t r;

	for (;;) {
		r = syscall(SYS_sendto, sock, msg.raw, len,
		    MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		if (r >= 0)
			return 0;
		if ((errno != EAGAIN && errno != ENOBUFS) || wait_left_ns <= 0 ||
		    !room_wait())
			break;
	}
	if (errno != EAGAIN && errno != ENOBUFS)
		connected = 0;	/* collector gone: connect again next time */
	return -1;
}

static void
send_proc(int final, int reason, int code)
{
	struct iw_proc *p = &msg.proc;
	struct proc_totals pt;
	int c, r;

	memset(p, 0, sizeof(*p));
	p->ppid = (uint32_t)getppid();
	p->state = final ? IW_END : IW_LIVE;
	p->end_reason = (uint16_t)(final ? reason : IW_END_NONE);
	p->end_code = code;
	proc_totals(&pt);
	p->opens = pt.opens;
	p->fsyncs = pt.fsyncs;
	for (c = 0; c < IW_NCLASS; c++) {
		p->cls[c].read_bytes = pt.cls[c][C_RBYTES];
		p->cls[c].write_bytes = pt.cls[c][C_WBYTES];
		p->cls[c].reads = pt.cls[c][C_READS];
		p->cls[c].writes = pt.cls[c][C_WRITES];
	}
	p->co.writes_absorbed = pt.co_absorbed;
	p->co.syscalls = pc.co_syscalls;
	p->co.bytes = pc.co_bytes;
	p->co.errors = pc.co_errors;
	for (r = 0; r < IW_NREASON; r++)
		p->co.reasons[r] = pc.co_reasons[r];
	p->k.flags = IW_K_OWN;
	kio_own(&p->k.read_bytes, &p->k.write_bytes);
	p->k.write_syscalls[IW_DISK] = pt.cls[IW_DISK][C_SYSW] + p->co.syscalls;
	p->k.write_syscalls[IW_MEMFS] = pt.cls[IW_MEMFS][C_SYSW];
	prctl(PR_GET_NAME, p->comm);
	p->comm[IW_COMM_MAX - 1] = '\0';
	memcpy(p->exe, image_exe, sizeof(p->exe));
	p->exe[IW_EXE_MAX - 1] = '\0';
	p->exe_dev = image_exe_dev;
	p->exe_ino = image_exe_ino;
	fill_hdr(&p->h, IW_PROC, sizeof(*p));
	xmit(sizeof(*p));
}

/* A row's sum of counts that only rise: a row whose sum moved is sent.
 * Its write syscalls too: stdio and the coalescer flush after the call. */
static uint64_t
activity(const struct file_row *f, const struct tfile *c)
{
	return c->opens + c->reads + row_writes(c) + c->fsyncs + f->absorbed +
	    c->syscalls + f->flushes;
}

static SHIM_BIG struct tfile sums[64];	/* rows_sum of 64 rows: under send_lock */
static SHIM_BIG uint64_t sent_sum[FILES_MAX];	/* each row's activity at its last send */

/* A new image or a forked child: every row is new to the collector. */
void
send_reset_rows(void)
{
	resend_rows = 1;
}

/* Rows that changed since the last send, packed into few datagrams. */
static void
send_files(void)
{
	unsigned n = atomic_load(&files_used), i, b;
	size_t off = sizeof(struct iw_files), row;
	struct iw_file *w;
	const struct file_row *f;
	const struct tfile *c;
	uint64_t act;

	/*
	 * Only the rows there are: files_used only grows, so no row at or
	 * past it was ever sent, not even by a send that a fork cut short in
	 * the parent (whose rows the child clears here) - and a process with
	 * a few rows touches one page, not 8 KB.
	 */
	if (resend_rows) {
		memset(sent_sum, 0, n * sizeof(sent_sum[0]));
		resend_rows = 0;
	}
	msg.files.count = 0;
	for (i = 0; i < n && connected; i++) {
		if (i % 64 == 0)
			rows_sum(i, n - i < 64 ? n - i : 64, sums);
		f = row_shared_peek(i);
		c = &sums[i % 64];
		act = activity(f, c);
		if (act == sent_sum[i])
			continue;
		row = IW_ROW_SIZE(names[i].path_len);
		if (off + row > IW_MAX) {
			fill_hdr(&msg.files.h, IW_FILES2, off);
			if (xmit(off) != 0)
				resend_rows = 1;
			off = sizeof(struct iw_files);
			msg.files.count = 0;
		}
		w = (struct iw_file *)(msg.raw + off);
		memset(w, 0, row);
		w->path_len = names[i].path_len;
		w->cls = names[i].cls;
		w->opens = c->opens;
		w->read_bytes = c->read_bytes;
		w->write_bytes = c->write_bytes;
		w->reads = c->reads;
		w->writes = row_writes(c);
		w->fsyncs = c->fsyncs;
		w->write_ns = ticks_to_ns(c->write_ns);
		w->fsync_ns = ticks_to_ns(c->fsync_ns);
		w->absorbed = f->absorbed;
		w->flushes = f->flushes;
		w->write_syscalls = c->syscalls + f->flushes;
		for (b = 0; b < IW_NFTIMES; b++)
			w->fsync_times[b] = f->fsync_times[b];
		for (b = 0; b < IW_NSIZES; b++)
			w->write_sizes[b] = c->write_sizes[b];
		memcpy((char *)(w + 1), names[i].path, names[i].path_len);
		sent_sum[i] = act;
		msg.files.count++;
		off += row;
	}
	if (msg.files.count > 0 && connected) {
		fill_hdr(&msg.files.h, IW_FILES2, off);
		if (xmit(off) != 0)
			resend_rows = 1;
	}
}

/*
 * Connect again after the collector went away.  The one there now may be
 * a restarted one that lost what its predecessor had not stored yet: it
 * gets every row again (its stored bases make the deltas exact), not only
 * the rows that changed since the last send.
 */
static int
sock_reconnect(void)
{
	if (sock_connect() != 0)
		return -1;
	resend_rows = 1;
	return 0;
}

/* The message buffer and a send of it, for send_db.c (send_lock held). */
char *
send_buffer(void)
{
	return msg.raw;
}

int
send_datagram(int type, size_t len)
{
	if (!connected)
		return -1;
	fill_hdr(&msg.files.h, type, len);
	return xmit(len);
}

static void
send_all(int final, int reason, int code)
{
	int all = resend_rows;	/* the collector may be new to the image */

	send_files();
	if (connected)
		send_debounce(all);
	if (connected)
		send_proc(final, reason, code);
}

/* Send the counters now; final for the image's last message. */
SHIM_ONCE void
send_tick(int final, int reason, int code)
{
	int saved = errno;
	unsigned spins = 0;

	while (atomic_flag_test_and_set(&send_lock))
		if (++spins > 1000000)
			return;		/* never wait for ever, not even at exit */
	if (sock >= 0 && !sock_valid()) {
		/* closed behind libc's back, or taken: look for it again */
		if (FDE_FLAGS(fd_raw(sock)) & FD_SHIM)
			fd_forget(sock);
		sock = -1;
		connected = 0;
	}
	/* the image's last message: the collector may have come meanwhile */
	if (sock < 0 && final && !shim_worker)
		sock_find();
	wait_left_ns = final ? FINAL_WAIT_MS * 1000000LL : 0;
	if (sock >= 0 && (connected || sock_reconnect() == 0)) {
		send_all(final, reason, code);
		/*
		 * A send failed: the collector was gone since the last tick.
		 * When it is back already (restarted), send again at once:
		 * this may be the image's last message.
		 */
		if (!connected && sock_reconnect() == 0)
			send_all(final, reason, code);
	}
	wait_left_ns = 0;
	atomic_flag_clear(&send_lock);
	errno = saved;
}

/* Is there a socket to send on (for starting the worker)? */
HIDDEN int
send_wanted(void)
{
	return sock >= 0;
}

int
send_owns_fd(int fd)
{
	return sock >= 0 && fd == sock;
}

/*
 * The program is replacing one of the shim's fds with dup2 or dup3 (the
 * socket or the kept report file; wrap_fd.c does not say which): the
 * number loses its FD_SHIM mark, and each finds out at its next use.
 */
void
send_drop_fd(void)
{
}

void
send_after_fork_child(void)
{
	/*
	 * The child keeps the inherited socket: the kernel stamps each
	 * datagram with the sender's own pid.  A fresh sequence for the
	 * child's image.
	 */
	seq = 0;
	send_debounce_fork_child();
	atomic_flag_clear(&send_lock);
	if (sock >= 0)
		learn_start_ticks();
}
