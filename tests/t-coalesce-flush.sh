#!/bin/sh
# t-coalesce-flush.sh - when held bytes reach the file, seen by another
# process while the writer is still alive:
#  - an ordinary line is held (IOSHIM_FLUSH_MS=60000): the control case;
#  - a line with ERROR (and a custom IOSHIM_FLUSH_ON word) is in the file
#    at once, with the lines before it;
#  - after fsync / fdatasync return, the bytes are in the file;
#  - an idle program's bytes arrive within IOSHIM_FLUSH_MS plus a margin
#    (age flush by the background thread), counted as reasons.age;
#  - 64 logs with IOSHIM_MEM_KB=16: reasons.memory > 0, nothing lost.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/progs/co_lib.sh"
F=$(prog co_flush)
M=$(prog co_many)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT

# start NAME OP...: run co_flush in the background under the shim, wait
# until it has done its writes.  It stays alive until finish kills it (at
# most 120 s): what the file holds is looked at while the writer lives
# however slow the machine is.
start() {
	name=$1; shift
	rm -f "$T/$name.log" "$T/$name.ready"
	env IOSHIM_REPORT="$T/$name.rep" LD_PRELOAD="$SHIM" "$F" "$T/$name.log" "$T/$name.ready" 120000 "$@" &
	PID=$!
	i=0; while [ ! -e "$T/$name.ready" ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i+1)); done
	[ -e "$T/$name.ready" ] || fail "$name: writer did not get ready"
}
finish() { kill $PID 2>/dev/null; wait $PID 2>/dev/null; PID=; }
size() { if [ -e "$1" ]; then wc -c <"$1"; else echo 0; fi; }

export IOSHIM_FLUSH_MS=60000
start held "w:info just a line" "w:another ordinary line"
eq "held: bytes in the file while the writer lives" "$(size "$T/held.log")" 0
finish

start prio "w:info first" "w:ERROR something broke" "w:info after"
eq "priority: the ERROR line and all before it, at once" "$(cat "$T/prio.log")" "info first
ERROR something broke"
finish

IOSHIM_FLUSH_ON=WARN:crit start custom "w:one" "w:ERROR not a flush word now" "w:a WARN here" "w:tail"
eq "IOSHIM_FLUSH_ON=WARN:crit" "$(cat "$T/custom.log")" "one
ERROR not a flush word now
a WARN here"
finish

# long lines go through the vector search: a word across a 32-byte edge,
# and one that ends the line
pad=$(printf '%030d' 0)
start long "w:$pad info nothing to see here, a long ordinary line of text" \
    "w:$pad CRIT" "w:info after"
eq "priority: a word across a vector edge" "$(cat "$T/long.log")" "$pad info nothing to see here, a long ordinary line of text
$pad CRIT"
finish
start edge "w:$(printf '%-29s' info)CRIT: now" "w:info after"
eq "priority: a word across bytes 29..33" "$(cat "$T/edge.log")" "$(printf '%-29s' info)CRIT: now"
finish

start fsync "w:before fsync 1" "w:before fsync 2" fsync "w:after"
eq "fsync: bytes in the file once it returns" "$(cat "$T/fsync.log")" "before fsync 1
before fsync 2"
finish
start fdatasync "w:x1" fdatasync
eq "fdatasync" "$(cat "$T/fdatasync.log")" "x1"
finish

# age: 1000 ms; the bytes appear while the writer idles, by an age flush
# (up to 30 s: a loaded machine may run the shim's worker late; the writer
# lives on, so no exit flush can stand in for it)
IOSHIM_FLUSH_MS=1000 start age "w:idle line"
held=$(size "$T/age.log")
i=0; while [ "$(size "$T/age.log")" = 0 ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i+1)); done
eq "age: idle bytes reached the file (held at first: $held bytes)" "$(cat "$T/age.log")" "idle line"
echo "# age flush after ~$((i * 20)) ms of polling"
finish
eq "age: reasons.age" "$(csum "$T/age.rep" reasons.age)" 1

# memory bound
mkdir -p "$T/many"
IOSHIM_MEM_KB=16 shimmed "$T/many.rep" "$M" "$T/many" 64 300 || fail "co_many failed"
m=$(csum "$T/many.rep" reasons.memory)
[ "$m" -gt 0 ] || fail "memory: no memory flushes with IOSHIM_MEM_KB=16"
echo "ok: memory: $m memory flushes"
for j in $(seq 0 63); do lines_check "$T/many/log.$j" f$j:300 >/dev/null; done
echo "ok: memory: 64 logs complete, in order"
