/*
 * kio.c - the image's own storage I/O as the kernel counts it: the bytes
 * its threads, running and ended, made the kernel read from and write to
 * storage (read_bytes and write_bytes of the kernel's task I/O
 * accounting).  Not /proc/self/io: that adds the I/O of every child the
 * process has reaped, so a shell that ran `dd` shows dd's bytes as its
 * own.  getrusage(RUSAGE_SELF) has exactly the process's own share, in
 * 512-byte blocks (ru_inblock, ru_oublock: the live threads' figures
 * plus those of the threads that ended, children apart), in one system
 * call that no thread exit has to be watched for.  The figures are read
 * where a report is made (the worker's periodic send, the image's end),
 * never per I/O call.  They count from the image's start: an exec'd
 * image does not inherit the figures of the one before it.
 */
#include <sys/resource.h>

#include "shim.h"

static SHIM_HOT uint64_t base_in, base_out;	/* blocks at the image's start */

static int
blocks(uint64_t *in, uint64_t *out)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	*in = (uint64_t)ru.ru_inblock;
	*out = (uint64_t)ru.ru_oublock;
	return 0;
}

/* A new image, or a forked child (whose own figures start at zero). */
SHIM_ONCE void
kio_start(void)
{
	if (blocks(&base_in, &base_out) != 0)
		base_in = base_out = 0;
}

/* Bytes since the image started; async-signal-safe. */
void
kio_own(uint64_t *rb, uint64_t *wb)
{
	uint64_t in, out;

	if (blocks(&in, &out) != 0) {
		*rb = *wb = 0;
		return;
	}
	*rb = in > base_in ? (in - base_in) * 512 : 0;
	*wb = out > base_out ? (out - base_out) * 512 : 0;
}
