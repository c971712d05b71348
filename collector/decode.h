/*
 * decode.h - validate and decode one ingest datagram (common/wire.h).
 *
 * No SQLite, no globals: the fuzzer links decode.c alone.  dec_msg() checks
 * every length, terminator and enum before anything else looks at the
 * message; dec_row() then walks the file rows of an IW_FILES message that
 * dec_msg() accepted, dec_dbrow() those of an IW_DEBOUNCE message.
 */
#ifndef IOSHIMD_DECODE_H
#define IOSHIMD_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Why a datagram was rejected (index into dec_errname()). */
enum dec_err {
	DEC_OK = 0,
	DEC_SHORT,	/* shorter than a header */
	DEC_MAGIC,	/* wrong magic */
	DEC_VERSION,	/* unknown version */
	DEC_LENGTH,	/* header length != datagram length, or > IW_MAX */
	DEC_TYPE,	/* unknown message type */
	DEC_SIZE,	/* wrong size for its type */
	DEC_STRING,	/* comm/exe not NUL-terminated */
	DEC_FIELD,	/* a field out of range (seq 0, state, class ...) */
	DEC_ROW,	/* a file row is malformed or does not fit */
	DEC_NERR
};

struct dec_msg {
	int		 type;		/* IW_PROC, IW_FILES, IW_FILES2 or
					 * IW_DEBOUNCE */
	struct iw_hdr	 h;
	struct iw_proc	 proc;		/* valid for IW_PROC */
	struct iw_dbcount dbtot;	/* IW_DEBOUNCE: the image's sums */
	uint32_t	 nrows;		/* IW_FILES: number of rows */
	const unsigned char *rows;	/* IW_FILES: first row (in caller's buffer) */
	size_t		 rowslen;
	size_t		 rowfix;	/* bytes of a row before its path */
};

struct dec_row {
	struct iw_file	 f;
	char		 path[IW_PATH_MAX + 1];	/* NUL-terminated copy */
};

/* A row of an IW_DEBOUNCE message. */
struct dec_dbrow {
	struct iw_dbrow	 d;
	char		 path[IW_PATH_MAX + 1];	/* NUL-terminated copy */
};

/* Validate buf[0..len).  Returns DEC_OK and fills *m, or an error. */
int	dec_msg(const void *buf, size_t len, struct dec_msg *m);
/* Next row at *off (start with 0); 1 = got one, 0 = no more. */
int	dec_row(const struct dec_msg *m, size_t *off, struct dec_row *r);
/* The same for the rows of an IW_DEBOUNCE message. */
int	dec_dbrow(const struct dec_msg *m, size_t *off, struct dec_dbrow *r);
const char *dec_errname(int);

#endif
