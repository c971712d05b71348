/*
 * salvager.h - ioshimd's salvage of killed processes' held log bytes
 * (salvager.c).
 */
#ifndef IOSHIMD_SALVAGER_H
#define IOSHIMD_SALVAGER_H

#include <sys/types.h>

struct jbuf;

void	salvager_init(int every);
void	salvager_kick(void);
void	salvager_uid_seen(uid_t uid, gid_t gid);
void	salvager_stop(void);
void	salvager_tick(void);
void	salvager_timeout(int *ms);
void	salvager_health(struct jbuf *j);

#endif
