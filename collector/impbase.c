/*
 * impbase.c - the totals of an imported image, compact (impbase.h).
 *
 * A live image's images.base is its NPC counters as they are in memory
 * (288 bytes), rewritten as it runs.  An imported image's is written once
 * and read only by `process PID` (query.c), and most of its counters are
 * zero.  Stored raw, the row (~350 bytes) is more than a 1 KiB page keeps
 * in a b-tree leaf (231 bytes), so SQLite moved its tail to an overflow
 * page of its own: a whole page per record, two thirds of the database
 * of an import and a third of the pages it wrote (docs/PERFORMANCE.md,
 * "Import").  Packed, a record's row is ~120 bytes, eight to a page.
 */
#include <string.h>

#include "impbase.h"

#define END	0xff		/* an index that ends a packed form */

/* A raw form's length: NPC counters, or the 33 or 32 of older schemas. */
static int
is_raw(size_t n)
{
	return n == NPC * 8 || n == 33 * 8 || n == 32 * 8;
}

size_t
impbase_pack(const uint64_t v[NPC], unsigned char *out)
{
	size_t n = 0;
	uint64_t x;
	int c;

	for (c = 0; c < NPC; c++) {
		if ((x = v[c]) == 0)
			continue;
		out[n++] = (unsigned char)c;
		for (; x >= 0x80; x >>= 7)
			out[n++] = (unsigned char)(x | 0x80);
		out[n++] = (unsigned char)x;
	}
	if (is_raw(n))
		out[n++] = END;		/* never a raw form's length */
	return n;
}

void
impbase_unpack(const void *blob, size_t n, uint64_t v[NPC])
{
	const unsigned char *p = blob, *e = p + n;
	uint64_t x;
	int c, sh;

	memset(v, 0, sizeof(uint64_t) * NPC);
	if (is_raw(n)) {
		memcpy(v, blob, n);
		return;
	}
	while (p < e && *p != END) {
		c = *p++;
		for (x = 0, sh = 0; p < e && sh < 64; sh += 7) {
			x |= (uint64_t)(*p & 0x7f) << sh;
			if ((*p++ & 0x80) == 0)
				break;
		}
		if (c >= NPC || sh >= 64 || (p == e && (p[-1] & 0x80)))
			return;		/* damaged: not a packed base */
		v[c] = x;
	}
}
