#!/bin/sh
# t-health-metrics.sh - /metrics tells the database's real footprint and
# the histograms the collector keeps: ioshim_collector_database_bytes has
# one series per file (db, wal, shm), each the room that file takes on
# disk (st_blocks x 512, what du counts), so the WAL is no longer missing;
# the write sizes of real programs under the shim are the Prometheus
# histogram ioshim_write_size_bytes (cumulative le buckets, _sum, _count)
# and fsync time is the histogram ioshim_fsync_duration_seconds (buckets
# 100 us .. 1 s, cumulative, _count the fsync-family calls strace saw);
# no uid or user label.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
CHECK="$PY $TOP/tests/http_check.py"
m() { $CHECK value "$T/m" "$1" "$2"; }

start_d
# 10 writes of 50 bytes, 5 of 500, 2 of 5000 (and one fsync) to files
shimmed dd if=/dev/zero of="$T/a" bs=50 count=10 2>/dev/null || fail "dd a"
shimmed dd if=/dev/zero of="$T/b" bs=500 count=5 2>/dev/null || fail "dd b"
# the fsync family, counted by strace: dd's one, then (after the sizes
# above are checked: python writes too) 8 fsync and 3 fdatasync calls
command -v strace >/dev/null || skip "no strace"
FS=fsync,fdatasync,sync_file_range
strace -f -qq -o "$T/st.c" -e trace=$FS env IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 \
    LD_PRELOAD=$SHIM dd if=/dev/zero of="$T/c" bs=5000 count=2 conv=fsync 2>/dev/null || fail "dd c"
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
strace -f -qq -o "$T/st.d" -e trace=$FS env IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 \
    LD_PRELOAD=$SHIM $PY -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for i in range(11):
    os.write(fd, b"x" * 4096)
    if i < 8:
        os.fsync(fd)
    else:
        os.fdatasync(fd)
os.close(fd)' "$T/d" || fail "python fsyncs"
k=$(cat "$T/st.c" "$T/st.d" | grep -cE '^[0-9]+ +(fsync|fdatasync|sync_file_range)\(')
note "strace: $k fsync-family calls"
[ "$k" -eq 12 ] || fail "strace saw $k fsync-family calls, not 12"
i=0
while scrape >"$T/m" && [ "$(m ioshim_fsync_duration_seconds_count class=disk)" != "$k" ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "fsync _count (strace's)" "$(m ioshim_fsync_duration_seconds_count class=disk)" "$k"
eq "fsync le=+Inf" "$(m ioshim_fsync_duration_seconds_bucket 'class=disk,le=\+Inf')" "$k"
b=
for le in 0.0001 0.001 0.01 0.1 1 +Inf; do
	b="$b $(m ioshim_fsync_duration_seconds_bucket "class=disk,le=$(echo "$le" | sed 's/[.+]/\\&/g')\$")"
done
note "fsync buckets:$b"
echo "$b" | awk '{ for (i = 2; i <= NF; i++) if ($i < $(i - 1)) exit 1 }' ||
    fail "fsync buckets not cumulative:$b"
echo "ok: fsync buckets cumulative"
eq "fsync bucket bounds" "$(sed -n 's/^ioshim_fsync_duration_seconds_bucket{class="disk",le="\([^"]*\)"}.*/\1/p' "$T/m" | tr '\n' ' ')" \
    "0.0001 0.001 0.01 0.1 1 +Inf "
awk '$1 ~ /^ioshim_fsync_duration_seconds_sum\{class="disk"\}/ { ok = $2 > 0 } END { exit !ok }' "$T/m" ||
    fail "fsync _sum is not positive"
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
# makes no transaction; but the first window of an hour does (the hourly
# rollup writes rolled_upto): not from the flush to the stat below.
in_hour 0 20
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
