#!/bin/sh
# t-collector-overflow.sh - huge but legal counters (every counter of
# 33,000 images raised by 2^48, the most one report may, twice: 2^64 and
# more in all for one executable) saturate at 2^63 - 1 everywhere instead
# of wrapping or failing: the window's exe_min rows, /metrics (a counter
# that wrapped would read as a reset), the hourly rollup (SQLite's sum()
# failed with "integer overflow" every hour from then on, so retention never
# deleted again) and top by=exe (it showed 0 for the executable it ranked
# first).  Then a rollup that fails for another reason (a trigger planted
# in the database) is a health reason, rollup_failing, retention goes on
# meanwhile, and the reason goes once the rollup works again.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
command -v curl >/dev/null || skip "no curl"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MAX=9223372036854775807		# 2^63 - 1
N=33000				# N * 2^48 > 2^63, N * 2^49 > 2^64
h() { q health >"$T/h.json" || fail "health failed"; json "$T/h.json" "r[0]$1"; }
dwb() {	# /metrics: the disk write bytes of /huge
	curl -fsS --max-time 10 "http://127.0.0.1:$PORT/metrics" |
	    sed -n 's|^ioshim_write_bytes_total{exe="/huge",class="disk"} ||p'
}
# sqlite3 with a busy timeout: the collector may be writing
sqw() { sqlite3 -cmd ".timeout 10000" "$DB" "$1"; }
# wait_for DESCRIPTION SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	_d=$1 _n=$(( $2 * 10 )); shift 2
	while ! "$@"; do
		_n=$((_n - 1)); [ $_n -gt 0 ] || fail "timed out: $_d"
		sleep 0.1
	done
}

start_d --max-procs-per-uid 40000 --max-images 40000 --http "127.0.0.1:$PORT" --salvage-every 0
"$SEND" "$S" huge $N 2 go="$T/go" >"$T/huge.out" &
SP=$!
wait_for "first round sent" 120 grep -q "round 1" "$T/huge.out"
received() { [ "$(h '["messages"]["accepted"]')" -ge "$1" ]; }
wait_for "first round received" 120 received $N
v1=$(dwb)
eq "/metrics after 2^48 x $N: saturated" "$v1" $MAX
touch "$T/go"
wait $SP || fail "sender failed"
wait_for "second round received" 120 received $((2 * N))
v2=$(dwb)
eq "/metrics after 2^49 x $N: still saturated, never wrapped" "$v2" $MAX
q flush >/dev/null || fail "flush failed"
# The truth: every image's rows add up to exactly 2^49.
eq "images stored" "$(sq "SELECT count(DISTINCT image) FROM proc_min")" $N
eq "images whose rows are not 2^49" "$(sq "SELECT count(*) FROM (SELECT image, sum(disk_write_bytes) s FROM proc_min GROUP BY image) WHERE s != 562949953421312")" 0
eq "exe_min rows not an integer in 0..2^63-1" "$(sq "SELECT count(*) FROM exe_min WHERE typeof(disk_write_bytes) != 'integer' OR disk_write_bytes < 0 OR typeof(opens) != 'integer' OR opens < 0")" 0
eq "exe_min of /huge saturates" "$(sq "SELECT max(disk_write_bytes) = $MAX OR total(disk_write_bytes) >= $MAX FROM exe_min WHERE exe = '/huge'")" 1
stop_d

# The same rows two hours earlier, not rolled up yet: the rollup sums them
# (sum() of them overflows) and then retention deletes the minute rows
# (--keep-minutes 0: as soon as they are rolled up).
sq "UPDATE proc_min SET ts = ts - 7200; UPDATE file_min SET ts = ts - 7200;
    UPDATE exe_min SET ts = ts - 7200;
    UPDATE meta SET value = (SELECT min(ts) / 3600 * 3600 FROM proc_min) WHERE key = 'rolled_upto';"
