#!/bin/sh
# t-report-block.sh - writing the report never blocks the program, and a
# record that cannot be written is counted, never lost without a word:
#   - another process holds flock(2) on the report: a forked child's
#     record waits a bounded time, is dropped, and the parent's record
#     (written once the lock is free) says "dropped": 1; the program is
#     not stuck (timeout 20 as a guard, not a timed assertion);
#   - a FIFO at the report path with no reader: the program ends (the old
#     open for writing waited for a reader for ever), also when killed
#     by SIGTERM (the record is written from the signal handler);
#   - a FIFO with a reader: nothing is written into it;
#   - a symlink at the report path is not followed;
#   - a new report file is made 0600.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
HOLDER=
trap '[ -n "$HOLDER" ] && kill $HOLDER 2>/dev/null; rm -rf "$T"' EXIT

note "flock held by another process"
: >"$R"
$PY - "$R" "$T/locked" "$T/release" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
PY
HOLDER=$!
i=0; while [ ! -e "$T/locked" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$T/locked" ] || fail "the lock holder did not start"
rc=0
timeout 20 "$IOSHIM" run --report "$R" -- $PY -c '
import fcntl, os, sys, time
t = sys.argv[1]
pid = os.fork()
if pid == 0:
    os._exit(0)		# its record: the file is locked
os.waitpid(pid, 0)
open(t + "/child-done", "w").close()
with open(t + "/report.jsonl", "a") as f:	# until the holder is gone
    fcntl.flock(f, fcntl.LOCK_EX)
    fcntl.flock(f, fcntl.LOCK_UN)
' "$T" &
RUN=$!
i=0; while [ ! -e "$T/child-done" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
touch "$T/release"
wait $HOLDER; HOLDER=
wait $RUN || rc=$?
[ $rc -ne 124 ] || fail "the program was stuck on the report's lock"
eq "status" "$rc" 0
eq "records written" "$(q "len(r)")" 1
eq "the parent's record counts the child's lost one" "$(q "r[0]['dropped']")" 1

note "FIFO at the report path, no reader"
mkfifo "$T/fifo"
rc=0
timeout 20 "$IOSHIM" run --report "$T/fifo" -- cat /dev/null || rc=$?
[ $rc -ne 124 ] || fail "the program hung on a FIFO report"
eq "status" "$rc" 0

note "FIFO, no reader, SIGTERM"
P=$(prog count_exit)
timeout 20 "$IOSHIM" run --report "$T/fifo" -- "$P" pause 0 >"$T/out" &
RUN=$!
i=0
while [ "$(size "$T/out" 2>/dev/null || echo 0)" -lt 150 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(size "$T/out")" -ge 150 ] || fail "the program did not start"
pkill -TERM -P $RUN -x count_exit || kill -TERM $RUN
rc=0; wait $RUN || rc=$?
[ $rc -ne 124 ] || fail "the program hung in its SIGTERM handler on a FIFO report"
eq "killed: status" "$rc" 143

note "FIFO with a reader"
cat "$T/fifo" >"$T/fifo.out" &
CAT=$!
rc=0
timeout 20 "$IOSHIM" run --report "$T/fifo" -- cat /dev/null || rc=$?
eq "status" "$rc" 0
exec 3>"$T/fifo"	# the reader sees its end
exec 3>&-
wait $CAT
eq "bytes written into the FIFO" "$(size "$T/fifo.out")" 0

note "symlink at the report path"
: >"$T/target"
ln -s "$T/target" "$T/link"
"$IOSHIM" run --report "$T/link" -- cat /dev/null || fail "cat failed"
eq "bytes written through the symlink" "$(size "$T/target")" 0

note "a new report is 0600"
rm -f "$R"
(umask 022; "$IOSHIM" run --report "$R" -- cat /dev/null) || fail "cat failed"
eq "mode" "$(stat -c %a "$R")" 600
eq "records" "$(q "len(r)")" 1
