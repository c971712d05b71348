/*
 * co_line.h - the log line the coalescing tests write and co_lib.sh's
 * lines_check reads: "TAG SEQ xxx...\n", SEQ at least six digits, 20 to
 * 56 x's chosen by SEQ.  No stdio: signal handlers format lines too.
 * Returns the length (at most 16 + strlen(tag) + 57 bytes).
 */
#include <string.h>

static inline int
co_line(char *b, const char *tag, int seq)
{
	char d[12];
	int n = 0, nd = 0, x = 20 + seq % 37;

	while (*tag)
		b[n++] = *tag++;
	b[n++] = ' ';
	do
		d[nd++] = (char)('0' + seq % 10);
	while ((seq /= 10) > 0);
	while (nd < 6)
		d[nd++] = '0';
	while (nd > 0)
		b[n++] = d[--nd];
	b[n++] = ' ';
	memset(b + n, 'x', (size_t)x);
	n += x;
	b[n++] = '\n';
	return n;
}
