# tests/tmux_lib.sh - driving a program in a real terminal (sourced after
# lib.sh): tmux_server NAME sets TM to a tmux of a server of its own
# (ioshim-NAME-PID, added to TMUXES for the test's EXIT trap to kill: a
# server that is still ending must not be reused); the session the tests
# drive is called "top".  screen prints it, wait_for TEXT (a fixed string)
# and wait_re REGEX wait until it shows that (up to 30 s: only a broken
# program takes that long, a loaded machine may take seconds), key sends
# keys.  The sockets are in $T, which the EXIT trap removes after the
# servers.
command -v tmux >/dev/null || skip "no tmux"
# the servers' sockets in the test's own directory, not /tmp/tmux-UID
export TMUX_TMPDIR="$T"
TM= TMUXES=
tmux_server() {
	TM="tmux -L ioshim-$1-$$"
	TMUXES="$TMUXES ioshim-$1-$$"
}
tmux_kill_all() {
	for _x in $TMUXES; do tmux -L "$_x" kill-server 2>/dev/null; done
}
screen() { $TM capture-pane -p -t top; }
wait_grep() {
	_n=0
	while [ $_n -lt 300 ]; do
		screen | grep -q "$1" -- "$2" && return 0
		sleep 0.1; _n=$((_n + 1))
	done
	screen; fail "screen never showed '$2'"
}
wait_for() { wait_grep -F "$1"; }
wait_re() { wait_grep -E "$1"; }
key() { $TM send-keys -t top "$@"; }
