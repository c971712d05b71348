#!/bin/sh
# t-coalesce-python.sh - python3 logging.FileHandler writing 10k records:
# the log is byte-identical to an unshimmed run, strace sees >= 90% fewer
# write calls on it, and the report's coalesce.syscalls is strace's count.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
need_strace
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
cat >"$T/logit.py" <<'PY'
import logging, sys
h = logging.FileHandler(sys.argv[1])
h.setFormatter(logging.Formatter('%(levelname)s %(name)s %(message)s'))
lg = logging.getLogger('app')
lg.addHandler(h)
lg.setLevel(logging.INFO)
for i in range(int(sys.argv[2])):
    if i % 100 == 99:
        lg.warning('slow request %d: %d ms', i, i % 997)
    else:
        lg.info('request %d served in %d ms', i, i % 97)
PY
N=10000
prove "python logging" $N '/usr/bin/python3 "$T/logit.py" "$LOG" $N'
eq "python logging: lines" "$(wc -l <"$T/s/app.log")" $N
