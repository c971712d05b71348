#!/bin/sh
# t-collector-execlaim.sh - the executable name in a report is believed
# only when the kernel confirms it (issue 15, item 9).  uid 65534 claims
# to be /usr/sbin/rsyslogd (with the real file's device and inode, which
# anyone may stat): its counts are stored and shown as
# "[uid=65534,unverified]/usr/sbin/rsyslogd", never under root's
# /usr/sbin/rsyslogd (top by=exe live and stored, history exe=, /metrics).
# A real program of that uid under the shim, whose /proc/PID/exe matches
# the device and inode the shim reports, keeps its own name.  Root's
# names are taken as they are.  Another uid's names take at most a
# quarter of the executables /metrics tracks.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ -f "$SHIM" ] || skip "shim not built"
as_nobody
EXE=/usr/sbin/rsyslogd MARK="[uid=65534,unverified]/usr/sbin/rsyslogd"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rows() {	# FILE: the exe rows as (exe, disk write bytes), sorted
	json "$1" 'sorted((x["exe"], x["disk_write_bytes"]) for x in r[0]["rows"])'
}

# a long window: the live table keeps the ended images until the flush
# (windows begin at whole hours: none may begin before it; a 60 s window
# ended before the live query when a minute began in between)
in_hour 0 60
start_d --shared --http "127.0.0.1:$PORT" --window 3600
"$SEND" "$S" values "$EXE" 1000 >"$T/root.out" || fail "root sender failed"
$AS "$SEND" "$S" values "$EXE" 7777 >"$T/nobody.out" || fail "nobody sender failed"
# (the senders' datagrams may still wait in the socket when the query
# comes: asked again until both are in, up to 10 s)
i=0
while q top by=exe >"$T/live.json" || fail "live top failed"
	live=$(json "$T/live.json" 'sorted((x["exe"], x["disk_write_bytes"]) for x in r[0]["rows"] if "rsyslogd" in x["exe"])')
	[ "$live" != "[('$EXE', 1000), ('$MARK', 7777)]" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "live top by=exe" "$live" "[('$EXE', 1000), ('$MARK', 7777)]"

# a real program of uid 65534 under the shim, alive while it reports
$AS env IOSHIM_SOCKET="$S" IOSHIM_INTERVAL_MS=100 LD_PRELOAD="$SHIM" \
    /bin/sh -c 'echo a >/dev/null; sleep 2; echo b >/dev/null' || fail "sh failed"
SH=$(readlink -f /bin/sh)
q flush >/dev/null || fail "flush failed"
# (sleep, which reports only as it exits, may be gone before its name is
# checked: then it is unverified too)
eq "stored names of uid 65534" "$(sq "SELECT group_concat(exe, ' ') FROM (SELECT DISTINCT exe FROM images WHERE uid = 65534 AND exe NOT LIKE '%sleep' ORDER BY exe)")" "$SH $MARK"
eq "stored names of root" "$(sq "SELECT group_concat(DISTINCT exe) FROM images WHERE uid = 0")" "$EXE"
q top by=exe from=-1h >"$T/range.json" || fail "range top failed"
range=$(json "$T/range.json" 'sorted((x["exe"], x["disk_write_bytes"]) for x in r[0]["rows"] if "rsyslogd" in x["exe"])')
eq "stored top by=exe" "$range" "[('$EXE', 1000), ('$MARK', 7777)]"
q history exe="$EXE" from=-1h >"$T/hist.json" || fail "history failed"
eq "history exe=$EXE" "$(json "$T/hist.json" 'sum(p["disk_write_bytes"] for p in r[0]["points"])')" 1000
q history exe="$MARK" from=-1h >"$T/histm.json" || fail "history of the marked name failed"
eq "history of the marked name" "$(json "$T/histm.json" 'sum(p["disk_write_bytes"] for p in r[0]["points"])')" 7777
$AS "$IOSHIM" query --socket "$S" top by=exe from=-1h >"$T/n.json" || fail "nobody: top failed"
eq "uid 65534 sees its claim marked" "$(json "$T/n.json" '[x["exe"] for x in r[0]["rows"] if "rsyslogd" in x["exe"]]')" "['$MARK']"
if command -v curl >/dev/null; then
	curl -fsS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$T/m" || fail "GET /metrics"
	eq "/metrics: $EXE" "$(sed -n "s|^ioshim_write_bytes_total{exe=\"$EXE\",class=\"disk\"} ||p" "$T/m")" 1000
	grep -F "exe=\"$MARK\",class=\"disk\"} 7777" "$T/m" >/dev/null || fail "/metrics: no series of the marked name"
	# 1,100 names of uid 65534 take at most a quarter of the 1,024
	# executables /metrics tracks: root's next one still gets its own.
	$AS "$SEND" "$S" stream 1100 1 0 0 exes=1100 >/dev/null || fail "nobody: 1,100 names"
	"$SEND" "$S" values /usr/bin/rootexe 1000000000000 >/dev/null || fail "root sender failed"
	curl -fsS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$T/m2" || fail "GET /metrics"
	eq "/metrics: root's executable after 1,100 of uid 65534" "$(sed -n 's|^ioshim_write_bytes_total{exe="/usr/bin/rootexe",class="disk"} ||p' "$T/m2")" 1000000000000
fi
stop_d
exit 0
