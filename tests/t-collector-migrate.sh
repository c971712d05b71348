#!/bin/sh
# t-collector-migrate.sh - a database of schema 2 (as ioshimd 0a06b9f..
# left it) is migrated to schema 7 in place at start: the 1-minute
# (image, ts) indexes go, exe_hour is filled from proc_hour, nothing else
# changes, and top by=exe over a range (exe_hour for whole hours, proc_min
# for the rest) gives the sums and process counts of the stored rows.
# Schema 4 -> 5 (import: images.host, import_hosts, import_pos) keeps
# every row and an import works afterwards.  Schema 5 -> 6 adds the
# files' write_syscalls columns and keeps every file row.  Schema 6 -> 7
# adds the debounce columns (saves_absorbed, saves_written, bytes_saved)
# and keeps every row.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

# A schema-7 database made by ioshimd, turned back into schema 2 exactly:
# schema 3 only dropped two indexes, added exe_min and exe_hour and
# paths.last_ts; schema 4 added the disk_write_syscalls columns; schema 5
# images.host, import_hosts, import_pos; schema 6 the files'
# write_syscalls columns; schema 7 the debounce columns.
SAVES="saves_absorbed saves_written bytes_saved"
# drop7: schema 7's columns gone (from the exe tables too with "exe")
drop7() {
	for c in $SAVES; do
		for t in proc_min proc_hour file_min file_hour ${1:+exe_min exe_hour}; do
			sq "ALTER TABLE $t DROP COLUMN $c" || fail "drop $c from $t"
		done
		for t in proc_hour file_hour; do
			sq "ALTER TABLE $t DROP COLUMN ${c}_max" || fail "drop ${c}_max from $t"
		done
	done
}
start_d
stop_d
# The rest in one clock hour, 30 s or more into it: the planted 1-minute
# rows of hour H are rolled up into proc_hour when the next hour begins
# (proc_hour's rows and the rows kept by 6 -> 7 change), and the record
# imported after 4 -> 5, at now - 30, lies in hour H - 1 in an hour's first
# 30 s (rolled up: it goes to proc_hour, not proc_min)
in_hour 30 60
now=$(date +%s)
H=$(( now / 3600 * 3600 ))
drop7
sq "DROP TABLE import_pos; DROP TABLE import_hosts;
  ALTER TABLE images DROP COLUMN host;
  ALTER TABLE file_min DROP COLUMN write_syscalls;
  ALTER TABLE file_hour DROP COLUMN write_syscalls;
  ALTER TABLE file_hour DROP COLUMN write_syscalls_max;
  ALTER TABLE proc_min DROP COLUMN disk_write_syscalls;
  ALTER TABLE proc_hour DROP COLUMN disk_write_syscalls;
  ALTER TABLE proc_hour DROP COLUMN disk_write_syscalls_max;
  DROP TABLE exe_hour; DROP TABLE exe_min; DROP INDEX paths_last;
  ALTER TABLE paths DROP COLUMN last_ts;
  CREATE INDEX proc_min_image ON proc_min(image, ts);
  CREATE INDEX file_min_image ON file_min(image, ts);
  PRAGMA user_version = 2;
  INSERT INTO images(id, pid, start_ticks, image_ns, uid, gid, exe, first_ts, last_ts, state) VALUES
    (1, 4001, 1, 1, 0, 0, '/usr/bin/alpha', $H - 7200, $now, 1),
    (2, 4002, 1, 1, 1000, 1000, '/usr/bin/alpha', $H - 7200, $now, 1),
    (3, 4003, 1, 1, 0, 0, '/usr/bin/beta', $H - 7200, $now, 1),
    (4, 4004, 1, 1, 0, 0, '/usr/bin/alpha', $H, $now, 1);
  INSERT INTO proc_hour(ts, image, uid, n, disk_write_bytes, fsyncs) VALUES
    ($H - 7200, 1, 0, 60, 100, 1), ($H - 7200, 2, 1000, 60, 200, 0),
    ($H - 3600, 1, 0, 60, 300, 2), ($H - 7200, 3, 0, 60, 1000, 5);
  INSERT INTO proc_min(ts, image, uid, disk_write_bytes, fsyncs) VALUES
    ($H, 1, 0, 7, 0), ($H, 3, 0, 1, 0), ($H, 4, 0, 5, 0);
  INSERT INTO paths(id, path) VALUES (1, '/var/log/alpha.log');
  UPDATE meta SET value = $H WHERE key = 'rolled_upto';"
eq "schema 2 planted" "$(sq 'PRAGMA user_version')" 2
start_d
q health >/dev/null	# answered once the database is open (the socket is there before)
grep -q "migrated from schema 2 to 7" "$T/d.log" || fail "no migration logged: $(cat "$T/d.log")"
eq "schema" "$(sq 'PRAGMA user_version')" 7
eq "1-minute indexes dropped" "$(sq "SELECT count(*) FROM sqlite_master WHERE name IN ('proc_min_image', 'file_min_image')")" 0
eq "exe_hour filled from proc_hour" "$(sq "SELECT group_concat((ts - $H) || ' ' || exe || ' ' || uid || ' ' || disk_write_bytes || ' ' || fsyncs, ', ') FROM (SELECT * FROM exe_hour ORDER BY ts, exe, uid)")" \
    "-7200 /usr/bin/alpha 0 100 1, -7200 /usr/bin/alpha 1000 200 0, -7200 /usr/bin/beta 0 1000 5, -3600 /usr/bin/alpha 0 300 2"
