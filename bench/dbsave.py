# bench/dbsave.py PATH SECONDS RATE: a program that saves its whole state,
# a ~10 KB JSON, RATE times a second for SECONDS, the way many do
# (json.dump to a temporary file, os.replace onto the state file).
# Prints saves=N and the wall time of one save (dump + replace): p50_ns,
# p99_ns, max_ns.
import json, os, sys, time

path, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
tmp = path + ".tmp"
n = int(secs * rate)
lat = []
t0 = time.monotonic()
for i in range(n):
    state = {"seq": i, "sessions": {"s%03d" % j: {"user": "u%d" % j,
             "seen": i - j, "data": "x" * 60} for j in range(100)}}
    s = time.perf_counter_ns()
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)
    lat.append(time.perf_counter_ns() - s)
    dt = t0 + (i + 1) / rate - time.monotonic()
    if dt > 0:
        time.sleep(dt)
lat.sort()
print("saves=%d bytes=%d p50_ns=%d p99_ns=%d max_ns=%d" % (n, os.path.getsize(path),
      lat[len(lat) // 2], lat[len(lat) * 99 // 100], lat[-1]))
