#!/bin/sh
# t-debounce-hold.sh - issue 19: the bytes of a debounced save's
# temporary file are held in memory (a mapped file on tmpfs), not
# written, and the absorbed rename unlinks the empty file: python
# json.dump + os.replace 1,000 times a second, 500 ms window, under
# strace -f -yy.  Against the same program unshimmed: the final file is
# byte-identical; the write system calls on the directory's files and the
# renames onto the state file are at most one per window (the unshimmed
# program makes one write per save at least); a reader in another process
# never sees a torn state or one going back.  SIGKILL after 200 held
# saves: the next process debouncing the file finds the last complete
# state (save 199), not the one on disk (save 0).  A temporary file read
# back or fstat'ed before its rename shows the program its own bytes; one
# never renamed holds them after the program exits, written after its
# close (held till then).  Positions (pwrite, lseek) as unshimmed.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
SAVER=$TOP/tests/progs/db_saver.py READER=$TOP/tests/progs/db_reader.py
mkdir "$T/a" "$T/b" "$T/k" "$T/r" "$T/n"

# writes DIR: write-family calls strace saw on any file in DIR
writes() {
	$PY - "$T/st" "$1" <<'PY'
import re, sys
pat = re.compile(r'\b(write|writev|pwrite64|pwritev2?)\(\d+<' + re.escape(sys.argv[2]) + r'/')
print(sum(1 for l in open(sys.argv[1], errors='replace') if pat.search(l)))
PY
}
# onto FILE: renames strace (-yy) saw put a file at FILE
onto() {
	$PY - "$T/st" "$1" <<'PY'
import re, sys
t = re.escape(sys.argv[2])
pat = re.compile(r'\b(rename\("[^"]*", "' + t + r'"\)|renameat2?\([^,]*, "[^"]*", [^,]*, "' + t + r'"(, 0)?\)) = 0')
print(sum(1 for l in open(sys.argv[1], errors='replace') if pat.search(l)))
PY
}

n=$($PY "$SAVER" "$T/a/state.json" 3 1000) || fail "unshimmed saver failed"
$PY "$READER" "$T/b/state.json" "$T/stop" >"$T/reader.out" &
rd=$!
t0=$(date +%s.%N)
m=$(strace -f -qq -yy -o "$T/st" -e trace=write,writev,pwrite64,rename,renameat,renameat2 \
    -E IOSHIM_DEBOUNCE="$T/b/*.json=500" -E LD_PRELOAD="$SHIM" \
    $PY "$SAVER" "$T/b/state.json" 3 1000) || fail "shimmed saver failed"
t1=$(date +%s.%N)
: >"$T/stop"
wait $rd
eq "saves" "$m" "$n"
cmp "$T/a/state.json" "$T/b/state.json" || fail "final state differs from the unshimmed run's"
echo "ok: final state byte-identical to the unshimmed run's"
most=$($PY -c "import math; print(math.ceil(($t1 - $t0) / 0.5) + 2)")
w=$(writes "$T/b")
r=$(onto "$T/b/state.json")
note "$n saves in $($PY -c "print(round($t1 - $t0, 1))") s: $w write calls, $r renames onto the file (at most $most each)"
[ "$w" -ge 1 ] && [ "$w" -le "$most" ] || fail "$w write calls reached the kernel, want 1..$most"
[ "$r" -ge 1 ] && [ "$r" -le "$most" ] || fail "$r renames onto the file, want 1..$most"
echo "ok: write calls and renames reaching the kernel: one per window"
set -- $(cat "$T/reader.out")
note "reader: $*"
[ "$2" -gt 0 ] || fail "the reader read nothing"
eq "torn states the reader saw" "$4" 0
eq "states going back the reader saw" "$6" 0
eq "files left in the directory" "$(ls -A "$T/b")" "state.json"

# SIGKILL after 200 saves (a 60 s window: only the first reached the
# file); the next process debouncing it reads the last complete state
KILL='import json, os, sys, signal
d = sys.argv[1]
for i in range(200):
    with open(d + "/s.json.tmp", "w") as f:
        json.dump({"seq": i, "pad": "x" * 3000}, f)
    os.replace(d + "/s.json.tmp", d + "/s.json")
os.kill(os.getpid(), signal.SIGKILL)'
strace -f -qq -yy -o "$T/st" -e trace=write,writev,pwrite64 \
    -E IOSHIM_DEBOUNCE="$T/k/*.json=60000" -E LD_PRELOAD="$SHIM" $PY -c "$KILL" "$T/k"
