# tests/collector_lib.sh - what the collector tests share (sourced after
# lib.sh): skips when something is missing, a real ioshimd on temporary
# paths (start_d / stop_d), and helpers to ask it (q), read key=value
# output (val) and query its database with the sqlite3 CLI (sq).
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
IOSHIM=${IOSHIM_TOOL:-$IOSHIM}
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
SEND=$(prog wire_send)
S=$T/s.sock DB=$T/ioshim.db DPID=
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
start_d() {
	# a collector killed with -9 leaves its query socket behind: gone
	# first, so collector_ready waits for the new one
	[ -n "$DPID" ] || rm -f "$S.ctl"
	"$IOSHIMD" --foreground --socket "$S" --db "$DB" --window 2 "$@" 2>>"$T/d.log" &
	DPID=$!
	collector_ready $DPID
}
stop_d() {
	kill -TERM $DPID; wait $DPID; rc=$?; DPID=
	[ $rc -eq 0 ] || { tail -n 30 "$T/d.log"; fail "ioshimd exited with status $rc"; }
}
q() { "$IOSHIM" query --socket "$S" "$@"; }
val() { sed -n "s/^$1=//p" "$2"; }
sq() { sqlite3 "$DB" "$1"; }

# as_nobody: set AS to run a command as uid 65534, or skip the test where
# that cannot be done (not root, no setpriv, the tree not reachable).
as_nobody() {
	[ "$(id -u)" = 0 ] || skip "needs root to switch uid"
	command -v setpriv >/dev/null || skip "no setpriv"
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$AS true 2>/dev/null || skip "setpriv cannot switch to 65534"
	chmod 755 "$T"
	$AS test -x "$SEND" || skip "tests/bin not reachable by uid 65534"
	$AS test -x "$IOSHIM" || skip "tools/ioshim not reachable by uid 65534"
}
