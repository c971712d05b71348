"""stats.py - turn bench/run's raw measurements into the figures.

    python3 bench/stats.py RAW.tsv PARAMS MACHINE OUT.json OUT.md

RAW.tsv lines: figure  variant  run  key  value  (one measured value each).
PARAMS and MACHINE: key=value lines written by bench/run.
Prints the table on stdout and writes OUT.json and OUT.md (the same table
in markdown).  Each figure is the median over runs with its min-max;
ratios are taken run by run (the two variants of one run ran back to
back), then summarised, with a 95 % interval for their median (ci95).
"""
import json
import random
import statistics
import sys
from collections import defaultdict

raw_path, params_path, machine_path, out_json, out_md = sys.argv[1:6]


def kv_file(path):
    d = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
    return d


P = kv_file(params_path)
M = kv_file(machine_path)
# data[fig][variant][run][key] = float
data = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
with open(raw_path) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        fig, var, run, key, val = parts
        try:
            data[fig][var][run][key] = float(val)
        except ValueError:
            pass


def vals(fig, var, key, scale=1.0):
    runs = data.get(fig, {}).get(var, {})
    return [r[key] * scale for _, r in sorted(runs.items()) if key in r]


def pair(fig, a, b, key, fn):
    """fn(a_run, b_run) for each run measured in both variants."""
    ra = data.get(fig, {}).get(a, {})
    rb = data.get(fig, {}).get(b, {})
    out = []
    for run in sorted(set(ra) & set(rb)):
        if key in ra[run] and key in rb[run]:
            try:
                out.append(fn(ra[run][key], rb[run][key]))
            except ZeroDivisionError:
                pass
    return out


def ratio(fig, a, b, key="wall_ns"):
    return pair(fig, a, b, key, lambda x, y: x / y)


def diff(fig, a, b, key):
    return pair(fig, a, b, key, lambda x, y: x - y)


def cut(fig, a, b, key="syscw"):
    """Percent of b's syscalls that a does not make."""
    return pair(fig, a, b, key, lambda x, y: 100.0 * (1 - x / y))


rows = []


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "x":
        return "%.3f×" % v
    if unit == "s":
        return "%.3f s" % v if v < 100 else "%.1f s" % v
    if unit == "ns":
        return "%.0f ns" % v if v < 10000 else "%.1f µs" % (v / 1000)
    if unit == "%":
        return "%.2f %%" % v
    if unit == "KiB":
        return "%.0f KiB" % v
    if unit == "ms":
        return "%.1f ms" % v
    if unit == "/s":
        return "%.0f/s" % v
    if unit in ("instr", "faults"):
        return "%.1f" % v
    if unit == "lines/s":
        return "%.0f/s" % v
    return "%.0f" % v


def ci95(samples, rounds=2000):
    """A 95 % interval for the median of samples: the 2.5th and 97.5th
    percentiles of the medians of `rounds` resamples with replacement
    (bootstrap; a fixed seed, so the same data give the same interval)."""
    rng = random.Random(1)
    n = len(samples)
    meds = sorted(statistics.median(rng.choices(samples, k=n))
                  for _ in range(rounds))
    return meds[int(0.025 * rounds)], meds[int(0.975 * rounds) - 1]


def row(sec, rid, label, samples, unit, target=None, origin="", note=""):
    """target: (op, value, text); op '<=' or '>='.  A ratio (unit x) of
    5 runs or more gets ci95, also shown in its note: a target inside it
    is within this machine's noise, met or missed."""
    samples = [s for s in samples if s is not None]
    r = {"section": sec, "id": rid, "label": label, "unit": unit,
         "n": len(samples), "median": None, "min": None, "max": None,
         "target": target[2] if target else "", "met": None,
         "origin": origin, "note": note}
    if samples:
        r["median"] = statistics.median(samples)
        r["min"], r["max"] = min(samples), max(samples)
        if unit == "x" and len(samples) >= 5:
            r["ci95"] = ci95(samples)
            ci = "median's 95 %% interval %s – %s" % (
                fmt(r["ci95"][0], unit), fmt(r["ci95"][1], unit))
            r["note"] = ci + ("; " + note if note else "")
        if target:
            op, tv = target[0], target[1]
            r["met"] = r["median"] <= tv if op == "<=" else r["median"] >= tv
    rows.append(r)
    return r


