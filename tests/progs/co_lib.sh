# tests/progs/co_lib.sh - helpers shared by tests/t-coalesce-*.sh (sourced
# after tests/lib.sh).  Not a test itself.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# shimmed REPORT CMD...: run CMD under the shim, one report line per image.
shimmed() {
	_r=$1; shift
	env IOSHIM_REPORT="$_r" LD_PRELOAD="$SHIM" "$@"
}

# traced OUT CMD...: run CMD under strace -f, write/writev/pwrite calls
# with their fds' paths in OUT.  The exit status is CMD's.
traced() {
	_o=$1; shift
	strace -f -qq -yy -o "$_o" -e trace=write,writev,pwrite64,pwritev,pwritev2 "$@"
}

# wcount OUT PATH: how many write-family calls strace saw on PATH.
wcount() {
	$PY - "$1" "$2" <<'PY'
import re, sys
pat = re.compile(r'\b(write|writev|pwrite64|pwritev2?)\((\d+)<' + re.escape(sys.argv[2]) + r'>')
print(sum(1 for l in open(sys.argv[1], errors='replace') if pat.search(l)))
PY
}

# csum REPORT KEY: the sum over all report records of coalesce[KEY]
# (KEY "syscalls", "writes_absorbed", ..., or "reasons.NAME").
csum() {
	json "$1" "sum((x['coalesce']['reasons'] if '$2'.startswith('reasons.') else x['coalesce'])['$2'.split('.')[-1]] for x in r if 'coalesce' in x)"
}

# same_file WHAT A B: A and B are byte-identical.
same_file() {
	cmp -s "$2" "$3" || { diff "$2" "$3" | head -n 10 >&2; fail "$1: content differs from the unshimmed run"; }
	echo "ok: $1: byte-identical ($(wc -c <"$2") bytes)"
}

# need_strace: skip when strace cannot trace here.
need_strace() {
	command -v strace >/dev/null || skip "no strace"
	strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace (ptrace denied)"
}

# dropped WHAT BASE SHIM: the shim's count is at most 10% of the baseline.
dropped() {
	[ "$2" -gt 0 ] || fail "$1: baseline saw no write calls"
	[ $(( $3 * 10 )) -le "$2" ] || fail "$1: $3 write calls under the shim vs $2 without: not >= 90% fewer"
	echo "ok: $1: $2 write calls without the shim, $3 with it"
}

# lines_check LOG SPEC...: every line intact, each writer's lines complete,
# once each, in order.  SPEC is TAG:COUNT; lines are "TAG SEQ <filler>".
lines_check() {
	$PY - "$@" <<'PY' || fail "line check of $1"
import sys, re
log = sys.argv[1]
want = {}
for s in sys.argv[2:]:
    t, n = s.rsplit(':', 1)
    want[t] = int(n)
data = open(log, 'rb').read()
if data and not data.endswith(b'\n'):
    sys.exit('log does not end in a newline')
seen = {t: [] for t in want}
pat = re.compile(rb'^(\S+) (\d{6}) (x+)$')
for l in data.split(b'\n')[:-1] if data else []:
    m = pat.match(l)
    if not m or m.group(1).decode() not in want:
        sys.exit('torn or foreign line: %r' % l[:120])
    t, q, fill = m.group(1).decode(), int(m.group(2)), m.group(3)
    if len(fill) != 20 + q % 37:
        sys.exit('line with a bad length: %r' % l[:120])
    seen[t].append(q)
for t, n in want.items():
    if seen[t] != list(range(n)):
        s = seen[t]
        dup = len(s) - len(set(s))
        sys.exit('writer %s: %d lines (want %d), %d duplicated, ordered=%s'
                 % (t, len(s), n, dup, s == sorted(s)))
print('ok: %s: %d writers, %d lines, each intact, once, in order'
      % (log, len(want), sum(want.values())))
PY
}

# strace -yy prints resolved paths: make $T physical.
T=$(cd -P "$T" && pwd)

# prove WHAT MIN_ABSORBED 'CMD using $LOG': run CMD without and with the
# shim, each under strace, each on a fresh log; the logs must be
# byte-identical, the write calls on the log >= 90% fewer, and the report's
# coalesce.syscalls equal to what strace saw on the log.
prove() {
	_w=$1 _min=$2 _c=$3
	rm -rf "$T/b" "$T/s" "$T/b.st" "$T/s.st" "$T/s.rep"
	mkdir -p "$T/b" "$T/s"
	LOG=$T/b/app.log
	eval "traced \"\$T/b.st\" $_c" || fail "$_w: unshimmed run failed"
	LOG=$T/s/app.log
	eval "traced \"\$T/s.st\" env IOSHIM_REPORT=\"\$T/s.rep\" LD_PRELOAD=\"\$SHIM\" $_c" ||
		fail "$_w: shimmed run failed"
	[ -s "$T/b/app.log" ] || fail "$_w: the unshimmed run wrote nothing"
	same_file "$_w" "$T/b/app.log" "$T/s/app.log"
	_b=$(wcount "$T/b.st" "$T/b/app.log")
	_s=$(wcount "$T/s.st" "$T/s/app.log")
	dropped "$_w" "$_b" "$_s"
	eq "$_w: report coalesce.syscalls (strace saw $_s)" "$(csum "$T/s.rep" syscalls)" "$_s"
	_a=$(csum "$T/s.rep" writes_absorbed)
	[ "$_a" -ge "$_min" ] || fail "$_w: only $_a writes absorbed, want >= $_min"
	echo "ok: $_w: $_a writes absorbed"
}

# prefix_check LOG: lines "TAG SEQ xxx" (any tags); each writer's lines are
# intact and a gapless run 0, 1, 2, ... (the last line may be cut short
# only if the log does not end in a newline).
prefix_check() {
	$PY - "$1" <<'PY'
import sys, re, collections
d = open(sys.argv[1], 'rb').read()
seen = collections.defaultdict(list)
pat = re.compile(rb'^(\S+) (\d{6}) (x+)$')
for l in d.split(b'\n')[:-1]:
    m = pat.match(l)
    if not m or len(m.group(3)) != 20 + int(m.group(2)) % 37:
        sys.exit('torn line %r' % l[:80])
    seen[m.group(1)].append(int(m.group(2)))
for t, s in seen.items():
    if s != list(range(len(s))):
        i = next(i for i in range(len(s)) if s[i] != i)
        sys.exit('writer %s: line %d missing or out of place (next seen %d)' % (t.decode(), i, s[i]))
PY
}
