#!/bin/sh
# demo.sh - "make demo": the README's newcomer path ("The first hour"),
# every command exactly as written there and in its order: start the
# collector, run something under the shim, top, report, stop.  They run
# through mk/readme-path.sh (what tests/t-readme-path.sh checks) in a
# scratch directory, as a user who is not root, with HOME and
# XDG_RUNTIME_DIR there: your own collector, database and files are not
# touched.  `make demo-more` shows the rest (mk/demo-more.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d "${TMPDIR:-/var/tmp}/ioshim-demo.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
trap 'exit 1' INT TERM HUP PIPE
printf '\n\033[1m== %s\033[0m\n' "the README's first hour, command by command"
if [ "$(id -u)" = 0 ]; then
	echo "(as uid 65534, from $d/tree: the README's path is for a user)"
else
	echo "(from $d/tree, with HOME and XDG_RUNTIME_DIR in $d)"
fi
echo
sh "$top/mk/readme-path.sh" "$d"
rc=$?
[ $rc -eq 0 ] || { echo "make demo: the path failed (status $rc)" >&2; exit 1; }
printf '\n\033[1m== %s\033[0m\n' "done: the collector is stopped, the scratch directory removed"
echo "more: make demo-more (coalescing against strace, kill -9 and salvage, a chart)"
