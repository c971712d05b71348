#!/bin/sh
# t-coalesce-rotating.sh - size and position queries answered without a
# flush (issue 17): python's RotatingFileHandler stats its log by name
# and seeks to its end before every record; under the shim its records
# are still coalesced, the rotated files byte-identical to an unshimmed
# run (every record once, in order), and a program that mixes appends
# with stat, fstat, lseek(SEEK_END), tell and reads sees what it sees
# without the shim.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace"
PY=/usr/bin/python3
D=$(mktemp -d /var/tmp/ioshim-rot.XXXXXX)	# a disk: /tmp may be tmpfs
trap 'rm -rf "$T" "$D"' EXIT
cat >"$T/rot.py" <<'PY'
import logging, logging.handlers, sys
h = logging.handlers.RotatingFileHandler(sys.argv[1] + "/app.log",
    maxBytes=7000, backupCount=50)
h.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
log = logging.getLogger("t"); log.addHandler(h); log.setLevel(logging.INFO)
for i in range(3000):
    log.info("record %05d %s", i, "z" * (i % 53))
PY
mkdir "$D/plain" "$D/shim"
$PY "$T/rot.py" "$D/plain" || fail "unshimmed run"
LD_PRELOAD=$SHIM strace -f -yy -e trace=write -o "$T/st" $PY "$T/rot.py" "$D/shim" ||
	fail "shimmed run"
diff -r "$D/plain" "$D/shim" >/dev/null || fail "the rotated logs differ from the unshimmed run's"
n=$(ls "$D/shim" | wc -l)
[ "$n" -gt 10 ] || fail "only $n files: the handler did not rotate"
w=$(grep -c "write(.*<$D/shim/app.log" "$T/st")
[ "$w" -le 60 ] || fail "$w write system calls for 3000 records"
echo "ok: RotatingFileHandler: 3000 records, $n files byte-identical to an unshimmed run, $w write system calls"

# the queries themselves, against the kernel's answers
cat >"$T/q.py" <<'PY'
import os, sys
p = sys.argv[1]
out = []
fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
out.append(("tell after open", os.lseek(fd, 0, os.SEEK_CUR)))
for i in range(5):
    os.write(fd, b"line %d\n" % i)
    st = os.stat(p)
    out.append(("stat", st.st_size, st.st_blocks))
    out.append(("fstat", os.fstat(fd).st_size))
    out.append(("end", os.lseek(fd, 0, os.SEEK_END)))
    out.append(("tell", os.lseek(fd, 0, os.SEEK_CUR)))
    os.write(fd, b"more %d\n" % i)
    out.append(("tell after write", os.lseek(fd, 0, os.SEEK_CUR)))
out.append(("set", os.lseek(fd, 3, os.SEEK_SET)))
out.append(("tell", os.lseek(fd, 0, os.SEEK_CUR)))
os.write(fd, b"last\n")
out.append(("end", os.lseek(fd, 0, os.SEEK_END)))
# a read-write fd: the position after seeking to the end is where a read starts
rw = os.open(p, os.O_RDWR | os.O_APPEND)
os.write(rw, b"rw line\n")
out.append(("rw end", os.lseek(rw, 0, os.SEEK_END)))
out.append(("rw read at end", os.read(rw, 100)))
out.append(("rw back", os.lseek(rw, -8, os.SEEK_CUR)))
out.append(("rw read", os.read(rw, 100)))
os.close(rw)
os.close(fd)
out.append(("content", open(p, "rb").read()))
for o in out:
    print(*o)
PY
$PY "$T/q.py" "$D/q.plain" >"$T/q.plain" || fail "unshimmed queries"
LD_PRELOAD=$SHIM IOSHIM_FLUSH_MS=60000 $PY "$T/q.py" "$D/q.shim" >"$T/q.shim" || fail "shimmed queries"
diff "$T/q.plain" "$T/q.shim" || fail "stat, fstat, lseek or read answered otherwise under the shim"
echo "ok: stat, fstat, lseek(SEEK_END), tell and reads answer as without the shim ($(wc -l <"$T/q.shim") answers)"
