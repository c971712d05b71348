/*
 * salvage_cli.c - common/salvage.c as ioshim uses it (libc's calls; it
 * may salvage other users' spills as root).
 */
#include "salvage.c"
