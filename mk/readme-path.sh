#!/bin/sh
# readme-path.sh - the README's newcomer path ("The first hour", between
# the newcomer-path markers), run as written: `make demo` shows it and
# tests/t-readme-path.sh checks what it printed.
#   sh mk/readme-path.sh DIR
# Each command, copied as it is, runs in order with sh -c in DIR/tree, a
# directory laid out as the tree (collector/, tools/, shim/ holding copies
# of the built programs, so another user can reach them wherever the tree
# is), as a user who is not root (uid 65534 when this runs as root) with
# only PATH, HOME (DIR/home) and XDG_RUNTIME_DIR (DIR/run) set: the
# caller's own collector, database and files are not touched.
# Prints "$ COMMAND" and what it printed; keeps the commands in DIR/path,
# each one's output in DIR/out.N and the collector's pid in DIR/dpid.
# Exits 0 when every command succeeded and the path's own kill stopped the
# collector; 1 at the first that failed (the collector is stopped then);
# 77 when it cannot run (root without setpriv).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
d=${1:?usage: readme-path.sh DIR}
die() { echo "readme-path: $*" >&2; exit "${rc:-1}"; }

sed -n '/<!-- newcomer-path/,/<!-- \/newcomer-path/p' "$top/README.md" |
    sed -n 's/^    //p' | grep -v '^ *#' | grep -v '^ *$' >"$d/path"
[ -s "$d/path" ] || die "README.md has no newcomer path between the markers"
for f in collector/ioshimd tools/ioshim shim/libioshim.so; do
	[ -f "$top/$f" ] || die "$f is not built (run make)"
done

AS=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { rc=77; die "no setpriv to run as uid 65534"; }
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$AS true 2>/dev/null || { rc=77; die "setpriv cannot switch to uid 65534"; }
	chmod 755 "$d"
fi
mkdir -m 700 "$d/run" && mkdir "$d/home" "$d/tree" || die "cannot make $d/run"
for f in collector/ioshimd tools/ioshim shim/libioshim.so; do
	mkdir -p "$d/tree/${f%/*}" && cp "$top/$f" "$d/tree/$f" || die "cannot copy $f"
done
[ -z "$AS" ] || chown -R 65534:65534 "$d/run" "$d/home" "$d/tree"

dpid=
stop() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	dpid=
}
trap stop EXIT
trap 'exit 1' INT TERM HUP
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	echo "\$ $cmd"
	(cd "$d/tree" && env -i PATH=/usr/bin:/bin HOME="$d/home" \
	    XDG_RUNTIME_DIR="$d/run" $AS sh -c "$cmd") >"$d/out.$i" 2>&1
	st=$?
	cat "$d/out.$i"
	[ $st -eq 0 ] || die "step $i: '$cmd': status $st"
	if [ -z "$dpid" ] && [ -s "$d/run/ioshim/ioshimd.sock.pid" ]; then
		dpid=$(cat "$d/run/ioshim/ioshimd.sock.pid")
		echo "$dpid" >"$d/dpid"
	fi
done <"$d/path"
# the path's kill stopped the collector (it exits at once on SIGTERM)
[ -n "$dpid" ] || die "the path started no collector (no $d/run/ioshim/ioshimd.sock.pid)"
j=0
while kill -0 "$dpid" 2>/dev/null && [ $j -lt 300 ]; do sleep 0.1; j=$((j + 1)); done
kill -0 "$dpid" 2>/dev/null && die "ioshimd $dpid still runs after the path's kill"
dpid=
exit 0
