#!/bin/sh
# mk/cross-sysroot.sh - a sysroot of another Debian architecture for
# cross-building the collector and the tool (make deb DEB_ARCH=arm64).
#
#   sh mk/cross-sysroot.sh ARCH      prints the sysroot's directory
#
# The -dev libraries they link (sqlite3, libbsd, ncurses, libmicrohttpd)
# and everything those need, libc6-dev included, are downloaded with a
# private apt (its own state and cache, APT::Architecture=ARCH, the
# machine's sources) and unpacked with dpkg-deb -x: the machine's dpkg
# database and architectures are not touched.  Why not `dpkg
# --add-architecture` and `apt-get install libsqlite3-dev:arm64`:
# Multi-Arch: same packages must have the same version in every
# architecture, and a mirror that has published an amd64 security update
# before the arm64 one cannot install them at all (this one could not).
#
# For dpkg-shlibdeps the sysroot has a dpkg database of its own
# (var/lib/dpkg: status, each package's symbols/shlibs, and .list files
# naming the files by their path on this machine, the sysroot's prefix
# included, which is the path dpkg-shlibdeps asks about).
#
# Kept in $IOSHIM_SYSROOTS (default ~/.cache/ioshim)/sysroot-ARCH and
# reused while it holds the same package list; needs the network the first
# time.  No root needed.
set -eu
arch=${1:?usage: cross-sysroot.sh ARCH}
pkgs="libc6-dev libsqlite3-dev libbsd-dev libncurses-dev libmicrohttpd-dev"
base=${IOSHIM_SYSROOTS:-${XDG_CACHE_HOME:-$HOME/.cache}/ioshim}
S=$base/sysroot-$arch
stamp="3 $arch: $pkgs"
if [ -f "$S/.ioshim-sysroot" ] && [ "$(cat "$S/.ioshim-sysroot")" = "$stamp" ]; then
	echo "$S"
	exit 0
fi
mkdir -p "$base"
tmp=$(mktemp -d "$base/.new-$arch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
C=$tmp/apt
mkdir -p "$C/lists/partial" "$C/archives/partial"
: >"$C/status"
apt() {
	apt-get -q -o Dir::State="$C" -o Dir::State::Lists="$C/lists" \
	    -o Dir::State::status="$C/status" -o Dir::Cache="$C" \
	    -o Dir::Cache::archives="$C/archives" -o APT::Architecture="$arch" \
	    -o APT::Architectures="$arch" -o Debug::NoLocking=1 \
	    -o APT::Sandbox::User="$(id -un)" "$@"
}
# an index that fails (a mirror in sync) is left out; the install says
# when that leaves something missing
apt update >"$tmp/update.log" 2>&1 || sed -n 's/^E: /cross-sysroot: /p' "$tmp/update.log" >&2
apt install -d -y --no-install-recommends $pkgs >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	echo "cross-sysroot: cannot download the $arch packages" >&2
	exit 1
}

r=$tmp/root
db=$r/var/lib/dpkg
mkdir -p "$db/info" "$db/updates"
printf '%s\n%s\n' "$(dpkg --print-architecture)" "$arch" >"$db/arch"
echo 1 >"$db/info/format"	# info/PKG:ARCH.* for Multi-Arch: same
for deb in "$C"/archives/*.deb; do
	dpkg-deb -x "$deb" "$r"
	p=$(dpkg-deb -f "$deb" Package)
	[ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ] && p=$p:$arch
	dpkg-deb -e "$deb" "$tmp/ctl"
	for f in symbols shlibs; do
		[ -f "$tmp/ctl/$f" ] && cp "$tmp/ctl/$f" "$db/info/$p.$f"
	done
	rm -rf "$tmp/ctl"
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||; s|/$||' |
	    grep . | sed "s|^|$S/|" >"$db/info/$p.list"
	{ dpkg-deb -f "$deb" Package Version Architecture Multi-Arch Source \
	      Maintainer Description
	  echo "Status: install ok installed"; echo; } >>"$db/status"
done
# -dev packages point libm.so, libtinfo.so ... at /lib/TRIPLET/...: made
# relative, or the linker would skip them (dangling here) for the .a
find "$r" -type l -lname '/*' | while IFS= read -r l; do
	ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$r$(readlink "$l")")" "$l"
done
echo "$stamp" >"$r/.ioshim-sysroot"
rm -rf "$S"
mv "$r" "$S"
echo "$S"
