import { SharedMemory } from 'multiproc';
const src = new Uint8Array(196 * 1048576).fill(1);
for (let r = 0; r < 3; r++) {
const t0 = performance.now();
const shm = SharedMemory.create(src.byteLength);
const t1 = performance.now();
new Uint8Array(shm.buf).set(src);
const t2 = performance.now();
new Uint8Array(shm.buf).set(src);
const t3 = performance.now();
console.log('create', (t1-t0).toFixed(0), 'fill', (t2-t1).toFixed(0), 'fill again', (t3-t2).toFixed(0));
shm.close(); shm.unlink();
}
