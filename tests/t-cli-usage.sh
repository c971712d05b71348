#!/bin/sh
# t-cli-usage.sh - one convention for ioshim, its subcommands and ioshimd:
# --help prints the usage on stdout and exits 0; --version prints the
# version of common/version.h and exits 0; a usage error says on stderr in
# a line that names the bad option or argument, prints nothing on stdout
# and exits 2 (ioshim with no arguments too; ioshimd --http that is not
# ADDR:PORT too).  ioshimd --help names every option ioshimd(8) documents.
. "$(dirname "$0")/lib.sh"
[ -x "$IOSHIM" ] || skip "tools/ioshim not built"
[ -x "$IOSHIMD" ] || skip "collector/ioshimd not built"
V=$(sed -n 's/^#define[ 	]*IOSHIM_VERSION[ 	]*"\(.*\)"$/\1/p' \
    "$TOP/common/version.h" 2>/dev/null)
[ -n "$V" ] || fail "no IOSHIM_VERSION in common/version.h"

# st WHAT CMD...: run CMD, keep its status in $rc, its output in $T/o, $T/e
st() { _w=$1; shift; "$@" >"$T/o" 2>"$T/e"; rc=$?; }

# usage_error WHAT NAME CMD...: status 2, stdout empty, NAME on stderr
usage_error() {
	_w=$1 _n=$2; shift 2
	st "$_w" "$@"
	eq "$_w: status" $rc 2
	eq "$_w: stdout" "$(cat "$T/o")" ""
	grep -q -- "$_n" "$T/e" || fail "$_w: stderr does not name '$_n': $(cat "$T/e")"
}

st "ioshim" "$IOSHIM"
eq "no arguments: status" $rc 2
eq "no arguments: stdout" "$(cat "$T/o")" ""
grep -q "^usage: ioshim" "$T/e" || fail "no arguments: no usage on stderr"

st "ioshim --version" "$IOSHIM" --version
eq "ioshim --version: status" $rc 0
eq "ioshim --version" "$(cat "$T/o")" "ioshim $V"
usage_error "ioshim --bogus" "'--bogus'" "$IOSHIM" --bogus
usage_error "ioshim nosuch" "'nosuch'" "$IOSHIM" nosuch

for c in run top report health query salvage; do
	st "$c --help" "$IOSHIM" $c --help
	eq "$c --help: status" $rc 0
	head -n 1 "$T/o" | grep -q "^usage: ioshim $c" || fail "$c --help: $(head -n 1 "$T/o")"
	st "$c --version" "$IOSHIM" $c --version
	eq "$c --version: status" $rc 0
	eq "$c --version" "$(cat "$T/o")" "ioshim $V"
	usage_error "$c --bogus" "'--bogus'" "$IOSHIM" $c --bogus
done
usage_error "run --socket (no value)" "'--socket'" "$IOSHIM" run --socket

st "ioshimd --version" "$IOSHIMD" --version
eq "ioshimd --version: status" $rc 0
eq "ioshimd --version" "$(cat "$T/o")" "ioshimd $V"
st "ioshimd --help" "$IOSHIMD" --help
eq "ioshimd --help: status" $rc 0
# every option in OPTIONS and SYNOPSIS of ioshimd(8)
sed -n 's/^\.B[RI]* *\[* *\\-\\-\([a-z\\-]*\).*/\1/p' "$TOP/docs/man/ioshimd.8" |
    sed 's/\\-/-/g' | sort -u >"$T/opts"
[ "$(wc -l <"$T/opts")" -ge 15 ] || fail "found only $(wc -l <"$T/opts") options in ioshimd.8"
while read -r o; do
	grep -q -- "--$o\b" "$T/o" || fail "ioshimd --help does not list --$o"
done <"$T/opts"
echo "ok: ioshimd --help lists the $(wc -l <"$T/opts") options of ioshimd.8"
usage_error "ioshimd --bogus" "--bogus" "$IOSHIMD" --bogus
usage_error "ioshimd --http foo" "--http foo" "$IOSHIMD" --http foo \
    --socket "$T/s.sock" --db "$T/db" --foreground
usage_error "ioshimd --http :0" "--http 127.0.0.1:0" "$IOSHIMD" \
    --http 127.0.0.1:0 --socket "$T/s.sock" --db "$T/db" --foreground
usage_error "ioshimd extra" "'extra'" "$IOSHIMD" extra
[ -e "$T/s.sock" ] && fail "a usage error left a socket"
exit 0
