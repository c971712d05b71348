#!/bin/sh
# t-enable.sh - ioshim enable/disable/status against a scratch systemd
# root (--root): the drop-in preloads the library before the unit's own
# LD_PRELOAD and names the collector's socket, systemd-analyze verify
# accepts the unit with it, enabling twice changes nothing, disable takes
# out only our drop-ins; status lists the units, and running processes
# with the shim loaded, each with the collector it is connected to.
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
[ -f "$SHIM" ] || skip "shim not built"
unset IOSHIM_LIB IOSHIM_SOCKET LD_PRELOAD XDG_CONFIG_HOME
lib=$(realpath "$SHIM")
R=$T/root
mkdir -p "$R/usr/lib/systemd/system/demo.service.d" "$R/etc/systemd/system/other.service.d"
cat >"$R/usr/lib/systemd/system/demo.service" <<'U'
[Unit]
Description=a demo service
[Service]
Environment="LD_PRELOAD=/usr/lib/first.so" FOO=1
ExecStart=/bin/true
U
# a vendor drop-in of the unit sets it later: that one is the unit's
printf '[Service]\nEnvironment=LD_PRELOAD=/usr/lib/later.so\n' >"$R/usr/lib/systemd/system/demo.service.d/10-env.conf"
# someone else's ioshim.conf: not ours to remove
printf '[Service]\nNice=5\n' >"$R/etc/systemd/system/other.service.d/ioshim.conf"

D=$R/etc/systemd/system/demo.service.d/ioshim.conf
"$IOSHIM" enable --root "$R" demo >"$T/out" || fail "enable failed"
cat "$T/out"
grep -q "^demo.service: $D\$" "$T/out" || fail "enable did not name the drop-in"
grep -q '^  systemctl daemon-reload$' "$T/out" || fail "enable did not say what to run"
cat "$D"
eq "first line" "$(head -n 1 "$D" | cut -c1-26)" "# written by ioshim enable"
eq "LD_PRELOAD" "$(grep '^Environment="LD_PRELOAD=' "$D")" "Environment=\"LD_PRELOAD=$lib /usr/lib/later.so\""
eq "IOSHIM_SOCKET" "$(grep '^Environment="IOSHIM_SOCKET=' "$D")" 'Environment="IOSHIM_SOCKET=%t/ioshim/ioshimd.sock"'
cp "$D" "$T/first"
"$IOSHIM" enable --root "$R" --now demo.service >"$T/out" || fail "enable again failed"
cmp "$D" "$T/first" || fail "enabling twice changed the drop-in"
grep -q '^  systemctl daemon-reload && systemctl restart demo.service$' "$T/out" || fail "--now: no restart said"
echo "ok: enable twice is the same drop-in"

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/v/demo.service.d"
	cp "$R/usr/lib/systemd/system/demo.service" "$T/v/"
	cp "$R/usr/lib/systemd/system/demo.service.d/10-env.conf" "$D" "$T/v/demo.service.d/"
	systemd-analyze verify "$T/v/demo.service" >"$T/verify" 2>&1 || { cat "$T/verify"; fail "systemd-analyze verify failed"; }
	[ -s "$T/verify" ] && { cat "$T/verify"; fail "systemd-analyze verify complained"; }
	echo "ok: systemd-analyze verify"
else
	note "no systemd-analyze"
fi

# the library as the root's programs see it: the root stripped
mkdir -p "$R/usr/lib/x/ioshim"
cp "$SHIM" "$R/usr/lib/x/ioshim/libioshim.so"
IOSHIM_LIB=$R/usr/lib/x/ioshim/libioshim.so "$IOSHIM" enable --root "$R" --socket /srv/c.sock demo >/dev/null || fail "enable with IOSHIM_LIB failed"
eq "LD_PRELOAD under root" "$(grep '^Environment="LD_PRELOAD=' "$D")" 'Environment="LD_PRELOAD=/usr/lib/x/ioshim/libioshim.so /usr/lib/later.so"'
eq "--socket" "$(grep '^Environment="IOSHIM_SOCKET=' "$D")" 'Environment="IOSHIM_SOCKET=/srv/c.sock"'

# --user: under the root's $HOME/.config/systemd/user
H=$T/home
HOME=$H "$IOSHIM" enable --user --root "$R" web >/dev/null || fail "enable --user failed"
[ -f "$R$H/.config/systemd/user/web.service.d/ioshim.conf" ] || fail "no user drop-in"
HOME=$H "$IOSHIM" status --user --root "$R" >"$T/status" || fail "status failed"
cat "$T/status"
eq "system units listed" "$(sed -n '/^system units/,/^user units/p' "$T/status" | grep '^  ' | tr -d ' ' | tr '\n' ' ')" "demo.service "
eq "user units listed" "$(sed -n '/^user units/,/^shimmed/p' "$T/status" | grep '^  ' | tr -d ' ' | tr '\n' ' ')" "web.service "

# disable: ours goes (and its directory), someone else's stays
"$IOSHIM" disable --root "$R" demo >"$T/out" || fail "disable failed"
[ -e "$D" ] && fail "disable left the drop-in"
[ -d "${D%/*}" ] && fail "disable left the empty UNIT.d"
"$IOSHIM" disable --root "$R" demo >"$T/out" || fail "disable again failed"
grep -q 'not enabled' "$T/out" || fail "disable again: not said"
"$IOSHIM" disable --root "$R" other 2>"$T/err" && fail "disable took someone else's ioshim.conf"
[ -f "$R/etc/systemd/system/other.service.d/ioshim.conf" ] || fail "someone else's ioshim.conf removed"
HOME=$H "$IOSHIM" disable --user --root "$R" web >/dev/null || fail "disable --user failed"
[ -e "$R$H/.config/systemd/user/web.service.d" ] && fail "user drop-in left"
echo "ok: disable"

# status: a shimmed shell reporting to a real collector, one whose
# collector is not there, one not shimmed
[ -x "$IOSHIMD" ] || skip "collector not built"
S=$T/s.sock
"$IOSHIMD" --foreground --socket "$S" --db "$T/db" 2>"$T/d.log" &
DPID=$!
P1= P2= P3=
trap 'kill $P1 $P2 $P3 2>/dev/null; kill -9 $DPID 2>/dev/null; rm -rf "$T"' EXIT
collector_ready $DPID
loop="while :; do echo x >>$T/log; sleep 0.2; done"
LD_PRELOAD=$SHIM IOSHIM_SOCKET=$S IOSHIM_INTERVAL_MS=100 sh -c "$loop" & P1=$!
LD_PRELOAD=$SHIM IOSHIM_SOCKET=$T/none.sock IOSHIM_INTERVAL_MS=100 sh -c "$loop" & P2=$!
sh -c "$loop" & P3=$!
i=0
while [ $i -lt 300 ]; do
	"$IOSHIM" status --root "$R" >"$T/status" || fail "status failed"
	grep -q "^  $P1 .* $S\$" "$T/status" && break
	sleep 0.2; i=$((i + 1))
done
cat "$T/status"
grep -q "^  $P1 *sh *$S\$" "$T/status" || fail "the shell reporting to $S not shown with it"
grep -q "^  $P2 *sh *-\$" "$T/status" || fail "the shell without a collector not shown with -"
grep -q "^  $P3 " "$T/status" && fail "an unshimmed shell listed"
echo "ok: status: shimmed processes and their collector"
exit 0
