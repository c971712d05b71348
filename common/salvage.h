/*
 * salvage.h - writing a killed writer's held bytes to their files
 * (salvage.c), for `ioshim salvage` (tools/cmd_salvage.c), for the shim
 * at its first held byte (shim/worker.c) and for ioshimd
 * (collector/salvager.c).
 */
#ifndef IOSHIM_SALVAGE_H
#define IOSHIM_SALVAGE_H

#include <stdint.h>

struct salvage_stats {
	/* in */
	void		(*say)(const char *line);	/* or NULL */
	int		own_only;	/* only spills of our own euid */
	int		aside;		/* unsalvageable ones to DIR/kept */
	int		acts_only;	/* say only what was done */
	int		only_uid;	/* only spills owned by uid */
	unsigned	uid;
	unsigned	max_files;	/* spill files looked at, 0 = all */
	/* out */
	unsigned	found;		/* spill files looked at */
	unsigned	salvaged;	/* of dead writers, appended and removed */
	unsigned	empty;		/* of dead writers, nothing held: removed */
	unsigned	alive;		/* writer lives: left */
	unsigned	kept;		/* could not be salvaged: left, said why */
	uint64_t	bytes;		/* appended */
};

/* Salvage every spill in dir (dry: only say what would be done); -1 when
 * dir cannot be opened. */
int	salvage_dir(const char *dir, int dry, struct salvage_stats *ss);

#endif
