/*
 * client.h - talk to ioshimd's query socket from the ioshim tool.
 *
 * The collector is found by --socket PATH, else $IOSHIM_SOCKET, else the
 * default: /run/ioshim/ioshimd.sock for root, otherwise
 * $XDG_RUNTIME_DIR/ioshim/ioshimd.sock.  Queries go to PATH.ctl.
 */
#ifndef IOSHIM_CLIENT_H
#define IOSHIM_CLIENT_H

#include <stddef.h>

/* The ingest socket path (opt may be NULL); 0 ok, -1 if none known. */
int	client_socket_path(const char *opt, char *buf, size_t sz);
/*
 * Send one request line, read the one-line reply (without its "\n") into
 * a malloc'd *reply.  On a missing or dead collector print ONE line saying
 * where it looked and how to start one, and return -1.
 */
int	client_request(const char *opt, const char *req, char **reply);
/* Write all of p to a connected socket; never SIGPIPE (MSG_NOSIGNAL). */
int	client_writeall(int fd, const char *p, size_t n);
/* Take "--socket PATH" / "--socket=PATH" out of argv; returns new argc. */
int	client_socket_opt(int argc, char **argv, const char **opt);

#endif
