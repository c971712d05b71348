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

/* A row's path: path_len bytes after its fsz fixed bytes, no NUL, the
 * padded row within avail (its size into *step); the class in range. */
static int
check_path(const unsigned char *p, size_t avail, size_t fsz,
    uint16_t path_len, uint8_t cls, size_t *step)
{
	size_t need;

	if (path_len < 1 || path_len > IW_PATH_MAX || cls >= IW_NCLASS)
		return DEC_ROW;
	need = row_size(fsz, (size_t)path_len);
	if (need > avail || memchr(p + fsz, '\0', path_len) != NULL)
		return DEC_ROW;
	*step = need;
	return DEC_OK;
}

/* Check one row at off (fsz fixed bytes, then the path); on success
 * store the padded row size in *step. */
static int
check_row(const unsigned char *p, size_t avail, size_t fsz, size_t *step)
{
	struct iw_file f;

	if (avail < fsz)
		return DEC_ROW;
	memcpy(&f, p, fsz);
	return check_path(p, avail, fsz, f.path_len, f.cls, step);
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
	int e;

	if (avail < sizeof(d))
		return DEC_ROW;
	memcpy(&d, p, sizeof(d));
	if (memcmp(d.pad, zero, sizeof(zero)) != 0)
		return DEC_ROW;
	if ((e = check_path(p, avail, sizeof(d), d.path_len, d.cls, step)) !=
	    DEC_OK)
		return e;
	return db_sane(&d.n, tot) ? DEC_OK : DEC_FIELD;
}

/*
 * The count rows after the hsz bytes of a message's head: each checked
 * (as its type says) before any is handed out, and they must fill the
 * datagram exactly.
 */
static int
check_rows(const unsigned char *p, size_t len, size_t hsz, uint32_t count,
    struct dec_msg *m)
{
	size_t off, step;
	uint32_t i;
	int e;

	/* Each row needs at least its fixed part + 8 bytes. */
	if (count > (len - hsz) / row_size(m->rowfix, 1))
		return DEC_ROW;
	m->nrows = count;
	m->rows = p + hsz;
	m->rowslen = len - hsz;
	for (i = 0, off = 0; i < count; i++) {
		e = m->type == IW_DEBOUNCE ? check_dbrow(m->rows + off,
		    m->rowslen - off, &m->dbtot, &step) : check_row(m->rows +
		    off, m->rowslen - off, m->rowfix, &step);
		if (e != DEC_OK)
			return e;
		off += step;
	}
	return off == m->rowslen ? DEC_OK : DEC_ROW;	/* trailing bytes */
}

/* An IW_DEBOUNCE message: sums, then rows (in m->rows). */
static int
dec_debounce(const unsigned char *p, size_t len, struct dec_msg *m)
{
	struct iw_dbfiles dh;

	if (len < sizeof(dh))
		return DEC_SIZE;
	memcpy(&dh, p, sizeof(dh));
	if (dh.pad0 != 0 || !db_sane(&dh.tot, &dh.tot))
		return DEC_FIELD;
	m->dbtot = dh.tot;
	m->rowfix = sizeof(struct iw_dbrow);
	return check_rows(p, len, sizeof(dh), dh.count, m);
}

int
dec_msg(const void *buf, size_t len, struct dec_msg *m)
{
	const unsigned char *p = buf;
	struct iw_files fh;

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
		return check_rows(p, len, sizeof(fh), fh.count, m);
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
