#!/bin/sh
# t-coalesce-readback.sh - a program reading back its own log (through the
# append fd, separate fds, stat, lseek, stdio) sees every byte it wrote;
# the final log is byte-identical to an unshimmed run.  Also python: a
# FileHandler logger that reads its log back with open().read().
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
R=$(prog co_readback)
"$R" "$T/b.log" || fail "unshimmed run fails its own checks"
IOSHIM_FLUSH_MS=60000 shimmed "$T/s.rep" "$R" "$T/s.log" || fail "shimmed program did not see its own bytes"
same_file "readback" "$T/b.log" "$T/s.log"
a=$(csum "$T/s.rep" writes_absorbed)
[ "$a" -gt 0 ] || fail "nothing was coalesced"
echo "ok: $a writes absorbed"

cat >"$T/rb.py" <<'PY'
import logging, sys, os
h = logging.FileHandler(sys.argv[1])
h.setFormatter(logging.Formatter('%(message)s'))
lg = logging.getLogger('rb'); lg.addHandler(h); lg.setLevel(logging.INFO)
want = ''
for i in range(300):
    lg.info('record %d', i)
    want += 'record %d\n' % i
    if i % 100 == 99:
        got = open(sys.argv[1]).read()
        assert got == want, 'read back %d bytes, wrote %d' % (len(got), len(want))
        assert os.path.getsize(sys.argv[1]) == len(want), 'getsize'
print('ok: python read back its log')
PY
IOSHIM_FLUSH_MS=60000 shimmed "$T/p.rep" /usr/bin/python3 "$T/rb.py" "$T/p.log" || fail "python did not see its own log"
