#!/bin/sh
# tests/cross/deb.sh - the cross-built Debian package of one architecture
# (run by tests/cross/run.sh: make check-cross).
#
#   sh tests/cross/deb.sh ARCH TRIPLET QEMU SCRATCH
#
# `make deb DEB_ARCH=ARCH`, then checks what it built:
#  - dpkg-deb -c: the files where t-deb.sh wants them, the library under
#    /usr/lib/TRIPLET/ioshim/ and no other triplet's directory;
#  - dpkg-deb -I: Architecture, Depends naming exactly the runtime
#    libraries, each with a version, libc6 without an upper bound (which a
#    GLIBC_PRIVATE symbol would give), the maintainer scripts;
#  - readelf: every ELF file is of ARCH (machine, class, armhf's
#    hard-float ABI), binds no GLIBC_PRIVATE version, and the library
#    needs libc.so.6 alone; `file` says the same where installed;
#  - lintian, where installed: no errors (its tags are printed);
#  - installed into a scratch root with dpkg --root, the installed `ioshim
#    run` under QEMU finds the installed library, runs a small program of
#    ARCH under it and exits as the program exits, and the shim's exit
#    report counts the program's writes (its output file the same as
#    without the shim); the installed ioshimd loads its libraries.
# Prints "ok:" lines; exits 1 on the first failure.
set -u
arch=$1 triple=$2 qemu=$3 W=$4
TOP=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $arch package: $*" >&2; exit 1; }
ok() { echo "ok: $arch package: $*"; }

ver=$(sed -n 's/^#define IOSHIM_VERSION[ 	]*"\(.*\)"/\1/p' "$TOP/common/version.h")
mkdir -p "$W"
DEB_OUT=$W make -s -j2 -C "$TOP" deb DEB_ARCH="$arch" >"$W/build.log" 2>&1 ||
	{ cat "$W/build.log"; fail "make deb DEB_ARCH=$arch failed"; }
deb=$W/ioshim_${ver}_$arch.deb
[ -f "$deb" ] || fail "no $deb"
ok "make deb DEB_ARCH=$arch built $(basename "$deb")"

# contents: paths with this architecture's triplet, no other's
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||; s|/$||' >"$W/paths"
for p in usr/bin/ioshim usr/sbin/ioshimd usr/lib/$triple/ioshim/libioshim.so \
    usr/lib/systemd/system/ioshimd.service usr/lib/tmpfiles.d/ioshim.conf \
    usr/share/man/man1/ioshim.1.gz usr/share/doc/ioshim/copyright; do
	grep -qx "$p" "$W/paths" || fail "lacks $p"
done
grep -E '^usr/lib/[a-z0-9_]+-linux-gnu' "$W/paths" | grep -v "^usr/lib/$triple\(/\|$\)" &&
	fail "holds another triplet's directory"
ok "paths: usr/lib/$triple/ioshim/libioshim.so, usr/bin/ioshim, usr/sbin/ioshimd, no other triplet"

# control
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "Architecture: $(dpkg-deb -f "$deb" Architecture)"
deps=$(dpkg-deb -f "$deb" Depends)
names=$(echo "$deps" | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort | tr '\n' ' ')
[ "$names" = "libbsd0 libc6 libmicrohttpd12 libncursesw6 libsqlite3-0 libtinfo6 " ] ||
	fail "Depends names: $names"
echo "$deps" | tr ',' '\n' | grep -v '(>= [0-9]' && fail "an unversioned or bounded dependency: $deps"
echo "$deps" | grep -q 'libc6 (>= 2\.[0-9]*)' || fail "libc6 not versioned: $deps"
dpkg-deb -I "$deb" >"$W/info"
for s in postinst prerm postrm; do
	grep -q " $s  *#!/bin/sh" "$W/info" || fail "no $s script"
done
ok "Architecture: $arch; Depends: $deps; postinst prerm postrm"

