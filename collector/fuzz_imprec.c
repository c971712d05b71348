/*
 * fuzz_imprec.c - libFuzzer target for the exit-report record parser of
 * `ioshim import` (imprec.c).  Every input is one line.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imprec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imp_rec r = { .max_files = IMP_FILES_MAX };
	char err[128];
	size_t i;
	int c;

	if (imp_parse((const char *)data, size, 1800000000000LL, &r, err,
	    sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (r.pid < 1 || r.pid > IMP_PID_MAX || r.end_ms < r.start_ms ||
	    r.nfiles > IMP_FILES_MAX || memchr(r.exe, '\0', sizeof(r.exe)) ==
	    NULL || memchr(r.comm, '\0', sizeof(r.comm)) == NULL)
		abort();
	for (c = 0; c < NPC; c++)
		if (r.pc[c] > IMP_VALUE_MAX)
			abort();
	for (i = 0; i < r.nfiles; i++)
		if (r.files[i].cls < 0 || r.files[i].cls >= IW_NCLASS ||
		    r.files[i].plen == 0 || strlen(imp_path(&r,
		    &r.files[i])) != r.files[i].plen)
			abort();
	return 0;
}
