#!/bin/sh
# t-report-svg.sh - "ioshim report" over windows a real ioshimd stored
# while shimmed python and perl appended known byte counts: the table,
# --json and --csv agree with the workload and with the database (sqlite3);
# --svg is valid XML (xmllint) and renders to PNG (rsvg-convert).  Also
# nonsense time ranges and bad flags.
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
PY=/usr/bin/python3
[ -x $PY ] || skip "no $PY"
command -v perl >/dev/null || skip "no perl"
command -v xmllint >/dev/null || skip "no xmllint (apt-get install libxml2-utils)"
command -v rsvg-convert >/dev/null || skip "no rsvg-convert (apt-get install librsvg2-bin)"
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
S=$T/s.sock DPID=
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; rm -rf "$T"' EXIT
"$IOSHIMD" --foreground --socket "$S" --db "$T/db" --window 2 \
    --pidfile "$T/pid" 2>"$T/d.log" &
DPID=$!
collector_ready $DPID
rep() { "$IOSHIM" report --socket "$S" "$@"; }

NP=800000 NL=300000
export IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200
"$IOSHIM" run -- $PY -c '
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2]) // 100):
        f.write("p" * 99 + "\n")
        if i % 500 == 0:
            time.sleep(0.05)
' "$T/py.log" $NP &
P1=$!
sleep 1
"$IOSHIM" run -- perl -e '
open(my $f, ">>", $ARGV[0]) or die;
for (1 .. $ARGV[1] / 50) { print $f "l" x 49, "\n"; select(undef, undef, undef, 0.002) if $_ % 200 == 0 }
close $f;' "$T/pl.log" $NL || fail "perl workload failed"
wait $P1 || fail "python workload failed"
# One basename at two paths (as python3.11 in /usr/bin and in a venv).
mkdir "$T/a" "$T/b"
cp "$(command -v dd)" "$T/a/dd" && cp "$(command -v dd)" "$T/b/dd" ||
    fail "cannot copy dd"
"$IOSHIM" run -- "$T/a/dd" if=/dev/zero of="$T/a.out" bs=1000 count=200 \
    status=none || fail "dd a failed"
"$IOSHIM" run -- "$T/b/dd" if=/dev/zero of="$T/b.out" bs=1000 count=100 \
    status=none || fail "dd b failed"
unset IOSHIM_SOCKET IOSHIM_INTERVAL_MS
sleep 2.5
"$IOSHIM" query --socket "$S" flush >/dev/null || fail "flush failed"

rep --since 5m --by exe --json >"$T/r.json" || fail "report --json failed"
cat "$T/r.json"
pyexe=$(json "$T/r.json" "[x['exe'] for x in r[0]['rows'] if 'python' in x['exe']][0]")
plexe=$(json "$T/r.json" "[x['exe'] for x in r[0]['rows'] if 'perl' in x['exe']][0]")
eq "python's bytes in the report" "$(json "$T/r.json" "[x['disk_write_bytes'] for x in r[0]['rows'] if x['exe'] == '$pyexe'][0]")" $NP
eq "perl's bytes in the report" "$(json "$T/r.json" "[x['disk_write_bytes'] for x in r[0]['rows'] if x['exe'] == '$plexe'][0]")" $NL
db=$(sqlite3 "$T/db" "SELECT sum(m.disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe = '$pyexe'")
eq "python's bytes in the database" "$db" $NP
eq "report totals = all stored windows" \
    "$(json "$T/r.json" 'r[0]["totals"]["disk_write_bytes"]')" \
    "$(sqlite3 "$T/db" 'SELECT sum(disk_write_bytes) FROM proc_min')"
sp=$(json "$T/r.json" "[x['saved_pct'] for x in r[0]['rows'] if x['exe'] == '$pyexe'][0]")
note "python: coalescing saved $sp% of its write calls"
$PY -c "import sys; sys.exit(0 if $sp > 50 else 1)" || fail "python saved only $sp%"

# The table and CSV say the same.
rep --since 5m --by exe >"$T/r.txt" || fail "report failed"
cat "$T/r.txt"
grep -q "EXECUTABLE" "$T/r.txt" || fail "table has no header"
grep -q "$pyexe" "$T/r.txt" || fail "table lacks $pyexe"
grep -q "coalescing kept" "$T/r.txt" || fail "table has no coalescing total"
rep --since 5m --by exe --csv >"$T/r.csv" || fail "report --csv failed"
eq "csv python bytes" "$($PY -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if "python" in r["exe"]: print(r["disk_write_bytes"])' "$T/r.csv")" $NP
rep --since 5m --by process --limit 1 --json >"$T/p.json" || fail "--by process failed"
eq "--limit 1 rows" "$(json "$T/p.json" 'len(r[0]["rows"])')" 1
eq "top process is python" "$(json "$T/p.json" 'r[0]["rows"][0]["disk_write_bytes"]')" $NP
rep --since 5m --by file --json >"$T/f.json" || fail "--by file failed"
eq "py.log bytes" "$(json "$T/f.json" "[x['write_bytes'] for x in r[0]['rows'] if x['path'] == '$T/py.log'][0]")" $NP
rep --since 5m --by class --json >"$T/c.json" || fail "--by class failed"
eq "disk class bytes" "$(json "$T/c.json" "[x['write_bytes'] for x in r[0]['rows'] if x['class'] == 'disk'][0]")" \
    "$(json "$T/r.json" 'r[0]["totals"]["disk_write_bytes"]')"
