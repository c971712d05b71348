#!/bin/sh
# t-debounce-config.sh - issue 19: IOSHIM_DEBOUNCE and `ioshim run
# --debounce`.  A bad value is said in one line on standard error, is
# ignored (every save reaches the kernel, strace) and leaves the program
# as it was (its output and status); `ioshim run --debounce BAD` says why
# and runs nothing.  A pattern matches the target's absolute path with its
# directory resolved (a path through a symlinked directory matches the
# real one) and '*' does not cross '/'.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
need_strace
S=$(prog db_save)
N=200
mkdir -p "$T/d/sub"
ln -s "$T/d" "$T/link"

# saves ENV...: db_save's renames onto $T/d/s.json that reach the kernel
saves() {
	rm -f "$T/d/s.json"
	strace -f -qq -o "$T/st" -e trace=rename,renameat,renameat2 \
	    env "$@" LD_PRELOAD="$SHIM" "$S" "${TGT:-$T/d/s.json}" $N plain \
	    >"$T/out" 2>"$T/err" || fail "db_save failed ($*)"
	renames "$T/st" "${TGT:-$T/d/s.json}"
}

for bad in "rel/*.json" "=500" "$T/d/*=0" "$T/d/*=abc" "$T/d/*=500,500" \
    "$T/d/*=nosync,nosync" "$T/d/*=86400001" "$T/d/*=500:" "$T/a::$T/b" \
    "$T/d/*=500,nosync,x" "$T/d/*=inplace,500,inplace" \
    "$(for i in $(seq 17); do printf '/p%d:' $i; done)/p"; do
	eq "IOSHIM_DEBOUNCE='$bad': renames" "$(saves IOSHIM_DEBOUNCE="$bad")" $N
	eq "  stderr lines" "$(wc -l <"$T/err")" 1
	grep -q "^ioshim: IOSHIM_DEBOUNCE ignored: entry '.*': " "$T/err" || fail "message: $(cat "$T/err")"
	note "$(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "output changed"
	LD_PRELOAD="$SHIM" IOSHIM_DEBOUNCE="$bad" sh -c 'echo hello; exit 3' >"$T/o2" 2>/dev/null
	eq "  program's status" $? 3
	eq "  program's output" "$(cat "$T/o2")" hello
done

eq "unset: renames" "$(saves)" $N
eq "empty: renames" "$(saves IOSHIM_DEBOUNCE=)" $N
eq "not matching: renames" "$(saves IOSHIM_DEBOUNCE="$T/d/*.txt")" $N
eq "'*' does not cross '/': renames" "$(saves IOSHIM_DEBOUNCE="$T/*.json")" $N
got=$(saves IOSHIM_DEBOUNCE="/nowhere/*:$T/d/*.json=60000")
eq "matching, 60 s window: renames (the first save and the one at exit)" "$got" 2
got=$(TGT="$T/link/s.json" saves IOSHIM_DEBOUNCE="$T/d/*.json=60000")
got=$((got + $(renames "$T/st" "$T/d/s.json")))	# the shim's: resolved
eq "through a symlinked directory: renames" "$got" 2
eq "state through the link" "$(head -c 12 "$T/d/s.json")" '{"seq": 199,'
[ -z "$(cat "$T/err")" ] || fail "stderr: $(cat "$T/err")"

# ioshim run --debounce
"$IOSHIM" run --debounce "rel/*" -- touch "$T/ran" 2>"$T/err"
eq "run --debounce rel/*: status" $? 2
[ ! -e "$T/ran" ] || fail "the command ran"
grep -q "debounce 'rel/\*': pattern is not an absolute path" "$T/err" || fail "message: $(cat "$T/err")"
"$IOSHIM" run --debounce "$T/x=5,sometimes" -- true 2>"$T/err"
eq "run --debounce GLOB=5,sometimes: status" $? 2
"$IOSHIM" run --debounce "$T/a:$T/b" -- true 2>"$T/err"
eq "run --debounce with ':': status" $? 2
eq "run --debounce twice" "$("$IOSHIM" run --debounce "$T/a=5" --debounce "$T/b=6,nosync" -- sh -c 'echo $IOSHIM_DEBOUNCE')" \
    "$T/a=5:$T/b=6,nosync"
rm -f "$T/d/s.json"
strace -f -qq -o "$T/st" -e trace=rename,renameat,renameat2 \
    "$IOSHIM" run --debounce "$T/d/*.json=60000" -- "$S" "$T/d/s.json" $N plain || fail "run failed"
eq "ioshim run --debounce: renames" "$(renames "$T/st" "$T/d/s.json")" 2
