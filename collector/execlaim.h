/*
 * execlaim.h - the executable name a sender claims, believed only when
 * the kernel confirms it (execlaim.c).
 */
#ifndef IOSHIMD_EXECLAIM_H
#define IOSHIMD_EXECLAIM_H

#include <sys/types.h>
#include <stdint.h>

#include "wire.h"

/* What an unverified name is stored as: this, the uid, then the claim. */
#define EXE_UNVERIFIED	"[uid=%u,unverified]"

/*
 * The name to store (out, IW_EXE_MAX bytes) for the claim of exe, dev and
 * ino from the image (pid, start_ticks) of uid: the claim itself when the
 * sender is an administrator or /proc/PID/exe confirms it, else the claim
 * marked with EXE_UNVERIFIED.  Returns 1 when verified or trusted.
 */
int	exe_decide(char out[IW_EXE_MAX], pid_t, uid_t, uint64_t start_ticks,
	    const char *exe, uint64_t dev, uint64_t ino);

#endif
