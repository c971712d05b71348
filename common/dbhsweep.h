/*
 * dbhsweep.h - writing the debounced states killed processes held in
 * memory (common/dbhsweep.c), for the shim (shim/debounce_hsweep.c) and
 * ioshimd (collector/salvager.c).
 */
#ifndef IOSHIM_DBHSWEEP_H
#define IOSHIM_DBHSWEEP_H

#include <stdint.h>

/* What getdents64 returns (the shim reads directories without libc's
 * allocating readdir). */
struct dbh_dirent {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

/* The hold files of dead processes in spill directory dir, for target
 * (or the files glob matches; both NULL: every file): states written,
 * or -1 when dir cannot be opened. */
int	dbh_sweep_dir(const char *dir, const char *target, const char *glob);

#endif
