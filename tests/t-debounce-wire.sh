#!/bin/sh
# t-debounce-wire.sh - issue 19: the debounce counts reach the collector.
# A real python program saves a JSON state (json.dump to a temporary
# file + os.replace) 500 (300) times a second under IOSHIM_DEBOUNCE, reporting
# to a real ioshimd; another runs as uid 65534.  For each, the database
# (sqlite3: file_min, proc_min, exe_min), `ioshim query` (process, files,
# top by=file), `ioshim report --json` and /metrics hold the exit report's
# saves_absorbed, saves_written and bytes_saved for that process and
# file (`ioshim top` while one runs: its figures so far), and so does
# the image `ioshim import` makes of root's exit
# report.  Uid 65534 sees its own figures and none of root's.  An
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

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# From the savers to the import of root's exit report, one clock hour: once
# the next hour began the collector rolled the savers' hour up, and the
# imported record's windows went to hourly rows only (no file_min, proc_min
# rows of it)
in_hour 0 60
start_d --shared --http "127.0.0.1:$PORT"
# save UID_RUN DIR RATE: the saver under the shim, 1 s at RATE saves/s,
# 200 ms window
save() {
	$1 env IOSHIM_SOCKET="$S" IOSHIM_INTERVAL_MS=100 IOSHIM_REPORT="$2/r.rep" \
	    IOSHIM_DEBOUNCE="$2/*.json=200" LD_PRELOAD="$SHIM" \
	    $PY "$SAVER" "$2/state.json" 1 $3 >"$2/n.out" || fail "saver in $2 failed"
}
save "" "$T/r" 500 & a=$!
save "$AS" "$T/n" 300 & b=$!
wait $a || fail "root's saver failed"
wait $b || fail "nobody's saver failed"
q flush >/dev/null || fail "flush failed"

# The exit reports' figures, as shell variables: r_fa r_fw r_fb (root's
# file: saves_absorbed, saves_written, bytes_saved), r_ta r_tw r_tb (its
# sums), r_pid, r_saves; n_... the same for uid 65534's.
eval "$($PY - "$T" <<'PY'
import json, sys
t = sys.argv[1]
for d in "rn":
    r = [json.loads(l) for l in open("%s/%s/r.rep" % (t, d)) if l.strip()]
    db = [x.get("debounce", {}) for x in r]
    f = [g for x in db for g in x.get("files", []) if g["path"] == "%s/%s/state.json" % (t, d)][0]
    print("%s_pid=%d %s_saves=%s" % (d, r[0]["pid"], d, open("%s/%s/n.out" % (t, d)).read().strip()))
    for k, a in (("saves_absorbed", "a"), ("saves_written", "w"), ("bytes_saved", "b")):
        print("%s_f%s=%d %s_t%s=%d" % (d, a, f[k], d, a, sum(x.get(k, 0) for x in db)))
PY
)"
rpid=$r_pid npid=$n_pid
for d in r n; do
	eval "fa=\$${d}_fa fw=\$${d}_fw fb=\$${d}_fb ta=\$${d}_ta tw=\$${d}_tw tb=\$${d}_tb pid=\$${d}_pid saves=\$${d}_saves"
	eq "$d: absorbed + written = saves" "$((fa + fw))" "$saves"
	[ "$fa" -gt 0 ] || fail "$d: nothing absorbed: the window held nothing"
	note "$d: $fa absorbed, $fw written, $fb bytes saved"
	eq "$d: file_min of the file" "$(sq "SELECT sum(f.saves_absorbed), sum(f.saves_written), sum(f.bytes_saved)
	    FROM file_min f JOIN paths p ON p.id = f.path JOIN images i ON i.id = f.image
	    WHERE p.path = '$T/$d/state.json' AND i.pid = $pid")" "$fa|$fw|$fb"
	eq "$d: proc_min of the process" "$(sq "SELECT sum(m.saves_absorbed), sum(m.saves_written), sum(m.bytes_saved)
	    FROM proc_min m JOIN images i ON i.id = m.image WHERE i.pid = $pid")" "$ta|$tw|$tb"
done
eq "exe_min: both" "$(sq "SELECT sum(saves_absorbed), sum(saves_written), sum(bytes_saved) FROM exe_min")" \
    "$((r_ta + n_ta))|$((r_tw + n_tw))|$((r_tb + n_tb))"

# /metrics: the per-executable series sum to both reports' sums
if command -v curl >/dev/null; then
	curl -fsS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
	set -- $((r_ta + n_ta)) $((r_tw + n_tw)) $((r_tb + n_tb))
	for k in saves_absorbed saves_written bytes_saved; do
		want=$1; shift
		eq "metrics: ioshim_debounce_${k}_total" "$($PY -c '
