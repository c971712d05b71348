# db_reader.py TARGET STOPFILE: reads TARGET as fast as it can until
# STOPFILE exists; every read must be a complete JSON state whose seq
# never goes back.  Prints "reads N torn T back B lag_max S" (lag: the
# longest time one seq was seen unchanged while the writer ran).
import json, os, sys, time

path, stop = sys.argv[1], sys.argv[2]
reads = torn = back = 0
last, since, lag = -1, time.monotonic(), 0.0
while not os.path.exists(stop):
    try:
        with open(path) as f:
            data = f.read()
    except FileNotFoundError:
        continue
    reads += 1
    try:
        seq = json.loads(data)["seq"]
    except ValueError:
        torn += 1
        continue
    now = time.monotonic()
    if seq < last:
        back += 1
    elif seq > last:
        if last >= 0:
            lag = max(lag, now - since)
        last, since = seq, now
print("reads %d torn %d back %d lag_max %.3f" % (reads, torn, back, lag))
