#!/bin/sh
# t-disable.sh - IOSHIM_DISABLE=1 leaves the shim inert: a workload of real
# programs (a shell, coreutils, python, perl; files written, appended,
# copied, read back, a child killed by a signal) makes under the disabled
# shim exactly the system calls it makes without the shim (strace -f,
# counted by name and path), apart from the loader mapping the library:
# no socket, no file, no thread, no signal handler, no /proc read.  Its
# output and files are the same, and neither a report nor a collector
# hears of it, though IOSHIM_REPORT and IOSHIM_SOCKET are set.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace"
[ -f "$SHIM" ] || skip "shim not built"
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
unset LD_PRELOAD IOSHIM_DISABLE
lib=$(realpath "$SHIM")
py=/usr/bin/python3; [ -x "$py" ] || py=
pl=/usr/bin/perl; [ -x "$pl" ] || pl=
cat >"$T/work.sh" <<'W'
set -u
echo one >f1; echo two >>f1; cat f1 f1 >f2; cp f2 f3; sort -r f3 >f4
i=0; while [ $i -lt 20 ]; do echo "line $i" >>log; i=$((i + 1)); done
wc -l log >count; ls -l f1 f2 f3 f4 log | awk '{print $5, $9}' >sizes
sh -c 'kill -TERM $$'; echo "killed: $?" >>count
[ -z "$PY" ] || "$PY" -S -c 'import os
with open("py.log", "a") as f:
    for i in range(50): f.write("p %d\n" % i)
os.fsync(os.open("py.log", os.O_RDONLY))
print(open("py.log").read().count("\n"))' >pyout
[ -z "$PL" ] || "$PL" -e 'open(F, ">>", "pl.log") or die; print F "q $_\n" for 1..30; close F; print -s "pl.log", "\n"' >plout
cat f4 count
exit 3
W
run() {	# run DIR [env...]: the workload in DIR under strace -f
	d=$1; shift
	mkdir -p "$d"
	(cd "$d" && env LC_ALL=C PY="$py" PL="$pl" "$@" strace -f -qq -o ../"$(basename "$d").tr" sh "$T/work.sh" >out 2>err; echo $? >status)
}
run "$T/plain"
run "$T/off" IOSHIM_DISABLE=1 IOSHIM_REPORT="$T/report.jsonl" IOSHIM_SOCKET="$T/none.sock" LD_PRELOAD="$lib"
for f in out err status f1 f2 f3 f4 log count sizes pyout plout py.log pl.log; do
	[ -e "$T/plain/$f" ] || continue
	cmp "$T/plain/$f" "$T/off/$f" || fail "$f differs under the disabled shim"
done
eq "exit status" "$(cat "$T/off/status")" 3
[ ! -e "$T/report.jsonl" ] || fail "the disabled shim wrote a report"
grep -q "$lib" "$T/off.tr" || fail "the library was not loaded"
cat >"$T/count.py" <<'P'
# count.py LOG LIB: system calls in a strace -f log, by name (and by path
# for the calls that take one), without the loader's open..close of LIB;
# each load of LIB also costs one mprotect (its RELRO), taken off.
# Anonymous memory (mmap of no file, munmap, brk) is layout, not behaviour:
# the loader's larger TLS block moves where later allocations fall, so
# those are not counted (a thread the shim started would show as clone).
# rt_sigreturn follows a signal whose arrival (SIGCHLD) is timing.
import collections, re, sys
log, lib = sys.argv[1], sys.argv[2]
c, inlib, loads = collections.Counter(), set(), 0
paths = ("openat", "execve", "newfstatat", "unlink", "rename", "mkdir",
         "readlink", "access", "statx", "connect", "socket")
for l in open(log):
    m = re.match(r"(\d+)\s+(\w+)\((.*)", l)
    if not m:
        continue
    pid, name, rest = m.groups()
    if name in ("munmap", "brk", "rt_sigreturn") or (name == "mmap" and "MAP_ANONYMOUS" in rest):
        continue
    if name == "openat" and lib in rest:
        inlib.add(pid); loads += 1; continue
    if pid in inlib:
        if name == "close":
            inlib.discard(pid)
        continue
    p = re.search(r'"([^"]*)"', rest)
    c[name + (" " + p.group(1) if p and name in paths else "")] += 1
c["mprotect"] -= loads
for k in sorted(c):
    print(c[k], k)
P
python3 "$T/count.py" "$T/plain.tr" "$lib" >"$T/plain.n"
python3 "$T/count.py" "$T/off.tr" "$lib" | sed "s|$T/off|$T/plain|g" >"$T/off.n"
if ! diff "$T/plain.n" "$T/off.n"; then
	fail "the disabled shim changed the program's system calls (< without, > with)"
fi
note "$(wc -l <"$T/plain.n") distinct calls, $(awk '{s += $1} END {print s}' "$T/plain.n") in all, the same with IOSHIM_DISABLE=1"
echo "ok: IOSHIM_DISABLE=1 makes no system call of its own"
# the library really is active without it: the same run counts and reports
run "$T/on" IOSHIM_REPORT="$T/report.jsonl" IOSHIM_SOCKET="$T/none.sock" LD_PRELOAD="$lib"
[ -s "$T/report.jsonl" ] || fail "the enabled shim wrote no report (the check above proves nothing)"
cmp "$T/plain/out" "$T/on/out" || fail "output differs under the enabled shim"
echo "ok: without IOSHIM_DISABLE the same run is reported"
