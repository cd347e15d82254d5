"""Python side of the shared-memory interop tests: python3 shm_peer.py COMMAND ARGS..."""
import ctypes
import platform
import sys
from multiprocessing import resource_tracker, shared_memory

SYS_FUTEX = {"x86_64": 202, "aarch64": 98}[platform.machine()]
FUTEX_WAIT, FUTEX_WAKE = 0, 1
libc = ctypes.CDLL(None, use_errno=True)


def attach(name):
    shm = shared_memory.SharedMemory(name)
    # Python registers attached segments too and would unlink this one when it exits.
    resource_tracker.unregister(shm._name, "shared_memory")
    return shm


def main(command, *args):
    if command == "read-write":
        # read-write NAME: print the text at offset 0, then write 'python was here' at offset 100.
        shm = attach(args[0])
        print(bytes(shm.buf[:100]).split(b"\0", 1)[0].decode(), shm.size, flush=True)
        shm.buf[100:115] = b"python was here"
        shm.close()
    elif command == "create":
        # create SIZE: create a segment with a text at 0, print its name, unlink when stdin closes.
        shm = shared_memory.SharedMemory(create=True, size=int(args[0]))
        shm.buf[:17] = b"made by python3.x"
        print(shm.name, flush=True)
        sys.stdin.read()
        print(bytes(shm.buf[200:220]).split(b"\0", 1)[0].decode(), flush=True)
        shm.close()
        shm.unlink()
    elif command == "futex-wait":
        # futex-wait NAME: sleep on word 0 while it is 0, then print the word.
        shm = attach(args[0])
        words = (ctypes.c_int32 * 2).from_buffer(shm.buf)
        words[1] = 1
        print("waiting", flush=True)
        # One long wait: only a real wake from the other process ends it early.
        ts = (ctypes.c_long * 2)(15, 0)
        rc = libc.syscall(SYS_FUTEX, ctypes.c_void_p(ctypes.addressof(words)), FUTEX_WAIT, 0, ts, None, 0)
        print("woke" if rc == 0 else "errno %d" % ctypes.get_errno(), words[0], flush=True)
        del words
        shm.close()
    elif command == "futex-wake":
        # futex-wake NAME VALUE: store VALUE in word 0, wake waiters, print how many woke.
        shm = attach(args[0])
        words = (ctypes.c_int32 * 1).from_buffer(shm.buf)
        words[0] = int(args[1])
        woken = libc.syscall(SYS_FUTEX, ctypes.c_void_p(ctypes.addressof(words)), FUTEX_WAKE, 0x7FFFFFFF, None, None, 0)
        print(woken, flush=True)
        del words
        shm.close()
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(*sys.argv[1:])
