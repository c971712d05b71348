#!/bin/sh
# tests/cross/run.sh - the shim on the boards our users run (make check-cross).
#
# For arm64 (aarch64-linux-gnu) and 32-bit arm (arm-linux-gnueabihf), when
# the cross compiler is there (mk/deps.sh cross installs them with
# qemu-user): builds libioshim.so with the same warnings-as-errors flags as
# the real build, then under qemu-user runs
#  - tests/progs/prio_diff: the priority-word search against memmem();
#  - bench/logw, 100,000 appends of 100 bytes, under the shim and without:
#    the log's bytes must be identical, the report must count every byte
#    as disk, and the appends must reach the file in under 1 % as many
#    write calls;
#  - tests/progs/write_time: the report's write_ns (arm64: the virtual
#    counter at cntfrq_el0; armhf: CLOCK_MONOTONIC) lies inside the
#    program's own clock around each call and is most of it;
#  - tests/progs/probe and vfork_probe (t-probe.sh, t-vfork.sh): the same
#    output under the shim as without (the guarded copy, the calls that
#    write held bytes first, the vfork entry written in assembly);
#  - the Debian package of that architecture (make deb DEB_ARCH=arm64,
#    armhf): its paths, Depends, ELF files, lintian, and installed into a
#    scratch root, the installed `ioshim run` under qemu (tests/cross/deb.sh).
# Prints one "ok:" line per check; exits 1 on the first failure, 77 when
# no cross compiler is installed.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/ioshim-cross.XXXXXX")
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
WARN="-Wall -Wextra -Werror -Wno-unused-parameter"
ran=0

for t in aarch64-linux-gnu:qemu-aarch64:arm64 arm-linux-gnueabihf:qemu-arm:armhf; do
	triple=${t%%:*} qemu=${t#*:} arch=${t##*:}
	qemu=${qemu%:*}
	cc=$triple-gcc
	if ! command -v "$cc" >/dev/null || ! command -v "$qemu" >/dev/null; then
		echo "skip: $triple (no $cc or $qemu)"
		continue
	fi
	d=$W/$triple
	mkdir -p "$d"
	$cc -D_GNU_SOURCE -I"$TOP/common" -O2 $WARN -fPIC -fvisibility=hidden \
	    -ftls-model=initial-exec -shared -o "$d/libioshim.so" \
	    "$TOP"/shim/*.c -ldl -lpthread -Wl,-z,now -Wl,--no-undefined -Wl,--sort-section=name ||
		fail "$triple: the shim does not build"
	echo "ok: $triple: libioshim.so builds with $WARN"
	$cc -O1 -D_GNU_SOURCE -I"$TOP/common" -o "$d/prio_diff" \
	    "$TOP/tests/progs/prio_diff.c" || fail "$triple: prio_diff"
	$cc -O2 -o "$d/logw" "$TOP/bench/logw.c" || fail "$triple: logw"
	$cc -O1 -D_GNU_SOURCE -o "$d/write_time" "$TOP/tests/progs/write_time.c" ||
		fail "$triple: write_time"
	run() { QEMU_LD_PREFIX=/usr/$triple "$qemu" "$@"; }
	out=$(run "$d/prio_diff" 3000) || fail "$triple: prio_diff: $out"
	echo "ok: $triple: priority search = memmem ($(echo "$out" | grep -c 'all equal') variant x list runs)"
	run -E LD_PRELOAD="$d/libioshim.so" -E IOSHIM_REPORT="$d/r.jsonl" \
	    "$d/logw" write "$d/shim.log" 100000 || fail "$triple: logw under the shim"
	run "$d/logw" write "$d/plain.log" 100000 || fail "$triple: logw"
	cmp -s "$d/shim.log" "$d/plain.log" || fail "$triple: the log differs"
	python3 - "$d/r.jsonl" "$triple" <<'PY' || fail "$triple: report"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
d, c = r["classes"]["disk"], r["coalesce"]
assert d["write_bytes"] == 10000000 and d["writes"] == 100000, d
assert c["bytes"] == 10000000 and c["syscalls"] < 1000, c
print("ok: %s: same bytes; report: 100000 writes, 10000000 B disk, %d write calls"
      % (sys.argv[2], c["syscalls"]))
PY
	sum=$(run -E LD_PRELOAD="$d/libioshim.so" -E IOSHIM_REPORT="$d/t.jsonl" \
	    -E IOSHIM_COALESCE=0 "$d/write_time" write "$d/t.out" 20 1048576 0 |
	    sed -n 's/^sum_ns=//p') || fail "$triple: write_time under the shim"
	python3 - "$d/t.jsonl" "$d/t.out" "$sum" "$triple" <<'PY' || fail "$triple: write_ns"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
f = [x for x in r["files"] if x["path"] == sys.argv[2]][0]
got, prog = f["write_ns"], int(sys.argv[3])
assert f["writes"] == 20, f
assert prog / 4 <= got <= prog + 10000, (got, prog)
print("ok: %s: write_ns %d inside the program's own %d ns" % (sys.argv[4], got, prog))
PY
	# the invisibility probe (bad pointers into the guarded copy, calls
	# that must write held bytes first) and the vfork entry in assembly:
	# the same output under the shim as without, under qemu too (which
	# runs vfork as fork, so the probe's store check is the same both ways)
	for p in probe vfork_probe; do
		$cc -O1 -D_GNU_SOURCE -o "$d/$p" "$TOP/tests/progs/$p.c" 2>/dev/null ||
			fail "$triple: $p"
		rm -rf "$d/p1" "$d/p2"; mkdir "$d/p1" "$d/p2"
		case $p in probe) a1=$d/p1 a2=$d/p2;; *) a1=$d/p1/v.log a2=$d/p2/v.log;; esac
		# (the host's /bin/sh that vfork_probe runs cannot load the
		# target's library: ld.so says so, and that line is left out)
		run "$d/$p" "$a1" 2>&1 | grep -v '^ERROR: ld.so' >"$d/$p.plain"
		run -E LD_PRELOAD="$d/libioshim.so" -E IOSHIM_FLUSH_MS=60000 \
		    "$d/$p" "$a2" 2>&1 | grep -v '^ERROR: ld.so' >"$d/$p.shim"
		cmp -s "$d/$p.plain" "$d/$p.shim" ||
			{ diff "$d/$p.plain" "$d/$p.shim"; fail "$triple: $p differs under the shim"; }
		echo "ok: $triple: $p: $(grep -c . "$d/$p.plain") lines, the same under the shim"
	done
	sh "$TOP/tests/cross/deb.sh" "$arch" "$triple" "$qemu" "$d/deb" || exit 1
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || exit 77
