"""import_sums.py - what `ioshim import` must store, for the import tests.

  import_sums.py file FILE...   the sums of the records (one per line) in
                                the files, as the sqlite3 CLI prints the
                                queries below: process counters, then one
                                line per file path
  import_sums.py sql            those queries over proc_min/proc_hour and
                                file_min/file_hour, each window once
  import_sums.py gen TEMPLATE N PID0 [START]
                                N records like the first of TEMPLATE, pids
                                PID0.., exe /usr/bin/genN%7, start START
                                (default: the template's) + i ms
"""
import json
import sys

CLS = ["disk", "memfs", "socket", "pipe", "tty", "other"]
K = ["read_bytes", "write_bytes", "reads", "writes"]
PC = ["%s_%s" % (c, k) for c in CLS for k in K] + [
    "opens", "fsyncs", "absorbed", "flush_syscalls", "flush_bytes",
    "flush_errors", "kernel_read_bytes", "kernel_write_bytes",
    "disk_write_syscalls"]
FC = ["opens", "read_bytes", "write_bytes", "reads", "writes", "fsyncs",
      "write_ns", "fsync_ns", "absorbed", "flushes", "write_syscalls"]
FKEY = dict(zip(FC, FC), absorbed="writes_absorbed", flushes="flush_syscalls")


def proc(r):
    v = [r["classes"][c][k] for c in CLS for k in K]
    co = r["coalesce"]
    k = r.get("kernel", {})
    return v + [r["opens"], r["fsyncs"], co["writes_absorbed"],
                co["syscalls"], co["bytes"], co["errors"],
                k.get("read_bytes", 0), k.get("write_bytes", 0),
                r["classes"]["disk"].get("write_syscalls", 0)]


def file_sums(paths):
    tot = [0] * len(PC)
    files = {}
    for p in paths:
        for line in open(p, "rb"):
            if not line.strip():
                continue
            r = json.loads(line)
            tot = [a + b for a, b in zip(tot, proc(r))]
            for f in r["files"]:
                v = [f.get(FKEY[k], 0) for k in FC]
                if any(v):
                    old = files.get(f["path"], [0] * len(FC))
                    files[f["path"]] = [a + b for a, b in zip(old, v)]
    print("|".join(str(x) for x in tot))
    for path in sorted(files):
        print(path + "|" + "|".join(str(x) for x in files[path]))


# Each window once: the hours the rollup has passed from the hourly table
# (the rollup copies their 1-minute rows there and keeps them, so summing
# both tables counted such an hour twice once a new hour began), the rest
# from the 1-minute table.
ROLLED = "(SELECT value FROM meta WHERE key = 'rolled_upto')"


def once(cols, minute, hour):
    return ("SELECT %s FROM %s WHERE ts >= %s UNION ALL "
            "SELECT %s FROM %s WHERE ts < %s" %
            (cols, minute, ROLLED, cols, hour, ROLLED))


def sql():
    cols = ", ".join("sum(%s)" % c for c in PC)
    src = once(", ".join(PC), "proc_min", "proc_hour")
    print("SELECT %s FROM (%s);" % (cols, src), end=" ")
    fcols = ", ".join("sum(%s)" % c for c in FC)
    fsrc = once("path, " + ", ".join(FC), "file_min", "file_hour")
    print("SELECT p.path, %s FROM (%s) x JOIN paths p ON p.id = x.path"
          " GROUP BY p.path ORDER BY p.path;" % (fcols, fsrc))


def gen(template, n, pid0, start=None):
    r = json.loads(open(template, "rb").readline())
    s0 = float(r["start"]) if start is None else float(start)
    dur = float(r["end"]) - float(r["start"])
    out = sys.stdout
    for i in range(n):
        r["pid"] = pid0 + i
        r["exe"] = "/usr/bin/gen%d" % (i % 7)
        st = s0 + i / 1000.0
        line = json.dumps(r, separators=(",", ":"))
        line = line.replace('"start":%s' % json.dumps(r["start"]),
                            '"start":%.3f' % st)
        line = line.replace('"end":%s' % json.dumps(r["end"]),
                            '"end":%.3f' % (st + dur))
        out.write(line + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "file":
        file_sums(sys.argv[2:])
    elif sys.argv[1] == "sql":
        sql()
    else:
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
            sys.argv[5] if len(sys.argv) > 5 else None)
