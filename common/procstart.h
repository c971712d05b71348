/*
 * procstart.h - this process's start time in clock ticks since boot
 * (/proc/self/stat field 22), for the test and bench senders that build
 * ioshimd's datagrams by hand (tests/progs/wire_send.c, bench/pathflood.c):
 * the collector believes a pid only with its own start time.  Exits 3
 * when it cannot be read.
 */
#ifndef IOSHIM_PROCSTART_H
#define IOSHIM_PROCSTART_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t
start_ticks(void)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	int field = 2;

	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL)
		exit(3);
	fclose(f);
	p = strrchr(buf, ')') + 1;
	for (; field < 22 && *p; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

#endif
