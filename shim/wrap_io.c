/*
 * wrap_io.c - the calls that move bytes through a file descriptor:
 * read/write and their positioned, vectored and socket forms, and the
 * kernel-side copies (sendfile, splice, tee, vmsplice, copy_file_range).
 *
 * Every wrapper has the same shape: look the fd up (fd_get), hand
 * coalesced fds and the shim's own fds to the slow path, otherwise call
 * the real function and count the call.  Nothing here changes errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>

#include "shim.h"

#define SPECIAL		(FD_COALESCE | FD_SHIM)

/* The program used one of the shim's own fds: as if it did not exist. */
static ssize_t
ebadf(void)
{
	errno = EBADF;
	return -1;
}

/*
 * fd is marked as the shim's: 1 while it still is (the program gets
 * EBADF); else the program took the number behind libc's back, and *e is
 * its entry now.
 */
static int
still_ours(int fd, fdent_t *e)
{
	if (own_fd_still(fd))
		return 1;
	*e = fd_get(fd);
	return 0;
}

/* A read-like call on fd: flush what the coalescer holds for it first. */
#define READ_PROLOGUE(fd, e)						\
	if (unlikely(FDE_FLAGS(e) & (SPECIAL | FD_PEER))) {		\
		if (FDE_FLAGS(e) & FD_SHIM) {				\
			if (own_fd_still(fd))				\
				return ebadf();				\
			e = fd_get(fd);					\
		}							\
		if (FDE_FLAGS(e) & FD_COALESCE)				\
			co_flush_fd(fd, IW_R_READ);			\
		else							\
			co_peer_point(fd, e);				\
	}

/* Call the real CALL and count it as a write, timed when the fd is a file. */
#define TIMED_WRITE(e, r, CALL)						\
	do {								\
		if (timed_class(e)) {					\
			uint64_t t0_ = shim_ticks();			\
			r = CALL;					\
			count_write(e, r, shim_ticks_since(t0_));	\
		} else {						\
			r = CALL;					\
			count_write(e, r, 0);				\
		}							\
	} while (0)

/*
 * The fast path, for the calls a program makes in a loop (read, write,
 * and the socket calls): an fd whose entry is known, is not the shim's,
 * holds no coalescer or peer flag and has no file row (sockets, pipes,
 * terminals, devices never do), on a thread that already has its counter
 * block.
 * Then only the address of this thread's counters for the fd's class
 * lives across the call.  Anything else (and every call before init,
 * when no entry is known) goes to the full wrapper, NAME_slow.
 */
#define FAST_WANT	((unsigned)FILE_NONE << 16 | FD_KNOWN)
#define FAST_MASK(flags) \
	((unsigned)FILE_NONE << 16 | FD_KNOWN | FD_SHIM | (flags))

static inline uint64_t *
fast_ctr(fdent_t e, unsigned mask)
{
	struct tctr *t = my_tctr;

	if (likely(((unsigned)e & mask) == FAST_WANT) && likely(t != NULL))
		return t->cls[FDE_CLASS(e)];
	return NULL;
}

/* One call of r bytes (r may be -1) into counters k: calls, then bytes. */
static inline void
fast_count(uint64_t *k, int calls, int bytes, ssize_t r)
{
	ctr_add(&k[calls], 1);
	if (r > 0)
		ctr_add(&k[bytes], (uint64_t)r);
}

#define FAST(ret, name, decl, args, mask, calls, bytes)		\
EXPORT ret								\
name decl								\
{									\
	uint64_t *k = fast_ctr(fd_raw(fd), mask);			\
	ret r;								\
									\
	if (unlikely(k == NULL))					\
		return name##_slow args;				\
	r = LAZY(name) args;						\
	fast_count(k, calls, bytes, r);					\
	return r;							\
}
#define SLOW	static __attribute__((noinline))

/*
 * The second fast path, at the top of read_slow and write_slow: an fd with
 * a file row (a regular file read or written directly) whose entry is
 * known, not the shim's and not coalesced.  A peer of a coalesced file
 * (FD_PEER) takes it while the coalescer holds no bytes at all, the same
 * test co_peer_point makes.  The row's counts are this thread's share;
 * a write to a file is timed in ticks.  Kept out of read and write
 * themselves, so a loop on a pipe or a device pays nothing for it.
 */
