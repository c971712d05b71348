"""tests/peer/compare.py - check-peer's judge: compares the per-case results
of the three modes that tests/peer/run.sh wrote, reruns every case that
differs, and says which differences are real.

    /usr/bin/python3 tests/peer/compare.py WORKDIR

WORKDIR holds `modules` (the modules run, one a line), and for each mode
(none, shim, nocoalesce) MODE/MODULE.jsonl (tests/peer/regr.py's output)
and MODE/times ("MODULE SECONDS" lines).

A case is a test id (a test with a failing subtest counts as failed) and
its result pass, fail, error or skip; "missing" when a mode did not run it
(its module crashed or timed out).  Each module's own status (run,
skipped, env-changed, crash) is compared as a case named "MODULE (module)".
Cases matching tests/peer/exclude.txt are left out.

A case whose result differs between the modes is run again alone, three
rounds of the three modes (sh tests/peer/mode.sh MODE MODULE -m ID); when
more than 20 cases of a module differ they are run together, and when the
module's status differs the whole module is.  The difference is real when, in the
first run and in every round, the mode without the shim gave the same
result and at least one shim mode a different one; anything else is
flakiness, printed but not failed.  Exits 1 on a real difference or a
module that compared no case.
"""
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import time

MODES = ("none", "shim", "nocoalesce")
RANK = {"skip": 0, "pass": 1, "fail": 2, "error": 3}
ROUNDS = 3
BATCH = 20          # more differing cases in a module: rerun them together
TIMEOUT = "300"     # regrtest --timeout for a rerun, seconds

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOLDER = re.compile(r"^(\w+) \((.+)\)$")    # setUpClass (test.test_x.Cls)


def load_excludes():
    pats = []
    with open(os.path.join(TOP, "tests/peer/exclude.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                pats.append(line.split(None, 1)[0])
    return pats


def excluded(case, pats):
    m = HOLDER.match(case)
    if m:
        case = m.group(2)
    return any(fnmatch.fnmatchcase(case, p) for p in pats)


def load(path, module):
    """{id: (result, message)} for one run of a module, with its status."""
    cases, status = {}, "crash"
    try:
        f = open(path, encoding="utf-8")
    except OSError:
        return cases, status
    with f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue        # a line cut by a crash
            if "module" in rec:
                status = rec["status"]
                continue
            old = cases.get(rec["id"])
            if old is None or RANK[rec["r"]] > RANK[old[0]]:
                cases[rec["id"]] = (rec["r"], rec.get("msg", ""))
    cases[module + " (module)"] = (status, "")
    return cases, status


def rerun(mode, module, ids, workdir):
    """Run the given cases of a module in one mode; {id: result}."""
    fd, out = tempfile.mkstemp(prefix="rerun.", suffix=".jsonl", dir=workdir)
    os.close(fd)
    args = ["sh", os.path.join(TOP, "tests/peer/mode.sh"), mode, module,
            "--timeout", TIMEOUT]
    whole = any(i.endswith(" (module)") for i in ids)
    if not whole:
        pats = []
        for i in ids:
            m = HOLDER.match(i)
            pats.append(m.group(2) + ".*" if m else i)
        mf = out + ".match"
        with open(mf, "w", encoding="utf-8") as f:
            f.write("\n".join(pats) + "\n")
        args += ["--matchfile", mf]
    env = dict(os.environ, PEER_RESULTS=out)
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    cases, _ = load(out, module)
    for p in (out, out + ".match"):
        if os.path.exists(p):
            os.unlink(p)
    return {i: cases.get(i, ("missing", ""))[0] for i in ids}


def log_tail(workdir, mode, module):
    try:
        with open(os.path.join(workdir, mode, module + ".log"),
                  encoding="utf-8", errors="replace") as f:
            return "\n".join(f.read().rstrip().splitlines()[-8:])
    except OSError:
        return ""


def fmt(res):
    return " ".join(f"{m}={r}" for m, r in zip(MODES, res))


def main():
    workdir = sys.argv[1]
    with open(os.path.join(workdir, "modules"), encoding="utf-8") as f:
        modules = f.read().split()
    pats = load_excludes()
    times = {}
    for mode in MODES:
        times[mode] = {}
        try:
            with open(os.path.join(workdir, mode, "times"), encoding="utf-8") as f:
                for line in f:
                    m, s = line.split()
                    times[mode][m] = int(s)
        except OSError:
            pass

    real, flaky, empty = [], [], []
    total_cases = 0
    t0 = time.monotonic()
    print(f"{'module':<20} {'cases':>6}  " + "  ".join(f"{m:>10}" for m in MODES))
    for module in modules:
        runs = {m: load(os.path.join(workdir, m, module + ".jsonl"), module)[0]
                for m in MODES}
        ids = sorted(set().union(*runs.values()))
        ids = [i for i in ids if not excluded(i, pats)]
        n = len(ids) - 1            # the module's status is not a case
        total_cases += n
        secs = "  ".join(f"{str(times[m].get(module, '?')) + 's':>10}" for m in MODES)
        print(f"{module:<20} {n:>6}  {secs}")
        if n <= 0:
            empty.append(module)
        first = {i: tuple(runs[m].get(i, ("missing", ""))[0] for m in MODES)
                 for i in ids}
        diff = [i for i in ids if len(set(first[i])) > 1]
        if not diff:
            continue
        if any(i.endswith(" (module)") for i in diff) or len(diff) > BATCH:
            groups = [diff]         # together (the whole module: see rerun)
        else:
            groups = [[i] for i in diff]
        for g in groups:
            rounds = {i: [first[i]] for i in g}
            for _ in range(ROUNDS):
                got = {m: rerun(m, module, g, workdir) for m in MODES}
                for i in g:
                    rounds[i].append(tuple(got[m][i] for m in MODES))
            for i in g:
                rs = rounds[i]
                base = {r[0] for r in rs}
                consistent = len(base) == 1 and all(len(set(r)) > 1 for r in rs)
                msgs = {m: runs[m].get(i, ("", ""))[1] for m in MODES}
                if i.endswith(" (module)"):
                    msgs = {m: log_tail(workdir, m, module) for m in MODES}
                (real if consistent else flaky).append((module, i, rs, msgs))

    for module, i, rs, msgs in flaky:
        print(f"flaky (not a shim difference): {i}")
        for r in rs:
            print(f"    {fmt(r)}")
    for module, i, rs, msgs in real:
        print(f"DIFFERS: {i}")
        for r in rs:
            print(f"    {fmt(r)}")
        for m in MODES:
            if msgs[m]:
                print(f"    {m}: " + msgs[m].replace("\n", "\n    | "))
    for mode in MODES:
        print(f"{mode}: {sum(times[mode].values())}s")
    if flaky or real:
        print(f"reruns: {time.monotonic() - t0:.0f}s")
    for module in empty:
        print(f"FAIL: {module}: no case compared (see its log)")
    print(f"{total_cases} cases compared in {len(modules)} modules, "
          f"{len(real)} differ, {len(flaky)} flaky")
    return 1 if real or empty else 0


if __name__ == "__main__":
    sys.exit(main())
