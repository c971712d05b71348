#!/usr/bin/python3
"""colldb.py - fill a collector database with N days of 1-minute windows.

    colldb.py DB PROCS DAYS [FILES_PER_PROC]

DB must have been created by collector/ioshimd (so the schema is the
store's own, made by its migrate()); this script refuses any other schema
version.  It then writes what ioshimd would have stored had PROCS
processes reported every minute for DAYS days, each writing to
FILES_PER_PROC files (default 1):

  images     one row per process image (pid, start_ticks, image_ns, exe
             among 50 executables, uid 0 or 1000)
  proc_min   one row per window and image (ts = window start, every 60 s)
  file_min   one row per window, image and file
  proc_hour, file_hour
             the hourly rollup of every complete hour, made with the same
             SQL as the collector's retain() (sum, count, max per counter)
  exe_min, exe_hour
             proc_min and proc_hour summed per window (hour), executable
             and uid, as the collector stores them
  meta       rolled_upto = the current hour, as after the collector's own
             rollups

Counter values are pseudo-random with plausible magnitudes; zero counters
are stored as the schema's default 0, as the collector does.  The column
lists come from the tables themselves, so the rows match the schema.
Prints key=value words: rows, secs, db_bytes, process_hours.
"""
import os
import random
import sqlite3
import sys
import time



