#!/bin/sh
# t-collector-uid.sh - access control: by default the sockets are 0600 and
# another uid cannot even connect; with --shared a second uid (65534) can
# send and query but sees nothing of root's processes, and cannot flush or
# checkpoint; root sees both.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody	# $AS runs a command as uid 65534 (collector_lib.sh)

# Default: private sockets.
start_d
eq "ingest socket mode" "$(stat -c %a "$S")" 600
eq "query socket mode" "$(stat -c %a "$S.ctl")" 600
$AS "$IOSHIM" query --socket "$S" health >"$T/out" 2>"$T/err" && fail "uid 65534 reached a private collector"
eq "one error line" "$(wc -l <"$T/err")" 1
grep -q "collector at $S.ctl refuses this user" "$T/err" || fail "error line does not say where it looked or why"
stop_d

start_d --shared
eq "shared socket mode" "$(stat -c %a "$S")" 666
"$SEND" "$S" hold 4 >"$T/root.out" &
R=$!
$AS "$SEND" "$S" hold 4 >"$T/nobody.out" &
N=$!
# each prints its pid once its report is sent (up to 30 s under load)
i=0
while rp=$(val pid "$T/root.out") np=$(val pid "$T/nobody.out"); [ -z "$rp" ] || [ -z "$np" ]; do
	[ $i -lt 300 ] || break
	sleep 0.1; i=$((i + 1))
done
[ -n "$rp" ] && [ -n "$np" ] || fail "senders did not start"
q flush >/dev/null || fail "flush failed"
$AS "$IOSHIM" query --socket "$S" top from=-1h limit=100 >"$T/n.json" || fail "nobody: top failed"
eq "nobody sees own pid only" "$(json "$T/n.json" 'sorted(x["pid"] for x in r[0]["rows"])')" "[$np]"
eq "nobody sees uid 65534 only" "$(json "$T/n.json" 'set(x["uid"] for x in r[0]["rows"])')" "{65534}"
q top from=-1h limit=100 >"$T/r.json" || fail "root: top failed"
eq "root sees both" "$(json "$T/r.json" 'sorted(x["pid"] for x in r[0]["rows"])')" "$(python3 -c "print(sorted([$rp, $np]))")"
$AS "$IOSHIM" query --socket "$S" process "$rp" >"$T/np.json" && fail "nobody saw root's process"
grep -q '"error"' "$T/np.json" || fail "no error for root's process"
$AS "$IOSHIM" query --socket "$S" files "$rp" >/dev/null && fail "nobody saw root's files"
$AS "$IOSHIM" query --socket "$S" process "$np" >/dev/null || fail "nobody cannot see own process"
$AS "$IOSHIM" query --socket "$S" flush >"$T/nf.json" && fail "nobody could flush"
grep -q "permission denied" "$T/nf.json" || fail "flush: no permission error"
$AS "$IOSHIM" query --socket "$S" checkpoint truncate >/dev/null && fail "nobody could checkpoint"
wait $R $N
q flush >/dev/null || fail "flush failed"
$AS "$IOSHIM" query --socket "$S" top by=exe from=-1h >"$T/ne.json" || fail "nobody: range top failed"
# /hold is not what /proc/PID/exe of uid 65534's sender says: its name
# stays apart from root's (t-collector-execlaim.sh)
eq "nobody: stored exe rows" "$(json "$T/ne.json" '[(x["exe"], x["processes"], x["disk_write_bytes"]) for x in r[0]["rows"]]')" "[('[uid=65534,unverified]/hold', 1, 4242)]"
q top by=exe from=-1h >"$T/re.json" || fail "root: range top failed"
eq "root: stored exe rows" "$(json "$T/re.json" 'sorted((x["exe"], x["processes"], x["disk_write_bytes"]) for x in r[0]["rows"])')" "[('/hold', 1, 4242), ('[uid=65534,unverified]/hold', 1, 4242)]"
$AS "$IOSHIM" query --socket "$S" history pid="$rp" from=-1h >"$T/nh.json" || fail "nobody: history failed"
eq "nobody: no history of root's pid" "$(json "$T/nh.json" 'len(r[0]["points"])')" 0
eq "uids stored" "$(sq 'SELECT group_concat(uid) FROM (SELECT uid FROM images ORDER BY uid)')" "0,65534"
stop_d
exit 0
