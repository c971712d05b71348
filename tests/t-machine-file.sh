#!/bin/sh
# t-machine-file.sh - ioshim enable/disable --machine on a scratch root
# (--root): the line it adds to etc/ld.so.preload (through $LIB where the
# library is in a lib/MULTIARCH directory, else its absolute path), other
# entries kept byte for byte, an older ioshim entry replaced, the old file
# kept as ld.so.preload.ioshim-old, the file replaced by rename, enabling
# twice the same, disable taking out only ours (and the file when nothing
# else is left), status saying on/off; and a library that would not load
# (missing, truncated inside its segments, of another architecture,
# needing a missing library) refused with the file left as it was.
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
[ -f "$SHIM" ] || skip "shim not built"
unset IOSHIM_LIB LD_PRELOAD
R=$T/r
ma=$(${CC:-cc} -print-multiarch)
mkdir -p "$R/etc" "$R/usr/lib/$ma/ioshim" "$R/opt"
cp "$SHIM" "$R/usr/lib/$ma/ioshim/libioshim.so"
cp "$SHIM" "$R/opt/libioshim.so"
P=$R/etc/ld.so.preload
en() { IOSHIM_LIB=$1 "$IOSHIM" enable --machine --root "$R"; }
dis() { "$IOSHIM" disable --machine --root "$R"; }
st() { "$IOSHIM" status --root "$R" | head -n 1; }

# no file yet
en "$R/usr/lib/$ma/ioshim/libioshim.so" >"$T/out" || { cat "$T/out"; fail "enable --machine failed"; }
cat "$T/out"
eq "the line" "$(cat "$P")" '/usr/$LIB/ioshim/libioshim.so'
[ ! -e "$R/etc/ld.so.preload.ioshim-old" ] || fail "a backup of a file that did not exist"
eq "status" "$(st)" "whole machine: on ($P: /usr/\$LIB/ioshim/libioshim.so)"
ino=$(stat -c %i "$P")
en "$R/usr/lib/$ma/ioshim/libioshim.so" >"$T/out" || fail "enable again failed"
grep -q 'already on' "$T/out" || fail "enable again said: $(cat "$T/out")"
eq "enable twice: the same file" "$(stat -c %i "$P")" "$ino"
dis >"$T/out" || fail "disable --machine failed"
[ ! -e "$P" ] || fail "ld.so.preload left with nothing of its own: $(cat "$P")"
eq "status" "$(st)" "whole machine: off ($P does not exist)"
dis >"$T/out" || fail "disable twice failed"
grep -q 'not on' "$T/out" || fail "disable twice said: $(cat "$T/out")"

# other entries, and an older ioshim entry among them
printf '/usr/lib/first.so\n\n/a/b.so /old/ioshim/libioshim.so:/c.so\n/usr/lib/last.so' >"$P"
cp "$P" "$T/orig"
ino=$(stat -c %i "$P")
en "$R/opt/libioshim.so" >"$T/out" || { cat "$T/out"; fail "enable over other entries failed"; }
printf '/usr/lib/first.so\n\n/a/b.so /c.so\n/usr/lib/last.so\n/opt/libioshim.so\n' >"$T/want"
cmp "$P" "$T/want" || { cat "$P"; fail "the file is not the old entries and ours"; }
cmp "$R/etc/ld.so.preload.ioshim-old" "$T/orig" || fail "the backup is not the old file"
[ "$(stat -c %i "$P")" != "$ino" ] || fail "the file was written in place, not replaced"
eq "mode" "$(stat -c %a "$P")" 644
echo "ok: other entries kept, the old ioshim entry replaced, a backup, by rename"
dis >/dev/null || fail "disable failed"
printf '/usr/lib/first.so\n\n/a/b.so /c.so\n/usr/lib/last.so\n' >"$T/want"
cmp "$P" "$T/want" || { cat "$P"; fail "disable did not keep the other entries"; }
eq "status" "$(st)" "whole machine: off ($P does not name libioshim.so)"
echo "ok: disable takes out only ours"

# libraries that would not load: refused, nothing written
cp "$P" "$T/before"
bad() {	# bad WHAT: $R/bad/libioshim.so is refused
	IOSHIM_LIB=$R/bad/libioshim.so "$IOSHIM" enable --machine --root "$R" >"$T/out" 2>"$T/err" &&
	    fail "$1: enable --machine accepted it"
	note "$1: $(cat "$T/err")"
	cmp "$P" "$T/before" || fail "$1: ld.so.preload changed"
	[ -z "$(ls -A "$R/etc" | grep -v '^ld\.so\.preload')" ] || fail "$1: left $(ls -A "$R/etc")"
	echo "ok: $1 refused"
}
mkdir "$R/bad"
bad "a missing library"
head -c 4000 "$SHIM" >"$R/bad/libioshim.so"
bad "a truncated library"
head -c 40 "$SHIM" >"$R/bad/libioshim.so"
bad "a library cut inside its ELF header"
foreign_so "$R/bad/libioshim.so" >/dev/null
bad "a library of another architecture"
missing_dep_so "$R/bad/libioshim.so"
bad "a library needing a missing library"
# a library outside the root cannot be named for it
IOSHIM_LIB=$SHIM "$IOSHIM" enable --machine --root "$R" >/dev/null 2>&1 && fail "a library outside --root accepted"
"$IOSHIM" enable --machine --now --root "$R" >/dev/null 2>&1; eq "--machine --now: usage error" "$?" 2
"$IOSHIM" enable --machine nginx --root "$R" >/dev/null 2>&1; eq "--machine UNIT: usage error" "$?" 2
echo "ok: bad usage refused"
