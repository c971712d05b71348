#!/bin/sh
# t-collector-qslots.sh - query slots cannot be taken from root or from
# other users: with --shared, uids 65534..65531 each grab as many query
# connections as they can and hold them by trickling a request that never
# ends.  One uid gets at most 8, all of them together 28 (4 are kept for
# root); root and a fifth uid's refusal are checked while they hold them,
# and the collector closes every trickled connection (a request must end
# within 10 s, however often a byte arrives).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to switch uid"
command -v setpriv >/dev/null || skip "no setpriv"
as() { u=$1; shift; setpriv --reuid=$u --regid=$u --clear-groups "$@"; }
as 65534 true 2>/dev/null || skip "setpriv cannot switch to 65534"
chmod 755 "$T"
HOLD=$TOP/tests/qslot_hold.py
as 65534 test -r "$HOLD" || skip "tests/ not readable by uid 65534"
as 65534 test -x "$IOSHIM" || skip "tools/ioshim not reachable by uid 65534"

start_d --shared
pids=
for u in 65534 65533 65532 65531; do
	mkdir "$T/$u" && chown $u "$T/$u" || fail "mkdir"
	as $u /usr/bin/python3 "$HOLD" "$S.ctl" 12 "$T/$u/ready" >"$T/hold.$u" 2>"$T/hold.$u.err" &
	pids="$pids $!"
	# one after another, so the split between them is known
	i=0
	while [ ! -f "$T/$u/ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -f "$T/$u/ready" ] || { cat "$T/hold.$u.err"; fail "holder $u did not get going"; }
done
eq "slots of 65534" "$(val slots "$T/65534/ready")" 8
eq "slots of 65533" "$(val slots "$T/65533/ready")" 8
eq "slots of 65532" "$(val slots "$T/65532/ready")" 8
eq "slots of 65531 (4 kept for root)" "$(val slots "$T/65531/ready")" 4
q health >"$T/h.json" || { cat "$T/h.json"; fail "root refused while users hold slots"; }
eq "root answered, beside 28 users" "$(json "$T/h.json" "r[0]['scope'], r[0]['query_clients']")" "('all', 29)"
mkdir "$T/65530" && chown 65530 "$T/65530" || fail "mkdir"
as 65530 /usr/bin/python3 "$HOLD" "$S.ctl" 2 "$T/65530/ready" >/dev/null || fail "holder 65530 failed"
eq "slots of a fifth uid" "$(val slots "$T/65530/ready")" 0
for p in $pids; do wait $p || fail "a holder failed"; done
for u in 65534 65533 65532 65531; do
	eq "trickled connections of $u closed" "$(val closed "$T/hold.$u")" "$(val slots "$T/hold.$u")"
done
q health >/dev/null || fail "root: no health after the holders"
stop_d
