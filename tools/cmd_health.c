/*
 * cmd_health.c - "ioshim health [--json]": the collector's health.
 *
 * --json prints the reply as it came; otherwise the JSON object is shown
 * as an indented "key: value" list, byte counts also in KiB/MiB/GiB.
 */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ioshim.h"

static const char *p;		/* parse position */
static int bad;

static void
ws(void)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
}

/* Copy a JSON string at p (on the quote) into out, unescaping a little. */
static void
string(char *out, size_t sz)
{
	size_t n = 0;

	if (*p != '"') {
		bad = 1;
		return;
	}
	for (p++; *p != '\0' && *p != '"'; p++) {
		char c = *p;

		if (c == '\\' && p[1] != '\0') {
			p++;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			if (*p == 'u') {
				c = '?';
				for (int k = 0; k < 4 && isxdigit((unsigned char)p[1]);
				    k++)
					p++;
			}
		}
		if (n + 1 < sz)
			out[n++] = c;
	}
	if (*p == '"')
		p++;
	else
		bad = 1;
	out[n] = '\0';
}

static void
human(const char *key, const char *num)
{
	double v = strtod(num, NULL);
	const char *unit[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;
	size_t kl = strlen(key);

	if (!(kl > 6 && strcmp(key + kl - 6, "_bytes") == 0) &&
	    strstr(key, "_bytes_") == NULL)
		return;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u >= 0)
		printf(" (%.1f %s)", v, unit[u]);
}

static void value(const char *key, int depth);

static void
object(int depth)
{
	char key[256];

	p++;		/* { */
	ws();
	if (*p == '}') {
		p++;
		return;
	}
	while (!bad) {
		ws();
		string(key, sizeof(key));
		ws();
		if (*p != ':') {
			bad = 1;
			return;
		}
		p++;
		ws();
		printf("%*s%s:", depth * 2, "", key);
		value(key, depth);
		ws();
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}') {
			p++;
			return;
		}
		bad = 1;
	}
}

static void
value(const char *key, int depth)
{
	char s[4096];
	const char *st;
	int first = 1;

	ws();
	switch (*p) {
	case '{':
		putchar('\n');
		object(depth + 1);
		return;
	case '[':
		p++;
		printf(" ");
		while (!bad) {
			ws();
			if (*p == ']') {
				p++;
				break;
			}
			if (!first)
				printf(", ");
			first = 0;
			if (*p == '"') {
				string(s, sizeof(s));
				printf("%s", s);
			} else if (*p == '{' || *p == '[') {
				/* nested: show compactly */
				int d = 0;
				st = p;
				do {
					if (*p == '{' || *p == '[')
						d++;
					else if (*p == '}' || *p == ']')
						d--;
					p++;
				} while (d > 0 && *p != '\0');
				printf("%.*s", (int)(p - st), st);
			} else {
				st = p;
				while (*p && *p != ',' && *p != ']')
					p++;
				printf("%.*s", (int)(p - st), st);
			}
			ws();
			if (*p == ',')
				p++;
		}
		putchar('\n');
		return;
	case '"':
		string(s, sizeof(s));
		printf(" %s\n", s[0] ? s : "-");
		return;
	default:
		st = p;
		while (*p && *p != ',' && *p != '}' && *p != ']' &&
		    !isspace((unsigned char)*p))
			p++;
		printf(" %.*s", (int)(p - st), st);
		if (p > st && (isdigit((unsigned char)*st)))
			human(key, st);
		putchar('\n');
	}
}

int
cmd_health(int argc, char **argv)
{
	const char *opt = NULL;
	char *reply;
	int i, json = 0;

	argc = client_socket_opt(argc, argv, &opt);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf("usage: ioshim health [--json] [--socket PATH]\n");
			return 0;
		} else if (strcmp(argv[i], "--version") == 0)
			return print_version();
		else {
			warnx("health: %s '%s'", argv[i][0] == '-' ?
			    "unknown option" : "unexpected argument", argv[i]);
			fprintf(stderr, "usage: ioshim health [--json] "
			    "[--socket PATH]\n");
			return 2;
		}
	}
	if (client_request(opt, "health", &reply) != 0)
		return 1;
	if (json || strncmp(reply, "{\"error\":", 9) == 0) {
		puts(reply);
		i = strncmp(reply, "{\"error\":", 9) == 0;
		free(reply);
		return i;
	}
	p = reply;
	bad = 0;
	ws();
	if (*p == '{')
		object(0);
	else
		bad = 1;
	if (bad) {
		fprintf(stderr, "ioshim health: cannot read the reply; raw:\n");
		puts(reply);
	}
	free(reply);
	return bad;
}
