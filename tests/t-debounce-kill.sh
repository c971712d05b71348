#!/bin/sh
# t-debounce-kill.sh - issue 19: a saver killed mid-run.  SIGKILL: the
# state file holds a complete state (the last one written at a window's
# end), and the shim's hidden pending file, when there is one, a complete
# newer one, which the next process saving the file removes.  SIGTERM (fatal, no handler): the newest state is renamed
# onto the file in the signal handler, no pending file is left (the
# program's own temporary file may be, as without the shim).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/db_lib.sh"
SAVER=$TOP/tests/progs/db_saver.py
mkdir "$T/k" "$T/t"

seqof() { $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["seq"])' "$1"; }

# saver DIR: a shimmed saver in the background ($pid), until it saved
start() {
	IOSHIM_DEBOUNCE="$1/*.json=300" LD_PRELOAD="$SHIM" $PY "$SAVER" "$1/s.json" 60 1000 >/dev/null &
	pid=$!
	i=0
	while [ ! -e "$1/s.json" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1/s.json" ] || fail "the saver saved nothing"
	sleep 1.5
}

start "$T/k"
kill -KILL $pid
wait $pid
st=$(seqof "$T/k/s.json") || fail "after SIGKILL the state file is not a complete state"
note "SIGKILL: state file at save $st"
[ "$st" -gt 0 ] || fail "no save after the first reached the file in 1.5 s (300 ms window)"
for h in "$T"/k/.s.json.ioshim-*; do
	[ -e "$h" ] || continue
	hs=$(seqof "$h") || fail "the pending file $h is not a complete state"
	note "SIGKILL: pending file at save $hs"
	[ "$hs" -gt "$st" ] || fail "the pending file ($hs) is not newer than the state file ($st)"
done
echo "ok: SIGKILL leaves a complete state file"
# the next saver of the file removes the killed one's pending file once
# its own first state is held
IOSHIM_DEBOUNCE="$T/k/*.json=60000" LD_PRELOAD="$SHIM" $PY "$SAVER" "$T/k/s.json" 0.2 100 >/dev/null ||
	fail "the next saver failed"
eq "pending files left after the next saver" "$(ls -A "$T/k" | grep -c ioshim)" 0
eq "the next saver's last state" "$(seqof "$T/k/s.json")" 19

start "$T/t"
kill -TERM $pid
wait $pid
eq "SIGTERM: status" $? 143
seqof "$T/t/s.json" >/dev/null || fail "after SIGTERM the state file is not a complete state"
eq "SIGTERM: pending files left" "$(ls -A "$T/t" | grep -c ioshim)" 0

# a privilege drop after a save (review defect 6): root saves twice, then
# becomes nobody, who may not write the directory; as unshimmed, the
# second state is the file's
if [ "$(id -u)" = 0 ]; then
	DROP='import os, sys
d = sys.argv[1]
for i in range(2):
    open(d + "/tmp", "w").write("state %d" % i); os.replace(d + "/tmp", d + "/s.json")
os.setgid(65534); os.setuid(65534)'
	mkdir "$T/d1" "$T/d2"
	chmod 755 "$T/d1" "$T/d2"
	$PY -c "$DROP" "$T/d1" || fail "unshimmed privilege drop failed"
	IOSHIM_DEBOUNCE="$T/d2/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$DROP" "$T/d2" ||
		fail "shimmed privilege drop failed"
	eq "state after a privilege drop" "$(cat "$T/d2/s.json")" "$(cat "$T/d1/s.json")"
	eq "files after a privilege drop" "$(ls -A "$T/d2")" "$(ls -A "$T/d1")"
else
	note "not root: privilege drop not tried"
fi

# a killed writer's newer state is not lost (review defect 14): three
# saves, SIGKILL; a restarted process (load, change, save) reads first
# what the unshimmed one reads, and the hidden file is gone
KS='import os, sys, signal
d = sys.argv[1]
for i in range(3):
    open(d + "/tmp", "w").write("state %d" % i); os.replace(d + "/tmp", d + "/s.json")
os.kill(os.getpid(), signal.SIGKILL)'
RS='import os, sys
d = sys.argv[1]; s = open(d + "/s.json").read(); print(s)
open(d + "/tmp", "w").write(s + " +restart"); os.replace(d + "/tmp", d + "/s.json")'
mkdir "$T/kp" "$T/ks"
$PY -c "$KS" "$T/kp"
p=$($PY -c "$RS" "$T/kp")
IOSHIM_DEBOUNCE="$T/ks/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$KS" "$T/ks"
s=$(IOSHIM_DEBOUNCE="$T/ks/*.json=60000" LD_PRELOAD="$SHIM" $PY -c "$RS" "$T/ks")
eq "state a restarted process reads after SIGKILL" "$s" "$p"
eq "final state after the restart" "$(cat "$T/ks/s.json")" "$(cat "$T/kp/s.json")"
eq "files after the restart" "$(ls -A "$T/ks")" "$(ls -A "$T/kp")"
