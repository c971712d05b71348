/*
 * sqlsat.h - the saturating SQL functions ssum() and sadd() (sqlsat.c).
 */
#ifndef IOSHIMD_SQLSAT_H
#define IOSHIMD_SQLSAT_H

#include <sqlite3.h>

/* Register them on db; 0 ok. */
int	sqlsat_register(sqlite3 *db);

#endif
