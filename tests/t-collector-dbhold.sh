#!/bin/sh
# t-collector-dbhold.sh - issue 19: a process killed with SIGKILL while
# the latest state of a debounced file was held in memory (no write, no
# rename reached the kernel for it): ioshimd's salvager writes that last
# complete state onto the file with no operator and no next process, as
# the directory's owner (root's saver, and uid 65534's when we are root:
# the file stays that user's); a state older than the file is not
# written; nothing is left in the directory.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
KILL='import json, os, sys, signal
d = sys.argv[1]
for i in range(50):
    with open(d + "/s.json.tmp", "w") as f:
        json.dump({"seq": i, "pad": "x" * 3000}, f)
    os.replace(d + "/s.json.tmp", d + "/s.json")
os.kill(os.getpid(), signal.SIGKILL)'
seqof() { $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["seq"])' "$1"; }

# saver AS DIR: 50 saves in a 60 s window (only the first reaches the
# file), then SIGKILL, while no collector runs; the file holds save 0
saver() {
	$1 env IOSHIM_DEBOUNCE="$2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$KILL" "$2"
	eq "state on disk after SIGKILL" "$(seqof "$2/s.json")" 0
}

# wait_for FILE SEQ: ioshimd wrote save SEQ onto FILE within 15 s
wait_for() {
	i=0
	until [ "$(seqof "$1" 2>/dev/null)" = "$2" ]; do
		[ $i -lt 150 ] || { tail "$T/d.log"; fail "ioshimd did not write the held state of $1 within 15 s (it holds save $(seqof "$1"))"; }
		sleep 0.1; i=$((i + 1))
	done
	echo "ok: ioshimd wrote save $2 onto $1"
}

mkdir "$T/r"
saver "" "$T/r"
start_d --shared --salvage-every 1
wait_for "$T/r/s.json" 49
eq "files left in the directory" "$(ls -A "$T/r")" "s.json"

# a newer state than the held one (another process saved after the kill)
# wins: the held state is dropped
stop_d
saver "" "$T/r"
sleep 1.1
echo '{"seq": 1000}' >"$T/r/s.json.new" && mv "$T/r/s.json.new" "$T/r/s.json"
start_d --shared --salvage-every 1
sleep 3
eq "a newer file kept" "$(seqof "$T/r/s.json")" 1000
eq "files left in the directory" "$(ls -A "$T/r")" "s.json"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$T"
	D=$(mktemp -d /var/tmp/ioshim-cdbh.XXXXXX)
	trap '[ -n "$DPID" ] && kill -9 $DPID 2>/dev/null; rm -rf "$T" "$D"' EXIT
	chmod 755 "$D"; mkdir "$D/n"; chown 65534:65534 "$D/n"
	if $AS test -x "$PY" && $AS test -r "$SHIM"; then
		stop_d
		saver "$AS" "$D/n"
		start_d --shared --salvage-every 1
		wait_for "$D/n/s.json" 49
		eq "the file of uid 65534 is its own" "$(stat -c %U "$D/n/s.json")" nobody
		eq "files left in its directory" "$(ls -A "$D/n")" "s.json"
	else
		note "uid 65534 cannot run the shim here: not tried"
	fi
else
	note "not root: another user's saver not tried"
fi
