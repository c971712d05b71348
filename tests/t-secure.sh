#!/bin/sh
# t-secure.sh - a set-user-ID program under a machine-wide preload obeys
# none of the caller's IOSHIM_* settings (issue 15, item 2).  In a private
# mount namespace a copy of /etc with an ld.so.preload naming the shim is
# mounted over /etc (the machine's own /etc is never touched); a set-user-ID
# root copy of tests/progs/setuid_probe is run by nobody with IOSHIM_REPORT
# pointing into a root-only directory and IOSHIM_SOCKET at a socket of the
# caller's.  The shim must be loaded (else the test proves nothing), no
# report file may appear, nothing may reach the caller's socket, and the
# program's appends must not be held (coalescing is off there: its caller
# could SIGKILL it and lose its log lines).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (setuid binary, mount namespace)"
command -v unshare >/dev/null && command -v setpriv >/dev/null || skip "no unshare/setpriv"
unshare -m true 2>/dev/null || skip "no mount namespaces here"
p=$(prog setuid_probe)
chmod 755 "$T"
mkdir -m 700 "$T/rootonly"
mkdir -m 777 "$T/pub"
cp "$p" "$T/suid" && chmod 4755 "$T/suid"
cp "$SHIM" "$T/libioshim.so" && chmod 644 "$T/libioshim.so"
mkdir "$T/etc"
cp -a /etc/. "$T/etc/" 2>/dev/null
echo "$T/libioshim.so" >"$T/etc/ld.so.preload"
# the caller's "collector": a datagram socket nobody can read from
/usr/bin/python3 - "$T/pub/s.sock" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
s.settimeout(0.2)
n = 0
while not os.path.exists(sys.argv[1] + ".done"):
    try:
        s.recv(70000); n += 1
    except socket.timeout:
        pass
open(sys.argv[1] + ".count", "w").write(str(n))
PY
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -S "$T/pub/s.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
unshare -m sh -c '
	mount --bind "$1/etc" /etc || exit 9
	exec setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    IOSHIM_REPORT="$1/rootonly/r.jsonl" IOSHIM_SOCKET="$1/pub/s.sock" \
	    IOSHIM_FLUSH_MS=60000 XDG_RUNTIME_DIR="$1/pub" IOSHIM_READY_FD=1 \
	    "$1/suid" "$1/rootonly/audit.log"' sh "$T" >"$T/out" 2>&1
rc=$?
cat "$T/out"
[ $rc = 9 ] && skip "cannot bind-mount over /etc here"
[ $rc = 0 ] || fail "the set-user-ID program failed: rc $rc"
grep -q 'euid=0 shim=loaded' "$T/out" || fail "the shim was not loaded into the set-user-ID program"
echo "ok: shim loaded into the set-user-ID program"
[ ! -e "$T/rootonly/r.jsonl" ] || fail "IOSHIM_REPORT of the caller made root create $(ls -l "$T/rootonly/r.jsonl")"
echo "ok: no report where the caller asked"
eq "bytes visible right after the appends" "$(sed -n 's/^visible=//p' "$T/out")" 78
eq "audit log" "$(wc -l <"$T/rootonly/audit.log")" 3
touch "$T/pub/s.sock.done"; wait "$spid"
eq "datagrams to the caller's socket" "$(cat "$T/pub/s.sock.count")" 0