eq "proc_hour kept" "$(sq 'SELECT count(*), total(disk_write_bytes) FROM proc_hour')" "4|1600.0"
eq "proc_min kept" "$(sq 'SELECT count(*) FROM proc_min')" 3
eq "paths.last_ts set" "$(sq 'SELECT count(*) FROM paths WHERE last_ts IS NULL')" 0
eq "files' write_syscalls columns" "$(sq "SELECT group_concat(name) FROM (SELECT 'm.' || name AS name FROM pragma_table_info('file_min') WHERE name LIKE 'write_syscalls%' UNION ALL SELECT 'h.' || name FROM pragma_table_info('file_hour') WHERE name LIKE 'write_syscalls%')")" \
    "m.write_syscalls,h.write_syscalls,h.write_syscalls_max"
eq "debounce columns" "$(sq "SELECT count(*) FROM pragma_table_info('proc_min') p, pragma_table_info('file_hour') f WHERE p.name = 'saves_absorbed' AND f.name = 'bytes_saved_max'")" 1
eq "health schema" "$(q health | python3 -c 'import json, sys; print(json.load(sys.stdin)["db"]["schema"])')" 7
q top by=exe from=$(( H - 7200 )) to=$(( now + 60 )) >"$T/top.json" || fail "top by=exe failed"
eq "top by=exe: exe, processes, disk bytes, fsyncs" \
    "$(json "$T/top.json" '[(x["exe"], x["processes"], x["disk_write_bytes"], x["fsyncs"]) for x in r[0]["rows"]]')" \
    "[('/usr/bin/beta', 1, 1001, 5), ('/usr/bin/alpha', 3, 612, 3)]"
# Only whole hours: exe_hour alone; only the open hour: proc_min alone.
q top by=exe from=$(( H - 7200 )) to=$(( H - 3600 )) >"$T/top2.json" || fail "top by=exe failed"
eq "top by=exe, one hour" "$(json "$T/top2.json" '[(x["exe"], x["processes"], x["disk_write_bytes"]) for x in r[0]["rows"]]')" \
    "[('/usr/bin/beta', 1, 1000), ('/usr/bin/alpha', 2, 300)]"
q top by=exe limit=1 from=$H to=$(( now + 60 )) >"$T/top3.json" || fail "top by=exe failed"
eq "top by=exe, minutes, limit 1" "$(json "$T/top3.json" '[(x["exe"], x["processes"], x["disk_write_bytes"]) for x in r[0]["rows"]]')" \
    "[('/usr/bin/alpha', 2, 12)]"
stop_d

# A second start finds schema 7 and migrates nothing.
: >"$T/d.log"
start_d
stop_d
grep -q migrated "$T/d.log" && fail "migrated twice"
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok

# Schema 4 -> 5: the rows stay, an import stores under the new tables.
before=$(sq 'SELECT count(*), total(disk_write_bytes) FROM proc_min')
sq "DROP TABLE import_pos; DROP TABLE import_hosts;
  ALTER TABLE images DROP COLUMN host; PRAGMA user_version = 4;"
: >"$T/d.log"
start_d
q health >/dev/null
grep -q "migrated from schema 4 to 7" "$T/d.log" || fail "no 4 -> 7 migration logged: $(cat "$T/d.log")"
eq "schema after 4 -> 7" "$(sq 'PRAGMA user_version')" 7
eq "proc_min kept by 4 -> 5" "$(sq 'SELECT count(*), total(disk_write_bytes) FROM proc_min')" "$before"
eq "images unmarked" "$(sq 'SELECT count(*) FROM images WHERE host IS NOT NULL')" 0
printf '{"pid":77,"exe":"/usr/bin/m","start":%s.000,"end":%s.500,"classes":{"disk":{"write_bytes":4096,"writes":1}}}\n' \
    $((now - 30)) $((now - 30)) >"$T/r.jsonl"
"$IOSHIM" import --socket "$S" "$T/r.jsonl" >/dev/null || fail "import after 4 -> 5 failed"
eq "imported after 4 -> 5" "$(sq "SELECT pid, host, disk_write_bytes FROM images i JOIN proc_min p ON p.image = i.id WHERE i.host IS NOT NULL")" "77|unknown|4096"
stop_d
eq "quick_check after 4 -> 5" "$(sq 'PRAGMA quick_check')" ok

# Schema 6 -> 7: the debounce columns come, every row stays.
before=$(sq 'SELECT (SELECT count(*) FROM proc_min), (SELECT count(*) FROM proc_hour), (SELECT count(*) FROM exe_hour), (SELECT count(*) FROM file_min)')
drop7 exe
sq "PRAGMA user_version = 6"
: >"$T/d.log"
start_d
q health >/dev/null
grep -q "migrated from schema 6 to 7" "$T/d.log" || fail "no 6 -> 7 migration logged: $(cat "$T/d.log")"
eq "rows kept by 6 -> 7" "$(sq 'SELECT (SELECT count(*) FROM proc_min), (SELECT count(*) FROM proc_hour), (SELECT count(*) FROM exe_hour), (SELECT count(*) FROM file_min)')" "$before"
for t in proc_min proc_hour exe_min exe_hour file_min file_hour; do
	eq "6 -> 7: $t's debounce columns" "$(sq "SELECT group_concat(name, ' ') FROM pragma_table_info('$t') WHERE name IN ('saves_absorbed', 'saves_written', 'bytes_saved')")" \
	    "saves_absorbed saves_written bytes_saved"
done
stop_d
eq "quick_check after 6 -> 7" "$(sq 'PRAGMA quick_check')" ok
exit 0