def store_schema():
    """STORE_SCHEMA of collector/store.h: the version ioshimd creates."""
    h = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                     "collector", "store.h")
    with open(h) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[:2] == ["#define", "STORE_SCHEMA"]:
                return int(w[2])
    sys.exit("colldb: no STORE_SCHEMA in %s" % h)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, procs, days = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    nfiles = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    t_start = time.monotonic()
    db = sqlite3.connect(path, isolation_level=None)
    v = db.execute("PRAGMA user_version").fetchall()[0][0]
    STORE_SCHEMA = store_schema()
    if v != STORE_SCHEMA:
        sys.exit("colldb: schema version %d, expected %d (create the "
                 "database with collector/ioshimd first)" % (v, STORE_SCHEMA))
    if db.execute("SELECT count(*) FROM proc_min").fetchall()[0][0]:
        sys.exit("colldb: %s already has windows" % path)
    pcols = [r[1] for r in db.execute("PRAGMA table_info(proc_min)")][3:]
    fcols = [r[1] for r in db.execute("PRAGMA table_info(file_min)")][5:]
    # Bulk load without a journal, then back to WAL (as the collector
    # keeps it); nobody else has the file open.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-65536")
    now = int(time.time())
    t1 = now // 60 * 60                     # the open window starts here
    t0 = t1 - int(days * 86400)
    rnd = random.Random(1)
    db.execute("BEGIN")
    for i in range(procs):
        pid = 10000 + i
        exe = "/usr/bin/app-%02d" % (i % 50)
        db.execute("INSERT INTO images(pid, start_ticks, image_ns, uid, gid,"
                   " ppid, comm, exe, first_ts, last_ts, state, end_reason,"
                   " end_code, seq, base) VALUES(?,?,?,?,?,?,?,?,?,?,0,0,0,?,?)",
                   (pid, 1000 + rnd.randrange(10**6), (t0 - 5) * 10**9 + i,
                    1000 if i % 2 else 0, 1000 if i % 2 else 0, 1,
                    "app-%02d" % (i % 50), exe, t0, t1, int(days * 1440),
                    bytes(8 * len(pcols))))
        for k in range(nfiles):
            db.execute("INSERT OR IGNORE INTO paths(path) VALUES(?)",
                       ("/var/log/app-%02d/%d.log" % (i % 50, k),))
    # Plausible magnitudes per minute for a busy-ish process; the rest 0.
    pv = {
        "disk_write_bytes": "4096 * (abs(random()) % 256)",
        "disk_writes": "abs(random()) % 600",
        "disk_read_bytes": "4096 * (abs(random()) % 16)",
        "disk_reads": "abs(random()) % 40",
        "socket_write_bytes": "abs(random()) % 100000",
        "socket_writes": "abs(random()) % 100",
        "opens": "abs(random()) % 8",
        "fsyncs": "abs(random()) % 3",
        "absorbed": "abs(random()) % 590",
        "flush_syscalls": "abs(random()) % 10",
        "flush_bytes": "4096 * (abs(random()) % 256)",
        "kernel_write_bytes": "4096 * (abs(random()) % 300)",
    }
    fv = {
        "opens": "abs(random()) % 2",
        "write_bytes": "4096 * (abs(random()) % 256)",
        "writes": "abs(random()) % 600",
        "write_ns": "abs(random()) % 3000000",
        "fsyncs": "abs(random()) % 3",
        "fsync_ns": "abs(random()) % 10000000",
        "absorbed": "abs(random()) % 590",
        "flushes": "abs(random()) % 10",
    }
    win = ("WITH RECURSIVE t(ts) AS (SELECT %d UNION ALL SELECT ts + 60 FROM t"
           " WHERE ts + 60 < %d) " % (t0, t1))
    db.execute(win + "INSERT INTO proc_min(ts, image, uid, %s) SELECT t.ts,"
               " i.id, i.uid, %s FROM t CROSS JOIN images i"
               % (", ".join(pcols), ", ".join(pv.get(c, "0") for c in pcols)))
    if nfiles:
        db.execute("CREATE TEMP TABLE ip AS SELECT i.id AS image, i.uid AS uid,"
                   " p.id AS path FROM images i JOIN paths p ON p.path >="
                   " '/var/log/' || i.comm || '/' AND p.path < '/var/log/' ||"
                   " i.comm || '0' ORDER BY i.id, p.id")
        db.execute(win + "INSERT INTO file_min(ts, image, path, uid, cls, %s)"
                   " SELECT t.ts, ip.image, ip.path, ip.uid, 0, %s FROM t"
                   " CROSS JOIN ip"
                   % (", ".join(fcols), ", ".join(fv.get(c, "0") for c in fcols)))
    # The hourly rollup, as retain() in collector/store.c does it.
    h0, h1 = t0 // 3600 * 3600, now // 3600 * 3600
    for tab, key, cols, extra in (("proc", "image", pcols, ""),
                                  ("file", "image, path", fcols, ", max(cls)")):
        db.execute("INSERT INTO %s_hour(ts, %s, uid%s, n, %s, %s) SELECT"
                   " ts / 3600 * 3600, %s, min(uid)%s, count(*), %s, %s FROM"
                   " %s_min WHERE ts >= %d AND ts < %d GROUP BY ts / 3600, %s"
                   % (tab, key, ", cls" if extra else "",
                      ", ".join(cols), ", ".join(c + "_max" for c in cols),
                      key, extra, ", ".join("sum(%s)" % c for c in cols),
                      ", ".join("max(%s)" % c for c in cols),
                      tab, h0, h1, key))
    # Per executable and uid (schema 3), as the collector's migrate() fills
    # them from the rows above and store_flush()/retain() keep them.
    for tab, src in (("exe_min", "proc_min"), ("exe_hour", "proc_hour")):
        db.execute("INSERT INTO %s(ts, exe, uid, %s) SELECT x.ts,"
                   " coalesce(i.exe, ''), x.uid, %s FROM %s x JOIN images i"
                   " ON i.id = x.image GROUP BY 1, 2, 3"
                   % (tab, ", ".join(pcols),
                      ", ".join("sum(x.%s)" % c for c in pcols), src))
    db.execute("INSERT INTO meta VALUES('rolled_upto', ?) ON CONFLICT(key)"
               " DO UPDATE SET value = excluded.value", (h1,))
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
    rows = db.execute("SELECT (SELECT count(*) FROM proc_min) +"
                      " (SELECT count(*) FROM file_min)").fetchall()[0][0]
    db.close()
    print("rows=%d secs=%.1f db_bytes=%d process_hours=%.0f" % (
        rows, time.monotonic() - t_start, os.path.getsize(path),
        procs * (t1 - t0) / 3600.0))


if __name__ == "__main__":
    main()
