/*
 * cmd_query.c - "ioshim query REQUEST...": send a raw request to ioshimd
 * and print its JSON reply.  Exit 1 if the reply is an error.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ioshim.h"

int
cmd_query(int argc, char **argv)
{
	const char *opt = NULL;
	char req[4096], *reply;
	size_t len = 0;
	int i, rc;

	argc = client_socket_opt(argc, argv, &opt);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		return print_version();
	for (i = 1; i < argc; i++) {
		/* no request or KEY=VALUE starts with '-' */
		if (argv[i][0] != '-' || strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			continue;
		warnx("query: unknown option '%s'", argv[i]);
		argc = 1;	/* the usage, on stderr */
		break;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "usage: ioshim query "
		    "[--socket PATH] REQUEST [KEY=VALUE...]\n"
		    "  e.g. ioshim query top by=exe sort=disk_write limit=5\n"
		    "  'ioshim query help' lists the requests; see "
		    "docs/protocol.md\n");
		return argc < 2 ? 2 : 0;
	}
	req[0] = '\0';
	for (i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(req) || strchr(argv[i], '\n')) {
			fprintf(stderr, "ioshim query: request too long\n");
			return 2;
		}
		if (i > 1)
			req[len++] = ' ';
		memcpy(req + len, argv[i], n + 1);
		len += n;
	}
	if (client_request(opt, req, &reply) != 0)
		return 1;
	puts(reply);
	rc = strncmp(reply, "{\"error\":", 9) == 0 ? 1 : 0;
	free(reply);
	return rc;
}
