#!/bin/sh
# t-collector-qwork.sh - the work of one query of a uid that is not an
# administrator is bounded (--query-work, million SQLite steps): with
# --query-work 1 and 80,000 stored file rows of uid 65534, its
# `top by=file from=-1h limit=1000` is refused with "query too large" (it
# used to run to its end, holding the only loop), a small query of it is
# still answered, root's same query is answered in full, and the collector
# goes on storing what is sent.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"
as_nobody	# $AS runs a command as uid 65534 (collector_lib.sh)
REQ="top by=file from=-1h limit=1000"

# (the per-uid bounds on ingest raised: 80,000 rows of 4,000-file images
# are more than uid 65534 may store by default; t-collector-flood.sh)
start_d --shared --max-files 4000 --query-work 1 --uid-rows 1000000 \
    --uid-memory 268435456 --uid-path-bytes 268435456
for k in $(seq 20); do
	$AS "$SEND" "$S" files 4000 >/dev/null || fail "send $k"
done
q flush >/dev/null || fail "flush"
eq "file rows stored" "$(sq 'SELECT count(*) FROM file_min')" 80000
$AS "$IOSHIM" query --socket "$S" $REQ >"$T/n.json" && fail "uid 65534: a query past the bound answered"
eq "uid 65534 refused" "$(json "$T/n.json" 'r[0]["error"].split(":")[0]')" "query too large"
$AS "$IOSHIM" query --socket "$S" history exe=/manyfiles from=-1h >"$T/nh.json" || fail "uid 65534: a small query refused"
eq "uid 65534: small query answered" "$(json "$T/nh.json" '"points" in r[0]')" True
q $REQ >"$T/r.json" || fail "root: the query failed"
eq "root answered in full" "$(json "$T/r.json" 'len(r[0]["rows"])')" 1000
$AS "$SEND" "$S" files 10 >/dev/null || fail "send after"
q flush >/dev/null || fail "flush"
eq "stored after" "$(sq 'SELECT count(*) FROM file_min')" 80010
stop_d
