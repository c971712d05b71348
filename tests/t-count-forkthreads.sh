#!/bin/sh
# t-count-forkthreads.sh - a C program with threads that forks while a
# thread writes (tests/progs/count_forkthreads.c).  Per process (threads
# folded into their process), bytes and calls per class equal strace's
# count of the same run; every file's size equals the report's bytes
# written to it, summed over the processes that wrote it; the children's
# exit codes come through.  Again with coalescing on (the log is O_APPEND):
# bytes still equal strace's and the files' sizes, and no line is torn.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
P=$(prog count_forkthreads)

sizes_match() {
	for f in "$T"/w/*; do
		eq "size of ${f##*/} = report's write_bytes" \
		    "$(q "sum(fr['write_bytes'] for x in r for fr in x['files'] if fr['path'] == '$f')")" \
		    "$(size "$f")"
	done
}

for mode in --no-coalesce ""; do
	note "mode: ${mode:-coalescing on}"
	rm -rf "$T/w"; mkdir "$T/w"
	traced $mode -- "$P" "$T/w" 4 3 >"$T/out"
	eq "program status (children's codes checked inside)" "$rc" 0
	eq "records (parent + 3 children)" "$(q "len(r)")" 4
	eq "children's exit codes" "$(q "sorted(x['exit_code'] for x in r if x['pid'] != r[-1]['pid'])")" "[10, 11, 12]"
	if [ -n "$mode" ]; then
		check_truth --calls --min-procs 4 --files "^$T/w/"
	else
		check_truth --min-procs 4
		eq "coalesced appends" "$(q "sum(x['coalesce']['writes_absorbed'] for x in r) > 0")" True
	fi
	sizes_match
	bad=$(grep -cvE '^(parent thread [0-9]+ line [0-9]+|background line [0-9]+|child (pipe|file) thread done)$' "$T/w/log")
	eq "torn or mixed log lines" "$bad" 0
	eq "pipe bytes the parent read" "$(cat "$T/out")" "pipe_read=150000"
	eq "report: children's pipe write_bytes" "$(q "sum(cls(x, 'pipe', 'write_bytes') for x in r)")" 150000
done
