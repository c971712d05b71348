/*
 * dbhsweep_coll.c - common/dbhsweep.c as ioshimd uses it (libc's calls),
 * run by collector/salvager.c with the spill directory owner's identity.
 */
#include "dbhsweep.c"
