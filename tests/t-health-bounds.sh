#!/bin/sh
# t-health-bounds.sh - the query bounds in health, and a refused client:
# while every query slot is taken, `ioshim query` is told "busy" and says
# so (the reply on stdout, exit 1) instead of dying of SIGPIPE when its
# request meets the closed connection (strace holds its first write until
# the collector has refused it); `ioshim health` exits 4 (no health to
# tell).  Then health counts the refusals (query_refusals.busy) and is
# degraded (reason query_refused, exit 1); a client that is not an
# administrator sees the reason's name, severity and since, no counts.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
command -v strace >/dev/null || skip "no strace"
strace -o /dev/null -e trace=none -e inject=write:delay_enter=1:when=1 true 2>/dev/null ||
    skip "strace cannot delay a syscall"
FILL=$TOP/tests/qslot_fill.py

start_d --shared --salvage-every 0
/usr/bin/python3 "$FILL" "$S.ctl" "$T/ready" "$T/release" 2>"$T/fill.err" &
FP=$!
i=0
while [ ! -f "$T/ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$T/ready" ] || { cat "$T/fill.err"; fail "the filler did not get going"; }
eq "slots an administrator takes" "$(val slots "$T/ready")" 32
eq "then refused" "$(val refused "$T/ready")" 1

# The request's write waits 2 s: by then the collector has said "busy" and
# closed, so the write meets a closed connection (EPIPE, SIGPIPE).
strace -f -o /dev/null -e trace=none \
    -e inject=write,sendto:delay_enter=2000000:when=1 \
    "$IOSHIM" query --socket "$S" help >"$T/q.out" 2>"$T/q.err"
rc=$?
[ $rc -ne 141 ] || fail "ioshim query died of SIGPIPE (status 141)"
eq "refused query: exit status" $rc 1
eq "refused query: the refusal printed" "$(cat "$T/q.out")" '{"error":"busy"}'
"$IOSHIM" query --socket "$S" help >"$T/q2.out" 2>&1
eq "refused query (no delay): exit status" $? 1
"$IOSHIM" health --socket "$S" >"$T/h.out" 2>"$T/h.err"
eq "health while refused: exit status" $? 4
grep -q "busy" "$T/h.err" || fail "health while refused does not say busy: $(cat "$T/h.err")"
echo "ok: health while refused: $(cat "$T/h.err")"
touch "$T/release"
wait $FP || fail "the filler failed"

"$IOSHIM" health --json --socket "$S" >"$T/h.json"
eq "after: exit status (degraded)" $? 1
eq "after: state" "$(json "$T/h.json" 'r[0]["state"]')" degraded
busy=$(json "$T/h.json" 'r[0]["query_refusals"]["busy"]')
[ "$busy" -ge 4 ] || fail "query_refusals.busy = $busy, want >= 4 (filler, two queries, health)"
echo "ok: query_refusals.busy = $busy"
eq "reason: query_refused busy" "$(json "$T/h.json" 'r[0]["reasons"]["query_refused"]["busy"]')" "$busy"
eq "reason: severity" "$(json "$T/h.json" 'r[0]["reasons"]["query_refused"]["severity"]')" degraded
"$IOSHIM" health --socket "$S" | head -n 1 >"$T/sum"
case "$(cat "$T/sum")" in
"health: degraded: query_refused (degraded, since "*Z")") echo "ok: summary: $(cat "$T/sum")" ;;
*) fail "summary line: $(cat "$T/sum")" ;;
esac

# Another uid: the state and the reason, not the counts.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_nobody
	$AS "$IOSHIM" query --socket "$S" health >"$T/n.json" || fail "uid 65534: health"
	eq "uid 65534: state" "$(json "$T/n.json" 'r[0]["state"]')" degraded
	eq "uid 65534: the reason, no counts" "$(json "$T/n.json" 'sorted(r[0]["reasons"]["query_refused"])')" "['severity', 'since']"
	eq "uid 65534: no query_refusals" "$(json "$T/n.json" '"query_refusals" in r[0]')" False
	$AS "$IOSHIM" health --socket "$S" >/dev/null
	eq "uid 65534: ioshim health exit status" $? 1
fi
stop_d
exit 0
