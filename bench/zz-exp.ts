import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'multiproc';
const pageClient = fileURLToPath(new URL(process.env['CLIENT'] ?? './dashboard-page-client.js', import.meta.url));
function procs(): Map<number, { ppid: number; ticks: number; cmd: string }> {
  const out = new Map();
  for (const n of readdirSync('/proc')) { if (!/^\d+$/.test(n)) continue; try { const s = readFileSync(`/proc/${n}/stat`, 'utf8'); const f = s.split(') ')[1]!.split(' '); const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 200); out.set(Number(n), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), cmd }); } catch {} }
  return out;
}
function tree(root: number) { const p = procs(); const res = new Map<number, { ticks: number; cmd: string }>(); const st = [root]; while (st.length) { const x = st.pop()!; const e = p.get(x); if (!e) continue; res.set(x, e); for (const [pid, v] of p) if (v.ppid === x) st.push(pid); } return res; }
function kind(cmd: string) { const m = /--type=([a-z-]+)/.exec(cmd); return m ? m[1]! : cmd.includes('chromium') ? 'browser' : 'node'; }
const items = Array.from({ length: 200_000 }, (_, i) => i);
const pool = new Pool({ workers: 2 });
const tasks = pool.load<typeof import('./pool/workers/tasks.js')>(new URL('./pool/workers/tasks.js', import.meta.url));
for (let i = 0; i < 3; i++) await tasks.inc.map(items);
const dashboard = await pool.dashboard();
const client = spawn(process.execPath, [pageClient, dashboard.url], { stdio: ['pipe', 'pipe', 'inherit'] });
let answers = '';
client.stdout.setEncoding('utf8').on('data', (c: string) => (answers += c));
const ask = async () => { const seen = answers.split('\n').length; client.stdin.write('?\n'); while (answers.split('\n').length === seen) await new Promise((r) => setTimeout(r, 5)); return Number(answers.trim().split('\n').pop()); };
await ask();
await new Promise((r) => setTimeout(r, 1000));
const a = tree(client.pid!); const u0 = await ask(); const t0 = performance.now(); let done = 0;
while (performance.now() - t0 < Number(process.env['SECONDS'] ?? 4) * 1000) { await tasks.inc.map(items); done += items.length; }
const el = (performance.now() - t0) / 1000; const b = tree(client.pid!); const u1 = await ask();
const per = new Map<string, number>(); let tot = 0;
for (const [pid, e] of b) { const d = (e.ticks - (a.get(pid)?.ticks ?? 0)) / 100 / el; tot += d; const k = kind(e.cmd); per.set(k, (per.get(k) ?? 0) + d); }
console.log('rate', (done / el / 1e6).toFixed(2), 'M/s updates/s', ((u1 - u0) / el).toFixed(1), 'client cores', tot.toFixed(3), JSON.stringify(Object.fromEntries([...per].filter(([, v]) => v > 0).map(([k, v]) => [k, +v.toFixed(3)]))));
client.stdin.end(); await new Promise((r) => client.once('exit', r)); await dashboard.close(); await pool.close();
