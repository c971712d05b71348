/*
 * counters.c - names of the counters (see counters.h).
 */
#include <string.h>

#include "counters.h"

const char *const class_names[IW_NCLASS] = {
	"disk", "memfs", "socket", "pipe", "tty", "other",
};

#define CLS(c) #c "_read_bytes", #c "_write_bytes", #c "_reads", #c "_writes"
const char *const pc_names[NPC] = {
	CLS(disk), CLS(memfs), CLS(socket), CLS(pipe), CLS(tty), CLS(other),
	"opens", "fsyncs", "absorbed", "flush_syscalls", "flush_bytes",
	"flush_errors", "kernel_read_bytes", "kernel_write_bytes",
	"disk_write_syscalls", "saves_absorbed", "saves_written", "bytes_saved",
};
#undef CLS

const char *const fc_names[NFC] = {
	"opens", "read_bytes", "write_bytes", "reads", "writes", "fsyncs",
	"write_ns", "fsync_ns", "absorbed", "flushes", "write_syscalls",
	"saves_absorbed", "saves_written", "bytes_saved",
};

int
pc_index(const char *s)
{
	char buf[64];
	int i;

	for (i = 0; i < NPC; i++)
		if (strcmp(s, pc_names[i]) == 0)
			return i;
	/* Aliases: "disk_write" for "disk_write_bytes" and so on. */
	if (strlen(s) < sizeof(buf) - 8) {
		strcpy(buf, s);
		strcat(buf, "_bytes");
		for (i = 0; i < NPC; i++)
			if (strcmp(buf, pc_names[i]) == 0)
				return i;
	}
	return -1;
}

int
fc_index(const char *s)
{
	int i;
	const char *p;

	for (i = 0; i < NFC; i++)
		if (strcmp(s, fc_names[i]) == 0)
			return i;
	/* Process-level names map onto the file row's own columns. */
	if ((p = strchr(s, '_')) != NULL && strncmp(s, "disk_", 5) == 0) {
		if (strcmp(p + 1, "write") == 0 || strcmp(p + 1, "write_bytes") == 0)
			return F_WRITE_BYTES;
		if (strcmp(p + 1, "read") == 0 || strcmp(p + 1, "read_bytes") == 0)
			return F_READ_BYTES;
	}
	if (strcmp(s, "write") == 0)
		return F_WRITE_BYTES;
	if (strcmp(s, "read") == 0)
		return F_READ_BYTES;
	return -1;
}
