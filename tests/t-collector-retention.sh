#!/bin/sh
# t-collector-retention.sh - 1-minute rows are rolled up into hourly rows
# (sum, count, max) and deleted after --keep-minutes days; hourly rows go
# after --keep-hours days; range queries read the hourly rows.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

# Create the schema, then plant old 1-minute rows as if stored long ago.
start_d --window 1
stop_d
now=$(date +%s)
old=$(( (now - 10 * 86400) / 3600 * 3600 ))
recent=$(( (now - 86400) / 3600 * 3600 ))
sq "INSERT INTO images(id, pid, start_ticks, image_ns, uid, gid, exe, first_ts, last_ts, state)
    VALUES (1, 4242, 1, 1, 0, 0, '/usr/bin/old', $old, $now, 1);
  INSERT INTO paths(id, path) VALUES (1, '/var/log/old.log'), (2, '/var/log/new.log');
  INSERT INTO proc_min(ts, image, uid, disk_write_bytes, fsyncs) VALUES
    ($old + 60, 1, 0, 100, 1), ($old + 120, 1, 0, 250, 0), ($old + 180, 1, 0, 50, 2),
    ($old + 3600 + 60, 1, 0, 1000, 0),
    ($recent + 60, 1, 0, 7, 0), ($recent + 120, 1, 0, 9, 0);
  INSERT INTO file_min(ts, image, path, uid, cls, write_bytes) VALUES
    ($old + 60, 1, 1, 0, 0, 100), ($old + 120, 1, 1, 0, 0, 250),
    ($recent + 60, 1, 2, 0, 0, 7);
  UPDATE meta SET value = $old WHERE key = 'rolled_upto';"
start_d --window 1 --keep-minutes 7 --keep-hours 365
i=0
while [ $i -lt 60 ]; do	# up to 60 s: only a broken rollup takes that long
	sleep 1; i=$((i + 1))
	[ "$(sq "SELECT count(*) FROM proc_min WHERE ts < $now - 7 * 86400")" = 0 ] &&
	    [ "$(sq "SELECT value FROM meta WHERE key = 'rolled_upto'")" -ge $(( now / 3600 * 3600 )) ] && break
done
eq "hour rows" "$(sq 'SELECT count(*) FROM proc_hour')" 3
eq "first hour: sum, count, max" "$(sq "SELECT disk_write_bytes, n, disk_write_bytes_max, fsyncs FROM proc_hour WHERE ts = $old")" "400|3|250|3"
eq "second hour" "$(sq "SELECT disk_write_bytes, n FROM proc_hour WHERE ts = $old + 3600")" "1000|1"
eq "recent hour" "$(sq "SELECT disk_write_bytes, n FROM proc_hour WHERE ts = $recent")" "16|2"
eq "file hour" "$(sq "SELECT write_bytes, n, write_bytes_max FROM file_hour WHERE ts = $old")" "350|2|250"
eq "old minute rows deleted" "$(sq "SELECT count(*) FROM proc_min WHERE ts < $now - 7 * 86400")" 0
eq "old file minute rows deleted" "$(sq "SELECT count(*) FROM file_min WHERE ts < $now - 7 * 86400")" 0
eq "recent minute rows kept" "$(sq "SELECT count(*) FROM proc_min WHERE ts >= $recent")" 2
q top by=exe from=-11d >"$T/top.json" || fail "top failed"
eq "range top reads hour rows" "$(json "$T/top.json" 'r[0]["rows"][0]["disk_write_bytes"]')" 1416
q history exe=/usr/bin/old from=-11d step=3600 >"$T/h.json" || fail "history failed"
eq "hourly history" "$(json "$T/h.json" '[x["disk_write_bytes"] for x in r[0]["points"]]')" "[400, 1000, 16]"
q process 4242 >"$T/p.json" || fail "process from the database failed"
eq "stored process" "$(json "$T/p.json" '(r[0]["live"], r[0]["exe"])')" "(False, '/usr/bin/old')"
q files 4242 >"$T/f.json" || fail "files from the database failed"
eq "stored files" "$(json "$T/f.json" '[(x["path"], x["write_bytes"]) for x in r[0]["files"]]')" "[('/var/log/old.log', 350), ('/var/log/new.log', 7)]"
eq "paths last used when rolled up" "$(sq "SELECT group_concat(id || ':' || (last_ts - $old), ' ') FROM paths")" "1:3600 2:$(( recent + 3600 - old ))"
stop_d

# Hourly rows older than --keep-hours go too.
start_d --window 1 --keep-minutes 7 --keep-hours 5
i=0
while [ $i -lt 60 ] && [ "$(sq 'SELECT count(*) FROM proc_hour')" != 1 ]; do sleep 1; i=$((i + 1)); done
eq "old hour rows deleted" "$(sq 'SELECT group_concat(ts) FROM proc_hour')" "$recent"
# ... and then the path only they referred to; the recent one stays.
i=0
while [ $i -lt 60 ] && [ "$(sq 'SELECT count(*) FROM paths')" != 1 ]; do sleep 1; i=$((i + 1)); done
eq "unreferenced path removed" "$(sq 'SELECT group_concat(path) FROM paths')" /var/log/new.log
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
stop_d
exit 0
