# qslot_lib.py - what the query-slot clients share (tests/qslot_fill.py,
# tests/qslot_hold.py): take slots of ioshimd's query socket, and tell the
# test how many, atomically.
import json, os, socket


def line(s):
    """The bytes up to and with the reply's newline (less at EOF)."""
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(65536)
        if not b:
            break
        buf += b
    return buf


def take(ctl, tries, stop_at_refusal):
    """Open up to tries connections to the query socket ctl, one after
    another; each asks "help" and is kept if the reply is help (the
    collector said "busy" otherwise: closed, and with stop_at_refusal no
    more are tried).  Returns (kept sockets, refused count)."""
    kept, refused = [], 0
    for _ in range(tries):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(ctl)
        try:
            s.sendall(b"help\n")
            r = line(s)
        except OSError:
            r = b""
        try:
            ok = "requests" in json.loads(r)
        except ValueError:
            ok = False
        if ok:
            kept.append(s)
            continue
        s.close()
        refused += 1
        if stop_at_refusal:
            break
    return kept, refused


def tell(path, text):
    """Write text to path whole (a reader polling for path never sees
    half of it)."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)
