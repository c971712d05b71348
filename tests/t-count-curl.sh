#!/bin/sh
# t-count-curl.sh - curl downloads files from a local HTTP server
# (/usr/bin/python3 -m http.server on 127.0.0.1, a free port) that runs
# under the shim as well.  curl: per class bytes, socket calls, equal
# strace's count of the same run; the downloaded files' sizes equal the
# report's disk bytes.  Across the TCP connection: what the server's
# report says it sent = what curl's report says it received, and back.
# The server ends by SIGTERM: end_reason "signal", the shell sees 143.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
command -v curl >/dev/null || skip "no curl"
[ -x "$PY" ] || skip "no $PY"

mkdir "$T/www"
head -c 700001 /dev/urandom >"$T/www/blob"
seq 1 20000 >"$T/www/numbers.txt"
RS=$T/server.jsonl
(cd "$T/www" && exec "$IOSHIM" run --report "$RS" --no-coalesce -- \
    $PY -u -m http.server --bind 127.0.0.1 0 >"$T/srv.out" 2>"$T/srv.err") &
SPID=$!
trap 'kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
i=0	# up to 60 s: python's start under load may take seconds
while ! grep -q 'port [0-9]' "$T/srv.out" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$T/srv.out")
[ -n "$port" ] || { cat "$T/srv.err"; fail "the HTTP server did not start"; }
note "server on 127.0.0.1:$port"

traced --no-coalesce -- curl -q -s -S -f -o "$T/got.blob" "http://127.0.0.1:$port/blob" \
    -o "$T/got.txt" "http://127.0.0.1:$port/numbers.txt"
eq "curl status" "$rc" 0
cmp "$T/www/blob" "$T/got.blob" || fail "blob differs"
cmp "$T/www/numbers.txt" "$T/got.txt" || fail "numbers.txt differs"
check_truth --calls socket,pipe --files "^$T/got"
eq "downloaded sizes = disk write_bytes" "$(q "total('disk', 'write_bytes')")" \
    "$(( $(size "$T/got.blob") + $(size "$T/got.txt") ))"
crx=$(q "total('socket', 'read_bytes')") ctx=$(q "total('socket', 'write_bytes')")
[ "$crx" -gt "$(( $(size "$T/got.blob") + $(size "$T/got.txt") ))" ] ||
	fail "curl received $crx bytes, less than the bodies"

kill -TERM $SPID
wait $SPID
eq "server exit status seen by the shell" "$?" 143
R=$RS
eq "server records" "$(q "len(r)")" 1
eq "server end_reason" "$(q "r[0]['end_reason']")" signal
eq "server signal" "$(q "r[0]['signal']")" 15
eq "server sent = curl received" "$(q "cls(r[0], 'socket', 'write_bytes')")" "$crx"
eq "server received = curl sent" "$(q "cls(r[0], 'socket', 'read_bytes')")" "$ctx"
eq "server read the files it served" \
    "$(q "row(r[0], '$T/www/blob')['read_bytes'] + row(r[0], '$T/www/numbers.txt')['read_bytes']")" \
    "$(( $(size "$T/www/blob") + $(size "$T/www/numbers.txt") ))"
