#!/bin/sh
# t-collector-visibility.sh - what a client that is not an administrator
# (not root, not the collector's uid) sees in `health`: the collector's
# identity and state and its own uid's images, nothing machine-wide and no
# path (it saw every uid's activity, the ingest counters, the collector's
# own I/O and the database path).  Its health reasons name the reason and
# severity only.  Root sees everything.  The rule: docs/collector.md,
# "Security model".
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody	# $AS runs a command as uid 65534 (collector_lib.sh)
nq() { $AS "$IOSHIM" query --socket "$S" "$@"; }

# long windows: nothing is stored (pending stays) until the flush below
# (windows begin at whole hours: none may begin before it)
in_hour 0 60
start_d --shared --window 3600
"$SEND" "$S" hold 30 >"$T/root.out" &
R1=$!
"$SEND" "$S" hold 30 >"$T/root2.out" &
R2=$!
$AS "$SEND" "$S" hold 30 >"$T/nobody.out" &
N=$!
i=0
while [ -z "$(val pid "$T/root.out")" ] || [ -z "$(val pid "$T/root2.out")" ] ||
    [ -z "$(val pid "$T/nobody.out")" ]; do
	[ $i -lt 300 ] || fail "senders did not start"
	sleep 0.1; i=$((i + 1))
done
# until all three reports are in
i=0
while q health >"$T/r.json"; [ "$(json "$T/r.json" 'r[0]["images"]')" != 3 ]; do
	[ $i -lt 300 ] || fail "reports did not arrive"
	sleep 0.1; i=$((i + 1))
done
nq health >"$T/n.json" || fail "nobody: health failed"
eq "nobody: keys" "$(json "$T/n.json" 'sorted(r[0])')" \
    "['clients', 'db', 'images', 'pending', 'pid', 'reasons', 'scope', 'state', 'uptime_s', 'version', 'window_s', 'window_start']"
eq "nobody: scope" "$(json "$T/n.json" 'r[0]["scope"]')" uid
eq "nobody: its own images only" "$(json "$T/n.json" '(r[0]["clients"], r[0]["images"])')" "(1, 1)"
eq "nobody: its own pending bytes only" "$(json "$T/n.json" 'r[0]["pending"]["disk_write_bytes"]')" 4242
eq "nobody: db" "$(json "$T/n.json" 'r[0]["db"]')" "{'state': 'ok', 'schema': 7}"
grep -q "$T" "$T/n.json" && fail "nobody sees a path: $(cat "$T/n.json")"
eq "root: scope" "$(json "$T/r.json" 'r[0]["scope"]')" all
eq "root: every image" "$(json "$T/r.json" '(r[0]["clients"], r[0]["images"])')" "(3, 3)"
eq "root: all pending bytes" "$(json "$T/r.json" 'r[0]["pending"]["disk_write_bytes"]')" $((3 * 4242))
eq "root: the database path" "$(json "$T/r.json" 'r[0]["db"]["path"]')" "$DB"
eq "root: machine-wide parts" "$(json "$T/r.json" 'all(k in r[0] for k in ("messages", "own", "last_window", "queries"))')" True

# A reason: nobody learns that the database is gone, not where it went.
rm -f "$DB" "$DB-wal" "$DB-shm"
q flush >/dev/null || fail "flush failed"
i=0
while q health >"$T/r.json"; [ "$(json "$T/r.json" 'r[0]["reasons"].get("db_unlinked", {}).get("saved")')" != True ]; do
	[ $i -lt 600 ] || fail "db_unlinked not saved"
	sleep 0.1; i=$((i + 1))
done
nq health >"$T/n.json" || fail "nobody: health failed"
eq "nobody: the reason" "$(json "$T/n.json" 'sorted(r[0]["reasons"]["db_unlinked"])')" "['saved', 'severity', 'since']"
eq "nobody: the state, as root's" "$(json "$T/n.json" 'r[0]["state"]')" "$(json "$T/r.json" 'r[0]["state"]')"
grep -q "$T" "$T/n.json" && fail "nobody sees a path: $(cat "$T/n.json")"
eq "root: the reason" "$(json "$T/r.json" 'sorted(r[0]["reasons"]["db_unlinked"])')" "['path', 'recovered_to', 'saved', 'severity', 'since']"
kill $R1 $R2 $N 2>/dev/null
wait $R1 $R2 $N 2>/dev/null
stop_d
exit 0
