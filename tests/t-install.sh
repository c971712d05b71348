#!/bin/sh
# t-install.sh - `make install` with DESTDIR and PREFIX puts every file
# under them, the systemd units start PREFIX/sbin/ioshimd, tmpfiles.d
# makes /run/ioshim 0755 root; `make uninstall` removes exactly those
# files (a file of someone else's beside them stays).
. "$(dirname "$0")/lib.sh"
command -v make >/dev/null || skip "no make"
R=$T/root P=/opt/ioshim-t
make -s -C "$TOP" install DESTDIR="$R" PREFIX="$P" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install: rc $?"; }
for f in bin/ioshim lib/ioshim/libioshim.so share/man/man1/ioshim.1 \
    share/man/man8/ioshimd.8 lib/systemd/system/ioshimd.service \
    lib/systemd/user/ioshimd.service lib/tmpfiles.d/ioshim.conf; do
	[ -f "$R$P/$f" ] || fail "not installed: $P/$f"
done
[ ! -x "$TOP/collector/ioshimd" ] || [ -x "$R$P/sbin/ioshimd" ] || fail "no $P/sbin/ioshimd"
for u in system user; do
	x=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$R$P/lib/systemd/$u/ioshimd.service")
	eq "$u unit's ExecStart" "$x" "$P/sbin/ioshimd"
done
grep -q '^d /run/ioshim 0755 root root' "$R$P/lib/tmpfiles.d/ioshim.conf" ||
	fail "tmpfiles.d entry: $(cat "$R$P/lib/tmpfiles.d/ioshim.conf")"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify "$R$P/lib/systemd/system/ioshimd.service" 2>&1 |
	    grep -v 'not executable\|No such file\|Failed to\|ioshimd.service: Command' >"$T/verify" || true
	[ ! -s "$T/verify" ] || note "systemd-analyze: $(cat "$T/verify")"
fi
echo keep >"$R$P/bin/other"
make -s -C "$TOP" uninstall DESTDIR="$R" PREFIX="$P" >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log"; fail "make uninstall: rc $?"; }
left=$(cd "$R" && find . -type f | sort | tr '\n' ' ')
eq "files left after uninstall" "$left" "./opt/ioshim-t/bin/other "
