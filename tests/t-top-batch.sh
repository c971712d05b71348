#!/bin/sh
# t-top-batch.sh - "ioshim top -b" and "--json" against the collector's own
# numbers: a shimmed python writes exactly N bytes to a file while top runs
# with -a; the accumulated bytes top prints (-k and --json) equal N and
# equal what "ioshim query process PID" says.  Also: flags and bad input.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/top_lib.sh"
top_collector 2

N=512000
# Append one byte to side.log (an appended file starts the shim's sender
# thread; top starts once the collector has it), wait for OUT.go (the test
# makes it once every top printed its first sample: -a counts from there),
# write N bytes in 1000-byte appends, stay alive until the test is done
# with it (OUT.stop).  Each wait at most 120 s: a slow machine must not
# see the writes start before top, nor the workload gone before the last top.
cat >"$T/w.py" <<'PY'
import os, sys, time
def wait_for(path):
    for _ in range(1200):
        if os.path.exists(path):
            break
        time.sleep(0.1)
side = open(sys.argv[1] + ".side", "a")
side.write("x")
side.flush()
wait_for(sys.argv[1] + ".go")
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2]) // 1000):
        f.write("x" * 999 + "\n")
        if i % 100 == 0:
            time.sleep(0.02)
wait_for(sys.argv[1] + ".stop")
PY
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 "$IOSHIM" run -- $PY "$T/w.py" \
    "$T/out" $N &
WPID=$!
# up to 60 s: python's start and first report may take seconds under load
wpid= n=0
while [ -z "$wpid" ] && [ $n -lt 600 ]; do
	sleep 0.1; n=$((n + 1))
	wpid=$("$IOSHIM" query --socket "$S" top totals=1 | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin)["rows"] if x["comm"].startswith("python")
     and x["disk_write_bytes"] == 1]
print(r[0]["pid"] if r else "")')
done
[ -n "$wpid" ] || fail "the workload does not report to the collector"
note "workload pid $wpid"

top -b -a -k -n 5 -d 1 -p "$wpid" >"$T/batch" 2>&1 &
B=$!
top --json -a -n 5 -d 1 >"$T/json" 2>&1 &
J=$!
top -b -t -q -n 5 -d 1 -o >"$T/quiet" 2>&1 &
Q=$!
# the writes start once each top has its first sample (up to 30 s; one
# that failed is caught by its wait below)
n=0
while [ $n -lt 600 ]; do
	grep -q 'PID USER' "$T/batch" && [ -s "$T/json" ] &&
	    grep -q 'PID USER' "$T/quiet" && break
	sleep 0.05; n=$((n + 1))
done
: >"$T/out.go"
wait $B || { cat "$T/batch"; fail "top -b failed"; }
wait $J || { cat "$T/json"; fail "top --json failed"; }
wait $Q || { cat "$T/quiet"; fail "top -b -t -q failed"; }
"$IOSHIM" query --socket "$S" process "$wpid" >"$T/proc.json" ||
    fail "query process failed"
cat "$T/batch"

coll=$(json "$T/proc.json" 'r[0]["totals"]["disk_write_bytes"] - 1')
eq "collector's disk_write_bytes, less the side byte" "$coll" $N
# JSON: 4 objects, the last one has the workload with N accumulated bytes.
eq "json lines" "$(wc -l <"$T/json" | tr -d ' ')" 5
got=$(json "$T/json" "[x for x in r[-1]['rows'] if x['pid'] == $wpid][0]['disk_write_bytes']")
eq "top --json -a disk_write_bytes" "$got" "$coll"
got=$(json "$T/json" "[x for x in r[-1]['rows'] if x['pid'] == $wpid][0]['write_calls']")
eq "top --json -a write_calls" "$got" \
    "$(json "$T/proc.json" 'r[0]["totals"]["disk_writes"] + r[0]["totals"]["memfs_writes"] - 1')"
eq "json accumulated" "$(json "$T/json" 'r[-1]["accumulated"]')" True
rate=$(json "$T/json" "max(x['disk_write_bytes_per_s'] for o in r for x in o['rows'] if x['pid'] == $wpid)")
note "highest disk write rate seen: $rate B/s"
$PY -c "import sys; sys.exit(0 if $rate > 0 else 1)" || fail "no write rate in --json"

# Batch, -a -k: the last row for the pid shows N/1024 KiB written.
last=$(grep -E "^ *$wpid " "$T/batch" | tail -n 1)
note "last batch row: $last"
eq "top -b -a -k DISK WRITE" "$(echo "$last" | awk '{print $4}')" "$((N / 1024))K"
eq "batch header lines" "$(grep -c '^Total DISK READ' "$T/batch")" 5
eq "batch column headers" "$(grep -c 'PID USER' "$T/batch")" 5
# -q: column names once; -t: every line starts with a time.
eq "-q column headers" "$(grep -c 'PID USER' "$T/quiet")" 1
eq "-t stamps every line" "$(grep -cvE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$T/quiet")" 0

