#!/bin/sh
# t-readme-path.sh - the README's newcomer path ("The first hour", between
# the newcomer-path markers) works as written: each command, copied as it
# is, run in order by a user who is not root (uid 65534 when this runs as
# root) with only HOME and XDG_RUNTIME_DIR set, from a directory laid out
# as the tree.  `ioshim top` runs in batch mode (-b -n 2): no terminal.
. "$(dirname "$0")/lib.sh"
[ -x "$TOP/collector/ioshimd" ] || skip "collector/ioshimd not built"
sed -n '/<!-- newcomer-path/,/<!-- \/newcomer-path/p' "$TOP/README.md" |
    sed -n 's/^    //p' | grep -v '^ *#' | grep -v '^ *$' >"$T/path"
[ -s "$T/path" ] || fail "README has no newcomer path between the markers"
cat "$T/path"
grep -q '^collector/ioshimd' "$T/path" || fail "the path does not start the collector"
grep -q '^kill ' "$T/path" || fail "the path does not stop the collector"
AS=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "no setpriv"
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$AS true 2>/dev/null || skip "setpriv cannot switch to 65534"
	chmod 755 "$T"
	$AS test -x "$TOP/tools/ioshim" || skip "the tree is not reachable by uid 65534"
fi
mkdir -m 700 "$T/run" && mkdir "$T/home" "$T/tree"
ln -s "$TOP/collector" "$TOP/tools" "$TOP/shim" "$T/tree/"
[ -z "$AS" ] || chown 65534:65534 "$T/run" "$T/home" "$T/tree"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; rm -rf "$T"' EXIT
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	case $cmd in
	"tools/ioshim top") cmd="$cmd -b -n 2";;
	esac
	echo "\$ $cmd"
	(cd "$T/tree" && env -i PATH=/usr/bin:/bin HOME="$T/home" \
	    XDG_RUNTIME_DIR="$T/run" $AS sh -c "$cmd") >"$T/out.$i" 2>&1
	rc=$?
	cat "$T/out.$i"
	[ $rc -eq 0 ] || fail "step $i: '$cmd': status $rc"
	[ -n "$DPID" ] || DPID=$(cat "$T/run/ioshim/ioshimd.sock.pid" 2>/dev/null)
done <"$T/path"
n=$(grep -n 'ioshim report' "$T/path" | head -n 1 | cut -d: -f1)
rep=$T/out.$n
grep -q 'WRITES' "$rep" || fail "the report has no WRITES column"
awk '/ sh \(/ && $3 == 5000 { f = 1; exit !($2 > 0 && $2 < 100) } END { exit !f }' "$rep" ||
	fail "the report: the shell's WRITES (the kernel's) should be a few, CALLS 5000"
awk '/ sort \(/ { exit !($2 > 0 && $2 < 100 && $3 == 5000) }' "$rep" ||
	fail "the report: sort's WRITES (the kernel's) should be a few, CALLS 5000"
# the collector is gone (bounded: it exits at once on SIGTERM)
[ -n "$DPID" ] || fail "no pidfile at $T/run/ioshim/ioshimd.sock.pid"
j=0
while kill -0 "$DPID" 2>/dev/null && [ $j -lt 300 ]; do sleep 0.1; j=$((j + 1)); done
kill -0 "$DPID" 2>/dev/null && fail "ioshimd $DPID still runs after the path's kill"
DPID=
eq "files left in the tree" "$(ls "$T/tree" | tr '\n' ' ')" "collector shim tools "
