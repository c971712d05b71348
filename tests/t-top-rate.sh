#!/bin/sh
# t-top-rate.sh - "ioshim top -d 0.5" shows a steady rate for a steady
# writer.  The shim reports once a second (IOSHIM_INTERVAL_MS=1000); rates
# between polls half a second apart used to be a whole second's bytes,
# then nothing (195K 0 249K 0 ...).  They now divide by the shim's own
# clock (sent_ns): every sample once the writer has two reports is the
# rate of its last second, never 0 while it writes.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/top_lib.sh"
top_collector 60

# Appends about 100 KiB/s, paced, until out.stop (at most 180 s).
cat >"$T/w.py" <<'PY'
import os, sys, time
f = open(sys.argv[1], "a")
end = time.time() + 180
while time.time() < end and not os.path.exists(sys.argv[1] + ".stop"):
    f.write("x" * 1023 + "\n")
    f.flush()
    time.sleep(0.01)
PY
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=1000 "$IOSHIM" run -- $PY "$T/w.py" \
    "$T/out" &
WPID=$!
wpid= n=0
while [ -z "$wpid" ] && [ $n -lt 600 ]; do
	sleep 0.1; n=$((n + 1))
	wpid=$("$IOSHIM" query --socket "$S" top totals=1 | $PY -c '
import json, sys
r = [x for x in json.load(sys.stdin)["rows"] if x["comm"].startswith("python")
     and x["disk_write_bytes"] > 0]
print(r[0]["pid"] if r else "")')
done
[ -n "$wpid" ] || fail "the writer does not report to the collector"
note "writer pid $wpid"

"$IOSHIM" top --socket "$S" -b -d 0.5 -n 14 -p "$wpid" >"$T/top" ||
    fail "top -b -d 0.5 failed"
: >"$T/out.stop"
grep -E "^ *$wpid " "$T/top" | awk '{print $4}' >"$T/rates"
note "DISK WRITE every 0.5 s: $(tr '\n' ' ' <"$T/rates")"
eq "samples" "$(wc -l <"$T/rates" | tr -d ' ')" 14
# The first samples may precede the writer's second report seen by top.
zeros=$(tail -n +5 "$T/rates" | grep -c '^0B/s$')
eq "zero-rate samples of a steady writer (samples 5..14)" "$zeros" 0

