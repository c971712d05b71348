#!/bin/sh
# t-collector-sockdir.sh - ioshimd refuses a directory for its sockets,
# pidfile or database that another user could change (writable by others
# or its group, or another user's, or below a directory others may write
# that is not sticky), and never follows a symlink planted at the
# pidfile's name: as root it wrote its pid through it into any file.  A
# private directory, also reached through a symlink, is fine.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/collector_lib.sh"

# refused WHAT ARGS...: ioshimd must exit 1 at once, saying why, and leave
# nothing behind (up to 30 s: a collector that starts is killed then).
refused() {
	_what=$1; shift
	timeout 30 "$IOSHIMD" --foreground "$@" >"$T/out" 2>"$T/err"
	_rc=$?
	[ $_rc = 1 ] || { cat "$T/err"; fail "$_what: exit status $_rc, want 1 (refused)"; }
	grep -q "refusing" "$T/err" || { cat "$T/err"; fail "$_what: no reason given"; }
	echo "ok: $_what refused: $(cat "$T/err")"
}

mkdir -m 0700 "$T/db"
mkdir "$T/pub" && chmod 1777 "$T/pub"
refused "socket in a world-writable (sticky) directory" \
    --socket "$T/pub/s.sock" --db "$T/db/a.db"
[ -e "$T/pub/s.sock" ] || [ -e "$T/pub/s.sock.pid" ] && fail "files left in $T/pub"
mkdir "$T/grp" && chmod 0770 "$T/grp"
refused "socket in a group-writable directory" \
    --socket "$T/grp/s.sock" --db "$T/db/a.db"
mkdir -m 0700 "$T/priv"
refused "pidfile in a world-writable directory" \
    --socket "$T/priv/s.sock" --pidfile "$T/pub/p.pid" --db "$T/db/a.db"
refused "database in a world-writable directory" \
    --socket "$T/priv/s.sock" --db "$T/pub/a.db"
# a private directory below one others may write and that is not sticky:
# they could rename it and put their own in its place
mkdir "$T/open" && chmod 0777 "$T/open" && mkdir -m 0700 "$T/open/mine"
refused "a private directory below a non-sticky world-writable one" \
    --socket "$T/open/mine/s.sock" --db "$T/db/a.db"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0755 "$T/theirs" && chown 65534 "$T/theirs"
	refused "socket in another user's directory" \
	    --socket "$T/theirs/s.sock" --db "$T/db/a.db"
fi

# A symlink planted at the pidfile's name is never followed.
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$T/priv/s.sock.pid"
refused "a symlink at the pidfile's name" \
    --socket "$T/priv/s.sock" --db "$T/db/a.db"
eq "the symlink's target" "$(cat "$T/victim")" precious
rm "$T/priv/s.sock.pid"

# A private directory, also through a symlink: starts, and the pidfile
# holds its pid.
ln -s "$T/priv" "$T/link"
S=$T/link/s.sock
start_d
eq "pidfile" "$(cat "$T/priv/s.sock.pid")" "$DPID"
q health >"$T/h.json" || fail "health failed"
eq "db state" "$(json "$T/h.json" 'r[0]["db"]["state"]')" ok
timeout 30 "$IOSHIMD" --foreground --socket "$S" --db "$T/db/b.db" 2>"$T/err2" &&
    fail "second instance started"
grep -q "already running (pid $DPID" "$T/err2" || { cat "$T/err2"; fail "no 'already running'"; }
stop_d
[ -e "$T/priv/s.sock.pid" ] && fail "pidfile left behind"
exit 0