static inline int
file_fast(fdent_t e)
{
	return likely((e & (FD_KNOWN | FD_SHIM | FD_COALESCE)) == FD_KNOWN) &&
	    likely(!(e & FD_PEER) || co_held == 0) && likely(my_tctr != NULL);
}

SLOW ssize_t
read_slow(int fd, void *buf, size_t n)
{
	fdent_t e = fd_raw(fd);
	ssize_t r;

	if (likely(file_fast(e))) {
		r = LAZY(read)(fd, buf, n);
		count_read(e, r);
		return r;
	}
	if (unlikely(!shim_ready))
		return syscall(SYS_read, fd, buf, n);
	e = fd_get(fd);
	READ_PROLOGUE(fd, e);
	r = LAZY(read)(fd, buf, n);
	count_read(e, r);
	return r;
}
FAST(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n),
    FAST_MASK(FD_COALESCE | FD_PEER), C_READS, C_RBYTES)

SLOW ssize_t
write_slow(int fd, const void *buf, size_t n)
{
	fdent_t e = fd_raw(fd);
	ssize_t r;

	if (likely(file_fast(e))) {
		TIMED_WRITE(e, r, LAZY(write)(fd, buf, n));
		return r;
	}
	if (unlikely(!shim_ready))
		return syscall(SYS_write, fd, buf, n);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & (SPECIAL | FD_PEER))) {
		if (FDE_FLAGS(e) & FD_SHIM) {
			if (own_fd_still(fd))
				return ebadf();
			e = fd_get(fd);
		}
		if (FDE_FLAGS(e) & FD_COALESCE)
			return co_write(fd, e, buf, n);
		co_peer_point(fd, e);	/* held appends come first */
	}
	TIMED_WRITE(e, r, LAZY(write)(fd, buf, n));
	return r;
}

/* write: the fast path, and a coalesced append straight to the coalescer. */
EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	fdent_t e = fd_raw(fd);
	uint64_t *k = fast_ctr(e, FAST_MASK(FD_COALESCE | FD_PEER));
	ssize_t r;

	if (likely(k != NULL)) {
		r = LAZY(write)(fd, buf, n);
		fast_count(k, C_WRITES, C_WBYTES, r);
		return r;
	}
	if ((e & (FD_KNOWN | FD_COALESCE)) == (FD_KNOWN | FD_COALESCE))
		return co_write(fd, e, buf, n);
	return write_slow(fd, buf, n);
}

#define PREAD(name, offt)						\
EXPORT ssize_t								\
name(int fd, void *buf, size_t n, offt off)				\
{									\
	fdent_t e;							\
	ssize_t r;							\
									\
	if (unlikely(!shim_ready))					\
		return syscall(SYS_pread64, fd, buf, n, (off64_t)off);	\
	e = fd_get(fd);							\
	READ_PROLOGUE(fd, e);						\
	r = LAZY(name)(fd, buf, n, off);					\
	count_read(e, r);						\
	return r;							\
}
PREAD(pread, off_t)
PREAD(pread64, off64_t)

/* pwrite on an O_APPEND fd appends on Linux: flush first, keep order. */
#define PWRITE(name, offt)						\
EXPORT ssize_t								\
name(int fd, const void *buf, size_t n, offt off)			\
{									\
	fdent_t e;							\
	ssize_t r;							\
									\
	if (unlikely(!shim_ready))					\
		return syscall(SYS_pwrite64, fd, buf, n, (off64_t)off);	\
	e = fd_get(fd);							\
	if (unlikely(dbh_buf(FDE_BUF(e))) &&				\
	    dbh_pwrite(fd, e, buf, n, (off64_t)off, &r))		\
		return r;	/* held: debounce_hold.c */		\
	READ_PROLOGUE(fd, e);						\
	TIMED_WRITE(e, r, LAZY(name)(fd, buf, n, off));			\
	return r;							\
}
PWRITE(pwrite, off_t)
PWRITE(pwrite64, off64_t)

EXPORT ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_readv, fd, iov, cnt);
	e = fd_get(fd);
	READ_PROLOGUE(fd, e);
	r = LAZY(readv)(fd, iov, cnt);
	count_read(e, r);
	return r;
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_writev, fd, iov, cnt);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & (SPECIAL | FD_PEER))) {
		if (FDE_FLAGS(e) & FD_SHIM) {
			if (own_fd_still(fd))
				return ebadf();
			e = fd_get(fd);
		}
		if (FDE_FLAGS(e) & FD_COALESCE)
			return co_writev(fd, e, iov, cnt);
		co_peer_point(fd, e);
	}
	TIMED_WRITE(e, r, LAZY(writev)(fd, iov, cnt));
	return r;
}

