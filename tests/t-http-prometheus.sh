#!/bin/sh
# t-http-prometheus.sh - a real Prometheus server on loopback scrapes
# ioshimd --http every second (with docs/prometheus/ioshim.rules.yml
# loaded); a python3 workload runs under the shim; Prometheus's HTTP API
# must return ioshim_write_bytes_total for the python3 executable with a
# non-zero value (bounded wait), and the recording rules must evaluate.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/http_lib.sh"
PROM=$(command -v prometheus) || skip "no prometheus (Debian package prometheus)"
[ -f "$SHIM" ] || skip "shim not built"
RULES=$TOP/docs/prometheus/ioshim.rules.yml
PPORT=$(freeport)
while [ "$PPORT" = "$PORT" ]; do PPORT=$(freeport); done
PURL=http://127.0.0.1:$PPORT
PPID_=
trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; [ -n "$PPID_" ] && kill -9 $PPID_ 2>/dev/null; rm -rf "$T"' EXIT

promtool check rules "$RULES" >/dev/null || fail "promtool check rules $RULES"
cp "$RULES" "$T/ioshim.rules.yml"
cat >"$T/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ioshim.rules.yml
scrape_configs:
  - job_name: ioshimd
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
        labels:
          storage: sdcard
EOC
promtool check config "$T/prometheus.yml" >/dev/null || fail "promtool check config"

start_d
mkdir "$T/tsdb"
"$PROM" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" --storage.tsdb.retention.time=1h \
    >"$T/prom.log" 2>&1 &
PPID_=$!
i=0
until curl -fs -o /dev/null "$PURL/-/ready"; do
	kill -0 $PPID_ 2>/dev/null || { tail -n 20 "$T/prom.log"; fail "prometheus exited"; }
	i=$((i+1)); [ $i -lt 300 ] || { tail -n 20 "$T/prom.log"; fail "prometheus not ready after 30 s"; }
	sleep 0.1
done
note "prometheus ready on $PURL"

shimmed /usr/bin/python3 -c 'open("'"$T"'/py.out", "wb").write(b"z" * 300000)' || fail "python3 workload"

# pq QUERY: the API's answer as "exe value" lines (or "value" without exe).
pq() {
	curl -fsS --max-time 5 -G "$PURL/api/v1/query" --data-urlencode "query=$1" |
	    $PY -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "success", r
for s in r["data"]["result"]:
    print(s["metric"].get("exe", "-"), s["value"][1])'
}
Q='ioshim_write_bytes_total{exe=~".*python3.*",class="disk"}'
i=0 got=
while [ $i -lt 60 ]; do
	got=$(pq "$Q" 2>/dev/null | awk '$2 > 0')
	[ -n "$got" ] && break
	sleep 1; i=$((i+1))
done
[ -n "$got" ] || { pq "$Q"; tail -n 20 "$T/prom.log"; fail "no non-zero python3 series in Prometheus after 60 s"; }
note "Prometheus: $got (after ~${i}s)"
v=$(echo "$got" | awk '{print $2; exit}')
$PY -c "import sys; sys.exit(not float('$v') >= 300000)" || fail "python3 disk bytes in Prometheus: $v < 300000"
echo "ok: Prometheus has ioshim_write_bytes_total for python3 = $v"
eq "up{job=ioshimd}" "$(pq 'up{job="ioshimd"}' | awk '{print $2}')" 1
eq "scrape samples > 0" "$(pq 'scrape_samples_scraped{job="ioshimd"} > 0' | wc -l)" 1

# The recording rules evaluate (a rate needs two scrapes: bounded wait).
i=0
until [ -n "$(pq 'instance:ioshim_write_bytes:rate5m{storage="sdcard"}' 2>/dev/null)" ] || [ $i -ge 30 ]; do
	sleep 1; i=$((i+1))
done
[ $i -lt 30 ] || fail "recording rule instance:ioshim_write_bytes:rate5m never evaluated"
echo "ok: recording rules evaluate"
curl -fsS "$PURL/api/v1/rules" | grep -q '"health":"err' && fail "a rule reports an error"

kill -TERM $PPID_; wait $PPID_; PPID_=
alive
stop_d
exit 0
