#!/bin/sh
# t-http-metrics.sh - ioshimd --http: /metrics passes `promtool check
# metrics` and the format rules, per-executable counters are exact, never
# go down as executables move in and out of the top N, label values are
# escaped, the series add up to what SQLite stored; /health is the socket's
# health; non-loopback addresses are refused without --http-any.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
command -v promtool >/dev/null || skip "no promtool (Debian package prometheus)"
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
[ -f "$SHIM" ] || skip "shim not built"
CHECK="$PY $TOP/tests/http_check.py"

# Refusals happen before anything is created.
for bad in "0.0.0.0:$PORT" "[::]:$PORT" "192.0.2.1:$PORT" "nonsense" "127.0.0.1:0" "127.0.0.1:99999"; do
	if "$IOSHIMD" --foreground --socket "$S" --db "$DB" --http "$bad" 2>"$T/err"; then
		fail "--http $bad was accepted"
	fi
	note "--http $bad: $(cat "$T/err")"
done
"$IOSHIMD" --foreground --socket "$S" --db "$DB" --http "0.0.0.0:$PORT" 2>"$T/err" && fail "0.0.0.0 accepted"
grep -q -- "--http-any" "$T/err" || fail "the refusal does not mention --http-any: $(cat "$T/err")"
"$IOSHIMD" --foreground --socket "$S" --db "$DB" --http-any 2>/dev/null && fail "--http-any alone accepted"
[ ! -e "$S" ] || fail "a refused start left $S behind"

# --http-any with a loopback address is fine; top 2 executables.
start_d --http-any --metrics-top 2
curl -fsS -D "$T/hdr" -o "$T/m0" "$URL/metrics" || fail "GET /metrics"
eq "content type" "$(sed -n 's/^Content-Type: \(.*\)\r$/\1/p' "$T/hdr")" "text/plain; version=0.0.4; charset=utf-8"
curl -fsS -D "$T/hh" -o "$T/health" "$URL/health" || fail "GET /health"
eq "health content type" "$(sed -n 's/^Content-Type: \(.*\)\r$/\1/p' "$T/hh")" "application/json"
eq "health = socket health" "$($CHECK health "$S.ctl" "$T/health")" ok

