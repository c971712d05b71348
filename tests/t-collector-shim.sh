#!/bin/sh
# t-collector-shim.sh - real programs under the real shim report to a real
# ioshimd: the stored windows hold exactly the bytes dd wrote to disk.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"

start_d
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=100 LD_PRELOAD=$SHIM \
    dd if=/dev/zero of="$T/out" bs=4096 count=100 2>/dev/null || fail "dd failed"
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=100 LD_PRELOAD=$SHIM \
    sh -c 'i=0; while [ $i -lt 50 ]; do echo "line $i"; i=$((i+1)); done' >"$T/log.txt" || fail "sh failed"
# a forked child's rows: python writes a.txt, forks, the child writes
# b.txt and a.txt again (after its parent's a.txt row was sent; the
# child's row has the same activity count, so only a child that sends
# every row anew gets it stored)
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=100 LD_PRELOAD=$SHIM /usr/bin/python3 -c '
import os, sys, time
t = sys.argv[1]
with open(t + "/a.txt", "wb", buffering=0) as f:
    f.write(b"a" * 3000)
time.sleep(0.3)
pid = os.fork()
if pid == 0:
    with open(t + "/b.txt", "wb", buffering=0) as f:
        f.write(b"b" * 2000)
    fd = os.open(t + "/a.txt", os.O_WRONLY)  # as the parent: one open,
    os.lseek(fd, 0, 2)                      # one write (no O_APPEND,
    os.write(fd, b"c" * 500)                # which coalesces)
    os.close(fd)
    os._exit(0)
os.waitpid(pid, 0)' "$T" || fail "python fork failed"
sleep 0.5
q flush >/dev/null || fail "flush failed"
n=$(sq 'SELECT count(*) FROM images')
[ "$n" -gt 0 ] || fail "no image reached the collector"
eq "dd disk bytes stored" "$(sq "SELECT sum(m.disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/dd'")" 409600
eq "dd disk writes stored" "$(sq "SELECT sum(m.disk_writes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/dd'")" 100
eq "dd file row" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/out'")" 409600
eq "sh log bytes" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/log.txt'")" "$(stat -c %s "$T/log.txt")"
for f in a b; do
	eq "fork: $f.txt bytes stored" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/$f.txt'")" "$(stat -c %s "$T/$f.txt")"
done
eq "fork: images writing a.txt" "$(sq "SELECT count(DISTINCT f.image) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/a.txt'")" 2
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
exit 0
