/*
 * decode.c - validate and decode one ingest datagram.
 *
 * The datagram comes from any local process that can reach the socket, so
 * nothing in it is trusted: the buffer may be unaligned (we memcpy into
 * aligned structs), any length may lie, strings may lack their NUL, enums
 * may be out of range.  A message is accepted whole or rejected whole: all
 * file rows are checked in dec_msg() before dec_row() hands any out.
 */
#include <string.h>

#include "decode.h"

static const char *const errnames[DEC_NERR] = {
	"ok", "short", "magic", "version", "length", "type", "size",
	"string", "field", "row",
};

const char *
dec_errname(int e)
{
	if (e < 0 || e >= DEC_NERR)
		return "unknown";
	return errnames[e];
}

static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* The padded size of a row of fsz fixed bytes and a path of len. */
static size_t
row_size(size_t fsz, size_t len)
{
	return (fsz + len + 7u) & ~(size_t)7u;
}

/* Check one row at off (fsz fixed bytes, then the path); on success
 * store the padded row size in *step. */
static int
check_row(const unsigned char *p, size_t avail, size_t fsz, size_t *step)
{
	struct iw_file f;
	size_t need;

	if (avail < fsz)
		return DEC_ROW;
	memcpy(&f, p, fsz);
	if (f.path_len < 1 || f.path_len > IW_PATH_MAX)
		return DEC_ROW;
	if (f.cls >= IW_NCLASS)
		return DEC_ROW;
	need = row_size(fsz, (size_t)f.path_len);
	if (need > avail)
		return DEC_ROW;
	if (memchr(p + fsz, '\0', f.path_len) != NULL)
		return DEC_ROW;
	*step = need;
	return DEC_OK;
}

/* n within the sums tot, bytes saved only by absorbed saves. */
static int
db_sane(const struct iw_dbcount *n, const struct iw_dbcount *tot)
{
	if (n->saves_absorbed > tot->saves_absorbed ||
	    n->saves_written > tot->saves_written ||
	    n->bytes_saved > tot->bytes_saved)
		return 0;
	return n->saves_absorbed > 0 || n->bytes_saved == 0;
}

/* Check one IW_DEBOUNCE row (as check_row, and its figures). */
static int
check_dbrow(const unsigned char *p, size_t avail,
    const struct iw_dbcount *tot, size_t *step)
{
	static const uint8_t zero[sizeof(((struct iw_dbrow *)0)->pad)];
	struct iw_dbrow d;
	size_t need;

	if (avail < sizeof(d))
		return DEC_ROW;
	memcpy(&d, p, sizeof(d));
	if (d.path_len < 1 || d.path_len > IW_PATH_MAX ||
	    d.cls >= IW_NCLASS || memcmp(d.pad, zero, sizeof(zero)) != 0)
		return DEC_ROW;
	need = row_size(sizeof(d), (size_t)d.path_len);
	if (need > avail)
		return DEC_ROW;
	if (memchr(p + sizeof(d), '\0', d.path_len) != NULL)
		return DEC_ROW;
	if (!db_sane(&d.n, tot))
		return DEC_FIELD;
	*step = need;
	return DEC_OK;
}

/* An IW_DEBOUNCE message: sums, then rows (in m->rows). */
static int
dec_debounce(const unsigned char *p, size_t len, struct dec_msg *m)
{
	struct iw_dbfiles dh;
	size_t off, step;
	uint32_t i;
	int e;

	if (len < sizeof(dh))
		return DEC_SIZE;
	memcpy(&dh, p, sizeof(dh));
	if (dh.pad0 != 0 || !db_sane(&dh.tot, &dh.tot))
		return DEC_FIELD;
	m->dbtot = dh.tot;
	m->rowfix = sizeof(struct iw_dbrow);
	if (dh.count > (len - sizeof(dh)) / row_size(m->rowfix, 1))
		return DEC_ROW;
	m->nrows = dh.count;
	m->rows = p + sizeof(dh);
	m->rowslen = len - sizeof(dh);
	for (i = 0, off = 0; i < dh.count; i++) {
		if ((e = check_dbrow(m->rows + off, m->rowslen - off, &m->dbtot,
		    &step)) != DEC_OK)
			return e;
		off += step;
	}
	return off == m->rowslen ? DEC_OK : DEC_ROW;	/* trailing bytes */
}

