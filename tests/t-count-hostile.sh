#!/bin/sh
# t-count-hostile.sh - a file named with a newline, quotes, a backslash, a
# tab, a control byte, invalid UTF-8 bytes and valid UTF-8
# (tests/progs/count_hostile.c): the report is still one valid JSON
# object per line, and the path round-trips: valid UTF-8 as itself, each
# invalid byte as the character of the same number (\u00XX).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
P=$(prog count_hostile)

untraced -- "$P" "$T" >"$T/hex"
eq "status" "$rc" 0
eq "report lines" "$(wc -l <"$R")" 1
python3 - "$R" "$(cat "$T/hex")" <<'PY' || fail "the hostile path did not round-trip"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
rec = json.loads(lines[0])			# valid JSON, or this raises
raw = bytes.fromhex(sys.argv[2])
want, i = "", 0
while i < len(raw):				# valid UTF-8 as is, else U+00XX
    for n in (4, 3, 2, 1):
        try:
            ch = raw[i:i + n].decode("utf-8")
            if len(ch) == 1:
                want += ch
                i += n
                break
        except UnicodeDecodeError:
            pass
    else:
        want += chr(raw[i])
        i += 1
rows = [f for f in rec["files"] if f["path"] == want]
print("want path:", ascii(want))
print("rows:", [ascii(f["path"]) for f in rec["files"]])
assert len(rows) == 1, "no row with the expected path"
assert rows[0]["write_bytes"] == 8 and rows[0]["opens"] == 1, rows[0]
print("ok: path round-trips, write_bytes 8, opens 1")
PY
