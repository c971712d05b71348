# db_saver.py TARGET SECONDS RATE [readback|exec|badexec]: saves a JSON state the
# way many programs do (json.dump to a temporary file, os.replace onto
# the state file) RATE times a second for SECONDS.  Save i is
# {"seq": i, ...}.  readback: every 50th save the file is read back at
# once and must be that save (the program sees its own state); exec: at
# the end the process execs cat on the state file; badexec: an exec that
# fails (ENOENT), then 10 more saves.  Prints the saves made.
import json, os, sys, time

path, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
extra = sys.argv[4] if len(sys.argv) > 4 else ""
tmp = path + ".tmp"
n = int(secs * rate)
t0 = time.monotonic()
for i in range(n):
    state = {"seq": i, "items": [{"k": j, "v": "x" * 20} for j in range(40)]}
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)
    if extra == "readback" and i % 50 == 0:
        with open(path) as f:
            got = json.load(f)
        if got != state:
            sys.exit("readback: save %d read back as %r" % (i, got.get("seq")))
    dt = t0 + (i + 1) / rate - time.monotonic()
    if dt > 0:
        time.sleep(dt)
print(n, flush=True)
if extra == "exec":
    os.execv("/bin/cat", ["cat", path])
if extra == "badexec":
    try:
        os.execv("/nonexistent/ioshim-test", ["x"])
    except FileNotFoundError:
        pass
    for i in range(n, n + 10):
        with open(tmp, "w") as f:
            json.dump({"seq": i}, f)
        os.replace(tmp, path)
    print(n + 10, flush=True)
