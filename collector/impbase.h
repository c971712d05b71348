/*
 * impbase.h - the totals of an imported image (images.base of a row whose
 * host is set) in a compact form: only its counters that are not zero, as
 * (index, LEB128 value) pairs.  impbase.c says why.  A blob of 256 or
 * 264 bytes is the raw form (an older import, or a live image's).
 */
#ifndef IOSHIMD_IMPBASE_H
#define IOSHIMD_IMPBASE_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define IMPBASE_MAX	(NPC * 11 + 1)	/* an index byte, a 10-byte value */

/* v[NPC] into out (IMPBASE_MAX bytes); its length. */
size_t	impbase_pack(const uint64_t v[NPC], unsigned char *out);
/* A blob of n bytes into v[NPC] (zeros for what it lacks; damage stops
 * the decoding, what came before it stays). */
void	impbase_unpack(const void *blob, size_t n, uint64_t v[NPC]);

#endif
