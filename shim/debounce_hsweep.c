/*
 * debounce_hsweep.c - the shim's build of common/dbhsweep.c: the next
 * process debouncing a target writes the states its killed predecessors
 * held in memory (debounce_hold.c), at the points debounce_sweep.c looks
 * for their hidden pending files.
 */
#include "debounce.h"
#define DBH_IN_SHIM	1
#include "dbhsweep.c"

/* Under the debounce lock (or at start-up): this user's spill directory. */
void
dbh_sweep(const char *target, const char *glob)
{
	const char *dir;
	int saved = errno;

	if ((dir = spill_dir_now()) != NULL)
		(void)dbh_sweep_dir(dir, target, glob);
	errno = saved;
}
