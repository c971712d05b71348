#!/usr/bin/env python3
"""strace_truth.py - the kernel's view of a run, to check an ioshim report.

Usage:
  strace_truth.py --trace TRACE --report REPORT [options]

TRACE comes from
  strace -f -yy -qq -e trace=<STRACE_SET> -o TRACE tools/ioshim run --report REPORT ...
(STRACE_SET is printed by `strace_truth.py --syscalls`).

From the trace this computes, per process (thread ids are folded into their
thread group), the bytes and calls read and written per class (disk, memfs,
socket, pipe, tty, other), classifying each fd from strace's -yy annotation
(<pipe:[..]>, <TCP:[..]>, </dev/pts/N>, </dev/null>, file paths: disk or
memfs by the filesystem type of the path in /proc/self/mountinfo), and the
fsync-family calls.  Kernel-side copies (sendfile, splice, tee,
copy_file_range) count one read call on the source and one write call on
the destination, like the shim.

Left out of the truth, because they are not the program's I/O:
  - the "ioshim run" process itself, and its child until that child's first
    successful execve (the shim is not loaded before);
  - the pipes "ioshim run" made (the shim's start-up handshake);
  - the report file, and sockets connected to the collector (--socket PATH);
Left out of BOTH sides (the truth, and the report's per-file rows
subtracted from the report's class totals): files that only the dynamic
loader and glibc's internals touch, through calls no LD_PRELOAD shim can
see (shared objects, ld.so.cache, locale data, zoneinfo, NSS files,
/proc/PID/stat, ...).  What was left out is printed.

The report's records are summed per pid (a pid has one record per image).
Compared, per pid and class: read_bytes and write_bytes always; reads and
writes with --calls; fsyncs with --fsyncs.  Exit status 0 when everything
compared is equal, 1 otherwise.
"""
import argparse
import json
import os
import re
import stat
import sys

CLASSES = ["disk", "memfs", "socket", "pipe", "tty", "other"]
FIELDS = ["read_bytes", "write_bytes", "reads", "writes"]

READS = {"read", "pread64", "readv", "preadv", "preadv2", "recvfrom",
         "recvmsg", "recv"}
WRITES = {"write", "pwrite64", "writev", "pwritev", "pwritev2", "sendto",
          "sendmsg", "send"}
MMSG = {"sendmmsg": "w", "recvmmsg": "r"}
# name -> (index of source fd arg, index of destination fd arg)
COPIES = {"sendfile": (1, 0), "sendfile64": (1, 0), "splice": (0, 2),
          "tee": (0, 1), "copy_file_range": (0, 2)}
FSYNCS = {"fsync", "fdatasync", "sync_file_range", "syncfs", "sync",
          "msync"}
PROCS = {"execve", "execveat", "clone", "clone3", "fork", "vfork"}
PIPES = {"pipe", "pipe2"}
CONNECT = {"connect"}

STRACE_SET = sorted(READS | WRITES | set(MMSG) | set(COPIES) | FSYNCS |
                    PROCS | PIPES | CONNECT)
STRACE_SET.remove("recv")		# not system calls on x86-64
STRACE_SET.remove("send")

# Touched only by ld.so and glibc internals (never through a wrapper).
DEFAULT_EXCLUDE = [
    r"\.so(\.[0-9][0-9.]*)?$",		# shared objects (ld.so, dlopen)
    r"^/etc/ld\.so\.(cache|preload)$",
    r"^/usr/lib/locale/", r"^/usr/share/locale/", r"/gconv/",
    r"^/etc/locale\.alias$",
    r"^/etc/localtime$", r"^/usr/share/zoneinfo/",
    r"^/etc/(nsswitch\.conf|passwd|group|shadow|hosts|host\.conf|"
    r"resolv\.conf|gai\.conf|services|protocols|networks)$",
    r"^/proc/(self|thread-self|[0-9]+)/(stat|maps|status)$",
    r"^/sys/devices/system/cpu/",
    r"^/proc/sys/",				# malloc: overcommit_memory, ...
]

