"""A Python peer for multiproc's Listener/Client tests, on multiprocessing.connection.

    connection_peer.py listen ADDRESS KEY MODE    Listener(ADDRESS, authkey=KEY), accept once, run MODE
    connection_peer.py connect ADDRESS KEY MODE   Client(ADDRESS, authkey=KEY), run MODE
    connection_peer.py silent-client ADDRESS      a raw socket that connects and says nothing
    connection_peer.py silent-server ADDRESS      a raw listening socket that accepts and says nothing
    connection_peer.py raw-long-frame ADDRESS     sends one message in the 12-byte header form

ADDRESS is JSON: ["127.0.0.1", 0] or a path (a leading NUL names an abstract socket). KEY is hex, or "-"
for no key. MODE: "bytes" (send a greeting, then echo every message until b"quit") or "objects" (the same
with send/recv). Every event is one JSON line on stdout.
"""
import json
import socket
import struct
import sys
from multiprocessing.connection import Client, Listener, AuthenticationError

VERSION = "%d.%d" % sys.version_info[:2]


def say(**event):
    print(json.dumps(event), flush=True)


def address_of(text):
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def printable(address):
    if isinstance(address, bytes):
        return address.decode("latin-1")
    return list(address) if isinstance(address, tuple) else address


def session(conn, mode):
    say(connected=True, version=VERSION)
    if mode == "bytes":
        conn.send_bytes(b"hello from " + VERSION.encode())
        while True:
            try:
                message = conn.recv_bytes()
            except EOFError:
                say(eof=True)
                return
            if message == b"quit":
                say(quit=True)
                return
            conn.send_bytes(message)
    else:
        conn.send({"from": "python", "version": VERSION, "items": [1, -2**70, 2.5, None, True, "h\u00e9llo", b"\x00\xff"], "pair": (1, "two")})
        while True:
            try:
                value = conn.recv()
            except EOFError:
                say(eof=True)
                return
            if value == "quit":
                say(quit=True)
                return
            say(received=repr(value))
            conn.send(value)


def key_of(text):
    return None if text == "-" else bytes.fromhex(text)


def main():
    command, address = sys.argv[1], address_of(sys.argv[2])
    if command in ("listen", "connect"):
        key, mode = key_of(sys.argv[3]), sys.argv[4]
        try:
            if command == "listen":
                with Listener(address, authkey=key) as listener:
                    say(address=printable(listener.address))
                    conn = listener.accept()
            else:
                conn = Client(address, authkey=key)
        except AuthenticationError as error:
            say(error="AuthenticationError", message=str(error))
            return
        with conn:
            session(conn, mode)
    elif command == "silent-client":
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family) as sock:
            sock.connect(address)
            say(connected=True)
            received = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
            say(eof=True, received=received.hex())
    elif command == "silent-server":
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family) as server:
            server.bind(address)
            server.listen(1)
            say(address=printable(server.getsockname()))
            sock, _ = server.accept()
            with sock:
                received = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                say(eof=True, received=received.hex())
    elif command == "raw-long-frame":
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family) as sock:
            sock.connect(address)
            sock.sendall(struct.pack("!iQ", -1, 5) + b"hello" + struct.pack("!i", 3) + b"end")
            received = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
            say(eof=True, received=received.hex())
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main()
