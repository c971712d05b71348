/*
 * dbhsweep_cli.c - common/dbhsweep.c as `ioshim salvage` uses it (libc's
 * calls), run with the spill directory owner's identity (cmd_salvage.c).
 */
#include "dbhsweep.c"
