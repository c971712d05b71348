#!/bin/sh
# t-collector-dbgone.sh - the database deleted, or replaced by another file,
# while ioshimd runs.  It went on writing to the unlinked file, health said
# ok, and everything was gone with its last descriptor.  Now: health says
# db_unlinked / db_replaced, everything the collector held (before and
# after) is saved to a new file DB.recovered-TIME and stored there from
# then on, the file that replaced the database is never written (nor the
# old database's -wal applied to it), and the steps in docs/collector.md
# work.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
# wait_for DESCRIPTION SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	_d=$1 _n=$(( $2 * 10 )); shift 2
	while ! "$@"; do
		_n=$((_n - 1)); [ $_n -gt 0 ] || { cat "$T/h.json"; tail "$T/d.log"; fail "timed out: $_d"; }
		sleep 0.1
	done
}
# saved REASON: health has it, the copy made
saved() {
	q health >"$T/h.json" &&
	    [ "$(json "$T/h.json" 'r[0]["reasons"].get("'"$1"'", {}).get("saved")')" = True ]
}
reason() { json "$T/h.json" "r[0][\"reasons\"][\"$1\"]$2"; }
sum_in() { sqlite3 "$1" 'SELECT sum(disk_write_bytes) FROM proc_min'; }

# 1. rm DB DB-wal DB-shm
start_d --salvage-every 0
"$SEND" "$S" stream 2 5 0 2 >"$T/tot1" || fail "sender 1 failed"
q flush >/dev/null || fail "flush failed"
rm -f "$DB" "$DB-wal" "$DB-shm"
"$SEND" "$S" stream 2 5 0 2 seed=7 >"$T/tot2" || fail "sender 2 failed"
wait_for "db_unlinked, saved" 60 saved db_unlinked
eq "db_unlinked severity" "$(reason db_unlinked '["severity"]')" failing
eq "db_unlinked: the state" "$(json "$T/h.json" 'r[0]["state"]')" failing
eq "db_unlinked path" "$(reason db_unlinked '["path"]')" "$DB"
R=$(reason db_unlinked '["recovered_to"]')
case $R in "$DB".recovered-*) ;; *) fail "recovered_to: '$R'";; esac
eq "health db.path: the copy" "$(json "$T/h.json" 'r[0]["db"]["path"]')" "$R"
q flush >/dev/null || fail "flush failed"
want=$(( $(val disk_write_bytes "$T/tot1") + $(val disk_write_bytes "$T/tot2") ))
eq "the copy holds everything" "$(sum_in "$R")" $want
"$SEND" "$S" stream 1 3 0 0 seed=9 >"$T/tot3" || fail "sender 3 failed"
stop_d
want=$(( want + $(val disk_write_bytes "$T/tot3") ))
eq "... and what came after" "$(sum_in "$R")" $want
eq "copy quick_check" "$(sqlite3 "$R" 'PRAGMA quick_check')" ok
[ -e "$DB" ] && fail "$DB made again"
# the documented step: put the copy in place, start again
[ -e "$R-wal" ] && fail "a clean stop left $R-wal"
mv "$R" "$DB"
start_d --salvage-every 0
q health >"$T/h.json" || fail "health failed"
eq "after the restart: reasons" "$(json "$T/h.json" 'r[0]["reasons"]')" "{}"
q top by=exe from=-1h limit=10 >"$T/top.json" || fail "top failed"
eq "after the restart: top sums" "$(json "$T/top.json" 'sum(x["disk_write_bytes"] for x in r[0]["rows"])')" $want
stop_d
rm -f "$DB" "$DB-wal" "$DB-shm"

# 2. mv OTHER DB: an administrator restored another database on purpose
start_d --salvage-every 0
"$SEND" "$S" stream 2 5 0 2 >"$T/tot4" || fail "sender 4 failed"
q flush >/dev/null || fail "flush failed"
sqlite3 "$T/other.db" "CREATE TABLE marker(x); INSERT INTO marker VALUES(42);"
cp "$T/other.db" "$T/other.copy"
mv "$T/other.db" "$DB"
"$SEND" "$S" stream 2 5 0 2 seed=7 >"$T/tot5" || fail "sender 5 failed"
wait_for "db_replaced, saved" 60 saved db_replaced
eq "db_replaced severity" "$(reason db_replaced '["severity"]')" degraded
eq "db_replaced, saved: the state" "$(json "$T/h.json" 'r[0]["state"]')" degraded
R=$(reason db_replaced '["recovered_to"]')
case $R in "$DB".recovered-*) ;; *) fail "recovered_to: '$R'";; esac
cmp -s "$DB" "$T/other.copy" || fail "the file that replaced the database was changed"
[ -e "$DB-wal" ] && fail "the old database's -wal left next to the replacement"
[ -e "$DB-shm" ] && fail "the old database's -shm left next to the replacement"
eq "the replacement reads as itself" "$(sqlite3 "$DB" 'SELECT x FROM marker; SELECT count(*) FROM sqlite_master')" "42
1"
q flush >/dev/null || fail "flush failed"
want=$(( $(val disk_write_bytes "$T/tot4") + $(val disk_write_bytes "$T/tot5") ))
eq "the copy holds everything" "$(sum_in "$R")" $want
stop_d
cmp -s "$DB" "$T/other.copy" || fail "the replacement was changed at exit"
eq "copy quick_check" "$(sqlite3 "$R" 'PRAGMA quick_check')" ok
exit 0
