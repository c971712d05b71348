"""pylog.py - python's logging writing N records to a file.

    python3 pylog.py handler|buffered PATH N

handler:  logging.FileHandler (mode "a": O_APPEND), which flushes after
          every record: one write(2) per line.
buffered: the same records and formatter, through a stream opened with a
          64 KiB buffer and never flushed per record: the in-process
          physical-limit reference.
Each record is formatted to a line of about 100 bytes.
"""
import logging
import sys


class BufferedHandler(logging.StreamHandler):
    def __init__(self, path):
        super().__init__(open(path, "a", buffering=65536, encoding="utf-8"))

    def flush(self):
        pass  # written when the 64 KiB buffer fills, and at close

    def close(self):
        self.stream.close()
        super().close()


def main():
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "handler":
        h = logging.FileHandler(path, mode="a", encoding="utf-8")
    elif mode == "buffered":
        h = BufferedHandler(path)
    else:
        sys.exit("usage: pylog.py handler|buffered PATH N")
    h.setFormatter(logging.Formatter(
        "2025-01-01T12:00:00Z %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("bench")
    log.propagate = False
    log.addHandler(h)
    log.setLevel(logging.INFO)
    for i in range(n):
        log.info("request %08d handled status=200 path=/api/v1/items user=%d", i, i % 977)
    h.close()


main()
