#!/bin/sh
# t-collector-diskfull.sh - the database's file system fills up: the
# collector keeps counting in memory, says "disk_full" in health, and when
# space returns it stores everything, exactly.  Needs root (tmpfs mount).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root for a small tmpfs"
mkdir "$T/small"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$T/small" 2>/dev/null || skip "cannot mount tmpfs"
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
DB=$T/small/ioshim.db
start_d
"$SEND" "$S" stream 2 5 0 2 seed=1 >"$T/tot1" || fail "sender 1 failed"
q flush >/dev/null || fail "flush 1 failed"
# Fill the file system.
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null
"$SEND" "$S" stream 4 20 0 60 seed=2 >"$T/tot2" || fail "sender 2 failed"
q flush >"$T/f.json"
q health >"$T/h.json" || fail "health failed"
eq "health says disk_full" "$(json "$T/h.json" 'r[0]["db"]["state"]')" disk_full
eq "counts pending in memory" "$(json "$T/h.json" 'r[0]["pending"]["disk_write_bytes"]')" "$(val disk_write_bytes "$T/tot2")"
sleep 2.5	# a window boundary passes while the disk is full
kill -0 $DPID || fail "collector died on a full disk"
rm -f "$T/small/fill"
q flush >"$T/f2.json" || fail "flush after space returned failed"
eq "flushed again" "$(json "$T/f2.json" 'r[0]["state"]')" ok
want=$(( $(val disk_write_bytes "$T/tot1") + $(val disk_write_bytes "$T/tot2") ))
eq "all counts stored" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" $want
wantf=$(( $(val file_write_bytes "$T/tot1") + $(val file_write_bytes "$T/tot2") ))
eq "all file counts stored" "$(sq 'SELECT sum(write_bytes) FROM file_min')" $wantf
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
stop_d
exit 0
