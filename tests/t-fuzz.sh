#!/bin/sh
# t-fuzz.sh - the collector's fuzz targets (message decoder, query
# parser, exit-report record parser of import) built with libFuzzer + ASan/UBSan and run for a short bounded
# time from the seed corpus.  A crash, leak or sanitizer report fails.
# Longer runs: make fuzz FUZZ_SECS=3600 (docs/collector.md).
. "$(dirname "$0")/lib.sh"
command -v clang >/dev/null 2>&1 || skip "clang not installed"
cd "$TOP" || exit 1
make -s collector/fuzz_decode collector/fuzz_query collector/fuzz_imprec >"$T/build.log" 2>&1 ||
	{ cat "$T/build.log"; fail "fuzz targets do not build"; }
for t in decode query imprec; do
	mkdir -p "$T/$t"
	max=16400; [ $t = query ] && max=4200; [ $t = imprec ] && max=8192
	collector/fuzz_$t -max_total_time=${IOSHIM_FUZZ_SECS:-10} -max_len=$max \
	    -print_final_stats=1 "$T/$t" collector/fuzz/seeds-$t >"$T/$t.log" 2>&1 ||
		{ tail -n 40 "$T/$t.log"; fail "fuzz_$t found a problem"; }
	note "fuzz_$t: $(grep -E 'stat::number_of_executed_units' "$T/$t.log")"
done
echo "ok: every fuzz target ran clean"
