#!/bin/sh
# mk/deb/build.sh - `make deb`: build ioshim_VERSION_ARCH.deb with dpkg-deb
# from a staged `make install DESTDIR=STAGE PREFIX=/usr`.
#
# On top of what make install puts there it moves the library to
# /usr/lib/MULTIARCH/ioshim/, adds the docs and copyright, compresses the
# man pages, strips the binaries, computes Depends with dpkg-shlibdeps (in
# a scratch debian/ tree; a hand-written list when it is missing) and adds
# the maintainer scripts beside this file.  Output: ./ioshim_*.deb (or
# $DEB_OUT/).  Environment: CC, MAKE, DEB_ARCH, MULTIARCH, STRIP,
# DEB_MAINTAINER, DEB_OUT, SYSROOT.
#
# Another architecture (DEB_ARCH=arm64, armhf, ...; docs/deploying.md):
# CC defaults to TRIPLET-gcc and must build for that TRIPLET.  The tree's
# objects are built in place for this machine, so the package is built in
# a copy of the tree in a scratch directory (the files git knows and new
# ones it does not ignore, then `make clean`): the tree's objects are not
# touched.  The libraries the collector and the tool link come from
# SYSROOT: `/` when this machine has that architecture's -dev packages
# (libsqlite3-dev:arm64 ...), else mk/cross-sysroot.sh's.  pkg-config
# looks only there (PKG_CONFIG_LIBDIR), never at this machine's libraries.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/mk/deb
cd "$top"
: "${MAKE:=make}"
native=$(dpkg --print-architecture)
[ -n "${DEB_ARCH:-}" ] || DEB_ARCH=$native
cross=
if [ "$DEB_ARCH" != "$native" ]; then
	cross=$(dpkg-architecture -a"$DEB_ARCH" -qDEB_HOST_MULTIARCH 2>/dev/null) ||
	case $DEB_ARCH in
	arm64) cross=aarch64-linux-gnu;;
	armhf) cross=arm-linux-gnueabihf;;
	*) echo "deb: DEB_ARCH $DEB_ARCH: unknown (no dpkg-architecture)" >&2; exit 1;;
	esac
	: "${CC:=$cross-gcc}"
	command -v "${CC%% *}" >/dev/null ||
		{ echo "deb: no $CC for $DEB_ARCH (sh mk/deps.sh cross)" >&2; exit 1; }
fi
: "${CC:=cc}"
[ -n "${MULTIARCH:-}" ] || MULTIARCH=$($CC -print-multiarch)
if [ -n "$cross" ] && [ "$MULTIARCH" != "$cross" ]; then
	echo "deb: CC=$CC builds for '$MULTIARCH', not $DEB_ARCH ($cross)" >&2
	exit 1
fi
[ -n "${STRIP:-}" ] || STRIP=$(echo "$CC" | sed -n 's/gcc$/strip/p')
[ -n "$STRIP" ] || STRIP=strip
version=$(sed -n 's/^#define IOSHIM_VERSION[ 	]*"\(.*\)"/\1/p' common/version.h)
[ -n "$version" ] || { echo "no version in common/version.h" >&2; exit 1; }
out=${DEB_OUT:-$top}
deb=$out/ioshim_${version}_${DEB_ARCH}.deb

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/ioshim-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/src/debian/ioshim	# where dpkg-shlibdeps expects it
shlibdeps_opts=
if [ -z "$cross" ]; then
	$MAKE -s install DESTDIR="$root" PREFIX=/usr CC="$CC" >/dev/null
else
	if [ -z "${SYSROOT:-}" ]; then
		if dpkg-query -W -f '${Status}' "libsqlite3-dev:$DEB_ARCH" 2>/dev/null |
		    grep -q 'install ok installed'; then
			SYSROOT=/
		else
			SYSROOT=$(sh "$top/mk/cross-sysroot.sh" "$DEB_ARCH")
		fi
	fi
	if [ "$SYSROOT" = / ]; then
		bcc=$CC sr=
	else
		bcc="$CC --sysroot=$SYSROOT" sr=$SYSROOT
		export PKG_CONFIG_SYSROOT_DIR="$SYSROOT"
		shlibdeps_opts="--admindir=$SYSROOT/var/lib/dpkg -l$SYSROOT/lib/$MULTIARCH -l$SYSROOT/usr/lib/$MULTIARCH"
	fi
	export PKG_CONFIG_LIBDIR="$sr/usr/lib/$MULTIARCH/pkgconfig:$sr/usr/share/pkgconfig"
	pkg-config --exists sqlite3 libbsd libmicrohttpd ncursesw || {
		echo "deb: no $DEB_ARCH sqlite3, libbsd, libmicrohttpd, ncursesw in $PKG_CONFIG_LIBDIR (sh mk/deps.sh cross)" >&2
		exit 1
	}
	# the copy of the tree: what git knows and new files it does not ignore
	src=$work/tree
	mkdir -p "$src"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -co --exclude-standard | while IFS= read -r f; do
			[ -e "$f" ] && echo "$f"
		done | tar -cf - -T - | tar -xf - -C "$src"
	else
		cp -a . "$src"
	fi
	(cd "$src" && $MAKE -s clean >/dev/null &&
	    $MAKE -s install DESTDIR="$root" PREFIX=/usr CC="$bcc" MULTIARCH="$MULTIARCH" >/dev/null)
