#!/bin/sh
# t-count-syscalls.sh - write_syscalls, the write system calls to disk
# files that reached the kernel, is what strace sees, not the program's
# calls: sort writing 200000 lines through stdio (a few hundred flushes),
# and a shell appending 500 lines to a log the coalescer gathers.  In the
# exit report (per class and per file), in the collector's
# disk_write_syscalls, and as the WRITES column of `ioshim report` (with
# and without --file), the program's calls beside it as CALLS.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
command -v strace >/dev/null || skip "no strace"
start_d
seq 1 200000 | sort -R >"$T/in"
# traced: every write-family call naming the output file
st() {
	out=$1; shift
	strace -f -qq -o "$T/st.$out" -P "$T/$out" -e trace=write,writev,pwrite64,pwritev,pwritev2 \
	    env IOSHIM_SOCKET="$S" IOSHIM_REPORT="$T/r.$out.jsonl" LD_PRELOAD="$SHIM" "$@" ||
		fail "$*: rc $?"
	grep -c 'write' "$T/st.$out"
}
n=$(st out sort -o "$T/out" "$T/in")
note "strace: sort made $n write system calls to its output"
[ "$n" -gt 10 ] && [ "$n" -lt 10000 ] || fail "strace count $n"
eq "sort: program's write calls (classes.disk.writes)" "$(json "$T/r.out.jsonl" "r[-1]['classes']['disk']['writes']")" 200000
eq "sort: classes.disk.write_syscalls" "$(json "$T/r.out.jsonl" "r[-1]['classes']['disk']['write_syscalls']")" "$n"
eq "sort: files[out].write_syscalls" "$(json "$T/r.out.jsonl" "[f['write_syscalls'] for f in r[-1]['files'] if f['path'] == '$T/out']")" "[$n]"

m=$(st log sh -c 'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i + 1)); done >>"$1"' sh "$T/log")
note "strace: the shell made $m write system calls to its log"
eq "log: the program's calls" "$(json "$T/r.log.jsonl" "[x['classes']['disk']['writes'] for x in r]")" "[500]"
eq "log: classes.disk.write_syscalls" "$(json "$T/r.log.jsonl" "[x['classes']['disk']['write_syscalls'] for x in r]")" "[$m]"
eq "log: coalesce.syscalls" "$(json "$T/r.log.jsonl" "[x['coalesce']['syscalls'] for x in r]")" "[$m]"
[ "$m" -lt 50 ] || fail "the log's appends were not gathered: $m system calls"

# the tables: WRITES is the kernel's, CALLS the program's
"$IOSHIM" report --file "$T/r.out.jsonl" >"$T/file.txt" || fail "report --file"
cat "$T/file.txt"
eq "report --file: WRITES CALLS" "$(awk '$2 == "sort" { print $4, $5 }' "$T/file.txt")" "$n 200000"
eq "report --file --json: disk_write_syscalls" "$("$IOSHIM" report --file "$T/r.out.jsonl" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["totals"]["disk_write_syscalls"])')" "$n"
q flush >/dev/null || fail "flush failed"
"$IOSHIM" report --socket "$S" --since 1h --by exe >"$T/exe.txt" || fail "report"
cat "$T/exe.txt"
eq "report --by exe: sort's WRITES CALLS" "$(awk '/\/sort \(/ { print $2, $3 }' "$T/exe.txt")" "$n 200000"
grep -q "in $((n + m)) write system calls (the programs' write calls: 200500)" "$T/exe.txt" ||
	fail "report: totals line"
stop_d
ws() { sq "SELECT coalesce(sum(m.disk_write_syscalls), 0) || ' ' || coalesce(sum(m.disk_writes), 0) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/$1'"; }
eq "collector: sort's disk_write_syscalls, disk_writes" "$(ws sort)" "$n 200000"
eq "collector: the shell's disk_write_syscalls, disk_writes" "$(ws dash)" "$m 500"

# other stdio shapes: full buffering, line buffering, unbuffered, big
# lines; the shim's count is strace's
seq 1 5000 >"$T/small"
i=0
for cmd in "sed p $T/small" "stdbuf -oL sed p $T/small" "stdbuf -o0 sed p $T/small" \
    "od -A x -t x1z $T/small" "awk '{ printf \"%0900d\\n\", \$1 }' $T/small"; do
	i=$((i + 1))
	k=$(st s$i sh -c "$cmd >$T/s$i")
	eq "$cmd: write_syscalls" "$(json "$T/r.s$i.jsonl" "sum(f['write_syscalls'] for x in r for f in x['files'] if f['path'] == '$T/s$i')")" "$k"
done
exit 0
