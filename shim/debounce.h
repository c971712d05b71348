/*
 * debounce.h - what the files of debounced saves share, and no other:
 * debounce.c (the table of targets, its lock, the points where pending
 * states are made real), debounce_rename.c (saves by atomic replace),
 * debounce_trunc.c (saves by in-place rewrite).  docs/debounce.md.
 */
#ifndef IOSHIM_DEBOUNCE_H
#define IOSHIM_DEBOUNCE_H

#include <limits.h>

#include "shim.h"

#define DB_ENTS		32	/* targets followed per process */

/* A target file, and the state pending for it (pend[0] != 0). */
struct db_ent {
	char		path[PATH_MAX];	/* the target, absolute */
	const char	*base;		/* its last component, in path */
	char		pend[NAME_MAX + 1];	/* pending file's name, "" none */
	int		inplace;	/* pending is an in-place rewrite: copied
					 * into the target, not renamed onto it */
	int		pfd;		/* inplace: the program's fd on it */
	int		copied;		/* inplace: copied in while that fd was
					 * open (an fsync): counted written */
	struct timespec	cmtime;		/* inplace: the pending file's mtime when
					 * copied in */
	int		synced;		/* inplace: an fsync of one was seen: the
					 * file's rewrites go straight through */
	int		swept;		/* killed processes' pending files gone */
	dev_t		ddev, pdev;	/* the directory, the pending file */
	ino_t		dino, pino;
	dev_t		tdev;		/* the target when the pending state was */
	ino_t		tino;		/* made (tknown 1), or absent then (2): */
	struct timespec	tctime;		/* changed since, another's is newer */
	int		tknown;
	uint64_t	psize;		/* the pending state's bytes */
	uint64_t	last_ns;	/* the target last got a state */
	uint64_t	due_ns;		/* pending: made real then */
	int		pat, err;	/* err: a failed write, told at the next save */
	uint64_t	absorbed, written, bytes_saved;
	uint64_t	superseded;	/* of absorbed: another's state was newer */
	int		mslot;		/* the pending state is held in memory
					 * (debounce_hold.c slot), not yet in
					 * the file pend names; -1 none */
};

HIDDEN extern __thread int db_in;	/* this thread holds the lock */
HIDDEN void	db_lock(void);
HIDDEN void	db_unlock(void);
HIDDEN struct db_ent *db_ent_for(const char *abs, int pat);
HIDDEN void	db_pend_path(const struct db_ent *e, char *out);
HIDDEN void	db_pend_new(struct db_ent *e, const char *name);
HIDDEN int	db_pend_name(const struct db_ent *e, char *name, char *p);
HIDDEN void	db_discard(struct db_ent *e);
HIDDEN void	db_target_mark(struct db_ent *e);
HIDDEN int	db_flush_ent(struct db_ent *e, int sync, int force);
HIDDEN int	db_was_synced(const struct stat *st);
HIDDEN int	db_told_error(struct db_ent *e);
HIDDEN void	db_sweep(const struct db_ent *e);	/* debounce_sweep.c */
HIDDEN const char *db_glob(unsigned i);
HIDDEN int	db_copy_in(struct db_ent *e, const char *p, int sync);
HIDDEN int	db_fd_open(const struct db_ent *e);
HIDDEN void	db_real_fd(struct db_ent *e);

HIDDEN int	db_have_ents(void);
HIDDEN int	db_temp_name(const char *dir, const char *base);
/* debounce_hold.c, under the lock */
HIDDEN int	dbh_by_inode(dev_t dev, ino_t ino);
HIDDEN int	dbh_fd_open(int i);
HIDDEN uint64_t	dbh_len(int i);
HIDDEN void	dbh_real(int i);
HIDDEN void	dbh_path(const char *base);
HIDDEN int	dbh_named(const char *base);	/* unlocked: worth the lock? */
HIDDEN void	dbh_real_all(void);
HIDDEN void	dbh_commit(int i, const char *target);
HIDDEN void	dbh_free(int i);
HIDDEN int	dbh_write_state(int i, const char *p, int sync, struct stat *st);
HIDDEN void	dbh_after_fork_child(void);
HIDDEN void	dbh_sweep(const char *target, const char *glob);	/* debounce_hsweep.c */

#endif /* IOSHIM_DEBOUNCE_H */
