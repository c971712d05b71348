#!/bin/sh
# t-http-hostile.sh - bad input on ioshimd's HTTP port: unknown paths (404),
# other methods (405), oversized headers and URLs (431/414), garbage (400),
# a slow client (closed after the idle timeout, others served meanwhile), a
# flood of connections (bounded, the rest closed at once, another address
# still served), big request bodies; memory stays flat, ingestion goes on,
# the collector never dies.  Loopback only, every loop bounded.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"

start_d
rss0=$(rss_kb)
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

eq "GET /metrics" "$(code "$URL/metrics")" 200
eq "HEAD /metrics" "$(code -I "$URL/metrics")" 200
eq "GET /health" "$(code "$URL/health")" 200
eq "GET /metrics?x=1 (query ignored)" "$(code "$URL/metrics?x=1")" 200
for p in / /nope /metrics/ /health/x /METRICS "/%00" "/../etc/passwd"; do
	eq "GET $p" "$(code --path-as-is "$URL$p")" 404
done
for m in POST PUT DELETE PATCH OPTIONS TRACE BREW; do
	eq "$m /metrics" "$(code -X $m "$URL/metrics")" 405
done
curl -s -D "$T/h405" -o /dev/null -X POST "$URL/metrics"
grep -qi '^Allow: GET, HEAD' "$T/h405" || fail "405 without Allow"
head -c 4000000 /dev/zero >"$T/body"
eq "POST of 4 MB" "$(code -X POST --data-binary @"$T/body" "$URL/metrics")" 405
eq "oversized header (100 kB)" "$($PROBE oversized $PORT 100000)" 431
eq "oversized header (1 MB)" "$($PROBE oversized $PORT 1000000)" 431
eq "header under the limit (8 kB)" "$($PROBE oversized $PORT 8000)" 200
eq "URL of 50 kB" "$($PROBE longurl $PORT 50000)" 414
eq "garbage request" "$($PROBE garbage $PORT)" 400
eq "keep-alive: 20 scrapes on one connection" "$($PROBE keepalive $PORT 20)" 20
alive

# Slow client: half a request, then silence.  Others are served meanwhile;
# it is closed after the 10 s idle timeout.
$PROBE slow $PORT 30 >"$T/slow" &
SP=$!
sleep 1
t=$(curl -fsS -o /dev/null -w '%{time_total}' --max-time 5 "$URL/health") || fail "health during a slow client"
note "GET /health during the slow client: ${t}s"
wait $SP
secs=$(cat "$T/slow")
note "slow client closed after ${secs}s"
$PY -c "import sys; sys.exit(not (8 <= float('$secs') <= 15))" || fail "slow client closed after ${secs}s, want ~10"
echo "ok: slow client closed after the idle timeout"

# Flood: 400 idle connections from 127.0.0.1, held 2 s, while dd reports.
$PROBE flood $PORT 400 2 >"$T/flood" &
FP=$!
sleep 0.3
shimmed dd if=/dev/zero of="$T/out" bs=4096 count=50 2>/dev/null || fail "dd"
wait $FP
note "flood: $(cat "$T/flood")"
open=$(sed 's/.*open=\([0-9]*\).*/\1/' "$T/flood")
[ "$open" -le 16 ] || fail "$open connections from one address stayed open (limit 16)"
# 127.0.0.2 is loopback too: counted with 127.0.0.1 (t-http-loopback)
grep -q 'other_ip=200' "$T/flood" && fail "another loopback address was served during the flood"
echo "ok: flood bounded to $open connections, another loopback address refused"
alive
sleep 0.5
eq "GET /health after the flood" "$(code "$URL/health")" 200
sleep 0.3
eq "dd counted during the flood" "$(scrape | sed -n 's|^ioshim_write_bytes_total{exe="[^"]*/dd",class="disk"} ||p')" 204800

rss1=$(rss_kb)
note "RSS before ${rss0} kB, after ${rss1} kB"
[ $((rss1 - rss0)) -lt 8192 ] || fail "RSS grew by $((rss1 - rss0)) kB"
echo "ok: memory flat"
alive
stop_d
exit 0