def origin_cmp(value, op, tv, text):
    """A column comparing one figure with an origin-document target."""
    if value is None:
        return text + ": n/a"
    ok = value <= tv if op == "<=" else value >= tv
    return "%s: %s" % (text, "beats" if ok else "MISSES")


def med(xs):
    return statistics.median(xs) if xs else None


SMOKE = P.get("smoke") == "1"

# 1. Interposition cost ----------------------------------------------------
for loop, per in (("write", 1), ("read", 1), ("send", 2)):
    fig = "loop_" + loop
    calls = float(P.get("loop_n", "0")) * per
    r = ratio(fig, "count", "none")
    rr = row(1, fig + "_ratio",
             "%s loop, %s: wall with shim (count only) / without" %
             (loop, "64 B to /dev/null" if loop == "write" else
              "64 B from /dev/zero" if loop == "read" else "send+recv 64 B socketpair"),
             r, "x", ("<=", 1.03, "≤ 1.03"),
             origin_cmp(med(r), "<=", 1.05, "< 5% overhead"))
    if calls:
        nsn = vals(fig, "none", "wall_ns", 1 / calls)
        nsc = vals(fig, "count", "wall_ns", 1 / calls)
        row(1, fig + "_ns_none", "  %s: ns per call without shim" % loop, nsn, "ns")
        row(1, fig + "_ns_count", "  %s: ns per call with shim" % loop, nsc, "ns")
    # callgrind: per-call instructions added, (S(2N)-S(N) - (B(2N)-B(N))) / calls(N)
    cg = data.get("cg_" + loop, {})
    try:
        n1 = float(P["cg_n"]) * per
        s1 = cg["count"]["n1"]["Ir"]
        s2 = cg["count"]["n2"]["Ir"]
        b1 = cg["none"]["n1"]["Ir"]
        b2 = cg["none"]["n2"]["Ir"]
        added = ((s2 - s1) - (b2 - b1)) / n1
        base = (b2 - b1) / n1
        row(1, "cg_" + loop, "  %s: instructions added per call (callgrind; "
            "libc alone %.0f)" % (loop, base), [added], "instr",
            ("<=", 100, "≤ 100"))
    except KeyError:
        row(1, "cg_" + loop, "  %s: instructions added per call (callgrind)" % loop,
            [], "instr", ("<=", 100, "≤ 100"), note="valgrind not run")
    pf = data.get("perf_" + loop, {})
    try:
        n1 = float(P["cg_n"]) * per
        added = ((pf["count"]["n2"]["instr"] - pf["count"]["n1"]["instr"]) -
                 (pf["none"]["n2"]["instr"] - pf["none"]["n1"]["instr"])) / n1
        row(1, "perf_" + loop, "  %s: instructions added per call (perf stat, user)" % loop,
            [added], "instr", ("<=", 100, "≤ 100"))
    except KeyError:
        pass
if not any(r["id"].startswith("perf_") for r in rows):
    rows.append({"section": 1, "id": "perf", "label": "perf stat -e instructions",
                 "unit": "", "n": 0, "median": None, "min": None, "max": None,
                 "target": "", "met": None, "origin": "",
                 "note": M.get("perf", "not run")})

# 2. Real programs ---------------------------------------------------------
REAL = [("tar", "tar -cf: %s files" % P.get("tree_files", "?")),
        ("gzip", "gzip -c: %s MB text" % P.get("big_mb", "?")),
        ("cp", "cp: %s MB file" % P.get("big_mb", "?")),
        ("sort", "sort (LC_ALL=C): %s MB text" % P.get("sort_mb", "?")),
        ("sqlite3", "sqlite3: %s transactions" % P.get("sql_tx", "?")),
        ("curl", "curl: %s MB from python http.server" % P.get("big_mb", "?"))]