# A dd under a name that needs escaping (quote, backslash, newline).
WEIRD="$T/$(printf 'we"ird\\dd\nx')"
cp "$(command -v dd)" "$WEIRD"
shimmed "$WEIRD" if=/dev/zero of="$T/w" bs=4096 count=200 2>/dev/null || fail "weird dd"
shimmed $PY -c 'open("'"$T"'/p", "wb").write(b"x" * 123456)' || fail "python"
sleep 0.6
scrape >"$T/m1" || fail "scrape 1"
eq "format 1" "$($CHECK format "$T/m1")" ok
out=$(promtool check metrics <"$T/m1" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || fail "promtool check metrics: rc $rc: $out"
echo "ok: promtool check metrics: no problems"
grep -F 'ioshim_write_bytes_total{exe="'"$T"'/we\"ird\\dd\nx",class="disk"} 819200' "$T/m1" >/dev/null ||
    { grep write_bytes_total "$T/m1"; fail "escaped exe label with 819200 disk bytes missing"; }
echo "ok: label value escaped"
py1=$($CHECK value "$T/m1" ioshim_write_bytes_total 'class=disk,exe=.*python3')
[ "$py1" -ge 123456 ] || fail "python3 disk write bytes $py1 < 123456"
echo "ok: python3 disk write bytes $py1"
eq "writes of the weird dd" "$($CHECK value "$T/m1" ioshim_writes_total 'class=disk,exe=.*we"ird')" 200

# dd beats both: python3 drops into (other); then python3 comes back on top.
shimmed dd if=/dev/zero of="$T/d" bs=4096 count=300 2>/dev/null || fail "dd"
sleep 0.6
scrape >"$T/m2" || fail "scrape 2"
eq "dd disk bytes" "$($CHECK value "$T/m2" ioshim_write_bytes_total 'class=disk,exe=/usr/bin/dd$')" 1228800
eq "executables in m2 (top 2 + other)" "$($CHECK exes "$T/m2" ioshim_write_bytes_total)" 3
# python3 is out: its series stops; (other) gets only what it does from now.
eq "python3 series in m2" "$(grep -c '^ioshim_write_bytes_total{exe="[^"]*python3' "$T/m2")" 0
eq "(other) in m2" "$($CHECK value "$T/m2" ioshim_write_bytes_total 'class=disk,exe=\(other\)')" 0
shimmed $PY -c 'open("'"$T"'/p2", "wb").write(b"y" * 2000000)' || fail "python 2"
for i in 1 2 3; do shimmed sh -c 'echo hi >"$1"' sh "$T/sh$i" || fail "sh"; done
sleep 0.6
scrape >"$T/m3" || fail "scrape 3"
scrape >"$T/m4" || fail "scrape 4"
py3=$($CHECK value "$T/m3" ioshim_write_bytes_total 'class=disk,exe=.*python3')
eq "python3 back in the top 2, counting on" "$py3" $((py1 + 2000000))
eq "(other) holds the 3 sh (3 bytes each)" "$($CHECK value "$T/m3" ioshim_write_bytes_total 'class=disk,exe=\(other\)')" 9
eq "monotonic over 5 scrapes" "$($CHECK monotonic "$T/m0" "$T/m1" "$T/m2" "$T/m3" "$T/m4")" ok
for f in m2 m3 m4; do
	eq "format $f" "$($CHECK format "$T/$f")" ok
	out=$(promtool check metrics <"$T/$f" 2>&1) || fail "promtool $f: $out"
	[ -z "$out" ] || fail "promtool $f: $out"
done
eq "m3 = m4 (nothing moved)" "$(grep -v '^ioshim_collector\|^#' "$T/m3" | md5sum)" "$(grep -v '^ioshim_collector\|^#' "$T/m4" | md5sum)"

# The series add up to what the database stored.
"$IOSHIM" query --socket "$S" flush >/dev/null || fail "flush"
scrape >"$T/m5" || fail "scrape 5"
# Every series' last value, summed (an executable that left the top N keeps
# its last value; what it did later is in (other)): nothing lost or doubled.
tot=$($CHECK lastsum ioshim_write_bytes_total 'class=disk' "$T"/m[0-5])
db=$(sqlite3 "$DB" 'SELECT sum(disk_write_bytes) FROM proc_min')
eq "sum of series = stored disk write bytes" "$tot" "$db"
eq "monotonic incl. m5" "$($CHECK monotonic "$T"/m[0-5])" ok
grep -q '^ioshim_collector_windows_stored_total [1-9]' "$T/m5" || fail "windows stored"
grep -q '^ioshim_collector_messages_received_total [1-9]' "$T/m5" || fail "messages received"
grep -q '^ioshim_collector_database_bytes{file="db"} [1-9]' "$T/m5" || fail "database bytes"
alive
stop_d

# More executables than the table holds (1024), top 500, and a name that
# is not UTF-8: bounded series, valid output, nothing lost.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_d --metrics-top 500
BAD="$T/$(printf 'bad\377name')"
cp "$(command -v dd)" "$BAD"
shimmed "$BAD" if=/dev/zero of="$T/b" bs=4096 count=2 2>/dev/null || fail "bad-name dd"
"$(prog wire_send)" "$S" stream 1100 2 0 0 exes=1100 >"$T/tot" || fail "wire_send"
sleep 0.5
scrape >"$T/n1" || fail "scrape n1"
eq "format n1" "$($CHECK format "$T/n1")" ok
out=$(promtool check metrics <"$T/n1" 2>&1) || fail "promtool n1: $out"
[ -z "$out" ] || fail "promtool n1: $out"
grep -q '^ioshim_write_bytes_total{exe="[^"]*/bad?name",class="disk"} 8192$' "$T/n1" || fail "bad UTF-8 name not shown as bad?name"
eq "executables tracked" "$(sed -n 's/^ioshim_collector_executables //p' "$T/n1")" 1024
grep -q '^ioshim_collector_executables_overflow_total [1-9]' "$T/n1" || fail "no overflow counted"
eq "distinct exe labels (500 + other)" "$($CHECK exes "$T/n1" ioshim_write_bytes_total)" 501
eq "all bytes accounted" "$($CHECK value "$T/n1" ioshim_write_bytes_total 'class=disk')" $(( $(sed -n 's/^disk_write_bytes=//p' "$T/tot") + 8192 ))
alive
stop_d
exit 0
