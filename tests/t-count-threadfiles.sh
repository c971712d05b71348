#!/bin/sh
# t-count-threadfiles.sh - threads started every way a program can
# (pthread_create, thrd_create, SIGEV_THREAD timer callbacks) open, fstat,
# read and close the same 40 files while the main thread does too
# (tests/progs/count_threadfiles.c).  The shim's tables change without a
# lock prefix only while a process has one thread, so a thread it missed
# would lose or double counts: the report's bytes and calls per class and
# per file equal strace's count of the same run, and the opens of the
# input files equal the program's own count (and the 40 creations).  Three runs.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_threadfiles)

for run in 1 2 3; do
	note "run $run"
	rm -rf "$T/w"; mkdir "$T/w"
	traced --no-coalesce -- "$P" "$T/w" 40 6 >"$T/out"
	eq "program status" "$rc" 0
	check_truth --calls --files "^$T/w/"
	# the program's count of its reading opens, and the 40 that made them
	want=$(( $(sed -n 's/^opens=//p' "$T/out") + 40 ))
	eq_q "opens of the input files (the program's count + 40 creations)" \
	    "sum(f['opens'] for x in r for f in x['files'] if f['path'].startswith('$T/w/in'))" "$want"
	eq_q "input bytes read (40 files x passes)" \
	    "sum(f['read_bytes'] for x in r for f in x['files'] if f['path'].startswith('$T/w/in')) % $(cat "$T"/w/in* | wc -c)" 0
done