now=$(date +%s)
rep --from "@$((now - 300))" --to now --by exe --json >"$T/ft.json" || fail "--from/--to failed"
eq "--from/--to python bytes" "$(json "$T/ft.json" "[x['disk_write_bytes'] for x in r[0]['rows'] if x['exe'] == '$pyexe'][0]")" $NP

# The chart.
rep --since 5m --svg "$T/chart.svg" >/dev/null || fail "report --svg failed"
xmllint --noout "$T/chart.svg" || fail "the SVG is not well-formed XML"
echo "ok: xmllint accepts the SVG"
grep -q "perl" "$T/chart.svg" || fail "legend lacks perl"
grep -q "python3" "$T/chart.svg" || fail "legend lacks python3"
grep -q "coalescing" "$T/chart.svg" || fail "no coalescing savings marked"
grep -q "/s</text>" "$T/chart.svg" || fail "no rate units on the axis"
# The legend tells the two dd apart; the axes name their units; the
# savings swatch is not an executable's legend entry; the strip's scale
# has a name.
$PY - "$T/chart.svg" "$T" <<'PY' || fail "the chart's labels are ambiguous"
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
texts = [(t.get("x"), "".join(t.itertext()) if t.find(ns + "title") is None
          else (t.text or "")) for t in ET.parse(sys.argv[1]).iter(ns + "text")]
legend = [s.strip() for x, s in texts if x == "752"]
print("legend:", legend)
dd = [s for s in legend if s.split("  ")[0].endswith("dd")]
assert len(dd) == 2, "two dd entries wanted: %r" % dd
a, b = (s.split("  ")[0] for s in dd)
assert a != b, "the two dd look the same: %r" % a
assert "/a/dd" in a + b and "/b/dd" in a + b, "paths not shown: %r %r" % (a, b)
assert not any("write calls saved" in s for s in legend), "savings in the legend"
ticks = [s for x, s in texts if x == "82"]
print("y ticks:", ticks)
assert any(s.endswith(("B/s", "KiB/s", "MiB/s", "GiB/s")) and " " in s
           for s in ticks), "no unit on the rate axis: %r" % ticks
assert any("calls/s" in s for s in ticks), "the savings scale has no unit"
alltext = " ".join(s for x, s in texts)
assert "bytes per second" in alltext, "the rate axis does not say bytes"
assert "calls/s saved" in alltext, "the savings strip's scale has no name"
PY
echo "ok: two dd told apart, units named, savings outside the legend"
rsvg-convert -o "$T/chart.png" "$T/chart.svg" || fail "rsvg-convert failed"
eq "PNG size" "$($PY -c '
import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$T/chart.png")" 1000x600
[ -n "${IOSHIM_KEEP_PNG:-}" ] && cp "$T/chart.png" "$IOSHIM_KEEP_PNG"

# Nonsense and mistakes: a clear message and status 2 (1: no collector).
rep --from "@$((now - 100))" --to "@$((now - 200))" 2>"$T/e"; eq "--from after --to" $? 2
grep -q "time range is empty" "$T/e" || fail "no message for an empty range"
rep --from "@$((now + 86400))" 2>"$T/e"; eq "--from in the future" $? 2
grep -q "future" "$T/e" || fail "no message for a future range"
rep --since banana 2>"$T/e"; eq "--since banana" $? 2
grep -q "duration" "$T/e" || fail "no message for a bad duration"
rep --from "not a time" 2>/dev/null; eq "--from nonsense" $? 2
rep --since 1h --from 13:00 2>/dev/null; eq "--since with --from" $? 2
rep --to 13:00 2>/dev/null; eq "--to alone" $? 2
rep --by color 2>/dev/null; eq "--by color" $? 2
rep --limit 0 2>/dev/null; eq "--limit 0" $? 2
rep --help >"$T/h"; eq "--help" $? 0
for f in --since --from --to --by --limit --json --csv --svg; do
	grep -q -- "$f" "$T/h" || fail "--help does not mention $f"
done
"$IOSHIM" report --socket "$T/none.sock" 2>"$T/e"; eq "no collector" $? 1
eq "no collector: one line" "$(wc -l <"$T/e" | tr -d ' ')" 1
