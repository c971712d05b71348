#!/bin/sh
# t-debounce-python.sh - issue 19: python json.dump to a temporary file +
# os.replace, 1,000 saves a second for 5 s, under IOSHIM_DEBOUNCE with a
# 500 ms window.  Against the same program unshimmed: the final file is
# the same byte for byte; the renames onto the state file that reach the
# kernel (strace -f) are at most one per window, plus the leading save
# and the one at exit, and are the report's saves_written; a reader
# process polling the file never sees a torn state or one going back; no
# hidden pending file is left.  The program reads back its own latest
# save at once; an exec writes the latest state before the new image.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
SAVER=$TOP/tests/progs/db_saver.py READER=$TOP/tests/progs/db_reader.py
mkdir "$T/a" "$T/b" "$T/c"

n=$($PY "$SAVER" "$T/a/state.json" 5 1000) || fail "unshimmed saver failed"
note "unshimmed: $n saves"

$PY "$READER" "$T/b/state.json" "$T/stop" >"$T/reader.out" &
rd=$!
t0=$(date +%s.%N)
m=$(strace -f -qq -o "$T/st" -e trace=rename,renameat,renameat2 \
    -E IOSHIM_REPORT="$T/r.rep" -E IOSHIM_DEBOUNCE="$T/b/*.json=500" \
    -E LD_PRELOAD="$SHIM" $PY "$SAVER" "$T/b/state.json" 5 1000) ||
	fail "shimmed saver failed"
t1=$(date +%s.%N)
: >"$T/stop"
wait $rd
note "reader: $(cat "$T/reader.out")"
eq "saves" "$m" "$n"
cmp "$T/a/state.json" "$T/b/state.json" || fail "final state differs from the unshimmed run's"
echo "ok: final state byte-identical to the unshimmed run's"

got=$(renames "$T/st" "$T/b/state.json")
most=$($PY -c "import math; print(math.ceil(($t1 - $t0) / 0.5) + 2)")
note "renames onto the state file: $got for $n saves in $($PY -c "print(round($t1 - $t0, 1))") s (at most $most)"
[ "$got" -ge 2 ] && [ "$got" -le "$most" ] || fail "$got renames reached the kernel, want 2..$most"
echo "ok: renames reaching the kernel: $got <= $most (one per window)"
eq "report saves_written = strace's renames" "$(dbsum "$T/r.rep" saves_written)" "$got"
eq "report saves_absorbed + saves_written" \
    "$(( $(dbsum "$T/r.rep" saves_absorbed) + $(dbsum "$T/r.rep" saves_written) ))" "$n"
[ "$(dbsum "$T/r.rep" bytes_saved)" -gt 0 ] || fail "bytes_saved is 0"
eq "per-file row" "$(json "$T/r.rep" "[f['path'] for x in r for f in x.get('debounce', {}).get('files', [])]")" \
    "['$T/b/state.json']"

set -- $(cat "$T/reader.out")
[ "$2" -gt 0 ] || fail "the reader read nothing"
eq "torn states the reader saw" "$4" 0
eq "states going back the reader saw" "$6" 0
eq "files left in the directory" "$(ls -A "$T/b")" "state.json"

# the program sees its own state; exec writes it first
IOSHIM_DEBOUNCE="$T/c/*.json=60000" LD_PRELOAD="$SHIM" $PY "$SAVER" "$T/c/state.json" 1 500 readback >/dev/null ||
	fail "readback: the program did not read its own last save"
echo "ok: every 50th save read back at once as saved (60 s window)"
IOSHIM_DEBOUNCE="$T/c/*.json=60000" LD_PRELOAD="$SHIM" $PY "$SAVER" "$T/c/x.json" 1 300 exec >"$T/exec.out" ||
	fail "exec run failed"
