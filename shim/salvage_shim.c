/*
 * salvage_shim.c - common/salvage.c as the shim uses it: the real
 * functions behind its own wrappers, its own user's spills only.
 */
#include "shim.h"
#define SALVAGE_IN_SHIM	1
#include "salvage.c"
