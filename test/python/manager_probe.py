# A Python client probing a manager server (TypeScript's, in the tests) step by step; prints one JSON line per step.
# Usage: manager_probe.py PORT STEP...   steps: queue, errors, wrongkey, malicious MARKER, pickled HEX, shutdown
import gc
import json
import multiprocessing
import os
import pickle
import queue
import sys
from multiprocessing.connection import Client
from multiprocessing.managers import BaseManager, RemoteError, dispatch


class M(BaseManager):
    pass


M.register('get_task_queue')
M.register('Parent')
M.register('NoSuchType')
M.register('Child', create_method=False)


def last_line(error):
    # str(RemoteError) is the server's text between two rules of dashes.
    return [line for line in str(error).strip().splitlines() if not line.startswith('---')][-1]


def out(**event):
    print(json.dumps(event), flush=True)


def main():
    port = int(sys.argv[1])
    address = ('127.0.0.1', port)
    steps = sys.argv[2:]
    while steps:
        step = steps.pop(0)
        if step == 'queue':
            m = M(address=address, authkey=b'z')
            m.connect()
            q = m.get_task_queue()
            q.put({'k': [1, 2.5, None, b'\x00']})
            q.put('x', block=False)
            got = [q.get(), q.get(timeout=5)]
            try:
                q.get_nowait()
                empty = 'no error'
            except queue.Empty:
                empty = 'queue.Empty'
            out(step='queue', got=repr(got), empty=empty, qsize=q.qsize(), repr=repr(q)[:40],
                objects=m._number_of_objects())
            del q
            # Before 3.13 a proxy whose call raised sits in a reference cycle until the cyclic GC runs.
            gc.collect()
            out(step='released', objects=m._number_of_objects())
        elif step == 'errors':
            m = M(address=address, authkey=b'z')
            m.connect()
            q = m.get_task_queue()
            result = {}
            try:
                q._callmethod('_items')
            except RemoteError as e:
                result['not_exposed'] = last_line(e)
            try:
                m.NoSuchType()
            except RemoteError as e:
                result['no_typeid'] = last_line(e)
            try:
                q._callmethod('put', (1,), {'nosuch': 2})
            except TypeError as e:
                result['bad_keyword'] = str(e)
            parent = m.Parent()
            child = parent.get_child()
            result['child'] = [type(child).__name__, child._token.typeid, child.count(1), sorted(child._exposed_)]
            del q, child, parent
            out(step='errors', **result)
        elif step == 'wrongkey':
            try:
                M(address=address, authkey=b'wrong').connect()
                out(step='wrongkey', result='connected')
            except Exception as e:
                out(step='wrongkey', result=type(e).__name__)
        elif step == 'malicious':
            marker = steps.pop(0)
            # What pickle.dumps of a __reduce__ returning (os.system, (cmd,)) gives, written out by hand.
            payload = b'cposix\nsystem\n(S' + repr('touch ' + marker).encode() + b'\ntR.'
            replies = []
            conn = Client(address, authkey=b'z')
            conn.send_bytes(payload)
            kind, value = conn.recv()
            replies.append([kind, type(value).__name__, str(value)])
            conn.close()
            # The same on a method channel: the reply comes, and the channel still works afterwards.
            conn = Client(address, authkey=b'z')
            conn.send((None, 'accept_connection', ('probe',), {}))
            conn.recv()
            conn.send_bytes(b'\x80\x04cos\nsystem\n\x8c' + bytes([len('touch ' + marker)]) + ('touch ' + marker).encode() + b'\x85R.')
            kind, value = conn.recv()
            replies.append([kind, type(value).__name__, str(value)])
            conn.send(('0', 'nosuch', (), {}))
            replies.append(list(conn.recv())[:1])
            conn.close()
            m = M(address=address, authkey=b'z')
            m.connect()
            out(step='malicious', replies=replies, alive=True, marker=os.path.exists(marker))
        elif step == 'pickled':
            # A proxy pickled by TypeScript (HEX) and one pickled here. Unpickling a proxy connects with the
            # process authkey, so this process takes the manager's.
            multiprocessing.current_process().authkey = b'z'
            theirs = pickle.loads(bytes.fromhex(steps.pop(0)))
            m = M(address=address, authkey=b'z')
            m.connect()
            q = m.get_task_queue()
            theirs.put('through a TypeScript-pickled proxy')
            out(step='pickled', type=type(theirs).__name__, got=q.get(timeout=5), mine=pickle.dumps(q).hex())
            del theirs, q
            gc.collect()
        elif step == 'shutdown':
            conn = Client(address, authkey=b'z')
            dispatch(conn, None, 'shutdown')
            conn.close()
            out(step='shutdown')


if __name__ == '__main__':
    main()
