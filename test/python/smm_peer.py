# Python's SharedMemoryManager against a multiproc one, either side. Every line out is JSON.
# Usage:
#   smm_peer.py client PORT AUTHKEY   connects, makes a SharedMemory(64) and a ShareableList, prints
#                                     {"names": [...], "listed": [...]}, then waits for a line on stdin
#                                     ("release NAME", "list", or "exit") and answers each.
#   smm_peer.py server AUTHKEY        a SharedMemoryManager server in this process: prints {"port": N},
#                                     serves until a client sends shutdown (it unlinks what it tracked).
import json
import sys
from multiprocessing.managers import SharedMemoryManager, dispatch


def client(port, authkey):
    smm = SharedMemoryManager(address=('127.0.0.1', port), authkey=authkey)
    smm.connect()
    sm = smm.SharedMemory(64)
    sm.buf[:5] = b'hello'
    sl = smm.ShareableList([1, 'two', 3.5, None])
    with smm._Client(smm._address, authkey=smm._authkey) as conn:
        listed = dispatch(conn, None, 'list_segments')
    print(json.dumps({'names': [sm.name, sl.shm.name], 'listed': listed}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[0] == 'release':
            with smm._Client(smm._address, authkey=smm._authkey) as conn:
                dispatch(conn, None, 'release_segment', (command[1],))
            print(json.dumps({'released': command[1]}), flush=True)
        elif command[0] == 'list':
            with smm._Client(smm._address, authkey=smm._authkey) as conn:
                print(json.dumps({'listed': dispatch(conn, None, 'list_segments')}), flush=True)
        else:
            break
    sm.close()
    sl.shm.close()


def server(authkey):
    smm = SharedMemoryManager(address=('127.0.0.1', 0), authkey=authkey)
    srv = smm.get_server()
    print(json.dumps({'port': srv.address[1]}), flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    if sys.argv[1] == 'client':
        client(int(sys.argv[2]), sys.argv[3].encode())
    else:
        server(sys.argv[2].encode())
