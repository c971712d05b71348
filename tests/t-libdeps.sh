#!/bin/sh
# t-libdeps.sh - what the loader needs to load the library, in every
# process once it is in /etc/ld.so.preload: its DT_NEEDED is libc alone
# (readelf -d; a missing dependency would stop every dynamic program from
# starting), and no symbol it binds needs a newer glibc than the package's
# libc6 dependency promises (objdump -T: the highest GLIBC_x.y of its
# undefined symbols <= the libc6 version in Depends; an unresolved
# versioned symbol also stops every program).  Both for the tree's library
# and for the one in the package.
. "$(dirname "$0")/lib.sh"
command -v readelf >/dev/null || skip "no readelf"
command -v objdump >/dev/null || skip "no objdump"
command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
[ -f "$SHIM" ] || skip "shim not built"

ver=$(sed -n 's/^#define IOSHIM_VERSION[ 	]*"\(.*\)"/\1/p' "$TOP/common/version.h")
arch=$(dpkg --print-architecture)
DEB_OUT=$T make -s -C "$TOP" deb >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "make deb failed"; }
deb=$T/ioshim_${ver}_${arch}.deb
dpkg-deb -x "$deb" "$T/x"
pkglib=$(find "$T/x" -name libioshim.so)
[ -f "$pkglib" ] || fail "no libioshim.so in the package"
dep=$(dpkg-deb -f "$deb" Depends)
note "Depends: $dep"
libc=$(echo "$dep" | tr ',' '\n' | sed -n 's/^ *libc6 *(>= *\([0-9.]*\)).*/\1/p')
[ -n "$libc" ] || fail "Depends names no versioned libc6"

for lib in "$SHIM" "$pkglib"; do
	needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	eq "DT_NEEDED of ${lib#$T/}" "$needed" "libc.so.6 "
	# undefined dynamic symbols and the version each binds to
	objdump -T "$lib" | awk '$0 ~ /\*UND\*/ { for (i = 1; i <= NF; i++) if ($i ~ /^\(?GLIBC_[0-9.]+\)?$/) { v = $i; gsub(/[()]|GLIBC_/, "", v); print v } }' |
	    sort -uV >"$T/vers"
	[ -s "$T/vers" ] || fail "no GLIBC version found in $lib (objdump -T format?)"
	top=$(tail -n 1 "$T/vers")
	note "$(wc -l <"$T/vers") glibc versions bound by ${lib#$T/}, the highest $top"
	dpkg --compare-versions "$top" le "$libc" ||
	    fail "${lib#$T/} binds GLIBC_$top, newer than libc6 (>= $libc) in Depends: $(objdump -T "$lib" | grep "GLIBC_$top " | awk '{print $NF}' | tr '\n' ' ')"
	echo "ok: ${lib#$T/} needs glibc $top <= $libc"
	# no strong symbol left undefined without a version (the weak ones,
	# __gmon_start__ and the TM clone table, may stay unbound)
	objdump -T "$lib" | awk '/\*UND\*/ && !/GLIBC_/ && $2 != "w" {print $NF}' >"$T/unver"
	[ ! -s "$T/unver" ] || fail "unversioned undefined symbols: $(tr '\n' ' ' <"$T/unver")"
done
