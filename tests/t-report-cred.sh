#!/bin/sh
# t-report-cred.sh - a process started as root that gives up privilege
# still writes its record: the report file root created (0600, in a
# directory only root may enter) is opened before the first call that
# drops privilege and kept.  tests/progs/cred_drop.c drops by setuid,
# seteuid, setresuid, setgroups+setgid+setuid, capset, and setuid then
# fork (parent and child both write records through the kept fd); each
# run gives one record per process with the program's bytes, and
# setuid(0) (no change) one too.  The kept fd is the shim's: the program's
# fcntl, read and close of it fail with EBADF (as for a closed fd); when
# the program takes its number with dup2, the shim gives it up and writes
# nothing into the program's file.  Then real nginx: the master as root, two workers as nobody;
# every process image (found with strace -f) has its record.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
id nobody >/dev/null 2>&1 || skip "no user nobody"
P=$(prog cred_drop)
chmod 700 "$T"

for mode in setuid seteuid setresuid groups capset forked; do
	untraced -- "$P" $mode "$T/out"
	eq "$mode: status" "$rc" 0
	want=1 bytes=100
	[ $mode = forked ] && want=2 bytes=150
	eq "$mode: records" "$(q "len(r)")" $want
	eq "$mode: report's disk write_bytes = file size" "$(q "total('disk', 'write_bytes')")" "$(size "$T/out")"
	eq "$mode: file size" "$(size "$T/out")" $bytes
	eq "$mode: report mode" "$(stat -c %a "$R")" 600
done

untraced -- "$P" nodrop "$T/out"
eq "nodrop: records" "$(q "len(r)")" 1

untraced -- "$P" hostile "$T/out" >"$T/stdout"
eq "hostile: status" "$rc" 0
eq "hostile: the program's fcntl, read, close of the kept fd" "$(cat "$T/stdout")" "refused 1"
eq "hostile: records" "$(q "len(r)")" 1
rm -f "$R"
"$IOSHIM" run --report "$R" -- "$P" taken "$T/out" >"$T/stdout" || fail "taken: failed"
eq "taken: fds the program took" "$(cat "$T/stdout")" "taken 1"
eq "taken: OUT holds the program's bytes only" "$(size "$T/out")" 104

command -v nginx >/dev/null || skip "nginx not installed (apt-get install nginx-light)"
need_strace
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/ngx"
cat >"$T/nginx.conf" <<CONF
user nobody nogroup;
worker_processes 2;
daemon off;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
events { worker_connections 64; }
http {
	access_log $T/ngx/access.log;
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	server { listen 127.0.0.1:$port; location / { return 200 "hello\\n"; } }
}
CONF
rm -f "$R"
strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o "$T/ngx.trace" \
    "$IOSHIM" run --report "$R" -- nginx -c "$T/nginx.conf" >"$T/ngx.out" 2>&1 &
NPID=$!
trap 'kill -9 $(cat "$T/ngx/nginx.pid" 2>/dev/null) $NPID 2>/dev/null; rm -rf "$T"' EXIT
i=0
until curl -sf "http://127.0.0.1:$port/" >"$T/got" 2>/dev/null || [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(cat "$T/got" 2>/dev/null)" = hello ] || { cat "$T/ngx.out" "$T/ngx/error.log"; fail "nginx did not serve"; }
master=$(cat "$T/ngx/nginx.pid")
workers=$(ps -o pid= --ppid "$master" | tr -d ' ' | sort -n | tr '\n' ' ')
note "master $master, workers $workers"
eq "workers run as nobody" "$(ps -o user= --ppid "$master" | sort -u | tr -d ' ')" nobody
kill -QUIT "$master"
wait $NPID
# every process the master's tree ran: the master, and what it forked
# (not threads)
pids=$($PY - "$T/ngx.trace" "$master" <<'PY'
import re, sys
kids = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d+)\s+(clone3?|fork|vfork)\(.*= (\d+)$", line.strip())
    if m and "CLONE_THREAD" not in line:	# threads: the shim's worker
        kids.setdefault(int(m.group(1)), []).append(int(m.group(3)))
todo, seen = [int(sys.argv[2])], []
while todo:
    p = todo.pop()
    seen.append(p)
    todo += kids.get(p, [])
print(" ".join(str(p) for p in sorted(seen)))
PY
)
note "processes: $pids"
eq "nginx: a record for every process" "$(q "' '.join(str(p) for p in sorted(x['pid'] for x in r if x['comm'] == 'nginx'))")" "$pids"
eq "nginx: records in all" "$(q "len([x for x in r if x['comm'] == 'nginx'])")" "$(echo $pids | wc -w)"
eq "nginx: no record lost" "$(q "sum(x['dropped'] for x in r)")" 0
