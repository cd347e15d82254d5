"""The header bytes this Python's multiprocessing.connection writes before a payload of each size given.

Connection._send_bytes is run with a stand-in payload of that length (nothing that large is allocated) and
the writes it makes recorded. Prints one JSON object: size -> hex of everything written before the payload.
"""
import json
import os
import sys
from multiprocessing.connection import Connection


class Payload:
    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size


class Recording(Connection):
    def __init__(self):
        read, write = os.pipe()
        super().__init__(write, readable=False)
        os.close(read)
        self.writes = []

    def _send(self, buf, write=None):
        self.writes.append(buf)


headers = {}
for size in map(int, sys.argv[1:]):
    conn = Recording()
    payload = Payload(size)
    try:
        conn._send_bytes(payload)
    except TypeError:
        # Up to 16384 bytes Python joins header and payload: the header is then the first 4 bytes of that write.
        conn.writes = []
        real = bytes(size)
        conn._send_bytes(real)
        joined = conn.writes[0]
        conn.writes = [joined[: len(joined) - size]]
    headers[size] = b"".join(w for w in conn.writes if not isinstance(w, Payload)).hex()
    conn.close()
print(json.dumps(headers))
