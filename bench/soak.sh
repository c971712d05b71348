#!/bin/sh
# bench/soak.sh - the soak of issue 15 (`make soak`; not part of make
# check, not timed): ioshimd under attack by one unprivileged user, with
# root's honest work beside it.
#
#   1. For IOSHIM_SOAK_SECS (60) seconds uid 65534 floods the ingest
#      socket with file rows of 4,000-byte distinct paths from 4,096
#      images (bench/pathflood.c) over IOSHIM_SOAK_SOCKETS (400) sockets,
#      enough to keep the collector's queue of 4,096 datagrams full,
#      while root runs dd under the shim in a loop, writing known
#      bytes.  Reported: the collector's
#      RSS (max, end), table_bytes, the database's growth, the worst
#      commit, whether root's totals are exact, GET /health latency.
#   2. For IOSHIM_SOAK_SECS / 2 seconds 40 query clients of uid 65534
#      trickle bytes of requests that never end while root asks `top` ten
#      times a second: root's latency and how often it was refused.
#
# Needs root (setpriv to uid 65534).  Work files in IOSHIM_SOAK_DIR
# (default /var/tmp), kept with IOSHIM_SOAK_KEEP=1.  Prints key=value lines; docs/PERFORMANCE.md,
# "Soak", has the figures of a run.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
SECS=${IOSHIM_SOAK_SECS:-60}
PY=/usr/bin/python3
B=$TOP/bench/bin
SHIM=$TOP/shim/libioshim.so
D=$TOP/collector/ioshimd
CLI=$TOP/tools/ioshim
say() { printf '%s\n' "soak: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (runs the flood as uid 65534)"; exit 1; }
command -v setpriv >/dev/null || { say "needs setpriv"; exit 1; }
[ -x "$D" ] && [ -f "$SHIM" ] || { say "run make first"; exit 1; }
mkdir -p "$B" || exit 1
cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$B/pathflood" bench/pathflood.c || exit 1
chmod 755 "$B" "$B/pathflood"
W=$(mktemp -d "${IOSHIM_SOAK_DIR:-/var/tmp}/ioshim-soak.XXXXXX") || exit 1
chmod 755 "$W"
DPID=
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; [ -n "${IOSHIM_SOAK_KEEP:-}" ] || rm -rf "$W"' EXIT
S=$W/s.sock DB=$W/ioshim.db
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
val() { sed -n "s/^$1=//p" "$2"; }
h() { $PY -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/h.json" "$1"; }

# 10 s windows: six commits under the flood, not one.
"$D" --foreground --shared --socket "$S" --db "$DB" --window 10 \
    --http "127.0.0.1:$PORT" 2>"$W/d.log" &
DPID=$!
i=0
while [ ! -S "$S.ctl" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$S.ctl" ] || { cat "$W/d.log"; say "ioshimd did not start"; exit 1; }
say "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. the path flood beside root's dd ---
$PY bench/soak_probe.py rss $DPID $((SECS + 5)) >"$W/rss.out" &
RP=$!
$PY bench/soak_probe.py http "http://127.0.0.1:$PORT/health" $SECS >"$W/http.out" &
HP=$!
$AS "$B/pathflood" "$S" $SECS 4096 4000 ${IOSHIM_SOAK_SOCKETS:-400} >"$W/flood.out" &
FP=$!
n=0 end=$(( $(date +%s) + SECS ))
while [ "$(date +%s)" -lt $end ]; do
	IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=1000 LD_PRELOAD=$SHIM \
	    dd if=/dev/zero of="$W/honest" bs=4096 count=50 conv=notrunc,fsync \
	    2>/dev/null &
	echo $! >>"$W/dd.pids"
	wait $! || { say "dd failed"; exit 1; }
	n=$((n + 1))
done
wait $FP $HP
# What is still queued (up to 4,096 datagrams) is read before the flush
# that the totals are taken after: until nothing more arrives.
rcv() { "$CLI" query --socket "$S" health | $PY -c 'import json, sys; print(json.load(sys.stdin)["messages"]["received"])'; }
a=$(rcv) b=
while sleep 1; b=$(rcv); [ "$a" != "$b" ]; do a=$b; done
"$CLI" query --socket "$S" flush >/dev/null || say "flush failed"
wait $RP
"$CLI" query --socket "$S" health >"$W/h.json" || say "health failed"
want=$((n * 50 * 4096))
got=$(sqlite3 "$DB" "SELECT coalesce(sum(m.disk_write_bytes), 0) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.uid = 0 AND i.exe LIKE '%/dd'")
gotf=$(sqlite3 "$DB" "SELECT coalesce(sum(f.write_bytes), 0) FROM file_min f JOIN paths p ON p.id = f.path WHERE p.path = '$W/honest'")
imgs=$(sqlite3 "$DB" "SELECT count(*) FROM images WHERE uid = 0 AND exe LIKE '%/dd'")
echo "seconds=$SECS"
echo "flood_$(cat "$W/flood.out" | sed 's/ / flood_/g')" | tr ' ' '\n'
echo "honest_dd_runs=$n"
echo "honest_dd_images_stored=$imgs"
echo "honest_disk_write_bytes_want=$want"
echo "honest_disk_write_bytes_stored=$got"
echo "honest_file_write_bytes_stored=$gotf"
[ "$got" = "$want" ] && [ "$gotf" = "$want" ] && [ "$imgs" = "$n" ] && e=yes || e=no
echo "honest_exact=$e"
cat "$W/rss.out"
echo "table_bytes_end=$(h 'r["own"]["table_bytes"]')"
echo "db_bytes=$(h 'r["db"]["db_bytes"]')"
echo "wal_bytes=$(h 'r["db"]["wal_bytes"]')"
echo "commit_ms_max=$(h 'r["db"]["commit_ms_max"]')"
echo "windows_stored=$(h 'r["db"]["windows_stored"]')"
echo "messages_received=$(h 'r["messages"]["received"]')"
echo "refused_images=$(h 'r["messages"]["refused_images"]')"
echo "refused_files=$(h 'r["messages"]["refused_files"]')"
echo "bounds=$(h 'json.dumps(r.get("bounds", {}).get("uids"))' 2>/dev/null || h 'r.get("bounds")')"
cat "$W/http.out"
echo "db_rows_uid65534=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM images WHERE uid = 65534) + (SELECT count(*) FROM proc_min WHERE uid = 65534) + (SELECT count(*) FROM file_min WHERE uid = 65534) + (SELECT count(*) FROM exe_min WHERE uid = 65534)")"
echo "db_path_bytes_flood=$(sqlite3 "$DB" "SELECT coalesce(sum(length(path)), 0) FROM paths WHERE path LIKE '/flood/%'")"

# --- 2. 40 trickling query clients of uid 65534 while root asks ---
T2=$((SECS / 2))
$AS $PY bench/soak_probe.py trickle "$S.ctl" 40 $T2 >"$W/trickle.out" &
TP=$!
sleep 2
$PY bench/soak_probe.py ctl "$S.ctl" $((T2 - 4)) "top limit=20" >"$W/ctl.out"
wait $TP
cat "$W/trickle.out" "$W/ctl.out"
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM $DPID; wait $DPID; DPID=
exit 0
