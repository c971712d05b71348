#!/bin/sh
# t-health-state.sh - health a script can trust: `health` (socket and GET
# /health, the same bytes) carries "state" ok / degraded / failing, the
# worst severity among its reasons; `ioshim health` prints a summary line
# first and exits 0 ok, 1 degraded, 3 failing, 4 without a collector;
# /health answers 200 for ok and degraded, 503 for failing.  Degraded:
# datagrams dropped (messages_dropped).  Failing: the database full
# (--max-db-pages: SQLite's "database or disk is full", reason disk_full,
# until the windows are stored again).  Times: ISO 8601 in local time and
# UTC beside the Unix seconds.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
IOSHIM=${IOSHIM_TOOL:-$IOSHIM}
SEND=$(prog wire_send)
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
hq() { "$IOSHIM" health --socket "$S" "$@"; }
code() { curl -s -o "$T/hh.json" -w '%{http_code}' "$URL/health"; }

# No collector: 4, and one line on stderr.
hq >"$T/o" 2>"$T/e"; rc=$?
eq "no collector: exit status" $rc 4
eq "no collector: said on one line" "$(wc -l <"$T/e")" 1

# --salvage-every 0: the machine's spill directories are not this test's
# (spills other tests set aside would make it degraded: spills_kept)
start_d --max-db-pages 60 --salvage-every 0
# ok
hq >"$T/h0" 2>&1; rc=$?
eq "ok: exit status" $rc 0
eq "ok: the summary line comes first" "$(head -n 1 "$T/h0")" "health: ok"
"$IOSHIM" health --json --socket "$S" >"$T/h0.json" || fail "health --json: $?"
eq "ok: state key" "$(json "$T/h0.json" 'r[0]["state"]')" ok
eq "ok: GET /health" "$(code)" 200
eq "ok: /health state" "$(json "$T/hh.json" 'r[0]["state"]')" ok
# Times: the Unix seconds, then ISO 8601 local and UTC.
TZ=UTC-2 hq >"$T/h0tz"
ws=$(sed -n 's/^window_start: \([0-9]*\) .*/\1/p' "$T/h0tz")
utc=$(date -u -d "@$ws" +%Y-%m-%dT%H:%M:%SZ)
loc=$(TZ=UTC-2 date -d "@$ws" +%Y-%m-%dT%H:%M:%S)
grep -q "^window_start: $ws ($loc+02:00, $utc)\$" "$T/h0tz" ||
    { grep window_start "$T/h0tz"; fail "window_start not shown as '$ws (LOCAL, $utc)' with TZ=UTC-2"; }
echo "ok: window_start shown in ISO 8601, local (+02:00) and UTC"

# degraded: a malformed datagram was dropped.
"$SEND" "$S" bad short >/dev/null || fail "wire_send bad"
hq >"$T/h1" 2>&1; rc=$?
eq "dropped: exit status" $rc 1
case "$(head -n 1 "$T/h1")" in
"health: degraded: messages_dropped (degraded, since 20"*Z")") echo "ok: degraded summary: $(head -n 1 "$T/h1")" ;;
*) fail "degraded summary line: $(head -n 1 "$T/h1")" ;;
esac
eq "dropped: GET /health still 200" "$(code)" 200
eq "dropped: state in the body" "$(json "$T/hh.json" 'r[0]["state"]')" degraded
eq "dropped: the reason's count" "$(json "$T/hh.json" 'r[0]["reasons"]["messages_dropped"]["dropped"]')" 1

# failing: the database cannot grow past 60 pages.
"$SEND" "$S" files 200 pad=200 >/dev/null || fail "wire_send files"
"$IOSHIM" query --socket "$S" flush >"$T/f.json"
hq --json >"$T/h2.json"; rc=$?
eq "disk full: db.state" "$(json "$T/h2.json" 'r[0]["db"]["state"]')" disk_full
eq "disk full: exit status" $rc 3
eq "disk full: state" "$(json "$T/h2.json" 'r[0]["state"]')" failing
eq "disk full: reason" "$(json "$T/h2.json" 'r[0]["reasons"]["disk_full"]["severity"]')" failing
eq "disk full: detail" "$(json "$T/h2.json" '"full" in r[0]["reasons"]["disk_full"]["detail"]')" True
hq >"$T/h2" 2>&1
case "$(head -n 1 "$T/h2")" in
"health: failing: disk_full (failing, since "*"), messages_dropped (degraded, since "*) echo "ok: failing summary: $(head -n 1 "$T/h2")" ;;
*) fail "failing summary line: $(head -n 1 "$T/h2")" ;;
esac
eq "disk full: GET /health" "$(code)" 503
eq "disk full: 503 body is the health" "$(json "$T/hh.json" 'r[0]["state"], r[0]["db"]["state"]')" "('failing', 'disk_full')"
stop_d

# Space again (no cap): the windows are stored, the reason goes.
start_d --salvage-every 0
"$IOSHIM" query --socket "$S" flush >/dev/null
hq --json >"$T/h3.json"; rc=$?
eq "restarted: exit status" $rc 0
eq "restarted: reasons" "$(json "$T/h3.json" 'r[0]["reasons"]')" "{}"
eq "restarted: GET /health" "$(code)" 200
stop_d
exit 0
