// The dashboard benchmark's browser (URL): the page in headless Chromium (Debian's, never a downloaded one), as a
// reader would have it open: Chromium is started on the page itself and nothing drives it while it runs. The only
// automation is a DevTools pipe (--remote-debugging-pipe) asked for the page's update count: once the page is
// live, then for each line on stdin. Playwright would keep the Network and Page domains on, and every pushed state
// would cost an event sent to it: the apparatus's cost, not the page's. Closes the browser and exits when stdin
// ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const [url = ''] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'multiproc-bench-chromium-'));
const browser = spawn('/usr/bin/chromium', [
  '--headless', '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions', '--window-size=1400,1000',
  `--user-data-dir=${profile}`, '--remote-debugging-pipe', url,
], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toBrowser = browser.stdio[3] as Writable;
const fromBrowser = browser.stdio[4] as Readable;

// DevTools over the pipe: JSON messages ended by a NUL byte, both ways.
let nextId = 1;
const waiting = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
let buffered = '';
fromBrowser.setEncoding('utf8').on('data', (chunk: string) => {
  buffered += chunk;
  let end: number;
  while ((end = buffered.indexOf('\0')) !== -1) {
    const message = JSON.parse(buffered.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    buffered = buffered.slice(end + 1);
    const call = message.id === undefined ? undefined : waiting.get(message.id);
    if (call === undefined) continue;
    waiting.delete(message.id!);
    if (message.error) call.reject(new Error(message.error.message));
    else call.resolve(message.result ?? {});
  }
});
function send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
  const id = nextId++;
  toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) })}\0`);
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function pageSession(): Promise<string> {
  for (let tries = 0; tries < 300; tries++) {
    const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const page = targetInfos.find((target) => target.type === 'page' && target.url.startsWith(url.split('?')[0]!));
    if (page) return ((await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string }).sessionId;
    await sleep(50);
  }
  throw new Error(`no page for ${url} in Chromium`);
}
const session = await pageSession();
async function evaluate(expression: string): Promise<unknown> {
  const { result } = (await send('Runtime.evaluate', { expression, returnByValue: true }, session)) as { result: { value?: unknown } };
  return result.value;
}
// Live: the page has its stream open.
for (let tries = 0; (await evaluate("document.getElementById('status')?.dataset.state")) !== 'live'; tries++) {
  if (tries > 300) throw new Error('the dashboard page did not go live in 15 s');
  await sleep(50);
}

let queue = Promise.resolve();
process.stdin.setEncoding('utf8').on('data', () => {
  queue = queue.then(async () => {
    process.stdout.write(`${Number((await evaluate('document.body.dataset.updates')) ?? 0)}\n`);
  });
});
process.stdin.on('end', () => {
  void queue.then(async () => {
    await send('Browser.close').catch(() => undefined);
    if (browser.exitCode === null) await new Promise((resolve) => browser.once('exit', resolve));
    rmSync(profile, { recursive: true, force: true });
    process.exit(0);
  });
});
