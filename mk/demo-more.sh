#!/bin/sh
# demo-more.sh - "make demo-more": what `make demo` (the README's first
# hour) does not show: a logger's writes with and without the shim
# (strace), kill -9 and ioshim salvage, tar, gzip, sort and sqlite3 under
# the shim, and with the collector built, one on temporary paths with the
# live view, the report's chart and health.  Stops everything it started.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
ioshim=$top/tools/ioshim
ioshimd=$top/collector/ioshimd
py=/usr/bin/python3
d=$(mktemp -d /var/tmp/ioshim-demo.XXXXXX)
cpid=""
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -x "$ioshimd" ]; then
	say "starting ioshimd on $d (window 2 s)"
	"$ioshimd" --foreground --socket "$d/ioshimd.sock" --db "$d/ioshim.db" \
	    --window 2 --pidfile "$d/ioshimd.pid" 2>"$d/ioshimd.log" &
	cpid=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -S "$d/ioshimd.sock" ] && break
		sleep 0.2
	done
	export IOSHIM_SOCKET="$d/ioshimd.sock"
fi

cat > "$d/app.py" <<'PY'
import logging, sys, time
logging.basicConfig(filename=sys.argv[1], level=logging.INFO,
                    format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("demo")
for i in range(20000):
    log.info("request %d served in %d us", i, i % 977)
    if i % 5000 == 4999:
        log.error("ERROR: simulated failure at request %d", i)
        time.sleep(0.5)
PY

say "a logger writing 20,000 lines, one write() each: without the shim"
strace -f -qq -e trace=write -o "$d/plain.trace" $py "$d/app.py" "$d/plain.log"
echo "write syscalls: $(grep -c 'write(' "$d/plain.trace")"

say "the same logger under ioshim"
"$ioshim" run --report "$d/report.jsonl" -- $py "$d/app.py" "$d/shim.log"
echo "both logs hold every line (timestamps differ):"
wc -l "$d/plain.log" "$d/shim.log" | head -2

say "kill -9 a logger while it holds lines; ioshim salvage writes them"
cat > "$d/kill.py" <<'PY'
import os, sys
f = open(sys.argv[1], "a")
for i in range(1000):
    f.write("line %d\n" % i); f.flush()	# one write() each, held by the shim
print("wrote 1000 lines; killing myself with SIGKILL", flush=True)
os.kill(os.getpid(), 9)
PY
IOSHIM_FLUSH_MS=60000 "$ioshim" run -- $py "$d/kill.py" "$d/killed.log"
echo "in the log right after the kill: $(wc -l < "$d/killed.log") lines"
"$ioshim" salvage | tail -n 2
echo "in the log after ioshim salvage: $(wc -l < "$d/killed.log") lines"

say "other real programs under the shim: tar, gzip, sort, sqlite3"
mkdir -p "$d/tree"
seq 1 200000 > "$d/tree/numbers.txt"
"$ioshim" run --report "$d/report.jsonl" -- sh -c "
	tar cf '$d/tree.tar' -C '$d' tree &&
	gzip -kf '$d/tree.tar' &&
	sort -r '$d/tree/numbers.txt' -o '$d/sorted.txt' &&
	sqlite3 '$d/x.db' 'create table t(a); insert into t values(1); insert into t values(2);'"

say "what each process did (from $d/report.jsonl)"
"$ioshim" report --file "$d/report.jsonl"

if [ -n "$cpid" ]; then
	sleep 3
	if "$ioshim" top --help >/dev/null 2>&1; then
		say "ioshim top -b -n 3 -a, while the logger runs again"
		IOSHIM_INTERVAL_MS=200 "$ioshim" run -- $py "$d/app.py" \
		    "$d/live.log" &
		wpid=$!
		sleep 1
		"$ioshim" top --socket "$d/ioshimd.sock" -b -n 3 -d 1 -a
		wait $wpid
		sleep 2.5	# the collector stores its 2 s window
	fi
	if "$ioshim" report --help >/dev/null 2>&1; then
		say "ioshim report --by exe --svg"
		"$ioshim" report --socket "$d/ioshimd.sock" --since 10m --by exe \
		    --svg "$d/writes.svg"
		if command -v rsvg-convert >/dev/null; then
			rsvg-convert -o "$d/writes.png" "$d/writes.svg" &&
			    cp "$d/writes.png" "${TMPDIR:-/tmp}/ioshim-demo-writes.png" &&
			    echo "chart as PNG: ${TMPDIR:-/tmp}/ioshim-demo-writes.png"
		fi
	fi
	say "ioshim health"
	"$ioshim" health --socket "$d/ioshimd.sock"
fi
say "done; everything started has been stopped"
