#!/bin/sh
# t-coalesce-perl.sh - perl appending 10k lines with autoflush on: the log
# is byte-identical to an unshimmed run, strace sees >= 90% fewer write
# calls on it, and the report's coalesce.syscalls is strace's count.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
command -v perl >/dev/null || skip "no perl"
cat >"$T/logit.pl" <<'PL'
use strict; use IO::Handle;
open(my $fh, '>>', $ARGV[0]) or die "open: $!";
$fh->autoflush(1);
for my $i (0 .. $ARGV[1] - 1) {
	print $fh "perl $i: " . ("y" x ($i % 50)) . "\n" or die "print: $!";
}
close($fh) or die "close: $!";
PL
N=10000
prove "perl autoflush" $N 'perl "$T/logit.pl" "$LOG" $N'
eq "perl: lines" "$(wc -l <"$T/s/app.log")" $N