eq "state cat read after exec" "$(tail -n 1 "$T/exec.out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["seq"])')" 299
# an exec that fails: the image before it reported its saves, the one
# that goes on counts from zero (each save counted once over the records)
IOSHIM_REPORT="$T/bx.rep" IOSHIM_DEBOUNCE="$T/c/*.json=60000" LD_PRELOAD="$SHIM" $PY "$SAVER" "$T/c/y.json" 1 200 badexec >"$T/bx.out" ||
	fail "failed-exec run failed"
eq "failed exec: saves in the reports (absorbed + written)" \
    "$(( $(dbsum "$T/bx.rep" saves_absorbed) + $(dbsum "$T/bx.rep" saves_written) ))" "$(tail -n 1 "$T/bx.out")"

# mode, owner and times the program gives its temporary file through the
# fd (fchmod, fchown as root, futimens): on the state file, as unshimmed
# (a held temporary file is let go: its own inode is renamed)
MO='import os, sys
d = sys.argv[1]; t = d + "/s.json"; tmp = t + ".tmp"
for i in range(5):
    with open(tmp, "w") as f:
        f.write("state %d" % i); f.flush()
        os.fchmod(f.fileno(), 0o640)
        if os.geteuid() == 0: os.fchown(f.fileno(), 65534, 65534)
        os.utime(f.fileno(), (1000000 + i, 2000000 + i))
    os.replace(tmp, t)
st = os.stat(t); print(st.st_uid, oct(st.st_mode), int(st.st_mtime))'
mkdir "$T/m1" "$T/m2"
want=$($PY -c "$MO" "$T/m1")
eq "mode, owner, mtime set through the temporary file's fd, seen by the program" \
    "$(IOSHIM_DEBOUNCE="$T/m2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$MO" "$T/m2")" "$want"
eq "mode, owner, mtime of the state file" "$(stat -c '%u %a %Y' "$T/m2/s.json")" "$(stat -c '%u %a %Y' "$T/m1/s.json")"

# a rename FROM a name with a pending state moves that state (review
# defect 1): three saves of a.json, then a.json renamed to b.json, both
# named by the pattern; as unshimmed: a.json gone, b.json the last state
ROT='import os, sys
d = sys.argv[1]
for i in range(3):
    with open(d + "/tmp", "w") as f: f.write("state %d" % i)
    os.replace(d + "/tmp", d + "/a.json")
os.rename(d + "/a.json", d + "/b.json")
print(os.path.exists(d + "/a.json"))'
mkdir "$T/r1" "$T/r2"
p=$($PY -c "$ROT" "$T/r1") || fail "unshimmed rotate failed"
s=$(IOSHIM_DEBOUNCE="$T/r2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$ROT" "$T/r2") ||
	fail "shimmed rotate failed"
eq "a.json right after the rotate" "$s" "$p"
eq "files after the rotate" "$(ls -A "$T/r2")" "$(ls -A "$T/r1")"
eq "b.json after the rotate" "$(cat "$T/r2/b.json")" "$(cat "$T/r1/b.json")"

# a rename the kernel refuses is the kernel's to answer (review defect
# 7): the target replaced by a directory inside the window; as
# unshimmed, EISDIR and the temporary file stays
DIRT='import os, sys, errno
d = sys.argv[1]; t = d + "/s.json"
open(d + "/tmp", "w").write("state 0"); os.replace(d + "/tmp", t)
os.unlink(t); os.mkdir(t)
open(d + "/tmp", "w").write("state 1")
try: os.replace(d + "/tmp", t); print("ok")
except OSError as e: print(errno.errorcode[e.errno])'
mkdir "$T/e1" "$T/e2"
p=$($PY -c "$DIRT" "$T/e1") || fail "unshimmed EISDIR run failed"
s=$(IOSHIM_DEBOUNCE="$T/e2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$DIRT" "$T/e2") ||
	fail "shimmed EISDIR run failed"
eq "rename onto a directory" "$s" "$p"
eq "files after the refused rename" "$(ls -A "$T/e2")" "$(ls -A "$T/e1")"

