# tests/lib.sh - shared helpers for the test scripts (sourced, POSIX sh).
set -u
TOP=${IOSHIM_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SHIM=$TOP/shim/libioshim.so
IOSHIM=$TOP/tools/ioshim
IOSHIMD=$TOP/collector/ioshimd
T=$(mktemp -d "${TMPDIR:-/tmp}/ioshim-t.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# collector_ready PID: until ioshimd PID answers on $S.ctl; up to 60 s (a
# loaded machine may take seconds), less when PID died.  Shows $T/d.log
# and fails when it did not come up.
collector_ready() {
	_i=0
	while [ ! -S "$S.ctl" ] && [ $_i -lt 600 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -S "$S.ctl" ] || { cat "$T/d.log" 2>/dev/null; fail "ioshimd did not start"; }
}

# eq WHAT GOT WANT
eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; echo "ok: $1 = $2"; }

# json FILE EXPR: evaluate a python expression over the report records
# (r = list of dicts, one per JSONL line) and print the result.
json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))
PY
}

# Build a small C program from tests/progs/NAME.c into tests/bin/NAME.
prog() {
	mkdir -p "$TOP/tests/bin"
	src=$TOP/tests/progs/$1.c bin=$TOP/tests/bin/$1
	# rebuilt when it or the wire format it may use changed
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$TOP/common/wire.h" -nt "$bin" ]; then
		cc -O1 -g -Wall -Wextra -D_GNU_SOURCE -I"$TOP/common" -o "$bin" "$src" -lpthread || fail "cannot build $1"
	fi
	echo "$bin"
}
