// The demo's segment layout: one ready flag (an int32 futex word) and one text slot per participant.

export const participants = ['node main thread', 'node worker thread', 'python process'] as const;
export const slotBytes = 256;
export const textOffset = 64;
export const segmentBytes = textOffset + participants.length * slotBytes;

export function writeText(buf: SharedArrayBuffer, index: number, text: string): void {
  const slot = new Uint8Array(buf, textOffset + index * slotBytes, slotBytes);
  slot.fill(0);
  new TextEncoder().encodeInto(text.slice(0, slotBytes - 1), slot);
}

export function readText(buf: SharedArrayBuffer, index: number): string {
  const slot = new Uint8Array(buf, textOffset + index * slotBytes, slotBytes);
  const end = slot.indexOf(0);
  return new TextDecoder().decode(slot.slice(0, end < 0 ? slotBytes : end));
}

/** Python's side of the demo: the same layout, futex through ctypes. */
export const pythonPeer = String.raw`
import ctypes, os, platform, sys, time
from multiprocessing import shared_memory, resource_tracker
name, me = sys.argv[1], int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
SYS_futex = {'x86_64': 202, 'aarch64': 98}[platform.machine()]
shm = shared_memory.SharedMemory(name)
# Python registers even attached segments and would unlink this one at exit: it is not ours.
resource_tracker.unregister(shm._name, 'shared_memory')
flags = (ctypes.c_int32 * 3).from_buffer(shm.buf)
def addr(i): return ctypes.addressof(flags) + 4 * i
def text_at(i):
    raw = bytes(shm.buf[64 + 256 * i: 64 + 256 * (i + 1)])
    return raw.split(b'\0', 1)[0].decode()
msg = 'hello from Python %s (pid %d) at %s' % (platform.python_version(), os.getpid(), time.strftime('%H:%M:%S'))
shm.buf[64 + 256 * me: 64 + 256 * me + len(msg)] = msg.encode()
flags[me] = 1
libc.syscall(SYS_futex, ctypes.c_void_p(addr(me)), 1, 0x7fffffff, None, None, 0)   # FUTEX_WAKE
print('wrote slot %d, woke its waiters' % me, flush=True)
deadline = time.time() + 20
for i in range(3):
    while flags[i] == 0 and time.time() < deadline:
        ts = (ctypes.c_long * 2)(0, 50_000_000)
        libc.syscall(SYS_futex, ctypes.c_void_p(addr(i)), 0, 0, ts, None, 0)  # FUTEX_WAIT while 0
    if i != me:
        print('read slot %d: %s' % (i, text_at(i)), flush=True)
del flags
shm.close()
`;
