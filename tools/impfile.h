/*
 * impfile.h - one exit-report file as `ioshim import` reads it: opened,
 * checked against the position the collector keeps for it (device, inode,
 * offset, size, hashes of its first 4 KiB and of the 4 KiB before the
 * offset), then read a whole line at a time from there.
 */
#ifndef IOSHIM_IMPFILE_H
#define IOSHIM_IMPFILE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define IMPF_LINE_MAX	(1u << 20)	/* a longer line is skipped */
#define IMPF_HASH_SPAN	4096

struct impfile {
	const char	*path;
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	uid_t		 uid;
	gid_t		 gid;
	int64_t		 off;		/* next byte to read: a line start */
	int64_t		 line;		/* lines before off */
	char		*buf;		/* read ahead: [off, off + len) */
	size_t		 len, cap;
	int64_t		 skipping;	/* in a line too long that began here */
	int64_t		 done;		/* after the last whole line returned */
	size_t		 start;		/* the line returned last, to drop */
};

/* The stored position of a file, as the collector replies it. */
struct impf_pos {
	int		 found;
	int64_t		 off, line, size;
	uint64_t	 head, tail;
};

int	impf_open(struct impfile *, const char *path);	/* 0 ok, -1 errno */
void	impf_close(struct impfile *);
/* Resume at pos if it still describes this file's start; 1 resumed, 0
 * from the start (new, truncated or replaced), -1 read error. */
int	impf_resume(struct impfile *, const struct impf_pos *);
/* FNV-1a of [max(0, to - 4096), to) (tail) and [0, min(4096, to)) (head). */
int	impf_hashes(struct impfile *, int64_t to, uint64_t *head, uint64_t *tail);
/*
 * The next complete line: *p, *n (without its "\n"), its number in *lno;
 * 1 a line, 0 none complete yet, -1 error.  A line longer than
 * IMPF_LINE_MAX is returned with *n = 0 and *toolong its length.
 */
int	impf_next(struct impfile *, const char **p, size_t *n, int64_t *lno,
	    size_t *toolong);
/* The file's current size, -1 on error. */
int64_t	impf_size(const struct impfile *);

#endif
