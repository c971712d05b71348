#!/bin/sh
# perfshare.sh - where a shimmed program's CPU time goes, from perf's
# software clock (works in VMs without a PMU, where `perf stat -e
# instructions` does not).  RUNS rounds; each round runs CMD once under
# each library, in turn, all inside one `perf record`, so the machine's
# drift (which moves the level of a whole run by 10-15 % here) falls on
# every library alike.  Prints, per library, the samples (50 us each) per
# run in that library, then the vDSO's and the program's (all libraries
# together: they cannot be told apart).  The libraries' file names must
# differ: samples are told apart by them.  Two copies of one library
# agree within 0.2-3 % at 150 rounds; the level moves more between runs.
#
#   sh bench/perfshare.sh RUNS DIR "CMD" LIB...
#   e.g. sh bench/perfshare.sh 150 /tmp/w "tar -cf /tmp/w/out.tar tree" old.so new.so
n=$1 dir=$2 cmd=$3; shift 3
prog=${cmd%% *}
libs=
for lib in "$@"; do
	libs="$libs $(realpath "$lib")" || exit 1
done
out=$(mktemp)
perf record -q -e cpu-clock -F 20000 -o "$out" -- sh -c \
    "cd $dir && for i in \$(seq $n); do for l in $libs; do LD_PRELOAD=\$l $cmd; done; done" \
    >/dev/null 2>&1 || { echo "perf record failed" >&2; rm -f "$out"; exit 1; }
perf report -i "$out" -n --sort comm,dso --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' |
    awk -v n="$n" -v k="$#" -v p="$prog" -v libs="$libs" '
	BEGIN { m = split(libs, l, " "); for (i = 1; i <= m; i++) { sub(".*/", "", l[i]); want[l[i]] = 1 } }
	$3 == p { x[$4] += $2; t += $2 }
	END {
		for (i = 1; i <= m; i++)
			printf "%-20s %.2f samples/run in the library\n", l[i], x[l[i]] / n
		printf "%-20s %.2f samples/run (all libraries)\n", "[vdso]", x["[vdso]"] / (n * k)
		printf "%-20s %.1f samples/run, all code (all libraries)\n", p, t / (n * k)
	}'
rm -f "$out"