for prog, label in REAL:
    fig = "real_" + prog
    r = ratio(fig, "shim", "none")
    tgt = ("<=", 1.01, "≤ 1.01") if prog in ("tar", "gzip", "sqlite3") else None
    row(2, fig, "%s — wall with shim / without" % label, r, "x", tgt,
        origin_cmp(med(r), "<=", 1.05, "< 5% overhead"),
        note="without: %s" % fmt(med(vals(fig, "none", "wall_ns", 1e-9)), "s"))
    row(2, fig + "_cpu", "  %s: cpu (user+sys) with shim / without" % prog,
        ratio(fig, "shim", "none", "cpu_ns"), "x",
        note="without: %s" % fmt(med(vals(fig, "none", "cpu_ns", 1e-9)), "s"))
    if prog == "tar":
        row(2, fig + "_forward", "  tar under an interposer that only forwards "
            "its calls (bench/passthru.c) / without: the floor",
            ratio(fig, "forward", "none"), "x",
            note="cpu %s" % fmt(med(ratio(fig, "forward", "none", "cpu_ns")), "x"))
        row(2, fig + "_mincount", "  tar under the least counting the issue asks "
            "for (bench/mincount.c) / without: the floor of any counting shim",
            ratio(fig, "mincount", "none"), "x",
            note="cpu %s" % fmt(med(ratio(fig, "mincount", "none", "cpu_ns")), "x"))
        ps = vals("perf_tar", "shim", "shim_samples")
        pm = vals("perf_tar", "shim", "min_samples")
        pt = vals("perf_tar", "shim", "tar_samples")
        if ps and pt:
            row(2, "perf_tar_share", "  tar: the shim's own code, share of the shimmed "
                "runs' CPU samples (perf cpu-clock)", [100.0 * ps[0] / pt[0]], "%",
                note="%.1f of %.0f samples (50 µs) per run; excludes ld.so and the kernel's "
                "work for the shim" % (ps[0], pt[0]))
        if pm and pt:
            row(2, "perf_tar_min_share", "  tar: the least counting's own code "
                "(bench/mincount.c), share of its runs' CPU samples", [100.0 * pm[0] / pt[0]], "%",
                note="%.1f of %.0f samples per run, same rounds as the shim's" % (pm[0], pt[0]))

# 3. Log coalescing --------------------------------------------------------
LOGS = [("log_write", "write() 100 B appends", P.get("log_n")),
        ("log_stdio", "fprintf+fflush logger", P.get("log_n")),
        ("log_py", "python logging.FileHandler", P.get("py_n"))]
