#!/usr/bin/python3
# soak_probe.py - the probes of bench/soak.sh; each prints key=value lines.
#
#   soak_probe.py http URL SECS      GET URL every 0.1 s for SECS: latency
#                                    p50/p99/max in ms, failures (10 s
#                                    timeout)
#   soak_probe.py ctl CTL SECS REQ   REQ on the query socket every 0.1 s
#                                    for SECS: latency, busy and errors
#   soak_probe.py trickle CTL N SECS N connections that each trickle a
#                                    byte of a request that never ends
#                                    every 0.5 s, reconnecting when closed:
#                                    the slots held on average and at most
#   soak_probe.py rss PID SECS       VmRSS of PID every 0.5 s: max, last
import json, socket, sys, time, urllib.request


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def lat(name, v, extra):
    print("%s_n=%d" % (name, len(v)))
    for p in (50, 99):
        print("%s_p%d_ms=%.1f" % (name, p, pct(v, p)))
    print("%s_max_ms=%.1f" % (name, max(v) if v else 0.0))
    for k, x in extra.items():
        print("%s_%s=%d" % (name, k, x))


def http(url, secs):
    v, fail = [], 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                r.read()
            v.append((time.monotonic() - t) * 1000)
        except Exception:
            fail += 1
        time.sleep(0.1)
    lat("http_health", v, {"failures": fail})


def ask(ctl, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(ctl)
    s.sendall(req.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(1 << 20)
        if not b:
            break
        buf += b
    s.close()
    return json.loads(buf)


def ctl(path, secs, req):
    v, busy, err = [], 0, 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            r = ask(path, req)
            if "error" in r:
                busy += r["error"].startswith("busy")
                err += not r["error"].startswith("busy")
            else:
                v.append((time.monotonic() - t) * 1000)
        except Exception:
            err += 1
        time.sleep(0.1)
    lat("root_query", v, {"busy": busy, "errors": err})


def trickle(path, n, secs):
    conns, held, samples, most = [None] * n, 0, 0, 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for i in range(n):
            s = conns[i]
            if s is None:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(path)
                except OSError:
                    s.close()
                    continue
                conns[i] = s
            try:
                s.send(b"h")
                if s.recv(4096) == b"":
                    raise OSError
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                conns[i] = None
        # a slot is held by a connection the collector has not answered
        k = sum(1 for s in conns if s is not None)
        held += k
        samples += 1
        most = max(most, k)
        time.sleep(0.5)
    print("trickle_clients=%d" % n)
    print("trickle_connected_avg=%.1f" % (held / max(samples, 1)))
    print("trickle_connected_max=%d" % most)


def rss(pid, secs):
    mx = last = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            for l in open("/proc/%s/status" % pid):
                if l.startswith("VmRSS:"):
                    last = int(l.split()[1]) * 1024
                    mx = max(mx, last)
        except OSError:
            break
        time.sleep(0.5)
    print("rss_max_bytes=%d" % mx)
    print("rss_last_bytes=%d" % last)


m = sys.argv[1]
if m == "http":
    http(sys.argv[2], float(sys.argv[3]))
elif m == "ctl":
    ctl(sys.argv[2], float(sys.argv[3]), sys.argv[4])
elif m == "trickle":
    trickle(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
elif m == "rss":
    rss(sys.argv[2], float(sys.argv[3]))
else:
    sys.exit(2)