MEMFS_TYPES = {"tmpfs", "ramfs", "proc", "sysfs", "devtmpfs", "devpts",
               "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs",
               "bpf", "hugetlbfs", "mqueue", "configfs", "efivarfs",
               "pstore", "selinuxfs", "nsfs", "binfmt_misc", "fusectl"}


def mounts():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            mp = left.split()[4]
            mp = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), mp)
            out.append((mp, right.split()[0]))
    out.sort(key=lambda m: len(m[0]), reverse=True)
    return out


MOUNTS = mounts()


def fs_type(path):
    for mp, typ in MOUNTS:
        if path == mp or path.startswith(mp.rstrip("/") + "/") or mp == "/":
            return typ
    return "?"


_cls_cache = {}


def classify(ann):
    """Class of an fd from its -yy annotation."""
    if ann in _cls_cache:
        return _cls_cache[ann]
    if ann.startswith("pipe:["):
        c = "pipe"
    elif re.match(r"^[A-Za-z][A-Za-z0-9-]*:\[", ann) and \
            not ann.startswith("anon_inode:"):
        c = "socket"
    elif not ann.startswith("/"):
        c = "other"			# anon_inode:[eventfd], ...
    elif re.search(r"<(char|block) \d+:\d+>$", ann):
        dev = re.search(r"<(char|block) \d+:\d+>$", ann)
        path = ann[:dev.start()]
        if dev.group(1) == "block":
            c = "disk"
        else:
            c = "tty" if re.match(r"^/dev/(pts/|tty|console$|ptmx$)", path) \
                else "other"
    else:
        path = ann[:-len(" (deleted)")] if ann.endswith(" (deleted)") else ann
        try:
            st = os.stat(path)
            mode = st.st_mode
        except OSError:
            mode = stat.S_IFREG		# gone since (a journal, a temp file)
        if stat.S_ISFIFO(mode):
            c = "pipe"
        elif stat.S_ISSOCK(mode):
            c = "socket"
        elif stat.S_ISCHR(mode):
            c = "tty" if re.match(r"^/dev/(pts/|tty|console$|ptmx$)", path) \
                else "other"
        elif stat.S_ISBLK(mode):
            c = "disk"
        else:
            c = "memfs" if fs_type(path) in MEMFS_TYPES else "disk"
    _cls_cache[ann] = c
    return c


def fd_args(args):
    """The (fd, annotation) of each argument of a call, None if not an fd."""
    out = []
    i, n = 0, len(args)
    while i < n:
        m = re.compile(r"\s*(-?\d+|AT_FDCWD)<").match(args, i)
        if m:
            j = m.end()
            depth = 0
            k = j
            while k < n:
                ch = args[k]
                if ch in "[<":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                elif ch == ">" and args[k - 1] != "-":
                    if depth <= 0:
                        break
                    depth -= 1
                k += 1
            fd = m.group(1)
            out.append((int(fd) if fd != "AT_FDCWD" else None, args[j:k]))
            i = k + 1
        else:
            out.append(None)
            # skip to the next top-level comma
            depth, inq = 0, False
            while i < n:
                ch = args[i]
                if inq:
                    if ch == "\\":
                        i += 1
                    elif ch == '"':
                        inq = False
                elif ch == '"':
                    inq = True
                elif ch in "[{(":
                    depth += 1
                elif ch in "]})":
                    depth -= 1
                elif ch == "," and depth == 0:
                    break
                i += 1
        # now at a comma or the end
        while i < n and args[i] in ", ":
            if args[i] == ",":
                i += 1
                break
            i += 1
    return out


CALL = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)\s+= (?P<ret>-?\d+|\?|0x[0-9a-f]+)(?P<rest>.*)$")


