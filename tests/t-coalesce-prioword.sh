#!/bin/sh
# t-coalesce-prioword.sh - the default priority words are severity tokens
# (issue 17): nginx's "[error]", python's "ERROR:root:" and "Traceback",
# "Fatal:" flush a line at once; a compiler's lower-case "error:" does
# not (no default word starts lower-case: the search would slow down); an access log's "GET /error",
# "no error", "ERRORS", "NO_ERROR" and "ValueError:" inside a message do
# not.  Each line is appended by tests/progs/prio_probe.c, which asks the
# kernel (raw statx) whether it reached the file.
. "$(dirname "$0")/lib.sh"
p=$(prog prio_probe)
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM "$p" "$T/log" \
	'127.0.0.1 - - "GET /error HTTP/1.1" 404 153' \
	'no error here' 'ERRORS: 0' 'status=NO_ERROR' 'raise ValueError: bad' \
	'a panicked horse' 'Critical mass reached' \
	'2026/12/05 10:00:00 [error] 12#12: *1 open() "/x" failed' \
	'[crit] disk' 'ERROR:root:boom' 'Traceback (most recent call last):' \
	'main.c:3:1: error: expected ;' 'Fatal: not a git repository' \
	'level=FATAL msg=x' 'kernel PANIC' 'Error: cannot open' \
	>"$T/out" || fail "prio_probe: rc $?"
cat "$T/out"
eq "held" "$(grep -c '^held' "$T/out")" 8
eq "flushed" "$(grep -c '^flushed' "$T/out")" 8
grep '^flushed' "$T/out" | grep -q 'GET /error' && fail "an access log line flushed"
echo "ok: severity tokens flush, words inside messages do not"
