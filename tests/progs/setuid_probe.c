/*
 * setuid_probe.c - run set-user-ID root by an unprivileged user, with the
 * shim loaded machine-wide (tests/t-secure.sh): says whether the shim is
 * mapped, appends three lines to LOG and says how many bytes an outside
 * reader (a raw statx) sees right after, that is whether they were held.
 *
 *	setuid_probe LOG
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int
main(int argc, char **argv)
{
	char line[512];
	struct statx st;
	FILE *maps;
	int fd, mapped = 0, i;

	if (argc != 2)
		return 2;
	if ((maps = fopen("/proc/self/maps", "r")) != NULL) {
		while (fgets(line, sizeof(line), maps) != NULL)
			mapped |= strstr(line, "libioshim") != NULL;
		fclose(maps);
	}
	printf("uid=%d euid=%d shim=%s\n", (int)getuid(), (int)geteuid(),
	    mapped ? "loaded" : "absent");
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 3;
	for (i = 0; i < 3; i++)
		if (write(fd, "a line of the audit trail\n", 26) != 26)
			return 4;
	syscall(SYS_statx, AT_FDCWD, argv[1], 0, STATX_SIZE, &st);
	printf("visible=%llu\n", (unsigned long long)st.stx_size);
	return close(fd) == 0 ? 0 : 5;
}