for fig, label, n in LOGS:
    n = float(n or 0)
    for v, vl in (("none", "without shim (disk)"), ("shim", "with shim (disk)"),
                  ("buffered", "in-process 64 KiB buffer (disk)"),
                  ("tmpfs", "without shim, log on tmpfs")):
        w = vals(fig, v, "wall_ns", 1e-9)
        sc = vals(fig, v, "syscw")
        by = vals(fig, v, "file_bytes")
        note = "write syscalls %s, file %s B" % (fmt(med(sc), ""), fmt(med(by), ""))
        if v == "shim" and n:
            lps = [n / x for x in w if x > 0]
            row(3, fig + "_wall_" + v, "%s %s: wall" % (label, vl), w, "s",
                origin=origin_cmp(med(lps), ">=", 10000,
                                  "≥ 10,000 lines/s (%s/s)" % fmt(med(lps), "")),
                note=note)
        else:
            row(3, fig + "_wall_" + v, "%s %s: wall" % (label, vl), w, "s", note=note)
    # the issue sets the wall-time targets for the write() appends; the
    # stdio and python loggers are measured beside them, without targets
    wt = fig == "log_write"
    r = ratio(fig, "shim", "none")
    row(3, fig + "_ratio", "  %s: wall with shim / without" % label, r, "x",
        ("<=", 0.2, "≤ 0.2") if wt else None)
    r = ratio(fig, "shim", "buffered")
    row(3, fig + "_vsbuf", "  %s: wall with shim / in-process buffered" % label, r,
        "x", ("<=", 2.0, "≤ 2") if wt else None)
    r = ratio(fig, "shim", "tmpfs")
    row(3, fig + "_vstmpfs", "  %s: wall with shim (disk) / without on tmpfs" % label,
        r, "x")
    c = cut(fig, "shim", "none")
    row(3, fig + "_cut", "  %s: write syscalls cut by the shim" % label, c, "%",
        (">=", 99.0, "≥ 99 %"),
        origin_cmp(med(c), ">=", 95.0, "90–95% fewer disk writes"))
    if fig != "log_py":
        lat = fig + "_lat"
        for v, vl in (("shim", "with shim"), ("none", "without shim"),
                      ("buffered", "in-process buffered"), ("tmpfs", "tmpfs")):
            p99 = vals(lat, v, "p99_ns")
            tgt = ("<=", 2000, "≤ 2 µs") if v == "shim" else None
            row(3, lat + "_" + v, "  %s: cost per append %s, p99" % (label, vl),
                p99, "ns", tgt,
                origin_cmp(med(p99), "<=", 10e6, "p99 < 10 ms") if v == "shim" else "",
                note="p50 %s, p99.9 %s, max %s" % (
                    fmt(med(vals(lat, v, "p50_ns")), "ns"),
                    fmt(med(vals(lat, v, "p999_ns")), "ns"),
                    fmt(med(vals(lat, v, "max_ns")), "ns")))

# 4. fsync-heavy -----------------------------------------------------------
fig = "fsync_sqlite"
for v, vl in (("none", "without shim"), ("shim", "with shim"),
              ("eatmydata", "eatmydata (fsync dropped)"),
              ("batched", "batched 100 per transaction, no shim")):
    row(4, fig + "_" + v, "sqlite3 %s inserts, one commit each — %s: wall" %
        (P.get("fsync_n", "?"), vl), vals(fig, v, "wall_ns", 1e-9), "s")
r = ratio(fig, "shim", "none")
row(4, fig + "_ratio", "  sqlite3 per-statement commits: wall with shim / without",
    r, "x", origin=origin_cmp(med(r), "<=", 1.05, "< 5% overhead"))
r = ratio(fig, "batched", "none")
row(4, fig + "_batch", "  batching 100 per transaction (origin's fix) / per-statement",
    r, "x", origin="100 batched DB writes in one transaction: reference")
r = ratio(fig, "eatmydata", "none")
row(4, fig + "_eat", "  eatmydata / per-statement (what dropping fsync buys)", r, "x")
fs = vals("fsync_count", "shim", "fsyncs")
row(4, "fsync_count", "  fsync-family calls counted by the shim (report)", fs, "",
    note="disk writes counted: %s" % fmt(med(vals("fsync_count", "shim", "disk_writes")), ""))

