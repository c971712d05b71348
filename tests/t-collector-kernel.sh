#!/bin/sh
# t-collector-kernel.sh - the collector stores the kernel's figures a shim
# sends (struct iw_kernel): kernel_write_bytes and disk_write_syscalls
# exactly as sent; a report of an older shim (656 bytes, no iw_kernel) is
# still accepted.  A schema-3 database gets disk_write_syscalls (schema 4)
# at start, its rows kept.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
start_d
"$SEND" "$S" kernel /usr/bin/kfig 7654321 315 >/dev/null || fail "send kernel"
"$SEND" "$S" kernel /usr/bin/oldshim v1 0 >/dev/null || fail "send v1"
q flush >/dev/null || fail "flush failed"
row() { sq "SELECT sum(m.disk_write_bytes) || ' ' || sum(m.kernel_write_bytes) || ' ' || sum(m.disk_write_syscalls) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe = '$1'"; }
eq "kfig: disk_write_bytes kernel_write_bytes disk_write_syscalls" "$(row /usr/bin/kfig)" "1000 7654321 315"
eq "an older shim's report: stored" "$(row /usr/bin/oldshim | cut -d' ' -f1)" 1000
eq "malformed" "$(q health | python3 -c 'import json, sys; print(json.load(sys.stdin)["messages"]["malformed"])')" 0
q top by=exe from=-1h >"$T/top.json" || fail "top"
eq "top by=exe: disk_write_syscalls" "$(json "$T/top.json" '[x["disk_write_syscalls"] for x in r[0]["rows"] if x["exe"] == "/usr/bin/kfig"]')" "[315]"
stop_d

# back to schema 3: the column gone from the four tables (and schema 5's
# import tables)
for t in proc_min proc_hour exe_min exe_hour; do
	sq "ALTER TABLE $t DROP COLUMN disk_write_syscalls" || fail "drop from $t"
done
sq "ALTER TABLE proc_hour DROP COLUMN disk_write_syscalls_max;
  DROP TABLE import_pos; DROP TABLE import_hosts; ALTER TABLE images DROP COLUMN host;
  PRAGMA user_version = 3"
: >"$T/d.log"
start_d
grep -q "migrated from schema 3 to 7" "$T/d.log" || fail "no migration logged: $(cat "$T/d.log")"
eq "schema" "$(sq 'PRAGMA user_version')" 7
eq "kfig's row kept" "$(sq "SELECT sum(m.kernel_write_bytes) || ' ' || sum(m.disk_write_syscalls) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe = '/usr/bin/kfig'")" "7654321 0"
eq "proc_hour has disk_write_syscalls_max" "$(sq "SELECT count(*) FROM pragma_table_info('proc_hour') WHERE name = 'disk_write_syscalls_max'")" 1
"$SEND" "$S" kernel /usr/bin/kfig2 100 7 >/dev/null || fail "send kernel"
q flush >/dev/null || fail "flush failed"
eq "after the migration" "$(row /usr/bin/kfig2)" "1000 100 7"
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
exit 0
