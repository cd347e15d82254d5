# A Python SyncManager server, unmodified: every typeid of multiprocessing.managers.SyncManager, authkey from argv.
# Usage: sync_server.py AUTHKEY [port]  (prints "listening HOST PORT", then serves until a client sends shutdown).
import sys
from multiprocessing.managers import SyncManager

if __name__ == '__main__':
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    manager = SyncManager(address=('127.0.0.1', port), authkey=sys.argv[1].encode())
    server = manager.get_server()
    print('listening', server.address[0], server.address[1], flush=True)
    server.serve_forever()
