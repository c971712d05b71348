#!/bin/sh
# t-coalesce-keep.sh - held bytes outlive the close of a log's last fd
# (issue 17): a shell loop of `echo … >> log` and `printf … >> log` (open,
# write, close per line) is coalesced like a program that keeps its log
# open — few write system calls, the file byte-identical to an unshimmed
# run; a program that closes, reopens and reads its own log between
# appends reads every line; a shell killed with SIGKILL while lines it
# closed are held loses none (salvaged); a file size limit set by
# `ulimit -f` in the shell turns coalescing off again.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace"
PY=/usr/bin/python3
D=$(mktemp -d /var/tmp/ioshim-keep.XXXXXX)	# a disk: /tmp may be tmpfs
trap 'rm -rf "$T" "$D"' EXIT
N=2000

# writes LOG STRACE: write system calls to LOG in an strace -f -yy file
writes() { grep -c "write(.*<$1>" "$2"; }

for how in echo printf; do
	case $how in
	echo) loop="for i in \$(seq 1 $N); do echo \"line \$i of the loop\" >> $D/$how.log; done";;
	printf) loop="for i in \$(seq 1 $N); do printf 'line %d: %s\\n' \$i abc >> $D/$how.log; done";;
	esac
	bash -c "$loop"
	mv "$D/$how.log" "$D/$how.plain"
	LD_PRELOAD=$SHIM strace -f -yy -e trace=write,writev -o "$T/$how.st" bash -c "$loop" ||
		fail "$how: the shimmed loop failed"
	cmp -s "$D/$how.log" "$D/$how.plain" || fail "$how: the log differs from the unshimmed run's"
	w=$(writes "$D/$how.log" "$T/$how.st")
	[ "$w" -le $((N / 100)) ] || fail "$how: $w write system calls for $N lines (want at most 1 %)"
	echo "ok: bash $how >> log: $N lines, $w write system calls, the same bytes"
done

# close, reopen and read back between appends: every line is there
LD_PRELOAD=$SHIM $PY - "$D/rb.log" <<'PY' || fail "read back after reopen"
import sys
p = sys.argv[1]
for i in range(200):
    with open(p, "a") as f:
        f.write("line %d\n" % i)
    with open(p) as f:
        got = f.read().splitlines()
    if len(got) != i + 1 or got[-1] != "line %d" % i:
        sys.exit("after line %d the program read %d lines" % (i, len(got)))
PY
echo "ok: a program that reopens and reads its log after each close reads every line"

# a shell killed while lines it closed are held: none lost
rm -f "$D/k.log"
mkfifo "$T/fifo"
# after the loop the shell waits in a builtin (a fork would flush)
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM setsid bash -c \
	"for i in \$(seq 1 300); do echo \"kept \$i\" >> $D/k.log; done; : > $D/done; read -t 30 <> $T/fifo" &
kp=$!
i=0
while [ ! -e "$D/done" ]; do
	[ $i -lt 300 ] || fail "the loop did not finish"
	sleep 0.1; i=$((i + 1))
done
held=$((300 - $(wc -l <"$D/k.log")))
kill -KILL -$kp 2>/dev/null; wait $kp 2>/dev/null
[ $held -gt 0 ] || fail "nothing was held past the close: the test proves nothing"
"$IOSHIM" salvage "/run/ioshim/$(id -u)" "/dev/shm/ioshim-$(id -u)" >"$T/salv" 2>&1
seq 1 300 | sed 's/^/kept /' >"$T/want"
cmp -s "$D/k.log" "$T/want" || { cat "$T/salv"; fail "after SIGKILL and salvage the log is not the 300 lines"; }
echo "ok: $held lines held past their close survived SIGKILL (salvaged)"

# ulimit -f in the shell: the loop's writes go to the kernel one by one
LD_PRELOAD=$SHIM strace -f -yy -e trace=write -o "$T/u.st" bash -c \
	"ulimit -f 100000; for i in \$(seq 1 50); do echo x >> $D/u.log; done"
eq "write system calls under ulimit -f" "$(writes "$D/u.log" "$T/u.st")" 50

# the kept fd's number taken by the program (dup2 onto it): the held line
# goes to its own file first, never to the file now at that number; out
# of descriptors, the program gets the kept ones back; a fork leaves none
cat >"$T/fdgame.py" <<'PY'
import os, resource, sys
d = sys.argv[1]
fd = os.open(d + "/held.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, b"held\n")
os.close(fd)
o = os.open(d + "/other", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(o, 1000)
os.write(1000, b"other\n")
os.close(1000)
os.close(o)
# 20 logs closed with lines held, then descriptors until none is left
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
for i in range(20):
    f = os.open("%s/l%d.log" % (d, i), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(f, b"x\n")
    os.close(f)
fds = []
try:
    while True:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    print("opened", len(fds), e.errno)
for f in fds:
    os.close(f)
print(open(d + "/held.log").read().strip(), open(d + "/other").read().strip())
PY
mkdir "$D/fp" "$D/fs"
$PY "$T/fdgame.py" "$D/fp" >"$T/fp.out" || fail "fdgame without the shim"
LD_PRELOAD=$SHIM IOSHIM_FLUSH_MS=60000 $PY "$T/fdgame.py" "$D/fs" >"$T/fs.out" || fail "fdgame under the shim"
diff "$T/fp.out" "$T/fs.out" || fail "dup2 onto the kept fd, or EMFILE, differ under the shim"
diff -r "$D/fp" "$D/fs" || fail "the files differ"
echo "ok: dup2 onto a kept fd's number and running out of descriptors: as without the shim ($(head -n 1 "$T/fs.out"))"
n=$(LD_PRELOAD=$SHIM bash -c "for i in \$(seq 40); do echo x >> $D/f\$i.log; /bin/true; done; ls -l /proc/\$\$/fd | grep -c '$D/f[0-9]*\.log'")
eq "log fds left in a shell that forked after each line" "$n" 0