fi

# the library: /usr/lib/MULTIARCH/ioshim/ (ld.so's $LIB there on Debian)
lib=$root/usr/lib/$MULTIARCH/ioshim
mkdir -p "$lib"
mv "$root/usr/lib/ioshim/libioshim.so" "$lib/"
rmdir "$root/usr/lib/ioshim"
chmod 0644 "$lib/libioshim.so"

# units and tmpfiles.d entry, when make install does not put them there
units=$root/usr/lib/systemd
if [ ! -f "$units/system/ioshimd.service" ]; then
	mkdir -p "$units/system" "$units/user"
	sed 's|/usr/local/sbin/|/usr/sbin/|' collector/ioshimd.service >"$units/system/ioshimd.service"
	sed 's|/usr/local/sbin/|/usr/sbin/|' collector/ioshimd-user.service >"$units/user/ioshimd.service"
fi
if [ ! -f "$root/usr/lib/tmpfiles.d/ioshim.conf" ]; then
	mkdir -p "$root/usr/lib/tmpfiles.d"
	echo 'd /run/ioshim 0755 root root -' >"$root/usr/lib/tmpfiles.d/ioshim.conf"
fi

# docs: copyright, changelog (a native package), README and docs/*.md
doc=$root/usr/share/doc/ioshim
mkdir -p "$doc"
{
	echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
	echo "Upstream-Name: ioshim"
	echo
	echo "Files: *"
	echo "Copyright: 2026 the ioshim authors"
	echo "License: BSD-2-clause"
	sed '1,/^All rights reserved/d' LICENSE | sed 's/^$/./; s/^/ /'
} >"$doc/copyright"
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
# Maintainer: DEB_MAINTAINER, else the author of the commit built
maint=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$maint" ] || { echo "set DEB_MAINTAINER='Name <address>'" >&2; exit 1; }
printf 'ioshim (%s) unstable; urgency=medium\n\n  * Built from the ioshim tree (%s).\n\n -- %s  %s\n' \
    "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$maint" "$when" |
    gzip -9n >"$doc/changelog.gz"
cp README.md docs/*.md "$doc/"
gzip -9n "$doc"/*.md
find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +

# strip, as Debian ships binaries (the debug symbols stay in the tree)
$STRIP --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/libioshim.so"
for b in "$root/usr/bin/ioshim" "$root/usr/sbin/ioshimd"; do
	[ -f "$b" ] && $STRIP --remove-section=.comment --remove-section=.note "$b"
done

# Depends: dpkg-shlibdeps wants a debian/control: give it one in $work
bins="$root/usr/bin/ioshim $lib/libioshim.so"
[ -f "$root/usr/sbin/ioshimd" ] && bins="$bins $root/usr/sbin/ioshimd"
printf 'Source: ioshim\n\nPackage: ioshim\nArchitecture: any\n' >"$work/src/debian/control"
deps=
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	deps=$(cd "$work/src" && DEB_HOST_ARCH=$DEB_ARCH dpkg-shlibdeps $shlibdeps_opts -O $(for b in $bins; do echo "-e${b#$work/src/}"; done) 2>"$work/shlibdeps.err" |
	    sed -n 's/^shlibs:Depends=//p') || deps=
	[ -n "$deps" ] || cat "$work/shlibdeps.err" >&2
fi
[ -n "$deps" ] || [ -z "$cross" ] || { echo "deb: dpkg-shlibdeps gave no Depends for $DEB_ARCH" >&2; exit 1; }
[ -n "$deps" ] || deps="libbsd0 (>= 0.7.0), libc6 (>= 2.34), libmicrohttpd12 (>= 0.9.50), libncursesw6 (>= 6), libsqlite3-0 (>= 3.20.0), libtinfo6 (>= 6)"

mkdir -p "$root/DEBIAN"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$DEB_ARCH|" -e "s|@DEPENDS@|$deps|" \
    -e "s|@SIZE@|$size|" -e "s|@MAINTAINER@|$maint|" "$here/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
    xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
