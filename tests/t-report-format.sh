#!/bin/sh
# t-report-format.sh - numbers as printed by report and top: dd makes
# 1,000,000 one-byte appends through 4 KiB coalescing buffers, so at least
# 245 write calls reach the kernel (1e6 / 4096) and fewer than 1000: the
# saving is 99.9..99.976 %, never 100 %, in the table ("99.9%"), --json and
# --csv (< 100).  The PID column of "report" is right-aligned under its
# header; top's sort marker is set apart from its header ("DISK WRITE v").
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
command -v dd >/dev/null || skip "no dd"
start_d
IOSHIM_SOCKET=$S IOSHIM_BUFFER_KB=4 IOSHIM_FLUSH_MS=86400000 IOSHIM_FLUSH_ON= \
    "$IOSHIM" run --report "$T/r.jsonl" -- dd if=/dev/zero of="$T/log" \
    bs=1 count=1000000 oflag=append conv=notrunc status=none ||
    fail "dd failed"
eq "bytes in the file" "$(stat -c %s "$T/log")" 1000000
fl=$(json "$T/r.jsonl" '[x["coalesce"]["syscalls"] for x in r][0]')
note "dd: $fl write calls reached the kernel"
[ "$fl" -ge 245 ] && [ "$fl" -lt 1000 ] || fail "dd made $fl write calls"
q flush >/dev/null || fail "flush failed"

"$IOSHIM" report --socket "$S" --since 1h --by exe >"$T/exe.txt" || fail "report"
cat "$T/exe.txt"
eq "table SAVED" "$(awk '/\/dd \(/ { print $8 }' "$T/exe.txt")" "99.9%"
"$IOSHIM" report --socket "$S" --since 1h --by exe --json >"$T/exe.json" ||
    fail "report --json"
eq "json saved_pct < 100" "$(json "$T/exe.json" '[x["saved_pct"] < 100 for x in r[0]["rows"] if x["exe"].endswith("/dd")][0]')" True
"$IOSHIM" report --socket "$S" --since 1h --by exe --csv >"$T/exe.csv" ||
    fail "report --csv"
eq "csv saved_pct < 100" "$(python3 -c '
import csv, sys
r = [x for x in csv.DictReader(open(sys.argv[1])) if x["exe"].endswith("/dd")]
print(float(r[0]["saved_pct"]) < 100)' "$T/exe.csv")" True

"$IOSHIM" report --socket "$S" --since 1h >"$T/proc.txt" || fail "report"
cat "$T/proc.txt"
# the PID header's last letter and the pid's last digit share a column
hdr=$(grep "PID USER" "$T/proc.txt")
row=$(grep " dd (" "$T/proc.txt")
pidend=$(printf '%s\n' "$hdr" | awk '{ print index($0, "PID USER") + 2 }')
rowpid=$(printf '%s\n' "$row" | cut -c"$((pidend - 6))-$pidend" | tr -d ' ')
[ -n "$rowpid" ] && [ "$rowpid" -gt 0 ] 2>/dev/null ||
    fail "no pid ends under PID: '$row'"
eq "pid right after it" "$(printf '%s\n' "$row" | cut -c$((pidend + 1)))" " "

"$IOSHIM" top --socket "$S" -b -n 1 --sort write >"$T/top.txt" || fail "top"
grep -q "DISK WRITE v" "$T/top.txt" || fail "sort marker: $(grep PID "$T/top.txt")"
grep -q "WRITEv" "$T/top.txt" && fail "sort marker glued to its header"
echo "ok: top: DISK WRITE v"
stop_d