/* The positioned vector forms; fall back to plain syscalls before init. */
#define RAW_V(nr, ...) syscall(nr, fd, iov, cnt,			\
	(unsigned long)off, (unsigned long)((uint64_t)off >> 32) __VA_ARGS__)
#define PREADV(name, nr, offt, extra_decl, extra_arg)			\
EXPORT ssize_t								\
name(int fd, const struct iovec *iov, int cnt, offt off extra_decl)	\
{									\
	fdent_t e;							\
	ssize_t r;							\
									\
	if (unlikely(!shim_ready))					\
		return RAW_V(nr, extra_arg);				\
	e = fd_get(fd);							\
	READ_PROLOGUE(fd, e);						\
	r = LAZY(name)(fd, iov, cnt, off extra_arg);			\
	count_read(e, r);						\
	return r;							\
}
#define PWRITEV(name, nr, offt, extra_decl, extra_arg)			\
EXPORT ssize_t								\
name(int fd, const struct iovec *iov, int cnt, offt off extra_decl)	\
{									\
	fdent_t e;							\
	ssize_t r;							\
									\
	if (unlikely(!shim_ready))					\
		return RAW_V(nr, extra_arg);				\
	e = fd_get(fd);							\
	READ_PROLOGUE(fd, e);						\
	TIMED_WRITE(e, r, LAZY(name)(fd, iov, cnt, off extra_arg));	\
	return r;							\
}
#define COMMA ,
PREADV(preadv, SYS_preadv, off_t, , )
PREADV(preadv64, SYS_preadv, off64_t, , )
PREADV(preadv2, SYS_preadv2, off_t, COMMA int flags, COMMA flags)
PREADV(preadv64v2, SYS_preadv2, off64_t, COMMA int flags, COMMA flags)
PWRITEV(pwritev, SYS_pwritev, off_t, , )
PWRITEV(pwritev64, SYS_pwritev, off64_t, , )
PWRITEV(pwritev2, SYS_pwritev2, off_t, COMMA int flags, COMMA flags)
PWRITEV(pwritev64v2, SYS_pwritev2, off64_t, COMMA int flags, COMMA flags)

/* Sockets. */
SLOW ssize_t
send_slow(int fd, const void *buf, size_t n, int flags)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(send)(fd, buf, n, flags);
	count_write(e, r, 0);
	return r;
}
FAST(ssize_t, send, (int fd, const void *buf, size_t n, int flags),
    (fd, buf, n, flags), FAST_MASK(0), C_WRITES, C_WBYTES)

SLOW ssize_t
sendto_slow(int fd, const void *buf, size_t n, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_sendto, fd, buf, n, flags, to, tolen);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(sendto)(fd, buf, n, flags, to, tolen);
	count_write(e, r, 0);
	return r;
}
FAST(ssize_t, sendto, (int fd, const void *buf, size_t n, int flags,
    const struct sockaddr *to, socklen_t tolen),
    (fd, buf, n, flags, to, tolen), FAST_MASK(0), C_WRITES, C_WBYTES)

SLOW ssize_t
sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_sendmsg, fd, msg, flags);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(sendmsg)(fd, msg, flags);
	count_write(e, r, 0);
	return r;
}
FAST(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags),
    (fd, msg, flags), FAST_MASK(0), C_WRITES, C_WBYTES)

EXPORT int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	fdent_t e;
	int r, i;
	uint64_t bytes = 0;

	if (unlikely(!shim_ready))
		return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return (int)ebadf();
	r = LAZY(sendmmsg)(fd, v, n, flags);
	for (i = 0; i < r; i++)
		bytes += v[i].msg_len;
	count_write(e, r < 0 ? -1 : (ssize_t)bytes, 0);
	return r;
}

SLOW ssize_t
recv_slow(int fd, void *buf, size_t n, int flags)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_recvfrom, fd, buf, n, flags, NULL, NULL);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(recv)(fd, buf, n, flags);
	count_read(e, r);
	return r;
}
FAST(ssize_t, recv, (int fd, void *buf, size_t n, int flags),
    (fd, buf, n, flags), FAST_MASK(0), C_READS, C_RBYTES)

