#!/bin/sh
# t-coalesce-enospc.sh - a log on a full filesystem (a 2 MiB ext4 image,
# loop-mounted; skipped where mount is not allowed).
# stop:  the program appends until a call fails.  Under the shim the
#        ENOSPC reaches it (on a later write, fsync or close), the file
#        holds an exact prefix of what it wrote, as many bytes as fit
#        without the shim; nothing is dropped silently.
# retry: the program frees space when told ENOSPC and goes on; under the
#        shim the held bytes are kept and retried: the file is complete
#        and identical to the unshimmed run's.  Also with the room made
#        by a forked child while the parent holds unwritten bytes: the
#        child must not write the parent's held bytes (no duplicates).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
P=$(prog co_nospc)
[ "$(id -u)" = 0 ] || skip "mount needs root"
MNT=
trap '[ -n "$MNT" ] && umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT
fresh() {	# fresh DIR: a new small ext4 mounted on DIR
	[ -n "$MNT" ] && umount "$MNT"
	MNT=
	mkdir -p "$1"
	rm -f "$T/img"
	truncate -s 2M "$T/img" && mkfs.ext4 -q -F "$T/img" >/dev/null 2>&1 || skip "mkfs.ext4 failed"
	mount -o loop "$T/img" "$1" 2>/dev/null || skip "cannot loop-mount an image here"
	MNT=$1
}
val() { echo "$2" | sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p"; }
prefix_ok() {	# the log is exactly the first bytes of the stream
	$PY - "$1" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
want = b''.join(b'%08d %090d\n' % (i, i) for i in range(len(d) // 100 + 1))
sys.exit(0 if want.startswith(d) else 'not a prefix of what was written')
PY
}

# stop
fresh "$T/m"
base=$("$P" "$T/m/app.log" 100000 stop) || fail "unshimmed run failed"
cp "$T/m/app.log" "$T/b.log"
fresh "$T/m"
shim=$(IOSHIM_FLUSH_MS=60000 shimmed "$T/s.rep" "$P" "$T/m/app.log" 100000 stop) || fail "shimmed run failed"
cp "$T/m/app.log" "$T/s.log"
echo "# unshimmed: $base"
echo "# shimmed:   $shim"
eq "unshimmed write error" "$(val werr "$base")" 28
case " $(val werr "$shim") $(val fsync "$shim") $(val close "$shim") " in
*" 28 "*) echo "ok: ENOSPC reached the program";;
*) fail "the shim never told the program ENOSPC: $shim";;
esac
prefix_ok "$T/s.log" || fail "shimmed log is not an exact prefix of the stream"
# no more partial lines than without the shim: at most the last, and none
# where the unshimmed run ended on a whole line (issue 15, item 4)
if [ "$(tail -c 1 "$T/b.log" | od -An -c | tr -d ' ')" = '\n' ]; then
	[ "$(tail -c 1 "$T/s.log" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "the shimmed log ends inside a line ($(tail -n 1 "$T/s.log" | wc -c) bytes); without the shim it ends on a whole line"
	echo "ok: both logs end on a whole line"
fi
bs=$(wc -c <"$T/b.log") ss=$(wc -c <"$T/s.log")
[ "$ss" -ge $((bs - 4096)) ] || fail "only $ss bytes reached the file under the shim, $bs without"
echo "ok: $ss bytes in the file under the shim, $bs without"
e=$(csum "$T/s.rep" errors)
[ "$e" -gt 0 ] || fail "report counts no flush errors"
echo "ok: $e flush errors counted"

# retry: 250 KiB more than fits (the error reaches a write under the
# shim), and 20 KiB more (it reaches the fsync)
for pre in b s b2 s2 bf sf; do
	fresh "$T/m"
	dd if=/dev/zero of="$T/m/fill" bs=1k count=300 status=none
	avail=$(df -k --output=avail "$T/m" | tail -n 1)
	case $pre in
	*2) n=$((cap + 200));;	# cap: lines that fit, from the first run
	*f) n=$((cap + 2500));;
	*) n=$(( (avail + 250) * 1024 / 100 ));;
	esac
	how=retry
	case $pre in *f) how=fork;; esac
	case $pre in
	b*) out=$("$P" "$T/m/app.log" $n $how "$T/m/fill");;
	*) out=$(IOSHIM_FLUSH_MS=60000 shimmed "$T/r.rep" "$P" "$T/m/app.log" $n $how "$T/m/fill");;
	esac
	echo "# $pre: $n lines: $out"
	[ "$(val freed "$out")" -gt 0 ] || fail "$pre: the filesystem never filled"
	eq "$pre: lines accepted" "$(val lines "$out")" $n
	eq "$pre: close" "$(val close "$out")" 0
	eq "$pre: log size" "$(wc -c <"$T/m/app.log")" $((n * 100))
	prefix_ok "$T/m/app.log" || fail "$pre: log is not the stream"
	cp "$T/m/app.log" "$T/r$pre.log"
	[ $pre = b ] && cap=$(( $(val freed "$out") - 1 ))
done
same_file "retry after ENOSPC on write" "$T/rb.log" "$T/rs.log"
same_file "retry after ENOSPC on fsync" "$T/rb2.log" "$T/rs2.log"
same_file "retry after a forked child made room" "$T/rbf.log" "$T/rsf.log"
