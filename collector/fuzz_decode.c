/*
 * fuzz_decode.c - libFuzzer target for the datagram decoder (decode.c).
 * Every input is one datagram; accepted messages have their rows walked
 * and checked against the limits decode.c promises.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dec_row r;
	static struct dec_dbrow d;
	struct dec_msg m;
	size_t off = 0;
	uint32_t n = 0;

	if (dec_msg(data, size, &m) != DEC_OK)
		return 0;
	if (m.type == IW_PROC) {
		if (memchr(m.proc.exe, '\0', sizeof(m.proc.exe)) == NULL)
			abort();
		return 0;
	}
	if (m.type == IW_DEBOUNCE) {
		while (dec_dbrow(&m, &off, &d)) {
			if (d.d.path_len == 0 || d.d.path_len > IW_PATH_MAX ||
			    strlen(d.path) != d.d.path_len ||
			    d.d.cls >= IW_NCLASS || off > m.rowslen ||
			    d.d.n.saves_absorbed > m.dbtot.saves_absorbed ||
			    d.d.n.saves_written > m.dbtot.saves_written ||
			    d.d.n.bytes_saved > m.dbtot.bytes_saved)
				abort();
			n++;
		}
		if (n != m.nrows || off != m.rowslen || dec_row(&m, &off, &r))
			abort();
		return 0;
	}
	while (dec_row(&m, &off, &r)) {
		if (r.f.path_len == 0 || r.f.path_len > IW_PATH_MAX ||
		    strlen(r.path) != r.f.path_len || r.f.cls >= IW_NCLASS ||
		    off > m.rowslen)
			abort();
		n++;
	}
	if (n != m.nrows || off != m.rowslen)
		abort();
	return 0;
}
