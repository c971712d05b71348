#!/bin/sh
# t-top-keys.sh - iotop-c's habits in "ioshim top", in a real terminal
# (tmux) against a real ioshimd and two shimmed pythons (one writes, one
# idles): ? and h open the help screen, space reverses the sort, Home/End
# move the selection (Enter then shows that process's files), f edits the
# UID/PID filter, c shows the path, 1/0 hide and show the PID column, m
# groups by executable, s freezes; iotop-c keys for what ioshim has not (i,
# p) and unknown keys say so on the last line; -t and -q imply batch mode
# even on a terminal.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/tmux_lib.sh"
. "$TOP/tests/top_lib.sh"
tmux_server k
top_collector 600

# w.py FILE BYTES-PER-STEP: append (a writer: 1000 bytes every 10 ms; an
# idler: 1 byte once) until FILE.stop, at most 180 s.
cat >"$T/w.py" <<'PY'
import os, sys, time
f = open(sys.argv[1], "a")
n = int(sys.argv[2])
f.write("x")
f.flush()
end = time.time() + 180
while time.time() < end and not os.path.exists(sys.argv[1] + ".stop"):
    if n > 1:
        f.write("w" * (n - 1) + "\n")
        f.flush()
    time.sleep(0.01)
PY
export IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200
"$IOSHIM" run -- $PY "$T/w.py" "$T/busy" 1000 &
W1=$!
"$IOSHIM" run -- $PY "$T/w.py" "$T/idle" 1 &
W2=$!
unset IOSHIM_SOCKET IOSHIM_INTERVAL_MS
pids() {
	"$IOSHIM" query --socket "$S" top totals=1 | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin)["rows"] if x["comm"].startswith("python")]
busy = [x["pid"] for x in r if x["disk_write_bytes"] > 1]
idle = [x["pid"] for x in r if x["disk_write_bytes"] == 1]
print(busy[0] if busy else "", idle[0] if idle else "")'
}
busy= idle= n=0
while { [ -z "$busy" ] || [ -z "$idle" ]; } && [ $n -lt 600 ]; do
	sleep 0.1; n=$((n + 1))
	set -- $(pids)
	busy=${1:-} idle=${2:-}
done
[ -n "$busy" ] && [ -n "$idle" ] || fail "the workloads do not report"
note "busy pid $busy, idle pid $idle"


# -a: totals since top started. Until the busy writer's first report after
# top started, both rows hold 0 and sort by pid; from then on the busy one
# sorts first for good (by rate, an interval in which a loaded machine
# delayed its report would tie them again).
$TM new-session -d -s top -x 150 -y 14 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S -a -d 0.5; echo EXITED rc=\$?; sleep 60"
wait_re "PID USER"
wait_re "^ *$idle "

# ? and h: the help screen; ? / Esc close it.
# The first row under the column names must become PID $1.
wait_first() {
	n=0
	while [ $n -lt 300 ]; do
		screen | sed -n '/PID USER/{n;p;q;}' | grep -qE "^ *$1 " &&
		    return 0
		sleep 0.1; n=$((n + 1))
	done
	screen; fail "PID $1 never became the first row"
}
wait_first "$busy"

key '?'
wait_re "ioshim top: keys"
key '?'
wait_re "PID USER"
key h
wait_re "ioshim top: keys"
key Escape
wait_re "PID USER"
echo "ok: ? and h open the help screen, ? and Esc close it"

# space reverses the sort, as r does.
key Space
wait_re "^sort write reversed"
wait_first "$idle"
key Space
wait_re "^sort write \|"
wait_first "$busy"
echo "ok: space reverses the sort"

# Home/End move the selection: Enter opens the selected one's files.
key End
key Enter
wait_re "Files of $idle "
key Escape
wait_re "PID USER"
key Home
key Enter
wait_re "Files of $busy "
key q
wait_re "PID USER"
key End v
wait_re "Files of $idle "
key v
wait_re "PID USER"
echo "ok: Home/End select the first/last row; Enter and v open its files"

# f: iotop-c's UID/PID filter.
key f
wait_re "filter UID: "
key Tab
$TM send-keys -t top -l "$busy"
key Enter
wait_re "uid/pid filter"
screen | grep -qE "^ *$idle " && fail "the PID filter still shows $idle"
key f Tab n Enter
wait_re "^ *$idle "
echo "ok: f sets and clears a PID filter"

# c shows the executable's path; 1 hides PID, 0 shows every column.
key c
wait_re "python3 \(/usr/bin/python3"
key c
key 1
wait_re "^ *USER +DISK READ"
key 0
wait_re "^ *PID USER"
echo "ok: c toggles the path, 1 hides PID, 0 shows all"

# m: one row per executable, and back.
key m
wait_re "EXECUTABLE"
key m
wait_re "COMMAND"
echo "ok: m switches process/executable rows"

# Keys for what ioshim has not, and unknown ones, say so.
key i
wait_re "ionice"
key p
wait_re "processes only"
key 2
wait_re "no PRIO column"
key z
wait_re "z: not a key of ioshim top"
echo "ok: i, p, 2 and an unknown key say why nothing happens"

key s
wait_re "FROZEN"
key s
key q
wait_re "EXITED rc=0"
echo "ok: s freezes, q quits"
$TM kill-server

# -t and -q imply batch mode on a terminal too (iotop-c: "implies --batch").
# Each session has a server of its own: the last one may still be ending.
tmux_server k-t
$TM new-session -d -s top -x 150 -y 30 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S -t -n 2 -d 0.3; echo EXITED rc=\$?; sleep 60"
wait_re "EXITED rc=0"
screen | grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2} +PID USER" ||
    { screen; fail "-t on a terminal printed no stamped batch lines"; }
$TM kill-server
tmux_server k-q
$TM new-session -d -s top -x 150 -y 30 "env LANG=C.UTF-8 TERM=screen \
    $IOSHIM top --socket $S -q -n 2 -d 0.3; echo EXITED rc=\$?; sleep 60"
wait_re "EXITED rc=0"
eq "-q on a terminal: column names once" "$(screen | grep -c 'PID USER')" 1
echo "ok: -t and -q imply batch mode"
$TM kill-server
: >"$T/busy.stop"
: >"$T/idle.stop"
