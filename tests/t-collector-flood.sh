#!/bin/sh
# t-collector-flood.sh - one unprivileged sender cannot take the
# collector's memory or the database (issue 15, item 7): uid 65534 reports
# rows of 4,000-byte distinct paths from many images; the collector holds
# at most --uid-memory for it, stores at most --uid-rows rows and
# --uid-path-bytes of new paths of it per hour, says so in health (which
# uid, which bound; administrators only), and root's data beside it is
# stored whole.  When the flood's images end, table_bytes falls back.  A
# quarter of --max-images is kept for root.  Small bounds keep it quick; the 60 s flood is `make soak`.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody
MEM=1048576 ROWS=300 PATHS=65536
h() { json "$T/h.json" "r[0]$1"; }

# The flood in one clock hour: --uid-rows and --uid-path-bytes are per
# clock hour, so a flood whose rows are stored by flushes on both sides of
# an hour's start gets as many again in (the flood takes ~0.1 s here and
# the window ending at the hour is flushed in the new one: only a flood
# outlasting a window meets that)
in_hour 0 60
start_d --shared --uid-memory $MEM --uid-rows $ROWS --uid-path-bytes $PATHS
# 64 images x 64 files x 4,000 bytes: 16 MB of paths if nothing bounds it
$AS "$SEND" "$S" pathflood 64 64 4000 >"$T/flood.out" || fail "flood sender failed"
eq "flood rows sent" "$(cat "$T/flood.out")" "rows=4096"
# root, beside it: 4 images, 5 reports of 8 files each, then their END
"$SEND" "$S" stream 4 5 0 8 >"$T/root.out" || fail "root sender failed"
q flush >/dev/null || fail "flush failed"
q health >"$T/h.json" || fail "health failed"

# Memory: the flood was refused past its bound, and health names the uid.
[ "$(h '["bounds"]["memory_refused"]')" -gt 0 ] || fail "no refusal counted: $(cat "$T/h.json")"
eq "the uid that hit a bound" "$(json "$T/h.json" '[u["uid"] for u in r[0]["bounds"]["uids"]]')" "[65534]"
eq "its bounds" "$(json "$T/h.json" '(r[0]["bounds"]["uid_memory"], r[0]["bounds"]["uid_rows_per_hour"], r[0]["bounds"]["uid_path_bytes_per_hour"])')" "($MEM, $ROWS, $PATHS)"
# Rows and database growth of uid 65534.
n=$(sq "SELECT (SELECT count(*) FROM images WHERE uid = 65534) +
    (SELECT count(*) FROM proc_min WHERE uid = 65534) +
    (SELECT count(*) FROM file_min WHERE uid = 65534) +
    (SELECT count(*) FROM exe_min WHERE uid = 65534)")
[ "$n" -le $ROWS ] || fail "uid 65534 has $n rows stored, bound $ROWS"
[ "$n" -gt 0 ] || fail "uid 65534 has nothing stored at all"
pb=$(sq "SELECT coalesce(sum(length(path)), 0) FROM paths WHERE path LIKE '/flood/%'")
[ "$pb" -le $PATHS ] || fail "uid 65534 added $pb bytes of paths, bound $PATHS"
echo "ok: uid 65534 stored $n rows, $pb bytes of paths"

# root's data is whole.
eq "root: disk write bytes" "$(sq "SELECT sum(disk_write_bytes) FROM proc_min WHERE uid = 0")" "$(val disk_write_bytes "$T/root.out")"
eq "root: file write bytes" "$(sq "SELECT sum(write_bytes) FROM file_min WHERE uid = 0")" "$(val file_write_bytes "$T/root.out")"
eq "root: file rows" "$(sq "SELECT count(DISTINCT path) FROM file_min WHERE uid = 0")" "$(sq "SELECT count(*) FROM paths WHERE path LIKE '/var/log/test-%'")"

# The images ended: the table gives their memory back.
tb=$(h '["own"]["table_bytes"]')
[ "$tb" -lt 65536 ] || fail "table_bytes $tb after every image ended"
eq "images in memory" "$(h '["images"]')" 0

# Others do not see the bounds.
$AS "$IOSHIM" query --socket "$S" health >"$T/n.json" || fail "nobody: health failed"
eq "nobody: no bounds" "$(json "$T/n.json" '"bounds" in r[0]')" False
stop_d

# The last quarter of --max-images is root's: uid 65534 gets 6 of 8.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_d --shared --max-images 8
$AS "$SEND" "$S" flood 20 >/dev/null || fail "image flood failed"
"$SEND" "$S" stream 2 1 0 0 >"$T/root2.out" || fail "root sender failed"
q flush >/dev/null || fail "flush failed"
eq "images of uid 65534 stored" "$(sq "SELECT count(*) FROM images WHERE uid = 65534")" 6
eq "root's images stored" "$(sq "SELECT count(*) FROM images WHERE uid = 0")" 2
eq "root's bytes" "$(sq "SELECT sum(disk_write_bytes) FROM proc_min WHERE uid = 0")" "$(val disk_write_bytes "$T/root2.out")"
stop_d
exit 0
