// The dashboard benchmark's SSE client (URL): counts the states the dashboard pushes; each line on stdin
// is answered with the count so far (the first once subscribed); exits when stdin ends.
import http from 'node:http';

const [url = ''] = process.argv.slice(2);
let count = 0;
let subscribed: Promise<void> | undefined = new Promise<void>((resolve, reject) => {
  http.get(new URL('events', url), { agent: false }, (response) => {
    resolve();
    response.setEncoding('utf8').on('data', (chunk: string) => (count += chunk.split('event: state').length - 1));
  }).on('error', reject);
});
process.stdin.setEncoding('utf8').on('data', () => {
  void (async () => {
    await subscribed;
    subscribed = undefined;
    process.stdout.write(`${count}\n`);
  })();
});
process.stdin.on('end', () => process.exit(0));