# 5. Collector -------------------------------------------------------------
if "coll_window" in P:
    cw = P["coll_window"]
    for snd in ("1", "8", "64"):
        fig = "coll_ingest_" + snd
        runs = data.get(fig, {}).get("ioshimd", {})
        rate = [r["accepted"] / r["secs"] for r in runs.values()
                if "accepted" in r and r.get("secs")]
        drops = [r.get("dropped", 0) + r.get("send_drops", 0) for r in runs.values()]
        offered = [(r.get("sent", 0) + r.get("send_drops", 0)) / r["secs"]
                   for r in runs.values() if r.get("secs")]
        row(5, fig, "collector ingest, %s concurrent sender(s): messages/s accepted" % snd,
            rate, "", note="offered %s/s; dropped (collector + sender queue full) %s" %
            (fmt(med(offered), ""), fmt(med(drops), "")))
    idle = data.get("coll_idle", {}).get("ioshimd", {}).get("1", {})
    if idle.get("secs"):
        row(5, "coll_idle_disk", "collector's own disk writes at idle, bytes/hour "
            "(window %s s)" % cw, [idle["write_bytes"] * 3600 / idle["secs"]], "")
    ld = [r["write_bytes"] * 3600 / r["secs"]
          for f in ("coll_ingest_8",) for r in data.get(f, {}).get("ioshimd", {}).values()
          if r.get("secs") and "write_bytes" in r]
    row(5, "coll_load_disk", "collector's own disk writes under load (8 senders), bytes/hour",
        ld, "")
    for k in P.get("coll_hold_k", "").split():
        h = data.get("coll_hold_" + k, {}).get("ioshimd", {}).get("1", {})
        hs = float(P.get("coll_hold_s", "0"))
        row(5, "coll_rss_" + k, "ioshimd RSS with %s reporting processes" % k,
            [h["rss_kb"]] if "rss_kb" in h else [], "KiB",
            note="dropped %s" % fmt(h.get("dropped"), ""))
    # Paced ingest, 64 senders: the highest rate every run of which had
    # zero drops (at the senders or in the collector).
    best, ladder = None, []
    rate_s = float(P.get("coll_rate_s", "1"))
    for rate in P.get("coll_rates", "").split():
        runs = data.get("coll_rate_" + rate, {}).get("ioshimd", {}).values()
        drops = [r.get("send_drops", 0) + r.get("dropped", 0) for r in runs]
        if not drops:
            continue
        ladder.append("%s/s: %d of %d runs without drops (median dropped %s)" % (
            rate, sum(1 for d in drops if d == 0), len(drops), fmt(med(drops), "")))
        if all(d == 0 for d in drops):
            best = max(best or 0, float(rate))
        row(5, "coll_rate_" + rate, "  64 paced senders offering %s messages/s: messages/s "
            "accepted" % rate,
            [r["accepted"] / rate_s for r in runs if "accepted" in r], "/s",
            note="dropped %s (median), runs without drops %d/%d" % (
                fmt(med(drops), ""), sum(1 for d in drops if d == 0), len(drops)))
    if ladder:
        row(5, "coll_rate_best", "collector ingest, 64 concurrent paced senders: highest "
            "rate with zero drops in every run", [best] if best else [], "/s",
            (">=", 100000, "≥ 100000/s"), note="; ".join(ladder))
    q = data.get("coll_qdb", {}).get("ioshimd", {}).get("1", {})
    qp = P.get("coll_qdb", "").split()
    if q.get("process_hours"):
        row(5, "coll_db_bytes_ph", "database bytes per process-hour (%s processes x %s days "
            "of 1-minute windows, 1 file each, with hourly rollups)" % (qp[0], qp[1]),
            [q["db_bytes"] / q["process_hours"]], "",
            note="database %s bytes, %s rows; built in %s s" % (
                fmt(q["db_bytes"], ""), fmt(q.get("rows"), ""), fmt(q.get("secs"), "")))
    for qid, what in (("top7d_process", "`top` by process, 7 days"),
                      ("top7d_exe", "`top` by exe, 7 days"),
                      ("top1h_process", "`top` by process, last hour"),
                      ("top1h_exe", "`top` by exe, last hour"),
                      ("hist7d", "`history` of an exe, 7 days, hourly points"),
                      ("hist1h", "`history` of an exe, last hour, minute points")):
        fig = "coll_q_" + qid
        row(5, fig, "query %s (%s processes x %s days stored): p95 latency" % (
            what, qp[0] if qp else "?", qp[1] if len(qp) > 1 else "?"),
            [x / 1000 for x in vals(fig, "ioshimd", "p95_us")], "ms",
            ("<=", 50, "≤ 50 ms"),
            note="p50 %s; %s requests per run" % (
                fmt(med([x / 1000 for x in vals(fig, "ioshimd", "p50_us")]), "ms"),
                qp[2] if len(qp) > 2 else "?"))
