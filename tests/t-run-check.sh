#!/bin/sh
# t-run-check.sh - "ioshim run" says in one stderr line what will not be
# recorded, and still runs the command: a named socket that is not there,
# a report in a directory that is not there, a collector's private socket
# seen by another uid (permission denied, not "no collector").  Silent when
# everything works (the report is written) and with no collector at the
# default path.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

# run_cmd NAME ARGS...: ioshim run ARGS -- sh -c 'touch $T/NAME.ran; exit 3'
run_cmd() {
	_n=$1; shift
	"$IOSHIM" run "$@" -- sh -c "touch '$T/$_n.ran'; exit 3" 2>"$T/$_n.err"
	eq "$_n: command's status" $? 3
	[ -f "$T/$_n.ran" ] || fail "$_n: the command did not run"
}

IOSHIM_SOCKET=$T/none.sock run_cmd nosock
eq "nosock: one line" "$(wc -l <"$T/nosock.err")" 1
grep -q "collector: $T/none.sock: No such file" "$T/nosock.err" ||
    fail "nosock: $(cat "$T/nosock.err")"

run_cmd norep --report "$T/nodir/r.jsonl"
eq "norep: one line" "$(wc -l <"$T/norep.err")" 1
grep -q "report.*: $T/nodir/r.jsonl: No such file" "$T/norep.err" ||
    fail "norep: $(cat "$T/norep.err")"

# a socket path where nobody listens (a plain file): named, so said
: >"$T/file.sock"
IOSHIM_SOCKET=$T/file.sock run_cmd notsock
grep -q "$T/file.sock: not a socket" "$T/notsock.err" ||
    fail "notsock: $(cat "$T/notsock.err")"

# no collector at the default path: normal, nothing said
mkdir "$T/xdg"
env -u IOSHIM_SOCKET XDG_RUNTIME_DIR="$T/xdg" "$IOSHIM" run -- true 2>"$T/def.err" ||
    fail "default: status"
eq "default: nothing said" "$(cat "$T/def.err")" ""

# a working collector and a writable report: silent, and both get counts
start_d
IOSHIM_SOCKET=$S run_cmd good --report "$T/r.jsonl"
eq "good: nothing said" "$(cat "$T/good.err")" ""
eq "good: report records" "$(json "$T/r.jsonl" 'len(r) >= 1')" True

# another uid at the collector's private (0600) socket
if command -v setpriv >/dev/null &&
    AS="setpriv --reuid=65534 --regid=65534 --clear-groups" &&
    $AS true 2>/dev/null && chmod 755 "$T" && $AS test -x "$IOSHIM"; then
	IOSHIM_SOCKET=$S $AS "$IOSHIM" run -- true 2>"$T/perm.err" ||
	    fail "perm: status"
	eq "perm: one line" "$(wc -l <"$T/perm.err")" 1
	grep -q "$S: permission denied" "$T/perm.err" ||
	    fail "perm: $(cat "$T/perm.err")"
	grep -q "no collector" "$T/perm.err" && fail "perm: said no collector"
	echo "ok: uid 65534 told permission denied"
else
	note "no uid 65534 check (needs root and setpriv)"
fi
stop_d
