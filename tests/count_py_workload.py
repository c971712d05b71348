# count_py_workload.py - what t-count-python.sh runs under the shim with
# /usr/bin/python3: file, socket and pipe I/O, and a child process.
# Prints the bytes it moved per kind, as the program sees them.
import os, socket, subprocess, sys, threading

d = sys.argv[1]
moved = {"file_w": 0, "file_r": 0, "sock_w": 0, "sock_r": 0,
         "pipe_w": 0, "pipe_r": 0, "shm_w": 0}

# files: unbuffered and buffered writes, then reads
with open(os.path.join(d, "py.bin"), "wb", buffering=0) as f:
    for i in range(200):
        moved["file_w"] += f.write(bytes([i % 256]) * (i * 37 + 1))
with open(os.path.join(d, "py.txt"), "w") as f:
    for i in range(5000):
        moved["file_w"] += f.write("line %d of the text file\n" % i)
for name in ("py.bin", "py.txt"):
    with open(os.path.join(d, name), "rb") as f:
        while True:
            b = f.read(3000)
            if not b:
                break
            moved["file_r"] += len(b)
fd = os.open("/dev/shm/ioshim-t-py.%d" % os.getpid(), os.O_CREAT | os.O_WRONLY, 0o600)
moved["shm_w"] += os.write(fd, b"m" * 12345)
os.close(fd)
os.unlink("/dev/shm/ioshim-t-py.%d" % os.getpid())

# a TCP connection over loopback, both ends in this process
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
got = []

def serve():
    c, _ = srv.accept()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.sendall(b"ok %d\n" % n)
    c.close()
    got.append(n)

t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(srv.getsockname())
payload = os.urandom(500000)
cl.sendall(payload)
cl.shutdown(socket.SHUT_WR)
reply = b""
while True:
    b = cl.recv(100)
    if not b:
        break
    reply += b
cl.close()
t.join()
srv.close()
moved["sock_w"] += len(payload) + len(reply)
moved["sock_r"] += got[0] + len(reply)

# a pipe within the process
r, w = os.pipe()
moved["pipe_w"] += os.write(w, b"p" * 4000)
moved["pipe_r"] += len(os.read(r, 10000))
os.close(r)
os.close(w)

# a child (/bin/cat) fed and read through pipes
out = subprocess.run(["/bin/cat"], input=b"c" * 70000, stdout=subprocess.PIPE,
                     check=True).stdout
moved["pipe_w"] += 70000
moved["pipe_r"] += len(out)

with open(os.path.join(d, "py.moved"), "w") as f:
    f.write(" ".join("%s=%d" % kv for kv in sorted(moved.items())) + "\n")
