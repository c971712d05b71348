#!/bin/sh
# t-coalesce-threads.sh - the shim's worker thread is there only while it
# is needed, and never where a program counts its threads after fork
# (issue 14, item 6; Python >= 3.12 warns when os.fork() finds more than
# one thread in the parent).  Opening a log starts no thread; the first
# held byte does; fork stops it, and the parent right after fork (and the
# child) has exactly the threads it made.  The log is still complete and
# in order.
. "$(dirname "$0")/lib.sh"
cat >"$T/t.py" <<'PY'
import os, sys
def threads():
    with open("/proc/self/status") as f:
        for l in f:
            if l.startswith("Threads:"):
                return int(l.split()[1])
def tasks():
    return len(os.listdir("/proc/self/task"))
log = open(sys.argv[1], "a")
print("after open", threads())
log.write("one\n"); log.flush()
print("held byte: worker", threads() >= 1)
for i in range(20):
    pid = os.fork()
    if pid == 0:
        n = threads()
        log.write("child %d\n" % i); log.flush()
        os._exit(0 if n == 1 else 3)
    n, t = threads(), tasks()
    if n != 1 or t != 1:
        print("after fork %d: %d threads, %d tasks" % (i, n, t))
    _, st = os.waitpid(pid, 0)
    if st != 0:
        print("child %d saw another thread" % i)
    log.write("parent %d\n" % i); log.flush()
print("forks done")
log.close()
PY
PY=/usr/bin/python3
$PY "$T/t.py" "$T/plain.log" >"$T/plain.out" || fail "without the shim"
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM $PY "$T/t.py" "$T/shim.log" >"$T/shim.out" ||
	fail "under the shim: rc $?"
cat "$T/shim.out"
diff -u "$T/plain.out" "$T/shim.out" || fail "threads seen differ"
cmp "$T/plain.log" "$T/shim.log" || fail "the log differs"
echo "ok: no extra thread around fork; $(wc -l <"$T/shim.log") lines in order"
