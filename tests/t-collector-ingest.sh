#!/bin/sh
# t-collector-ingest.sh - a real ioshimd on temp paths ingests real datagrams
# (tests/progs/wire_send.c); the 1-minute rows in the SQLite file (read with
# the sqlite3 CLI) sum exactly to what was sent; queries and health agree.
# Queries of an empty collector answer with no rows.  File rows of an
# older shim (IW_FILES, without write_syscalls) are still stored.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

start_d --salvage-every 0
# Before anything arrived: every kind of table answers with no rows (under
# check-asan, UBSan once stopped the collector here: qsort of no rows).
for r in "top" "top by=exe" "top by=file" "top totals=1" "top from=-3600" \
    "top by=exe from=-3600" "top by=file from=-3600" "history exe=/bin/x"; do
	q $r >"$T/e.json" || fail "empty: '$r' failed"
	eq "empty: '$r' rows" "$(json "$T/e.json" 'len(r[0].get("rows", r[0].get("points", [0])))')" 0
done
"$SEND" "$S" stream 4 30 10 5 >"$T/tot" || fail "sender failed"
sent=$((4 * 30 * 2 + 4))
q health >"$T/h1.json" || fail "health failed"
eq "messages received" "$(json "$T/h1.json" 'r[0]["messages"]["received"]')" $sent
eq "messages accepted" "$(json "$T/h1.json" 'r[0]["messages"]["accepted"]')" $sent
eq "messages dropped" "$(json "$T/h1.json" 'r[0]["messages"]["dropped"]')" 0
q flush >"$T/f.json" || fail "flush failed"
eq "flushed" "$(json "$T/f.json" 'r[0]["flushed"]')" True

# Exact sums in the stored windows.
eq "stored disk_write_bytes" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" "$(val disk_write_bytes "$T/tot")"
eq "stored disk_writes" "$(sq 'SELECT sum(disk_writes) FROM proc_min')" "$(val disk_writes "$T/tot")"
eq "stored disk_read_bytes" "$(sq 'SELECT sum(disk_read_bytes) FROM proc_min')" "$(val disk_read_bytes "$T/tot")"
eq "stored socket_write_bytes" "$(sq 'SELECT sum(socket_write_bytes) FROM proc_min')" "$(val socket_write_bytes "$T/tot")"
eq "stored fsyncs" "$(sq 'SELECT sum(fsyncs) FROM proc_min')" "$(val fsyncs "$T/tot")"
eq "stored absorbed" "$(sq 'SELECT sum(absorbed) FROM proc_min')" "$(val absorbed "$T/tot")"
eq "stored file write_bytes" "$(sq 'SELECT sum(write_bytes) FROM file_min')" "$(val file_write_bytes "$T/tot")"
eq "stored file writes" "$(sq 'SELECT sum(writes) FROM file_min')" "$(val file_writes "$T/tot")"
eq "stored file write_syscalls" "$(sq 'SELECT sum(write_syscalls) FROM file_min')" "$(val file_write_syscalls "$T/tot")"
eq "images stored" "$(sq 'SELECT count(*) FROM images')" 4
eq "images ended" "$(sq 'SELECT count(*) FROM images WHERE state = 1')" 4
eq "file_state of ended images gone" "$(sq 'SELECT count(*) FROM file_state')" 0
eq "journal_mode" "$(sq 'PRAGMA journal_mode')" wal

# Range queries over the stored windows agree with the database.
q top by=exe from=-1h limit=10 >"$T/top.json" || fail "top failed"
eq "top by=exe sums" "$(json "$T/top.json" 'sum(x["disk_write_bytes"] for x in r[0]["rows"])')" "$(val disk_write_bytes "$T/tot")"
eq "top by=exe rows" "$(json "$T/top.json" 'len(r[0]["rows"])')" 3
eq "top sorted" "$(json "$T/top.json" 'all(a["disk_write_bytes"] >= b["disk_write_bytes"] for a, b in zip(r[0]["rows"], r[0]["rows"][1:]))')" True
q top by=file from=-1h limit=1000 >"$T/topf.json" || fail "top by=file failed"
eq "top by=file sums" "$(json "$T/topf.json" 'sum(x["write_bytes"] for x in r[0]["rows"])')" "$(val file_write_bytes "$T/tot")"
eq "top by=file write_syscalls" "$(json "$T/topf.json" 'sum(x["write_syscalls"] for x in r[0]["rows"])')" "$(val file_write_syscalls "$T/tot")"
q top by=process from=-1h limit=2 sort=disk_read >"$T/topp.json" || fail "top by=process failed"
eq "top limit" "$(json "$T/topp.json" 'len(r[0]["rows"])')" 2
pid=$(val pid "$T/tot")
q process "$pid" >"$T/p.json" || fail "process failed"
eq "process pid" "$(json "$T/p.json" 'r[0]["pid"]')" "$pid"
q files "$pid" >"$T/files.json" || fail "files failed"
eq "files rows" "$(json "$T/files.json" 'len(r[0]["files"])')" 5
q history exe=/usr/bin/wire-0 from=-10m step=60 >"$T/hist.json" || fail "history failed"
eq "history sums" "$(json "$T/hist.json" 'sum(x["disk_write_bytes"] for x in r[0]["points"])')" \
    "$(sq "SELECT sum(disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe = '/usr/bin/wire-0'")"
q checkpoint passive >"$T/c.json" || fail "checkpoint failed"
eq "checkpoint mode" "$(json "$T/c.json" 'r[0]["checkpoint"]')" passive
q top sort=nosuch >/dev/null && fail "a bad sort key was accepted"
q frobnicate >/dev/null && fail "an unknown request was accepted"
"$IOSHIM" health --socket "$S" >"$T/human" || fail "ioshim health failed"
grep -q "state: ok" "$T/human" || fail "human health lacks 'state: ok'"

# A second instance on the same socket is refused (pidfile).
"$IOSHIMD" --foreground --socket "$S" --db "$T/other.db" 2>"$T/second.log" && fail "second instance started"
grep -q "already running" "$T/second.log" || fail "no 'already running' message"

# An older shim's file rows (type IW_FILES): stored, write_syscalls 0.
"$SEND" "$S" stream 1 4 0 3 v1rows seed=9 >"$T/tot3" || fail "v1 sender failed"
q flush >/dev/null || fail "flush failed"
eq "v1 rows: dropped" "$(q health | python3 -c 'import json, sys; print(json.load(sys.stdin)["messages"]["dropped"])')" 0
eq "v1 rows: file writes, write_syscalls" "$(sq 'SELECT sum(writes) || " " || sum(write_syscalls) FROM file_min')" \
    "$(( $(val file_writes "$T/tot") + $(val file_writes "$T/tot3") )) $(val file_write_syscalls "$T/tot")"

# SIGTERM stores the open window: send more, stop, count again.
"$SEND" "$S" stream 1 5 0 0 seed=7 >"$T/tot2" || fail "sender 2 failed"
stop_d
want=$(( $(val disk_write_bytes "$T/tot") + $(val disk_write_bytes "$T/tot2") + $(val disk_write_bytes "$T/tot3") ))
eq "stored after SIGTERM" "$(sq 'SELECT sum(disk_write_bytes) FROM proc_min')" $want
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
[ -e "$S" ] && fail "socket left behind after exit"
exit 0
