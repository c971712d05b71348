#!/bin/sh
# tests/machine/work.sh OUT PKG PORT - the mixed workload of t-machine.sh,
# run once under a whole-machine preload and once without: everything it
# makes is under OUT, and what must be the same both times is under
# OUT/same (outputs, exit statuses, produced files).  PKG: a small .deb
# to install and remove with dpkg --root; PORT: a free port for nginx.
set -u
O=$1 PKG=$2 PORT=$3
S=$O/same
mkdir -p "$S" "$O/tmp"
cd "$O" || exit 1
st() { echo "$1: $2" >>"$S/status"; }

# a shell script: files made, appended, copied, sorted, renamed
i=0
while [ $i -lt 200 ]; do echo "line $i" >>"$S/sh.log"; i=$((i + 1)); done
sort -r "$S/sh.log" >"$O/tmp/sorted" && mv "$O/tmp/sorted" "$S/sorted"
cp "$S/sorted" "$S/copy"; wc -l "$S/sh.log" "$S/copy" | sed "s|$O|O|g" >"$S/wc"
st sh $?

# dpkg --root: install and remove a package into a scratch root
R=$O/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/log"
: >"$R/var/lib/dpkg/status"; : >"$R/var/lib/dpkg/available"
dpkg --root="$R" --force-not-root --force-bad-path -i "$PKG" >"$S/dpkg-i.out" 2>&1; st dpkg-i $?
(cd "$R" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$S/dpkg-files"
dpkg --root="$R" -s ioshim-demo | grep -v '^Installed-Size' >"$S/dpkg-s"; st dpkg-s $?
dpkg --root="$R" -r ioshim-demo >"$S/dpkg-r.out" 2>&1; st dpkg-r $?
(cd "$R" && find usr -type f 2>/dev/null | wc -l) >"$S/dpkg-left"

# a small C build with make -j2, then the program it built
mkdir -p "$O/build"
cd "$O/build" || exit 1
for n in 1 2 3 4; do
	printf 'int f%d(int x) { return x * %d + %d; }\n' $n $n $n >f$n.c
done
printf 'int f1(int),f2(int),f3(int),f4(int);\n#include <stdio.h>\nint main(void) { printf("%%d\\n", f1(1) + f2(2) + f3(3) + f4(4)); return 0; }\n' >main.c
printf 'prog: main.o f1.o f2.o f3.o f4.o\n\t$(CC) -o $@ $^\n' >Makefile
# (not a sub-make of the make that runs the tests: its variables would make
# it print the build directory, which differs between the two runs)
env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS make -s -j2 >"$S/make.out" 2>&1
st make $?
./prog >"$S/prog.out"; st prog $?
cd "$O" || exit 1

# python and perl: buffered log files, a JSON file
/usr/bin/python3 - "$S" <<'PY' >"$S/py.out" 2>&1
import json, logging, sys
logging.basicConfig(filename=sys.argv[1] + "/py.log", format="%(levelname)s %(message)s", level=logging.INFO)
for i in range(300):
    logging.info("request %d done", i)
json.dump({"n": 300, "sq": [i * i for i in range(20)]}, open(sys.argv[1] + "/py.json", "w"))
print(sum(len(l) for l in open(sys.argv[1] + "/py.log")))
PY
st python $?
perl -e 'open(my $f, ">>", "$ARGV[0]/pl.log") or die; for (1..300) { print $f "perl line $_\n" } close $f; print -s "$ARGV[0]/pl.log", "\n"' "$S" >"$S/pl.out"; st perl $?

# a set-user-ID program run by nobody: the caller's IOSHIM_REPORT ignored
chmod 1777 "$O/tmp"
setpriv --reuid=65534 --regid=65534 --clear-groups env IOSHIM_REPORT="$O/tmp/suid.jsonl" \
    /usr/bin/passwd --status >"$S/passwd.out" 2>&1; st passwd $?
[ -e "$O/tmp/suid.jsonl" ] && echo "suid report written" >>"$S/status"

# git in a scratch repository
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t \
    GIT_COMMITTER_EMAIL=t@example.org GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' \
    GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' HOME=$O GIT_CONFIG_NOSYSTEM=1
git init -q -b main "$O/repo" && cd "$O/repo" || exit 1
for n in 1 2 3; do
	echo "v$n" >>file; git add file; git commit -q -m "c$n"; st git-commit $?
done
git log --format='%H %s' >"$S/git.log"; git gc -q; st git-gc $?
git fsck --no-progress >"$S/git.fsck" 2>&1; st git-fsck $?
cd "$O" || exit 1

# a cron-like loop appending to a log
i=0
while [ $i -lt 20 ]; do echo "tick $i" >>"$S/cron.log"; sleep 0.02; i=$((i + 1)); done

# nginx serving requests (single process, logs under OUT)
if command -v nginx >/dev/null && command -v curl >/dev/null; then
	mkdir -p "$O/www" "$O/ngx"
	for n in 1 2 3; do echo "page $n" >"$O/www/p$n.html"; done
	cat >"$O/ngx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $O/ngx/nginx.pid;
error_log $O/ngx/error.log;
events { worker_connections 16; }
http {
	access_log $O/ngx/access.log;
	client_body_temp_path $O/ngx/body;
	proxy_temp_path $O/ngx/proxy;
	fastcgi_temp_path $O/ngx/fcgi;
	uwsgi_temp_path $O/ngx/uwsgi;
	scgi_temp_path $O/ngx/scgi;
	server { listen 127.0.0.1:$PORT; root $O/www; }
}
CONF
	nginx -c "$O/ngx/nginx.conf" >"$O/ngx/out" 2>&1 &
	ng=$!
	i=0
	until curl -sf "http://127.0.0.1:$PORT/p1.html" >/dev/null 2>&1 || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	for r in 1 2 3 1 2 3 1 2 3; do
		curl -s "http://127.0.0.1:$PORT/p$r.html" >>"$S/nginx.out"
	done
	curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/none" >>"$S/nginx.out"
	kill -QUIT $ng; wait $ng; st nginx-exit $?
	# the requests after the first that answered: 9 pages and one 404
	grep -c ' /p[123].html ' "$O/ngx/access.log" >/dev/null; st nginx-log $?
	grep -c ' /none ' "$O/ngx/access.log" >"$S/nginx.404"
fi
exit 0
