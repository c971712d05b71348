/*
 * impconn.h - the connection of `ioshim import` to ioshimd's query socket
 * (cmd_import.c): one connection for every request, replies read a line at
 * a time, the bytes of a following reply kept (batches are pipelined).
 */
#ifndef IOSHIM_IMPCONN_H
#define IOSHIM_IMPCONN_H

#include <stddef.h>

#include "jv.h"

/* Connect to the collector (--socket PATH or the default) unless
 * connected; 0 ok, -1 (said why on stderr). */
int	 ic_connect(const char *sockopt);
void	 ic_close(void);
int	 ic_connected(void);
/* Send a request line and its body; 0 ok, -1 the collector went away
 * (said once; the connection is closed). */
int	 ic_send(const char *line, const char *body, size_t blen);
/* The next reply, parsed; NULL if the collector went away. */
struct jv *ic_reply(void);
/* Both. */
struct jv *ic_exchange(const char *line, const char *body, size_t blen);

#endif