hour=$(( $(date +%s) / 3600 * 3600 ))
start_d --max-procs-per-uid 40000 --max-images 40000 --window 1 --keep-minutes 0 --salvage-every 0
rolled() { [ "$(sqw "SELECT value FROM meta WHERE key = 'rolled_upto'")" -ge $hour ]; }
wait_for "the rollup" 60 rolled
gone() { [ "$(sqw "SELECT count(*) FROM proc_min WHERE ts < $hour - 3600")" = 0 ]; }
wait_for "retention after the rollup" 60 gone
eq "health reasons" "$(h '["reasons"]')" "{}"
eq "hourly images whose sum is not 2^49" "$(sq "SELECT count(*) FROM (SELECT image, sum(disk_write_bytes) s FROM proc_hour GROUP BY image) WHERE s != 562949953421312")" 0
eq "hourly images" "$(sq "SELECT count(DISTINCT image) FROM proc_hour")" $N
eq "exe_hour rows not an integer in 0..2^63-1" "$(sq "SELECT count(*) FROM exe_hour WHERE typeof(disk_write_bytes) != 'integer' OR disk_write_bytes < 0")" 0
eq "exe_hour of /huge saturates" "$(sq "SELECT total(disk_write_bytes) >= $MAX FROM exe_hour WHERE exe = '/huge'")" 1
# From 4 hours back: the rows are 2 hours older than when they were sent,
# in the hour 2 hours before the one they were sent in, and from=-3h began
# after that hour (whose 1-minute rows retention has deleted) when an hour
# began between the sending and this query
q top by=exe from=-4h limit=3 >"$T/top.json" || fail "top failed"
eq "top by=exe: first, saturated" "$(json "$T/top.json" '(r[0]["rows"][0]["exe"], r[0]["rows"][0]["disk_write_bytes"], r[0]["rows"][0]["opens"])')" "('/huge', $MAX, $MAX)"
q top from=-4h limit=1 >"$T/topp.json" || fail "top by process failed"
eq "top by=process: one image's 2^49" "$(json "$T/topp.json" 'r[0]["rows"][0]["disk_write_bytes"]')" 562949953421312
stop_d

# A rollup that fails for another reason is a health reason; retention
# goes on meanwhile (an hourly row older than --keep-hours goes); the
# reason goes once the rollup works.
old=$(( hour - 5 * 86400 ))
sq "INSERT INTO proc_min(ts, image, uid, disk_write_bytes) VALUES ($hour - 1800, 1, 0, 5);
    INSERT INTO proc_hour(ts, image, uid, n, disk_write_bytes) VALUES ($old, 1, 0, 1, 7);
    UPDATE meta SET value = $hour - 3600 WHERE key = 'rolled_upto';
    CREATE TRIGGER planted BEFORE INSERT ON proc_hour BEGIN SELECT RAISE(ABORT, 'planted by the test'); END;"
eq "planted rows" "$(sq "SELECT count(*) FROM proc_hour WHERE ts = $old")" 1
start_d --window 1 --keep-hours 2 --salvage-every 0
failing() { q health >"$T/h.json" && [ "$(json "$T/h.json" '"rollup_failing" in r[0]["reasons"]')" = True ]; }
wait_for "rollup_failing in health" 60 failing
eq "rollup_failing severity" "$(json "$T/h.json" 'r[0]["reasons"]["rollup_failing"]["severity"]')" failing
eq "rollup_failing says why" "$(json "$T/h.json" '"planted by the test" in r[0]["reasons"]["rollup_failing"]["detail"]')" True
eq "rollup_failing: since when" "$(json "$T/h.json" 'r[0]["reasons"]["rollup_failing"]["since"] > 0')" True
eq "db state still ok" "$(json "$T/h.json" 'r[0]["db"]["state"]')" ok
eq "the state: failing" "$(json "$T/h.json" 'r[0]["state"]')" failing
oldgone() { [ "$(sqw "SELECT count(*) FROM proc_hour WHERE ts = $old")" = 0 ]; }
wait_for "retention while the rollup fails" 60 oldgone
eq "not rolled up" "$(sqw "SELECT value FROM meta WHERE key = 'rolled_upto'")" $((hour - 3600))
sqw "DROP TRIGGER planted;"
healed() { q health >"$T/h.json" && [ "$(json "$T/h.json" 'r[0]["reasons"]')" = "{}" ]; }
wait_for "rollup_failing gone" 60 healed
eq "the state: ok again" "$(json "$T/h.json" 'r[0]["state"]')" ok
eq "rolled up now" "$(sqw "SELECT disk_write_bytes FROM proc_hour WHERE ts = $hour - 3600 AND image = 1")" 5
grep -c "hourly rollup of hour" "$T/d.log" >"$T/nlog"
eq "one log line for the failing rollup" "$(cat "$T/nlog")" 1
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
stop_d
exit 0
