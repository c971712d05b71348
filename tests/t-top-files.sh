#!/bin/sh
# t-top-files.sh - a file's write system calls that reached the kernel, not
# the program's calls, are its WRITES everywhere: a real program writes
# 100000 lines through stdio (a few hundred buffer flushes) and stays
# alive; the collector's live files reply, `ioshim top`'s files view (in
# tmux: Enter on the process), and after it ended the stored rows, the
# query reply and `ioshim report --by file` (table, JSON, CSV) carry the
# count strace saw, the program's calls beside it as CALLS (writes).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
command -v strace >/dev/null || skip "no strace"
. "$TOP/tests/tmux_lib.sh"
HOLD=$(prog stdio_hold)
SPID=
tmux_server f
trap 'tmux_kill_all; exec 3>&-;
	[ -n "$SPID" ] && kill $SPID 2>/dev/null;
	[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
start_d --window 600
N=100000

# the writer, traced, its stdin a FIFO this script holds open
mkfifo "$T/in"
strace -f -qq -o "$T/st" -P "$T/out" -e trace=write,writev,pwrite64,pwritev,pwritev2 \
    env IOSHIM_SOCKET="$S" IOSHIM_INTERVAL_MS=200 LD_PRELOAD="$SHIM" \
    "$HOLD" "$T/out" $N <"$T/in" >"$T/ready" &
SPID=$!
exec 3>"$T/in"
n=0
until grep -q ready "$T/ready" 2>/dev/null; do
	[ $n -lt 600 ] || fail "the writer never got ready"
	sleep 0.1; n=$((n + 1))
done
# its pid as the collector knows it, once its file row arrived
pid= n=0
while [ -z "$pid" ]; do
	[ $n -lt 600 ] || fail "the writer's file row never reached the collector"
	pid=$(q top by=process totals=1 | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin)["rows"] if x["comm"] == "stdio_hold"]
print(r[0]["pid"] if r else "")')
	if [ -n "$pid" ]; then
		q files "$pid" >"$T/live.json"
		[ "$(json "$T/live.json" "[f['writes'] for f in r[0]['files'] if f['path'] == '$T/out']")" = "[$N]" ] || pid=
	fi
	[ -n "$pid" ] || sleep 0.1
	n=$((n + 1))
done
note "writer pid $pid"

# top's files view of it
$TM new-session -d -s top -x 200 -y 20 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S -a -d 0.5; sleep 60"
wait_for "PID USER"
key -l /
key -l stdio_hold
key Enter
wait_for "filter: stdio_hold"
key Enter
wait_for "Files of $pid "
wait_for "$T/out"
screen >"$T/screen"
head -4 "$T/screen"
grep -F "$T/out" "$T/screen"
hdr=$(grep -F "PATH" "$T/screen" | awk '{ print $3, $4, $5 }')
eq "files view: columns" "$hdr" "WRITTEN WRITES CALLS"
view=$(grep -F "$T/out" "$T/screen" | awk '{ print $4, $5 }')
$TM kill-server 2>/dev/null

# the writer ends; strace's count is the truth
exec 3>&-
wait $SPID || fail "writer: rc $?"
SPID=
k=$(grep -c write "$T/st")
note "strace: $k write system calls to the file, $N program calls"
[ "$k" -gt 10 ] && [ "$k" -lt 2000 ] || fail "strace count $k"
eq "files view: WRITES CALLS" "$view" "$k $N"
eq "live files reply: write_syscalls, writes" \
    "$(json "$T/live.json" "[(f['write_syscalls'], f['writes']) for f in r[0]['files'] if f['path'] == '$T/out']")" "[($k, $N)]"

# stored: the database, the query replies, the report
q flush >/dev/null || fail "flush failed"
eq "file_min: write_syscalls, writes" \
    "$(sq "SELECT sum(f.write_syscalls) || ' ' || sum(f.writes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/out'")" "$k $N"
q top by=file from=-1h >"$T/top.json" || fail "top by=file"
eq "top by=file: write_syscalls, writes" \
    "$(json "$T/top.json" "[(f['write_syscalls'], f['writes']) for f in r[0]['rows'] if f['path'] == '$T/out']")" "[($k, $N)]"
stop_d
start_d --window 600
q files "$pid" >"$T/stored.json" || fail "files of an ended process"
eq "stored files reply: write_syscalls, writes" \
    "$(json "$T/stored.json" "[(f['write_syscalls'], f['writes']) for f in r[0]['files'] if f['path'] == '$T/out']")" "[($k, $N)]"
"$IOSHIM" report --socket "$S" --since 1h --by file >"$T/rep.txt" || fail "report --by file"
cat "$T/rep.txt"
eq "report --by file: columns" "$(awk '$1 == "WRITTEN" { print $2, $3 }' "$T/rep.txt")" "WRITES CALLS"
eq "report --by file: WRITES CALLS" "$(awk -v p="$T/out" '$NF == p { print $2, $3 }' "$T/rep.txt")" "$k $N"
"$IOSHIM" report --socket "$S" --since 1h --by file --json >"$T/rep.json" || fail "report --json"
eq "report --by file --json: write_syscalls" \
    "$(json "$T/rep.json" "[x['write_syscalls'] for x in r[0]['rows'] if x['path'] == '$T/out']")" "[$k]"
"$IOSHIM" report --socket "$S" --since 1h --by file --csv >"$T/rep.csv" || fail "report --csv"
eq "report --by file --csv: write_syscalls" "$(python3 -c '
import csv, sys
print([r["write_syscalls"] for r in csv.DictReader(open(sys.argv[1])) if r["path"] == sys.argv[2]])' "$T/rep.csv" "$T/out")" "['$k']"
stop_d
exit 0