import sys
print(sum(int(l.split()[-1]) for l in open(sys.argv[1]) if l.startswith(sys.argv[2] + "{")))' "$T/metrics" "ioshim_debounce_${k}_total")" \
		    "$want"
	done
else
	note "no curl: /metrics not checked"
fi

# keys KEYS...: python expression of a row's (saves_absorbed, ...)
K='(x["saves_absorbed"], x["saves_written"], x["bytes_saved"])'
want_r="[($r_fa, $r_fw, $r_fb)]" want_n="[($n_fa, $n_fw, $n_fb)]"
q files "$rpid" >"$T/f.json" || fail "query files failed"
eq "query files: root's file" "$(json "$T/f.json" "[$K for x in r[0]['files'] if x['path'] == '$T/r/state.json']")" "$want_r"
q process "$rpid" >"$T/p.json" || fail "query process failed"
eq "query process: totals" "$(json "$T/p.json" "[(lambda x: $K)(r[0]['totals'])]")" "[($r_ta, $r_tw, $r_tb)]"
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
eq "nobody: report --json totals" "$(json "$T/nrep.json" "[$K for x in [r[0]['totals']]]")" "[($n_ta, $n_tw, $n_tb)]"
nq files "$npid" >"$T/nf.json" || fail "nobody: own files failed"
eq "nobody: query files of its own" "$(json "$T/nf.json" "[$K for x in r[0]['files'] if x['path'] == '$T/n/state.json']")" "$want_n"

# `ioshim top` while a saver runs (4 s, 200 saves/s): --json rows carry
# its cumulative figures (at most its exit report's), the batch view's
# second header line a Debounce part
mkdir "$T/t"
IOSHIM_SOCKET="$S" IOSHIM_INTERVAL_MS=100 IOSHIM_REPORT="$T/t/r.rep" \
    IOSHIM_DEBOUNCE="$T/t/*.json=200" LD_PRELOAD="$SHIM" \
    $PY "$SAVER" "$T/t/state.json" 4 200 >/dev/null & tp=$!
i=0
until q process $tp 2>/dev/null | grep -q '"saves_absorbed":[1-9]'; do
	[ $i -lt 300 ] || fail "the saver's saves did not reach the collector"
	sleep 0.1; i=$((i + 1))
done
"$IOSHIM" top --socket "$S" --json -n 2 -d 1 -p $tp >"$T/top.json" || fail "top --json failed"
"$IOSHIM" top --socket "$S" -b -n 3 -d 1 -p $tp >"$T/top.txt" || fail "top -b failed"
wait $tp || fail "top's saver failed"
t_fa=$(json "$T/t/r.rep" "sum(x.get('debounce', {}).get('saves_absorbed', 0) for x in r)")
eq "top --json: saves_absorbed within (0, the report's]" "$(json "$T/top.json" "all(0 < x['saves_absorbed'] <= $t_fa for o in r for x in o['rows'])")" True
eq "top --json: rows with saves_written, bytes_saved" "$(json "$T/top.json" "all('saves_written' in x and 'bytes_saved_per_s' in x for o in r for x in o['rows']) and len(r[-1]['rows'])")" 1
grep -q "Debounce: .* saves/s absorbed" "$T/top.txt" || fail "top -b: no Debounce part: $(cat "$T/top.txt")"

# `ioshim import` of root's exit report as another host's: the imported
# image holds the same figures (the debounced file's row merged into its
# file row); from this host it is the live image, known already
"$IOSHIM" import --socket "$S" "$T/r/r.rep" >/dev/null || fail "import failed"
eq "import from this host: known, nothing added" "$(sq "SELECT count(*) FROM images WHERE host IS NOT NULL")" 0
cp "$T/r/r.rep" "$T/r2.rep"
"$IOSHIM" import --socket "$S" --host elsewhere "$T/r2.rep" >/dev/null || fail "import --host failed"
eq "imported: file rows of the state file" "$(sq "SELECT count(DISTINCT f.image), sum(f.saves_absorbed), sum(f.saves_written), sum(f.bytes_saved)
    FROM file_min f JOIN paths p ON p.id = f.path JOIN images i ON i.id = f.image
    WHERE p.path = '$T/r/state.json' AND i.host IS NOT NULL")" "1|$r_fa|$r_fw|$r_fb"
eq "imported: proc rows" "$(sq "SELECT sum(m.saves_absorbed), sum(m.saves_written), sum(m.bytes_saved)
    FROM proc_min m JOIN images i ON i.id = m.image WHERE i.host IS NOT NULL")" "$r_ta|$r_tw|$r_tb"

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