w=$(writes "$T/k")
[ "$w" -le 2 ] || fail "$w write calls for 200 saves in one window, want at most 2"
echo "ok: 200 saves, $w write calls before the SIGKILL"
eq "state on disk after SIGKILL" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$T/k/s.json")" 0
got=$(IOSHIM_DEBOUNCE="$T/k/*.json=60000" LD_PRELOAD="$SHIM" $PY -c \
    'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$T/k/s.json") ||
	fail "the next process could not read the state"
eq "state the next process reads" "$got" 199
eq "files left in the directory" "$(ls -A "$T/k")" "s.json"

# saves held and not held in one window (a rename while the temporary
# file is still open, a temporary file read back, alternating): the
# program reads back its newest state, the file holds it after exit and
# no hidden file stays (review 2, defect 1: a held older state was
# written over the newer one)
MIX='import os, sys
d = sys.argv[1]; t = d + "/s.json"; tmp = t + ".tmp"
out = []
for i in range(30):
    with open(tmp, "w+") as f:
        f.write("state %d" % i); f.flush()
        if i % 3 == 1:
            os.replace(tmp, t)
        elif i % 3 == 2:
            f.seek(0); f.read()
    if i % 3 != 1:
        os.replace(tmp, t)
    if i % 3 == 1:
        out.append(open(t).read())
    if i % 3 == 0:
        with open(tmp, "w") as f:
            f.write("x%d" % i); f.flush()
            if open("/proc/self/fd/%d" % f.fileno()).read() != "x%d" % i:
                sys.exit("/proc/self/fd of the temporary file: not its bytes")
        os.unlink(tmp)
print(" ".join(x.split()[1] for x in out))'
mkdir "$T/mx1" "$T/mx2"
want=$($PY -c "$MIX" "$T/mx1")
eq "mixed saves: what the program read back after each" \
    "$(IOSHIM_DEBOUNCE="$T/mx2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$MIX" "$T/mx2")" "$want"
eq "mixed saves: the state file" "$(cat "$T/mx2/s.json")" "$(cat "$T/mx1/s.json")"
eq "mixed saves: files left" "$(ls -A "$T/mx2")" "$(ls -A "$T/mx1")"

# the same with no next process: `ioshim salvage` writes the held state
# (as root for another user too, with that user's identity)
seqof() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$1"; }
mkdir "$T/ks"
IOSHIM_DEBOUNCE="$T/ks/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$KILL" "$T/ks"
# (a collector running on this machine salvages the same directories
# every few seconds: then there is nothing left for this one to do)
if [ "$(seqof "$T/ks/s.json")" = 0 ]; then
	"$IOSHIM" salvage >"$T/salv.out" || true
	if [ "$(seqof "$T/ks/s.json")" = 199 ] && ! grep -q "debounced state(s)" "$T/salv.out"; then
		note "another salvager wrote it first"
	else
		grep -q "debounced state(s)" "$T/salv.out" ||
			fail "ioshim salvage said nothing of held states: $(cat "$T/salv.out")"
	fi
fi
eq "after ioshim salvage" "$(seqof "$T/ks/s.json")" 199
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	mkdir "$T/kn"; chown 65534:65534 "$T/kn"; chmod 755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups env IOSHIM_DEBOUNCE="$T/kn/*.json=60000" \
	    LD_PRELOAD="$SHIM" $PY -c "$KILL" "$T/kn"
	"$IOSHIM" salvage >"$T/salv2.out" || true
	eq "uid 65534's, after root's ioshim salvage" "$(seqof "$T/kn/s.json")" 199
	eq "uid 65534's file is still its own" "$(stat -c %U "$T/kn/s.json")" nobody
fi

# read back and fstat'ed before the rename: the program's own bytes
READ='import json, os, sys
d = sys.argv[1]
for i in range(200):
    data = json.dumps({"seq": i, "pad": "y" * 2000})
    with open(d + "/s.json.tmp", "w") as f:
        f.write(data)
        if i % 10 == 5:
            f.flush()
            if os.fstat(f.fileno()).st_size != len(data):
                sys.exit("fstat: save %d: size %d" % (i, os.fstat(f.fileno()).st_size))
            if open(d + "/s.json.tmp").read() != data:
                sys.exit("read back: save %d differs" % i)
    os.replace(d + "/s.json.tmp", d + "/s.json")
    if i % 10 == 7 and json.load(open(d + "/s.json"))["seq"] != i:
        sys.exit("state file read back: not save %d" % i)'
strace -f -qq -yy -o "$T/st" -e trace=write,writev,pwrite64 \
    -E IOSHIM_DEBOUNCE="$T/r/*.json=60000" -E LD_PRELOAD="$SHIM" $PY -c "$READ" "$T/r" ||
	fail "the program did not see its own bytes"
w=$(writes "$T/r")
note "200 saves, 20 fstat'ed and read back, 20 state files read back: $w write calls"
[ "$w" -le 62 ] || fail "$w write calls, want at most 62 (the saves looked at, and the window's)"
echo "ok: every temporary file looked at showed its own bytes; the others held"
$PY -c "$READ" "$T/a" || fail "unshimmed read-back run failed"
cmp "$T/a/s.json" "$T/r/s.json" || fail "read-back run: final state differs"

# fstatat(fd, "", AT_EMPTY_PATH) and statx of the fd: the size written
XST='import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_EMPTY_PATH = 0x1000
d = sys.argv[1]
for i in range(20):
    data = json.dumps({"seq": i, "pad": "z" * 1000})
    with open(d + "/s.json.tmp", "w") as f:
        f.write(data); f.flush()
        buf = ctypes.create_string_buffer(512)
        if i % 2 == 0:
            # struct statx: stx_size is the u64 at offset 40
            if libc.statx(f.fileno(), b"", AT_EMPTY_PATH, 0x200, buf) != 0:
                sys.exit("statx failed")
            size = int.from_bytes(buf.raw[40:48], "little")
        else:
            # struct stat (x86_64 and arm64 alike): st_size at offset 48
            if libc.fstatat(f.fileno(), b"", buf, AT_EMPTY_PATH) != 0:
                sys.exit("fstatat failed")
            size = int.from_bytes(buf.raw[48:56], "little")
        if size != len(data):
            sys.exit("save %d: size %d, wrote %d" % (i, size, len(data)))
    os.replace(d + "/s.json.tmp", d + "/s.json")'
mkdir "$T/xs"
if [ "$(uname -m)" = x86_64 ]; then
	IOSHIM_DEBOUNCE="$T/xs/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$XST" "$T/xs" ||
		fail "fstatat/statx of a held fd did not show its bytes"
	echo "ok: fstatat(fd, \"\", AT_EMPTY_PATH) and statx of a held fd show its bytes"
fi

# a temporary file never renamed: its bytes in it after the exit,
# written only after its close (they were held)
NEVER='import os, sys
d = sys.argv[1]
open(d + "/s.json.tmp", "w").write("first"); os.replace(d + "/s.json.tmp", d + "/s.json")
with open(d + "/s.json.part", "w") as f:
    f.write("never renamed\n")'
strace -f -qq -yy -o "$T/st" -e trace=write,pwrite64,close \
    -E IOSHIM_DEBOUNCE="$T/n/*.json=60000" -E LD_PRELOAD="$SHIM" $PY -c "$NEVER" "$T/n"
eq "the never renamed file" "$(cat "$T/n/s.json.part")" "never renamed"
order=$($PY - "$T/st" "$T/n/s.json.part" <<'PY'
import re, sys
p = re.escape(sys.argv[2])
ev = [("close" if l.split()[1].startswith("close") else "write")
      for l in open(sys.argv[1], errors='replace')
      if re.search(r'\b(close|write|pwrite64)\(\d+<' + p + '>', l)]
print(" ".join(ev[:2]))
PY
)
eq "its first calls: the program's close, then the write (at the exit)" "$order" "close write"

# positions while held: pwrite at the held end, lseek to the end, a write
# after a pwrite: the files are those of the unshimmed run
POS='import os, sys
d = sys.argv[1]
open(d + "/s.json.tmp", "w").write("0"); os.replace(d + "/s.json.tmp", d + "/s.json")
fd = os.open(d + "/s.json.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.pwrite(fd, b"abc", 0); os.pwrite(fd, b"def", 3)
print(os.lseek(fd, 0, os.SEEK_CUR), os.lseek(fd, 0, os.SEEK_END))
os.write(fd, b"XY"); os.close(fd)
fd = os.open(d + "/s.json.tmp2", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"hello"); os.pwrite(fd, b" world", 5); os.write(fd, b"J")
print(os.lseek(fd, 0, os.SEEK_CUR)); os.close(fd)'
mkdir "$T/p1" "$T/p2"
$PY -c "$POS" "$T/p1" >"$T/p1.out" || fail "unshimmed positions run failed"
IOSHIM_DEBOUNCE="$T/p2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$POS" "$T/p2" >"$T/p2.out" ||
	fail "shimmed positions run failed"
eq "positions the program was told" "$(cat "$T/p2.out")" "$(cat "$T/p1.out")"
eq "pwrite, lseek, write: the file" "$(cat "$T/p2/s.json.tmp")" "$(cat "$T/p1/s.json.tmp")"
eq "write, pwrite, write: the file" "$(cat "$T/p2/s.json.tmp2")" "$(cat "$T/p1/s.json.tmp2")"
