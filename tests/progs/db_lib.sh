# tests/progs/db_lib.sh - helpers shared by tests/t-debounce-*.sh (sourced
# after tests/lib.sh).  Not a test itself.
. "$TOP/tests/progs/co_lib.sh"

# renames STRACE TARGET: rename-family calls strace saw that put a file
# at TARGET (the kernel's, whoever made them).
renames() {
	$PY - "$1" "$2" <<'PY'
import re, sys
t = re.escape(sys.argv[2])
pat = re.compile(r'\b(rename\("[^"]*", "' + t + r'"\)|renameat2?\(\w+, "[^"]*", \w+, "' + t + r'"(, 0)?\)) = 0')
print(sum(1 for l in open(sys.argv[1], errors='replace') if pat.search(l)))
PY
}

# dbsum REPORT KEY: the sum over the records of debounce[KEY].
dbsum() {
	json "$1" "sum(x.get('debounce', {}).get('$2', 0) for x in r)"
}
