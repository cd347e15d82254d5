// Child process for the sharedctypes tests (argv: scenario, base64 payload): changes the values and arrays
// it receives by reference, as the child processes of CPython's _TestValue and _TestArray do.
import { bytesToPacket, decode } from '../src/serialize/index.js';
import type { RawArray, RawValue } from '../src/index.js';

// decode(), not decodeSync(): it imports the modules of the handles it meets (this script imports none).
const payload = (await decode(bytesToPacket(Buffer.from(process.argv[3] ?? '', 'base64')))) as Record<string, unknown>;

switch (process.argv[2]) {
  case 'set-values': {
    // The third column of CPython's codes_values, by typecode.
    const next: Record<string, number | bigint | Uint8Array> = { i: 24234, d: -4.25, h: 234, q: 2n ** 34n, c: Uint8Array.of(0x79) };
    for (const value of payload['values'] as RawValue[]) value.value = next[value.typecode]!;
    break;
  }
  case 'prefix-sums': {
    const array = payload['array'] as RawArray<'i'>;
    for (let i = 1; i < array.length; i++) array.set(i, array.get(i) + array.get(i - 1));
    break;
  }
  default:
    throw new Error(`unknown scenario ${process.argv[2]}`);
}
