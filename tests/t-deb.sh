#!/bin/sh
# t-deb.sh - `make deb`: the package holds the files where Debian wants
# them, depends on exactly the runtime libraries, passes lintian (when
# installed) without errors, installs into a scratch root with dpkg --root,
# runs a shimmed program and the collector from the installed paths (the
# tool finds the library in /usr/lib/MULTIARCH/ioshim/), and remove/purge
# take out the ld.so.preload line and drop-ins, then everything.
. "$(dirname "$0")/lib.sh"
command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
command -v dpkg >/dev/null || skip "no dpkg"
unset IOSHIM_LIB IOSHIM_SOCKET LD_PRELOAD

ver=$(sed -n 's/^#define IOSHIM_VERSION[ 	]*"\(.*\)"/\1/p' "$TOP/common/version.h")
arch=$(dpkg --print-architecture)
ma=$(${CC:-cc} -print-multiarch)
DEB_OUT=$T make -s -C "$TOP" deb >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "make deb failed"; }
deb=$T/ioshim_${ver}_${arch}.deb
[ -f "$deb" ] || fail "no $deb"

# contents
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||; s|/$||' >"$T/paths"
for p in usr/bin/ioshim usr/sbin/ioshimd usr/lib/$ma/ioshim/libioshim.so \
    usr/lib/systemd/system/ioshimd.service usr/lib/systemd/user/ioshimd.service \
    usr/lib/tmpfiles.d/ioshim.conf usr/share/man/man1/ioshim.1.gz \
    usr/share/man/man8/ioshimd.8.gz usr/share/doc/ioshim/copyright \
    usr/share/doc/ioshim/changelog.gz; do
	grep -qx "$p" "$T/paths" || fail "package lacks $p"
done
echo "ok: the files are where Debian wants them"
grep -E '^(usr/local|usr/lib/ioshim|etc|var|run)(/|$)' "$T/paths" && fail "package ships files outside /usr"
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/tmpfiles.d/ioshim.conf | grep -qx 'd /run/ioshim 0755 root root -' ||
    fail "tmpfiles.d/ioshim.conf does not make /run/ioshim"
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/systemd/system/ioshimd.service | grep -q '^ExecStart=/usr/sbin/ioshimd ' ||
    fail "ioshimd.service does not start /usr/sbin/ioshimd"

# control: version, dependencies (names), maintainer scripts
eq "Version" "$(dpkg-deb -f "$deb" Version)" "$ver"
eq "Architecture" "$(dpkg-deb -f "$deb" Architecture)" "$arch"
deps=$(dpkg-deb -f "$deb" Depends)
eq "Depends names" "$(echo "$deps" | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort | tr '\n' ' ')" \
    "libbsd0 libc6 libmicrohttpd12 libncursesw6 libsqlite3-0 libtinfo6 "
echo "$deps" | grep -q 'libc6 (>= 2\.[0-9]*)' || fail "libc6 not versioned: $deps"
dpkg-deb -I "$deb" >"$T/info"
for s in postinst prerm postrm; do
	grep -q " $s  *#!/bin/sh" "$T/info" || fail "no $s script"
done
echo "ok: maintainer scripts postinst prerm postrm"

if command -v lintian >/dev/null; then
	lintian "$deb" >"$T/lintian" 2>&1
	cat "$T/lintian"
	grep -q '^E:' "$T/lintian" && fail "lintian reports errors"
	echo "ok: lintian, no errors"
else
	note "no lintian"
fi

