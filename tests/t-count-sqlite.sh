#!/bin/sh
# t-count-sqlite.sh - the sqlite3 CLI (pread64/pwrite64, fsync, fdatasync,
# a rollback journal, then WAL): per class bytes, disk calls and the
# fsync-family calls equal strace's count of the same run, per process
# and per file (the database, its journal, its WAL).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/count_lib.sh"
need_strace
command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
export HOME="$T"		# no ~/.sqliterc

sql="PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5000)
  INSERT INTO t(v) SELECT printf('row %d %s', x, hex(randomblob(40))) FROM c; COMMIT;
INSERT INTO t(v) VALUES('one'); INSERT INTO t(v) VALUES('two');
UPDATE t SET v = v || '!' WHERE id % 7 = 0;
DELETE FROM t WHERE id % 11 = 0;
SELECT count(*) FROM t;"
traced --no-coalesce -- sqlite3 -batch "$T/db" "$sql" >"$T/out1"
eq "sqlite3 status" "$rc" 0
eq "rows" "$(tail -n 1 "$T/out1")" "$(sqlite3 "$T/db" 'SELECT count(*) FROM t')"
grep -cE '^[0-9]+ +(fsync|fdatasync)\(' "$TR" | sed 's/^/# fsync-family calls seen by strace: /'
# stdout (a file here) is written through stdio: its calls are printf calls
check_truth --calls disk --fsyncs --files "^$T/db" --exclude "^$T/out1$"
n=$(q "rec('sqlite3')['fsyncs']")
[ "$n" -ge 4 ] || fail "only $n fsyncs reported for 4 transactions"
note "fsyncs in the report: $n"

sql2="PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE w(a, b);
BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000)
  INSERT INTO w SELECT x, randomblob(100) FROM c; COMMIT;
INSERT INTO w VALUES(1, 2); INSERT INTO w VALUES(3, 4);
PRAGMA wal_checkpoint(TRUNCATE);"
traced --no-coalesce -- sqlite3 -batch "$T/wal.db" "$sql2" >"$T/out2"
eq "sqlite3 (WAL) status" "$rc" 0
check_truth --calls disk --fsyncs --files "^$T/wal\.db" --exclude "^$T/out2$"
note "fsyncs in the report (WAL): $(q "rec('sqlite3')['fsyncs']")"
