#!/bin/sh
# t-http-backwards.sh - /metrics and the database count a sender's counters
# by one rule when they go backwards (a buggy or hostile sender): a value
# below the highest one counted adds nothing, and the climb back to it adds
# nothing either.  The sender reports disk write bytes 1000, 0, 1500, 2000,
# 1000, 2500 (windows close in between): both must say 2500 (the database
# said 2500, /metrics 4000 when it counted the climbs from 0 and 1000).
# A jump larger than 2^48 in one report counts 2^48 in both.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
SEND=$(prog wire_send)
q() { "$IOSHIM" query --socket "$S" "$@"; }
exe_metric() {	# EXE: its disk write bytes in /metrics
	scrape | sed -n "s|^ioshim_write_bytes_total{exe=\"$1\",class=\"disk\"} ||p"
}
stored() {	# EXE: its disk write bytes in the database
	sqlite3 "$DB" "SELECT total(m.disk_write_bytes) FROM proc_min m JOIN images i ON i.id = m.image WHERE i.exe = '$1'" | sed 's/\.0$//'
}

start_d --window 1
"$SEND" "$S" values /back 1000 pause=1500 0 pause=1500 1500 2000 \
    pause=1500 1000 2500 >"$T/back.out" || fail "sender failed"
# a jump from 0 to 2^50 in one report counts 2^48, then 2^50 + 5 counts
# another 2^48: the rest of the jump is taken one report at a time
"$SEND" "$S" values /jump 1125899906842624 1125899906842629 >"$T/jump.out" ||
    fail "jump sender failed"
q flush >/dev/null || fail "flush failed"
eq "/back: database" "$(stored /back)" 2500
eq "/back: /metrics" "$(exe_metric /back)" 2500
eq "/jump: database" "$(stored /jump)" 562949953421312
eq "/jump: /metrics" "$(exe_metric /jump)" 562949953421312
stop_d
exit 0
