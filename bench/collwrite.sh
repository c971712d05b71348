#!/bin/sh
# collwrite.sh - bytes ioshimd writes to disk per hour (issue 4).
#
#   sh bench/collwrite.sh [SECONDS [WARM]]   (defaults 180 and 5)
#
# Starts ioshimd with default settings (window 60) on /var/tmp (a real
# file system: /proc/PID/io write_bytes counts page-cache writeback), five
# shimmed python loggers each appending one ~70-byte line per second with
# a flush, and one identical unshimmed logger.  Reads write_bytes of
# ioshimd and of the plain logger at t=WARM s and t=WARM+SECONDS and
# prints both per hour.  Goal: ioshimd below the plain logger.  WARM=65
# leaves out the first window, which stores the new images and every file
# python read at start-up: the steady state.  ioshimd stores steady windows
# in batches (--stage, default 300 s) and rolls up and checkpoints hourly,
# so SECONDS of 900 or 3600 measure what it writes in the long run; 180 s
# may hold no batch at all (docs/collector.md, "The collector's own
# writes").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-180}
warm=${2:-5}
D=$(mktemp -d /var/tmp/collwrite.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
mkdir "$D/db"
cat > "$D/logger.py" <<'PY'
import sys, time
f = open(sys.argv[1], "a")
i = 0
while True:
    f.write("%s INFO worker heartbeat seq=%08d status=ok queue=0\n"
            % (time.strftime("%Y-%m-%dT%H:%M:%S"), i))
    f.flush()
    i += 1
    time.sleep(1)
PY
"$top/collector/ioshimd" --foreground --socket "$D/s.sock" \
    --db "$D/db/ioshim.db" --pidfile "$D/pid" 2>"$D/ioshimd.log" &
dpid=$!
pids="$dpid"
i=0
while [ ! -S "$D/s.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
for n in 1 2 3 4 5; do
	IOSHIM_SOCKET="$D/s.sock" "$top/tools/ioshim" run -- /usr/bin/python3 \
	    "$D/logger.py" "$D/shim$n.log" &
	pids="$pids $!"
done
/usr/bin/python3 "$D/logger.py" "$D/plain.log" &
ppid=$!
pids="$pids $ppid"
wb() { awk '/^write_bytes/ { print $2 }' "/proc/$1/io"; }
sleep "$warm"
d0=$(wb $dpid); p0=$(wb $ppid)
sleep "$secs"
d1=$(wb $dpid); p1=$(wb $ppid)
awk -v d="$((d1 - d0))" -v p="$((p1 - p0))" -v s="$secs" 'BEGIN {
	printf "ioshimd: %d bytes in %d s = %.2f MB/hour\n", d, s, d*3600/s/1e6
	printf "plain:   %d bytes in %d s = %.2f MB/hour\n", p, s, p*3600/s/1e6
	exit d < p ? 0 : 1 }' && echo PASS || { echo FAIL; exit 1; }
