/*
 * fuzz_query.c - libFuzzer target for the query parser (request.c).
 * Every input is one request line.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request r;
	char err[256];
	int i;

	if (req_parse((const char *)data, size, 1700000000, &r, err,
	    sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (r.limit < 1 || r.limit > REQ_LIMIT_MAX || r.sort >= NPC ||
	    r.nfields > REQ_FIELDS_MAX || memchr(r.exe, '\0',
	    sizeof(r.exe)) == NULL)
		abort();
	for (i = 0; i < r.nfields; i++)
		if (r.fields[i] < 0 || r.fields[i] >= NPC)
			abort();
	if ((r.has_from || r.has_to) && r.from >= r.to)
		abort();
	return 0;
}
