#!/bin/sh
# t-vfork.sh - vfork stays vfork under the shim (issue 14, item 5): the
# child's stores are the parent's (tests/progs/vfork_probe.c), the
# parent's fds, signal dispositions and held log bytes come through the
# child's dup2/close/sigaction/exec unharmed and in order, every image
# writes its report, and python's subprocess (which uses vfork) spawns
# and reports as without the shim.  strace shows vfork, not clone/fork.
. "$(dirname "$0")/lib.sh"
p=$(prog vfork_probe)
"$p" "$T/plain.log" >"$T/plain.out" || fail "without the shim: rc $?"
IOSHIM_FLUSH_MS=60000 IOSHIM_REPORT=$T/r.jsonl LD_PRELOAD=$SHIM "$p" "$T/shim.log" \
	>"$T/shim.out" || { cat "$T/shim.out"; fail "under the shim: rc $?"; }
cat "$T/shim.out"
diff -u "$T/plain.out" "$T/shim.out" || fail "vfork_probe differs under the shim"
cmp "$T/plain.log" "$T/shim.log" || { cat "$T/shim.log"; fail "log differs"; }
eq "log" "$(tr '\n' '|' <"$T/shim.log")" "parent 1|child|parent 2|"
# one record per image: the probe, sh (vfork child's exec), and nothing
# for the vfork children themselves (their image is the parent's)
eq "report records" "$(json "$T/r.jsonl" "len(r)")" 2
eq "report exes" "$(json "$T/r.jsonl" "sorted(x['exe'].rsplit('/',1)[-1] for x in r)")" \
	"['dash', 'vfork_probe']"
# the system call really is vfork
command -v strace >/dev/null || skip "no strace"
LD_PRELOAD=$SHIM strace -f -e trace=vfork,fork,clone,clone3 -o "$T/st" "$p" "$T/s2.log" >/dev/null ||
	fail "under strace: rc $?"
eq "vfork calls" "$(grep -c 'vfork(' "$T/st")" 3
eq "processes made by clone" "$(grep 'clone' "$T/st" | grep -vc CLONE_THREAD)" 0
# python's subprocess (vfork + exec in _posixsubprocess)
PY=/usr/bin/python3
cat >"$T/sp.py" <<'PY'
import subprocess, sys
log = open(sys.argv[1], "a")
log.write("before\n"); log.flush()
subprocess.run(["sh", "-c", "echo from-child >> " + sys.argv[1]], check=True)
try:
    subprocess.Popen(["/nonexistent/prog"])
except FileNotFoundError as e:
    print("missing:", e.errno)
log.write("after\n"); log.close()
PY
$PY "$T/sp.py" "$T/py-plain.log" >"$T/py-plain.out" || fail "python without the shim"
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM strace -f -e trace=vfork,clone,clone3 -o "$T/pyst" \
	$PY "$T/sp.py" "$T/py-shim.log" >"$T/py-shim.out" || fail "python under the shim"
diff -u "$T/py-plain.out" "$T/py-shim.out" || fail "python output differs"
cmp "$T/py-plain.log" "$T/py-shim.log" || fail "python log differs"
eq "python log" "$(tr '\n' '|' <"$T/py-shim.log")" "before|from-child|after|"
[ "$(grep -c 'vfork(' "$T/pyst")" -ge 2 ] || { cat "$T/pyst"; fail "python did not vfork under the shim"; }
echo "ok: vfork kept"