def parse(trace):
    """Complete calls, in order: (pid, name, args, ret, rest)."""
    pending = {}
    calls = []
    with open(trace, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^(\d+)\s+(.*)$", line)
            if not m:
                continue
            pid, rest = int(m.group(1)), m.group(2)
            if rest.startswith("---") or rest.startswith("+++"):
                continue
            if rest.endswith("<unfinished ...>"):
                pending[pid] = rest[:-len("<unfinished ...>")].rstrip()
                continue
            r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
            if r:
                head = pending.pop(pid, r.group(1) + "(")
                tail = r.group(2)
                if head.endswith(","):
                    head += " "
                rest = head + tail
            c = CALL.match(rest)
            if not c:
                continue
            ret = c.group("ret")
            if ret == "?":
                # interrupted and restarted by the kernel (ERESTARTSYS...,
                # strace shows the restart as another call), or never
                # returned: not a call the program saw return
                continue
            ret = int(ret, 0)
            calls.append((pid, c.group("name"), c.group("args"), ret,
                          c.group("rest")))
    return calls


def truth(trace, report_path, sock, exclude):
    calls = parse(trace)
    if not calls:
        sys.exit("strace_truth: no calls in " + trace)
    root = calls[0][0]
    tgid = {root: root}
    parent = {}
    # pass 1: who is whose thread or child
    for pid, name, args, ret, rest in calls:
        if name in ("clone", "clone3", "fork", "vfork") and ret and ret > 0:
            t = tgid.get(pid, pid)
            if "CLONE_THREAD" in args:
                tgid[ret] = t
            else:
                tgid[ret] = ret
                parent[ret] = t
    shimmed = {}
    ex = [re.compile(e) for e in exclude]
    own_pipes = set()
    shim_socks = set()		# inodes of sockets connected to the collector
    per = {}
    fsyncs = {}
    excluded = {}
    files = {}
    ignored = {"root": 0, "pre-exec": 0, "shim": 0}

    def shim_of(p):
        if p not in shimmed:
            shimmed[p] = p != root and parent.get(p) not in (None, root)
        return shimmed[p]

    def add(p, ann, field_b, field_c, nbytes):
        if ann is None:
            return
        if ann.startswith("pipe:[") and ann in own_pipes:
            ignored["shim"] += 1
            return
        if ann == report_path or (sock and sock in ann):
            ignored["shim"] += 1
            return
        m = re.match(r"^UNIX[A-Z-]*:\[(\d+)", ann)
        if m and m.group(1) in shim_socks:
            ignored["shim"] += 1
            return
        path = ann[:-len(" (deleted)")] if ann.endswith(" (deleted)") else ann
        path = re.sub(r"<(char|block) \d+:\d+>$", "", path)
        if path.startswith("/") and any(e.search(path) for e in ex):
            excluded[path] = excluded.get(path, 0) + max(nbytes, 0)
            return
        c = classify(ann)
        row = per.setdefault(p, {k: dict.fromkeys(FIELDS, 0) for k in CLASSES})
        row[c][field_c] += 1
        if nbytes > 0:
            row[c][field_b] += nbytes
        if path.startswith("/"):
            fr = files.setdefault((p, path), dict.fromkeys(FIELDS + ["fsyncs"], 0))
            fr[field_c] += 1
            if nbytes > 0:
                fr[field_b] += nbytes

    for pid, name, args, ret, rest in calls:
        p = tgid.get(pid, pid)
        if name in PIPES and p == root and ret == 0:
            for a in re.findall(r"<(pipe:\[\d+\])>", args):
                own_pipes.add(a)
            continue
        if name in CONNECT:
            if sock and ret == 0 and ('sun_path="%s"' % sock) in args:
                m = re.match(r"^\d+<UNIX[A-Z-]*:\[(\d+)", args)
                if m:
                    shim_socks.add(m.group(1))
            continue
        if name in ("execve", "execveat"):
            if ret == 0 and p != root:
                shimmed[p] = True
            continue
        if name in PROCS or name in PIPES:
            continue
        if p == root:
            ignored["root"] += 1
            continue
        if not shim_of(p):
            ignored["pre-exec"] += 1
            continue
        nb = ret if ret is not None else -1
        fds = fd_args(args)
        first = fds[0] if fds else None
        if name in READS:
            add(p, first and first[1], "read_bytes", "reads", nb)
        elif name in WRITES:
            add(p, first and first[1], "write_bytes", "writes", nb)
        elif name in MMSG:
            total = sum(int(x) for x in re.findall(r"msg_len=(\d+)", args)) \
                if nb > 0 else -1
            if MMSG[name] == "r":
                add(p, first and first[1], "read_bytes", "reads", total)
            else:
                add(p, first and first[1], "write_bytes", "writes", total)
        elif name in COPIES:
            si, di = COPIES[name]
            src = fds[si] if len(fds) > si else None
            dst = fds[di] if len(fds) > di else None
            add(p, src and src[1], "read_bytes", "reads", nb)
            add(p, dst and dst[1], "write_bytes", "writes", nb)
        elif name in FSYNCS:
            ann = first[1] if first else None
            if ann is not None and ann.startswith("/") and \
                    any(e.search(ann) for e in ex):
                continue
            fsyncs[p] = fsyncs.get(p, 0) + 1
            if ann is not None and ann.startswith("/"):
                path = ann[:-len(" (deleted)")] if ann.endswith(" (deleted)") else ann
                fr = files.setdefault((p, path), dict.fromkeys(FIELDS + ["fsyncs"], 0))
                fr["fsyncs"] += 1
            per.setdefault(p, {k: dict.fromkeys(FIELDS, 0) for k in CLASSES})
    procs = {p for p in set(tgid.values()) if p != root and shim_of(p)}
    for p in procs:
        per.setdefault(p, {k: dict.fromkeys(FIELDS, 0) for k in CLASSES})
    return per, fsyncs, excluded, ignored, root, files


def report(path, exclude):
    ex = [re.compile(e) for e in exclude]
    per, fsyncs, comm, recs, excluded, files = {}, {}, {}, {}, {}, {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            p = r["pid"]
            recs[p] = recs.get(p, 0) + 1
            comm[p] = r.get("comm", "?")
            row = per.setdefault(p, {k: dict.fromkeys(FIELDS, 0) for k in CLASSES})
            for c in CLASSES:
                for k in FIELDS:
                    row[c][k] += r["classes"][c][k]
            fsyncs[p] = fsyncs.get(p, 0) + r["fsyncs"]
            for fr in r["files"]:
                row2 = files.setdefault((p, fr["path"]),
                                        dict.fromkeys(FIELDS + ["fsyncs", "class"], 0))
                for k in FIELDS + ["fsyncs"]:
                    row2[k] += fr[k]
                row2["class"] = fr["class"]
                if any(e.search(fr["path"]) for e in ex):
                    excluded[fr["path"]] = excluded.get(fr["path"], 0) + \
                        fr["read_bytes"] + fr["write_bytes"]
                    for k in FIELDS:
                        row[fr["class"]][k] -= fr[k]
                    fsyncs[p] -= fr["fsyncs"]
    return per, fsyncs, comm, recs, excluded, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace")
    ap.add_argument("--report")
    ap.add_argument("--calls", nargs="?", const="all", default="",
                    help="compare call counts too (of these classes, "
                    "comma separated; default all)")
    ap.add_argument("--fsyncs", action="store_true")
    ap.add_argument("--socket", default="",
                    help="the collector socket path (shim's own)")
    ap.add_argument("--exclude", action="append", default=[],
                    help="another path regex left out of both sides")
    ap.add_argument("--files", default="",
                    help="compare the per-file rows of paths matching this regex")
    ap.add_argument("--classes", default=",".join(CLASSES))
    ap.add_argument("--min-procs", type=int, default=1)
    ap.add_argument("--syscalls", action="store_true",
                    help="print the strace -e trace= set and exit")
    ap.add_argument("--dump", action="store_true")
    a = ap.parse_args()
    if a.syscalls:
        print(",".join(STRACE_SET))
        return 0
    if not a.trace or not a.report:
        ap.error("--trace and --report are required")
    exclude = DEFAULT_EXCLUDE + a.exclude
    rp = os.path.realpath(a.report)
    tper, tfs, texcl, ignored, root, tfiles = truth(a.trace, rp, a.socket, exclude)
    rper, rfs, comm, recs, rexcl, rfiles = report(a.report, exclude)
    classes = a.classes.split(",")
    call_cls = set(CLASSES if a.calls == "all" else
                   [c for c in a.calls.split(",") if c])
    bad = 0
    print("# truth: %d processes traced besides ioshim run (pid %d); "
          "ignored calls: %s" % (len(tper), root, ignored))
    so = [p for p in set(texcl) | set(rexcl) if re.search(DEFAULT_EXCLUDE[0], p)]
    if so:
        print("# left out of both sides: %d shared objects (truth %d bytes, "
              "report %d bytes)" % (len(so), sum(texcl.get(p, 0) for p in so),
                                    sum(rexcl.get(p, 0) for p in so)))
    for path in sorted((set(texcl) | set(rexcl)) - set(so)):
        print("# left out of both sides: %s (truth %d bytes, report %d bytes)"
              % (path, texcl.get(path, 0), rexcl.get(path, 0)))
    if len(tper) < a.min_procs:
        print("MISMATCH: %d processes traced, want at least %d" %
              (len(tper), a.min_procs))
        bad += 1
    for p in sorted(set(tper) | set(rper)):
        if p not in rper:
            print("MISMATCH pid %d: in the trace, no report record" % p)
            bad += 1
            continue
        if p not in tper:
            print("MISMATCH pid %d (%s): report record, not in the trace" %
                  (p, comm.get(p)))
            bad += 1
            continue
        n = 0
        for c in classes:
            for k in FIELDS if c in call_cls else FIELDS[:2]:
                got, want = rper[p][c][k], tper[p][c][k]
                if got != want:
                    print("MISMATCH pid %d (%s) %s.%s: report %d, strace %d"
                          % (p, comm[p], c, k, got, want))
                    bad += 1
                elif want:
                    print("ok pid %d (%s) %s.%s = %d" % (p, comm[p], c, k, got))
                n += 1
        if a.fsyncs:
            got, want = rfs.get(p, 0), tfs.get(p, 0)
            if got != want:
                print("MISMATCH pid %d (%s) fsyncs: report %d, strace %d" %
                      (p, comm[p], got, want))
                bad += 1
            else:
                print("ok pid %d (%s) fsyncs = %d" % (p, comm[p], got))
        print("# pid %d (%s): %d records, %d values compared" %
              (p, comm[p], recs[p], n + (1 if a.fsyncs else 0)))
    if a.files:
        fre = re.compile(a.files)
        exre = [re.compile(e) for e in exclude]
        keys = sorted(k for k in set(tfiles) | set(rfiles) if fre.search(k[1])
                      and not any(e.search(k[1]) for e in exre))
        if not keys:
            print("MISMATCH: no file matches --files %s" % a.files)
            bad += 1
        for k in keys:
            t = tfiles.get(k, dict.fromkeys(FIELDS + ["fsyncs"], 0))
            r = rfiles.get(k)
            if r is None:
                print("MISMATCH pid %d file %s: no row in the report" % k)
                bad += 1
                continue
            flds = FIELDS if r["class"] in call_cls else FIELDS[:2]
            if a.fsyncs:
                flds = flds + ["fsyncs"]
            for f in flds:
                if r[f] != t[f]:
                    print("MISMATCH pid %d file %s %s: report %d, strace %d"
                          % (k[0], k[1], f, r[f], t[f]))
                    bad += 1
                else:
                    print("ok pid %d file %s %s = %d" % (k[0], k[1], f, r[f]))
    if a.dump:
        json.dump({"truth": tper, "report": rper}, sys.stdout, indent=1)
    print("%s: %d mismatches" % ("FAIL" if bad else "PASS", bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
