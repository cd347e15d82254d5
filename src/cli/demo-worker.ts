// The demo's worker thread: writes its slot, wakes waiters, then sleeps on the others' flags and reads them.
import { plainThreadSelf } from '../backends/plain-peers.js';
import { futexWait, futexWake } from '../native/futex.js';
import { participants, readText, writeText } from './demo-layout.js';

const self = plainThreadSelf();
const { buf, me } = self.data as { buf: SharedArrayBuffer; me: number };
const threadId = self.threadId;
const flags = new Int32Array(buf, 0, participants.length);
const say = (text: string): void => self.post(text);

writeText(buf, me, `hello from a worker thread (pid ${process.pid}, thread ${threadId}) at ${new Date().toLocaleTimeString()}`);
Atomics.store(flags, me, 1);
futexWake(flags, me);
say(`wrote slot ${me}, woke its waiters`);
for (let i = 0; i < participants.length; i++) {
  if (i === me) continue;
  while (Atomics.load(flags, i) === 0) {
    if (futexWait(flags, i, 0, 20_000) === 'timed-out') throw new Error(`no word from the ${participants[i]}`);
  }
  say(`read slot ${i}: ${readText(buf, i)}`);
}
