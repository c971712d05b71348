#!/bin/sh
# t-http-loopback.sh - the HTTP per-address limit (16) counts every
# loopback address as one: with 16 connections held from 127.0.0.1, none
# from 127.0.0.2 .. 127.0.0.17 is served (they used to be, 16 each, so
# one local user could take all 32 connections); once the 16 are closed,
# 127.0.0.2 is served again.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null || skip "cannot bind 127.0.0.2"

start_d
$PROBE loopbacks $PORT >"$T/lb" || fail "probe failed"
note "$(cat "$T/lb")"
eq "held from 127.0.0.1" "$(sed 's/.*held=\([0-9]*\).*/\1/' "$T/lb")" 16
eq "served from other loopback addresses meanwhile" "$(sed 's/.*others_ok=\([0-9]*\).*/\1/' "$T/lb")" 0
eq "127.0.0.2 once they closed" "$(sed 's/.*after=\([^ ]*\).*/\1/' "$T/lb")" 200
alive
eq "health still answered" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/health")" 200
stop_d
