#!/bin/sh
# t-top-live.sh - "ioshim top" in a real terminal: tmux runs it against a
# real ioshimd while a real shimmed python writes a file; send-keys drives
# sorting, the per-file view (v, Enter), a 20-column resize and quit; capture-pane
# checks the screen; a second run is ended with SIGINT and the terminal
# must be left sane (icanon, echo).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/tmux_lib.sh"
. "$TOP/tests/top_lib.sh"
tmux_server t
top_collector 2

# The workload writes until the test is done with it (work.log.stop; at most
# SECS): a slow machine must not see it gone before the last check.
cat >"$T/w.py" <<'PY'
import os, sys, time
f = open(sys.argv[1], "a")
end = time.time() + float(sys.argv[2])
i = 0
while time.time() < end and not os.path.exists(sys.argv[1] + ".stop"):
    f.write("line %d of the workload, padded to be a little longer\n" % i)
    i += 1
    if i % 50 == 0:
        time.sleep(0.01)
f.close()
PY
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 "$IOSHIM" run -- $PY "$T/w.py" \
    "$T/work.log" 180 &
WPID=$!
# The python's pid as the collector knows it (up to 60 s: a loaded
# machine may take seconds to start python and send the first report).
wpid= n=0
while [ -z "$wpid" ] && [ $n -lt 600 ]; do
	wpid=$("$IOSHIM" query --socket "$S" top totals=1 | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin)["rows"] if x["comm"].startswith("python")]
print(r[0]["pid"] if r else "")')
	[ -n "$wpid" ] || sleep 0.1
	n=$((n + 1))
done
[ -n "$wpid" ] || fail "the workload does not report to the collector"
note "workload pid $wpid"

$TM new-session -d -s top -x 160 -y 30 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S -d 0.5; rc=\$?; \
    stty -a | tr ';' '\n' | grep -ow -e -icanon -e icanon -e -echo -e echo; \
    echo EXITED rc=\$rc; sleep 60"
wait_for "DISK WRITE"
wait_for "python3"
# a rate needs two samples: wait until the row shows one (or 30 s pass)
n=0
while [ $n -lt 300 ]; do
	screen >"$T/s1"
	case $(grep -E "^ *$wpid " "$T/s1" | awk '{print $4}') in
	""|0B/s) sleep 0.1; n=$((n + 1));;
	*) break;;
	esac
done
cat "$T/s1" | head -6
row=$(grep -E "^ *$wpid " "$T/s1") || fail "no row for pid $wpid"
note "row: $row"
# DISK WRITE (4th field: PID USER READ WRITE) must be a non-zero rate.
wr=$(echo "$row" | awk '{print $4}')
case $wr in
0B/s|"") fail "DISK WRITE of the workload is '$wr'";;
*/s) echo "ok: disk write rate $wr";;
*) fail "DISK WRITE column reads '$wr'";;
esac
grep -q "Total DISK READ: .* DISK WRITE: [1-9]" "$T/s1" ||
    fail "header has no machine disk write total"
grep -q "collector ok" "$T/s1" || fail "header has no collector status"
grep -q "^sort write" "$T/s1" || fail "default sort is not write"

# Sorting: right moves the sort to SOCK SEND, left twice to DISK READ.
$TM send-keys -t top Right
wait_for "sort send"
$TM send-keys -t top Left Left
wait_for "sort read"
echo "ok: left/right change the sort column"
$TM send-keys -t top r
wait_for "sort read reversed"
echo "ok: r reverses"
$TM send-keys -t top m
wait_for "EXECUTABLE"
wait_for "/usr/bin/python3"
$TM send-keys -t top m
wait_for "COMMAND"
echo "ok: m switches process/exe"

# The per-file view of the selected (only) process.
$TM send-keys -t top Right Right   # back to sort write, reversed
$TM send-keys -t top -l /
$TM send-keys -t top -l python
$TM send-keys -t top Enter
wait_for "filter: python"
$TM send-keys -t top v
wait_for "Files of $wpid"
wait_for "$T/work.log"
screen | grep -F "$T/work.log" | grep -q " disk " ||
    fail "per-file row of work.log has no class disk"
echo "ok: v opens the per-file view with the workload's file"
$TM send-keys -t top Escape
wait_for "PID USER"
$TM send-keys -t top Enter
wait_for "Files of $wpid"
$TM send-keys -t top q
wait_for "PID USER"
echo "ok: Enter opens it too; Esc and q go back"

# A terminal 20 columns wide gets a message, not a crash.
$TM resize-window -t top -x 20 -y 12
wait_for "too small"
$TM resize-window -t top -x 160 -y 30
wait_for "PID USER"
echo "ok: 20 columns get a message, widening brings the view back"

$TM send-keys -t top q
wait_for "EXITED rc=0"
screen | grep -qx "icanon" || { screen; fail "terminal left without icanon"; }
screen | grep -qx "echo" || fail "terminal left without echo"
echo "ok: q quits with 0 and the terminal is sane"
$TM kill-server

# SIGINT: the terminal is given back (a server of its own: the first one
# may still be shutting down).  In both sessions stty's answer is printed
# before EXITED, so the screen that shows EXITED shows it too.
tmux_server t-int
$TM new-session -d -s top -x 120 -y 25 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S; rc=\$?; \
    stty -a | tr ';' '\n' | grep -ow -e -icanon -e icanon -e -echo -e echo; \
    echo EXITED rc=\$rc; sleep 60"
wait_for "DISK WRITE"
$TM send-keys -t top C-c
wait_for "EXITED"
screen | grep -qx "icanon" || { screen; fail "SIGINT left the terminal without icanon"; }
screen | grep -qx "echo" || fail "SIGINT left the terminal without echo"
echo "ok: SIGINT restores the terminal"
$TM kill-server

# TERM=dumb falls back to batch output.
TERM=dumb "$IOSHIM" top --socket "$S" -n 1 -d 0.3 >"$T/dumb" </dev/null ||
    fail "TERM=dumb top failed"
grep -q "^ *PID USER" "$T/dumb" || fail "TERM=dumb gave no batch output"
echo "ok: TERM=dumb prints batch output"
: >"$T/work.log.stop"	# the workload may end now
