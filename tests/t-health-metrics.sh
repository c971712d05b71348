#!/bin/sh
# t-health-metrics.sh - /metrics tells the database's real footprint and
# the histograms the collector keeps: ioshim_collector_database_bytes has
# one series per file (db, wal, shm), each the room that file takes on
# disk (st_blocks x 512, what du counts), so the WAL is no longer missing;
# the write sizes of real programs under the shim are the Prometheus
# histogram ioshim_write_size_bytes (cumulative le buckets, _sum, _count)
# and fsync time is ioshim_fsync_duration_seconds; no uid or user label.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
CHECK="$PY $TOP/tests/http_check.py"
m() { $CHECK value "$T/m" "$1" "$2"; }

start_d
# 10 writes of 50 bytes, 5 of 500, 2 of 5000 (and one fsync) to files
shimmed dd if=/dev/zero of="$T/a" bs=50 count=10 2>/dev/null || fail "dd a"
shimmed dd if=/dev/zero of="$T/b" bs=500 count=5 2>/dev/null || fail "dd b"
shimmed dd if=/dev/zero of="$T/c" bs=5000 count=2 conv=fsync 2>/dev/null || fail "dd c"
i=0
while scrape >"$T/m" && [ "$(m ioshim_write_size_bytes_count class=disk)" != 17 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "le=99" "$(m ioshim_write_size_bytes_bucket 'class=disk,le=99$')" 10
eq "le=999" "$(m ioshim_write_size_bytes_bucket 'class=disk,le=999$')" 15
eq "le=9999" "$(m ioshim_write_size_bytes_bucket 'class=disk,le=9999$')" 17
eq "le=+Inf" "$(m ioshim_write_size_bytes_bucket 'class=disk,le=\+Inf')" 17
eq "_count" "$(m ioshim_write_size_bytes_count class=disk)" 17
eq "_sum (bytes)" "$(m ioshim_write_size_bytes_sum class=disk)" 13000
eq "fsync _count" "$(m ioshim_fsync_duration_seconds_count class=disk)" 1
eq "fsync le=+Inf" "$(m ioshim_fsync_duration_seconds_bucket 'class=disk,le=\+Inf')" 1
grep -q '^# TYPE ioshim_write_size_bytes histogram$' "$T/m" || fail "write sizes: no TYPE histogram"
grep -q '^# TYPE ioshim_fsync_duration_seconds histogram$' "$T/m" || fail "fsync: no TYPE histogram"
grep -E '^ioshim_(write_size_bytes|fsync_duration_seconds)' "$T/m" | grep -Eq 'uid=|user=' &&
    fail "a histogram has a uid or user label"
echo "ok: histograms without uid or user labels"
eq "format" "$($CHECK format "$T/m")" ok
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$T/m" 2>&1) || fail "promtool check metrics: $out"
	[ -z "$out" ] || fail "promtool check metrics: $out"
	echo "ok: promtool check metrics"
fi

# The database's files, on disk.  Nothing is written between the flush
# and the scrape: no process reports, and a window with nothing to store
# makes no transaction.
"$IOSHIM" query --socket "$S" flush >/dev/null || fail "flush"
scrape >"$T/m" || fail "scrape"
for f in db wal shm; do
	case $f in db) p=$DB ;; *) p=$DB-$f ;; esac
	want=$(stat -c '%b %B' "$p" | awk '{ print $1 * $2 }')
	eq "database_bytes{file=$f}" "$(m ioshim_collector_database_bytes "file=$f")" "$want"
done
[ "$(m ioshim_collector_database_bytes file=wal)" -gt 0 ] || fail "the WAL counts 0 bytes"
stop_d
exit 0
