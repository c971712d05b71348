# tests/top_lib.sh - what the "ioshim top" tests share (sourced after
# lib.sh, and tmux_lib.sh for those in a terminal): skips when something
# is missing, a real ioshimd on temporary paths (top_collector WINDOW: its
# windows last WINDOW seconds; an ended image stays in the live view until
# its window closes), top() against it, and python workloads ($PY).  The
# EXIT trap stops the collector, the workloads in WPID, W1, W2, and the
# tmux servers tmux_server made.
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
PY=/usr/bin/python3
[ -x $PY ] || skip "no $PY"
S=$T/s.sock DPID= WPID= W1= W2=
trap 'command -v tmux_kill_all >/dev/null && tmux_kill_all
	for _p in $WPID $W1 $W2; do kill $_p 2>/dev/null; done
	[ -n "$DPID" ] && kill $DPID 2>/dev/null; rm -rf "$T"' EXIT
top_collector() {
	"$IOSHIMD" --foreground --socket "$S" --db "$T/db" --window "$1" \
	    --pidfile "$T/pid" 2>"$T/d.log" &
	DPID=$!
	collector_ready $DPID
}
top() { "$IOSHIM" top --socket "$S" "$@"; }
