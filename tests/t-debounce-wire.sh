#!/bin/sh
# t-debounce-wire.sh - issue 19: the debounce counts reach the collector.
# A real python program saves a JSON state (json.dump to a temporary
# file + os.replace) 500 times a second under IOSHIM_DEBOUNCE, reporting
# to a real ioshimd; another runs as uid 65534.  For each, the database
# (sqlite3: file_min, proc_min, exe_min), `ioshim query` (process, files,
# top by=file) and `ioshim report --json` hold the exit report's
# saves_absorbed, saves_written and bytes_saved for that process and
# file.  Uid 65534 sees its own figures and none of root's.  An
# IW_DEBOUNCE datagram whose row exceeds its sums, or with padding set,
# is rejected (malformed field, row).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
. "$TOP/tests/progs/co_lib.sh"
as_nobody	# $AS runs a command as uid 65534 (collector_lib.sh)
[ -f "$SHIM" ] || skip "shim not built"
SAVER=$TOP/tests/progs/db_saver.py
nq() { $AS "$IOSHIM" query --socket "$S" "$@"; }
mkdir "$T/r" "$T/n"
chown 65534:65534 "$T/n"

start_d --shared
# save UID_RUN DIR: the saver under the shim, 2 s at 500 saves/s, 200 ms
# window; prints its pid (from its exit report)
save() {
	$1 env IOSHIM_SOCKET="$S" IOSHIM_INTERVAL_MS=100 IOSHIM_REPORT="$2/r.rep" \
	    IOSHIM_DEBOUNCE="$2/*.json=200" LD_PRELOAD="$SHIM" \
	    $PY "$SAVER" "$2/state.json" 2 500 >"$2/n.out" || fail "saver in $2 failed"
}
save "" "$T/r" & a=$!
save "$AS" "$T/n" & b=$!
wait $a || fail "root's saver failed"
wait $b || fail "nobody's saver failed"
q flush >/dev/null || fail "flush failed"

# fig DIR KEY: the exit report's per-file figure; tot DIR KEY: the sums
fig() { json "$1/r.rep" "[f['$2'] for x in r for f in x.get('debounce', {}).get('files', []) if f['path'] == '$1/state.json'][0]"; }
tot() { json "$1/r.rep" "sum(x.get('debounce', {}).get('$2', 0) for x in r)"; }
rpid=$(json "$T/r/r.rep" 'r[0]["pid"]')
npid=$(json "$T/n/r.rep" 'r[0]["pid"]')
for d in r n; do
	eq "$d: absorbed + written = saves" "$(( $(fig "$T/$d" saves_absorbed) + $(fig "$T/$d" saves_written) ))" "$(cat "$T/$d/n.out")"
	[ "$(fig "$T/$d" saves_absorbed)" -gt 0 ] || fail "$d: nothing absorbed: the window held nothing"
done
note "root's saver: $(fig "$T/r" saves_absorbed) absorbed, $(fig "$T/r" saves_written) written, $(fig "$T/r" bytes_saved) bytes saved"

for d in r n; do
	pid=$(json "$T/$d/r.rep" 'r[0]["pid"]')
	want="$(fig "$T/$d" saves_absorbed)|$(fig "$T/$d" saves_written)|$(fig "$T/$d" bytes_saved)"
	eq "$d: file_min of the file" "$(sq "SELECT sum(f.saves_absorbed), sum(f.saves_written), sum(f.bytes_saved)
	    FROM file_min f JOIN paths p ON p.id = f.path JOIN images i ON i.id = f.image
	    WHERE p.path = '$T/$d/state.json' AND i.pid = $pid")" "$want"
	eq "$d: proc_min of the process" "$(sq "SELECT sum(m.saves_absorbed), sum(m.saves_written), sum(m.bytes_saved)
	    FROM proc_min m JOIN images i ON i.id = m.image WHERE i.pid = $pid")" \
	    "$(tot "$T/$d" saves_absorbed)|$(tot "$T/$d" saves_written)|$(tot "$T/$d" bytes_saved)"
done
eq "exe_min: both" "$(sq "SELECT sum(saves_absorbed), sum(saves_written), sum(bytes_saved) FROM exe_min")" \
    "$(( $(tot "$T/r" saves_absorbed) + $(tot "$T/n" saves_absorbed) ))|$(( $(tot "$T/r" saves_written) + $(tot "$T/n" saves_written) ))|$(( $(tot "$T/r" bytes_saved) + $(tot "$T/n" bytes_saved) ))"

