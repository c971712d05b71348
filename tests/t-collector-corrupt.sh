#!/bin/sh
# t-collector-corrupt.sh - a corrupt database at start is moved aside with a
# clear log line and a fresh one is created and used; health is degraded
# (reason db_corrupt) until a restart.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
i=0; while [ $i -lt 200 ]; do echo "this is not an SQLite database, line $i"; i=$((i+1)); done >"$DB"
start_d
grep -q "is corrupt" "$T/d.log" || fail "no log line about the corrupt database"
grep -q "moved aside to $DB.corrupt-" "$T/d.log" || fail "log line does not say where it went"
aside=$(ls "$DB".corrupt-* 2>/dev/null | head -n 1)
[ -n "$aside" ] || fail "corrupt file not moved aside"
grep -q "not an SQLite database, line 199" "$aside" || fail "moved-aside file is not the old one"
# health says so: degraded, reason db_corrupt naming the file
"$IOSHIM" health --json --socket "$S" >"$T/h.json"
eq "health: exit status (degraded)" $? 1
eq "health: db_corrupt" "$(json "$T/h.json" 'r[0]["state"], r[0]["reasons"]["db_corrupt"]["severity"], r[0]["reasons"]["db_corrupt"]["moved_to"]')" "('degraded', 'degraded', '$aside')"
"$SEND" "$S" stream 1 5 0 1 >"$T/tot" || fail "sender failed"
q flush >/dev/null || fail "flush failed"
eq "fresh database stores" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$(val disk_write_bytes "$T/tot")"
eq "fresh database is WAL" "$(sq 'PRAGMA journal_mode')" wal
stop_d

# A database whose pages are damaged (valid header) is caught too.
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
size=$(stat -c %s "$DB")
[ "$size" -ge 16384 ] || fail "database unexpectedly small ($size)"
dd if=/dev/urandom of="$DB" bs=4096 seek=2 count=2 conv=notrunc 2>/dev/null
start_d
[ "$(ls "$DB".corrupt-* | wc -l)" -ge 2 ] || { cat "$T/d.log"; fail "damaged database not moved aside"; }
eq "quick_check of fresh db" "$(sq 'PRAGMA quick_check')" ok
stop_d
exit 0