else:
    rows.append({"section": 5, "id": "collector", "label": "collector (ioshimd) benchmarks",
                 "unit": "", "n": 0, "median": None, "min": None, "max": None,
                 "target": "", "met": None, "origin": "",
                 "note": M.get("collector", "skipped")})

# 6. Memory ----------------------------------------------------------------
for k in ("0", P.get("mem_files", "1000")):
    fig = "mem_%s" % k
    what = "small program" if k == "0" else "%s open log files" % k
    row(6, fig + "_rss", "shim RSS overhead, %s (VmRSS at end)" % what,
        diff(fig, "shim", "none", "rss_kb"), "KiB",
        note="without: %s" % fmt(med(vals(fig, "none", "rss_kb")), "KiB"))
    row(6, fig + "_hwm", "shim peak RSS overhead, %s (VmHWM)" % what,
        diff(fig, "shim", "none", "hwm_kb"), "KiB")
if "coll_window" not in P:
    rows.append({"section": 6, "id": "mem_ioshimd",
                 "label": "ioshimd RSS with 1,000 reporting processes",
                 "unit": "", "n": 0, "median": None, "min": None, "max": None,
                 "target": "", "met": None, "origin": "",
                 "note": M.get("collector", "skipped")})

# 7. Scale -----------------------------------------------------------------
for k in P.get("scale_k", "").split():
    fig = "scale_%s" % k
    n = float(P.get("scale_n", "0"))
    r = ratio(fig, "shim", "none")
    row(7, fig + "_ratio", "%s log files round robin (%d appends): wall with shim / without"
        % (k, n), r, "x", None,
        note="per append with shim %s, without %s" % (
            fmt(med([x / n for x in vals(fig, "shim", "wall_ns")]) if n else None, "ns"),
            fmt(med([x / n for x in vals(fig, "none", "wall_ns")]) if n else None, "ns")))
    # IOSHIM_MEM_KB (default 4096) shared by k files allows at most
    # mem/k bytes per write: the best cut it leaves, beside the figure
    best = 100.0 * (1 - 100.0 / (4096 * 1024 / int(k))) if int(k) > 0 else 100.0
    c = cut(fig, "shim", "none")
    row(7, fig + "_cut", "  %s files: write syscalls cut" % k, c, "%",
        (">=", 99.0, "≥ 99 %"),
        origin_cmp(med(c), ">=", 95.0, "90–95% fewer disk writes"),
        note="the default memory bound allows at most %.2f %%" % best
        if best < 99.0 else "")

# 8. Spawning --------------------------------------------------------------
for fig, label in (
        ("spawn_true_1", "vfork+exec+wait of /bin/true from a 1 MiB process"),
        ("spawn_true_%s" % P.get("spawn_mb", "?"),
         "vfork+exec+wait of /bin/true from a %s MiB process" % P.get("spawn_mb", "?")),
        ("spawn_missing_1", "vfork+failed exec from a 1 MiB process"),
        ("spawn_missing_%s" % P.get("spawn_mb", "?"),
         "vfork+failed exec from a %s MiB process" % P.get("spawn_mb", "?")),
        ("popen_true", "python subprocess.Popen(['/bin/true']).wait()"),
        ("popen_missing", "python subprocess.Popen of a missing program")):
    r = ratio(fig, "shim", "none", "per_spawn_ns")
    row(8, fig, "%s: per spawn with shim / without" % label, r, "x",
        ("<=", 1.10, "≤ 1.10"),
        note="per spawn with shim %s, without %s" % (
            fmt(med(vals(fig, "shim", "per_spawn_ns")), "ns"),
            fmt(med(vals(fig, "none", "per_spawn_ns")), "ns")))

