#!/bin/sh
# deps.sh - install what ioshim needs to build and test, on Debian.
# Installs with apt-get when run as root; otherwise prints the command.
# "deps.sh cross": the cross compilers and qemu-user for make check-cross.
# "deps.sh peer": the compiler and the system python's own test suite
# (Debian's libpythonX.Y-testsuite) for make check-peer.
pkgs="build-essential pkg-config libsqlite3-dev libbsd-dev libncurses-dev sqlite3 strace python3 perl curl tmux gzip tar coreutils xz-utils libmicrohttpd-dev prometheus libxml2-utils librsvg2-bin clang libclang-rt-14-dev valgrind eatmydata e2fsprogs libtsan2 nginx-light"
[ "${1:-}" = cross ] &&
	pkgs="gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user python3 dpkg-dev binutils file"
if [ "${1:-}" = peer ]; then
	pyv=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || pyv=3.11
	pkgs="build-essential python3 libpython$pyv-testsuite"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# cross: also the arm64 and armhf libraries the collector and the tool
# link, for make deb DEB_ARCH=...: a sysroot each (mk/cross-sysroot.sh;
# downloaded once, no root, the machine's dpkg left alone)
sysroots() {
	[ "${1:-}" = cross ] || return 0
	for a in arm64 armhf; do
		sh "$(dirname "$0")/cross-sysroot.sh" $a >/dev/null || {
			echo "deps: no $a sysroot (mk/cross-sysroot.sh $a)" >&2; exit 1; }
	done
}
[ -z "$missing" ] && { sysroots "${1:-}"; exit 0; }
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq $missing >/dev/null || {
		echo "deps: apt-get install failed" >&2; exit 1; }
	sysroots "${1:-}"
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
