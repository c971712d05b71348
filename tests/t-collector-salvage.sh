#!/bin/sh
# t-collector-salvage.sh - ioshimd writes a killed logger's held lines
# to its log with no operator and no next process (issue 16, the first of
# the three salvagers): root's logger and uid 65534's (written with that
# user's identity), the counts in `health`; a spill a user crafted to
# name root's file is never written there; /run/ioshim/UID made for a
# user that sends.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody
L=$(prog kill_logger)
MK=$(prog mkspill)
PY=/usr/bin/python3
D=$(mktemp -d /var/tmp/ioshim-csalv.XXXXXX)
chmod 755 "$D"
# what a failed run planted in uid 65534's directory goes with it
sd=/dev/shm/ioshim-65534
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T" "$D"; rm -f "$sd/s.9$$".* "$sd/kept/s.9$$".*; [ -L "$sd/kept" ] && rm -f "$sd/kept"' EXIT

# lines LOG CTR: every line whose write() returned is in LOG once, in
# order (kill_logger's format: "w<writer> <seq> ...")
lines() {
	$PY - "$1" "$2" <<'PY'
import struct, sys
c = struct.unpack("10Q", open(sys.argv[2], "rb").read(80))
seen = {}
for l in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    w, s = l.split(b" ")[:2]
    w = int(w[1:]); s = int(s)
    if s != seen.get(w, 0):
        sys.exit("writer %d: seq %d, want %d" % (w, s, seen.get(w, 0)))
    seen[w] = s + 1
for w in range(10):
    if seen.get(w, 0) < c[w]:
        sys.exit("writer %d: %d lines in the log, %d writes returned" %
                 (w, seen.get(w, 0), c[w]))
PY
}

# kill_one AS LOG CTR: a logger (as AS, may be empty) killed with SIGKILL
# while it holds lines (a 60 s age bound: nothing leaves before the kill)
kill_one() {
	head -c 4096 /dev/zero >"$3"; chmod 666 "$3"
	$1 env IOSHIM_FLUSH_MS=60000 LD_PRELOAD="$SHIM" setsid "$L" "$2" "$3" 2 &
	kp=$!
	sleep 0.3
	kill -KILL -$kp 2>/dev/null || kill -KILL $kp
	wait $kp 2>/dev/null
}

start_d --shared --salvage-every 1
# the collector has seen uid 65534 send (its /run/ioshim/65534)
$AS "$SEND" "$S" stream 1 1 0 1 >/dev/null || fail "uid 65534 could not send"
: >"$D/nobody.log"; chown 65534:65534 "$D/nobody.log"

kill_one "" "$D/root.log" "$T/ctr.root"
kill_one "$AS" "$D/nobody.log" "$T/ctr.nobody"
i=0
until lines "$D/root.log" "$T/ctr.root" 2>/dev/null &&
    lines "$D/nobody.log" "$T/ctr.nobody" 2>/dev/null; do
	[ $i -lt 150 ] || { lines "$D/root.log" "$T/ctr.root"; lines "$D/nobody.log" "$T/ctr.nobody"; tail "$T/d.log"; fail "ioshimd did not salvage within 15 s"; }
	sleep 0.1; i=$((i + 1))
done
echo "ok: both killed loggers' lines are in their logs, once"
eq "the log of uid 65534 is still its own" "$(stat -c %U "$D/nobody.log")" nobody

# health: what was salvaged (an administrator's view), as many bytes as
# ioshimd's log lines say
q health >"$T/h.json" || fail "health"
# (root's spill may have been salvaged by another shimmed root process
# first; only ioshimd could write uid 65534's)
[ "$(json "$T/h.json" 'r[0]["salvage"]["salvaged_spills"]')" -ge 1 ] ||
	fail "health: no salvaged spills"
sb=$(json "$T/h.json" 'r[0]["salvage"]["salvaged_bytes"]')
[ "$sb" -gt 0 ] || fail "health: no salvaged bytes"
eq "ioshimd's log of it" "$(sed -n 's/.*salvaged [0-9]* spill(s) of killed processes: \([0-9]*\) bytes.*/\1/p' "$T/d.log" | paste -sd+ | bc)" "$sb"
$AS "$IOSHIM" query --socket "$S" health >"$T/hn.json" || fail "nobody: health"
eq "a user sees no machine-wide salvage figures" "$(json "$T/hn.json" '"salvage" in r[0]')" False

# a spill uid 65534 made to name root's file: never written there
printf 'root only\n' >"$D/root-only.log"
chmod 644 "$D/root-only.log"
printf 'planted\n' >"$T/planted"; chmod 644 "$T/planted"
sd=/dev/shm/ioshim-65534
[ -d $sd ] || fail "no $sd: the shim of uid 65534 made none"
$AS "$MK" "$sd/s.9$$.7" "$D/root-only.log" "$T/planted" || fail "mkspill as 65534"
i=0
while [ -e "$sd/s.9$$.7" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
eq "root's file after a planted spill" "$(cat "$D/root-only.log")" "root only"
[ -e "$sd/kept/s.9$$.7" ] || fail "the planted spill was not set aside"
echo "ok: a spill naming another user's file is set aside, not written"
rm -f "$sd/kept/s.9$$.7"

# a spill naming a kernel control file (root-only sysctl): never written
# (the salvage takes the user's whole identity, and refuses /proc)
dn=$(cat /proc/sys/kernel/domainname)
printf 'pwned\n' >"$T/pw"; chmod 644 "$T/pw"
$AS "$MK" "$sd/s.9$$.8" /proc/sys/kernel/domainname "$T/pw" || fail "mkspill as 65534"
# a "kept" that is a link to a root-only directory: nothing moved there
mkdir -m 700 "$D/rootonly"
rm -rf "$sd/kept"
$AS ln -s "$D/rootonly" "$sd/kept"
$AS "$MK" "$sd/s.9$$.9" "$D/root-only.log" "$T/planted" || fail "mkspill as 65534"
i=0
while [ -e "$sd/s.9$$.8" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
sleep 2	# two more runs
eq "the sysctl after a spill naming it" "$(cat /proc/sys/kernel/domainname)" "$dn"
eq "files moved into a root-only directory through a kept link" "$(ls -A "$D/rootonly" | wc -l)" 0
eq "root's file after a planted spill (kept a link)" "$(cat "$D/root-only.log")" "root only"
echo "ok: a spill naming a sysctl, and a kept link, change nothing"
$AS rm -f "$sd/kept" "$sd/s.9$$.8" "$sd/s.9$$.9"

# /run/ioshim/65534: made for the user, theirs, 0700
if [ -d /run/ioshim ]; then
	eq "/run/ioshim/65534" "$(stat -c '%U %a' /run/ioshim/65534)" "nobody 700"
fi
stop_d
