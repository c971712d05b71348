#!/bin/sh
# t-import-files.sh - `ioshim import` of files that changed between runs:
# truncated and written again (read from the start, the new records
# stored), rotated (renamed away and written to; a new file at the name:
# the old file is recognised by its inode and only its new lines are
# read, the new file from its start), replaced in place by other records
# of the same size (noticed by the hashes, read from the start).  The
# stored totals equal the sums of every distinct record imported.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
export LC_ALL=C
PY=/usr/bin/python3
R=$T/r.jsonl
imp() { "$IOSHIM" import --socket "$S" "$@"; }
want() { $PY "$TOP/tests/import_sums.py" file "$@"; }
got() { sq "$($PY "$TOP/tests/import_sums.py" sql)"; }
images() { sq "SELECT count(*) FROM images WHERE host IS NOT NULL"; }
gen() { $PY "$TOP/tests/import_sums.py" gen "$T/tmpl" "$@"; }
summary() { echo "imported $1 records (0 known already, 0 older than the retention, 0 lines skipped)"; }

IOSHIM_SOCKET=$T/none "$IOSHIM" run --report "$T/tmpl" -- dd if=/dev/zero of="$T/a" bs=1k count=30 status=none 2>/dev/null || fail "workload failed"
start_d

gen 10 1000 >"$R"
cp "$R" "$T/all"
imp "$R" >"$T/o" || fail "import failed"
eq "first import" "$(cat "$T/o")" "$(summary 10)"

# Truncated and written again: fewer bytes than were read.
gen 3 2000 >"$R"
cat "$R" >>"$T/all"
imp "$R" >"$T/o" 2>"$T/e" || fail "import of the truncated file failed"
grep -q "truncated or replaced" "$T/e" || fail "truncation not noticed: $(cat "$T/e")"
eq "truncated" "$(cat "$T/o")" "$(summary 3)"
eq "images after truncation" "$(images)" 13

# Rotated: renamed away, the writer appends to the old file, a new file
# at the name.
mv "$R" "$R.1"
gen 2 3000 >>"$R.1"
gen 4 4000 >"$R"
tail -n 2 "$R.1" >>"$T/all"
cat "$R" >>"$T/all"
imp "$R.1" "$R" >"$T/o" 2>"$T/e" || fail "import after rotation failed"
grep -q "truncated or replaced" "$T/e" && fail "rotation taken for a truncation: $(cat "$T/e")"
eq "rotated: the old file's new lines and the new file" "$(cat "$T/o")" "$(summary 6)"
eq "images after rotation" "$(images)" 19

# Replaced in place: the same inode and size, other records (a pid
# changed in each line, so the first 4 KiB differ).
ino=$(stat -c %i "$R")
gen 4 5000 >"$T/new"
[ "$(stat -c %s "$T/new")" = "$(stat -c %s "$R")" ] || fail "replacement of another size"
cat "$T/new" >"$R"
eq "same inode" "$(stat -c %i "$R")" "$ino"
cat "$T/new" >>"$T/all"
imp "$R" >"$T/o" 2>"$T/e" || fail "import of the replaced file failed"
grep -q "truncated or replaced" "$T/e" || fail "replacement not noticed"
eq "replaced" "$(cat "$T/o")" "$(summary 4)"
eq "images after replacement" "$(images)" 23

# Everything once.
imp "$R.1" "$R" >"$T/o" || fail "last import failed"
eq "nothing new" "$(cat "$T/o")" "$(summary 0)"
eq "totals: every distinct record once" "$(got)" "$(want "$T/all")"
stop_d
exit 0