if vals("true_loop", "none", "wall_ns"):
    row(8, "true_loop", "shell loop spawning /bin/true 200 times: wall with shim / without",
        ratio("true_loop", "shim", "none"), "x", ("<=", 1.10, "≤ 1.10"),
        note="without %s" % fmt(med(vals("true_loop", "none", "wall_ns")), "ns"))
    row(8, "true_loop_floor", "  the same with a do-nothing preloaded library (the floor) / without",
        ratio("true_loop", "forward", "none"), "x")
    # page faults: exact, where the wall time is noise (a fault costs
    # 0.1-0.5 us on bare metal, 10 us and more in some VMs)
    for v, what in (("none", "without"), ("forward", "do-nothing library"), ("shim", "shim")):
        if vals("true_loop", v, "minflt"):
            row(8, "true_loop_minflt_" + v, "  minor page faults per /bin/true of the loop, %s" % what,
                [x / 200 for x in vals("true_loop", v, "minflt")], "faults")

# 9. Open-append-close loops ----------------------------------------------
if vals("shloop", "none", "wall_ns"):
    row(9, "shloop_ratio", "bash `echo >> log` loop (%s lines): wall with shim / without"
        % P.get("shloop_n", "?"), ratio("shloop", "shim", "none"), "x",
        ("<=", 1.0, "≤ 1.0"))
    row(9, "shloop_cut", "  write syscalls cut", cut("shloop", "shim", "none"), "%",
        (">=", 99.0, "≥ 99 %"))
if vals("rotating", "none", "wall_ns"):
    row(9, "rotating_ratio", "python RotatingFileHandler (%s records): wall with shim / without"
        % P.get("rot_n", "?"), ratio("rotating", "shim", "none"), "x",
        ("<=", 0.9, "≤ 0.9"))
    row(9, "rotating_cut", "  write syscalls cut", cut("rotating", "shim", "none"), "%",
        (">=", 99.0, "≥ 99 %"))
# 10. Import ------------------------------------------------------------------
imp_n = float(P.get("imp_n", "0"))
for bsz in ("100", "1000"):
    fig = "imp_rate_" + bsz
    runs = data.get(fig, {}).get("ioshimd", {}).values()
    wall = [r["records"] / (r["wall_ns"] / 1e9) for r in runs if r.get("wall_ns")]
    cpu = [r["records"] / (r["cpu_ticks"] / r["hz"]) for r in runs
           if r.get("cpu_ticks") and r.get("hz")]
    if wall:
        row(10, fig, "import of %d exit-report records, --batch %s%s: records/s" % (
            imp_n, bsz, " (default)" if bsz == "100" else ""), wall, "/s",
            (">=", 100000, "≥ 100000/s"),
            note="per second of the collector's CPU: %s" % fmt(med(cpu), "/s"))
again = [x / 1e6 for x in vals("imp_again", "ioshimd", "wall_ns")]
if again:
    runs = data.get("imp_again", {}).get("ioshimd", {}).values()
    work = [(r["wall_ns"] - r["start_ns"]) / 1e6 for r in runs
            if "wall_ns" in r and "start_ns" in r]
    row(10, "imp_again", "import of the same %d records again, unchanged: wall "
        "less the program's start (`ioshim --version`)" % imp_n,
        work, "ms", ("<=", 10, "≤ 10 ms"),
        note="whole command %s; start alone %s" % (fmt(med(again), "ms"),
            fmt(med([r["start_ns"] / 1e6 for r in runs if "start_ns" in r]), "ms")))
d = data.get("imp_db", {}).get("ioshimd", {}).get("1", {})
if d.get("records"):
    row(10, "imp_db_bytes", "database bytes per imported record (1 file each, "
        "1-minute rows)", [d["db_bytes"] / d["records"]], "",
        note="database %s bytes" % fmt(d["db_bytes"], ""))

