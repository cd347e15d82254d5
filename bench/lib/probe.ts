// Runs one measurement in a fresh Node process and parses the JSON line it prints.
import { execFile } from 'node:child_process';

export function probe<T>(script: string, args: string[], timeout = 300_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${script} ${args.join(' ')} printed no JSON result: ${stdout}\n${stderr}`));
      }
    });
  });
}
