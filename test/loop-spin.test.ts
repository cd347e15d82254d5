// The spin before the event loop sleeps (native/loop-spin.cc): it keeps no program alive, ends as soon as an event
// is ready (a message from another thread, a timer), spins only within 20 ms of the last sign of traffic, burns
// nothing once released, and goes with a terminated worker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { holdLoopSpin, touchLoopSpin } from '../src/native/loop-spin.js';
import { cpuMsDuring } from './helpers/cpu.js';
import { finish } from './helpers/spawn.js';

const loopSpinUrl = new URL('../src/native/loop-spin.js', import.meta.url).href;
const oneSecondNs = 1_000_000_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('loop spin', () => {
  it('keeps no program alive: a script that holds a spin and has nothing else to do ends', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `const { holdLoopSpin } = await import(${JSON.stringify(loopSpinUrl)}); holdLoopSpin(${oneSecondNs}); console.log('held');`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = await finish(child, 20_000);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(ended.stdout.trim(), 'held');
  });

  it('ends as soon as an event is ready: each reply from another thread is taken without waiting out the spin', async () => {
    const release = holdLoopSpin(oneSecondNs);
    const worker = new Worker(
      `import { parentPort } from 'node:worker_threads';
       parentPort.on('message', (i) => setTimeout(() => parentPort.postMessage(i), 5));`,
      { eval: true },
    );
    try {
      const started = performance.now();
      const received: number[] = [];
      // One message at a time, each sent when the reply to the one before came: a spin that waited out its second
      // before taking a reply would make this take 20 s.
      for (let i = 0; i < 20; i++) {
        received.push(await new Promise<number>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', resolve);
          // A call sent: its reply is due (as a manager client's call holds or touches the spin).
          touchLoopSpin();
          worker.postMessage(i);
        }));
      }
      const elapsed = performance.now() - started;
      assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => i));
      assert.ok(elapsed < 10_000, `20 round trips took ${elapsed.toFixed(0)} ms`);
    } finally {
      release();
      await worker.terminate();
    }
  });

  it('stops at the next timer while held and touched, sleeps 20 ms after the last touch, and burns no CPU once released', async () => {
    const release = holdLoopSpin(oneSecondNs);
    const touchedMs = await cpuMsDuring(400);
    const untouchedMs = await cpuMsDuring(400, false);
    release();
    release();
    const releasedMs = await cpuMsDuring(400);
    // Touched every 10 ms, the idle loop spins until each timer; left alone, it spins 20 ms and sleeps; released, it sleeps.
    assert.ok(touchedMs > 100, `held and touched: ${touchedMs.toFixed(0)} ms of CPU in 400 ms`);
    assert.ok(untouchedMs < 100, `held, untouched: ${untouchedMs.toFixed(0)} ms of CPU in 400 ms`);
    assert.ok(releasedMs < 100, `released: ${releasedMs.toFixed(0)} ms of CPU in 400 ms`);
  });

  it('counts its holders: the spin lasts until the last one releases', async () => {
    const first = holdLoopSpin(oneSecondNs);
    const second = holdLoopSpin(oneSecondNs);
    first();
    const oneLeftMs = await cpuMsDuring(300);
    second();
    const noneLeftMs = await cpuMsDuring(300);
    assert.ok(oneLeftMs > 75, `one holder left: ${oneLeftMs.toFixed(0)} ms of CPU in 300 ms`);
    assert.ok(noneLeftMs < 80, `none left: ${noneLeftMs.toFixed(0)} ms of CPU in 300 ms`);
  });

  it('goes with a worker terminated while it holds one, and a worker that holds one still exits', async () => {
    const script = `const { holdLoopSpin } = await import(${JSON.stringify(loopSpinUrl)}); holdLoopSpin(${oneSecondNs});`;
    const held = new Worker(`${script} setInterval(() => undefined, 1000);`, { eval: true });
    await sleep(200);
    await held.terminate();
    const exits = new Worker(script, { eval: true });
    const code = await new Promise<number>((resolve, reject) => {
      exits.once('error', reject);
      exits.once('exit', resolve);
    });
    assert.equal(code, 0);
    assert.equal(holdLoopSpin(0)(), undefined);
  });
});
