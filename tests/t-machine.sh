#!/bin/sh
# t-machine.sh - the whole-machine mode, in a private mount namespace (the
# machine's own /etc is never touched): a copy of /etc whose ld.so.preload
# names the library is mounted over /etc, so every dynamically linked
# program loads the shim, and a mixed real workload (tests/machine/work.sh:
# a shell script, dpkg --root installing and removing a package built
# here, a C build with make -j2, python, perl, a set-user-ID passwd run by
# nobody, git, a cron-like loop, nginx serving requests) gives the same
# outputs, exit statuses and files as without the shim.  A private
# collector hears from all of them (ioshim top -b -n 1), and ioshim report
# gives the machine-wide figure: disk write system calls that reached the
# kernel against the programs' own calls.  Then the preload file names
# the library unreadable, truncated, of another architecture, and gone:
# sh, python3 and the ioshim tool still start and answer (the loader's
# warning aside).  A library with a missing dependency stops every
# program (glibc 2.36): what t-libdeps guards against for the real one.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mount namespace, setuid program)"
command -v unshare >/dev/null && command -v setpriv >/dev/null || skip "no unshare/setpriv"
unshare -m true 2>/dev/null || skip "no mount namespaces here"
command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
[ -x "$IOSHIMD" ] && [ -x "$IOSHIM" ] || skip "collector or tool not built"
PY=/usr/bin/python3
unset LD_PRELOAD IOSHIM_DISABLE IOSHIM_REPORT
chmod 755 "$T"
S=$T/s.sock DPID=
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; rm -rf "$T"' EXIT

# The library in a lib/MULTIARCH/ioshim/ directory (as the package has
# it), so that enable --machine names it through $LIB.  R: the root that
# "ioshim enable --machine --root" acts on, holding the copy of /etc and
# the same library at the same path under it; in the namespace, R/etc is
# /etc and the line names the library at $T/lib/...
ma=$(${CC:-cc} -print-multiarch)
L=$T/lib/$ma/ioshim/libioshim.so R=$T/r
mkdir -p "${L%/*}" "$R${L%/*}" "$R/etc"
cp "$SHIM" "$L" && chmod 644 "$L" && cp "$L" "$R$L"
cp -a /etc/. "$R/etc/" 2>/dev/null
rm -f "$R/etc/ld.so.preload"
# in the namespace: /etc is the copy; run "$@"
ns() {
	unshare -m sh -c 'mount --bind "$0/etc" /etc || exit 99; exec "$@"' "$R" "$@"
}
ns true; [ $? = 99 ] && skip "cannot bind-mount over /etc here"

# a small package, built here
P=$T/pkg
mkdir -p "$P/DEBIAN" "$P/usr/share/ioshim-demo" "$P/usr/bin"
printf 'Package: ioshim-demo\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: a test package\n' >"$P/DEBIAN/control"
i=0; while [ $i -lt 40 ]; do echo "file $i" >"$P/usr/share/ioshim-demo/f$i"; i=$((i + 1)); done
printf '#!/bin/sh\necho demo\n' >"$P/usr/bin/ioshim-demo"; chmod 755 "$P/usr/bin/ioshim-demo"
dpkg-deb -b --root-owner-group "$P" "$T/demo.deb" >/dev/null || fail "cannot build the demo package"
port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# without the shim
sh "$TOP/tests/machine/work.sh" "$T/plain" "$T/demo.deb" "$(port)" >"$T/plain.out" 2>&1 ||
    { cat "$T/plain.out"; fail "the workload failed without the shim"; }

# with the whole machine shimmed: ioshim enable --machine on the copy
"$IOSHIMD" --foreground --socket "$S" --db "$T/db" --window 2 --pidfile "$T/pid" 2>"$T/d.log" &
DPID=$!
collector_ready $DPID
IOSHIM_LIB=$R$L "$IOSHIM" enable --machine --root "$R" >"$T/en.out" || { cat "$T/en.out"; fail "enable --machine failed"; }
eq "ld.so.preload" "$(cat "$R/etc/ld.so.preload")" "$T/\$LIB/ioshim/libioshim.so"
ns env IOSHIM_SOCKET="$S" sh -c 'grep -q "$0" /proc/self/maps && echo mapped' "$L" >"$T/maps" 2>&1
eq "the shim in a program of the namespace" "$(cat "$T/maps")" mapped
ns env IOSHIM_SOCKET="$S" sh "$TOP/tests/machine/work.sh" "$T/shim" "$T/demo.deb" "$(port)" >"$T/shim.out" 2>&1 ||
    { cat "$T/shim.out"; fail "the workload failed with the shim"; }
cat "$T/shim/same/status"
diff -r "$T/plain/same" "$T/shim/same" || fail "the workload's outputs, statuses or files differ under the shim"
cmp "$T/plain.out" "$T/shim.out" || fail "the workload's own output differs"
grep -q 'suid report' "$T/shim/same/status" && fail "a set-user-ID program took the caller's IOSHIM_REPORT"
echo "ok: the same outputs, exit statuses and files ($(ls "$T/shim/same" | wc -l) files) with the whole machine shimmed"

