"""Python's side of bench/connection.bench.ts: round trips through multiprocessing.connection over TCP.

    connection_python.py main MODE N    a Listener; an echo Client in a child process; N timed round trips
    connection_python.py echo PORT MODE the child: echoes every message until EOF

MODE is "bytes" (send_bytes/recv_bytes of 64 bytes) or "objects" (send/recv of a small dict). Prints one JSON
line: the median and mean round trip in microseconds.
"""
import json
import subprocess
import sys
import time
from multiprocessing.connection import Client, Listener

KEY = b"bench key"
MESSAGE = bytes(range(64))
VALUE = {"id": 7, "name": "task", "args": [1, 2.5, None, True], "tag": b"\x00\x01"}


def echo(port, mode):
    with Client(("127.0.0.1", port), authkey=KEY) as conn:
        try:
            if mode == "bytes":
                while True:
                    conn.send_bytes(conn.recv_bytes())
            else:
                while True:
                    conn.send(conn.recv())
        except EOFError:
            pass


def main(mode, n):
    with Listener(("127.0.0.1", 0), authkey=KEY) as listener:
        child = subprocess.Popen([sys.executable, __file__, "echo", str(listener.address[1]), mode])
        with listener.accept() as conn:
            if mode == "bytes":
                send, recv, payload = conn.send_bytes, conn.recv_bytes, MESSAGE
            else:
                send, recv, payload = conn.send, conn.recv, VALUE
            for _ in range(min(n, 1000)):
                send(payload)
                recv()
            times = []
            clock = time.perf_counter_ns
            for _ in range(n):
                start = clock()
                send(payload)
                recv()
                times.append(clock() - start)
        child.wait(timeout=30)
    times.sort()
    print(json.dumps({"medianUs": times[len(times) // 2] / 1000, "meanUs": sum(times) / len(times) / 1000}))


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        echo(int(sys.argv[2]), sys.argv[3])
    else:
        main(sys.argv[2], int(sys.argv[3]))
