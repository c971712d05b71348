# tests/http_lib.sh - helpers for the t-http-*.sh tests (sourced after
# lib.sh): a free loopback port, ioshimd with --http on temp paths, scrapes.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PROBE="$PY $TOP/tests/http_probe.py"
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
command -v curl >/dev/null || skip "no curl"
S=$T/s.sock DB=$T/ioshim.db DPID=
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT

freeport() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(freeport)
URL=http://127.0.0.1:$PORT

# start_d [ARGS]: ioshimd in the foreground, HTTP on $PORT.
start_d() {
	"$IOSHIMD" --foreground --socket "$S" --db "$DB" --window 2 \
	    --http "127.0.0.1:$PORT" "$@" 2>>"$T/d.log" &
	DPID=$!
	i=0	# up to 60 s: a loaded machine may take seconds
	while ! curl -fs -o /dev/null "$URL/health" && [ $i -lt 600 ]; do
		kill -0 $DPID 2>/dev/null || break
		sleep 0.1; i=$((i+1))
	done
	curl -fs -o /dev/null "$URL/health" || { cat "$T/d.log"; fail "ioshimd did not start"; }
}
stop_d() {
	kill -TERM $DPID; wait $DPID; rc=$?; DPID=
	[ $rc -eq 0 ] || { tail -n 30 "$T/d.log"; fail "ioshimd exited with status $rc"; }
}
alive() { kill -0 $DPID 2>/dev/null || { cat "$T/d.log"; fail "ioshimd died"; }; }
scrape() { curl -fsS --max-time 10 "$URL/metrics"; }
# shimmed CMD...: run a command under the shim, reporting to the test collector.
shimmed() { IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=200 LD_PRELOAD=$SHIM "$@"; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$DPID/status; }
