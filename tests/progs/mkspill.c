/*
 * mkspill.c - makes a spill file (common/spill.h) as a killed writer, a
 * killed salvager or both would have left it, so that tests can check
 * what a salvage writes from any header state (tests/t-salvage-exact.sh).
 *
 *	mkspill SPILL TARGET DATAFILE KEY=VALUE...
 *
 * The writer is a process that has just ended (a child, reaped), in our
 * PID namespace; the target's device and inode are TARGET's; the held
 * bytes are DATAFILE's.  KEYs set the header's fields: phase (idle,
 * writing, moving), len (default: DATAFILE's size), flush_pre, flush_n,
 * done, moved, salvaged, salv_at, salv_pre, claim (a salvager's pid: the
 * word "dead" makes it one that has ended), pid and start (the writer's
 * pid and start time, for a writer that lives).
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "spill.h"

/* The pid of a process that has ended (and been reaped). */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

int
main(int argc, char **argv)
{
	struct spill_hdr *h;
	struct stat st, ns;
	char *data, *eq;
	size_t dlen, cap;
	uint64_t v;
	int fd, dfd, i;

	if (argc < 4)
		errx(2, "usage: mkspill SPILL TARGET DATAFILE KEY=VALUE...");
	if (stat(argv[2], &st) != 0 || stat("/proc/self/ns/pid", &ns) != 0)
		err(1, "stat");
	if ((dfd = open(argv[3], O_RDONLY)) < 0)
		err(1, "%s", argv[3]);
	dlen = (size_t)lseek(dfd, 0, SEEK_END);
	cap = dlen < 4096 ? 4096 : dlen;
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 ||
	    ftruncate(fd, (off_t)(SP_HDR + cap)) != 0)
		err(1, "%s", argv[1]);
	h = mmap(NULL, SP_HDR + cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		err(1, "mmap");
	data = (char *)h + SP_HDR;
	if (pread(dfd, data, dlen, 0) != (ssize_t)dlen)
		err(1, "read %s", argv[3]);
	memcpy(h->magic, SP_MAGIC, sizeof(h->magic));
	h->version = SP_VERSION;
	h->hdr_size = SP_HDR;
	h->cap = (uint32_t)cap;
	h->uid = (uint32_t)geteuid();
	h->pid = (int32_t)dead_pid();
	h->start_ticks = 1;
	h->pidns = (uint64_t)ns.st_ino;
	h->dev = (uint64_t)st.st_dev;
	h->ino = (uint64_t)st.st_ino;
	snprintf(h->path, sizeof(h->path), "%s", argv[2]);
	h->lp = SP_LP(SP_IDLE, dlen);
	for (i = 4; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			errx(2, "%s: not KEY=VALUE", argv[i]);
		*eq++ = '\0';
		v = strcmp(eq, "dead") == 0 ? (uint64_t)dead_pid() :
		    strcmp(eq, "idle") == 0 ? SP_IDLE :
		    strcmp(eq, "writing") == 0 ? SP_WRITING :
		    strcmp(eq, "moving") == 0 ? SP_MOVING : strtoull(eq, NULL, 0);
		if (strcmp(argv[i], "phase") == 0)
			h->lp = SP_LP(v, SP_LEN(h->lp));
		else if (strcmp(argv[i], "len") == 0)
			h->lp = SP_LP(SP_PHASE(h->lp), v);
		else if (strcmp(argv[i], "flush_pre") == 0)
			h->flush_pre = v;
		else if (strcmp(argv[i], "flush_n") == 0)
			h->flush_n = (uint32_t)v;
		else if (strcmp(argv[i], "done") == 0)
			h->done = (uint32_t)v;
		else if (strcmp(argv[i], "moved") == 0)
			h->moved = (uint32_t)v;
		else if (strcmp(argv[i], "salvaged") == 0)
			h->salvaged = v;
		else if (strcmp(argv[i], "salv_at") == 0)
			h->salv_at = v;
		else if (strcmp(argv[i], "salv_pre") == 0)
			h->salv_pre = v;
		else if (strcmp(argv[i], "pid") == 0)
			h->pid = (int32_t)v;
		else if (strcmp(argv[i], "start") == 0)
			h->start_ticks = v;
		else if (strcmp(argv[i], "claim") == 0) {
			h->claim_pid = v;
			h->claim_start = 1;
		} else
			errx(2, "%s: unknown key", argv[i]);
	}
	return 0;
}
