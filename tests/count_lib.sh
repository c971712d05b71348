# tests/count_lib.sh - helpers for the t-count-* tests (issue 2's proof),
# sourced after tests/lib.sh.
#
# A workload runs as
#   strace -f -yy -qq -e trace=<I/O calls> -o $TR  ioshim run --report $R -- CMD
# so the report and the kernel's view (strace) come from the same run;
# tests/strace_truth.py compares them.

[ -x "$SHIM" ] && [ -x "$IOSHIM" ] || fail "build first: make"
TRUTH="python3 $TOP/tests/strace_truth.py"
PY=/usr/bin/python3		# Debian's, not the pyenv shell-script shim
R=$T/report.jsonl
TR=$T/trace
export LC_ALL=C
# never talk to a collector that happens to run on this machine
export IOSHIM_SOCKET="$T/no-collector.sock"

need_strace() {
	command -v strace >/dev/null 2>&1 || skip "strace not installed"
	strace -f -qq -o /dev/null true >/dev/null 2>&1 ||
		skip "strace cannot trace here (ptrace not permitted)"
	STRACE_SET=$($TRUTH --syscalls)
}

# traced [ioshim run options] -- CMD [ARG...]: run CMD under
# "ioshim run --report $R", itself under strace -f (trace in $TR).
# The exit status is left in $rc.
traced() {
	rm -f "$R" "$TR"
	rc=0
	strace -f -yy -qq -e trace="$STRACE_SET" -o "$TR" \
	    "$IOSHIM" run --report "$R" "$@" || rc=$?
}

# untraced [ioshim run options] -- CMD...: the same without strace.
untraced() {
	rm -f "$R"
	rc=0
	"$IOSHIM" run --report "$R" "$@" || rc=$?
}

# check_truth [strace_truth.py options]: the report against the trace.
check_truth() {
	$TRUTH --trace "$TR" --report "$R" --socket "$IOSHIM_SOCKET" "$@" ||
		fail "the report differs from strace's count (see above)"
}

# q EXPR: a python expression over the report records r (list of dicts).
# Helpers: rec(comm) the one record of that comm; cls(rec, c, k).
q() {
	python3 - "$R" "$1" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def recs(comm): return [x for x in r if x["comm"] == comm]
def rec(comm):
    m = recs(comm)
    assert len(m) == 1, "%d records of %s" % (len(m), comm)
    return m[0]
def cls(x, c, k): return x["classes"][c][k]
def row(x, path):
    m = [f for f in x["files"] if f["path"] == path]
    assert len(m) == 1, "%d rows for %s" % (len(m), path)
    return m[0]
def total(c, k, xs=None): return sum(x["classes"][c][k] for x in (r if xs is None else xs))
print(eval(sys.argv[2]))
PY
}

size() { stat -c %s "$1"; }

# eq_q WHAT EXPR WANT
eq_q() { eq "$1" "$(q "$2")" "$3"; }