# every ELF file: this architecture
X=$W/x
dpkg-deb -x "$deb" "$X"
case $arch in
arm64) mach=AArch64 class=ELF64 fmt='ELF 64-bit LSB.*ARM aarch64';;
armhf) mach=ARM class=ELF32 fmt='ELF 32-bit LSB.*ARM, EABI5';;
esac
n=0
for f in $(find "$X" -type f); do
	[ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	h=$(readelf -h "$f") || fail "readelf ${f#$X}"
	echo "$h" | grep -q "Machine: *$mach\$" || fail "${f#$X}: $(echo "$h" | grep Machine)"
	echo "$h" | grep -q "Class: *$class\$" || fail "${f#$X}: $(echo "$h" | grep Class)"
	[ "$arch" = armhf ] && { echo "$h" | grep -q 'hard-float ABI' || fail "${f#$X}: not hard-float"; }
	readelf -V "$f" | grep -q GLIBC_PRIVATE && fail "${f#$X} binds GLIBC_PRIVATE"
	if command -v file >/dev/null; then
		file -b "$f" | grep -q "$fmt" || fail "file: ${f#$X}: $(file -b "$f")"
	fi
	n=$((n + 1))
done
[ $n = 3 ] || fail "$n ELF files, not 3"
need=$(readelf -d "$X/usr/lib/$triple/ioshim/libioshim.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
[ "$need" = "libc.so.6 " ] || fail "libioshim.so needs $need"
ok "$n ELF files, all $mach $class, no GLIBC_PRIVATE; libioshim.so needs libc.so.6 alone"

if command -v lintian >/dev/null; then
	lintian "$deb" >"$W/lintian" 2>&1
	sed 's/^/  lintian: /' "$W/lintian"
	grep -q '^E:' "$W/lintian" && fail "lintian reports errors"
	ok "lintian: no errors ($(grep -c '^W:' "$W/lintian") warnings)"
else
	echo "note: no lintian"
fi

# installed into a scratch root and run under qemu
command -v "$qemu" >/dev/null || { echo "skip: $arch package under qemu (no $qemu)"; exit 0; }
# the target's libraries for qemu: this machine's when it has them (libc6:ARCH
# and the others), else the sysroot make deb built with
if dpkg-query -W -f '${Status}' "libsqlite3-dev:$arch" 2>/dev/null | grep -q 'install ok installed'; then
	S=/usr/$triple
else
	S=$(sh "$TOP/mk/cross-sysroot.sh" "$arch") || fail "no sysroot"
fi
R=$W/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/run"
: >"$R/var/lib/dpkg/status"
dpkg --root="$R" --add-architecture "$arch"
dpkg --root="$R" --force-not-root --force-depends --force-script-chrootless \
    --log="$W/dpkg.log" -i "$deb" >"$W/dpkg.out" 2>&1 || { cat "$W/dpkg.out"; fail "dpkg -i"; }
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' "ioshim:$arch")" = "install ok installed" ] ||
	fail "not installed in the scratch root"
lib=$R/usr/lib/$triple/ioshim/libioshim.so
q() { QEMU_LD_PREFIX=$S "$qemu" "$@"; }

# the program: 10 lines written one write(2) each, exit 3
cat >"$W/ten.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	char b[32];
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) return 1;
	for (int i = 0; i < 10; i++) {
		snprintf(b, sizeof b, "line %02d of the ten\n", i);
		if (write(fd, b, strlen(b)) != (ssize_t)strlen(b)) return 1;
	}
	return close(fd) == 0 ? 3 : 1;
}
EOF
"$triple-gcc" -O1 -o "$W/ten" "$W/ten.c" || fail "ten.c"
q "$W/ten" "$W/plain.out"; [ $? = 3 ] || fail "ten without the shim"
# where the kernel runs $arch programs through qemu (binfmt_misc), ioshim
# run starts the program itself; else through qemu, which passes the
# environment, LD_PRELOAD included, to the program (this machine's loader
# in qemu warns that it cannot preload an $arch library: left out)
prog="$W/ten"
[ -e "/proc/sys/fs/binfmt_misc/$qemu" ] || prog="$qemu $W/ten"
out=$(q "$R/usr/bin/ioshim" run -- /bin/sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
[ "$out" = "$lib" ] || fail "the installed ioshim run preloads '$out', not $lib"
q "$R/usr/bin/ioshim" run --report "$W/r.jsonl" -- $prog "$W/shim.out" 2>"$W/run.err"
st=$?
grep -v '^ERROR: ld.so: object .* cannot be preloaded' "$W/run.err" >&2 && fail "ioshim run wrote on stderr"
[ $st = 3 ] || fail "ioshim run exited $st, the program 3"
cmp -s "$W/plain.out" "$W/shim.out" || fail "the output differs under the shim"
python3 - "$W/r.jsonl" "$W/shim.out" "$arch" "$(stat -c %s "$W/plain.out")" <<'PY' || fail "the exit report"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [x for r in recs for x in r["files"] if x["path"] == sys.argv[2]]
assert len(f) == 1, f
size = int(sys.argv[4])	# the file the program wrote without the shim
assert f[0]["writes"] == 10 and f[0]["write_bytes"] == size, (f[0], size)
print("ok: %s package: installed ioshim run: exit 3 as the program, same output; "
      "report: 10 writes, %d bytes to %s" % (sys.argv[3], size, sys.argv[2].rsplit("/", 1)[1]))
PY
[ $? = 0 ] || exit 1
q "$R/usr/sbin/ioshimd" --help >/dev/null 2>&1 || fail "the installed ioshimd --help under qemu"
q "$R/usr/bin/ioshim" --version >/dev/null 2>&1 || fail "the installed ioshim --version under qemu"
ok "installed ioshimd and ioshim load their libraries under $qemu"
