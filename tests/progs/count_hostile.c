/*
 * count_hostile.c - writes a file whose name holds a newline, quotes, a
 * backslash, a tab, a control byte, invalid UTF-8 and valid UTF-8, for
 * t-count-hostile.sh.
 *
 * usage: count_hostile DIR
 * Prints the name's bytes in hex.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static const char name[] =
	    "bad\nname \"quoted\" back\\slash\ttab\x01" "ctl \xff\xfe" "inv \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xc3";
	char path[4096];
	size_t i;
	int fd;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/%s", argv[1], name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return 3;
	if (write(fd, "hostile\n", 8) != 8 || close(fd) != 0)
		return 4;
	for (i = 0; path[i]; i++)
		printf("%02x", (unsigned char)path[i]);
	printf("\n");
	return 0;
}