# a pending state another process's later save or delete supersedes
# (review defect 2): A saves twice, then waits while B saves (or deletes)
# the file, then ends; as unshimmed, B's change is the final one
TWO='import os, sys, time
d, t = sys.argv[1], sys.argv[1] + "/s.json"
for i in range(2):
    open(d + "/tmp", "w").write("A %d" % i); os.replace(d + "/tmp", t)
open(d + "/ready", "w").close()
while not os.path.exists(d + "/go"): time.sleep(0.01)'
other() {	# DIR save|rm: A in the background, B's change when A is ready
	while [ ! -e "$1/ready" ]; do sleep 0.01; done
	if [ "$2" = save ]; then echo B >"$1/b.tmp"; mv "$1/b.tmp" "$1/s.json"; else rm "$1/s.json"; fi
	: >"$1/go"
}
for how in save rm; do
	mkdir "$T/$how.p" "$T/$how.s"
	$PY -c "$TWO" "$T/$how.p" & a=$!
	other "$T/$how.p" $how; wait $a || fail "unshimmed A failed"
	IOSHIM_DEBOUNCE="$T/$how.s/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$TWO" "$T/$how.s" & a=$!
	other "$T/$how.s" $how; wait $a || fail "shimmed A failed"
	eq "another's $how after a pending save: files" "$(ls -A "$T/$how.s")" "$(ls -A "$T/$how.p")"
	eq "another's $how after a pending save: state" "$(cat "$T/$how.s/s.json" 2>&1 | sed "s|$T/$how.s||")" \
	    "$(cat "$T/$how.p/s.json" 2>&1 | sed "s|$T/$how.p||")"
done

# extended attributes by path act on the program's newest state (review
# defect 13): two saves, then setxattr by name; as unshimmed
XA='import os, sys
d = sys.argv[1]; t = d + "/s.json"
for i in range(2):
    open(d + "/tmp", "w").write("state %d" % i); os.replace(d + "/tmp", t)
try: os.setxattr(t, "user.saved", b"%d" % i)
except OSError as e: print("no xattr", e.errno)'
mkdir "$T/x1" "$T/x2"
p=$($PY -c "$XA" "$T/x1")
if [ -z "$p" ]; then
	IOSHIM_DEBOUNCE="$T/x2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$XA" "$T/x2"
	eq "state after setxattr by path" "$(cat "$T/x2/s.json")" "$(cat "$T/x1/s.json")"
	eq "xattr on the state" "$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.saved"))' "$T/x2/s.json")" \
	    "$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.saved"))' "$T/x1/s.json")"
	# set on the temporary file (by its fd, then by its name) before
	# each save: the state file carries them, as unshimmed (a held
	# temporary file is let go: its own inode is renamed)
	XT='import os, sys
d = sys.argv[1]; t = d + "/s.json"; tmp = t + ".tmp"
for i in range(5):
    with open(tmp, "w") as f:
        f.write("state %d" % i)
        if sys.argv[2] == "fd": os.setxattr(f.fileno(), "user.v", b"%d" % i)
    if sys.argv[2] == "name": os.setxattr(tmp, "user.v", b"%d" % i)
    os.replace(tmp, t)
print(os.getxattr(t, "user.v"))'
	for how in fd name; do
		mkdir "$T/x3$how" "$T/x4$how"
		want=$($PY -c "$XT" "$T/x3$how" $how)
		eq "xattr set on the temporary file by $how, seen by the program" \
		    "$(IOSHIM_DEBOUNCE="$T/x4$how/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$XT" "$T/x4$how" $how)" "$want"
		eq "xattr set on the temporary file by $how, on the state file" \
		    "$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.v"))' "$T/x4$how/s.json")" "$want"
		eq "state with xattrs ($how)" "$(cat "$T/x4$how/s.json")" "$(cat "$T/x3$how/s.json")"
	done
else
	note "user xattrs not supported here ($p): not tried"
fi
