#!/bin/sh
# t-top-exec.sh - an exec keeps the PID and makes a new image: "ioshim top"
# and "ioshim report" must not show two live-looking rows with one PID.
# A shimmed sh appends a line and execs a shimmed python that appends
# more: top -b marks sh's row "[ended: exec'd python3]" and python's
# "[exec'd from sh]"; once python ends its row says "[ended]" (--json:
# "state":"ended"); the stored report marks them the same way.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/top_lib.sh"
# A long window: ended images stay in the live view until it closes.
# Windows begin at multiples of 600 s: none may begin from sh's exec to
# the last look at the live view (the ended sh, then the ended python,
# vanished from it and the waits for them ran out).
top_collector 600
in_period 600 0 40

cat >"$T/w.py" <<'PY'
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write("y" * 5000)
    f.flush()
    for _ in range(1200):
        if os.path.exists(sys.argv[1] + ".stop"):
            break
        time.sleep(0.1)
PY
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 "$IOSHIM" run -- sh -c \
    "echo x >>'$T/a'; exec $PY '$T/w.py' '$T/b'" &
WPID=$!
# until the collector has both images of the pid (up to 60 s)
n=0
while [ $n -lt 600 ]; do
	top -b -n 1 -d 0.2 >"$T/t1" 2>&1
	grep -q "python3" "$T/t1" && grep -qE " sh( \(|$)" "$T/t1" && break
	sleep 0.1; n=$((n + 1))
done
cat "$T/t1"
grep -q "\[ended: exec'd python3\] sh" "$T/t1" ||
    fail "sh's row is not marked as ended by exec"
grep -q "\[exec'd from sh\] python3" "$T/t1" ||
    fail "python's row does not say it came from sh's exec"
pid=$(grep "\[exec'd from sh\] python3" "$T/t1" | awk '{print $1}')
eq "both rows have one pid" "$(grep -cE "^ *$pid " "$T/t1")" 2
top --json -n 1 -d 0.2 >"$T/j1" || fail "top --json failed"
eq "sh: state, ended_by, exec_into" "$(json "$T/j1" "[(x['state'], x['ended_by'], x['exec_into']) for x in r[0]['rows'] if x['comm'] == 'sh'][0]")" \
    "('ended', 'exec', 'python3')"
eq "python: state, exec_from" "$(json "$T/j1" "[(x['state'], x['exec_from']) for x in r[0]['rows'] if x['comm'] == 'python3'][0]")" \
    "('running', 'sh')"
# -e hides ended images.
top -b -e -n 1 -d 0.2 >"$T/t2"
grep -qE " sh( \(|$)" "$T/t2" && fail "-e still shows the ended sh"
grep -q "python3" "$T/t2" || fail "-e hid the running python"
echo "ok: -e hides ended rows only"

: >"$T/b.stop"
wait $WPID || fail "the workload failed"
WPID=
n=0
while [ $n -lt 300 ]; do
	top -b -n 1 -d 0.2 >"$T/t3" 2>&1
	grep -q "\[ended\] \[exec'd from sh\] python3" "$T/t3" && break
	sleep 0.1; n=$((n + 1))
done
cat "$T/t3"
grep -q "\[ended\] \[exec'd from sh\] python3" "$T/t3" ||
    fail "the ended python is not marked [ended]"

"$IOSHIM" query --socket "$S" flush >/dev/null || fail "flush failed"
"$IOSHIM" report --socket "$S" --since 10m >"$T/r" || fail "report failed"
cat "$T/r"
grep -q "$pid root *\[ended: exec'd python3\] sh" "$T/r" ||
    grep -q "$pid [^ ]* *\[ended: exec'd python3\] sh" "$T/r" ||
    fail "report does not mark sh as ended by exec"
grep -q "\[ended\] \[exec'd from sh\] python3" "$T/r" ||
    fail "report does not mark python as ended and exec'd from sh"
"$IOSHIM" report --socket "$S" --since 10m --json >"$T/rj" ||
    fail "report --json failed"
eq "report --json states" "$(json "$T/rj" "sorted((x['comm'], x['state'], x['end_reason']) for x in r[0]['rows'])")" \
    "[('python3', 'ended', 1), ('sh', 'ended', 2)]"