# keys KEYS...: python expression of a row's (saves_absorbed, ...)
K='(x["saves_absorbed"], x["saves_written"], x["bytes_saved"])'
want_r="[($(fig "$T/r" saves_absorbed), $(fig "$T/r" saves_written), $(fig "$T/r" bytes_saved))]"
want_n="[($(fig "$T/n" saves_absorbed), $(fig "$T/n" saves_written), $(fig "$T/n" bytes_saved))]"
q files "$rpid" >"$T/f.json" || fail "query files failed"
eq "query files: root's file" "$(json "$T/f.json" "[$K for x in r[0]['files'] if x['path'] == '$T/r/state.json']")" "$want_r"
q process "$rpid" >"$T/p.json" || fail "query process failed"
eq "query process: totals" "$(json "$T/p.json" "[(lambda x: $K)(r[0]['totals'])]")" \
    "[($(tot "$T/r" saves_absorbed), $(tot "$T/r" saves_written), $(tot "$T/r" bytes_saved))]"
q top by=file from=-1h limit=1000 >"$T/t.json" || fail "query top by=file failed"
eq "query top by=file: root's file" "$(json "$T/t.json" "[$K for x in r[0]['rows'] if x['path'] == '$T/r/state.json']")" "$want_r"
eq "query top by=file: nobody's file" "$(json "$T/t.json" "[$K for x in r[0]['rows'] if x['path'] == '$T/n/state.json']")" "$want_n"
"$IOSHIM" report --socket "$S" --since 1h --by file --limit 1000 --json >"$T/rep.json" || fail "report --json failed"
eq "report --json --by file: root's file" "$(json "$T/rep.json" "[$K for x in r[0]['rows'] if x['path'] == '$T/r/state.json']")" "$want_r"
"$IOSHIM" report --socket "$S" --since 1h --by file --limit 1000 >"$T/rep.txt" || fail "report failed"
grep -q "SAVES-ABS" "$T/rep.txt" || fail "report's table has no SAVES-ABS column: $(cat "$T/rep.txt")"
grep -q "debounce absorbed" "$T/rep.txt" || fail "report's totals line has no debounce part"

# uid 65534: its own figures, nothing of root's
nq files "$rpid" >"$T/nf.json" 2>&1 && fail "nobody saw root's files"
nq process "$rpid" >/dev/null 2>&1 && fail "nobody saw root's process"
nq top by=file from=-1h limit=1000 >"$T/nt.json" || fail "nobody: top by=file failed"
eq "nobody: top by=file directories under \$T" "$(json "$T/nt.json" "sorted(set(x['path'].rsplit('/', 1)[0] for x in r[0]['rows'] if x['path'].startswith('$T/')))")" "['$T/n']"
eq "nobody: its own file's figures" "$(json "$T/nt.json" "[$K for x in r[0]['rows'] if x['path'] == '$T/n/state.json']")" "$want_n"
$AS "$IOSHIM" report --socket "$S" --since 1h --by file --limit 1000 --json >"$T/nrep.json" || fail "nobody: report failed"
grep -q "$T/r/" "$T/nrep.json" && fail "nobody's report shows root's file"
eq "nobody: report --json totals" "$(json "$T/nrep.json" "[$K for x in [r[0]['totals']]]")" \
    "[($(tot "$T/n" saves_absorbed), $(tot "$T/n" saves_written), $(tot "$T/n" bytes_saved))]"
nq files "$npid" >"$T/nf.json" || fail "nobody: own files failed"
eq "nobody: query files of its own" "$(json "$T/nf.json" "[$K for x in r[0]['files'] if x['path'] == '$T/n/state.json']")" "$want_n"

# malformed IW_DEBOUNCE datagrams: a row above the sums (field), padding
# set (row); nothing of them stored
bad() {
	$PY - "$S" "$1" <<'PY'
import socket, struct, sys
kind = sys.argv[2]
p = b"/x/bad.json"
row = struct.pack('<HB5sQQQ', len(p), 0, b"\1\0\0\0\0" if kind == "pad" else bytes(5), 9, 1, 100) + p
row += bytes(-len(row) % 8)
body = struct.pack('<IIQQQ', 1, 0, 5 if kind == "above" else 9, 1, 100) + row
msg = struct.pack('<IHHIIQQQ', 0x4853494f, 1, 4, 40 + len(body), 1, 1, 1, 1) + body
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(msg, sys.argv[1])
PY
}
mal() { q health | $PY -c "import json, sys; print(json.load(sys.stdin)['messages']['malformed_by_reason']['$1'])"; }
f0=$(mal field) r0=$(mal row)
bad above || fail "cannot send"
bad pad || fail "cannot send"
i=0
while [ "$(mal field)" = "$f0" ] || [ "$(mal row)" = "$r0" ]; do
	[ $i -lt 100 ] || break
	sleep 0.1; i=$((i + 1))
done
eq "row above the sums: malformed field" "$(mal field)" $((f0 + 1))
eq "padding set: malformed row" "$(mal row)" $((r0 + 1))
q flush >/dev/null
eq "nothing of them stored" "$(sq "SELECT count(*) FROM paths WHERE path = '/x/bad.json'")" 0
stop_d
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