# -m / --by exe: one row for the python executable.  -P is iotop-c's
# "processes, not threads": rows stay processes (ioshim has no threads).
top -b -m -a -n 1 -d 0.5 >"$T/exe" || fail "top -m failed"
grep -q "PROCS" "$T/exe" || fail "-m has no PROCS column"
grep -q "/usr/bin/python3" "$T/exe" || fail "-m has no python row"
top -b -P -n 1 -d 0.3 >"$T/procs" || fail "top -P failed"
grep -q "^ *PID USER" "$T/procs" || fail "-P does not list processes"
grep -qE "^ *$wpid " "$T/procs" || fail "-P lost the process row"
echo "ok: -P lists processes, -m executables"
# -c: the executable's path after the command (iotop-c: full command line)
top -b -n 1 -d 0.3 -p "$wpid" | grep -E "^ *$wpid " | grep -q "/usr/bin/python3" &&
    fail "without -c the row shows the path"
top -b -c -n 1 -d 0.3 -p "$wpid" | grep -E "^ *$wpid " | grep -q "(/usr/bin/python3" ||
    fail "-c does not show the executable's path"
echo "ok: -c shows the executable's path"
# -1 -3 hide PID and USER; -2 names a column ioshim does not have.
top -b -1 -3 -n 1 -d 0.3 >"$T/hide" 2>"$T/hide.err" || fail "top -1 -3 failed"
grep -q "DISK READ" "$T/hide" || fail "-1 -3 lost the other columns"
grep -qE "PID|USER" "$T/hide" && fail "-1 -3 still show PID or USER"
top -b -2 -n 1 -d 0.3 >/dev/null 2>"$T/e2col" || fail "top -2 failed"
grep -q "PRIO" "$T/e2col" || fail "-2 says nothing"
echo "ok: -1 -3 hide columns, -2 says ioshim has no PRIO"
# --filter: a regular expression on PID and command.
top -b -n 1 -d 0.3 --filter '^pyth.n3$' | grep -qE "^ *$wpid " ||
    fail "--filter regex lost the row"
top -b -n 1 -d 0.3 --filter '^zzz' | grep -qE "^ *$wpid " &&
    fail "--filter ^zzz shows the row"
echo "ok: --filter is a regular expression"
top --json --by exe --sort pid --reverse -n 1 -d 0.3 >"$T/exe.json" ||
    fail "top --json --by exe failed"
eq "--by exe json" "$(json "$T/exe.json" 'r[0]["by"]')" exe
eq "--sort pid --reverse" "$(json "$T/exe.json" 'r[0]["sort"] + str(r[0]["reverse"])')" pidTrue
# -u USER filters: root's rows, and nobody's (none).
top -b -n 1 -d 0.3 -u "$(id -un)" | grep -qE "^ *$wpid " || fail "-u $(id -un) lost the row"
top -b -n 1 -d 0.3 -u nobody | grep -qE "^ *$wpid " && fail "-u nobody shows the row"
top -b -n 1 -d 0.3 -u "+$(id -u)" | grep -qE "^ *$wpid " || fail "-u +UID lost the row"
echo "ok: -u filters by user (+N: a numeric uid)"
: >"$T/out.stop"	# the workload may end now

# Bad input: clear message, conventional status.
top -b -n 1 -p 999999 2>"$T/e1"; eq "unknown pid status" $? 1
grep -q "process 999999 is not reporting" "$T/e1" || fail "no message for unknown pid"
top -b -n x 2>/dev/null; eq "-n x status" $? 2
top -b -d 0 2>/dev/null; eq "-d 0 status" $? 2
top --sort bogus 2>"$T/e2"; eq "--sort bogus status" $? 2
grep -q "unknown sort key" "$T/e2" || fail "no message for a bad sort key"
top --bogus 2>/dev/null; eq "unknown option status" $? 2
top --help >"$T/help"; eq "--help status" $? 0
for f in -o -b -n -d -p -u -a -A -k -t -q -P -c -e -x -g -H -m --filter \
    --sort --reverse --json; do
	grep -q -- "$f" "$T/help" || fail "--help does not mention $f"
done
"$IOSHIM" top --socket "$T/nope.sock" -b -n 1 2>"$T/e3"; eq "no collector status" $? 1
eq "no collector: one line" "$(wc -l <"$T/e3" | tr -d ' ')" 1
grep -q "nope.sock.ctl" "$T/e3" || fail "the message does not say where it looked"
