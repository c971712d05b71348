#!/bin/sh
# t-count-fds.sh - the shim takes no fd of the program: a program
# (tests/progs/count_fds.c) lists /proc/self/fd at the start of main,
# after file/pipe/socket/stdio I/O, in a forked child and after exec, and
# prints the fd numbers open() returns.  The output is the same without
# the shim and under it (coalescing on and off).  With a collector
# listening, the only extra fds are the shim's own: high-numbered (>= 500)
# and close-on-exec, and the numbers the program gets are the same (the
# shim's worker thread must never hold a low fd, even for an instant, or
# the program's next open/pipe gets another number).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog count_fds)
# Spills of killed writers left by earlier tests would be salvaged by the
# program's worker at its first held byte, with the spill directory open
# for a moment (docs/coalescing.md): salvage them first, so what is
# compared is the shim's steady state.
"$IOSHIM" salvage >/dev/null 2>&1

mkdir "$T/a" "$T/b" "$T/c" "$T/d"
unset IOSHIM_SOCKET		# no collector: the shim has no socket at all
"$P" "$T/a" | cat >"$T/plain" || fail "program failed without the shim"
"$IOSHIM" run -- "$P" "$T/b" | cat >"$T/shim"
"$IOSHIM" run --no-coalesce -- "$P" "$T/c" | cat >"$T/nocoal"
sed -i "s|$T/[abcd]/|DIR/|" "$T/plain" "$T/shim" "$T/nocoal"
note "fds listed: $(grep -c '^fd ' "$T/plain")"
grep -q '^fd 1 -> pipe:' "$T/plain" || fail "listing does not work"
diff "$T/plain" "$T/shim" || fail "the program sees different fds under the shim"
echo "ok: same fds under the shim"
diff "$T/plain" "$T/nocoal" || fail "the program sees different fds under the shim (no coalescing)"
echo "ok: same fds under the shim with coalescing off"

# with a collector: the shim's socket may show, high and close-on-exec
# only, and the program's own fds (and the numbers it gets) are the same
S=$T/c.sock
$PY -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
try:
    while True: s.recv(65536)
except socket.timeout: pass
' "$S" &
CPID=$!
trap 'kill $CPID 2>/dev/null; rm -rf "$T"' EXIT
# up to 30 s: python's start under load may take seconds
i=0; while [ ! -S "$S" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$S" ] || fail "the fake collector did not start"
IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=10 "$IOSHIM" run -- "$P" "$T/d" | cat >"$T/coll"
sed -i "s|$T/[abcd]/|DIR/|" "$T/coll"
grep '^fd ' "$T/coll" | while read -r _ n _ what cl; do
	grep -qxF "fd $n -> $what $cl" "$T/plain" && continue
	[ "$n" -ge 500 ] && [ "$cl" = cloexec=1 ] && [ "$what" = "socket:" ] ||
		fail "fd $n ($what $cl) is visible with a collector"
	echo "ok: shim's own fd $n ($what $cl)"
done || exit 1
grep -v '^fd \([5-9][0-9][0-9]\|[0-9]\{4,\}\) -> socket: cloexec=1$' "$T/coll" | diff "$T/plain" - ||
	fail "the program's own fds differ with a collector"
echo "ok: the program's own fds are the same with a collector"
