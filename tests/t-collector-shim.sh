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
sleep 0.5
q flush >/dev/null || fail "flush failed"
n=$(sq 'SELECT count(*) FROM images')
[ "$n" -gt 0 ] || fail "no image reached the collector"
eq "dd disk bytes stored" "$(sq "SELECT sum(m.disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/dd'")" 409600
eq "dd disk writes stored" "$(sq "SELECT sum(m.disk_writes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/dd'")" 100
eq "dd file row" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/out'")" 409600
eq "sh log bytes" "$(sq "SELECT sum(f.write_bytes) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$T/log.txt'")" "$(stat -c %s "$T/log.txt")"
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
exit 0
