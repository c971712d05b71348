/*
 * salvage_coll.c - common/salvage.c as ioshimd uses it (libc's calls;
 * as root it writes other users' spills with their identity): see
 * collector/salvager.c.
 */
#include "salvage.c"
