"""impgen.py N [START] - N exit-report records on stdout, shaped exactly as
shim/report.c writes them (every key, one log file each), for the import
benchmark (bench/run section 10): pids 1000.., 50 executables, starts
spread over the 10 minutes before START (default: now - 60 s)."""
import sys
import time

n = int(sys.argv[1])
end = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time()) - 60
zero = '{"read_bytes":0,"write_bytes":0,"reads":0,"writes":0}'
zerow = '{"read_bytes":0,"write_bytes":0,"reads":0,"writes":0,"write_syscalls":0}'
head = '{"pid":%d,"ppid":1,"exe":"/usr/bin/app-%02d","comm":"app-%02d",'
rest = ('"start":%d.%03d,"end":%d.%03d,"end_reason":"exit","exit_code":0,'
        '"classes":{"disk":{"read_bytes":%d,"write_bytes":%d,"reads":%d,'
        '"writes":%d,"write_syscalls":%d},"memfs":' + zerow + ',"socket":' + zero + ',"pipe":' +
        zero + ',"tty":' + zero + ',"other":' + zero + '},"opens":3,'
        '"fsyncs":1,"dropped":0,"kernel":{"read_bytes":0,"write_bytes":%d},'
        '"coalesce":{"writes_absorbed":%d,'
        '"syscalls":%d,"bytes":%d,"reasons":{"size":0,"age":0,"priority":0,'
        '"memory":0,"sync":0,"close":0,"read":0,"fork":0,"exec":0,'
        '"exit":%d,"signal":0},"errors":0,"spill_dir":"",'
        '"salvaged_spills":0,"salvaged_bytes":0},"files":[{"path":'
        '"/var/log/app-%02d.log","class":"disk","opens":1,"read_bytes":0,'
        '"write_bytes":%d,"reads":0,"writes":%d,"fsyncs":1,"write_ns":%d,'
        '"fsync_ns":%d,"writes_absorbed":%d,"flush_syscalls":%d,'
        '"write_syscalls":%d,'
        '"write_sizes":[%d,0,0,0,0,0]}]}\n')
out = sys.stdout
t0 = end - 600
buf = []
for i in range(n):
    e = i % 50
    st = t0 * 1000 + i * 600000 // n
    w = 100 + i % 4000
    k = 5 + i % 20
    buf.append(head % (1000 + i % 4000000, e, e))
    buf.append(rest % (st // 1000, st % 1000, (st + 7) // 1000, (st + 7) % 1000,
                       w, w, 1, k, 1, w // 4096 * 4096 + 4096, k, 1, w, 1,
                       e, w, k, 1000 + w, 2000, k, 1, 1, k))
    if len(buf) >= 20000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
