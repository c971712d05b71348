#!/bin/sh
# tests/peer/run.sh - make check-peer: CPython's own regression tests,
# run with the system python without the shim, with it (coalescing on)
# and with it and IOSHIM_COALESCE=0; every case must end the same in all
# three (docs/testing.md).
#
#   sh tests/peer/run.sh [MODULE...]      (default: the list below)
#
# Each module runs in its own process per mode (tests/peer/mode.sh);
# tests/peer/compare.py compares the cases, reruns those that differ and
# prints the cases compared per module and the time per mode.  Exclusions,
# each with its reason: tests/peer/exclude.txt.  PEER_JOBS=N: N module
# runs at a time (default 4; 1: one after the other).  PEER_KEEP=1 keeps
# the work directory (logs, results) and prints its path.  PEER_SHIM=FILE
# tests that build of libioshim.so.
set -eu
if [ -n "${PEER_SHIM:-}" ]; then
	PEER_SHIM=$(cd "$(dirname "$PEER_SHIM")" && pwd)/$(basename "$PEER_SHIM")
	export PEER_SHIM
fi
cd "$(dirname "$0")/../.."
TOP=$(pwd)
PY=/usr/bin/python3
SHIM=${PEER_SHIM:-$TOP/shim/libioshim.so}
MODES="none shim nocoalesce"
# the longest first, so the job pool ends together
MODULES="test_subprocess test_signal test_io test_tarfile test_zipfile
test_threading test_faulthandler test_socket test_logging test_selectors
test_os test_poll test_eintr test_posix test_fork1 test_wait4 test_sys
test_tempfile test_threadsignals test_shutil test_pathlib test_mailbox
test_gzip test_popen test_builtin test_getpass test_posixpath test_pty
test_mmap test_select test_fcntl test_resource test_zipimport test_py_compile
test_fileinput test_stat test_genericpath test_dbm_dumb test_epoll
test_file test_fileio"
[ $# -gt 0 ] && MODULES=$*
TIMEOUT=300	# regrtest --timeout for one module, seconds

fail() { echo "check-peer: $*" >&2; exit 1; }
[ -x "$PY" ] || fail "no $PY"
$PY -c 'import test.libregrtest, test.test_os' 2>/dev/null ||
	fail "no CPython test suite for $PY: sh mk/deps.sh peer"
[ -f "$SHIM" ] || fail "no $SHIM: make"

W=$(mktemp -d "${TMPDIR:-/tmp}/ioshim-peer.XXXXXX")
if [ "${PEER_KEEP:-0}" = 1 ]; then
	trap 'echo "check-peer: work directory $W"' EXIT
else
	trap 'rm -rf "$W"' EXIT
fi
trap 'exit 130' INT TERM
export TMPDIR="$W"

# The exclusions: modules are not run; case patterns go to --ignorefile.
sed -e 's/#.*//' tests/peer/exclude.txt | awk 'NF { print $1 }' >"$W/excl"
grep '\.' "$W/excl" >"$W/ignore" || true
for m in $MODULES; do
	grep -qx "$m" "$W/excl" || echo "$m"
done >"$W/modules"

# The modes do what they say: a python appending 100 lines to a file in
# the work directory has them coalesced under the shim, not with
# IOSHIM_COALESCE=0 (and not on tmpfs: the tests' files must be on disk).
absorbed() {
	rm -f "$W/pre.jsonl" "$W/pre.log"
	env LD_PRELOAD="$SHIM" IOSHIM_REPORT="$W/pre.jsonl" "$@" $PY -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
for _ in range(100):
    os.write(fd, b"x\n")
os.close(fd)' "$W/pre.log"
	[ -s "$W/pre.jsonl" ] || { echo -1; return; }
	$PY -c 'import json, sys
print(sum(json.loads(l)["coalesce"]["writes_absorbed"] for l in open(sys.argv[1])))' "$W/pre.jsonl"
}
n=$(absorbed env)
[ "$n" -ge 0 ] || fail "$SHIM wrote no report (IOSHIM_REPORT): not the shim?"
[ "$n" -gt 0 ] || fail "the shim coalesces nothing in $W (tmpfs?): set TMPDIR to a directory on disk"
n=$(absorbed env IOSHIM_COALESCE=0)
[ "$n" -eq 0 ] || fail "IOSHIM_COALESCE=0 still coalesces"
rm -f "$W/pre.jsonl" "$W/pre.log"

# The runs, module by module, each module in the three modes side by
# side: PEER_JOBS workers (default 4: the tests mostly wait) take the next
# unclaimed run from the list (a claim is a mkdir, atomic).
for m in $(cat "$W/modules"); do
	for mode in $MODES; do
		echo "$mode/$m"
	done
done >"$W/runs"
mkdir "$W/claim"
for mode in $MODES; do
	mkdir "$W/$mode"
done
worker() {
	for r in $(cat "$W/runs"); do
		mkdir "$W/claim/${r%/*}.${r#*/}" 2>/dev/null || continue
		s=$(date +%s)
		PEER_RESULTS="$W/$r.jsonl" sh tests/peer/mode.sh "${r%/*}" "${r#*/}" \
		    --timeout $TIMEOUT --ignorefile "$W/ignore" >"$W/$r.log" 2>&1 || true
		echo "${r#*/} $(( $(date +%s) - s ))" >>"$W/${r%/*}/times"
	done
}

start=$(date +%s)
jobs=${PEER_JOBS:-4}
echo "check-peer: $(wc -l <"$W/modules") modules, modes: $MODES, $jobs at a time"
pids=""
i=0
while [ $i -lt "$jobs" ]; do
	worker &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p"
done
echo "check-peer: the modes ran in $(( $(date +%s) - start ))s"
rc=0
$PY tests/peer/compare.py "$W" || rc=$?
echo "check-peer: total $(( $(date +%s) - start ))s"
exit $rc