# 11. Debounced saves --------------------------------------------------------
if vals("dbsave", "none", "wall_ns"):
    n = P.get("db_secs", "?")
    for v, vl in (("none", "without"), ("debounce", "with IOSHIM_DEBOUNCE")):
        row(11, "dbsave_p99_" + v, "10 KB JSON saved 1000/s for %s s: one save %s, p99"
            % (n, vl), vals("dbsave", v, "p99_ns"), "ns",
            note="p50 %s" % fmt(med(vals("dbsave", v, "p50_ns")), "ns"))
    row(11, "dbsave_syscw_cut", "  write syscalls cut", cut("dbsave", "debounce", "none"), "%")
    row(11, "dbsave_wchar_cut", "  bytes handed to write calls cut (/proc/PID/io wchar)",
        cut("dbsave", "debounce", "none", "wchar"), "%")
    c = data.get("dbsave_calls", {})
    cn, cd = c.get("none", {}).get("1", {}), c.get("debounce", {}).get("1", {})
    if cn.get("onto") and "onto" in cd:
        row(11, "dbsave_onto_cut", "  renames onto the state file cut (strace)",
            [100.0 * (1 - cd["onto"] / cn["onto"])], "%", (">=", 99.0, "≥ 99 %"),
            note="%d → %d; all renames %d → %d; writes %d → %d" % (
                cn["onto"], cd["onto"], cn["renames"], cd["renames"],
                cn["writes"], cd["writes"]))
    if cn.get("writes") and "writes" in cd:
        row(11, "dbsave_writes_cut", "  write system calls cut (strace: write, "
            "pwrite64, writev)", [100.0 * (1 - cd["writes"] / cn["writes"])], "%",
            (">=", 99.0, "≥ 99 %"), note="%d → %d" % (cn["writes"], cd["writes"]))
    if cn.get("renames") and "renames" in cd:
        row(11, "dbsave_renames_cut", "  rename system calls cut (strace, all)",
            [100.0 * (1 - cd["renames"] / cn["renames"])], "%",
            (">=", 99.0, "≥ 99 %"), note="%d → %d" % (cn["renames"], cd["renames"]))

# Output --------------------------------------------------------------------
def cells(r):
    med_ = fmt(r["median"], r["unit"])
    rng = "" if r["min"] is None or r["n"] < 2 else \
        "%s – %s" % (fmt(r["min"], r["unit"]), fmt(r["max"], r["unit"]))
    met = "" if r["met"] is None else ("met" if r["met"] else "MISSED")
    if SMOKE and met:
        met = "(smoke)"
    return [str(r["section"]), r["label"], med_, rng, str(r["n"]) if r["n"] else "",
            r["target"], met, r["origin"], r["note"]]


head = ["§", "figure", "median", "min – max", "n", "target", "", "origin target", "notes"]
table = [head] + [cells(r) for r in rows]
widths = [max(len(t[i]) for t in table) for i in range(len(head))]
widths[8] = 0
for t in table:
    print("  ".join(c.ljust(widths[i]) if widths[i] else c
                    for i, c in enumerate(t)).rstrip())

with open(out_md, "w") as f:
    f.write("| " + " | ".join(head) + " |\n")
    f.write("|" + "|".join("---" for _ in head) + "|\n")
    for t in table[1:]:
        f.write("| " + " | ".join(c.replace("|", "\\|") for c in t) + " |\n")

raw_out = {fig: {v: dict(runs) for v, runs in vs.items()} for fig, vs in data.items()}
with open(out_json, "w") as f:
    json.dump({"machine": M, "params": P, "figures": rows, "raw": raw_out}, f,
              indent=1, sort_keys=False)
    f.write("\n")

missed = [r["id"] for r in rows if r["met"] is False]
if SMOKE:
    print("\n%d figures (smoke run: tiny sizes, targets not assessed)" % len(rows))
    sys.exit(0)
print("\n%d figures, %d with a target: %d met, %d missed%s" % (
    len(rows), sum(1 for r in rows if r["met"] is not None),
    sum(1 for r in rows if r["met"]), len(missed),
    (" (" + ", ".join(missed) + ")") if missed else ""))