SLOW ssize_t
recvfrom_slow(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
    socklen_t *fromlen)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_recvfrom, fd, buf, n, flags, from, fromlen);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(recvfrom)(fd, buf, n, flags, from, fromlen);
	count_read(e, r);
	return r;
}
FAST(ssize_t, recvfrom, (int fd, void *buf, size_t n, int flags,
    struct sockaddr *from, socklen_t *fromlen),
    (fd, buf, n, flags, from, fromlen), FAST_MASK(0), C_READS, C_RBYTES)

SLOW ssize_t
recvmsg_slow(int fd, struct msghdr *msg, int flags)
{
	fdent_t e;
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_recvmsg, fd, msg, flags);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return ebadf();
	r = LAZY(recvmsg)(fd, msg, flags);
	count_read(e, r);
	return r;
}
FAST(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags),
    (fd, msg, flags), FAST_MASK(0), C_READS, C_RBYTES)

EXPORT int
recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
    struct timespec *timeout)
{
	fdent_t e;
	int r, i;
	uint64_t bytes = 0;

	if (unlikely(!shim_ready))
		return (int)syscall(SYS_recvmmsg, fd, v, n, flags, timeout);
	e = fd_get(fd);
	if (unlikely(FDE_FLAGS(e) & FD_SHIM) && still_ours(fd, &e))
		return (int)ebadf();
	r = LAZY(recvmmsg)(fd, v, n, flags, timeout);
	for (i = 0; i < r; i++)
		bytes += v[i].msg_len;
	count_read(e, r < 0 ? -1 : (ssize_t)bytes);
	return r;
}

/*
 * Kernel-side copies: one read call on the source and one write call on
 * the destination, each of the bytes moved.  Coalesced bytes of either
 * side reach the file first.
 */
static void
copy_prologue(int in, int out)
{
	co_sync_point(in, IW_R_READ);
	co_sync_point(out, IW_R_READ);
}

static void
copy_count(int in, int out, ssize_t r)
{
	count_read(fd_get(in), r);
	count_write(fd_get(out), r, 0);
}

EXPORT ssize_t
sendfile(int out, int in, off_t *off, size_t n)
{
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_sendfile, out, in, off, n);
	copy_prologue(in, out);
	r = LAZY(sendfile)(out, in, off, n);
	copy_count(in, out, r);
	return r;
}

EXPORT ssize_t
sendfile64(int out, int in, off64_t *off, size_t n)
{
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_sendfile, out, in, off, n);
	copy_prologue(in, out);
	r = LAZY(sendfile64)(out, in, off, n);
	copy_count(in, out, r);
	return r;
}

EXPORT ssize_t
splice(int in, off64_t *inoff, int out, off64_t *outoff, size_t n,
    unsigned int flags)
{
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_splice, in, inoff, out, outoff, n, flags);
	copy_prologue(in, out);
	r = LAZY(splice)(in, inoff, out, outoff, n, flags);
	copy_count(in, out, r);
	return r;
}

EXPORT ssize_t
tee(int in, int out, size_t n, unsigned int flags)
{
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_tee, in, out, n, flags);
	r = LAZY(tee)(in, out, n, flags);
	copy_count(in, out, r);
	return r;
}

EXPORT ssize_t
copy_file_range(int in, off64_t *inoff, int out, off64_t *outoff, size_t n,
    unsigned int flags)
{
	ssize_t r;

	if (unlikely(!shim_ready))
		return syscall(SYS_copy_file_range, in, inoff, out, outoff, n, flags);
	copy_prologue(in, out);
	r = LAZY(copy_file_range)(in, inoff, out, outoff, n, flags);
	copy_count(in, out, r);
	return r;
}

/* vmsplice moves user memory into a pipe (or out of it, on a read end). */
EXPORT ssize_t
vmsplice(int fd, const struct iovec *iov, size_t cnt, unsigned int flags)
{
	fdent_t e;
	ssize_t r;
	int fl, saved;

	if (unlikely(!shim_ready))
		return syscall(SYS_vmsplice, fd, iov, cnt, flags);
	e = fd_get(fd);
	r = LAZY(vmsplice)(fd, iov, cnt, flags);
	saved = errno;
	fl = (int)syscall(SYS_fcntl, fd, F_GETFL);
	errno = saved;
	if (fl != -1 && (fl & O_ACCMODE) == O_RDONLY)
		count_read(e, r);
	else
		count_write(e, r, 0);
	return r;
}
