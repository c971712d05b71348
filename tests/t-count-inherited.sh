#!/bin/sh
# t-count-inherited.sh - fds the program inherits are classified on first
# use: stdout redirected to a file (disk, and the file's row appears with
# 0 opens), to a file on /dev/shm (memfs), to a pipe (pipe), to a pty
# (tty), stdin from a file; compared with strace's count of the same run
# and with the files' sizes.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace

seq 1 30000 >"$T/in"
traced --no-coalesce -- dd bs=1000 status=none <"$T/in" >"$T/out"
eq "status" "$rc" 0
check_truth --calls --files "^$T/"
eq "stdout file row: write_bytes = size" "$(q "row(rec('dd'), '$T/out')['write_bytes']")" "$(size "$T/out")"
eq "stdout file row: opens" "$(q "row(rec('dd'), '$T/out')['opens']")" 0
eq "stdout file row: class" "$(q "row(rec('dd'), '$T/out')['class']")" disk
eq "stdin file row: read_bytes = size" "$(q "row(rec('dd'), '$T/in')['read_bytes']")" "$(size "$T/in")"

M=/dev/shm/ioshim-t-inh.$$
traced --no-coalesce -- dd bs=999 status=none <"$T/in" >"$M"
check_truth --calls
eq "stdout on tmpfs: memfs write_bytes = size" "$(q "cls(rec('dd'), 'memfs', 'write_bytes')")" "$(size "$M")"
eq "stdout on tmpfs: row class" "$(q "row(rec('dd'), '$M')['class']")" memfs
rm -f "$M"

rm -f "$R" "$TR"
n=$(strace -f -yy -qq -e trace="$STRACE_SET" -o "$TR" "$IOSHIM" run --report "$R" --no-coalesce -- \
    dd bs=4096 status=none <"$T/in" | wc -c)
check_truth --calls
eq "stdout a pipe: pipe write_bytes" "$(q "cls(rec('dd'), 'pipe', 'write_bytes')")" "$n"
eq "no file row for a pipe" "$(q "[f['path'] for f in rec('dd')['files'] if f['class'] == 'pipe']")" "[]"

# a pty as stdout: tty class
rm -f "$R"
$PY - "$IOSHIM" "$R" "$T/in" <<'PY' || fail "pty run failed"
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "run", "--report", sys.argv[2], "--no-coalesce", "--",
                      "dd", "bs=1000", "count=5", "status=none", "if=" + sys.argv[3]],
                     stdout=s, stderr=subprocess.DEVNULL)
os.close(s)
got = b""
while True:
    try:
        b = os.read(m, 65536)
    except OSError:
        break
    if not b:
        break
    got += b
sys.exit(p.wait())
PY
eq "stdout a pty: tty write_bytes" "$(q "cls(rec('dd'), 'tty', 'write_bytes')")" 5000
eq "stdout a pty: tty writes" "$(q "cls(rec('dd'), 'tty', 'writes')")" 5
