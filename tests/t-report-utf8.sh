#!/bin/sh
# t-report-utf8.sh - the exit report is strictly valid UTF-8 JSON whatever
# the file names (issue 15, item 5): names holding a UTF-16 surrogate
# (ED A0 80), overlong forms (C0 AF, E0 80 AF, F0 80 80 AF), a code point
# past U+10FFFF (F4 90 80 80), a lone continuation byte and a cut
# sequence are escaped; valid names (é, 日本, 😀) are kept as they are.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY - "$T" <<'PY' || fail "cannot make the files"
import os, sys
d = sys.argv[1].encode()
names = [b"\xed\xa0\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
         b"\xf4\x90\x80\x80", b"\x80x", b"cut\xe6\x97",
         "é-日本-😀".encode()]
with open(os.path.join(sys.argv[1], "list"), "wb") as f:
    for n in names:
        open(d + b"/f-" + n, "wb").write(b"x\n")
PY
# cat reads every one of them (opens and reads: rows in the report)
( cd "$T" && IOSHIM_REPORT="$T/r.jsonl" LD_PRELOAD=$SHIM sh -c 'cat f-* >/dev/null' ) ||
	fail "cat failed"
$PY - "$T/r.jsonl" <<'PY' || fail "the report is not strict UTF-8 JSON"
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: raises on any invalid byte
paths = []
for line in text.splitlines():
    r = json.loads(line)
    paths += [f["path"] for f in r.get("files", [])]
mine = [p for p in paths if "/f-" in p]
print("paths:", len(mine))
assert len(mine) >= 8, mine
assert any(p.endswith("f-é-日本-😀") for p in mine), mine
for p in mine:
    p.encode("utf-8")               # no lone surrogate came back from \\u escapes
print("ok: strict UTF-8, valid names kept")
PY
