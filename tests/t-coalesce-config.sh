#!/bin/sh
# t-coalesce-config.sh - what is coalesced: IOSHIM_COALESCE=0 and
# `ioshim run --no-coalesce` write every append through (strace sees one
# write per line, the report absorbs none); IOSHIM_COALESCE_INCLUDE /
# _EXCLUDE globs pick the logs; a tmpfs file (/dev/shm) is not coalesced;
# the logs are identical either way.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
L=$(prog co_lines)
N=2000

# both LOGA LOGB ENV...: co_lines on two logs in one shell, traced
both() {
	a=$1 b=$2; shift 2
	rm -f "$a" "$b" "$T/r.rep"
	traced "$T/st" env IOSHIM_REPORT="$T/r.rep" LD_PRELOAD="$SHIM" "$@" \
	    sh -c '"$0" "$1" a '$N' && "$0" "$2" b '$N "$L" "$a" "$b" || fail "run failed"
	na=$(wcount "$T/st" "$a") nb=$(wcount "$T/st" "$b")
	lines_check "$a" a:$N >/dev/null
	lines_check "$b" b:$N >/dev/null
}
through() { [ "$2" -eq $N ] || fail "$1: $2 write calls, want $N (written through)"; echo "ok: $1: written through"; }
held() { [ $(( $2 * 10 )) -le $N ] || fail "$1: $2 write calls for $N lines: not coalesced"; echo "ok: $1: coalesced ($2 calls)"; }

both "$T/a.log" "$T/b.log"
held "default a" $na; held "default b" $nb
both "$T/a.log" "$T/b.log" IOSHIM_COALESCE=0
through "IOSHIM_COALESCE=0 a" $na; through "IOSHIM_COALESCE=0 b" $nb
eq "IOSHIM_COALESCE=0: writes_absorbed" "$(csum "$T/r.rep" writes_absorbed)" 0
both "$T/a.log" "$T/b.log" IOSHIM_COALESCE_INCLUDE="$T/a.*"
held "INCLUDE=a.*: a" $na; through "INCLUDE=a.*: b" $nb
both "$T/a.log" "$T/b.log" IOSHIM_COALESCE_EXCLUDE="*/a.log"
through "EXCLUDE=*/a.log: a" $na; held "EXCLUDE=*/a.log: b" $nb
both "$T/a.log" "$T/b.log" IOSHIM_COALESCE_INCLUDE="/nowhere/*:*.log" IOSHIM_COALESCE_EXCLUDE="*/b.*"
held "INCLUDE two globs, EXCLUDE b: a" $na; through "INCLUDE two globs, EXCLUDE b: b" $nb

if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ]; then
	S=$(mktemp -d /dev/shm/ioshim-t.XXXXXX)
	both "$S/a.log" "$T/b.log"
	rm -rf "$S"
	through "tmpfs log" $na; held "disk log beside it" $nb
fi

[ -x "$IOSHIM" ] || skip "tools/ioshim not built (the rest passed)"
rm -f "$T/n.log"
traced "$T/st" "$IOSHIM" run --report "$T/n.rep" --no-coalesce -- "$L" "$T/n.log" a $N || fail "ioshim run failed"
through "ioshim run --no-coalesce" "$(wcount "$T/st" "$T/n.log")"
lines_check "$T/n.log" a:$N
rm -f "$T/n.log"
traced "$T/st" "$IOSHIM" run --report "$T/n.rep" -- "$L" "$T/n.log" a $N || fail "ioshim run failed"
held "ioshim run" "$(wcount "$T/st" "$T/n.log")"
lines_check "$T/n.log" a:$N
