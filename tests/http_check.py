#!/usr/bin/python3
# tests/http_check.py - checks on Prometheus text exposition (0.0.4) files
# for the t-http-*.sh tests.  Usage:
#   http_check.py format FILE          structure rules; prints "ok" or fails
#   http_check.py value FILE METRIC LABELS-REGEX   sum of matching samples
#   http_check.py monotonic FILE...    no series goes down from file to file
#   http_check.py lastsum METRIC LABELS-REGEX FILE...  sum over every series
#                 ever seen of its last value (what increase() would add up)
#   http_check.py exes FILE METRIC     number of distinct exe label values
#   http_check.py health SOCKET.ctl HTTPFILE  same keys and constant fields
import json
import re
import socket
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def labels(s):
    out, pos = {}, 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            sys.exit("bad labels: %r" % s)
        v = m.group(2).replace('\\n', '\n').replace('\\"', '"')
        v = v.replace('\\\\', '\\')
        out[m.group(1)] = v
        pos = m.end()
    return out


def parse(path):
    data = open(path, "rb").read()
    if not data.endswith(b"\n"):
        sys.exit("%s: does not end with a newline" % path)
    text = data.decode("utf-8")   # must be UTF-8
    meta, samples = {}, []
    for ln in text.split("\n")[:-1]:
        if ln.startswith("# HELP ") or ln.startswith("# TYPE "):
            kind, name = ln[2:6], ln.split(" ")[2]
            meta.setdefault(name, []).append((kind, len(samples)))
            continue
        m = SAMPLE.match(ln)
        if not m:
            sys.exit("bad line: %r" % ln)
        samples.append((m.group(1), labels(m.group(3) or ""),
                        float(m.group(4))))
    return meta, samples


def family(name, types):
    """A histogram's _bucket, _sum and _count samples belong to it."""
    for suf in ("_bucket", "_sum", "_count"):
        base = name[:-len(suf)]
        if name.endswith(suf) and types.get(base) == "histogram":
            return base
    return name


def fmt(path):
    meta, samples = parse(path)
    types = {}
    for ln in open(path, encoding="utf-8"):
        if ln.startswith("# TYPE "):
            _, _, n, t = ln.split()
            types[n] = t
    samples = [(family(n, types), lab, v) for n, lab, v in samples]
    seen_done, last = set(), None
    for name, lab, v in samples:
        if name != last:
            if name in seen_done:
                sys.exit("samples of %s are not together" % name)
            if last:
                seen_done.add(last)
            last = name
        if "pid" in lab:
            sys.exit("pid label on %s" % name)
        if v < 0:
            sys.exit("negative value on %s" % name)
    first = {}
    for i, (name, _, _) in enumerate(samples):
        first.setdefault(name, i)
    for name, entries in meta.items():
        kinds = sorted(k for k, _ in entries)
        if kinds != ["HELP", "TYPE"]:
            sys.exit("%s: HELP/TYPE not exactly once each: %s" % (name, kinds))
        if name in first and any(pos > first[name] for _, pos in entries):
            sys.exit("%s: HELP/TYPE after its samples" % name)
        if not name.startswith("ioshim_"):
            sys.exit("%s: no ioshim_ prefix" % name)
    for name in first:
        if name not in meta:
            sys.exit("%s: no HELP/TYPE" % name)
    for n, t in types.items():
        if (t == "counter") != n.endswith("_total"):
            sys.exit("%s: type %s vs _total suffix" % (n, t))
    print("ok")


def value(path, metric, rx):
    _, samples = parse(path)
    r = re.compile(rx)
    tot = 0.0
    for name, lab, v in samples:
        key = ",".join("%s=%s" % (k, lab[k]) for k in sorted(lab))
        if name == metric and r.search(key):
            tot += v
    print("%d" % tot)


def lastsum(metric, rx, paths):
    r, last = re.compile(rx), {}
    for p in paths:
        _, samples = parse(p)
        for name, lab, v in samples:
            key = ",".join("%s=%s" % (k, lab[k]) for k in sorted(lab))
            if name == metric and r.search(key):
                last[key] = v
    print("%d" % sum(last.values()))


def monotonic(paths):
    prev = {}
    for p in paths:
        _, samples = parse(p)
        for name, lab, v in samples:
            if not name.endswith("_total") or name.startswith("ioshim_collector"):
                continue
            k = (name, tuple(sorted(lab.items())))
            if k in prev and v < prev[k]:
                sys.exit("%s %s went down: %s -> %s in %s" %
                         (name, lab, prev[k], v, p))
            prev[k] = v
    print("ok")


def exes(path, metric):
    _, samples = parse(path)
    print(len({lab.get("exe") for n, lab, _ in samples if n == metric}))


def keys(o, pre=""):
    out = set()
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(pre + k)
            out |= keys(v, pre + k + ".")
    return out


def health(ctl, httpfile):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(ctl)
    s.sendall(b"health\n")
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    sock = json.loads(buf)
    raw = open(httpfile, "rb").read()
    if not raw.endswith(b"}\n"):
        sys.exit("HTTP health does not end like the socket's: %r" % raw[-5:])
    web = json.loads(raw)
    if keys(sock) != keys(web):
        sys.exit("keys differ: %s" % (keys(sock) ^ keys(web)))
    for k in ("version", "pid", "window_s"):
        if sock[k] != web[k]:
            sys.exit("%s differs: %s vs %s" % (k, sock[k], web[k]))
    print("ok")


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "format":
        fmt(a[0])
    elif cmd == "value":
        value(a[0], a[1], a[2])
    elif cmd == "lastsum":
        lastsum(a[0], a[1], a[2:])
    elif cmd == "monotonic":
        monotonic(a)
    elif cmd == "exes":
        exes(a[0], a[1])
    elif cmd == "health":
        health(a[0], a[1])
    else:
        sys.exit("unknown command " + cmd)


main()
