/*
 * query.h - answer one request line from a query client.
 */
#ifndef IOSHIMD_QUERY_H
#define IOSHIMD_QUERY_H

#include <sys/types.h>
#include <stddef.h>

#include "json.h"

/* Build the one-line JSON reply (no trailing newline) into out. */
void	query_answer(const char *line, size_t len, uid_t client, struct jbuf *out);

#endif
