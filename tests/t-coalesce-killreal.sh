#!/bin/sh
# t-coalesce-killreal.sh - real programs killed with SIGKILL lose no log
# line (issue 16): nginx (a root master, two workers as nobody, the logs
# owned by the workers' user as Debian makes them) serves 600 numbered
# requests and is killed, every process of it at once; after `ioshim
# salvage` its access log holds each request once.  An "[error]" line
# reaches error.log at once (issue 17).  A python service (logging)
# killed and restarted by a supervisor loop, three times: the next
# instance salvages its predecessor's lines at its first held line, with
# no collector and no operator.
. "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || skip "nginx not installed (apt-get install nginx-light)"
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || skip "needs root (nginx workers as nobody)"
D=$(mktemp -d /var/tmp/ioshim-kr.XXXXXX)	# logs on a disk
chmod 755 "$D"
NG=
trap '[ -n "$NG" ] && kill -KILL -$NG 2>/dev/null; rm -rf "$T" "$D"' EXIT
salvage() { "$IOSHIM" salvage /run/ioshim/0 /dev/shm/ioshim-0 /run/ioshim/65534 /dev/shm/ioshim-65534 >>"$T/salv" 2>&1; }

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$D/ngx"
: >"$D/ngx/access.log"; : >"$D/ngx/error.log"
chown 65534:65534 "$D/ngx/access.log" "$D/ngx/error.log"
cat >"$T/nginx.conf" <<CONF
user nobody nogroup;
worker_processes 2;
daemon off;
pid $D/ngx/nginx.pid;
error_log $D/ngx/error.log info;
events { worker_connections 64; }
http {
	access_log $D/ngx/access.log;
	client_body_temp_path $D/ngx/body;
	proxy_temp_path $D/ngx/proxy;
	fastcgi_temp_path $D/ngx/fcgi;
	uwsgi_temp_path $D/ngx/uwsgi;
	scgi_temp_path $D/ngx/scgi;
	server {
		listen 127.0.0.1:$port;
		root $D/www;
		location /r/ { return 200 "ok\\n"; }
	}
}
CONF
mkdir -p "$D/www"
IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM setsid nginx -c "$T/nginx.conf" >"$T/ngx.out" 2>&1 &
NG=$!
i=0
until curl -sf "http://127.0.0.1:$port/r/start" >/dev/null 2>&1 || [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
[ $i -lt 300 ] || { cat "$T/ngx.out" "$D/ngx/error.log"; fail "nginx did not serve"; }

# an [error] line (a file that is not there) is in error.log at once
curl -s "http://127.0.0.1:$port/missing.html" >/dev/null
i=0
while ! grep -q '\[error\].*missing.html' "$D/ngx/error.log" && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '\[error\].*missing.html' "$D/ngx/error.log" ||
	fail "nginx's [error] line was not in error.log within 2 s (IOSHIM_FLUSH_MS=60000)"
echo "ok: nginx's [error] line reached error.log at once"

# 600 requests on kept-alive connections, then SIGKILL to every process
$PY - "$port" <<'PY' || fail "the requests failed"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(600):
    c.request("GET", "/r/%d" % i)
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit("request %d: %d" % (i, r.status))
PY
sleep 0.5	# nginx writes a line after the response: let the last ones go
before=$(grep -c ' /r/[0-9]' "$D/ngx/access.log")
kill -KILL -$NG; wait $NG 2>/dev/null; NG=
sleep 0.2
salvage
after=$(grep -c ' /r/[0-9]' "$D/ngx/access.log")
[ "$before" -lt 600 ] || fail "every line was in the log before the kill: the test proves nothing"
$PY - "$D/ngx/access.log" <<'PY' || { cat "$T/salv"; fail "nginx's access log after SIGKILL and salvage"; }
import re, sys
seen = {}
for l in open(sys.argv[1]):
    m = re.search(r'"GET /r/(\d+) ', l)
    if m:
        seen[int(m.group(1))] = seen.get(int(m.group(1)), 0) + 1
bad = [i for i in range(600) if seen.get(i) != 1]
if bad:
    sys.exit("requests not in the log once: %s" % bad[:10])
PY
echo "ok: nginx killed with SIGKILL: all 600 requests in its access log once ($before before the salvage)"

# a python service under a supervisor loop: killed, restarted, three times
cat >"$T/svc.py" <<'PY'
import logging, sys, time
logging.basicConfig(filename=sys.argv[1], level=logging.INFO, format="%(message)s")
n = int(sys.argv[2])
for i in range(400):
    logging.info("run %d line %d", n, i)
open(sys.argv[3], "w").close()		# done: kill me
time.sleep(60)
PY
for n in 1 2 3 4; do
	rm -f "$T/done"
	IOSHIM_FLUSH_MS=60000 LD_PRELOAD=$SHIM $PY "$T/svc.py" "$D/svc.log" $n "$T/done" &
	sp=$!
	i=0; while [ ! -e "$T/done" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$T/done" ] || fail "service run $n did not start"
	[ $n = 4 ] && break
	kill -KILL $sp; wait $sp 2>/dev/null
done
kill -TERM $sp; wait $sp 2>/dev/null
$PY - "$D/svc.log" <<'PY' || fail "the service's log after three SIGKILLs and restarts"
import sys
seen = {}
for l in open(sys.argv[1]):
    _, r, _, i = l.split()
    seen[(int(r), int(i))] = seen.get((int(r), int(i)), 0) + 1
bad = [k for r in range(1, 5) for k in [(r, i) for i in range(400)] if seen.get(k) != 1]
if bad:
    sys.exit("lines not once: %s" % bad[:10])
PY
echo "ok: a python service killed and restarted three times: every line once (salvaged by the next instance)"
