#!/bin/sh
# t-report-file.sh - "ioshim report --file R.jsonl" (no collector) against
# what the workload did: dd appends 1000 blocks of 100 bytes and fsyncs
# once, after a shell wrote its pid to a file; another shell dies of
# SIGTERM.  Every line of the file is a row (--csv), dd's row has its pid,
# bytes, calls, fsync and end; the totals are the bytes the files hold;
# the table shows the same.  A line that is not a record is named, the
# others still summarised, status 1.  --file with a collector option is a
# usage error.
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
command -v dd >/dev/null || skip "no dd"
[ "$(stat -f -c %T "$T")" = tmpfs ] && skip "$T is on tmpfs (disk counts wanted)"
export LC_ALL=C
head -c 100000 /dev/zero >"$T/in"
R=$T/r.jsonl
"$IOSHIM" run --report "$R" -- sh -c "echo \$\$ >'$T/pid'; exec dd \
    if='$T/in' of='$T/out' bs=100 count=1000 oflag=append \
    conv=notrunc,fsync status=none" || fail "dd failed"
"$IOSHIM" run --report "$R" -- sh -c 'kill -TERM $$'
pid=$(cat "$T/pid")
eq "bytes appended" "$(stat -c %s "$T/out")" 100000

"$IOSHIM" report --file "$R" --csv >"$T/r.csv" || fail "--csv failed"
eq "csv rows" "$(($(wc -l <"$T/r.csv") - 1))" "$(wc -l <"$R")"
"$IOSHIM" report --file "$R" --json >"$T/r.json" || fail "--json failed"
d="[x for x in r[0]['records'] if x['comm'] == 'dd'][0]"
eq "dd pid" "$(json "$T/r.json" "$d['pid']")" "$pid"
eq "dd disk_write_bytes" "$(json "$T/r.json" "$d['disk_write_bytes']")" 100000
eq "dd disk_writes" "$(json "$T/r.json" "$d['disk_writes']")" 1000
eq "dd disk_read_bytes" "$(json "$T/r.json" "$d['disk_read_bytes']")" 100000
eq "dd fsyncs" "$(json "$T/r.json" "$d['fsyncs']")" 1
eq "dd end" "$(json "$T/r.json" "$d['end']")" "exit 0"
eq "killed shell's end" "$(json "$T/r.json" "[x['end'] for x in r[0]['records'] if x['end'].startswith('signal')]")" "['signal 15']"
eq "total disk bytes written" "$(json "$T/r.json" "r[0]['totals']['disk_write_bytes']")" \
    "$(($(stat -c %s "$T/out") + $(stat -c %s "$T/pid")))"
eq "json count" "$(json "$T/r.json" "r[0]['count']")" "$(wc -l <"$R")"

"$IOSHIM" report --file "$R" >"$T/r.txt" || fail "table failed"
cat "$T/r.txt"
eq "table: dd row: CALLS, FSYNCS, END" "$(awk -v p="$pid" '$1 == p && $2 == "dd" { print $5, $7, $NF }' "$T/r.txt")" "1000 1 0"
eq "table: dd row: WRITES (the kernel's) below CALLS" "$(awk -v p="$pid" '$1 == p && $2 == "dd" { print ($4 < $5) }' "$T/r.txt")" 1
grep -q "^All $(wc -l <"$R") records" "$T/r.txt" || fail "no totals line"

{ head -n 1 "$R"; echo 'not json'; tail -n 1 "$R"; } >"$T/bad.jsonl"
"$IOSHIM" report --file "$T/bad.jsonl" --csv >"$T/bad.csv" 2>"$T/bad.err"
eq "unreadable line: status" $? 1
grep -q "bad.jsonl:2:" "$T/bad.err" || fail "line 2 not named: $(cat "$T/bad.err")"
eq "unreadable line: other rows" "$(($(wc -l <"$T/bad.csv") - 1))" 2

"$IOSHIM" report --file "$R" --since 1h >/dev/null 2>"$T/err"
eq "--file --since: status" $? 2
"$IOSHIM" report --file "$T/none.jsonl" >/dev/null 2>"$T/err"
eq "missing file: status" $? 1
grep -q "none.jsonl" "$T/err" || fail "missing file not named"