# a scratch root: its own dpkg database, an ld.so.preload with the shim's
# line among another, someone else's drop-in (`ioshim enable` adds ours)
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc/systemd/system/foo.service.d" "$R/run"
: >"$R/var/lib/dpkg/status"
printf '/usr/lib/other/libother.so\n/usr/lib/%s/ioshim/libioshim.so\n' "$ma" >"$R/etc/ld.so.preload"
printf '[Service]\nNice=5\n' >"$R/etc/systemd/system/foo.service.d/other.conf"
(cd "$R" && find . ! -path './var/lib/dpkg*' ! -path './var/log*' | sort) >"$T/before"
DPKG="dpkg --root=$R --force-not-root --force-depends --force-script-chrootless --log=$T/dpkg.log"
$DPKG -i "$deb" >"$T/dpkg.out" 2>&1 || { cat "$T/dpkg.out"; fail "dpkg -i failed"; }
eq "installed status" "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' ioshim)" "install ok installed"
eq "/var/lib/ioshim mode" "$(stat -c %a "$R/var/lib/ioshim")" 700
[ -d "$R/run/ioshim" ] || fail "postinst made no /run/ioshim"

# the installed tool finds the installed library, which loads and counts
lib=$R/usr/lib/$ma/ioshim/libioshim.so
eq "run: LD_PRELOAD" "$("$R/usr/bin/ioshim" run -- sh -c 'echo $LD_PRELOAD')" "$lib"
"$R/usr/bin/ioshim" run --report "$T/r.jsonl" -- true 2>"$T/run.err" || { cat "$T/run.err"; fail "ioshim run -- true failed"; }
[ -s "$T/run.err" ] && { cat "$T/run.err"; fail "ioshim run warned"; }
[ -s "$T/r.jsonl" ] || fail "the installed shim wrote no report"
"$R/usr/sbin/ioshimd" --help >/dev/null || fail "ioshimd --help failed"
"$R/usr/bin/ioshim" enable --root "$R" foo >/dev/null || fail "installed ioshim enable failed"
grep -qx "Environment=\"LD_PRELOAD=/usr/lib/$ma/ioshim/libioshim.so\"" "$R/etc/systemd/system/foo.service.d/ioshim.conf" ||
    fail "the drop-in does not preload the installed library"
S=$T/s.sock
"$R/usr/sbin/ioshimd" --foreground --socket "$S" --db "$T/ioshim.db" 2>"$T/d.log" &
DPID=$!
trap 'kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
collector_ready $DPID
"$R/usr/bin/ioshim" run --socket "$S" -- dd if=/dev/zero of="$T/out" bs=4096 count=10 2>/dev/null || fail "dd under the shim failed"
"$R/usr/bin/ioshim" query --socket "$S" flush >/dev/null || fail "query flush failed"
"$R/usr/bin/ioshim" top -b -n 1 --socket "$S" >"$T/top" 2>&1 || { cat "$T/top"; fail "installed ioshim top -b failed"; }
kill -TERM $DPID; wait $DPID || fail "ioshimd exited badly"
if command -v sqlite3 >/dev/null; then
	eq "dd bytes in the installed collector's database" \
	    "$(sqlite3 "$T/ioshim.db" "SELECT sum(m.disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe LIKE '%/dd'")" 40960
fi
echo "ok: installed ioshim run, ioshimd, ioshim query, ioshim top"

# remove: the preload line and our drop-in go, the rest stays
$DPKG -r ioshim >"$T/dpkg.out" 2>&1 || { cat "$T/dpkg.out"; fail "dpkg -r failed"; }
[ -e "$lib" ] && fail "library left after remove"
eq "ld.so.preload after remove" "$(cat "$R/etc/ld.so.preload")" "/usr/lib/other/libother.so"
[ -e "$R/etc/systemd/system/foo.service.d/ioshim.conf" ] && fail "drop-in left after remove"
[ -f "$R/etc/systemd/system/foo.service.d/other.conf" ] || fail "remove took another drop-in"
[ -d "$R/var/lib/ioshim" ] || fail "remove took /var/lib/ioshim"
echo "ok: remove"

# purge: nothing of ours left
$DPKG -P ioshim >"$T/dpkg.out" 2>&1 || { cat "$T/dpkg.out"; fail "dpkg -P failed"; }
(cd "$R" && find . ! -path './var/lib/dpkg*' ! -path './var/log*' | sort) >"$T/after"
diff "$T/before" "$T/after" || fail "purge left the scratch root different"
echo "ok: purge leaves nothing"
exit 0
