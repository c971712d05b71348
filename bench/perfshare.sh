#!/bin/sh
# perfshare.sh - where a shimmed program's CPU time goes, from perf's
# software clock (works in VMs without a PMU, where `perf stat -e
# instructions` does not).  For each library: RUNS runs of CMD under it,
# and the samples (50 us each) per run in the library and the vDSO, and
# per 100 samples of the program's and libc's own user code.
#
#   sh bench/perfshare.sh RUNS DIR "CMD" LIB...
#   e.g. sh bench/perfshare.sh 40 /tmp/w "tar -cf /tmp/w/out.tar tree" shim/libioshim.so
n=$1 dir=$2 cmd=$3; shift 3
prog=${cmd%% *}
for lib in "$@"; do
	lib=$(realpath "$lib")
	out=$(mktemp)
	perf record -q -e cpu-clock -F 20000 -o "$out" -- sh -c \
	    "cd $dir && for i in \$(seq $n); do LD_PRELOAD=$lib $cmd; done" >/dev/null 2>&1
	perf report -i "$out" -n --sort comm,dso --stdio -g none 2>/dev/null |
	    grep -v '^#' | grep -v '^$' |
	    awk -v n="$n" -v l="$(basename "$lib")" -v p="$prog" '
		$3 == p { t += $2; x[$4 == l ? "shim" : $4] = $2 }
		END { u = x[p] + x["libc.so.6"]
		      printf "%-20s shim+vdso %.1f/run  per 100 user %.1f  total %.0f/run\n",
		          l, (x["shim"] + x["[vdso]"]) / n,
		          u ? 100 * (x["shim"] + x["[vdso]"]) / u : 0, t / n }'
	rm -f "$out"
done
