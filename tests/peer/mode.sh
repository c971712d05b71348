#!/bin/sh
# tests/peer/mode.sh - run one CPython regression module (or some of its
# cases) with the system python in one of check-peer's three modes:
#
#   sh tests/peer/mode.sh MODE MODULE [regrtest options...]
#
#   MODE  none        no shim
#         shim        LD_PRELOAD=shim/libioshim.so, coalescing on (default)
#         nocoalesce  the shim with IOSHIM_COALESCE=0
#
# e.g. one case, verbose:
#   sh tests/peer/mode.sh shim test_os -v -m test.test_os.FileTests.test_write
#
# regrtest runs with -u cpu (test_io's threaded buffer tests) and the
# other resources at their default (off).  The run gets a private TMPDIR
# (removed after), no IOSHIM_* or PYTHON* variables from the caller's
# environment, and SIGINT at Python's usual handler (tests/peer/regr.py).
# PEER_SHIM=/path/libioshim.so tests another build of the shim.  With
# PEER_RESULTS=FILE set, each case's result is written to FILE (format:
# tests/peer/regr.py).  Exits with regrtest's status.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
[ $# -ge 2 ] || { echo "usage: $0 none|shim|nocoalesce MODULE [regrtest options...]" >&2; exit 2; }
mode=$1
shift
module=$1
shift

for v in $(env | sed -n 's/^\(IOSHIM_[A-Za-z0-9_]*\)=.*/\1/p; s/^\(PYTHON[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
unset LD_PRELOAD
SHIM=${PEER_SHIM:-$TOP/shim/libioshim.so}
case $SHIM in /*) ;; *) SHIM=$(pwd)/$SHIM;; esac
REGR=$TOP/tests/peer/regr.py
case $mode in
none) set -- "$PY" "$REGR" "$module" -u cpu "$@";;
shim) set -- env LD_PRELOAD="$SHIM" "$PY" "$REGR" "$module" -u cpu "$@";;
nocoalesce) set -- env LD_PRELOAD="$SHIM" IOSHIM_COALESCE=0 "$PY" "$REGR" "$module" -u cpu "$@";;
*) echo "$0: unknown mode $mode" >&2; exit 2;;
esac
if [ "$mode" != none ] && [ ! -f "$SHIM" ]; then
	echo "$0: no $SHIM (run make)" >&2
	exit 2
fi

t=$(mktemp -d "${TMPDIR:-/tmp}/ioshim-peer-$mode.XXXXXX")
rc=0
TMPDIR=$t "$@" || rc=$?
rm -rf "$t"
exit $rc
