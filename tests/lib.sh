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

# in_hour AFTER ROOM: wait, when needed, until at least AFTER seconds of
# the clock hour have passed and more than ROOM are left of it, for a test
# whose result changes when an hour begins within it: the collector rolls
# the past hour's rows up into the hourly tables (and writes imported
# records of rolled-up hours there only), its per-uid bounds and import
# budgets are per clock hour, and its windows (--window) begin at
# multiples of their length.  ROOM is far more than the part it guards
# takes; the wait happens only in the last ROOM seconds of an hour.
# in_period P AFTER ROOM: the same for periods of P seconds (a window).
in_period() {
	_s=$(( $(date +%s) % $1 ))
	if [ $(( $1 - _s - 1 )) -le "$3" ]; then
		note "waiting $(( $1 - _s + $2 )) s: a new $1 s period begins within $3 s"
		sleep $(( $1 - _s + $2 ))
	elif [ $_s -lt "$2" ]; then
		note "waiting $(( $2 - _s )) s: a $1 s period began $_s s ago"
		sleep $(( $2 - _s ))
	fi
}
in_hour() { in_period 3600 "$1" "$2"; }

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
	# rebuilt when it or what it may include (common/, shim/) changed
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] ||
	    [ -n "$(find "$TOP/common" "$TOP/shim" -newer "$bin" -name '*.[ch]' 2>/dev/null | head -n 1)" ]; then
		cc -O1 -g -Wall -Wextra -D_GNU_SOURCE -I"$TOP/common" -o "$bin" "$src" -lpthread || fail "cannot build $1"
	fi
	echo "$bin"
}

# missing_dep_so OUT: a tiny shared library OUT whose DT_NEEDED names a
# library that no longer exists (t-machine, t-machine-file).
missing_dep_so() {
	echo 'int nothere(void) { return 1; }' >"$T/n.c"
	cc -shared -fPIC -o "$T/libnothere.so" "$T/n.c" || fail "cc failed"
	echo 'extern int nothere(void); int f(void) { return nothere(); }' >"$T/d.c"
	cc -shared -fPIC -o "$1" "$T/d.c" -L"$T" -Wl,--no-as-needed -lnothere || fail "cc failed"
	rm "$T/libnothere.so"
}

# foreign_so OUT: a shared library of another architecture, from a cross
# compiler when there is one, else the shim with e_machine 183 (aarch64).
foreign_so() {
	for _c in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc; do
		command -v $_c >/dev/null || continue
		echo 'int f(void) { return 1; }' >"$T/f.c"
		$_c -shared -fPIC -o "$1" "$T/f.c" || fail "$_c failed"
		echo "$_c"
		return
	done
	cp "$SHIM" "$1"
	printf '\267\000' | dd of="$1" bs=1 seek=18 conv=notrunc 2>/dev/null
	echo "e_machine 183"
}
