/*
 * send_db.c - the debounced saves on the wire: an IW_DEBOUNCE message
 * (common/wire.h) with the image's sums and one row per target file
 * (debounce.c's counters, read under its lock), sent with the other
 * reports (send.c) by an image that has debounced files.  Rows go when
 * they changed, all of them again when send.c says the collector may be
 * new to the image, or when a datagram of them was not sent.
 */
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "debounce.h"

static struct {
	const char	*path;
	struct iw_dbcount n;
} snap[DB_ENTS];
static struct iw_dbcount sent[DB_ENTS];	/* each row at its last send */
static uint8_t cls[DB_ENTS];		/* each row's class + 1, 0 unknown */
static int resend = 1;

/* The target's class: disk unless its filesystem lives in memory. */
static uint8_t
target_class(const char *path)
{
	struct statfs sf;

	if (syscall(SYS_statfs, path, &sf) != 0)
		return IW_DISK;		/* gone between saves: keep it simple */
	return fd_memfs_type(sf.f_type) ? IW_MEMFS : IW_DISK;
}

/* Copy the rows out of debounce.c's table; their number. */
static unsigned
take_snapshot(struct iw_dbcount *tot)
{
	unsigned i, n;

	memset(tot, 0, sizeof(*tot));
	db_lock();
	for (n = 0; n < DB_ENTS && db_row(n, &snap[n].path,
	    &snap[n].n.saves_absorbed, &snap[n].n.saves_written,
	    &snap[n].n.bytes_saved); n++)
		;
	db_unlock();
	for (i = 0; i < n; i++) {
		tot->saves_absorbed += snap[i].n.saves_absorbed;
		tot->saves_written += snap[i].n.saves_written;
		tot->bytes_saved += snap[i].n.bytes_saved;
	}
	return n;
}

/* Send the datagram built in buf (off bytes); -1 when it was not sent. */
static int
flush_msg(char *buf, size_t off, unsigned count)
{
	struct iw_dbfiles *m = (struct iw_dbfiles *)buf;

	m->count = count;
	return send_datagram(IW_DEBOUNCE, off);
}

void
send_debounce(int all)
{
	struct iw_dbcount tot;
	struct iw_dbfiles *m;
	struct iw_dbrow *w;
	char *buf;
	size_t off = sizeof(*m), row, len;
	unsigned n, i, count = 0;
	int failed = 0;

	if (!db_on)
		return;
	if (all || resend) {
		memset(sent, 0, sizeof(sent));
		resend = 0;
	}
	n = take_snapshot(&tot);
	buf = send_buffer();
	m = (struct iw_dbfiles *)buf;
	memset(m, 0, sizeof(*m));
	m->tot = tot;
	for (i = 0; i < n; i++) {
		if (memcmp(&snap[i].n, &sent[i], sizeof(sent[i])) == 0)
			continue;
		len = strlen(snap[i].path);
		if (len < 1 || len > IW_PATH_MAX)
			continue;
		row = IW_DBROW_SIZE(len);
		if (off + row > IW_MAX) {
			if (flush_msg(buf, off, count) != 0)
				failed = 1;
			off = sizeof(*m);
			count = 0;
		}
		if (cls[i] == 0)
			cls[i] = (uint8_t)(target_class(snap[i].path) + 1);
		w = (struct iw_dbrow *)(buf + off);
		memset(w, 0, row);
		w->path_len = (uint16_t)len;
		w->cls = (uint8_t)(cls[i] - 1);
		w->n = snap[i].n;
		memcpy((char *)(w + 1), snap[i].path, len);
		sent[i] = snap[i].n;
		count++;
		off += row;
	}
	if (count > 0 && flush_msg(buf, off, count) != 0)
		failed = 1;
	if (failed)
		resend = 1;
}

/* A forked child's table starts empty (db_after_fork_child). */
void
send_debounce_fork_child(void)
{
	memset(cls, 0, sizeof(cls));
	resend = 1;
}
