#!/bin/sh
# t-count-signal.sh - a program whose signal handler (an interval timer
# every 1 ms, and raise()) write()s to a log the main loop appends to as
# well, and to a file of its own (tests/progs/count_sig.c).  With
# coalescing off: bytes and calls per class equal strace's count of the
# same run.  With coalescing on (both files are O_APPEND, so the coalescer
# takes them, and the handler lands in the middle of its appends): bytes
# equal strace's count, every file's size equals the report's bytes and
# the program's own count, and no line is torn.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_sig)

for mode in --no-coalesce ""; do
	note "mode: ${mode:-coalescing on}"
	rm -rf "$T/s"; mkdir "$T/s"
	traced $mode -- "$P" "$T/s" 20000 >"$T/out"
	eq "status" "$rc" 0
	cat "$T/out"
	val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/out"; }
	[ "$(val handler_calls)" -gt 200 ] || fail "too few signals: $(val handler_calls)"
	if [ -n "$mode" ]; then
		check_truth --calls disk,pipe,other --files "^$T/s/" --exclude "^$T/s/data$"
	else
		check_truth --files "^$T/s/"
		eq "appends went through the coalescer" "$(q "rec('count_sig')['coalesce']['writes_absorbed'] > 20000")" True
	fi
	x="rec('count_sig')"
	eq "log size = report" "$(q "row($x, '$T/s/log')['write_bytes']")" "$(size "$T/s/log")"
	eq "handler file size = report" "$(q "row($x, '$T/s/handler')['write_bytes']")" "$(size "$T/s/handler")"
	eq "data (stdio) size = report" "$(q "row($x, '$T/s/data')['write_bytes']")" "$(size "$T/s/data")"
	eq "data size = program's count" "$(size "$T/s/data")" "$(val stdio_bytes)"
	eq "log + handler sizes = program's count" "$(( $(size "$T/s/log") + $(size "$T/s/handler") ))" \
	    "$(( $(val main_bytes) + $(val handler_bytes) ))"
	eq "handler lines" "$(grep -c '^tick from handler$' "$T/s/handler")" "$(val handler_calls)"
	eq "torn lines in the log" "$(grep -cvE '^(H|main line [0-9]{8} \.{20})$' "$T/s/log")" 0
	eq "torn lines in the handler file" "$(grep -cv '^tick from handler$' "$T/s/handler")" 0
	eq "log write calls = program's" "$(q "row($x, '$T/s/log')['writes']")" \
	    "$(( $(val main_bytes) / 40 + $(grep -c '^H$' "$T/s/log") ))"
done
