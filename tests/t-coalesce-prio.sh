#!/bin/sh
# t-coalesce-prio.sh - the IOSHIM_FLUSH_ON search (shim/prio.c): every
# copy variant this CPU has (byte by byte, portable vectors, SSSE3, AVX2)
# gives the same answer as a memmem() search for each word, on random
# appends of 0..300 bytes, for five word lists (the default severity
# tokens, with their boundaries; the old default; a one-letter
# word, more first letters than the x86 tables have buckets, bytes past
# 0x7f); copies are exact and never read or write past their n bytes
# (guard pages).  The end-to-end flush of a priority line is in
# t-coalesce-flush.sh.
. "$(dirname "$0")/lib.sh"
P=$(prog prio_diff)
out=$("$P" 20000) || fail "prio_diff: $out"
echo "$out"
eq "variants checked (5 lists x 4 variants, or skipped)" \
    "$(echo "$out" | grep -c -E 'all equal|skipped')" 20
