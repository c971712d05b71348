#!/bin/sh
# t-collector-hostile.sh - malformed, truncated, oversized, wrong-version and
# hostile datagrams are counted and dropped; per-uid and per-image bounds
# hold; hostile query clients do not hurt; good data is still exact.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
h() { q health >"$T/h.json" || fail "health failed"; json "$T/h.json" "r[0]$1"; }

start_d --max-procs-per-uid 50 --max-files 20
nbad=$("$SEND" "$S" bad all) || fail "bad sender failed"
[ "$nbad" -ge 19 ] || fail "only $nbad bad datagrams sent"
sleep 0.3
eq "malformed + oversized" "$(h '["messages"]["malformed"] + r[0]["messages"]["oversized"]')" "$nbad"
eq "dropped" "$(h '["messages"]["dropped"]')" "$nbad"
eq "oversized" "$(h '["messages"]["oversized"]')" 1
eq "version errors" "$(h '["messages"]["malformed_by_reason"]["version"]')" 1
eq "row errors" "$(h '["messages"]["malformed_by_reason"]["row"]')" 7
eq "nothing accepted" "$(h '["messages"]["accepted"]')" 0
eq "no image from bad data" "$(h '["images"]')" 0

# Bound: 50 images per uid.
"$SEND" "$S" flood 200 >/dev/null || fail "flood failed"
sleep 0.3
eq "images in memory bounded" "$(h '["images"]')" 50
eq "refused images" "$(h '["messages"]["refused_images"]')" 150
stop_d

# Again with room for images: good data stays exact next to a file flood
# (bound 20 files per image) and a forged start time.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_d --max-files 20
"$SEND" "$S" stream 2 10 0 3 >"$T/tot" || fail "good sender failed"
"$SEND" "$S" files 100 >/dev/null || fail "files sender failed"
"$SEND" "$S" forge >/dev/null || fail "forge failed"
"$SEND" "$S" bad all >/dev/null || fail "bad sender failed"
sleep 0.3
eq "refused files" "$(h '["messages"]["refused_files"]')" 80
eq "forged start time refused" "$(h '["messages"]["bad_identity"]')" 1
q flush >/dev/null || fail "flush failed"
eq "good data exact" "$(sq "SELECT sum(disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '/usr/bin/wire-%'")" "$(val disk_write_bytes "$T/tot")"
eq "file rows bounded" "$(sq "SELECT count(DISTINCT path) FROM file_min m JOIN images i ON i.id = m.image WHERE i.exe = '/manyfiles'")" 20
eq "forged image not stored" "$(sq "SELECT count(*) FROM proc_min WHERE disk_write_bytes = 777")" 0

# Hostile query clients: a huge line, binary junk, too many connections.
python3 - "$S.ctl" <<'PY' || fail "hostile query clients"
import socket, sys, os
p = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(p); s.settimeout(5); return s
s = conn(); s.sendall(b"x" * 10000); r = s.recv(4096)
assert b"too long" in r, r
s = conn(); s.sendall(os.urandom(300).replace(b"\n", b" ") + b"\n"); r = s.recv(4096)
assert r.startswith(b'{"error":'), r
many = [conn() for _ in range(60)]
for m in many: m.close()
s = conn(); s.sendall(b"health\n"); r = b""
while not r.endswith(b"\n"): r += s.recv(65536)
assert r.startswith(b'{"version"'), r[:100]
PY
kill -0 $DPID || fail "collector died"
q flush >/dev/null || fail "flush failed"
eq "quick_check" "$(sq 'PRAGMA quick_check')" ok
stop_d
exit 0