int
dec_msg(const void *buf, size_t len, struct dec_msg *m)
{
	const unsigned char *p = buf;
	struct iw_files fh;
	size_t off, step;
	uint32_t i;
	int e;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(struct iw_hdr))
		return DEC_SHORT;
	memcpy(&m->h, p, sizeof(m->h));
	if (m->h.magic != IW_MAGIC)
		return DEC_MAGIC;
	if (m->h.version != IW_VERSION)
		return DEC_VERSION;
	if (len > IW_MAX || m->h.length != len)
		return DEC_LENGTH;
	if (m->h.seq == 0)
		return DEC_FIELD;
	m->type = m->h.type;
	switch (m->h.type) {
	case IW_PROC:
		/* an older shim's: no struct iw_kernel, exe_dev, exe_ino (zero) */
		if (len != sizeof(struct iw_proc) && len != IW_PROC_V1_SIZE)
			return DEC_SIZE;
		memcpy(&m->proc, p, len);
		if (!terminated(m->proc.comm, sizeof(m->proc.comm)) ||
		    !terminated(m->proc.exe, sizeof(m->proc.exe)))
			return DEC_STRING;
		if (m->proc.state > IW_END || m->proc.end_reason > IW_END_SIGNAL)
			return DEC_FIELD;
		return DEC_OK;
	case IW_FILES:
	case IW_FILES2:
		if (len < sizeof(fh))
			return DEC_SIZE;
		memcpy(&fh, p, sizeof(fh));
		/* an older shim's rows end before write_syscalls (zero) */
		m->rowfix = m->h.type == IW_FILES ? IW_FILE_V1_SIZE :
		    sizeof(struct iw_file);
		/* Each row needs at least its fixed part + 8 bytes. */
		if (fh.count > (len - sizeof(fh)) / row_size(m->rowfix, 1))
			return DEC_ROW;
		m->nrows = fh.count;
		m->rows = p + sizeof(fh);
		m->rowslen = len - sizeof(fh);
		for (i = 0, off = 0; i < fh.count; i++) {
			if ((e = check_row(m->rows + off, m->rowslen - off,
			    m->rowfix, &step)) != DEC_OK)
				return e;
			off += step;
		}
		if (off != m->rowslen)
			return DEC_ROW;		/* trailing bytes */
		return DEC_OK;
	case IW_DEBOUNCE:
		return dec_debounce(p, len, m);
	default:
		return DEC_TYPE;
	}
}

int
dec_row(const struct dec_msg *m, size_t *off, struct dec_row *r)
{
	const unsigned char *p;

	if ((m->type != IW_FILES && m->type != IW_FILES2) ||
	    *off >= m->rowslen)
		return 0;
	p = m->rows + *off;
	memset(&r->f, 0, sizeof(r->f));
	memcpy(&r->f, p, m->rowfix);
	memcpy(r->path, p + m->rowfix, r->f.path_len);
	r->path[r->f.path_len] = '\0';
	*off += row_size(m->rowfix, (size_t)r->f.path_len);
	return 1;
}

int
dec_dbrow(const struct dec_msg *m, size_t *off, struct dec_dbrow *r)
{
	const unsigned char *p;

	if (m->type != IW_DEBOUNCE || *off >= m->rowslen)
		return 0;
	p = m->rows + *off;
	memcpy(&r->d, p, sizeof(r->d));
	memcpy(r->path, p + sizeof(r->d), r->d.path_len);
	r->path[r->d.path_len] = '\0';
	*off += row_size(sizeof(r->d), (size_t)r->d.path_len);
	return 1;
}