# the collector heard from all of them: the stored windows (2 s each) by
# executable, and the live view of ioshim top
sleep 3
"$IOSHIM" query --socket "$S" top by=exe from=-10m limit=1000 >"$T/byexe.json" || fail "ioshim query failed"
$PY - "$T/byexe.json" <<'PY' >"$T/exes" || fail "bad query reply"
import json, os, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    print(os.path.basename(r["exe"]))
PY
for c in dash dpkg dpkg-deb make x86_64-linux-gnu-gcc-12 cc1 x86_64-linux-gnu-as x86_64-linux-gnu-ld.bfd python3.11 perl git nginx curl sort setpriv; do
	grep -qx "$c" "$T/exes" || { cat "$T/exes"; fail "the collector heard nothing from $c"; }
done
echo "ok: the collector heard from dash, dpkg, dpkg-deb, make, gcc, cc1, as, ld, python3, perl, git, nginx, curl, sort, setpriv"
ns env IOSHIM_SOCKET="$S" "$IOSHIM" top --socket "$S" -b -n 1 >"$T/top" 2>&1 || { cat "$T/top"; fail "ioshim top failed"; }
grep -q '^Total DISK READ' "$T/top" || { cat "$T/top"; fail "ioshim top -b -n 1 printed no header"; }
# the machine-wide figure
"$IOSHIM" report --socket "$S" --since 10m --json >"$T/rep.json" || fail "ioshim report failed"
"$IOSHIM" report --socket "$S" --since 10m --by exe --limit 15 | sed 's/^/# /'
$PY - "$T/rep.json" <<'PY' >"$T/fig" || fail "no figure"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
# the programs' calls (stdio's fwrite, fprintf... each one), the write
# system calls to disk files that reached the kernel, and what would have
# without coalescing: each absorbed call would have been one, each flush
# of the coalescer is one
w, k = t["disk_writes"], t["disk_write_syscalls"]
a, f = t["absorbed"], t["flush_syscalls"]
assert w > 0 and k > 0, t
print("disk writes: the programs' calls %d; system calls reaching the kernel "
      "%d with coalescing, %d without (%.1f%% fewer); %d bytes, %d at the "
      "storage level; %d fsyncs" % (w, k, k + a - f, 100.0 * (a - f) / (k + a - f),
      t["disk_write_bytes"], t["kernel_write_bytes"], t["fsyncs"]))
PY
note "machine-wide: $(cat "$T/fig")"
kill $DPID; wait $DPID 2>/dev/null; DPID=

# the preload line stays, the library goes bad: programs still start
check() {	# check WHAT [setpriv args]: sh, python3, ioshim answer
	what=$1; shift
	ns "$@" sh -c 'echo sh-ok' >"$T/c.out" 2>"$T/c.err"; eq "$what: sh" "$? $(cat "$T/c.out")" "0 sh-ok"
	ns "$@" $PY -c 'print(6 * 7)' >"$T/c.out" 2>>"$T/c.err"; eq "$what: python3" "$? $(cat "$T/c.out")" "0 42"
	ns "$@" "$IOSHIM" --version >"$T/c.out" 2>>"$T/c.err"; eq "$what: ioshim --version" "$?" 0
	grep -q ioshim "$T/c.out" || fail "$what: ioshim --version said $(cat "$T/c.out")"
	note "$what: the loader said: $(sort -u "$T/c.err" | head -n 1)"
}
chmod 600 "$L"
check "unreadable (to nobody)" setpriv --reuid=65534 --regid=65534 --clear-groups
grep -q "cannot be preloaded" "$T/c.err" || fail "the loader did not skip the unreadable library"
for n in 0 40 500; do	# within the ELF and program headers: skipped
	head -c $n "$SHIM" >"$L"; chmod 644 "$L"
	check "truncated to $n bytes"
done
# Cut inside the segments it maps, glibc 2.36 maps the file anyway and
# every program dies of SIGBUS: why the library is only ever replaced by
# rename (dpkg, make install) and enable --machine tries it first.
head -c 4000 "$SHIM" >"$L"
ns sh -c 'echo sh-ok' >"$T/c.out" 2>"$T/c.err"
note "truncated to 4000 bytes: sh exits $? ($(head -n 1 "$T/c.err"))"
how=$(foreign_so "$L")
check "another architecture ($how)"
rm -f "$L"
check "removed"
# a missing dependency: the loader stops every program (glibc 2.36)
missing_dep_so "$L"
ns sh -c 'echo sh-ok' >"$T/c.out" 2>"$T/c.err"
rc=$?
note "missing dependency: sh exits $rc: $(head -n 1 "$T/c.err")"
[ $rc != 0 ] || note "this glibc skips a preloaded library with a missing dependency"
[ $rc = 0 ] || echo "ok: a missing dependency stops every program (why DT_NEEDED stays libc alone: t-libdeps)"
# and disable --machine takes the line out again
"$IOSHIM" disable --machine --root "$R" >/dev/null || fail "disable --machine failed"
[ ! -e "$R/etc/ld.so.preload" ] || fail "ld.so.preload left: $(cat "$R/etc/ld.so.preload")"
ns sh -c 'echo sh-ok' >"$T/c.out" 2>"$T/c.err"; eq "after disable: sh" "$? $(cat "$T/c.out") $(cat "$T/c.err")" "0 sh-ok "
